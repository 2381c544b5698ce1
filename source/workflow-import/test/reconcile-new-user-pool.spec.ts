// SPDX-License-Identifier: Apache-2.0
import {
  AdminAddUserToGroupCommand,
  AdminDeleteUserAttributesCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  CognitoIdentityProviderServiceException,
  DescribeUserPoolCommand,
  ListGroupsCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
  UpdateGroupCommand,
  type SchemaAttributeType,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  DescribeContinuousBackupsCommand,
  DescribeExportCommand,
  DynamoDBClient,
  ExportTableToPointInTimeCommand,
} from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BatchGetCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { buildTableExport, serveExportBucket } from '../../test-support/table-export';
import { captureLogs } from '../../test-support/capture-logs';
import { fakeClock, type FakeClock } from '../../test-support/fake-clock';
import { lambdaContext } from '../../test-support/lambda-context';
import { fakeRuntime } from '../../test-support/runtime';
import { emptyCounts, type ReconcileCursor, type ReconcileOutput } from '../lib/reconcile-new-user-pool';
import { PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { executionRun } from '../lib/invocation';
import { hashKeyObject, keyedKeyOf, PoolIndex } from '../lib/pool-index';
import { createHandler, ENVIRONMENT } from '../reconcile-new-user-pool';
import {
  BACKUP_READER_ENV_VALUES,
  groupItem,
  MAPPING_BUCKET,
  membershipItem,
  NEW_USERS_QUEUE_URL,
  POOL_ID,
  sfnContext,
  subOf,
  timestampItem,
  TYPE_GROUP,
  TYPE_USER,
  UPDATES_QUEUE_URL,
  userItem,
  wrapped,
  serveBucket,
} from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const ddb = mockAws(DynamoDBDocumentClient);
const s3 = mockAws(S3Client);
const lowLevelDdb = mockAws(DynamoDBClient);
const sqs = mockAws(SQSClient);

const BUCKET = MAPPING_BUCKET;
const ENV = BACKUP_READER_ENV_VALUES;
const REPORT_KEY = `restore-reports/${POOL_ID}/2024-01-01T00-00-00.000Z.csv`;

/** The new pool as the Cognito mock serves it. */
interface FakePool {
  users: UserType[];
  groups: Map<string, string[]>;
  /** The pool's username attributes (absent: users sign in with their Username). */
  usernameAttributes?: string[];
  /** DescribeUserPool's SchemaAttributes (default SCHEMA). */
  schema?: SchemaAttributeType[];
  /** What ListGroups tells of a group besides its name. */
  groupSettings?: Map<string, { Description?: string; Precedence?: number; RoleArn?: string }>;
}

/** A pool's schema: the standard attributes the fixtures use, `sub` immutable, one custom attribute. */
const SCHEMA: SchemaAttributeType[] = [
  { Name: 'sub', Mutable: false, Required: true },
  { Name: 'email', Mutable: true },
  { Name: 'email_verified', Mutable: true },
  { Name: 'phone_number', Mutable: true },
  { Name: 'phone_number_verified', Mutable: true },
  { Name: 'given_name', Mutable: true },
  { Name: 'custom:plan', Mutable: true },
  { Name: 'custom:tier', Mutable: false },
];

/** A new sub as Cognito writes them (lower-case hexadecimal), spread over the 16 `sub ^=` partitions. */
const newSubOf = (n: number): string =>
  `${(n % 16).toString(16)}eee${n.toString(16).padStart(4, '0')}-aaaa-4bbb-8ccc-${String(n).padStart(12, '0')}`;

/**
 * ListUsers as Cognito answers it: only the users whose sub starts with the `sub ^= "x"` Filter's
 * prefix (all without a Filter), in pages of `Limit` with an index token; each call costs `callMs`.
 */
function listUsers(users: readonly UserType[], clock: FakeClock, callMs = 0) {
  return (input: { Limit: number; PaginationToken?: string; Filter?: string }) => {
    clock.advance(callMs);
    const prefix = /^sub \^= "([0-9a-f])"$/.exec(input.Filter ?? '')?.[1];
    if (input.Filter !== undefined && prefix === undefined)
      throw new Error(`unexpected Filter ${input.Filter}`);
    const matching = users.filter((user) =>
      (user.Attributes ?? []).some((a) => a.Name === 'sub' && a.Value?.startsWith(prefix ?? '')),
    );
    const { items, next } = page(matching, input.PaginationToken, input.Limit);
    return { Users: items, ...(next ? { PaginationToken: next } : {}) };
  };
}

function poolUser(n: number, overrides: Partial<UserType> = {}, email = `user${n}@example.com`): UserType {
  return {
    Username: email,
    Enabled: true,
    Attributes: [
      { Name: 'sub', Value: newSubOf(n) },
      { Name: 'email', Value: email },
      { Name: 'email_verified', Value: 'true' },
    ],
    ...overrides,
  };
}

const store = new Map<string, string>();

function page<T>(all: readonly T[], token: string | undefined, size: number) {
  const start = token === undefined ? 0 : Number(token);
  const next = start + size < all.length ? String(start + size) : undefined;
  return { items: all.slice(start, start + size), next };
}

/**
 * Serves `pool` and `items` (in pages of `scanPage`); every listing or scan call costs `callMs` of the
 * fake clock, so a short invocation runs out of time in the middle.
 */
function serve(
  pool: FakePool,
  items: Record<string, unknown>[],
  clock: FakeClock,
  scanPage = 50,
  callMs = 0,
) {
  cognito.on(DescribeUserPoolCommand).callsFake(() => ({
    UserPool: {
      Id: POOL_ID,
      UsernameAttributes: pool.usernameAttributes,
      SchemaAttributes: pool.schema ?? SCHEMA,
    },
  }));
  const userNamed = (username: string): UserType => {
    const user = pool.users.find((candidate) => candidate.Username === username);
    if (user === undefined)
      throw new CognitoIdentityProviderServiceException({
        name: 'UserNotFoundException',
        $fault: 'client',
        $metadata: {},
      });
    return user;
  };
  cognito.on(AdminGetUserCommand).callsFake((input: { Username: string }) => {
    const user = userNamed(input.Username);
    return { Username: user.Username, UserAttributes: user.Attributes, Enabled: user.Enabled };
  });
  cognito
    .on(AdminUpdateUserAttributesCommand)
    .callsFake((input: { Username: string; UserAttributes: { Name: string; Value: string }[] }) => {
      const user = userNamed(input.Username);
      const attributes = new Map((user.Attributes ?? []).map((a) => [a.Name ?? '', a.Value ?? '']));
      for (const { Name, Value } of input.UserAttributes) attributes.set(Name, Value);
      user.Attributes = [...attributes].map(([Name, Value]) => ({ Name, Value }));
      return {};
    });
  cognito
    .on(AdminDeleteUserAttributesCommand)
    .callsFake((input: { Username: string; UserAttributeNames: string[] }) => {
      const user = userNamed(input.Username);
      user.Attributes = (user.Attributes ?? []).filter(
        (a) => !input.UserAttributeNames.includes(a.Name ?? ''),
      );
      return {};
    });
  cognito
    .on(UpdateGroupCommand)
    .callsFake((input: { GroupName: string; Description?: string; Precedence?: number }) => {
      const settings = pool.groupSettings?.get(input.GroupName) ?? {};
      pool.groupSettings?.set(input.GroupName, {
        ...settings,
        ...(input.Description !== undefined ? { Description: input.Description } : {}),
        ...(input.Precedence !== undefined ? { Precedence: input.Precedence } : {}),
      });
      return {};
    });
  cognito.on(AdminEnableUserCommand).callsFake((input: { Username: string }) => {
    userNamed(input.Username).Enabled = true;
    return {};
  });
  cognito.on(ListUsersCommand).callsFake(listUsers(pool.users, clock, callMs));
  cognito.on(ListGroupsCommand).callsFake((input: { Limit: number; NextToken?: string }) => {
    const { items: names, next } = page([...pool.groups.keys()], input.NextToken, input.Limit);
    return {
      Groups: names.map((GroupName) => ({ GroupName, ...pool.groupSettings?.get(GroupName) })),
      ...(next ? { NextToken: next } : {}),
    };
  });
  cognito
    .on(ListUsersInGroupCommand)
    .callsFake((input: { GroupName: string; Limit: number; NextToken?: string }) => {
      const members = pool.groups.get(input.GroupName) ?? [];
      const { items: names, next } = page(members, input.NextToken, input.Limit);
      return { Users: names.map((Username) => ({ Username })), ...(next ? { NextToken: next } : {}) };
    });
  cognito.on(AdminDisableUserCommand).callsFake((input: { Username: string }) => {
    const user = pool.users.find((candidate) => candidate.Username === input.Username);
    if (user) user.Enabled = false;
    return {};
  });
  cognito.on(AdminAddUserToGroupCommand).callsFake((input: { Username: string; GroupName: string }) => {
    pool.groups.get(input.GroupName)?.push(input.Username);
    return {};
  });
  ddb.on(ScanCommand).callsFake((input: { ExclusiveStartKey?: { id: string } }) => {
    clock.advance(callMs);
    const { items: pageItems, next } = page(items, input.ExclusiveStartKey?.id, scanPage);
    return { Items: pageItems, ...(next ? { LastEvaluatedKey: { id: next } } : {}) };
  });
  ddb
    .on(BatchGetCommand)
    .callsFake((input: { RequestItems: Record<string, { Keys: { id: string; type: string }[] }> }) => ({
      Responses: Object.fromEntries(
        Object.entries(input.RequestItems).map(([table, { Keys }]) => [
          table,
          items.filter((item) => Keys.some((key) => key.id === item.id && key.type === item.type)),
        ]),
      ),
    }));
}

function setup(env: Record<string, string | undefined> = ENV) {
  const clock = fakeClock();
  const logs = captureLogs();
  return { clock, logs, handler: createHandler(fakeRuntime(clock, env, { write: logs.write })) };
}

async function runToEnd(
  handler: ReturnType<typeof createHandler>,
  clock: FakeClock,
  remainingMs = 900_000,
  /** Added to the execution input (e.g. `DropAttributes`). */
  executionInput: Record<string, unknown> = {},
): Promise<{ result: ReconcileOutput; invocations: number }> {
  let input: Record<string, unknown> = { QueueEmpty: true, StateName: 'UpdateNewUsers' };
  for (let invocations = 1; invocations < 100; invocations += 1) {
    const event = wrapped(input, { stateName: 'ReconcileNewUserPool' });
    if (event.Context?.Execution)
      event.Context.Execution.Input = { ...(event.Context.Execution.Input as object), ...executionInput };
    const { result } = (await handler(event, lambdaContext(clock, remainingMs))) as {
      result: ReconcileOutput;
    };
    // Every state stays far below Step Functions' 256 KB.
    expect(JSON.stringify(result).length).toBeLessThan(8_000);
    if (result.ReconcileDone) return { result, invocations };
    input = result as unknown as Record<string, unknown>;
  }
  throw new Error('the reconciliation never finished');
}

function reportRows(): string[][] {
  const text = store.get(REPORT_KEY);
  if (text === undefined) throw new Error(`no ${REPORT_KEY}`);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => line.split(','));
}

