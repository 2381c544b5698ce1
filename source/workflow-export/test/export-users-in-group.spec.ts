// SPDX-License-Identifier: Apache-2.0
import {
  CognitoIdentityProviderClient,
  ListGroupsCommand,
  ListUsersInGroupCommand,
  ResourceNotFoundException,
  type ListUsersInGroupCommandInput,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs, type CapturedLogs } from '../../test-support/capture-logs';
import type { FakeClock } from '../../test-support/fake-clock';
import { lambdaContext } from '../../test-support/lambda-context';
import { fakeRuntime } from '../../test-support/runtime';
import type { Env } from '../../utils/config';
import { createHandler, ENVIRONMENT } from '../export-users-in-group';
import { encodeGroupsCursor } from '../lib/group-cursor';
import { decodePrefetchedGroups } from '../lib/prefetched-groups';
import type { ExportUsersInGroupEvent, GroupsPageOutput } from '../lib/types';
import {
  fakeClock,
  federatedUser,
  injectedRetryableError,
  personalValues,
  putItems,
  T0,
  throttlingError,
  ticks,
  user,
  groupsLoopEnv,
  TABLE,
} from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const ddb = mockAws(DynamoDBDocumentClient);

const ENV = groupsLoopEnv(10);
const RUN = T0 - 120_000;

interface PageSpec {
  users: UserType[];
  next?: string;
}

function servePages(pages: Record<string, PageSpec>, onCall?: (token: string | undefined) => void): void {
  cognito.on(ListUsersInGroupCommand).callsFake((input: ListUsersInGroupCommandInput) => {
    onCall?.(input.NextToken);
    const page = pages[input.NextToken ?? 'first'];
    if (!page) throw new Error(`unexpected token ${input.NextToken}`);
    return { Users: page.users, NextToken: page.next };
  });
}

const writtenItems = (): Record<string, unknown>[] => putItems(ddb, TABLE);

const listedTokens = (): (string | undefined)[] =>
  cognito.commandCalls(ListUsersInGroupCommand).map((call) => call.args[0].input.NextToken);

const event = (overrides: ExportUsersInGroupEvent = {}): ExportUsersInGroupEvent => ({
  groupName: 'admins',
  exportTimestamp: RUN,
  ...overrides,
});

let clock: FakeClock;
let logs: CapturedLogs;
const run = (
  e: ExportUsersInGroupEvent | undefined,
  context?: { getRemainingTimeInMillis(): number },
  env: Env = ENV,
) => createHandler(fakeRuntime(clock, env, { write: logs.write }))(e, context);

beforeEach(() => {
  cognito.reset();
  ddb.reset();
  ddb.on(BatchWriteCommand).resolves({});
  clock = fakeClock();
  logs = captureLogs();
});

