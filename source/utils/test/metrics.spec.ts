// SPDX-License-Identifier: Apache-2.0
import { createLogger } from '../logger';
import { METRICS_ENDPOINT, metricsSettingsFromEnv, sendAnonymousMetric } from '../metrics';

const settings = { sendMetric: true, solutionId: 'SO0126', solutionVersion: 'v2.0.0', uuid: 'anon-uuid' };

function fakeFetch(response: { ok: boolean; status: number } | Error) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    if (response instanceof Error) throw response;
    return response as Response;
  }) as unknown as typeof fetch;
  return { fn, calls };
}

const quiet = createLogger({}, { write: () => undefined });

describe('sendAnonymousMetric', () => {
  it('posts the payload of the original to the metrics endpoint', async () => {
    const f = fakeFetch({ ok: true, status: 200 });
    const sent = await sendAnonymousMetric(
      settings,
      { EventType: 'workflow-finished' },
      { fetch: f.fn, now: () => Date.UTC(2026, 10, 22), logger: quiet },
    );
    expect(sent).toBe(true);
    expect(f.calls).toHaveLength(1);
    expect(f.calls[0]?.url).toBe(METRICS_ENDPOINT);
    expect(f.calls[0]?.init.method).toBe('POST');
    expect(JSON.parse(f.calls[0]?.init.body as string)).toEqual({
      Solution: 'SO0126',
      Version: 'v2.0.0',
      UUID: 'anon-uuid',
      TimeStamp: '2026-11-22T00:00:00.000Z',
      Data: { EventType: 'workflow-finished' },
    });
  });

  it('sends nothing when SEND_METRIC is not Yes', async () => {
    const f = fakeFetch({ ok: true, status: 200 });
    expect(
      await sendAnonymousMetric({ ...settings, sendMetric: false }, {}, { fetch: f.fn, logger: quiet }),
    ).toBe(false);
    expect(f.calls).toHaveLength(0);
  });

  it('sends nothing without an anonymous UUID', async () => {
    const f = fakeFetch({ ok: true, status: 200 });
    expect(
      await sendAnonymousMetric({ ...settings, uuid: undefined }, {}, { fetch: f.fn, logger: quiet }),
    ).toBe(false);
    expect(f.calls).toHaveLength(0);
  });

  it.each([
    ['a network error', new Error('getaddrinfo ENOTFOUND')],
    ['an HTTP error', { ok: false, status: 500 }],
  ])('never fails the caller on %s', async (_label, response) => {
    const f = fakeFetch(response as Error);
    await expect(sendAnonymousMetric(settings, {}, { fetch: f.fn, logger: quiet })).resolves.toBe(false);
  });

  it('reads its settings from the environment, absent meaning off', () => {
    expect(metricsSettingsFromEnv({})).toEqual({
      sendMetric: false,
      solutionId: undefined,
      solutionVersion: undefined,
      uuid: undefined,
    });
    expect(
      metricsSettingsFromEnv({
        SEND_METRIC: 'Yes',
        SOLUTION_ID: 'SO0126',
        SOLUTION_VERSION: 'v2',
        METRICS_ANONYMOUS_UUID: 'u',
      }),
    ).toEqual({ sendMetric: true, solutionId: 'SO0126', solutionVersion: 'v2', uuid: 'u' });
  });
});
