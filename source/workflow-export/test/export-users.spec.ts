// SPDX-License-Identifier: Apache-2.0
import {
  CognitoIdentityProviderClient,
  ListUsersCommand,
  NotAuthorizedException,
  type ListUsersCommandInput,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  type BatchWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs, quietLogger, type CapturedLogs } from '../../test-support/capture-logs';
import type { FakeClock } from '../../test-support/fake-clock';
import { lambdaContext } from '../../test-support/lambda-context';
import { fakeRuntime } from '../../test-support/runtime';
import type { Env } from '../../utils/config';
import { documentClient, cognitoClient } from '../../utils/clients';
import { RateLimitedCognito } from '../../utils/cognito';
import { SlidingWindowLimiter } from '../../utils/limiter';
import { DeadlineExceededError } from '../../utils/retry';
import { TimeBudget } from '../../utils/time-budget';
import { createHandler, ENVIRONMENT } from '../export-users';
import { exportUsers } from '../lib/export-users';
import type { ExportUsersEvent } from '../lib/types';
import { encodeUsersCursor } from '../lib/user-partitions';
import {
  deferred,
  fakeClock,
  federatedUser,
  injectedRetryableError,
  personalValues,
  putItems,
  T0,
  throttlingError,
  ticks,
  user,
} from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const ddb = mockAws(DynamoDBDocumentClient);

const TABLE = 'backup-table';
const ENV = {
  COGNITO_TPS: '10',
  USER_POOL_ID: 'us-east-1_pool',
  TABLE_NAME: TABLE,
  TYPE_USER: 'USER-instance-uuid',
  AWS_REGION: 'us-east-1',
};
const TEN_MINUTES = 600_000;

interface PageSpec {
  users: UserType[];
  next?: string;
}

/** The filters the page chain of `servePages` answers: partition "0", and an old-format (unfiltered) listing. */
const CHAIN_FILTERS: (string | undefined)[] = [undefined, 'sub ^= "0"'];

/**
 * ListUsers answers partition "0" (and an unfiltered listing) by PaginationToken (`first` = no token);
 * every other partition is empty.
 */
function servePages(pages: Record<string, PageSpec>, onCall?: (token: string | undefined) => void): void {
  cognito.on(ListUsersCommand).callsFake((input: ListUsersCommandInput) => {
    if (!CHAIN_FILTERS.includes(input.Filter)) return { Users: [] };
    onCall?.(input.PaginationToken);
    const page = pages[input.PaginationToken ?? 'first'];
    if (!page) throw new Error(`unexpected token ${input.PaginationToken}`);
    return { Users: page.users, PaginationToken: page.next };
  });
}

const writtenItems = (): Record<string, unknown>[] => putItems(ddb, TABLE);

const listedTokens = (): (string | undefined)[] =>
  cognito
    .commandCalls(ListUsersCommand)
    .filter((call) => CHAIN_FILTERS.includes(call.args[0].input.Filter))
    .map((call) => call.args[0].input.PaginationToken);

/** The continuation of a run whose only unfinished partition is "0", resuming at `token`. */
const resumeAt = (token: string): string => encodeUsersCursor([{ key: '0', token }]);

let clock: FakeClock;
let logs: CapturedLogs;
const run = (
  event: ExportUsersEvent | undefined,
  context?: { getRemainingTimeInMillis(): number },
  env: Env = ENV,
) => createHandler(fakeRuntime(clock, env, { write: logs.write }))(event, context);

beforeEach(() => {
  cognito.reset();
  ddb.reset();
  ddb.on(BatchWriteCommand).resolves({});
  clock = fakeClock();
  logs = captureLogs();
});

