// SPDX-License-Identifier: Apache-2.0
/**
 * One whole export run driven the way the ExportWorkflow state machine drives it (loops on the
 * returned tokens, one ListGroups and ExportUsersInGroup loop per group page), against an in-memory backup table and queue. Proves
 * that the cleanup of a run removes exactly the items the run did not stamp (even when the queue still
 * holds messages of an earlier, interrupted run), and that every group page and continuation keeps the
 * pool's username attribute.
 */
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  GetUserPoolMfaConfigCommand,
  ListGroupsCommand,
  ListIdentityProvidersCommand,
  ListResourceServersCommand,
  ListUserPoolClientsCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  ScanCommand,
  type BatchGetCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import type { FakeClock } from '../../test-support/fake-clock';
import { lambdaContext } from '../../test-support/lambda-context';
import { fakeRuntime } from '../../test-support/runtime';
import { createHandler as backupTableCleanup } from '../backup-table-cleanup';
import { createHandler as checkUserPoolConfig } from '../check-user-pool-config';
import { createHandler as exportUsers } from '../export-users';
import { createHandler as exportUsersInGroup } from '../export-users-in-group';
import { createHandler as listGroups } from '../list-groups';
import type { GroupsPageOutput, ListGroupsEvent } from '../lib/types';
import { fakeClock, T0, ticks, user } from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const ddb = mockAws(DynamoDBDocumentClient);
const sqs = mockAws(SQSClient);

const TABLE = 'backup-table';
const ENV = {
  PRIMARY_USER_POOL_ID: 'pool',
  USER_POOL_ID: 'pool',
  COGNITO_TPS: '5',
  TABLE_NAME: TABLE,
  BACKUP_TABLE_NAME: TABLE,
  TYPE_USER: 'USER-uuid',
  TYPE_GROUP: 'GROUP-uuid',
  TYPE_TIMESTAMP: 'SYNC_TIMESTAMP-uuid',
  AWS_REGION: 'us-east-1',
  QUEUE_URL: 'queue-url',
  // This run removes 1 of 8 users and 2 of 8 memberships: without the count allowance, 25% is the
  // smallest share that allows it.
  MAX_DELETION_PERCENT: '25',
  MAX_DELETION_COUNT: '0',
};
const PREVIOUS_RUN = T0 - 86_400_000;

type Item = Record<string, unknown>;
const table = new Map<string, Item>();
const put = (item: Item) => table.set(`${String(item.id)}|${String(item.type)}`, item);
const queue: Message[] = [];

/** The current pool: users 1-7 (8 is federated), groups with members; previous-run leftovers in the table. */
const poolUsers: UserType[] = [1, 2, 3, 4, 5, 6, 7]
  .map((n) => user(n))
  .concat(user(8, { UserStatus: 'EXTERNAL_PROVIDER' }));
const members: Record<string, number[]> = { admins: [1, 2, 3, 4, 5], editors: [6], readers: [] };

function servePaged<T>(all: T[], size: number, token: string | undefined): { page: T[]; next?: string } {
  const start = token ? Number(token.split('-')[1]) : 0;
  const page = all.slice(start, start + size);
  return { page, next: start + size < all.length ? `at-${start + size}` : undefined };
}