describe('export-users-in-group', () => {
  it('declares exactly the variables it reads', () => {
    expect(Object.keys(ENVIRONMENT).sort()).toEqual([
      'AWS_REGION',
      'BACKUP_TABLE_NAME',
      'COGNITO_TPS',
      'TYPE_GROUP',
      'USER_POOL_ID',
    ]);
  });

  it('writes one backup-table membership item per non-federated member and reports the group done', async () => {
    servePages({ first: { users: [user(1), federatedUser(2), user(3)] } });

    const output = await run(event({ UsernameAttributes: '["email"]' }));

    expect(output).toEqual({
      exportTimestamp: RUN,
      groupName: 'admins',
      processedAllUsersInGroup: 'Yes',
      UsernameAttributes: '["email"]',
    });
    expect(cognito).toHaveReceivedCommandWith(ListUsersInGroupCommand, {
      UserPoolId: 'us-east-1_pool',
      GroupName: 'admins',
      Limit: 60,
    });
    expect(writtenItems()).toEqual([
      {
        id: 'GROUP_MEMBER-admins',
        type: 'GROUP_MEMBER-sub-1',
        groupUser: 'username-1',
        groupPseudoUsername: 'person1@example.com',
        groupName: 'admins',
        lastConfirmedInUserPool: RUN,
        lastUpdatedRegion: 'eu-west-1',
      },
      {
        id: 'GROUP_MEMBER-admins',
        type: 'GROUP_MEMBER-sub-3',
        groupUser: 'username-3',
        groupPseudoUsername: 'person3@example.com',
        groupName: 'admins',
        lastConfirmedInUserPool: RUN,
        lastUpdatedRegion: 'eu-west-1',
      },
    ]);
  });

  it.each([
    ['no UsernameAttributes', undefined, 'username-4'],
    ['an empty list', '[]', 'username-4'],
    ['email', '["email"]', 'person4@example.com'],
    ['phone_number', '["phone_number"]', '+15550100004'],
  ])('derives groupPseudoUsername for a pool with %s', async (_label, usernameAttributes, expected) => {
    servePages({ first: { users: [user(4)] } });
    await run(event({ UsernameAttributes: usernameAttributes }));
    expect(writtenItems()[0]?.groupPseudoUsername).toBe(expected);
  });

  it('treats an empty answer to a continuation as the end of the group', async () => {
    cognito.on(ListUsersInGroupCommand).resolves({});
    const output = await run(event({ listUsersInGroupNextToken: 'next-token' }));
    expect(output).toEqual({ exportTimestamp: RUN, groupName: 'admins', processedAllUsersInGroup: 'Yes' });
    expect(listedTokens()).toEqual(['next-token']);
  });

  it('does not stop at an empty page that carries a token', async () => {
    servePages({ first: { users: [], next: 'p2' }, p2: { users: [user(2)] } });
    const output = await run(event());
    expect(output.processedAllUsersInGroup).toBe('Yes');
    expect(writtenItems().map((item) => item.type)).toEqual(['GROUP_MEMBER-sub-2']);
  });

  describe('pagination across invocations', () => {
    const pages: Record<string, PageSpec> = {
      first: { users: [user(1), user(2)], next: 'next-token' },
      'next-token': { users: [user(3)], next: 'last-token' },
      'last-token': { users: [user(4)] },
    };

    it('returns the token with "No" when at most 60 s remain; the next invocation resumes from it', async () => {
      servePages(pages);
      const first = await run(event({ UsernameAttributes: '["email"]' }), lambdaContext(clock, 1000));
      expect(first).toEqual({
        exportTimestamp: RUN,
        groupName: 'admins',
        listUsersInGroupNextToken: 'next-token',
        processedAllUsersInGroup: 'No',
        UsernameAttributes: '["email"]',
      });

      // The state machine feeds the output back in (raw task, no OutputPath).
      const second = await run(first, lambdaContext(clock, 300_000));
      expect(second.processedAllUsersInGroup).toBe('Yes');
      expect(listedTokens()).toEqual([undefined, 'next-token', 'last-token']);
      expect(writtenItems().map((item) => item.type)).toEqual([
        'GROUP_MEMBER-sub-1',
        'GROUP_MEMBER-sub-2',
        'GROUP_MEMBER-sub-3',
        'GROUP_MEMBER-sub-4',
      ]);
    });

    it('keeps the pseudoUsername rule on continuation pages, after a cold start too', async () => {
      servePages(pages);
      const first = await run(event({ UsernameAttributes: '["email"]' }), lambdaContext(clock, 1000));
      // A fresh handler stands for a new Lambda instance: nothing survives but the output.
      const coldHandler = createHandler(fakeRuntime(clock, ENV, { write: logs.write }));
      await coldHandler(first, lambdaContext(clock, 300_000));
      expect(writtenItems().map((item) => item.groupPseudoUsername)).toEqual([
        'person1@example.com',
        'person2@example.com',
        'person3@example.com',
        'person4@example.com',
      ]);
    });
  });

  describe('membership writes', () => {
    it('returns only after every membership write has finished', async () => {
      const events: string[] = [];
      servePages({ first: { users: [user(1)], next: 'p2' }, p2: { users: [user(2)] } });
      ddb.on(BatchWriteCommand).callsFake(async () => {
        events.push('write started');
        await ticks(20);
        events.push('write finished');
        return {};
      });
      await run(event());
      events.push('returned');
      expect(events.filter((entry) => entry === 'write finished')).toHaveLength(2);
      expect(events.at(-1)).toBe('returned');
    });

    it('fails the invocation when a membership write fails', async () => {
      servePages({ first: { users: [user(1)] } });
      ddb.reset();
      ddb.on(BatchWriteCommand).rejects(new Error('ERROR - batchWrite'));
      await expect(run(event())).rejects.toThrow('ERROR - batchWrite');
    });

    it('fails the invocation for a member without sub or username attribute', async () => {
      servePages({ first: { users: [user(1, { Attributes: [] })] } });
      await expect(run(event())).rejects.toThrow('Unable to determine the sub attribute for user');
      cognito.reset();
      servePages({ first: { users: [user(1, { Attributes: [{ Name: 'sub', Value: 's' }] })] } });
      await expect(run(event({ UsernameAttributes: '["phone_number"]' }))).rejects.toThrow(
        'Unable to determine the pseudoUsername for the user',
      );
    });
  });

  describe('retries', () => {
    it.each([
      ['an SDK v3 throttling error', throttlingError],
      ['an injected retryable: true error', injectedRetryableError],
    ])('reads the first page after %s on it', async (_label, makeError) => {
      cognito
        .on(ListUsersInGroupCommand)
        .rejectsOnce(makeError())
        .resolves({ Users: [user(1), federatedUser(2)] });
      const output = await run(event());
      expect(output.processedAllUsersInGroup).toBe('Yes');
      expect(listedTokens()).toEqual([undefined, undefined]);
      expect(writtenItems().map((item) => item.type)).toEqual(['GROUP_MEMBER-sub-1']);
    });

    it('answers "No" without a token when the budget runs out on the first page, so the group is read again', async () => {
      cognito.on(ListUsersInGroupCommand).rejects(throttlingError());
      const first = await run(event(), lambdaContext(clock, 60_500));
      expect(first).toEqual({ exportTimestamp: RUN, groupName: 'admins', processedAllUsersInGroup: 'No' });

      cognito.reset();
      servePages({ first: { users: [user(1)] } });
      const second = await run(first, lambdaContext(clock, 300_000));
      expect(second.processedAllUsersInGroup).toBe('Yes');
      expect(writtenItems().map((item) => item.type)).toEqual(['GROUP_MEMBER-sub-1']);
    });

    it('returns the token of the page it could not read when the budget runs out on a later page', async () => {
      servePages({ first: { users: [user(1)], next: 'p2' } });
      cognito.on(ListUsersInGroupCommand, { NextToken: 'p2' }).rejects(throttlingError());
      const output = await run(event(), lambdaContext(clock, 61_000));
      expect(output).toMatchObject({ listUsersInGroupNextToken: 'p2', processedAllUsersInGroup: 'No' });
      expect(writtenItems()).toHaveLength(1);
    });

    it('fails at once on an error that is not retryable', async () => {
      cognito
        .on(ListUsersInGroupCommand)
        .rejects(
          new ResourceNotFoundException({ message: 'Group not found.', $metadata: { httpStatusCode: 400 } }),
        );
      await expect(run(event())).rejects.toThrow('Group not found.');
      expect(cognito.commandCalls(ListUsersInGroupCommand)).toHaveLength(1);
    });
  });

  describe('input and configuration', () => {
    it('checks COGNITO_TPS with the original message', async () => {
      await expect(run(event(), undefined, { ...ENV, COGNITO_TPS: 'invalid' })).rejects.toThrow(
        'Unable to parse a number from the COGNITO_TPS value (invalid)',
      );
    });

    it.each([
      [{ groupName: undefined }, 'Error validating Event Payload. Missing value for groupName'],
      [{ exportTimestamp: undefined }, 'Error validating Event Payload. Missing value for exportTimestamp'],
    ])('rejects an event without a required field %o', async (overrides, message) => {
      await expect(run(event(overrides))).rejects.toThrow(message);
      expect(cognito).not.toHaveReceivedCommand(ListUsersInGroupCommand);
    });

    it('rejects a missing event', async () => {
      await expect(run(undefined)).rejects.toThrow(
        'Error validating Event Payload. Missing value for groupName',
      );
    });

    it('rejects an invalid UsernameAttributes value with a meaningful message', async () => {
      servePages({ first: { users: [user(1)] } });
      await expect(run(event({ UsernameAttributes: '{"email":true}' }))).rejects.toThrow(
        'UsernameAttributes must be a JSON array of attribute names',
      );
    });

    it('keeps no state between invocations', async () => {
      servePages({ first: { users: [user(1)] } });
      await run(event({ UsernameAttributes: '["email"]' }));
      await run(event());
      expect(writtenItems().map((item) => item.groupPseudoUsername)).toEqual([
        'person1@example.com',
        'username-1',
      ]);
    });
  });

  it('on a page of groups, lists the next page of groups ahead through the same limiter (COGNITO_TPS a second)', async () => {
    ddb.on(PutCommand).resolves({});
    const calls: { op: string; at: number }[] = [];
    cognito.on(ListUsersInGroupCommand).callsFake((input: ListUsersInGroupCommandInput) => {
      calls.push({ op: 'ListUsersInGroup', at: clock.now() });
      const n = Number(input.NextToken ?? 0);
      return { Users: [user(n + 1)], NextToken: n < 24 ? String(n + 1) : undefined };
    });
    cognito.on(ListGroupsCommand).callsFake(() => {
      calls.push({ op: 'ListGroups', at: clock.now() });
      return { Groups: [{ GroupName: 'next-group', Precedence: 2 }], NextToken: 'groups-3' };
    });
    const output = (await createHandler(fakeRuntime(clock, ENV, { write: logs.write }))({
      ExportTimestamp: RUN,
      ListGroupsNextToken: 'groups-2',
      ProcessedAllGroups: 'No',
      UsernameAttributes: '[]',
      groupsToExport: encodeGroupsCursor([{ key: 'admins' }]),
    })) as GroupsPageOutput;

    expect(decodePrefetchedGroups(output.prefetchedGroupsPage ?? '')).toEqual({
      from: 'groups-2',
      names: ['next-group'],
      next: 'groups-3',
    });
    expect(ddb.commandCalls(PutCommand).map((call) => call.args[0].input.Item?.id)).toEqual([
      'GROUP-next-group',
    ]);
    expect(writtenItems()).toHaveLength(25);
    // Listed in the invocation's first second, not after the group's 25 pages.
    expect(calls.findIndex((call) => call.op === 'ListGroups')).toBeLessThan(10);
    expect(calls).toHaveLength(26);
    for (const { at } of calls) {
      expect(calls.filter((call) => call.at >= at && call.at < at + 1000).length).toBeLessThanOrEqual(10);
    }
  });

  it('never writes personal data to the log', async () => {
    const users = [user(1), user(2), federatedUser(3)];
    servePages({ first: { users } });
    await run(event({ UsernameAttributes: '["email"]' }), lambdaContext(clock, 300_000));
    const log = logs.text();
    expect(logs.lines.length).toBeGreaterThan(0);
    for (const value of personalValues(users)) expect(log).not.toContain(value);
  });
});