const ledgerLine = (n: number, outcome: string, reason: string): string =>
  `${JSON.stringify({ sub: subOf(n), username: `user${n}@example.com`, outcome, reason })}\n`;

describe('reconcile-new-user-pool', () => {
  beforeEach(() => {
    cognito.reset();
    ddb.reset();
    s3.reset();
    sqs.reset();
    sqs.on(PurgeQueueCommand).resolves({});
    store.clear();
    serveBucket(s3, store, { list: true });
  });

  it('declares the variables it reads', () => {
    expect(Object.keys(ENVIRONMENT)).toEqual([
      'COGNITO_TPS',
      'BACKUP_TABLE_NAME',
      'TYPE_USER',
      'TYPE_GROUP',
      'TYPE_TIMESTAMP',
      'USER_IMPORT_JOB_MAPPING_FILES_BUCKET',
      'NEW_USERS_QUEUE_URL',
      'NEW_USERS_UPDATES_QUEUE_URL',
      'SNAPSHOT_BUCKET',
      'BACKUP_TABLE_ARN',
      'KMS_KEY_ARN',
    ]);
  });

  it('refuses a state it does not know', async () => {
    await expect(setup().handler(wrapped({}, { stateName: 'Other' }))).rejects.toThrow(
      'Unknown StateName: Other',
    );
  });

  it('names the run after the execution and its start time', () => {
    expect(executionRun(sfnContext())).toEqual({ execution: 'run-1', startTime: '2024-01-01T00:00:00.000Z' });
  });

  it('succeeds with one report row per backed-up user, old and new sub, when the pool matches', async () => {
    const { handler, clock } = setup();
    const pool: FakePool = {
      users: [poolUser(1), poolUser(2, { Enabled: false })],
      groups: new Map([['admins', ['user1@example.com']]]),
    };
    serve(
      pool,
      [
        timestampItem(),
        groupItem('admins'),
        userItem(1),
        userItem(2, { userEnabled: false }),
        membershipItem('admins', 1),
      ],
      clock,
    );
    const { result } = await runToEnd(handler, clock);
    expect(result).toEqual({
      ReconcileDone: true,
      RestoreComplete: true,
      RestoreReport: {
        Bucket: BUCKET,
        Key: REPORT_KEY,
        Counts: expect.objectContaining({
          users: 2,
          csvImport: 2,
          missing: 0,
          memberships: 1,
          disabledUsers: 1,
        }),
        RecoveryPoint: 'the backup table backup-table as it is now',
      },
    });
    expect(reportRows()).toEqual([
      ['oldSub', 'newSub', 'username', 'outcome', 'reason', 'signIn'],
      [subOf(1), newSubOf(1), 'user1@example.com', 'csv-import', '', 'reset-password'],
      [subOf(2), newSubOf(2), 'user2@example.com', 'csv-import', '', 'reset-password'],
    ]);
    expect(cognito).not.toHaveReceivedCommand(AdminAddUserToGroupCommand);
    expect(cognito).not.toHaveReceivedCommand(AdminDisableUserCommand);
  });

  it('applies missing memberships and disables a disabled user that was left enabled', async () => {
    const { handler, clock } = setup();
    const pool: FakePool = {
      users: [poolUser(1), poolUser(2)],
      groups: new Map([
        ['admins', []],
        ['staff', ['user2@example.com']],
      ]),
    };
    serve(
      pool,
      [
        groupItem('admins'),
        groupItem('staff'),
        userItem(1),
        userItem(2, { userEnabled: false }),
        membershipItem('admins', 1),
        membershipItem('admins', 2),
        membershipItem('staff', 2),
      ],
      clock,
    );
    const { result } = await runToEnd(handler, clock);
    expect(result).toMatchObject({
      RestoreComplete: true,
      RestoreReport: {
        Counts: {
          memberships: 3,
          membershipsAdded: 2,
          membershipsMissing: 0,
          disabledUsers: 1,
          disabledApplied: 1,
          disabledMissing: 0,
        },
      },
    });
    expect(pool.users[1]?.Enabled).toBe(false);
    expect(pool.groups.get('admins')).toEqual(['user1@example.com', 'user2@example.com']);
    expect(cognito).toHaveReceivedCommandWith(AdminDisableUserCommand, {
      UserPoolId: POOL_ID,
      Username: 'user2@example.com',
    });
  });

  it('fails with the counts by kind and the Resume input when users, memberships or flags are missing', async () => {
    const { handler, clock } = setup();
    const pool: FakePool = { users: [poolUser(1), poolUser(2)], groups: new Map() };
    serve(
      pool,
      [
        groupItem('admins'),
        userItem(1),
        userItem(2, { userEnabled: false }),
        userItem(3),
        membershipItem('admins', 1),
        membershipItem('admins', 3),
      ],
      clock,
    );
    cognito.on(AdminDisableUserCommand).rejects(
      new CognitoIdentityProviderServiceException({
        name: 'NotAuthorizedException',
        $fault: 'client',
        message: 'denied',
        $metadata: {},
      }),
    );
    const { result } = await runToEnd(handler, clock);
    expect(result).toMatchObject({ ReconcileDone: true, RestoreComplete: false, Error: 'RestoreIncomplete' });
    const cause = (result as { Cause: string }).Cause;
    expect(cause).toBe(
      `The restore into the user pool ${POOL_ID} is incomplete: 1 of 3 backed-up users missing, ` +
        '1 of 1 groups missing, 2 of 2 group memberships missing, 1 of 1 disabled users still enabled. ' +
        `The restore report (s3://${BUCKET}/${REPORT_KEY}) lists every backed-up user with its outcome. ` +
        `To finish, start the ImportWorkflow again with the input {"NewUserPoolId":"${POOL_ID}","Resume":true}: ` +
        'it keeps what is in the pool, imports the rest and reconciles again.',
    );
    expect(cause).not.toContain('@');
    expect(reportRows()[3]).toEqual([subOf(3), '', 'user3@example.com', 'missing', '', '']);
  });

  it('Snapshot: compares the pool with the snapshot, not the table, names it, and resumes with it', async () => {
    const { handler, clock } = setup();
    const pool: FakePool = { users: [poolUser(1)], groups: new Map([['admins', ['user1@example.com']]]) };
    serve(pool, [userItem(1), userItem(7)], clock);
    const snapshot = buildTableExport(
      [[groupItem('admins'), userItem(1), membershipItem('admins', 1)], [userItem(2)]],
      { prefix: 'snapshots/20261207T223000Z/' },
    );
    serveExportBucket(s3, snapshot.objects, 'snapshot-bucket');
    const { result } = await runToEnd(handler, clock, 900_000, { Snapshot: '20261207T223000Z' });
    expect(ddb).not.toHaveReceivedCommand(ScanCommand);
    expect(result).toMatchObject({
      RestoreComplete: false,
      RestoreReport: {
        Counts: expect.objectContaining({ users: 2, missing: 1, groups: 1, memberships: 1 }),
        RecoveryPoint: expect.stringMatching(/^the snapshot 20261207T223000Z \(export arn:aws:dynamodb:/),
      },
    });
    expect((result as { Cause: string }).Cause).toContain(
      `start the ImportWorkflow again with the input {"NewUserPoolId":"${POOL_ID}","Snapshot":"20261207T223000Z","Resume":true}`,
    );
    expect(reportRows().map((row) => row[0])).toEqual(['oldSub', subOf(1), subOf(2)]);
  });

  it('fails when the only thing missing is a disabled user left enabled (AdminDisableUser refused)', async () => {
    const { handler, clock } = setup();
    const pool: FakePool = {
      users: [poolUser(1), poolUser(2)],
      groups: new Map([['admins', ['user1@example.com']]]),
    };
    serve(
      pool,
      [groupItem('admins'), userItem(1), userItem(2, { userEnabled: false }), membershipItem('admins', 1)],
      clock,
    );
    cognito.on(AdminDisableUserCommand).rejects(
      new CognitoIdentityProviderServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: 'denied',
        $metadata: {},
      }),
    );
    const { result } = await runToEnd(handler, clock);
    expect(result).toMatchObject({
      ReconcileDone: true,
      RestoreComplete: false,
      Error: 'RestoreIncomplete',
      RestoreReport: {
        Counts: {
          missing: 0,
          membershipsMissing: 0,
          disabledUsers: 1,
          disabledApplied: 0,
          disabledMissing: 1,
        },
      },
    });
    expect((result as { Cause: string }).Cause).toContain(': 1 of 1 disabled users still enabled. ');
    // The banned user can still sign in.
    expect(pool.users[1]?.Enabled).toBe(true);
  });

  it('takes the outcome of absent and fallback users from the restore ledger', async () => {
    const { handler, clock } = setup();
    store.set(`restore-ledger/${POOL_ID}/a.jsonl`, ledgerLine(2, 'skipped', 'csv-line-break'));
    store.set(
      `restore-ledger/${POOL_ID}/b.jsonl`,
      ledgerLine(3, 'admin-create', 'unverified-contact') + ledgerLine(4, 'admin-create', 'unconfirmed'),
    );
    // Another pool's ledger is not read.
    store.set(`restore-ledger/${POOL_ID}-other/c.jsonl`, ledgerLine(1, 'skipped', 'no-pseudo-username'));
    const pool: FakePool = { users: [poolUser(1), poolUser(3)], groups: new Map([['admins', []]]) };
    serve(
      pool,
      [groupItem('admins'), userItem(1), userItem(2), userItem(3), userItem(4), membershipItem('admins', 2)],
      clock,
    );
    const { result } = await runToEnd(handler, clock);
    expect(reportRows().slice(1)).toEqual([
      [subOf(1), newSubOf(1), 'user1@example.com', 'csv-import', '', 'reset-password'],
      [subOf(2), '', 'user2@example.com', 'skipped', 'csv-line-break', ''],
      [subOf(3), newSubOf(3), 'user3@example.com', 'admin-create', 'unverified-contact', 'administrator'],
      [subOf(4), '', 'user4@example.com', 'missing', '', ''],
    ]);
    expect(result).toMatchObject({
      RestoreComplete: false,
      RestoreReport: {
        Counts: {
          users: 4,
          csvImport: 1,
          adminCreate: 1,
          skipped: 1,
          missing: 1,
          membershipsOfSkippedUsers: 1,
          membershipsMissing: 0,
        },
      },
    });
  });

  it('says how each restored user signs in again, from the ledger written by AdminCreateUser', async () => {
    const { handler, clock } = setup();
    const line = (n: number, signIn: string): string =>
      `${JSON.stringify({ sub: subOf(n), username: `user${n}@example.com`, outcome: 'admin-create', reason: 'unconfirmed', signIn })}\n`;
    store.set(`restore-ledger/${POOL_ID}/a.jsonl`, line(2, 'reset-password') + line(3, 'administrator'));
    serve(
      { users: [poolUser(1), poolUser(2), poolUser(3)], groups: new Map() },
      [1, 2, 3].map((n) => userItem(n)),
      clock,
    );
    const { result } = await runToEnd(handler, clock);
    expect(
      reportRows()
        .slice(1)
        .map((row) => [row[3], row[5]]),
    ).toEqual([
      ['csv-import', 'reset-password'],
      ['admin-create', 'reset-password'],
      ['admin-create', 'administrator'],
    ]);
    expect(result).toMatchObject({
      RestoreComplete: true,
      RestoreReport: { Counts: { csvImport: 1, adminCreate: 2, adminCreateNeedsPassword: 1 } },
    });
  });

  it('finds users of a pool that signs in with e-mail by their e-mail, whatever their new Username', async () => {
    const { handler, clock } = setup();
    const pool: FakePool = {
      users: [poolUser(1, { Username: 'c0ffee00-0000-4000-8000-000000000001' })],
      groups: new Map([['admins', []]]),
      usernameAttributes: ['email'],
    };
    serve(
      pool,
      [groupItem('admins'), userItem(1, { username: subOf(1) }), membershipItem('admins', 1)],
      clock,
    );
    const { result } = await runToEnd(handler, clock);
    expect(result).toMatchObject({ RestoreComplete: true });
    expect(reportRows()[1]).toEqual([
      subOf(1),
      newSubOf(1),
      'user1@example.com',
      'csv-import',
      '',
      'reset-password',
    ]);
    expect(cognito).toHaveReceivedCommandWith(AdminAddUserToGroupCommand, {
      Username: 'c0ffee00-0000-4000-8000-000000000001',
      GroupName: 'admins',
    });
  });

  it("names a member by its user item's sign-in name when the table holds the old Username (v1.0.10)", async () => {
    const { handler, clock } = setup();
    const pool: FakePool = {
      users: [poolUser(1, { Username: 'c0ffee00-0000-4000-8000-000000000001' })],
      groups: new Map([['late-group', []]]),
      usernameAttributes: ['email'],
    };
    // v1.0.10 wrote the memberships of groups after its first ListGroups page with the Username.
    const late = { ...membershipItem('late-group', 1), groupPseudoUsername: subOf(1) };
    serve(pool, [groupItem('late-group'), late, userItem(1, { username: subOf(1) })], clock);
    const { result } = await runToEnd(handler, clock);
    expect(result).toMatchObject({ RestoreComplete: true });
    expect(ddb).toHaveReceivedCommandWith(BatchGetCommand, {
      RequestItems: {
        [ENV.BACKUP_TABLE_NAME]: expect.objectContaining({
          Keys: [{ id: `USER-${subOf(1)}`, type: TYPE_USER }],
        }),
      },
    });
    expect(cognito).toHaveReceivedCommandWith(AdminAddUserToGroupCommand, {
      Username: 'c0ffee00-0000-4000-8000-000000000001',
      GroupName: 'late-group',
    });
  });

  describe.each([
    // [pool kind, username attributes, alice's sign-in name, bob's sign-in name, bob as the new pool holds him]
    [
      'without username attributes',
      undefined,
      'alice@example.com',
      'bob',
      { Username: 'bob', email: 'alice@example.com', phone_number: '+15550000001' },
    ],
    [
      'that signs in with e-mail',
      ['email'],
      'alice@example.com',
      'bob@example.com',
      { Username: 'alice@example.com', email: 'bob@example.com', phone_number: 'alice@example.com' },
    ],
    [
      'that signs in with a phone number',
      ['phone_number'],
      '+15550000001',
      '+15550000002',
      { Username: '+15550000001', email: '+15550000001', phone_number: '+15550000002' },
    ],
    [
      'that signs in with e-mail or phone number',
      ['email', 'phone_number'],
      'alice@example.com',
      '+15550000002',
      { Username: 'alice@example.com', phone_number: '+15550000002' },
    ],
  ])('in a pool %s', (_kind, usernameAttributes, alice, bob, bobInPool) => {
    it('counts a missing user missing when another user holds her sign-in name as Username, e-mail or phone', async () => {
      const { handler, clock } = setup();
      const { Username, ...attributes } = bobInPool;
      const pool: FakePool = {
        users: [
          {
            Username,
            Enabled: true,
            Attributes: [
              { Name: 'sub', Value: newSubOf(2) },
              ...Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
            ],
          },
        ],
        groups: new Map([
          ['admins', []],
          ['staff', [Username]],
        ]),
        ...(usernameAttributes ? { usernameAttributes } : {}),
      };
      serve(
        pool,
        [
          groupItem('admins'),
          groupItem('staff'),
          userItem(1, { pseudoUsername: alice }),
          userItem(2, { pseudoUsername: bob }),
          { ...membershipItem('admins', 1), groupPseudoUsername: alice },
          { ...membershipItem('staff', 2), groupPseudoUsername: bob },
        ],
        clock,
      );
      const { result } = await runToEnd(handler, clock);
      expect(result).toMatchObject({
        RestoreComplete: false,
        Error: 'RestoreIncomplete',
        RestoreReport: {
          Counts: { users: 2, csvImport: 1, missing: 1, memberships: 2, membershipsMissing: 1 },
        },
      });
      expect(reportRows().slice(1)).toEqual([
        [subOf(1), '', alice, 'missing', '', ''],
        [subOf(2), newSubOf(2), bob, 'csv-import', '', 'reset-password'],
      ]);
      // Alice's group is not given to Bob.
      expect(cognito).not.toHaveReceivedCommand(AdminAddUserToGroupCommand);
    });
  });

  it('fails when two backed-up users would share one new sub, and writes the report for inspection', async () => {
    const { handler, clock } = setup();
    serve(
      { users: [poolUser(1)], groups: new Map() },
      [userItem(1), userItem(2, { pseudoUsername: 'user1@example.com' })],
      clock,
    );
    await expect(runToEnd(handler, clock)).rejects.toThrow(
      expect.objectContaining({
        name: 'DuplicateNewSubError',
        message: expect.stringMatching(
          /^The restore report \(s3:\/\/.*\) gives 1 new subs to more than one backed-up user/,
        ),
      }),
    );
    expect(
      reportRows()
        .slice(1)
        .map((row) => row[1]),
    ).toEqual([newSubOf(1), newSubOf(1)]);
  });

  it('starts again from the listing when given a cursor of the previous version past its listing', async () => {
    const { handler, clock } = setup();
    // The previous version's chunks: a user row with hashes of every e-mail and phone value.
    const prefix = `restore-work/${POOL_ID}/run-1/`;
    store.set(`${prefix}reconcile-users/000000.json`, JSON.stringify([['someone', 'other-sub', true, 'x']]));
    store.set(`${prefix}reconcile-groups/000000.json`, JSON.stringify({ groups: [], members: [] }));
    serve({ users: [poolUser(1)], groups: new Map() }, [userItem(1)], clock);
    const old: ReconcileCursor = {
      Phase: 'Scan',
      Users: { Chunks: 1, Done: true },
      Groups: { Offset: 0, Chunks: 1, Done: true },
      Pages: 0,
      Counts: emptyCounts(),
    };
    const { result } = (await handler(
      wrapped({ Reconcile: old }, { stateName: 'ReconcileNewUserPool' }),
      lambdaContext(clock, 900_000),
    )) as { result: ReconcileOutput };
    expect(result).toMatchObject({
      RestoreComplete: true,
      RestoreReport: { Counts: { users: 1, csvImport: 1 } },
    });
    expect(cognito).toHaveReceivedCommand(ListUsersCommand);
    expect(reportRows().slice(1)).toEqual([
      [subOf(1), newSubOf(1), 'user1@example.com', 'csv-import', '', 'reset-password'],
    ]);
  });

  it('continues mid-listing and mid-scan from its cursor, listing each partition page and scanning each page once', async () => {
    const { handler, clock } = setup();
    // About 62 users a partition: two ListUsers pages each.
    const n = 1000;
    const pool: FakePool = {
      users: Array.from({ length: n }, (_, i) => poolUser(i + 1)),
      groups: new Map([['admins', Array.from({ length: 130 }, (_, i) => `user${i + 1}@example.com`)]]),
    };
    const items = [
      groupItem('admins'),
      ...Array.from({ length: n }, (_, i) => userItem(i + 1)),
      ...Array.from({ length: 130 }, (_, i) => membershipItem('admins', i + 1)),
    ];
    // Each ListUsers page and each Scan page takes 30 s of a 100-second invocation.
    serve(pool, items, clock, 200, 30_000);
    const { result, invocations } = await runToEnd(handler, clock, 100_000);
    expect(invocations).toBeGreaterThan(4);
    // Every partition's pages asked for once each, in order: nothing listed twice, nothing skipped.
    const asked = cognito
      .commandCalls(ListUsersCommand)
      .map((call) => `${call.args[0].input.Filter ?? ''} ${call.args[0].input.PaginationToken ?? 'start'}`);
    expect([...asked].sort()).toEqual(
      [...'0123456789abcdef'].flatMap((p) => [`sub ^= "${p}" 60`, `sub ^= "${p}" start`]).sort(),
    );
    const startKeys = ddb.commandCalls(ScanCommand).map((call) => call.args[0].input.ExclusiveStartKey);
    expect(startKeys).toEqual([undefined, ...[200, 400, 600, 800, 1000].map((id) => ({ id: String(id) }))]);
    expect(result).toMatchObject({
      RestoreComplete: true,
      RestoreReport: { Counts: { users: n, csvImport: n, memberships: 130, membershipsAdded: 0 } },
    });
    const rows = reportRows().slice(1);
    expect(rows).toHaveLength(n);
    expect(new Set(rows.map((row) => row[1])).size).toBe(n);
    expect(rows.every((row, i) => row[0] === subOf(i + 1) && row[1] === newSubOf(i + 1))).toBe(true);
  });

  it('quotes a username that holds a comma in the report', async () => {
    const { handler, clock } = setup();
    const pool: FakePool = { users: [poolUser(1, { Username: 'smith, john' })], groups: new Map() };
    serve(pool, [userItem(1, { pseudoUsername: 'smith, john' })], clock);
    await runToEnd(handler, clock);
    expect(store.get(REPORT_KEY)).toBe(
      `oldSub,newSub,username,outcome,reason,signIn\n${subOf(1)},${newSubOf(1)},"smith, john",csv-import,,reset-password\n`,
    );
  });
});

