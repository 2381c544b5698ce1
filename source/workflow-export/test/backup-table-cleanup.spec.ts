// SPDX-License-Identifier: Apache-2.0
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type Message,
  type SendMessageBatchCommandInput,
} from '@aws-sdk/client-sqs';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  ScanCommand,
  type BatchGetCommandInput,
  type DeleteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs, type CapturedLogs } from '../../test-support/capture-logs';
import type { FakeClock } from '../../test-support/fake-clock';
import { lambdaContext } from '../../test-support/lambda-context';
import { fakeRuntime } from '../../test-support/runtime';
import type { Env } from '../../utils/config';
import { createHandler, ENVIRONMENT } from '../backup-table-cleanup';
import {
  DeletionNotCheckedError,
  EMPTY_RECEIVES_FOR_EMPTY_QUEUE,
  emptyCounts,
  InvalidOverrideError,
  MassDeletionRefusedError,
  REMOVE_HOLD_SECONDS,
  STALE_CONDITION,
} from '../lib/backup-table-cleanup';
import type { BackupTableCleanupEvent, BackupTableCleanupInput } from '../lib/types';
import { fakeClock, T0 } from './support';

const ddb = mockAws(DynamoDBDocumentClient);
const sqs = mockAws(SQSClient);
const TABLE = 'backup-table';
const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/export-workflow-uuid';
/** The guard at the template's defaults: 10%, or 5 items whatever the share. */
const ENV = {
  BACKUP_TABLE_NAME: TABLE,
  QUEUE_URL: QUEUE,
  TYPE_USER: 'USER-uuid',
  TYPE_GROUP: 'GROUP-uuid',
  MAX_DELETION_PERCENT: '10',
  MAX_DELETION_COUNT: '5',
};
/** The percentage alone decides. */
const PERCENT_ONLY = { ...ENV, MAX_DELETION_COUNT: '0' };

const cleanupEvent = (
  state: string,
  input: BackupTableCleanupInput,
  executionInput: Record<string, unknown> = {},
): BackupTableCleanupEvent => ({
  Input: input,
  Context: {
    Execution: { Id: 'exec', Input: executionInput, StartTime: '2024-01-15T03:00:00.000Z' },
    State: { Name: state, EnteredTime: '2024-01-15T03:10:00.000Z' },
    StateMachine: { Id: 'arn:sm', Name: 'ExportWorkflow-abc' },
  },
});
const FIND = 'BackupTableCleanup: Find Items';
const REMOVE = 'BackupTableCleanup: Remove Items';

let clock: FakeClock;
let logs: CapturedLogs;
const run = (
  event: BackupTableCleanupEvent,
  context?: { getRemainingTimeInMillis(): number },
  env: Env = ENV,
) => createHandler(fakeRuntime(clock, env, { write: logs.write }))(event, context);

const key = (n: number) => ({ id: `USER-sub-${n}`, type: 'USER-uuid' });
const membershipKey = (n: number) => ({ id: `GROUP_MEMBER-group-${n % 3}`, type: `GROUP_MEMBER-sub-${n}` });
const groupKey = (n: number) => ({ id: `GROUP-group-${n}`, type: 'GROUP-uuid' });
const OLD = T0 - 86_400_000;
/** Scanned items as the projection returns them: key and stamp. */
const stale = (k: { id: string; type: string }) => ({ ...k, lastConfirmedInUserPool: OLD });
const fresh = (k: { id: string; type: string }) => ({ ...k, lastConfirmedInUserPool: T0 });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

interface TableShape {
  users: number;
  staleUsers: number;
  memberships?: number;
  staleMemberships?: number;
  groups?: number;
  staleGroups?: number;
}

/**
 * `users` user items (the first `staleUsers` stale), then memberships and groups alike, then the
 * timestamp item.
 */
function table(shape: TableShape): Record<string, unknown>[] {
  const memberships = shape.memberships ?? 0;
  const staleMemberships = shape.staleMemberships ?? 0;
  const staleGroups = shape.staleGroups ?? 0;
  return [
    ...range(0, shape.users).map((n) => (n < shape.staleUsers ? stale(key(n)) : fresh(key(n)))),
    ...range(0, memberships).map((n) =>
      n < staleMemberships ? stale(membershipKey(n)) : fresh(membershipKey(n)),
    ),
    ...range(0, shape.groups ?? 0).map((n) => (n < staleGroups ? stale(groupKey(n)) : fresh(groupKey(n)))),
    { id: 'latest-export-timestamp', type: 'SYNC_TIMESTAMP-uuid' },
  ];
}

/** Serves `items` as scan pages of `pageSize`, following ExclusiveStartKey like DynamoDB, and BatchGetItem. */
function serveScan(items: Record<string, unknown>[], pageSize = 1000): void {
  ddb.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => ({
    Responses: Object.fromEntries(
      Object.entries(input.RequestItems ?? {}).map(([name, request]) => [
        name,
        (request.Keys ?? []).flatMap((wanted) =>
          items.filter((item) => item.id === wanted.id && item.type === wanted.type),
        ),
      ]),
    ),
  }));
  ddb.on(ScanCommand).callsFake((input: { ExclusiveStartKey?: Record<string, unknown> }) => {
    const after = input.ExclusiveStartKey;
    const from =
      after === undefined
        ? 0
        : items.findIndex((item) => item.id === after.id && item.type === after.type) + 1;
    const page = items.slice(from, from + pageSize);
    const last = page[page.length - 1];
    const more = from + pageSize < items.length && last !== undefined;
    return {
      Items: page,
      Count: page.length,
      ...(more ? { LastEvaluatedKey: { id: last.id, type: last.type } } : {}),
    };
  });
}
const message = (n: number, k = key(n)): Message => ({
  MessageId: `message-${n}`,
  ReceiptHandle: `receipt-${n}`,
  Body: JSON.stringify({ Action: 'DELETE', Key: k }),
});
const sentBodies = () =>
  sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((call) => (call.args[0].input as SendMessageBatchCommandInput).Entries ?? [])
    .map((entry) => JSON.parse(entry.MessageBody ?? '') as unknown);

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  ddb.on(DeleteCommand).resolves({});
  // No item found unless a test serves the table (serveScan).
  ddb.on(BatchGetCommand).resolves({ Responses: {} });
  clock = fakeClock();
  logs = captureLogs();
});