function installFakes(clock: FakeClock): void {
  const latency = () => clock.advance(700);
  cognito
    .on(DescribeUserPoolCommand)
    .resolves({ UserPool: { MfaConfiguration: 'OFF', UsernameAttributes: ['email'] } });
  cognito.on(GetUserPoolMfaConfigCommand).resolves({ MfaConfiguration: 'OFF' });
  cognito.on(ListUserPoolClientsCommand).resolves({ UserPoolClients: [] });
  cognito.on(ListResourceServersCommand).resolves({ ResourceServers: [] });
  cognito.on(ListIdentityProvidersCommand).resolves({ Providers: [] });
  cognito.on(ListUsersCommand).callsFake((input) => {
    latency();
    // The fixtures' subs are not UUIDs: the fake puts user n in the sub partition n % 4 ("0" to "3").
    const prefix = /^sub \^= "(.)"$/.exec(input.Filter ?? '')?.[1];
    const inPartition = poolUsers.filter(
      (_user, i) => prefix === undefined || (i % 4).toString(16) === prefix,
    );
    const { page, next } = servePaged(inPartition, 2, input.PaginationToken);
    return { Users: page, PaginationToken: next };
  });
  cognito.on(ListGroupsCommand).callsFake((input) => {
    latency();
    const { page, next } = servePaged(Object.keys(members), 1, input.NextToken);
    return {
      Groups: page.map((GroupName) => ({ GroupName, LastModifiedDate: new Date(T0) })),
      NextToken: next,
    };
  });
  cognito.on(ListUsersInGroupCommand).callsFake((input) => {
    latency();
    const groupUsers = (members[input.GroupName ?? ''] ?? []).map((n) => user(n));
    const { page, next } = servePaged(groupUsers, 2, input.NextToken);
    return { Users: page, NextToken: next };
  });

  ddb.on(BatchWriteCommand).callsFake(async (input) => {
    await ticks(3); // writes finish later than they start
    for (const request of input.RequestItems?.[TABLE] ?? []) {
      if (request.PutRequest) put(request.PutRequest.Item as Item);
      if (request.DeleteRequest)
        table.delete(`${String(request.DeleteRequest.Key.id)}|${String(request.DeleteRequest.Key.type)}`);
    }
    return {};
  });
  // DeleteItem with the cleanup's condition, evaluated like DynamoDB does.
  ddb.on(DeleteCommand).callsFake((input) => {
    expect(input.ConditionExpression).toBe(
      'attribute_exists(lastConfirmedInUserPool) and lastConfirmedInUserPool < :ts',
    );
    const ts = input.ExpressionAttributeValues?.[':ts'] as number;
    const id = `${String(input.Key?.id)}|${String(input.Key?.type)}`;
    const item = table.get(id);
    if (item === undefined) return {};
    if (typeof item.lastConfirmedInUserPool === 'number' && item.lastConfirmedInUserPool < ts) {
      table.delete(id);
      return {};
    }
    throw Object.assign(new Error('The conditional request failed'), {
      name: 'ConditionalCheckFailedException',
    });
  });
  ddb.on(PutCommand).callsFake((input) => {
    put(input.Item as Item);
    return {};
  });
  // The cleanup reads every item's key and stamp (it counts the fresh items too).
  ddb.on(ScanCommand).callsFake((input) => {
    expect(input.ProjectionExpression).toBe('id,#type,lastConfirmedInUserPool');
    const items = [...table.values()].map((item) => ({
      id: item.id,
      type: item.type,
      ...(item.lastConfirmedInUserPool === undefined
        ? {}
        : { lastConfirmedInUserPool: item.lastConfirmedInUserPool }),
    }));
    return { Items: items, Count: items.length };
  });

  // The guard reads the user and group items of stale memberships.
  ddb.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => ({
    Responses: {
      [TABLE]: (input.RequestItems?.[TABLE]?.Keys ?? []).flatMap((key) => {
        const item = table.get(`${String(key.id)}|${String(key.type)}`);
        return item === undefined ? [] : [item];
      }),
    },
  }));

  sqs.on(SendMessageBatchCommand).callsFake((input) => {
    for (const entry of input.Entries ?? []) {
      queue.push({ MessageId: entry.Id, ReceiptHandle: `rh-${entry.Id}`, Body: entry.MessageBody });
    }
    return { Successful: [], Failed: [] };
  });
  sqs.on(ReceiveMessageCommand).callsFake(() => ({ Messages: queue.slice(0, 10) }));
  sqs.on(DeleteMessageBatchCommand).callsFake((input) => {
    for (const entry of input.Entries ?? []) {
      const index = queue.findIndex((m) => m.ReceiptHandle === entry.ReceiptHandle);
      if (index >= 0) queue.splice(index, 1);
    }
    return { Successful: [], Failed: [] };
  });
}

function seedPreviousRun(): void {
  const stamp = { lastConfirmedInUserPool: PREVIOUS_RUN, lastUpdatedRegion: 'us-east-1' };
  for (const n of [1, 2, 9])
    put({ id: `USER-sub-${n}`, type: 'USER-uuid', username: `username-${n}`, ...stamp });
  put({ id: 'GROUP-admins', type: 'GROUP-uuid', groupName: 'admins', ...stamp });
  put({ id: 'GROUP-retired', type: 'GROUP-uuid', groupName: 'retired', ...stamp });
  for (const [group, n] of [
    ['admins', 1],
    ['admins', 9],
    ['retired', 2],
  ] as const) {
    put({ id: `GROUP_MEMBER-${group}`, type: `GROUP_MEMBER-sub-${n}`, groupName: group, ...stamp });
  }
  put({ id: 'latest-export-timestamp', type: 'SYNC_TIMESTAMP-uuid', latestExportTimestamp: PREVIOUS_RUN });
  // An earlier run was interrupted during "Remove Items": its messages reappear in this run's queue.
  // They name a user and a membership that are in the pool again and are re-stamped by this run.
  for (const Key of [
    { id: 'USER-sub-1', type: 'USER-uuid' },
    { id: 'GROUP_MEMBER-admins', type: 'GROUP_MEMBER-sub-1' },
  ]) {
    queue.push({
      MessageId: `earlier-${Key.id}`,
      ReceiptHandle: `rh-earlier-${Key.id}`,
      Body: JSON.stringify({ Action: 'DELETE', Key }),
    });
  }
}

