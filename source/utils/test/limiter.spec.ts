// SPDX-License-Identifier: Apache-2.0
import { fakeClock } from '../../test-support/fake-clock';
import { CognitoQuotaLimiter, PreferringLimiter, SlidingWindowLimiter, type RateLimiter } from '../limiter';

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

describe('CognitoQuotaLimiter', () => {
  /** Runs `calls` concurrent acquisitions (operation names in turn) and returns each operation's starts. */
  async function run(
    limiter: CognitoQuotaLimiter,
    clock: ReturnType<typeof fakeClock>,
    operations: string[],
  ) {
    const starts = new Map<string, number[]>();
    const all: number[] = [];
    await Promise.all(
      operations.map((operation) =>
        limiter.acquire(operation).then(() => {
          const list = starts.get(operation) ?? [];
          list.push(clock.now());
          starts.set(operation, list);
          all.push(clock.now());
        }),
      ),
    );
    return { starts, all };
  }

  it.each([
    [25, 'CreateGroup', 5],
    [25, 'ListGroups', 5],
    [25, 'GetCSVHeader', 5],
    [25, 'DescribeUserPool', 15],
    [25, 'AdminAddUserToGroup', 25],
    [25, 'ListUsers', 25],
    [10, 'ListUsers', 10],
    [1, 'CreateGroup', 1],
  ])('at COGNITO_TPS %i keeps %s within %i calls in any one-second window', async (tps, operation, bound) => {
    const clock = fakeClock(1_000_000);
    const limiter = new CognitoQuotaLimiter(tps, clock.now, clock.sleep);
    expect(limiter.effectiveRate(operation)).toBe(bound);
    const { all } = await run(
      limiter,
      clock,
      Array.from({ length: bound * 6 + 1 }, () => operation),
    );
    expect(maxInAnyWindow(all)).toBe(bound);
    // At the bound, not below it: six full seconds of calls plus the one that opens the seventh.
    expect(Math.max(...all) - Math.min(...all)).toBeLessThan(7000);
    expect(Math.max(...all) - Math.min(...all)).toBeGreaterThanOrEqual(6000);
  });

  it('keeps each operation under its quota and the mix under COGNITO_TPS', async () => {
    const clock = fakeClock(1_000_000);
    const limiter = new CognitoQuotaLimiter(20, clock.now, clock.sleep);
    const operations = Array.from({ length: 300 }, (_, i) =>
      i % 3 === 0 ? 'CreateGroup' : i % 3 === 1 ? 'AdminAddUserToGroup' : 'StartUserImportJob',
    );
    const { starts, all } = await run(limiter, clock, operations);
    expect(maxInAnyWindow(starts.get('CreateGroup') ?? [])).toBe(5);
    expect(maxInAnyWindow(starts.get('StartUserImportJob') ?? [])).toBe(5);
    // CreateGroup and StartUserImportJob share UserPoolResourceUpdate (15) and fit in it together.
    expect(maxInAnyWindow(all)).toBeLessThanOrEqual(20);
    expect(starts.get('AdminAddUserToGroup')).toHaveLength(100);
  });

  it('a slow operation does not hold back the others', async () => {
    const clock = fakeClock(1_000_000);
    const limiter = new CognitoQuotaLimiter(25, clock.now, clock.sleep);
    const operations = [
      ...Array.from({ length: 50 }, () => 'CreateGroup'),
      ...Array.from({ length: 25 }, () => 'AdminAddUserToGroup'),
    ];
    const { starts } = await run(limiter, clock, operations);
    // The 25 memberships fit beside the first five groups in the first second.
    expect(Math.max(...(starts.get('AdminAddUserToGroup') ?? [])) - 1_000_000).toBeLessThan(1000);
    expect(maxInAnyWindow(starts.get('CreateGroup') ?? [])).toBe(5);
  });

  it('the category window covers every operation of the category together', async () => {
    const clock = fakeClock(1_000_000);
    const limiter = new CognitoQuotaLimiter(25, clock.now, clock.sleep);
    const operations = Array.from(
      { length: 120 },
      (_, i) => ['CreateGroup', 'CreateUserImportJob', 'StartUserImportJob', 'ListGroups'][i % 4] as string,
    );
    const { starts } = await run(limiter, clock, operations);
    const update = [
      ...(starts.get('CreateGroup') ?? []),
      ...(starts.get('CreateUserImportJob') ?? []),
      ...(starts.get('StartUserImportJob') ?? []),
    ].sort((a, b) => a - b);
    expect(maxInAnyWindow(update)).toBeLessThanOrEqual(15);
    for (const operation of ['CreateGroup', 'CreateUserImportJob', 'StartUserImportJob', 'ListGroups'])
      expect(maxInAnyWindow(starts.get(operation) ?? [])).toBe(5);
  });

  it('an operation without a known category only takes the shared window', async () => {
    const clock = fakeClock(1_000_000);
    const limiter = new CognitoQuotaLimiter(3, clock.now, clock.sleep);
    const { all } = await run(limiter, clock, ['Unknown', 'Unknown', 'Unknown', 'Unknown']);
    expect(maxInAnyWindow(all)).toBe(3);
    expect(limiter.admitted).toBe(4);
  });
});

describe('PreferringLimiter', () => {
  const MEMBERS = new Set(['ListUsersInGroup']);

  it('admits a waiting page of the preferred chain before the other calls that waited longer, within the bound', async () => {
    const clock = fakeClock(1_000_000);
    const limiter = new PreferringLimiter(new SlidingWindowLimiter(2, clock.now, clock.sleep), MEMBERS);
    const order: string[] = [];
    const starts: number[] = [];
    const call = (name: string, operation: string) =>
      limiter.acquire(operation).then(() => {
        order.push(name);
        starts.push(clock.now());
      });
    await Promise.all([
      ...['users-1', 'users-2', 'users-3', 'users-4'].map((name) => call(name, 'ListUsers')),
      call('members-1', 'ListUsersInGroup'),
      call('groups-1', 'ListGroups'),
      call('members-2', 'ListUsersInGroup'),
    ]);
    // The first call was handed on before the others came; then both member pages, then the rest in order.
    expect(order).toEqual(['users-1', 'members-1', 'members-2', 'users-2', 'users-3', 'users-4', 'groups-1']);
    expect(maxInAnyWindow(starts)).toBe(2);
  });

  it('fails only the call whose slot failed, and serves the next', async () => {
    let calls = 0;
    const inner: RateLimiter = {
      acquire: () => {
        calls += 1;
        return calls === 2 ? Promise.reject(new Error('deadline')) : Promise.resolve();
      },
    };
    const limiter = new PreferringLimiter(inner, MEMBERS);
    const outcomes = await Promise.allSettled([
      limiter.acquire('ListUsers'),
      limiter.acquire('ListUsers'),
      limiter.acquire('ListUsersInGroup'),
      limiter.acquire(),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(calls).toBe(4);
  });
});