/**
 * Evaluates a DynamoDB condition made of `attribute_exists(name)` and `name <op> :value` clauses
 * joined by `and`, as DynamoDB would on `item`. Anything else throws, so a new form is noticed.
 */
function conditionHolds(
  expression: string,
  item: Record<string, unknown>,
  values: Record<string, unknown>,
): boolean {
  return expression.split(/\s+and\s+/i).every((clause) => {
    const exists = /^attribute_exists\((\w+)\)$/.exec(clause.trim());
    if (exists) return item[exists[1]!] !== undefined;
    const compare = /^(\w+)\s*(<=|>=|<>|<|>|=)\s*(:\w+)$/.exec(clause.trim());
    if (!compare) throw new Error(`condition clause not understood by the fake: ${clause}`);
    const [, name, op, placeholder] = compare;
    const left = item[name!];
    const right = values[placeholder!];
    if (typeof left !== typeof right || left === undefined) return false;
    const a = left as number;
    const b = right as number;
    switch (op) {
      case '<':
        return a < b;
      case '<=':
        return a <= b;
      case '>':
        return a > b;
      case '>=':
        return a >= b;
      case '=':
        return a === b;
      default:
        return a !== b;
    }
  });
}

const queuedKeys = () => sentBodies().map((body) => (body as { Key: unknown }).Key);