const wrapped = <I>(state: string, input: I) => ({
  Input: input,
  Context: {
    Execution: { Id: 'exec', Input: {}, StartTime: new Date(T0).toISOString() },
    State: { Name: state },
    StateMachine: { Id: 'sm', Name: 'ExportWorkflow-abc' },
  },
});

beforeEach(() => {
  cognito.reset();
  ddb.reset();
  sqs.reset();
  table.clear();
  queue.length = 0;
});

it('backs up the pool and removes exactly what the run did not confirm', async () => {
  const clock = fakeClock();
  installFakes(clock);
  seedPreviousRun();
  const runtime = fakeRuntime(clock, ENV);
  // Each invocation gets 61 s: two 0.7 s Cognito calls, then the one-minute rule stops it.
  const context = () => lambdaContext(clock, 61_000);
  let invocations = 0;

  const { result: poolConfig } = await checkUserPoolConfig(runtime)(wrapped('CheckUserPoolConfigLambda', {}));
  let users = (await exportUsers(runtime)(poolConfig, context())).result;
  invocations += 1;
  while (users.paginationToken !== '') {
    users = (await exportUsers(runtime)(users, context())).result;
    invocations += 1;
  }

  let groupsInput: ListGroupsEvent = users;
  for (;;) {
    // ListGroupsLambda writes the page's group items and hands on the names (no ExportGroupLambda state).
    const page = await listGroups(runtime)(wrapped('ListGroupsLambda', groupsInput), context());
    let memberships = (page as { result: GroupsPageOutput }).result;
    do {
      memberships = (await exportUsersInGroup(runtime)(memberships, context())) as GroupsPageOutput;
      invocations += 1;
    } while (memberships.processedAllUsersInGroup !== 'Yes');
    if (memberships.ProcessedAllGroups === 'Yes') break;
    groupsInput = memberships;
  }

  let found = (await backupTableCleanup(runtime)(wrapped('BackupTableCleanup: Find Items', users), context()))
    .result;
  while (found.lastEvaluatedKey !== '') {
    found = (await backupTableCleanup(runtime)(wrapped('BackupTableCleanup: Find Items', found), context()))
      .result;
  }
  expect(found.NumItemsAddedToQueue).toBe(4);
  expect(found.DeletionCheck).toBe('WithinLimit');
  let removed = (
    await backupTableCleanup(runtime)(wrapped('BackupTableCleanup: Remove Items', found), context())
  ).result;
  while (!removed.IsQueueEmpty) {
    removed = (
      await backupTableCleanup(runtime)(wrapped('BackupTableCleanup: Remove Items', removed), context())
    ).result;
  }

  expect(invocations).toBeGreaterThan(2); // the run really went through continuations
  const byKind = (prefix: string) =>
    [...table.values()]
      .filter((item) => String(item.id).startsWith(prefix))
      .map((item) => `${String(item.id)} ${String(item.type)}`)
      .sort();
  expect(byKind('USER-')).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => `USER-sub-${n} USER-uuid`));
  expect(byKind('GROUP-')).toEqual([
    'GROUP-admins GROUP-uuid',
    'GROUP-editors GROUP-uuid',
    'GROUP-readers GROUP-uuid',
  ]);
  expect(byKind('GROUP_MEMBER-')).toEqual([
    ...[1, 2, 3, 4, 5].map((n) => `GROUP_MEMBER-admins GROUP_MEMBER-sub-${n}`),
    'GROUP_MEMBER-editors GROUP_MEMBER-sub-6',
  ]);
  expect(table.get('latest-export-timestamp|SYNC_TIMESTAMP-uuid')).toBeDefined();
  // The configuration item has no lastConfirmedInUserPool: the cleanup scans it and keeps it.
  expect(table.get('user-pool-configuration|SYNC_TIMESTAMP-uuid')).toMatchObject({ encoding: 'gzip-json' });
  const confirmed = [...table.values()].filter((item) => item.lastConfirmedInUserPool !== undefined);
  expect(confirmed.every((item) => item.lastConfirmedInUserPool === users.ExportTimestamp)).toBe(true);
  // Every membership, on every group page and continuation, carries the e-mail pseudoUsername.
  const memberships = [...table.values()].filter((item) => String(item.id).startsWith('GROUP_MEMBER-'));
  expect(memberships.map((item) => item.groupPseudoUsername).sort()).toEqual(
    [1, 2, 3, 4, 5, 6].map((n) => `person${n}@example.com`),
  );
  expect(queue).toEqual([]);
});
