// SPDX-License-Identifier: Apache-2.0
import { fakeClock } from '../../test-support/fake-clock';
import { backoffDelay, DeadlineExceededError, withRetry } from '../retry';
import { errorMessage, errorName, isRetryableError, isThrottling } from '../errors';

const throttled = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'TooManyRequestsException',
    $retryable: { throttling: true },
    $metadata: { httpStatusCode: 400 },
  });

describe('error classification', () => {
  it.each([
    ['v3 throttling by name', Object.assign(new Error('x'), { name: 'TooManyRequestsException' }), true],
    ['v3 $retryable trait', Object.assign(new Error('x'), { name: 'Weird', $retryable: {} }), true],
    ['HTTP 429', Object.assign(new Error('x'), { name: 'Weird', $metadata: { httpStatusCode: 429 } }), true],
    ['HTTP 503', Object.assign(new Error('x'), { name: 'Weird', $metadata: { httpStatusCode: 503 } }), true],
    ['network reset', Object.assign(new Error('x'), { code: 'ECONNRESET' }), true],
    [
      'network reset rewrapped by the SDK',
      new Error('AWS SDK error wrapper for TimeoutError: read ECONNRESET'),
      true,
    ],
    ['another rewrapped error', new Error('AWS SDK error wrapper for Error: bad input'), false],
    ['injected v2 flag', { retryable: true }, true],
    [
      'validation error',
      Object.assign(new Error('x'), {
        name: 'InvalidParameterException',
        $metadata: { httpStatusCode: 400 },
      }),
      false,
    ],
    ['a string', 'boom', false],
    ['null', null, false],
  ])('%s → %s', (_label, error, expected) => {
    expect(isRetryableError(error)).toBe(expected);
  });

  it('recognises throttling separately', () => {
    expect(isThrottling(throttled())).toBe(true);
    expect(isThrottling(new Error('x'))).toBe(false);
    expect(isThrottling(undefined)).toBe(false);
  });

  it('names and describes any thrown value', () => {
    expect(errorName(throttled())).toBe('TooManyRequestsException');
    expect(errorName('text')).toBe('Error');
    expect(errorMessage(new Error('m'))).toBe('m');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage({ code: 1 })).toBe('{"code":1}');
  });
});

describe('backoffDelay', () => {
  it('grows with every attempt until the cap and stays within [cap/2, cap]', () => {
    const low = [1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(a, 100, 2000, () => 0));
    const high = [1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(a, 100, 2000, () => 1));
    expect(low).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    expect(high).toEqual([200, 400, 800, 1600, 2000, 2000, 2000]);
  });
});

describe('withRetry', () => {
  it('retries throttling with growing backoff, then returns the result', async () => {
    const c = fakeClock(0);
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls < 4) throw throttled();
        return 'done';
      },
      { now: c.now, sleep: c.sleep, random: () => 0.5 },
    );
    expect(result).toBe('done');
    expect(calls).toBe(4);
    expect(c.sleeps).toEqual([150, 300, 600]);
  });

  it('rethrows a non-retryable error at once', async () => {
    const c = fakeClock(0);
    const error = Object.assign(new Error('bad input'), { name: 'InvalidParameterException' });
    await expect(withRetry(() => Promise.reject(error), { sleep: c.sleep })).rejects.toBe(error);
    expect(c.sleeps).toEqual([]);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const c = fakeClock(0);
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw throttled();
        },
        { maxAttempts: 3, now: c.now, sleep: c.sleep, random: () => 0 },
      ),
    ).rejects.toMatchObject({ name: 'TooManyRequestsException' });
    expect(calls).toBe(3);
  });

  it('stops at the deadline with DeadlineExceededError carrying the last error', async () => {
    const c = fakeClock(1000);
    const error = throttled();
    const attempt = withRetry(() => Promise.reject(error), {
      deadline: 1000 + 500,
      now: c.now,
      sleep: c.sleep,
      random: () => 1,
    });
    await expect(attempt).rejects.toBeInstanceOf(DeadlineExceededError);
    await attempt.catch((e: DeadlineExceededError) => {
      expect(e.cause).toBe(error);
      expect(e.attempts).toBe(2);
    });
    expect(c.sleeps).toEqual([200]); // a 400 ms wait would have ended at 1600
    expect(c.now()).toBeLessThanOrEqual(1500);
  });

  it('reports each retry to onRetry', async () => {
    const c = fakeClock(0);
    const seen: number[] = [];
    let calls = 0;
    await withRetry(
      async () => {
        calls += 1;
        if (calls === 1) throw { retryable: true };
      },
      { sleep: c.sleep, random: () => 0, onRetry: ({ attempt }) => seen.push(attempt) },
    );
    expect(seen).toEqual([1]);
  });
});