describe('backup-table-cleanup', () => {
  it('declares exactly the variables it reads', () => {
    expect(Object.keys(ENVIRONMENT).sort()).toEqual([
      'BACKUP_TABLE_NAME',
      'MAX_DELETION_COUNT',
      'MAX_DELETION_PERCENT',
      'QUEUE_URL',
      'TYPE_GROUP',
      'TYPE_USER',
    ]);
  });

  it.each(['', '-1', 'five', '2.5'])('refuses MAX_DELETION_COUNT %j', async (value) => {
    await expect(
      run(cleanupEvent(FIND, { ExportTimestamp: T0 }), undefined, { ...ENV, MAX_DELETION_COUNT: value }),
    ).rejects.toThrow(/MAX_DELETION_COUNT/);
    expect(ddb.calls()).toHaveLength(0);
  });

  it.each(['', '-1', '101', 'ten'])('refuses MAX_DELETION_PERCENT %j', async (value) => {
    await expect(
      run(cleanupEvent(FIND, { ExportTimestamp: T0 }), undefined, { ...ENV, MAX_DELETION_PERCENT: value }),
    ).rejects.toThrow(/MAX_DELETION_PERCENT/);
    expect(ddb.calls()).toHaveLength(0);
  });

  describe('Find Items', () => {
    it('scans every item with its stamp, counts them and reports the scan complete', async () => {
      ddb.on(ScanCommand).resolves({});
      const output = await run(cleanupEvent(FIND, { ExportTimestamp: T0 }));
      expect(output).toEqual({
        result: {
          ExportTimestamp: T0,
          NumItemsAddedToQueue: 0,
          lastEvaluatedKey: '',
          CleanupCounts: emptyCounts(),
          DeletionCheck: 'WithinLimit',
        },
      });
      expect(ddb.commandCalls(ScanCommand).map((call) => call.args[0].input)).toEqual([
        {
          TableName: TABLE,
          ProjectionExpression: 'id,#type,lastConfirmedInUserPool',
          ExpressionAttributeNames: { '#type': 'type' },
          ExclusiveStartKey: undefined,
        },
      ]);
      expect(sqs).not.toHaveReceivedCommand(SendMessageBatchCommand);
    });

    it('queues a DELETE message per stale item, page after page, from the given key', async () => {
      const startKey = { id: 'USER-sub-0', type: 'USER-uuid' };
      const counts = { ...emptyCounts(), Users: 20 };
      ddb
        .on(ScanCommand)
        .resolvesOnce({ Items: [stale(key(1)), fresh(key(9))], Count: 2, LastEvaluatedKey: key(9) })
        .resolves({
          Items: [stale(membershipKey(3)), fresh(membershipKey(4)), fresh(groupKey(1))],
          Count: 3,
        });

      const output = await run(
        cleanupEvent(FIND, { ExportTimestamp: T0, lastEvaluatedKey: startKey, CleanupCounts: counts }),
        undefined,
        { ...ENV, MAX_DELETION_PERCENT: '50' },
      );

      expect(output).toEqual({
        result: {
          ExportTimestamp: T0,
          NumItemsAddedToQueue: 2,
          lastEvaluatedKey: '',
          CleanupCounts: {
            Users: 22,
            StaleUsers: 1,
            Memberships: 2,
            StaleMemberships: 1,
            Groups: 1,
            StaleGroups: 0,
            StaleMembershipsOfStaleItems: 0,
          },
          DeletionCheck: 'WithinLimit',
        },
      });
      expect(ddb.commandCalls(ScanCommand).map((call) => call.args[0].input.ExclusiveStartKey)).toEqual([
        startKey,
        key(9),
      ]);
      expect(sentBodies()).toEqual([key(1), membershipKey(3)].map((k) => ({ Action: 'DELETE', Key: k })));
      expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, { QueueUrl: QUEUE });
    });

    it('counts only numeric stamps older than the run as stale, as the delete condition does', async () => {
      ddb.on(ScanCommand).resolves({
        Items: [
          fresh(key(1)),
          { ...key(2), lastConfirmedInUserPool: T0 + 1 },
          { ...key(3), lastConfirmedInUserPool: String(OLD) },
          key(4),
          stale(key(5)),
          ...range(10, 20).map((n) => fresh(key(n))),
        ],
      });
      const output = await run(cleanupEvent(FIND, { ExportTimestamp: T0 }));
      expect(output.result.CleanupCounts).toEqual({ ...emptyCounts(), Users: 15, StaleUsers: 1 });
      expect(queuedKeys()).toEqual([key(5)]);
    });

    it('logs the counts, the number of users included (a count is no personal data)', async () => {
      serveScan(
        table({ users: 12, staleUsers: 1, memberships: 4, staleMemberships: 0, groups: 2, staleGroups: 0 }),
      );
      await run(cleanupEvent(FIND, { ExportTimestamp: T0 }));
      const line = logs.entries().find((entry) => entry.message === 'Queued stale backup items for removal');
      expect(line?.counts).toEqual({
        Users: 12,
        StaleUsers: 1,
        Memberships: 4,
        StaleMemberships: 0,
        Groups: 2,
        StaleGroups: 0,
        StaleMembershipsOfStaleItems: 0,
      });
    });

    it('sends at most 10 messages per batch', async () => {
      serveScan(table({ users: 300, staleUsers: 25 }));
      await run(cleanupEvent(FIND, { ExportTimestamp: T0 }));
      expect(
        sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.Entries?.length),
      ).toEqual([10, 10, 5]);
    });

    it('returns the scan position and the counts when at most 60 s remain; the next call adds to them', async () => {
      ddb
        .on(ScanCommand)
        .resolvesOnce({ Items: [stale(key(1)), fresh(key(2))], Count: 2, LastEvaluatedKey: key(2) })
        .resolves({ Items: range(3, 20).map((n) => fresh(key(n))), Count: 17 });
      const first = await run(cleanupEvent(FIND, { ExportTimestamp: T0 }), lambdaContext(clock, 60_000));
      expect(first.result).toEqual({
        ExportTimestamp: T0,
        NumItemsAddedToQueue: 1,
        lastEvaluatedKey: key(2),
        CleanupCounts: { ...emptyCounts(), Users: 2, StaleUsers: 1 },
      });

      const second = await run(cleanupEvent(FIND, first.result), lambdaContext(clock, 300_000));
      expect(second.result).toEqual({
        ExportTimestamp: T0,
        NumItemsAddedToQueue: 1,
        lastEvaluatedKey: '',
        CleanupCounts: { ...emptyCounts(), Users: 19, StaleUsers: 1 },
        DeletionCheck: 'WithinLimit',
      });
    });

    it('scans from the start when a continuation carries no counts (an execution of an older version)', async () => {
      serveScan(table({ users: 20, staleUsers: 1 }));
      const output = await run(cleanupEvent(FIND, { ExportTimestamp: T0, lastEvaluatedKey: key(5) }));
      expect(ddb.commandCalls(ScanCommand)[0]?.args[0].input.ExclusiveStartKey).toBeUndefined();
      expect(output.result.CleanupCounts).toEqual({ ...emptyCounts(), Users: 20, StaleUsers: 1 });
    });

    it('resends the entries SQS failed to take', async () => {
      serveScan(table({ users: 30, staleUsers: 2 }));
      sqs.reset();
      sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
        const calls = sqs.commandCalls(SendMessageBatchCommand).length;
        const [firstEntry] = input.Entries ?? [];
        return calls === 1
          ? { Successful: [], Failed: [{ Id: firstEntry?.Id, Code: 'InternalError', SenderFault: false }] }
          : { Successful: [{ Id: firstEntry?.Id }], Failed: [] };
      });
      await run(cleanupEvent(FIND, { ExportTimestamp: T0 }));
      const calls = sqs.commandCalls(SendMessageBatchCommand);
      expect(calls).toHaveLength(2);
      expect(calls[1]?.args[0].input.Entries).toEqual([calls[0]?.args[0].input.Entries?.[0]]);
    });

    it('fails when SQS keeps failing entries', async () => {
      serveScan(table({ users: 30, staleUsers: 1 }));
      sqs.reset();
      sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
        Failed: [{ Id: input.Entries?.[0]?.Id, Code: 'InvalidParameterValue', SenderFault: true }],
      }));
      await expect(run(cleanupEvent(FIND, { ExportTimestamp: T0 }))).rejects.toThrow(/1 entry failed/);
    });

    it('refuses to scan without the run timestamp (it would select every item)', async () => {
      await expect(run(cleanupEvent(FIND, {}))).rejects.toThrow(
        'Error validating Event Payload. Missing value for ExportTimestamp',
      );
      expect(ddb).not.toHaveReceivedCommand(ScanCommand);
    });

    it('fails with the Scan error', async () => {
      ddb.on(ScanCommand).rejects(new Error('ERROR - scan'));
      await expect(run(cleanupEvent(FIND, { ExportTimestamp: T0 }))).rejects.toThrow('ERROR - scan');
    });
  });

  describe('mass-deletion guard', () => {
    const find = (input: BackupTableCleanupInput, env: Env = ENV, executionInput = {}) =>
      run(cleanupEvent(FIND, input, executionInput), undefined, env);
    const failureOf = (promise: Promise<unknown>) =>
      promise.then(
        () => {
          throw new Error('expected a refusal');
        },
        (error: unknown) => error as Error,
      );

    it.each<[string, TableShape]>([
      ['10 of 100 users (exactly the 10% allowed)', { users: 100, staleUsers: 10 }],
      [
        '10 of 100 memberships (exactly the 10% allowed)',
        { users: 100, staleUsers: 0, memberships: 100, staleMemberships: 10 },
      ],
      [
        '10 of 100 groups (exactly the 10% allowed)',
        { users: 100, staleUsers: 0, groups: 100, staleGroups: 10 },
      ],
      ['100 of 1,000 users (a large pool: the percentage decides)', { users: 1000, staleUsers: 100 }],
      [
        '1 of 10 users and 1 of 10 memberships',
        { users: 10, staleUsers: 1, memberships: 10, staleMemberships: 1 },
      ],
      ['1 of 9 users (a small pool, 11.1%)', { users: 9, staleUsers: 1 }],
      ['5 of 9 users (exactly the 5 allowed whatever the share)', { users: 9, staleUsers: 5 }],
      [
        '5 of 8 memberships (exactly the 5 allowed)',
        { users: 9, staleUsers: 0, memberships: 8, staleMemberships: 5 },
      ],
      ['5 of 6 groups (exactly the 5 allowed)', { users: 9, staleUsers: 0, groups: 6, staleGroups: 5 }],
      ['nothing stale', { users: 5, staleUsers: 0, memberships: 5, staleMemberships: 0 }],
      ['an empty backup', { users: 0, staleUsers: 0 }],
    ])('allows %s', async (_label, shape) => {
      serveScan(table(shape));
      const output = await find({ ExportTimestamp: T0 });
      expect(output.result.DeletionCheck).toBe('WithinLimit');
      expect(queuedKeys()).toHaveLength(
        shape.staleUsers + (shape.staleMemberships ?? 0) + (shape.staleGroups ?? 0),
      );
    });

    it.each<[string, TableShape, string, Env]>([
      ['11 of 100 users', { users: 100, staleUsers: 11 }, '11% of the users are stale', ENV],
      ['101 of 1,000 users', { users: 1000, staleUsers: 101 }, '10.1% of the users are stale', ENV],
      [
        '11 of 100 memberships',
        { users: 100, staleUsers: 0, memberships: 100, staleMemberships: 11 },
        '11% of the memberships are stale while their user and group stay',
        ENV,
      ],
      [
        '11 of 100 groups',
        { users: 100, staleUsers: 0, groups: 100, staleGroups: 11 },
        '11% of the groups are stale',
        ENV,
      ],
      [
        '17 of 28 groups (a deletion once made without a refusal)',
        { users: 40, staleUsers: 0, groups: 28, staleGroups: 17 },
        '60.7% of the groups are stale',
        ENV,
      ],
      [
        '6 of 9 users (one over the 5 allowed)',
        { users: 9, staleUsers: 6 },
        '66.7% of the users are stale',
        ENV,
      ],
      [
        '6 of 50 memberships (one over the 5 allowed, 12%)',
        { users: 50, staleUsers: 0, memberships: 50, staleMemberships: 6 },
        '12% of the memberships are stale while their user and group stay',
        ENV,
      ],
      [
        '6 of 7 groups (one over the 5 allowed)',
        { users: 50, staleUsers: 0, groups: 7, staleGroups: 6 },
        '85.7% of the groups are stale',
        ENV,
      ],
      [
        '1 of 9 users when MaxDeletionCount is 0 (the percentage alone)',
        { users: 9, staleUsers: 1 },
        '11.1% of the users are stale',
        PERCENT_ONLY,
      ],
      [
        '2 of 11 users when MaxDeletionCount is 0',
        { users: 11, staleUsers: 2 },
        '18.2% of the users are stale',
        PERCENT_ONLY,
      ],
    ])(
      'refuses %s, naming the counts, the allowance and the override',
      async (_label, shape, reason, env) => {
        serveScan(table(shape));
        const error = await failureOf(find({ ExportTimestamp: T0 }, env));
        expect(error).toBeInstanceOf(MassDeletionRefusedError);
        expect(error.message).toContain(`The backup cleanup deleted nothing: ${reason}.`);
        expect(error.message).toContain(`${shape.staleUsers} of ${shape.users} users`);
        expect(error.message).toContain(`${shape.staleGroups ?? 0} of ${shape.groups ?? 0} groups`);
        expect(error.message).toContain(
          `${shape.staleMemberships ?? 0} of ${shape.memberships ?? 0} group memberships`,
        );
        expect(error.message).toContain(
          `One export may delete, of the users, of the groups and of the memberships each, ` +
            `${env === PERCENT_ONLY ? 0 : 5} or 10%, whichever is more (stack parameters MaxDeletionCount and MaxDeletionPercent)`,
        );
        expect(error.message).toContain('{"AllowMassDeletion": true}');
      },
    );

    /** A pool of 100 users in 10 groups of 10, every user in one group; `lost` users and groups removed from it. */
    const lostPool = (lost: { users: number[]; groups: number[]; memberships?: number[] }) => {
      const memberOf = (n: number) => ({ id: `GROUP_MEMBER-group-${n % 10}`, type: `GROUP_MEMBER-sub-${n}` });
      const goneMembership = (n: number) =>
        lost.users.includes(n) || lost.groups.includes(n % 10) || (lost.memberships ?? []).includes(n);
      return [
        ...range(0, 100).map((n) => (lost.users.includes(n) ? stale(key(n)) : fresh(key(n)))),
        ...range(0, 100).map((n) => (goneMembership(n) ? stale(memberOf(n)) : fresh(memberOf(n)))),
        ...range(0, 10).map((n) => (lost.groups.includes(n) ? stale(groupKey(n)) : fresh(groupKey(n)))),
      ];
    };

    it('counts the memberships of stale users and groups with them: 5% of the users and one group go through', async () => {
      // 5 users and 1 group of 10 stale: their 5 + 10 memberships (15%) go with them.
      serveScan(lostPool({ users: [0, 1, 2, 3, 4], groups: [7] }), 40);
      const output = await run(cleanupEvent(FIND, { ExportTimestamp: T0 }));
      expect(output.result.DeletionCheck).toBe('WithinLimit');
      expect(output.result.CleanupCounts).toEqual(
        expect.objectContaining({
          StaleUsers: 5,
          StaleGroups: 1,
          StaleMemberships: 15,
          StaleMembershipsOfStaleItems: 15,
        }),
      );
      expect(queuedKeys()).toHaveLength(5 + 1 + 15);
    });

    it('still refuses memberships removed while their users and groups stay (a group emptied)', async () => {
      // Group 3 emptied and one member taken out of group 4 (11 memberships whose user and group stay), and one
      // stale user's membership.
      serveScan(
        lostPool({ users: [0], groups: [], memberships: [4, ...range(0, 100).filter((n) => n % 10 === 3)] }),
        40,
      );
      const error = await run(cleanupEvent(FIND, { ExportTimestamp: T0 })).then(
        () => new Error('expected a refusal'),
        (failure: unknown) => failure as Error,
      );
      expect(error).toBeInstanceOf(MassDeletionRefusedError);
      expect(error.message).toContain('11% of the memberships are stale while their user and group stay');
      expect(error.message).toContain(
        '12 of 100 group memberships (12%; 1 of them belong to stale users or groups',
      );
    });

    it('counts a stale membership whose user and group items are missing as a membership', async () => {
      serveScan(table({ users: 0, staleUsers: 0, memberships: 12, staleMemberships: 6 }));
      const error = await run(cleanupEvent(FIND, { ExportTimestamp: T0 })).then(
        () => new Error('expected a refusal'),
        (failure: unknown) => failure as Error,
      );
      expect(error).toBeInstanceOf(MassDeletionRefusedError);
    });

    it('reads each user and group item once per invocation, 100 keys a call at most', async () => {
      serveScan(lostPool({ users: range(0, 10), groups: [5] }), 25);
      await run(cleanupEvent(FIND, { ExportTimestamp: T0 }), undefined, { ...ENV, MAX_DELETION_COUNT: '20' });
      const asked = ddb
        .commandCalls(BatchGetCommand)
        .flatMap((call) => (call.args[0].input as BatchGetCommandInput).RequestItems?.[TABLE]?.Keys ?? []);
      expect(asked.length).toBe(new Set(asked.map((k) => `${String(k.id)}|${String(k.type)}`)).size);
      for (const call of ddb.commandCalls(BatchGetCommand))
        expect(
          ((call.args[0].input as BatchGetCommandInput).RequestItems?.[TABLE]?.Keys ?? []).length,
        ).toBeLessThanOrEqual(100);
    });

    it('always refuses when the pool listed no user while the backup holds some, whatever the share', async () => {
      serveScan(table({ users: 900, staleUsers: 900, memberships: 218, staleMemberships: 218 }), 100);
      const error = await failureOf(find({ ExportTimestamp: T0 }, { ...ENV, MAX_DELETION_PERCENT: '100' }));
      expect(error.message).toContain(
        'The backup cleanup deleted nothing: the user pool listed no user while the backup holds 900. ' +
          'Stale items (in the backup, no longer in the user pool): 900 of 900 users (100%), ' +
          '0 of 0 groups (0%), 218 of 218 group memberships (100%; 218 of them belong to stale users or groups ' +
          'and are counted with those). ' +
          'One export may delete, of the users, of the groups and of the memberships each, 5 or 100%, ' +
          'whichever is more (stack parameters MaxDeletionCount and MaxDeletionPercent), and never every user.',
      );
    });

    it('refuses with every reason at once, and names no user or group', async () => {
      // 10 memberships of the stale users, and 10 of users and groups the backup has no item of.
      serveScan([
        ...table({ users: 40, staleUsers: 40, memberships: 10, staleMemberships: 10 }),
        ...range(1000, 1010).map((n) => stale(membershipKey(n))),
      ]);
      const error = await failureOf(find({ ExportTimestamp: T0 }));
      expect(error.message).toContain(
        'the user pool listed no user while the backup holds 40; 100% of the users are stale; ' +
          '50% of the memberships are stale while their user and group stay.',
      );
      expect(error.message).not.toMatch(/sub-\d|group-\d/);
      expect(logs.text()).not.toMatch(/sub-\d|group-\d/);
    });

    it('refuses at 0% a single stale user of 1,000', async () => {
      serveScan(table({ users: 1000, staleUsers: 1 }));
      const error = await failureOf(
        find({ ExportTimestamp: T0 }, { ...PERCENT_ONLY, MAX_DELETION_PERCENT: '0' }),
      );
      expect(error.message).toContain('0.1% of the users are stale');
    });

    it('decides only when the scan is complete, from the counts of every page', async () => {
      // 5 stale users in the first page, 6 more in the last pages: 11 of 101.
      serveScan(
        [
          ...range(0, 5).map((n) => stale(key(n))),
          ...range(5, 95).map((n) => fresh(key(n))),
          ...range(95, 101).map((n) => stale(key(n))),
        ],
        50,
      );
      const first = await run(cleanupEvent(FIND, { ExportTimestamp: T0 }), lambdaContext(clock, 60_000));
      expect(first.result.lastEvaluatedKey).not.toBe('');
      expect(first.result.DeletionCheck).toBeUndefined();
      expect(first.result.CleanupCounts).toEqual({ ...emptyCounts(), Users: 50, StaleUsers: 5 });
      const second = await run(cleanupEvent(FIND, first.result), lambdaContext(clock, 60_000));
      expect(second.result.DeletionCheck).toBeUndefined();

      const error = await failureOf(run(cleanupEvent(FIND, second.result)));
      expect(error.message).toContain('11 of 101 users (10.9%)');
    });

    it('a decision in a continuation is not carried forward: the last page decides again', async () => {
      serveScan(table({ users: 20, staleUsers: 20 }));
      const continuation: BackupTableCleanupInput = {
        ExportTimestamp: T0,
        lastEvaluatedKey: key(0),
        CleanupCounts: { ...emptyCounts(), Users: 1, StaleUsers: 1 },
        DeletionCheck: 'WithinLimit',
      };
      await expect(find(continuation)).rejects.toThrow(MassDeletionRefusedError);
    });

    it('allows the deletion with {"AllowMassDeletion": true} in the execution input, queuing every stale item', async () => {
      serveScan(table({ users: 900, staleUsers: 900, memberships: 218, staleMemberships: 218 }));
      const output = await find({ ExportTimestamp: T0 }, ENV, { AllowMassDeletion: true });
      expect(output.result.DeletionCheck).toBe('Overridden');
      expect(output.result.NumItemsAddedToQueue).toBe(1118);
      expect(queuedKeys()).toHaveLength(1118);
      expect(logs.text()).toContain('AllowMassDeletion is set');
    });

    it('allows a refused group deletion with {"AllowMassDeletion": true}', async () => {
      serveScan(table({ users: 40, staleUsers: 0, groups: 28, staleGroups: 17 }));
      const output = await find({ ExportTimestamp: T0 }, ENV, { AllowMassDeletion: true });
      expect(output.result.DeletionCheck).toBe('Overridden');
      expect(queuedKeys()).toEqual(range(0, 17).map(groupKey));
    });

    it.each([[false], [undefined]])('AllowMassDeletion %s is no override', async (value) => {
      serveScan(table({ users: 10, staleUsers: 10 }));
      await expect(find({ ExportTimestamp: T0 }, ENV, { AllowMassDeletion: value })).rejects.toThrow(
        MassDeletionRefusedError,
      );
    });

    it.each([['true'], [1], [{}]])('refuses AllowMassDeletion %j before scanning', async (value) => {
      await expect(find({ ExportTimestamp: T0 }, ENV, { AllowMassDeletion: value })).rejects.toThrow(
        InvalidOverrideError,
      );
      expect(ddb).not.toHaveReceivedCommand(ScanCommand);
    });

    it('Remove Items deletes nothing without a decision in its input', async () => {
      sqs.on(ReceiveMessageCommand).resolves({ Messages: [message(1)] });
      await expect(
        run(cleanupEvent(REMOVE, { ExportTimestamp: T0, NumItemsAddedToQueue: 1 })),
      ).rejects.toThrow(DeletionNotCheckedError);
      expect(sqs.calls()).toHaveLength(0);
      expect(ddb.calls()).toHaveLength(0);
    });

    it('the decision holds across Remove Items continuations', async () => {
      sqs.on(ReceiveMessageCommand).resolves({ Messages: [message(1)] });
      const input: BackupTableCleanupInput = {
        ExportTimestamp: T0,
        NumItemsAddedToQueue: 2,
        CleanupCounts: { ...emptyCounts(), Users: 2, StaleUsers: 2 },
        DeletionCheck: 'Overridden',
      };
      const first = await run(cleanupEvent(REMOVE, input), lambdaContext(clock, 60_000));
      expect(first.result).toEqual({ ...input, IsQueueEmpty: false });
      const second = await run(cleanupEvent(REMOVE, first.result), lambdaContext(clock, 60_000));
      expect(second.result).toEqual({ ...input, IsQueueEmpty: false });
      expect(ddb.commandCalls(DeleteCommand)).toHaveLength(2);
    });
  });

  describe('Remove Items', () => {
    it(`declares the queue empty after ${EMPTY_RECEIVES_FOR_EMPTY_QUEUE} empty long polls, without sleeping`, async () => {
      sqs.on(ReceiveMessageCommand).resolves({});
      const output = await run(cleanupEvent(REMOVE, { ExportTimestamp: T0, DeletionCheck: 'WithinLimit' }));
      expect(output).toEqual({
        result: {
          ExportTimestamp: T0,
          NumItemsAddedToQueue: 0,
          DeletionCheck: 'WithinLimit',
          IsQueueEmpty: true,
        },
      });
      expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(EMPTY_RECEIVES_FOR_EMPTY_QUEUE);
      expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, {
        QueueUrl: QUEUE,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 5,
      });
      expect(clock.sleeps).toEqual([]);
    });

    it('a retry waits for the keys a crashed attempt received, deletes their items, then reports the queue drained', async () => {
      // The crashed attempt holds message 1 (received for REMOVE_HOLD_SECONDS): two empty polls, then it is back.
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({})
        .resolvesOnce({})
        .resolvesOnce({ Messages: [message(1)] })
        .resolves({});
      sqs
        .on(GetQueueAttributesCommand)
        .resolvesOnce({ Attributes: { ApproximateNumberOfMessagesNotVisible: '1' } })
        .resolves({
          Attributes: {
            ApproximateNumberOfMessages: '0',
            ApproximateNumberOfMessagesNotVisible: '0',
            ApproximateNumberOfMessagesDelayed: '0',
          },
        });
      const output = await run(
        cleanupEvent(REMOVE, { ExportTimestamp: T0, NumItemsAddedToQueue: 1, DeletionCheck: 'WithinLimit' }),
      );
      expect(output.result.IsQueueEmpty).toBe(true);
      expect(ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key)).toEqual([key(1)]);
      expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, {
        QueueUrl: QUEUE,
        VisibilityTimeout: REMOVE_HOLD_SECONDS,
      });
      expect(REMOVE_HOLD_SECONDS).toBeLessThanOrEqual(60);
      expect(sqs.commandCalls(GetQueueAttributesCommand)).toHaveLength(2);
      expect(logs.text()).toContain('Waiting for stale item keys that an earlier attempt received');
    });

    it('hands back a continuation when the held keys are not back before its time is up', async () => {
      // Each empty long poll takes its five seconds.
      sqs.on(ReceiveMessageCommand).callsFake(async () => {
        clock.advance(5_000);
        return {};
      });
      sqs
        .on(GetQueueAttributesCommand)
        .resolves({ Attributes: { ApproximateNumberOfMessagesNotVisible: '3' } });
      const output = await run(
        cleanupEvent(REMOVE, { ExportTimestamp: T0, NumItemsAddedToQueue: 3, DeletionCheck: 'WithinLimit' }),
        lambdaContext(clock, 300_000),
      );
      expect(output.result.IsQueueEmpty).toBe(false);
      // It polled until only its one-minute reserve was left.
      expect(sqs.commandCalls(ReceiveMessageCommand).length).toBeGreaterThan(40);
      expect(ddb).not.toHaveReceivedCommand(DeleteCommand);
    });

    const deletedKeys = () => ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key);

    it('deletes the keys of received messages, each only if still older than the run, then the messages', async () => {
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [message(1)] })
        .resolves({ Messages: [] });

      const output = await run(
        cleanupEvent(REMOVE, { ExportTimestamp: T0, NumItemsAddedToQueue: 1, DeletionCheck: 'WithinLimit' }),
      );

      expect(output.result).toEqual({
        ExportTimestamp: T0,
        NumItemsAddedToQueue: 1,
        DeletionCheck: 'WithinLimit',
        IsQueueEmpty: true,
      });
      expect(ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
        {
          TableName: TABLE,
          Key: key(1),
          ConditionExpression: STALE_CONDITION,
          ExpressionAttributeValues: { ':ts': T0 },
        },
      ]);
      expect(sqs).toHaveReceivedCommandWith(DeleteMessageBatchCommand, {
        QueueUrl: QUEUE,
        Entries: [{ Id: 'message-1', ReceiptHandle: 'receipt-1' }],
      });
      expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(1 + EMPTY_RECEIVES_FOR_EMPTY_QUEUE);
    });

    it('keeps an item stamped by this run although an older message names it, and drops the message', async () => {
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [message(1), message(2)] })
        .resolves({});
      ddb.on(DeleteCommand, { Key: key(1) }).rejects(
        Object.assign(new Error('The conditional request failed'), {
          name: 'ConditionalCheckFailedException',
        }),
      );
      const output = await run(cleanupEvent(REMOVE, { ExportTimestamp: T0, DeletionCheck: 'WithinLimit' }));
      expect(output.result.IsQueueEmpty).toBe(true);
      expect(deletedKeys()).toEqual([key(1), key(2)]);
      expect(sqs.commandCalls(DeleteMessageBatchCommand)[0]?.args[0].input.Entries?.map((e) => e.Id)).toEqual(
        ['message-1', 'message-2'],
      );
      expect(logs.text()).toContain('"keptAsConfirmed":1');
    });

    it('deletes an item stamped before the run and keeps one stamped exactly at, after or without a stamp', async () => {
      // A table that applies the delete's condition itself, so the boundary is checked by what
      // is deleted, whatever the condition's wording.
      const items = new Map<string, Record<string, unknown>>(
        [
          { ...key(1), lastConfirmedInUserPool: T0 - 1 },
          { ...key(2), lastConfirmedInUserPool: T0 },
          { ...key(3), lastConfirmedInUserPool: T0 + 1 },
          key(4),
        ].map((item) => [JSON.stringify({ id: item.id, type: item.type }), item]),
      );
      ddb.on(DeleteCommand).callsFake((input: DeleteCommandInput) => {
        const id = JSON.stringify({ id: input.Key?.id, type: input.Key?.type });
        const item = items.get(id) ?? {};
        if (!conditionHolds(input.ConditionExpression ?? '', item, input.ExpressionAttributeValues ?? {})) {
          throw Object.assign(new Error('The conditional request failed'), {
            name: 'ConditionalCheckFailedException',
          });
        }
        items.delete(id);
        return {};
      });
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [message(1), message(2), message(3), message(4)] })
        .resolves({});
      const output = await run(cleanupEvent(REMOVE, { ExportTimestamp: T0, DeletionCheck: 'WithinLimit' }));
      expect(output.result.IsQueueEmpty).toBe(true);
      expect([...items.values()].map((item) => item.id)).toEqual(['USER-sub-2', 'USER-sub-3', 'USER-sub-4']);
      expect(sqs.commandCalls(DeleteMessageBatchCommand)[0]?.args[0].input.Entries).toHaveLength(4);
    });

    it('fails on another delete error, after the other deletes settled, keeping the messages', async () => {
      // One batch, then an empty queue: code that went on after the failure ends and fails the
      // assertions below instead of receiving the same messages forever.
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [message(1), message(2)] })
        .resolves({});
      ddb
        .on(DeleteCommand, { Key: key(1) })
        .rejects(Object.assign(new Error('boom'), { name: 'InternalServerError' }));
      await expect(
        run(cleanupEvent(REMOVE, { ExportTimestamp: T0, DeletionCheck: 'WithinLimit' })),
      ).rejects.toThrow('boom');
      expect(deletedKeys()).toEqual([key(1), key(2)]);
      expect(sqs).not.toHaveReceivedCommand(DeleteMessageBatchCommand);
    });

    it('refuses to remove items without the run timestamp', async () => {
      await expect(run(cleanupEvent(REMOVE, {}))).rejects.toThrow(
        'Error validating Event Payload. Missing value for ExportTimestamp',
      );
      expect(sqs.calls()).toHaveLength(0);
    });

    it('deletes each key once per received batch, and still deletes every message', async () => {
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [message(1), message(2, key(1)), message(3)] })
        .resolves({});
      await run(cleanupEvent(REMOVE, { ExportTimestamp: T0, DeletionCheck: 'WithinLimit' }));
      expect(deletedKeys()).toEqual([key(1), key(3)]);
      expect(sqs.commandCalls(DeleteMessageBatchCommand)[0]?.args[0].input.Entries?.map((e) => e.Id)).toEqual(
        ['message-1', 'message-2', 'message-3'],
      );
    });

    it('resends message deletions SQS failed', async () => {
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [message(1), message(2)] })
        .resolves({});
      sqs
        .on(DeleteMessageBatchCommand)
        .resolvesOnce({ Failed: [{ Id: 'message-2', Code: 'InternalError', SenderFault: false }] })
        .resolves({});
      await run(cleanupEvent(REMOVE, { ExportTimestamp: T0, DeletionCheck: 'WithinLimit' }));
      const deletions = sqs.commandCalls(DeleteMessageBatchCommand).map((call) => call.args[0].input.Entries);
      expect(deletions).toEqual([
        [
          { Id: 'message-1', ReceiptHandle: 'receipt-1' },
          { Id: 'message-2', ReceiptHandle: 'receipt-2' },
        ],
        [{ Id: 'message-2', ReceiptHandle: 'receipt-2' }],
      ]);
    });

    it('reports the queue not yet empty when at most 60 s remain', async () => {
      sqs.on(ReceiveMessageCommand).resolves({ Messages: [message(1)] });
      const output = await run(
        cleanupEvent(REMOVE, { ExportTimestamp: T0, DeletionCheck: 'WithinLimit' }),
        lambdaContext(clock, 60_000),
      );
      expect(output.result.IsQueueEmpty).toBe(false);
      expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    });

    it('starts counting empty polls again after a non-empty one', async () => {
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({})
        .resolvesOnce({ Messages: [message(1)] })
        .resolvesOnce({})
        .resolves({});
      const output = await run(cleanupEvent(REMOVE, { ExportTimestamp: T0, DeletionCheck: 'WithinLimit' }));
      expect(output.result.IsQueueEmpty).toBe(true);
      expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(4);
    });

    it.each([
      ['a body that is not JSON', 'not json', 'Unable to read the cleanup message message-9'],
      ['a body without a key', '{"Action":"DELETE"}', 'The cleanup message message-9 has no item key'],
    ])('fails on %s without deleting anything', async (_label, body, error) => {
      sqs
        .on(ReceiveMessageCommand)
        .resolves({ Messages: [{ MessageId: 'message-9', ReceiptHandle: 'r', Body: body }] });
      await expect(
        run(cleanupEvent(REMOVE, { ExportTimestamp: T0, DeletionCheck: 'WithinLimit' })),
      ).rejects.toThrow(error);
      expect(ddb).not.toHaveReceivedCommand(DeleteCommand);
      expect(sqs).not.toHaveReceivedCommand(DeleteMessageBatchCommand);
    });
  });

  it('does nothing for another state name', async () => {
    const output = await run(cleanupEvent('SomethingElse', { ExportTimestamp: T0, NumItemsAddedToQueue: 3 }));
    expect(output).toEqual({ result: { ExportTimestamp: T0, NumItemsAddedToQueue: 3 } });
    expect(ddb.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('treats a missing Input as empty', async () => {
    const output = await run({
      ...cleanupEvent('SomethingElse', {}),
      Input: undefined,
    } as unknown as BackupTableCleanupEvent);
    expect(output).toEqual({ result: { NumItemsAddedToQueue: 0 } });
  });

  it('fails on a message without id whose body is JSON null', async () => {
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [{ ReceiptHandle: 'r', Body: 'null' }] });
    await expect(
      run(cleanupEvent(REMOVE, { ExportTimestamp: T0, DeletionCheck: 'WithinLimit' })),
    ).rejects.toThrow('The cleanup message  has no item key');
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [{ ReceiptHandle: 'r' }] });
    await expect(
      run(cleanupEvent(REMOVE, { ExportTimestamp: T0, DeletionCheck: 'WithinLimit' })),
    ).rejects.toThrow('Unable to read the cleanup message');
  });

  it('never logs item keys or message bodies', async () => {
    serveScan(table({ users: 20, staleUsers: 1 }));
    await run(cleanupEvent(FIND, { ExportTimestamp: T0 }));
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message(1)] })
      .resolves({});
    await run(cleanupEvent(REMOVE, { ExportTimestamp: T0, DeletionCheck: 'WithinLimit' }));
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(logs.text()).not.toContain('sub-1');
  });
});
