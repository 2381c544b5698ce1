// SPDX-License-Identifier: Apache-2.0
/**
 * A bounded group of concurrent tasks: `add` waits while `limit` tasks are in flight (back-pressure
 * on the producer), the first failure is kept and rethrown by the next `add` or by `drain`, and
 * `drain` settles every started task, so no promise outlives the handler.
 */
export class TaskGroup {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`limit must be at least 1 (found ${limit})`);
  }

  async add(task: () => Promise<unknown>): Promise<void> {
    this.throwIfFailed();
    while (this.running.size >= this.limit) {
      await Promise.race(this.running);
      this.throwIfFailed();
    }
    const tracked: Promise<void> = task().then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    const entry = tracked.finally(() => this.running.delete(entry));
    this.running.add(entry);
  }

  /** Waits for every started task; rethrows the first failure. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
    this.throwIfFailed();
  }

  get inFlight(): number {
    return this.running.size;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