describe('export-users', () => {
  it('declares exactly the variables it reads, with the template names', () => {
    expect(Object.keys(ENVIRONMENT).sort()).toEqual([
      'AWS_REGION',
      'COGNITO_TPS',
      'TABLE_NAME',
      'TYPE_USER',
      'USER_POOL_ID',
    ]);
  });

  it('writes every non-federated user of the pool as a backup-table user item and ends with an empty token', async () => {
    servePages({
      first: {
        users: [user(1), federatedUser(2), user(3, { Enabled: false, UserStatus: 'RESET_REQUIRED' })],
      },
    });

    const output = await run({ UsernameAttributes: '["email"]' });

    expect(output).toEqual({
      result: { paginationToken: '', UsernameAttributes: '["email"]', ExportTimestamp: T0 },
      totalUserProcessedCount: 2,
    });
    expect(cognito).toHaveReceivedCommandWith(ListUsersCommand, {
      UserPoolId: 'us-east-1_pool',
      Limit: 60,
      Filter: 'sub ^= "0"',
    });
    expect(cognito.commandCalls(ListUsersCommand)).toHaveLength(16);
    expect(listedTokens()).toEqual([undefined]);
    expect(writtenItems()).toEqual([
      {
        id: 'USER-sub-1',
        type: 'USER-instance-uuid',
        username: 'username-1',
        pseudoUsername: 'person1@example.com',
        userAttributes: user(1).Attributes,
        userEnabled: true,
        userStatus: 'CONFIRMED',
        lastConfirmedInUserPool: T0,
        lastUpdatedRegion: 'us-east-1',
      },
      {
        id: 'USER-sub-3',
        type: 'USER-instance-uuid',
        username: 'username-3',
        pseudoUsername: 'person3@example.com',
        userAttributes: user(3).Attributes,
        userEnabled: false,
        userStatus: 'RESET_REQUIRED',
        lastConfirmedInUserPool: T0,
        lastUpdatedRegion: 'us-east-1',
      },
    ]);
  });

  it("adds the user's SMS MFA setting (userMFAOptions) only when ListUsers reports one", async () => {
    const sms = [{ DeliveryMedium: 'SMS' as const, AttributeName: 'phone_number' }];
    servePages({ first: { users: [user(1, { MFAOptions: sms }), user(2, { MFAOptions: [] }), user(3)] } });
    await run({ UsernameAttributes: '["email"]' });
    const items = writtenItems();
    expect(items[0]).toEqual(expect.objectContaining({ id: 'USER-sub-1', userMFAOptions: sms }));
    expect(items[1]).not.toHaveProperty('userMFAOptions');
    expect(items[2]).not.toHaveProperty('userMFAOptions');
  });

  it('returns an empty token and no UsernameAttributes key for an empty pool', async () => {
    servePages({ first: { users: [] } });
    const output = await run({});
    expect(output).toEqual({
      result: { paginationToken: '', ExportTimestamp: T0 },
      totalUserProcessedCount: 0,
    });
    expect(JSON.parse(JSON.stringify(output.result))).not.toHaveProperty('UsernameAttributes');
    expect(ddb).not.toHaveReceivedCommand(BatchWriteCommand);
  });

  it.each([
    ['no UsernameAttributes', undefined, 'username-7'],
    ['an empty list', '[]', 'username-7'],
    ['email', '["email"]', 'person7@example.com'],
    ['phone_number', '["phone_number"]', '+15550100007'],
  ])('derives the pseudoUsername for a pool with %s', async (_label, usernameAttributes, expected) => {
    servePages({ first: { users: [user(7)] } });
    await run({ UsernameAttributes: usernameAttributes });
    expect(writtenItems()[0]?.pseudoUsername).toBe(expected);
  });

  it('starts a new run when invoked without an event', async () => {
    servePages({ first: { users: [user(1)] } });
    expect(await run(undefined)).toEqual({
      result: { paginationToken: '', ExportTimestamp: T0 },
      totalUserProcessedCount: 1,
    });
  });

  it('skips federated users and counts only exported ones', async () => {
    servePages({ first: { users: [federatedUser(1), federatedUser(2)] } });
    const output = await run({});
    expect(output.totalUserProcessedCount).toBe(0);
    expect(ddb).not.toHaveReceivedCommand(BatchWriteCommand);
  });

  it('splits a page into BatchWriteItem requests of at most 25 items', async () => {
    const users = Array.from({ length: 60 }, (_, i) => user(i + 1));
    servePages({ first: { users } });
    const output = await run({});
    const sizes = ddb
      .commandCalls(BatchWriteCommand)
      .map((call) => (call.args[0].input as BatchWriteCommandInput).RequestItems?.[TABLE]?.length);
    expect(sizes).toEqual([25, 25, 10]);
    expect(output.totalUserProcessedCount).toBe(60);
    expect(new Set(writtenItems().map((item) => item.id)).size).toBe(60);
  });

  it('writes a repeated user of one page once (a batch may not name a key twice)', async () => {
    servePages({ first: { users: [user(1), user(1)] } });
    await run({});
    expect(writtenItems().map((item) => item.id)).toEqual(['USER-sub-1']);
  });

  describe('pagination across invocations', () => {
    const pages: Record<string, PageSpec> = {
      first: { users: [user(1), user(2)], next: 'token-2' },
      'token-2': { users: [user(3), federatedUser(9), user(4)], next: 'token-3' },
      'token-3': { users: [user(5)] },
    };

    it('returns the token when at most 60 s remain, and the next invocation resumes from it', async () => {
      servePages(pages);

      const first = await run({ UsernameAttributes: '["email"]' }, lambdaContext(clock, 60_000));
      expect(first).toEqual({
        result: {
          paginationToken: resumeAt('token-2'),
          UsernameAttributes: '["email"]',
          ExportTimestamp: T0,
        },
        totalUserProcessedCount: 2,
      });

      clock.advance(1000); // the state machine's Wait state
      const second = await run(first.result, lambdaContext(clock, TEN_MINUTES));
      expect(second).toEqual({
        result: { paginationToken: '', UsernameAttributes: '["email"]', ExportTimestamp: T0 },
        totalUserProcessedCount: 3,
      });

      expect(listedTokens()).toEqual([undefined, 'token-2', 'token-3']);
      const ids = writtenItems().map((item) => item.id);
      expect(ids.sort()).toEqual(['USER-sub-1', 'USER-sub-2', 'USER-sub-3', 'USER-sub-4', 'USER-sub-5']);
      expect(writtenItems().every((item) => item.lastConfirmedInUserPool === T0)).toBe(true);
      expect(writtenItems().map((item) => item.pseudoUsername)).toContain('person5@example.com');
    });

    it('continues while more than 60 s remain and stops at the first page after that', async () => {
      const many: Record<string, PageSpec> = {
        first: { users: [user(1)], next: 't2' },
        t2: { users: [user(2)], next: 't3' },
        t3: { users: [user(3)], next: 't4' },
        t4: { users: [user(4)] },
      };
      servePages(many, () => clock.advance(1000)); // each ListUsers call takes a second
      // At 25 calls a second the limiter never waits here: the budget is spent on the calls alone.
      const output = await run({}, lambdaContext(clock, 62_500), { ...ENV, COGNITO_TPS: '25' });
      // 61.5 s left after page 1, 60.5 s after page 2, 59.5 s after page 3: stop there.
      expect(output.result.paginationToken).toBe(resumeAt('t4'));
      expect(listedTokens()).toEqual([undefined, 't2', 't3']);
      expect(output.totalUserProcessedCount).toBe(3);
    });

    it('lists one page even when the invocation starts with less than a minute left', async () => {
      servePages(pages);
      const output = await run({}, lambdaContext(clock, 1000));
      expect(output.result.paginationToken).toBe(resumeAt('token-2'));
      expect(output.totalUserProcessedCount).toBe(2);
    });

    it('keeps the run timestamp of a continuation and refuses a continuation without one', async () => {
      servePages(pages);
      clock.advance(5000);
      const output = await run({ paginationToken: 'token-3', ExportTimestamp: T0 });
      expect(output.result.ExportTimestamp).toBe(T0);
      expect(writtenItems()[0]?.lastConfirmedInUserPool).toBe(T0);

      await expect(run({ paginationToken: 'token-3' })).rejects.toThrow(
        'Error validating Event Payload. Missing value for ExportTimestamp',
      );
    });
  });

  it('does not end the export at an empty page that carries a token', async () => {
    servePages({
      first: { users: [user(1)], next: 'empty-page' },
      'empty-page': { users: [], next: 'last-page' },
      'last-page': { users: [user(2)] },
    });
    const output = await run({});
    expect(listedTokens()).toEqual([undefined, 'empty-page', 'last-page']);
    expect(output.result.paginationToken).toBe('');
    expect(writtenItems().map((item) => item.id)).toEqual(['USER-sub-1', 'USER-sub-2']);
  });

  describe('retries', () => {
    it.each([
      ['an SDK v3 throttling error', throttlingError],
      ['an injected retryable: true error', injectedRetryableError],
    ])('retries the same page after %s and then succeeds', async (_label, makeError) => {
      cognito
        .on(ListUsersCommand)
        .rejectsOnce(makeError())
        .resolves({ Users: [user(1)] });
      const output = await run({ paginationToken: 'token-5', ExportTimestamp: T0 });
      expect(listedTokens()).toEqual(['token-5', 'token-5']);
      expect(output).toEqual({
        result: { paginationToken: '', ExportTimestamp: T0 },
        totalUserProcessedCount: 1,
      });
      expect(clock.sleeps).toHaveLength(1);
    });

    it('backs off longer on every retry', async () => {
      cognito
        .on(ListUsersCommand)
        .rejectsOnce(throttlingError())
        .rejectsOnce(throttlingError())
        .rejectsOnce(throttlingError())
        .resolves({ Users: [] });
      await run({ paginationToken: 'old-format-token', ExportTimestamp: T0 });
      expect(clock.sleeps).toHaveLength(3);
      expect(clock.sleeps[1]).toBeGreaterThan(clock.sleeps[0] as number);
      expect(clock.sleeps[2]).toBeGreaterThan(clock.sleeps[1] as number);
    });

    it('fails at once on an error that is not retryable, with its message', async () => {
      cognito.on(ListUsersCommand).rejects(new Error('ERROR - listUsers'));
      await expect(run({})).rejects.toThrow('ERROR - listUsers');

      cognito.reset();
      cognito
        .on(ListUsersCommand)
        .rejects(
          new NotAuthorizedException({ message: 'Access denied', $metadata: { httpStatusCode: 400 } }),
        );
      await expect(run({})).rejects.toThrow('Access denied');
      // One attempt per partition, none retried.
      const filters = cognito.commandCalls(ListUsersCommand).map((call) => call.args[0].input.Filter);
      expect(new Set(filters).size).toBe(filters.length);
    });

    it('returns a clean continuation when the budget runs out while retrying a page', async () => {
      servePages({ first: { users: [user(1)], next: 'token-2' } });
      cognito.on(ListUsersCommand, { PaginationToken: 'token-2' }).rejects(throttlingError());
      // 61 s left: page 1 is listed, then the retries of page 2 may only sleep one more second.
      const output = await run({}, lambdaContext(clock, 61_000));
      expect(output).toEqual({
        result: { paginationToken: resumeAt('token-2'), ExportTimestamp: T0 },
        totalUserProcessedCount: 1,
      });
      expect(writtenItems().map((item) => item.id)).toEqual(['USER-sub-1']);
      expect(clock.slept()).toBeLessThanOrEqual(1000);
    });

    it('fails when the budget runs out on the first page of a run (there is no token to resume from)', async () => {
      cognito.on(ListUsersCommand).rejects(throttlingError());
      await expect(run({}, lambdaContext(clock, 60_500))).rejects.toBeInstanceOf(DeadlineExceededError);
    });

    it('resends unprocessed items until DynamoDB takes them', async () => {
      servePages({ first: { users: [user(1), user(2)] } });
      ddb.reset();
      ddb
        .on(BatchWriteCommand)
        .resolvesOnce({ UnprocessedItems: { [TABLE]: [{ PutRequest: { Item: { id: 'USER-sub-2' } } }] } })
        .resolves({});
      const output = await run({});
      expect(output.totalUserProcessedCount).toBe(2);
      const calls = ddb.commandCalls(BatchWriteCommand);
      expect(calls).toHaveLength(2);
      expect(calls[1]?.args[0].input.RequestItems?.[TABLE]).toEqual([
        { PutRequest: { Item: { id: 'USER-sub-2' } } },
      ]);
    });
  });

  describe('failures', () => {
    it('fails with the BatchWriteItem error, after the pages being written have settled', async () => {
      servePages({ first: { users: [user(1)], next: 'token-2' }, 'token-2': { users: [user(2)] } });
      ddb.reset();
      ddb.on(BatchWriteCommand).rejects(new Error('ERROR - batchWrite'));
      await expect(run({})).rejects.toThrow('ERROR - batchWrite');
    });

    it('fails for a user without sub, and for a user without the username attribute', async () => {
      servePages({
        first: { users: [user(1, { Attributes: [{ Name: 'email', Value: 'a@example.com' }] })] },
      });
      await expect(run({})).rejects.toThrow('Unable to determine the sub attribute for user');

      cognito.reset();
      servePages({ first: { users: [user(2, { Attributes: [{ Name: 'sub', Value: 'sub-2' }] })] } });
      await expect(run({ UsernameAttributes: '["email"]' })).rejects.toThrow(
        'Unable to determine the pseudoUsername for the user',
      );
    });

    it.each([
      ['{"string":true, "string":42}', 'UsernameAttributes must be a JSON array of attribute names'],
      ['[1]', 'UsernameAttributes must be a JSON array of attribute names'],
      ['not json', 'UsernameAttributes is not valid JSON: expected an array of attribute names'],
    ])('rejects the UsernameAttributes value %s', async (value, message) => {
      servePages({ first: { users: [user(1)] } });
      await expect(run({ UsernameAttributes: value })).rejects.toThrow(message);
    });

    it('checks COGNITO_TPS with the original message, without a context', async () => {
      await expect(run({}, undefined, { ...ENV, COGNITO_TPS: 'invalid' })).rejects.toThrow(
        'Unable to parse a number from the COGNITO_TPS value (invalid)',
      );
      expect(cognito).not.toHaveReceivedCommand(ListUsersCommand);
    });

    it('names a missing variable', async () => {
      const { TABLE_NAME: _omitted, ...withoutTable } = ENV;
      await expect(run({}, undefined, withoutTable)).rejects.toThrow(
        'Error validating Environment Variables. Missing value for TABLE_NAME',
      );
    });
  });

  it('keeps no state between invocations', async () => {
    servePages({ first: { users: [user(1)] } });
    await run({ UsernameAttributes: '["email"]' });
    await run({});
    expect(writtenItems().map((item) => item.pseudoUsername)).toEqual(['person1@example.com', 'username-1']);
  });

  it('writes the users of a page while the next pages are listed', async () => {
    const events: string[] = [];
    const thirdPageRequested = deferred();
    let listCalls = 0;
    servePages(
      {
        first: { users: [user(1)], next: 'token-2' },
        'token-2': { users: [user(2)], next: 'token-3' },
        'token-3': { users: [user(3)] },
      },
      () => {
        listCalls += 1;
        events.push(`list ${listCalls}`);
        if (listCalls === 3) thirdPageRequested.resolve();
      },
    );
    let writeCalls = 0;
    ddb.on(BatchWriteCommand).callsFake(async () => {
      writeCalls += 1;
      const n = writeCalls;
      events.push(`write ${n} started`);
      // Finishes once the third page has been requested (or after a while, so a serial export fails the test).
      await Promise.race([thirdPageRequested.promise, ticks(50)]);
      events.push(`write ${n} finished`);
      return {};
    });

    const output = await run({});
    events.push('returned');

    expect(events.indexOf('write 1 started')).toBeLessThan(events.indexOf('list 2'));
    expect(events.indexOf('write 2 started')).toBeLessThan(events.indexOf('list 3'));
    expect(events.indexOf('write 1 finished')).toBeGreaterThan(events.indexOf('list 3'));
    expect(events.indexOf('write 3 finished')).toBeLessThan(events.indexOf('returned'));
    expect(output.totalUserProcessedCount).toBe(3);
  });

  it('never writes personal data to the log', async () => {
    const users = [user(1), user(2), federatedUser(3)];
    let throttled = false;
    servePages(
      { first: { users: users.slice(0, 2), next: 'token-2' }, 'token-2': { users: users.slice(2) } },
      (token) => {
        if (token === 'token-2' && !throttled) {
          throttled = true;
          throw throttlingError();
        }
      },
    );
    const output = await run({ UsernameAttributes: '["phone_number"]' }, lambdaContext(clock, TEN_MINUTES));
    expect(output.totalUserProcessedCount).toBe(2);
    expect(throttled).toBe(true);
    servePages({ first: { users: [user(4, { Attributes: [{ Name: 'sub', Value: 'sub-4' }] })] } });
    await expect(run({ UsernameAttributes: '["email"]' })).rejects.toThrow();

    const log = logs.text();
    expect(logs.lines.length).toBeGreaterThan(0);
    for (const value of personalValues([...users, user(4)])) expect(log).not.toContain(value);
    expect(log).not.toMatch(/@example\.com|\+1555/);
  });
});

