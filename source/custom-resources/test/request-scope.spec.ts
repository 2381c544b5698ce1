// SPDX-License-Identifier: Apache-2.0
import { captureLogs } from '../../test-support/capture-logs';
import { fakeRuntime } from '../../test-support/runtime';
import { realSleep } from '../../utils/time';
import { defaultRuntime } from '../../utils/runtime';
import { requestScope } from '../lib/request-scope';
import { fakeClock } from './support';

describe('requestScope', () => {
  it('leaves the real sleep and the global fetch to the response sender by default', () => {
    const { responder } = requestScope(defaultRuntime(), 'test');
    expect(responder.sleep).toBe(realSleep);
    expect(responder.fetch).toBeUndefined(); // the sender and metrics fall back to the global fetch
  });

  it('hands injected doubles to the response sender', () => {
    const clock = fakeClock();
    const fetchDouble = (async () => new Response(null)) as typeof fetch;
    const { responder } = requestScope(fakeRuntime(clock, {}, { fetch: fetchDouble }), 'test');
    expect(responder).toMatchObject({ sleep: clock.sleep, fetch: fetchDouble });
  });

  it('logs, and lets the sender log, under the component name', () => {
    const logs = captureLogs();
    const { logger, responder } = requestScope(
      fakeRuntime(fakeClock(), {}, { write: logs.write }),
      'stack-checker',
    );
    logger.info('one');
    responder.logger?.warn('two');
    expect(logs.entries()).toEqual([
      expect.objectContaining({
        component: 'stack-checker',
        message: 'one',
        time: '2024-05-01T12:00:00.000Z',
      }),
      expect.objectContaining({ component: 'stack-checker', message: 'two' }),
    ]);
  });
});
