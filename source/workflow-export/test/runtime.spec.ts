import { defaultRuntime, handlerLogger } from '../lib/runtime';

describe('export runtime', () => {
  it('uses the real environment, clock and stdout by default', () => {
    const runtime = defaultRuntime();
    expect(runtime.env).toBe(process.env);
    expect(runtime.write).toBeUndefined();
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      handlerLogger(runtime, 'export-users').info('hello', { pages: 1 });
    } finally {
      spy.mockRestore();
    }
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0] ?? '')).toMatchObject({
      handler: 'export-users',
      message: 'hello',
      pages: 1,
    });
  });
});
