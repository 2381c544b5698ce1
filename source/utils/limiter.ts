/**
 * The Cognito rate limiter: a sliding-window log. A call may start only when fewer than
 * `callsPerSecond` calls started in the preceding `windowMs`. Unlike a token bucket (which allows
 * a burst of 2N across a refill) or a fixed window (2N across a window edge), this guarantees that
 * no one-second window, wherever it is placed, holds more than N call starts. Callers are served
 * first come, first served, so concurrent work shares the budget fairly.
 */

export type Sleep = (ms: number) => Promise<void>;
export type Now = () => number;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export interface RateLimiter {
  /** Resolves when one more call may start now; the start is recorded. */
  acquire(): Promise<void>;
}

export class SlidingWindowLimiter implements RateLimiter {
  /** Start times of the most recent calls, oldest first; never longer than `callsPerSecond`. */
  private readonly starts: number[] = [];
  private queue: Promise<void> = Promise.resolve();
  private waited = 0;
  private granted = 0;

  constructor(
    readonly callsPerSecond: number,
    private readonly now: Now = Date.now,
    private readonly sleep: Sleep = realSleep,
    private readonly windowMs = 1000,
  ) {
    if (!Number.isInteger(callsPerSecond) || callsPerSecond < 1) {
      throw new RangeError(`callsPerSecond must be a whole number of at least 1 (found ${callsPerSecond})`);
    }
  }

  acquire(): Promise<void> {
    const turn = this.queue.then(() => this.take());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Total milliseconds callers spent waiting for the limiter. */
  get waitedMs(): number {
    return this.waited;
  }

  /** Calls admitted so far. */
  get admitted(): number {
    return this.granted;
  }

  private async take(): Promise<void> {
    for (;;) {
      const now = this.now();
      while (this.starts.length > 0 && (this.starts[0] as number) <= now - this.windowMs) this.starts.shift();
      if (this.starts.length < this.callsPerSecond) {
        this.starts.push(now);
        this.granted += 1;
        return;
      }
      const wait = (this.starts[0] as number) + this.windowMs - now;
      this.waited += wait;
      await this.sleep(wait);
    }
  }
}
