// SPDX-License-Identifier: Apache-2.0
import {
  CognitoIdentityProviderClient,
  ListUsersCommand,
  type ListUsersCommandInput,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { quietLogger } from '../../test-support/capture-logs';
import { cognitoClient, documentClient } from '../../utils/clients';
import { RateLimitedCognito } from '../../utils/cognito';
import { SlidingWindowLimiter } from '../../utils/limiter';
import { TimeBudget } from '../../utils/time-budget';
import { exportUsers } from '../lib/export-users';
import {
  allPartitions,
  decodeUsersCursor,
  encodeUsersCursor,
  PARTITIONED_CURSOR_PREFIX,
  partitionFilter,
  SUB_PREFIXES,
} from '../lib/user-partitions';
import { fakeClock, federatedUser, putItems, T0, throttlingError, user } from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const ddb = mockAws(DynamoDBDocumentClient);
const TABLE = 'backup-table';

describe('the ExportUsers continuation', () => {
  it('round-trips the unfinished partitions, started or not, in order', () => {
    const remaining = [{ key: '3', token: 'tok/3+=' }, { key: 'a' }, { key: 'f', token: 'x'.repeat(300) }];
    const encoded = encodeUsersCursor(remaining);
    expect(encoded.startsWith(PARTITIONED_CURSOR_PREFIX)).toBe(true);
    expect(decodeUsersCursor(encoded)).toEqual(remaining);
  });

  it('is empty when no partition is left, and an empty or absent one starts all 16', () => {
    expect(encodeUsersCursor([])).toBe('');
    expect(decodeUsersCursor('')).toEqual(allPartitions());
    expect(decodeUsersCursor(undefined).map((cursor) => cursor.key)).toEqual([...'0123456789abcdef']);
  });

  it('reads an old-format token as one unpartitioned listing, and writes it back in that format', () => {
    const old = 'AAEAAbQOLVqXbSp0zwvz/2EsImNvbnRpbnVhdGlvbiI6InRva2VuIn0=';
    expect(decodeUsersCursor(old)).toEqual([{ key: '', token: old }]);
    expect(partitionFilter('')).toBeUndefined();
    expect(encodeUsersCursor([{ key: '', token: old }])).toBe(old);
  });

  it('filters each partition by its sub prefix', () => {
    expect(SUB_PREFIXES.map(partitionFilter)).toEqual(SUB_PREFIXES.map((p) => `sub ^= "${p}"`));
  });

  it.each([
    ['not base64 JSON', `${PARTITIONED_CURSOR_PREFIX}%%%`],
    ['no partition', encodeUsersCursor([]) || `${PARTITIONED_CURSOR_PREFIX}W10`],
    [
      'an unknown partition',
      `${PARTITIONED_CURSOR_PREFIX}${Buffer.from('[["g",null]]').toString('base64url')}`,
    ],
    [
      'a partition twice',
      `${PARTITIONED_CURSOR_PREFIX}${Buffer.from('[["1",null],["1","t"]]').toString('base64url')}`,
    ],
    ['an empty token', `${PARTITIONED_CURSOR_PREFIX}${Buffer.from('[["1",""]]').toString('base64url')}`],
  ])('refuses a cursor with %s', (_label, cursor) => {
    expect(() => decodeUsersCursor(cursor)).toThrow('paginationToken is not a cursor this function wrote');
  });
});

/** A pool of users whose subs spread over the partitions; ListUsers pages each filter separately. */
function fakePool(count: number, pageSize: number, options: { failToken?: string } = {}) {
  const calls = { inFlight: 0, peak: 0 };
  const users: UserType[] = Array.from({ length: count }, (_, i) => {
    const base = user(i + 1);
    const sub = `${(i % 15).toString(16)}${String(i).padStart(7, '0')}-0000-4000-8000-000000000000`;
    const attributes = (base.Attributes ?? []).map((a) =>
      a.Name === 'sub' ? { Name: 'sub', Value: sub } : a,
    );
    return i === 7 ? federatedUser(i + 1) : { ...base, Attributes: attributes };
  });
  const subOf = (u: UserType): string => u.Attributes?.find((a) => a.Name === 'sub')?.Value ?? '';
  cognito.on(ListUsersCommand).callsFake(async (input: ListUsersCommandInput) => {
    const prefix = /^sub \^= "(.)"$/.exec(input.Filter ?? '')?.[1] ?? '';
    const token = input.PaginationToken;
    calls.inFlight += 1;
    calls.peak = Math.max(calls.peak, calls.inFlight);
    // A round trip: the other streams get their turn before this answer arrives.
    await new Promise((resolve) => setImmediate(resolve));
    calls.inFlight -= 1;
    if (token !== undefined && token === options.failToken) throw throttlingError();
    const start = token === undefined ? 0 : Number(token.split('@')[1]);
    if (token !== undefined && token.split('@')[0] !== prefix) throw new Error('token of another filter');
    const matching = users.filter((u) => subOf(u).startsWith(prefix));
    const page = matching.slice(start, start + pageSize);
    const next = start + pageSize < matching.length ? `${prefix}@${start + pageSize}` : undefined;
    return { Users: page, PaginationToken: next };
  });
  return { users, subOf, calls };
}

function deps(clock: ReturnType<typeof fakeClock>, remainingMs?: () => number, tps = 25, maxAttempts = 3) {
  const retry = { now: clock.now, sleep: clock.sleep, random: () => 0.5 };
  return {
    cognito: new RateLimitedCognito(cognitoClient(), new SlidingWindowLimiter(tps, clock.now, clock.sleep), {
      ...retry,
      maxAttempts,
    }),
    ddb: documentClient(),
    logger: quietLogger(),
    budget: new TimeBudget(remainingMs ? { getRemainingTimeInMillis: remainingMs } : undefined, clock.now),
    now: clock.now,
    batchRetry: retry,
    config: { userPoolId: 'pool', tableName: TABLE, typeUser: 'USER-x', region: 'us-east-1' },
  };
}

const writtenIds = (): string[] => putItems(ddb, TABLE).map((item) => String(item.id));

describe('exportUsers over sub partitions', () => {
  beforeEach(() => {
    cognito.reset();
    ddb.reset();
    ddb.on(BatchWriteCommand).resolves({});
  });

  it('exports every non-federated user once; the partition "f" that holds no user ends at once', async () => {
    const clock = fakeClock();
    const { users, subOf } = fakePool(200, 7);
    const output = await exportUsers({}, deps(clock));
    expect(output.result.paginationToken).toBe('');
    const expected = users.filter((u) => u.UserStatus !== 'EXTERNAL_PROVIDER').map((u) => `USER-${subOf(u)}`);
    expect(writtenIds().sort()).toEqual(expected.sort());
    expect(output.totalUserProcessedCount).toBe(199);
    const emptyPartition = cognito
      .commandCalls(ListUsersCommand)
      .filter((call) => call.args[0].input.Filter === 'sub ^= "f"');
    expect(emptyPartition).toHaveLength(1);
  });

  it('lists the partitions at once, all through the one limiter', async () => {
    const clock = fakeClock();
    const { calls } = fakePool(200, 7);
    const limiter = new SlidingWindowLimiter(10, clock.now, clock.sleep);
    const starts: number[] = [];
    const counting = {
      acquire: async (operation?: string) => {
        await limiter.acquire(operation);
        starts.push(clock.now());
      },
    };
    const d = deps(clock);
    await exportUsers({}, { ...d, cognito: new RateLimitedCognito(cognitoClient(), counting, {}) });
    expect(calls.peak).toBeGreaterThanOrEqual(10);
    for (const start of starts) {
      expect(starts.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(10);
    }
    // 15 partitions of 13 or 14 users at 7 a page (2 pages each) and the empty "f": 31 calls,
    // admitted 10 a second, so the last one starts 3 s in; the only waits are the limiter's.
    expect(starts).toHaveLength(31);
    expect((starts.at(-1) as number) - T0).toBe(3000);
    expect(clock.slept()).toBe(limiter.waitedMs);
  });

  it('resumes mid-partition across invocations without skipping or repeating a page', async () => {
    const clock = fakeClock();
    const { users, subOf } = fakePool(200, 7);
    let remaining = 61_000;
    const budget = () => remaining;
    // Every ListUsers call costs 100 ms of the budget: the first invocation stops mid-partition.
    const d = deps(clock, budget);
    const seen: string[] = [];
    cognito.on(ListUsersCommand).callsFake((input: ListUsersCommandInput) => {
      remaining -= 100;
      seen.push(`${input.Filter}|${input.PaginationToken}`);
      const prefix = /^sub \^= "(.)"$/.exec(input.Filter ?? '')?.[1] ?? '';
      const start = input.PaginationToken === undefined ? 0 : Number(input.PaginationToken.split('@')[1]);
      const matching = users.filter((u) => subOf(u).startsWith(prefix));
      const next = start + 7 < matching.length ? `${prefix}@${start + 7}` : undefined;
      return { Users: matching.slice(start, start + 7), PaginationToken: next };
    });

    const first = await exportUsers({}, d);
    const cursor = first.result.paginationToken;
    expect(cursor.startsWith(PARTITIONED_CURSOR_PREFIX)).toBe(true);
    const left = decodeUsersCursor(cursor);
    expect(left.some((partition) => partition.token !== undefined)).toBe(true);

    remaining = 600_000;
    let invocations = 1;
    let event = { ...first.result };
    while (event.paginationToken !== '') {
      invocations += 1;
      event = (await exportUsers(event, d)).result;
    }
    expect(invocations).toBeGreaterThan(1);
    expect(new Set(seen).size).toBe(seen.length); // no page listed twice
    const expected = users.filter((u) => u.UserStatus !== 'EXTERNAL_PROVIDER').map((u) => `USER-${subOf(u)}`);
    expect(writtenIds().sort()).toEqual(expected.sort()); // none skipped, none written twice
    expect(event.ExportTimestamp).toBe(T0);
  });

  it('fails when a partition page still fails after its retries, once every started write has settled', async () => {
    const clock = fakeClock();
    fakePool(200, 7, { failToken: '3@7' });
    let writesInFlight = 0;
    let writesStarted = 0;
    ddb.on(BatchWriteCommand).callsFake(async () => {
      writesInFlight += 1;
      writesStarted += 1;
      await new Promise((resolve) => setImmediate(resolve));
      writesInFlight -= 1;
      return {};
    });
    await expect(exportUsers({}, deps(clock))).rejects.toThrow('Rate exceeded');
    expect(writesStarted).toBeGreaterThan(0);
    expect(writesInFlight).toBe(0);
    const failing = cognito
      .commandCalls(ListUsersCommand)
      .filter((call) => call.args[0].input.PaginationToken === '3@7');
    expect(failing).toHaveLength(3); // every attempt of the retry policy
  });

  it('returns the partitions left when throttling outlasts the budget, and the next invocation finishes them', async () => {
    const clock = fakeClock();
    const { users, subOf } = fakePool(200, 7);
    let throttled = true;
    cognito.on(ListUsersCommand, { PaginationToken: '3@7' }).callsFake(() => {
      if (throttled) throw throttlingError();
      return { Users: users.filter((u) => subOf(u).startsWith('3')).slice(7, 14) };
    });
    const first = await exportUsers(
      {},
      deps(clock, () => T0 + 62_000 - clock.now(), 25, 50),
    );
    const left = decodeUsersCursor(first.result.paginationToken);
    expect(left).toContainEqual({ key: '3', token: '3@7' });
    throttled = false;
    const second = await exportUsers(first.result, deps(clock));
    expect(second.result.paginationToken).toBe('');
    const expected = users.filter((u) => u.UserStatus !== 'EXTERNAL_PROVIDER').map((u) => `USER-${subOf(u)}`);
    expect([...new Set(writtenIds())].sort()).toEqual(expected.sort());
  });
});