describe('reconcile-new-user-pool on Resume', () => {
  const resumed = (stateName: string, input: Record<string, unknown> = {}, resume: unknown = true) => {
    const event = wrapped(input, { stateName });
    event.Context!.Execution.Input = { NewUserPoolId: POOL_ID, Resume: resume };
    return event;
  };

  beforeEach(() => {
    cognito.reset();
    s3.reset();
    sqs.reset();
    store.clear();
    sqs.on(PurgeQueueCommand).resolves({});
    serveBucket(s3, store);
  });

  it('PurgeImportQueues empties both import queues on Resume', async () => {
    const { handler } = setup();
    await expect(handler(resumed('PurgeImportQueues'))).resolves.toEqual({ result: { Resume: true } });
    expect(sqs.commandCalls(PurgeQueueCommand).map((call) => call.args[0].input.QueueUrl)).toEqual([
      NEW_USERS_QUEUE_URL,
      UPDATES_QUEUE_URL,
    ]);
  });

  it('PurgeImportQueues does nothing for a restore into an empty pool', async () => {
    const { handler } = setup();
    await expect(handler(resumed('PurgeImportQueues', {}, false))).resolves.toEqual({
      result: { Resume: false },
    });
    await expect(handler(wrapped({}, { stateName: 'PurgeImportQueues' }))).resolves.toEqual({
      result: { Resume: false },
    });
    expect(sqs).not.toHaveReceivedCommand(PurgeQueueCommand);
  });

  it('PurgeImportQueues purges nothing for a restore into a pool it creates (no pool yet, nothing queued)', async () => {
    const { handler } = setup();
    const creating = wrapped({}, { stateName: 'PurgeImportQueues' });
    creating.Context!.Execution.Input = { CreateUserPool: { PoolName: 'restored' } };
    await expect(handler(creating)).resolves.toEqual({ result: { Resume: false } });
    expect(sqs).not.toHaveReceivedCommand(PurgeQueueCommand);
    expect(cognito).not.toHaveReceivedAnyCommand();
  });

  it('refuses a Resume that is neither true nor false', async () => {
    const { handler } = setup();
    await expect(handler(resumed('PurgeImportQueues', {}, 'yes'))).rejects.toThrow(
      'Resume must be true or false in the execution input (found "yes")',
    );
    expect(sqs).not.toHaveReceivedCommand(PurgeQueueCommand);
  });

  it('ListNewUserPool lists the users already in the pool by sub partition, continuing from its cursor', async () => {
    const { handler, clock } = setup();
    // 125 users a partition: three ListUsers pages each.
    const users = Array.from({ length: 2000 }, (_, i) => poolUser(i + 1));
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: { Id: POOL_ID } });
    cognito.on(ListUsersCommand).callsFake(listUsers(users, clock, 50_000));
    const first = await handler(resumed('ListNewUserPool'), lambdaContext(clock, 100_000));
    // The 16 partitions are listed at once: each got its first page.
    expect(first).toEqual({
      result: {
        ResumeListingDone: false,
        ResumeListing: {
          Partitions: [...'0123456789abcdef'].map((p) => [p, '60']),
          Chunks: 1,
          Done: false,
          UsernameAttributes: [],
        },
      },
    });
    let cursor = first.result as Record<string, unknown>;
    for (let invocation = 2; invocation < 10 && cursor.ResumeListingDone !== true; invocation += 1) {
      cursor = (await handler(resumed('ListNewUserPool', cursor), lambdaContext(clock, 100_000)))
        .result as Record<string, unknown>;
    }
    expect(cursor).toEqual({
      ResumeListingDone: true,
      ResumeListing: { Chunks: 3, Done: true, UsernameAttributes: [] },
    });
    expect(cognito).toHaveReceivedCommandTimes(DescribeUserPoolCommand, 1);
    expect(cognito).toHaveReceivedCommandTimes(ListUsersCommand, 48);
    const prefix = `restore-work/${POOL_ID}/run-1/resume-users/`;
    const chunks = [0, 1, 2].map((i) => `${prefix}00000${i}.json`);
    expect([...store.keys()].sort()).toEqual([...chunks, hashKeyObject(prefix)].sort());
    const rows = chunks.flatMap((key) => JSON.parse(store.get(key) ?? '[]') as unknown[][]);
    expect(rows).toHaveLength(2000);
    expect(new Set(rows.map((row) => row[0])).size).toBe(2000);
    // Username, new sub, enabled, and what the user signs in with (here the Username) only as a hash
    // keyed by the listing's key.
    const secret = Buffer.from(store.get(hashKeyObject(prefix)) ?? '', 'base64');
    expect(rows).toContainEqual([
      'user1@example.com',
      newSubOf(1),
      true,
      keyedKeyOf(secret, 'user1@example.com'),
    ]);
    expect(JSON.stringify(rows)).not.toContain('user1@example.com"]');
  });

  it('ListNewUserPool starts again from every partition when given a cursor of the previous version', async () => {
    const clock = fakeClock();
    const { handler } = setup();
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: { Id: POOL_ID } });
    cognito.on(ListUsersCommand).callsFake(listUsers([poolUser(1), poolUser(2)], clock));
    // One ListUsers chain's token and a chunk of rows with other keys.
    const old = { ResumeListing: { Token: 'old-token', Chunks: 1, Done: false } };
    const { result } = await handler(resumed('ListNewUserPool', old), lambdaContext(clock, 900_000));
    expect(result).toEqual({
      ResumeListingDone: true,
      ResumeListing: { Chunks: 1, Done: true, UsernameAttributes: [] },
    });
    expect(cognito.commandCalls(ListUsersCommand).map((call) => call.args[0].input.PaginationToken)).toEqual(
      Array.from({ length: 16 }, () => undefined),
    );
    const rows = JSON.parse(
      store.get(`restore-work/${POOL_ID}/run-1/resume-users/000000.json`) ?? '',
    ) as unknown[][];
    expect(rows.map((row) => row[0])).toEqual(
      expect.arrayContaining(['user1@example.com', 'user2@example.com']),
    );
  });

  it('ListNewUserPool: a user whose e-mail is a missing user’s Username does not make her present', async () => {
    const { handler } = setup();
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: { Id: POOL_ID } });
    const clock = fakeClock();
    cognito
      .on(ListUsersCommand)
      .callsFake(listUsers([poolUser(2, { Username: 'bob' }, 'alice@example.com')], clock));
    await handler(resumed('ListNewUserPool'), lambdaContext(clock, 900_000));
    const index = await PoolIndex.load(
      { s3: new S3Client({}), bucket: BUCKET },
      { prefix: `restore-work/${POOL_ID}/run-1/resume-users/`, chunks: 1 },
    );
    expect(index.find('alice@example.com')).toBeUndefined();
    expect(index.find('bob')).toEqual({ username: 'bob', sub: newSubOf(2), enabled: true });
  });
});

