// SPDX-License-Identifier: Apache-2.0
import { TaskGroup } from '../concurrency';

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
}

describe('TaskGroup', () => {
  it('runs at most `limit` tasks at once and waits for all on drain', async () => {
    const group = new TaskGroup(2);
    const gates = [deferred(), deferred(), deferred()];
    const finished: number[] = [];
    await group.add(() => gates[0]!.promise.then(() => finished.push(0)));
    await group.add(() => gates[1]!.promise.then(() => finished.push(1)));
    expect(group.inFlight).toBe(2);
    const third = group.add(() => gates[2]!.promise.then(() => finished.push(2)));
    let thirdStarted = false;
    void third.then(() => (thirdStarted = true));
    await Promise.resolve();
    expect(thirdStarted).toBe(false);
    gates[1]!.resolve();
    await third;
    expect(group.inFlight).toBe(2);
    gates[0]!.resolve();
    gates[2]!.resolve();
    await group.drain();
    expect(finished.sort()).toEqual([0, 1, 2]);
    expect(group.inFlight).toBe(0);
  });

  it('rethrows the first failure on drain after settling every task', async () => {
    const group = new TaskGroup(3);
    const failing = deferred();
    const slow = deferred();
    let slowDone = false;
    await group.add(() => failing.promise);
    await group.add(() => slow.promise.then(() => (slowDone = true)));
    const drained = group.drain();
    failing.reject(new Error('first'));
    await Promise.resolve();
    slow.resolve();
    await expect(drained).rejects.toThrow('first');
    expect(slowDone).toBe(true);
  });

  it('refuses new work once a task failed', async () => {
    const group = new TaskGroup(1);
    await group.add(() => Promise.reject(new Error('boom')));
    await expect(group.add(() => Promise.resolve())).rejects.toThrow('boom');
  });

  it('rejects a limit below one', () => {
    expect(() => new TaskGroup(0)).toThrow('limit must be at least 1 (found 0)');
  });
});
