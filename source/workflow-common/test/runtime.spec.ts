import { defaultRuntime, handlerLogger } from '../lib/runtime';

describe('common runtime', () => {
  it('uses the real environment, clock and stdout by default', () => {
    const runtime = defaultRuntime();
    expect(runtime.env).toBe(process.env);
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      handlerLogger(runtime, 'message-broker', {
        getRemainingTimeInMillis: () => 1,
        awsRequestId: 'r-1',
      }).info('hi');
    } finally {
      spy.mockRestore();
    }
    expect(JSON.parse(written[0] ?? '')).toMatchObject({
      handler: 'message-broker',
      requestId: 'r-1',
      message: 'hi',
    });
  });
});