describe('reconcile-new-user-pool with unusual data', () => {
  beforeEach(() => {
    cognito.reset();
    ddb.reset();
    s3.reset();
    store.clear();
    serveBucket(s3, store);
    // One key per page, to follow the continuation.
    s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string; ContinuationToken?: string }) => {
      const keys = [...store.keys()].filter((key) => key.startsWith(input.Prefix)).sort();
      const start = Number(input.ContinuationToken ?? 0);
      const more = start + 1 < keys.length;
      return {
        Contents: keys.slice(start, start + 1).map((Key) => ({ Key })),
        IsTruncated: more,
        ...(more ? { NextContinuationToken: String(start + 1) } : {}),
      };
    });
  });

  it('lists groups and members beyond a page and across invocations, and reads odd items without failing', async () => {
    const { handler, clock } = setup();
    const groups = new Map<string, string[]>();
    for (let g = 0; g < 65; g += 1) groups.set(`g${g}`, []);
    groups.set(
      'g0',
      Array.from({ length: 130 }, (_, i) => `user${i + 1}@example.com`),
    );
    const pool: FakePool = {
      users: [
        ...Array.from({ length: 130 }, (_, i) => poolUser(i + 1)),
        { Attributes: [{ Name: 'sub', Value: 'no-username' }] },
        { Username: 'no-attributes' },
      ],
      groups,
    };
    serve(
      pool,
      [
        groupItem('g0'),
        groupItem('gone'),
        { id: 'GROUP-x', type: TYPE_GROUP },
        ...Array.from({ length: 130 }, (_, i) => membershipItem('g0', i + 1)),
        { id: 'GROUP_MEMBER-g0', type: 'GROUP_MEMBER-x' },
        membershipItem('gone', 1),
        membershipItem('g0', 999),
        userItem(1),
        userItem(2, { userAttributes: [], id: `USER-${subOf(2)}` }),
        userItem(3, { pseudoUsername: undefined }),
        userItem(999),
      ],
      clock,
    );
    store.set(`restore-ledger/${POOL_ID}/a.jsonl`, ledgerLine(999, 'admin-create', 'unconfirmed'));
    // Each ListUsersInGroup page takes 25 s of a 90-second invocation.
    cognito.on(ListUsersInGroupCommand).callsFake((input: { GroupName: string; NextToken?: string }) => {
      clock.advance(25_000);
      const { items: names, next } = page(pool.groups.get(input.GroupName) ?? [], input.NextToken, 60);
      return { Users: names.map((Username) => ({ Username })), ...(next ? { NextToken: next } : {}) };
    });
    const { result, invocations } = await runToEnd(handler, clock, 90_000);
    expect(invocations).toBeGreaterThan(3);
    expect(result).toMatchObject({
      RestoreComplete: false,
      RestoreReport: {
        Counts: {
          users: 4,
          csvImport: 2,
          missing: 2,
          groups: 3,
          groupsMissing: 2,
          memberships: 132,
          membershipsMissing: 2,
          membershipsAdded: 0,
        },
      },
    });
    expect(reportRows().slice(1)).toEqual([
      [subOf(1), newSubOf(1), 'user1@example.com', 'csv-import', '', 'reset-password'],
      [subOf(2), newSubOf(2), 'user2@example.com', 'csv-import', '', 'reset-password'],
      [subOf(3), '', '', 'missing', '', ''],
      [subOf(999), '', 'user999@example.com', 'missing', '', ''],
    ]);
    const tokens = cognito
      .commandCalls(ListUsersInGroupCommand)
      .filter((call) => call.args[0].input.GroupName === 'g0')
      .map((call) => call.args[0].input.NextToken);
    expect(tokens).toEqual([undefined, '60', '120']);
  });

  it('counts a membership it could not add as missing', async () => {
    const { handler, clock } = setup();
    const pool: FakePool = { users: [poolUser(1)], groups: new Map([['admins', []]]) };
    serve(pool, [groupItem('admins'), userItem(1), membershipItem('admins', 1)], clock);
    cognito.on(AdminAddUserToGroupCommand).rejects(
      new CognitoIdentityProviderServiceException({
        name: 'UserNotFoundException',
        $fault: 'client',
        message: 'gone',
        $metadata: {},
      }),
    );
    const { result } = await runToEnd(handler, clock);
    expect(result).toMatchObject({
      RestoreComplete: false,
      RestoreReport: { Counts: { memberships: 1, membershipsAdded: 0, membershipsMissing: 1 } },
    });
  });

  it('writes a report with only its header for an empty table', async () => {
    const { handler, clock } = setup();
    serve({ users: [], groups: new Map() }, [], clock);
    await expect(runToEnd(handler, clock)).resolves.toMatchObject({ result: { RestoreComplete: true } });
    expect(store.get(REPORT_KEY)).toBe('oldSub,newSub,username,outcome,reason,signIn\n');
  });
  describe('contents: attributes and enabled flag', () => {
    const attributesOf = (user: UserType | undefined): Record<string, string> =>
      Object.fromEntries((user?.Attributes ?? []).map((a) => [a.Name ?? '', a.Value ?? '']));
    const backed = (n: number, extra: { Name: string; Value: string }[], overrides = {}) =>
      userItem(n, {
        userAttributes: [
          { Name: 'sub', Value: subOf(n) },
          { Name: 'email', Value: `user${n}@example.com` },
          { Name: 'email_verified', Value: 'true' },
          ...extra,
        ],
        ...overrides,
      });
    const restored = (n: number, extra: { Name: string; Value: string }[], overrides = {}) =>
      poolUser(n, {
        Attributes: [
          { Name: 'sub', Value: newSubOf(n) },
          { Name: 'email', Value: `user${n}@example.com` },
          { Name: 'email_verified', Value: 'true' },
          ...extra,
        ],
        ...overrides,
      });

    it('sets a changed value, adds a missing attribute and deletes an extra one; identical users cost no call', async () => {
      const { handler, clock } = setup();
      const pool: FakePool = {
        users: [
          restored(1, [{ Name: 'given_name', Value: 'Changed' }]),
          restored(2, [{ Name: 'custom:plan', Value: 'extra' }]),
          restored(3, []),
          restored(4, [{ Name: 'given_name', Value: 'Same' }]),
        ],
        groups: new Map(),
      };
      serve(
        pool,
        [
          backed(1, [{ Name: 'given_name', Value: 'Ana' }]),
          backed(2, []),
          backed(3, [{ Name: 'custom:plan', Value: 'gold' }]),
          backed(4, [{ Name: 'given_name', Value: 'Same' }]),
        ],
        clock,
      );
      const { result } = await runToEnd(handler, clock);
      expect(result).toMatchObject({
        RestoreComplete: true,
        RestoreReport: { Counts: { attributesFixed: 3, attributesDiffer: 0, enabledFixed: 0 } },
      });
      expect(attributesOf(pool.users[0])).toMatchObject({ given_name: 'Ana' });
      expect(attributesOf(pool.users[1])).not.toHaveProperty('custom:plan');
      expect(attributesOf(pool.users[2])).toMatchObject({ 'custom:plan': 'gold' });
      expect(cognito).toHaveReceivedCommandTimes(AdminGetUserCommand, 3);
      expect(cognito).toHaveReceivedCommandWith(AdminDeleteUserAttributesCommand, {
        UserPoolId: POOL_ID,
        Username: 'user2@example.com',
        UserAttributeNames: ['custom:plan'],
      });
      expect(cognito).not.toHaveReceivedCommandWith(AdminGetUserCommand, { Username: 'user4@example.com' });
    });

    it('enables a user the backup has enabled, and still disables one the backup has disabled', async () => {
      const { handler, clock } = setup();
      const pool: FakePool = {
        users: [restored(1, [], { Enabled: false }), restored(2, [])],
        groups: new Map(),
      };
      serve(pool, [backed(1, []), backed(2, [], { userEnabled: false })], clock);
      const { result } = await runToEnd(handler, clock);
      expect(result).toMatchObject({
        RestoreComplete: true,
        RestoreReport: { Counts: { enabledFixed: 1, enabledMissing: 0, disabledApplied: 1 } },
      });
      expect(pool.users.map((user) => user.Enabled)).toEqual([true, false]);
    });

    it('fails as incomplete, naming the attribute only, when a difference cannot be set right', async () => {
      const { handler, clock } = setup();
      const pool: FakePool = {
        users: [restored(1, []), restored(2, [], { Enabled: false })],
        groups: new Map(),
      };
      serve(
        pool,
        [
          backed(1, [
            { Name: 'custom:department', Value: 'Secret Dept' },
            { Name: 'custom:tier', Value: 'vip' },
          ]),
          backed(2, []),
        ],
        clock,
      );
      cognito.on(AdminEnableUserCommand).rejects(
        new CognitoIdentityProviderServiceException({
          name: 'NotAuthorizedException',
          $fault: 'client',
          $metadata: {},
        }),
      );
      const { result } = await runToEnd(handler, clock);
      expect(result).toMatchObject({
        RestoreComplete: false,
        Error: 'RestoreIncomplete',
        RestoreReport: { Counts: { attributesDiffer: 1, attributesFixed: 0, enabledMissing: 1 } },
      });
      const cause = (result as { Cause: string }).Cause;
      expect(cause).toContain(
        '1 enabled users still disabled, 1 users whose attributes differ from the backup',
      );
      expect(cause).not.toMatch(/Secret|vip|user1@/);
      const rows = reportRows();
      expect(rows[1]?.slice(3)).toEqual([
        'differs',
        'attribute-immutable-in-target-pool:custom:tier; attribute-not-in-target-pool:custom:department',
        'reset-password',
      ]);
      expect(rows[2]?.slice(3)).toEqual([
        'differs',
        'enable-failed-NotAuthorizedException',
        'reset-password',
      ]);
      expect(store.get(REPORT_KEY)).not.toMatch(/Secret|vip/);
    });

    it('sets a changed e-mail address with its verified flag in the same call, and an unverified one back', async () => {
      const { handler, clock } = setup();
      const pool: FakePool = {
        users: [
          poolUser(1, {
            Attributes: [
              { Name: 'sub', Value: newSubOf(1) },
              { Name: 'email', Value: 'user1@example.com' },
              { Name: 'email_verified', Value: 'true' },
              { Name: 'phone_number', Value: '+15550000000' },
              { Name: 'phone_number_verified', Value: 'true' },
            ],
          }),
        ],
        groups: new Map(),
      };
      serve(
        pool,
        [
          backed(1, [
            { Name: 'phone_number', Value: '+15551111111' },
            { Name: 'phone_number_verified', Value: 'false' },
          ]),
        ],
        clock,
      );
      const { result } = await runToEnd(handler, clock);
      expect(result).toMatchObject({
        RestoreComplete: true,
        RestoreReport: { Counts: { attributesFixed: 1 } },
      });
      const calls = cognito
        .commandCalls(AdminUpdateUserAttributesCommand)
        .map((call) => call.args[0].input.UserAttributes);
      expect(calls).toEqual([
        [
          { Name: 'phone_number', Value: '+15551111111' },
          { Name: 'phone_number_verified', Value: 'true' },
        ],
        [{ Name: 'phone_number_verified', Value: 'false' }],
      ]);
      expect(attributesOf(pool.users[0])).toMatchObject({
        phone_number: '+15551111111',
        phone_number_verified: 'false',
        email_verified: 'true',
      });
    });

    it("ignores the execution input's DropAttributes and what Cognito sets itself (sub)", async () => {
      const { handler, clock } = setup();
      const pool: FakePool = { users: [restored(1, [])], groups: new Map() };
      serve(pool, [backed(1, [{ Name: 'custom:department', Value: 'Sales' }])], clock);
      const { result } = await runToEnd(handler, clock, 900_000, { DropAttributes: ['custom:department'] });
      expect(result).toMatchObject({
        RestoreComplete: true,
        RestoreReport: { Counts: { attributesDiffer: 0, attributesFixed: 0 } },
      });
      expect(cognito).not.toHaveReceivedCommand(AdminGetUserCommand);
      expect(cognito).not.toHaveReceivedCommand(AdminUpdateUserAttributesCommand);
    });

    it('restarts a cursor of the previous version past its listing (rows without attribute hashes)', async () => {
      const { handler, clock } = setup();
      const pool: FakePool = {
        users: [restored(1, [{ Name: 'given_name', Value: 'Changed' }])],
        groups: new Map(),
      };
      serve(pool, [backed(1, [{ Name: 'given_name', Value: 'Ana' }])], clock);
      const old = {
        Phase: 'Scan',
        Users: { Chunks: 1, Done: true, UsernameAttributes: [] },
        Groups: { Offset: 0, Chunks: 1, Done: true },
        Pages: 0,
        Counts: { users: 0 },
      } as unknown as ReconcileCursor;
      const { result } = (await handler(
        wrapped({ Reconcile: old }, { stateName: 'ReconcileNewUserPool' }),
        lambdaContext(clock, 900_000),
      )) as { result: ReconcileOutput };
      expect(result).toMatchObject({
        RestoreComplete: true,
        RestoreReport: { Counts: { attributesFixed: 1 } },
      });
      expect(attributesOf(pool.users[0])).toMatchObject({ given_name: 'Ana' });
    });
  });
  describe('groups: description, precedence and role', () => {
    it('sets a group description and precedence back to the backup, and counts a role it leaves alone', async () => {
      const { handler, clock } = setup();
      const pool: FakePool = {
        users: [],
        groups: new Map([
          ['admins', []],
          ['staff', []],
          ['same', []],
        ]),
        groupSettings: new Map([
          ['admins', { Description: 'changed', Precedence: 9 }],
          ['staff', { Description: 'Staff' }],
          ['same', { Description: 'Same', Precedence: 2 }],
        ]),
      };
      serve(
        pool,
        [
          groupItem('admins', { groupDescription: 'Admins', groupPrecedence: 1 }),
          groupItem('staff', {
            groupDescription: 'Staff',
            groupRoleArn: 'arn:aws:iam::111122223333:role/staff',
          }),
          groupItem('same', { groupDescription: 'Same', groupPrecedence: 2 }),
        ],
        clock,
      );
      const { result } = await runToEnd(handler, clock);
      expect(result).toMatchObject({
        RestoreComplete: true,
        RestoreReport: { Counts: { groupsFixed: 1, groupsDiffer: 0, groupRolesDiffer: 1 } },
      });
      expect(pool.groupSettings?.get('admins')).toEqual({ Description: 'Admins', Precedence: 1 });
      expect(cognito).toHaveReceivedCommandTimes(UpdateGroupCommand, 1);
    });

    it('fails as incomplete when a group keeps a precedence the backup does not have', async () => {
      const { handler, clock } = setup();
      const pool: FakePool = {
        users: [],
        groups: new Map([['admins', []]]),
        groupSettings: new Map([['admins', { Precedence: 3 }]]),
      };
      serve(pool, [groupItem('admins')], clock);
      const { result } = await runToEnd(handler, clock);
      expect(result).toMatchObject({
        RestoreComplete: false,
        Error: 'RestoreIncomplete',
        RestoreReport: { Counts: { groupsFixed: 0, groupsDiffer: 1 } },
      });
      expect((result as { Cause: string }).Cause).toContain(
        '1 groups whose description or precedence differ from the backup',
      );
    });
  });
});

