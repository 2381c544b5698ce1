import { fakeClock } from '../../test-support/fake-clock';
import { SlidingWindowLimiter } from '../limiter';

function maxInAnyWindow(starts: number[], windowMs = 1000): number {
  let max = 0;
  for (let i = 0; i < starts.length; i += 1) {
    const inWindow = starts.filter(
      (t) => t >= (starts[i] as number) && t < (starts[i] as number) + windowMs,
    ).length;
    max = Math.max(max, inWindow);
  }
  return max;
}

describe('SlidingWindowLimiter', () => {
  it.each([1, 5, 10, 25])('never admits more than %i calls in any one-second window', async (tps) => {
    const clock = fakeClock(1_000_000);
    const limiter = new SlidingWindowLimiter(tps, clock.now, clock.sleep);
    const starts: number[] = [];
    for (let i = 0; i < tps * 7 + 3; i += 1) {
      await limiter.acquire();
      starts.push(clock.now());
      clock.advance(i % 3 === 0 ? 37 : 3); // uneven call durations
    }
    expect(maxInAnyWindow(starts)).toBe(tps);
    expect(limiter.admitted).toBe(tps * 7 + 3);
  });

  it('does not wait at all while under budget', async () => {
    const clock = fakeClock(1_000_000);
    const limiter = new SlidingWindowLimiter(10, clock.now, clock.sleep);
    for (let i = 0; i < 10; i += 1) await limiter.acquire();
    expect(clock.sleeps).toEqual([]);
    expect(limiter.waitedMs).toBe(0);
  });

  it('waits exactly until the oldest call leaves the window', async () => {
    const clock = fakeClock(1_000_000);
    const limiter = new SlidingWindowLimiter(2, clock.now, clock.sleep);
    await limiter.acquire();
    clock.advance(300);
    await limiter.acquire();
    clock.advance(100);
    await limiter.acquire();
    expect(clock.sleeps).toEqual([600]);
  });

  it('serves concurrent callers in order and still within budget', async () => {
    const clock = fakeClock(1_000_000);
    const limiter = new SlidingWindowLimiter(3, clock.now, clock.sleep);
    const order: number[] = [];
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        limiter.acquire().then(() => {
          order.push(i);
          starts.push(clock.now());
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(maxInAnyWindow(starts)).toBe(3);
  });

  it('rejects a budget below one call per second', () => {
    expect(() => new SlidingWindowLimiter(0)).toThrow(
      'callsPerSecond must be a whole number of at least 1 (found 0)',
    );
  });
});
