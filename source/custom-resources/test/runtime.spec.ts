import { realSleep } from '../../utils/limiter';
import { resolveRuntime } from '../lib/runtime';

describe('resolveRuntime', () => {
  it('uses the real clock, environment, UUIDs and fetch when nothing is injected', () => {
    const runtime = resolveRuntime({}, 'test');
    expect(runtime.sleep).toBe(realSleep);
    expect(runtime.now).toBe(Date.now);
    expect(runtime.env).toBe(process.env);
    expect(runtime.fetch).toBeUndefined(); // the sender and metrics fall back to the global fetch
    expect(runtime.randomUUID()).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(runtime.randomUUID()).not.toBe(runtime.randomUUID());
    expect(runtime.responder.sleep).toBe(realSleep);
  });

  it('hands injected doubles to the response sender', () => {
    const sleep = async () => undefined;
    const fetchDouble = (async () => new Response(null)) as typeof fetch;
    const runtime = resolveRuntime({ sleep, fetch: fetchDouble }, 'test');
    expect(runtime.responder).toMatchObject({ sleep, fetch: fetchDouble });
  });
});