describe('reconcile-new-user-pool: the recovery point states', () => {
  const NOW = Date.parse('2026-12-07T23:00:00Z');
  const EXPORT_ARN =
    'arn:aws:dynamodb:us-east-2:111122223333:table/backup-table/export/01733600000000-a1b2c3d4';
  const RP_ENV = {
    ...ENV,
    BACKUP_TABLE_ARN: 'arn:aws:dynamodb:us-east-2:111122223333:table/backup-table',
    KMS_KEY_ARN: 'arn:aws:kms:us-east-2:111122223333:key/1234',
  };
  const event = (state: string, input: Record<string, unknown>, execution: Record<string, unknown>) => {
    const wrappedEvent = wrapped(input, { stateName: state });
    wrappedEvent.Context!.Execution.Input = { NewUserPoolId: POOL_ID, ...execution };
    return wrappedEvent;
  };
  const exportItems = [timestampItem(), groupItem('admins'), userItem(1)];

  beforeEach(() => {
    lowLevelDdb.reset();
    s3.reset();
    lowLevelDdb.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: {
          PointInTimeRecoveryStatus: 'ENABLED',
          EarliestRestorableDateTime: new Date('2026-11-02T23:00:00Z'),
          LatestRestorableDateTime: new Date('2026-12-07T22:55:00Z'),
        },
      },
    });
    lowLevelDdb
      .on(ExportTableToPointInTimeCommand)
      .resolves({ ExportDescription: { ExportArn: EXPORT_ARN, ExportStatus: 'IN_PROGRESS' } });
  });

  it('without a recovery point: ready at once, nothing exported', async () => {
    const clock = fakeClock(NOW);
    const handler = createHandler(fakeRuntime(clock, RP_ENV));
    await expect(
      handler(event('PrepareRecoveryPoint', {}, {}), lambdaContext(clock, 900_000)),
    ).resolves.toEqual({
      result: { RecoveryPointReady: true, RecoveryPointWait: false, RecoveryPoint: { Kind: 'BackupTable' } },
    });
    expect(lowLevelDdb).not.toHaveReceivedAnyCommand();
  });

  it('runs before the target pool exists: with CreateUserPool and no pool yet, the export starts', async () => {
    const clock = fakeClock(NOW);
    const handler = createHandler(fakeRuntime(clock, RP_ENV));
    const creating = wrapped({}, { stateName: 'PrepareRecoveryPoint' });
    // No NewUserPoolId and no creation work file: the pool is created by a later state.
    creating.Context!.Execution.Input = {
      CreateUserPool: { PoolName: 'restored' },
      AsOf: '2026-12-01T09:30:00Z',
    };
    const prepared = await handler(creating, lambdaContext(clock, 900_000));
    expect(prepared).toMatchObject({ result: { RecoveryPointReady: false, RecoveryPointWait: true } });
    expect(lowLevelDdb).toHaveReceivedCommandTimes(ExportTableToPointInTimeCommand, 1);
  });

  it("CreateUserPool: runs before the pool exists (a restore drill's Sample)", async () => {
    const clock = fakeClock(NOW);
    const handler = createHandler(fakeRuntime(clock, RP_ENV));
    const created = event('PrepareRecoveryPoint', {}, { Sample: 'restore-drill-d1' });
    created.Context!.Execution.Input = {
      CreateUserPool: { PoolName: 'restore-drill-d1' },
      Sample: 'restore-drill-d1',
    };
    // The pool is not created yet: no creation record.
    serveBucket(s3, new Map());
    await expect(handler(created, lambdaContext(clock, 900_000))).resolves.toEqual({
      result: {
        RecoveryPointReady: false,
        RecoveryPointWait: false,
        RecoveryPoint: { Kind: 'Sample', Sample: 'restore-drill-d1', CheckedFiles: 0 },
      },
    });
  });

  it('AsOf: starts the export with the stack key, waits while it runs, checks it, then is ready', async () => {
    const clock = fakeClock(NOW);
    const handler = createHandler(fakeRuntime(clock, RP_ENV));
    const asOf = { AsOf: '2026-12-01T09:30:00Z' };
    const prepared = await handler(event('PrepareRecoveryPoint', {}, asOf), lambdaContext(clock, 900_000));
    expect(prepared).toEqual({
      result: {
        RecoveryPointReady: false,
        RecoveryPointWait: true,
        RecoveryPoint: {
          Kind: 'AsOf',
          AsOf: '2026-12-01T09:30:00.000Z',
          ExportArn: EXPORT_ARN,
          CheckedFiles: 0,
        },
      },
    });
    expect(lowLevelDdb).toHaveReceivedCommandWith(ExportTableToPointInTimeCommand, {
      TableArn: RP_ENV.BACKUP_TABLE_ARN,
      S3Bucket: BUCKET,
      S3Prefix: 'point-in-time-exports/run-1',
      S3SseAlgorithm: 'KMS',
      S3SseKmsKeyId: RP_ENV.KMS_KEY_ARN,
    });
    const state = (prepared as { result: Record<string, unknown> }).result;
    lowLevelDdb
      .on(DescribeExportCommand)
      .resolvesOnce({ ExportDescription: { ExportStatus: 'IN_PROGRESS' } });
    await expect(
      handler(event('CheckRecoveryPoint', state, asOf), lambdaContext(clock, 900_000)),
    ).resolves.toEqual({
      result: state,
    });
    lowLevelDdb.on(DescribeExportCommand).resolves({ ExportDescription: { ExportStatus: 'COMPLETED' } });
    serveExportBucket(
      s3,
      buildTableExport([exportItems], { prefix: 'point-in-time-exports/run-1/' }).objects,
      BUCKET,
    );
    await expect(
      handler(event('CheckRecoveryPoint', state, asOf), lambdaContext(clock, 900_000)),
    ).resolves.toMatchObject({
      result: { RecoveryPointReady: true, RecoveryPoint: { Items: 3, CheckedFiles: 1 } },
    });
    expect(lowLevelDdb).toHaveReceivedCommandWith(DescribeExportCommand, { ExportArn: EXPORT_ARN });
    // The export's configuration item (none here) is kept for the target check and CreateUserPool.
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: BUCKET,
      Key: 'restore-work/pool-configurations/run-1.json',
      Body: '{"Configuration":null}',
    });
  });

  it('AsOf: refused at once outside the window; Snapshot: checked whole in the snapshot bucket', async () => {
    const clock = fakeClock(NOW);
    const handler = createHandler(fakeRuntime(clock, RP_ENV));
    await expect(
      handler(
        event('PrepareRecoveryPoint', {}, { AsOf: '2026-10-01T00:00:00Z' }),
        lambdaContext(clock, 900_000),
      ),
    ).rejects.toThrow(/is before the earliest time the backup table can be restored to/);
    expect(lowLevelDdb).not.toHaveReceivedCommand(ExportTableToPointInTimeCommand);
    serveExportBucket(
      s3,
      buildTableExport([exportItems], { prefix: 'snapshots/20261207T223000Z/' }).objects,
      'snapshot-bucket',
    );
    const snapshot = { Snapshot: '20261207T223000Z' };
    const prepared = await handler(
      event('PrepareRecoveryPoint', {}, snapshot),
      lambdaContext(clock, 900_000),
    );
    await expect(
      handler(
        event('CheckRecoveryPoint', (prepared as { result: Record<string, unknown> }).result, snapshot),
        lambdaContext(clock, 900_000),
      ),
    ).resolves.toMatchObject({
      result: { RecoveryPointReady: true, RecoveryPoint: { Kind: 'Snapshot', Items: 3 } },
    });
  });

  it('refuses an AsOf when the function cannot export the table, and a malformed input', async () => {
    const clock = fakeClock(NOW);
    const handler = createHandler(fakeRuntime(clock, { ...RP_ENV, BACKUP_TABLE_ARN: '' }));
    await expect(
      handler(
        event('PrepareRecoveryPoint', {}, { AsOf: '2026-12-01T09:30:00Z' }),
        lambdaContext(clock, 900_000),
      ),
    ).rejects.toThrow(/BACKUP_TABLE_ARN is not set/);
    await expect(
      handler(event('PrepareRecoveryPoint', {}, { AsOf: 'yesterday' }), lambdaContext(clock, 900_000)),
    ).rejects.toThrow(/AsOf must be an ISO 8601 time/);
  });
});