describe('exportUsers with a shared limiter', () => {
  function deps(clock: FakeClock, tps: number) {
    const limiter = new SlidingWindowLimiter(tps, clock.now, clock.sleep);
    const retry = { now: clock.now, sleep: clock.sleep, random: () => 0.5 };
    return {
      limiter,
      deps: {
        cognito: new RateLimitedCognito(cognitoClient(), limiter, retry),
        ddb: documentClient(),
        logger: quietLogger(),
        budget: new TimeBudget(undefined, clock.now),
        now: clock.now,
        batchRetry: retry,
        config: { userPoolId: 'pool', tableName: TABLE, typeUser: 'USER-x', region: 'us-east-1' },
      },
    };
  }

  const fivePages: Record<string, PageSpec> = {
    first: { users: [user(1)], next: 't2' },
    t2: { users: [user(2)], next: 't3' },
    t3: { users: [user(3)], next: 't4' },
    t4: { users: [user(4)], next: 't5' },
    t5: { users: [user(5)] },
  };

  it('is delayed by the limiter and by nothing else', async () => {
    const clock = fakeClock();
    servePages(fivePages);
    const { limiter, deps: d } = deps(clock, 2);

    const output = await exportUsers({}, d);

    expect(output.totalUserProcessedCount).toBe(5);
    // 16 partitions' first pages and 4 more pages of partition "0": 20 calls, two per second, the
    // only waits are the limiter's (no window resets, no extra sleeps).
    const callTimes = cognito.commandCalls(ListUsersCommand).map((call) => call.args[0].input);
    expect(callTimes).toHaveLength(20);
    expect(clock.slept()).toBe(limiter.waitedMs);
    expect(clock.slept()).toBe(9000);
  });

  it('does not wait at all when the pages fit in the budget', async () => {
    const clock = fakeClock();
    servePages(fivePages);
    const { deps: d } = deps(clock, 20);
    await exportUsers({}, d);
    expect(clock.sleeps).toEqual([]);
  });
});
