// SPDX-License-Identifier: Apache-2.0
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserAttributesCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminSetUserPasswordCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  DeleteGroupCommand,
  DescribeUserPoolCommand,
  GetCSVHeaderCommand,
  ListGroupsCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
  UpdateGroupCommand,
  type AttributeType,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  DescribeContinuousBackupsCommand,
  DescribeExportCommand,
  DynamoDBClient,
  ExportTableToPointInTimeCommand,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { BatchGetCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { fakeClock, type FakeClock } from '../../test-support/fake-clock';
import { lambdaContext } from '../../test-support/lambda-context';
import { buildTableExport, serveExportBucket } from '../../test-support/table-export';
import { fakeRuntime } from '../../test-support/runtime';
import { MIN_REMAINING_MS } from '../../utils/constants';
import type { SfnContextObject } from '../../utils/step-functions';
import { planAgain, type ApplyOutput } from '../lib/repair-apply';
import type { RecoveryPointState } from '../lib/recovery-point-step';
import type { RepairPlan } from '../lib/repair-plan';
import { createHandler, type PlanOutput, type RepairEvent } from '../repair-user-pool';
import {
  groupItem,
  MAPPING_BUCKET,
  membershipItem,
  serveBucket,
  subOf,
  timestampItem,
  TYPE_GROUP,
  TYPE_TIMESTAMP,
  TYPE_USER,
  userItem,
} from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const ddb = mockAws(DynamoDBDocumentClient);
const dynamodb = mockAws(DynamoDBClient);
const s3 = mockAws(S3Client);

const POOL = 'us-east-1_Backed01';
const ENV = {
  COGNITO_TPS: '10',
  BACKUP_TABLE_NAME: 'backup-table',
  TYPE_USER,
  TYPE_GROUP,
  TYPE_TIMESTAMP,
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: MAPPING_BUCKET,
  PRIMARY_USER_POOL_ID: POOL,
  BACKUP_TABLE_ARN: 'arn:aws:dynamodb:us-east-1:111122223333:table/backup-table',
  SNAPSHOT_BUCKET: 'snapshot-bucket',
};

interface FakeUser {
  sub: string;
  enabled: boolean;
  attributes: Map<string, string>;
  password: string;
  status?: string;
}
interface FakeGroup {
  description?: string;
  precedence?: number;
  members: Set<string>;
}

/** The live pool as the Cognito mock keeps it (users sign in with their Username). */
class FakePool {
  users = new Map<string, FakeUser>();
  groups = new Map<string, FakeGroup>();
  /** Verification messages Cognito would have sent (an address set without its flag `true` in the same call). */
  messages = 0;
  created = 0;

  addUser(n: number, name = `user${n}@example.com`): void {
    this.users.set(name, {
      sub: subOf(n),
      enabled: true,
      attributes: new Map([
        ['email', name],
        ['email_verified', 'true'],
        ['given_name', `Given${n}`],
      ]),
      password: `password-${n}`,
    });
  }

  user(name: string): FakeUser {
    const user = this.users.get(name);
    if (user === undefined)
      throw Object.assign(new Error('User does not exist.'), { name: 'UserNotFoundException' });
    return user;
  }
}

const notFound = (what: string) =>
  Object.assign(new Error(`${what} not found`), { name: 'ResourceNotFoundException' });

function servePool(pool: FakePool): void {
  const attributesOf = (user: FakeUser): AttributeType[] => [
    { Name: 'sub', Value: user.sub },
    ...[...user.attributes].map(([Name, Value]) => ({ Name, Value })),
  ];
  cognito.on(DescribeUserPoolCommand).resolves({
    UserPool: {
      Id: POOL,
      SchemaAttributes: [
        { Name: 'sub', Mutable: false },
        { Name: 'email', Mutable: true },
        { Name: 'email_verified', Mutable: true },
        { Name: 'given_name', Mutable: true },
        { Name: 'middle_name', Mutable: true },
      ],
    },
  });
  cognito.on(GetCSVHeaderCommand).resolves({
    CSVHeader: ['cognito:username', 'email', 'email_verified', 'given_name', 'cognito:mfa_enabled'],
  });
  cognito
    .on(ListUsersCommand)
    .callsFake((input: { Filter?: string; PaginationToken?: string; Limit: number }) => {
      clock.advance(callCostMs);
      const prefix = /^sub \^= "([0-9a-f])"$/.exec(input.Filter ?? '')?.[1] ?? '';
      const all = [...pool.users].filter(([, user]) => user.sub.startsWith(prefix));
      const start = Number(input.PaginationToken ?? '0');
      const page = all.slice(start, start + input.Limit);
      return {
        Users: page.map(([Username, user]) => ({
          Username,
          Enabled: user.enabled,
          UserStatus: user.status ?? 'CONFIRMED',
          Attributes: attributesOf(user),
        })),
        ...(start + input.Limit < all.length ? { PaginationToken: String(start + input.Limit) } : {}),
      };
    });
  cognito.on(ListGroupsCommand).callsFake(() => ({
    Groups: [...pool.groups].map(([GroupName, group]) => ({
      GroupName,
      Description: group.description,
      Precedence: group.precedence,
    })),
  }));
  cognito.on(ListUsersInGroupCommand).callsFake((input: { GroupName: string }) => ({
    Users: [...(pool.groups.get(input.GroupName)?.members ?? [])].map((Username) => ({ Username })),
  }));
  cognito.on(AdminGetUserCommand).callsFake((input: { Username: string }) => {
    clock.advance(callCostMs);
    const user = pool.user(input.Username);
    return { Username: input.Username, Enabled: user.enabled, UserAttributes: attributesOf(user) };
  });
  cognito
    .on(AdminUpdateUserAttributesCommand)
    .callsFake((input: { Username: string; UserAttributes: AttributeType[] }) => {
      const user = pool.user(input.Username);
      const sent = new Map(input.UserAttributes.map((a) => [a.Name ?? '', a.Value ?? '']));
      for (const [name, value] of sent) user.attributes.set(name, value);
      // Cognito's rule: a changed address is unverified and gets a code, unless its flag is set true in the call.
      if (sent.has('email') && sent.get('email_verified') !== 'true') {
        pool.messages += 1;
        user.attributes.set('email_verified', 'false');
      }
      return {};
    });
  cognito
    .on(AdminDeleteUserAttributesCommand)
    .callsFake((input: { Username: string; UserAttributeNames: string[] }) => {
      const user = pool.user(input.Username);
      for (const name of input.UserAttributeNames) user.attributes.delete(name);
      return {};
    });
  cognito.on(AdminEnableUserCommand).callsFake((input: { Username: string }) => {
    pool.user(input.Username).enabled = true;
    return {};
  });
  cognito.on(AdminDisableUserCommand).callsFake((input: { Username: string }) => {
    pool.user(input.Username).enabled = false;
    return {};
  });
  cognito
    .on(AdminCreateUserCommand)
    .callsFake((input: { Username: string; UserAttributes: AttributeType[] }) => {
      if (pool.users.has(input.Username))
        throw Object.assign(new Error('exists'), { name: 'UsernameExistsException' });
      pool.created += 1;
      pool.users.set(input.Username, {
        sub: `ffff${String(pool.created).padStart(4, '0')}-0000-4000-8000-000000000000`,
        enabled: true,
        attributes: new Map(input.UserAttributes.map((a) => [a.Name ?? '', a.Value ?? ''])),
        password: 'temporary',
      });
      return { User: { Username: input.Username } };
    });
  cognito.on(AdminSetUserPasswordCommand).callsFake((input: { Username: string; Password: string }) => {
    pool.user(input.Username).password = input.Password;
    return {};
  });
  cognito.on(AdminDeleteUserCommand).callsFake((input: { Username: string }) => {
    pool.user(input.Username);
    pool.users.delete(input.Username);
    for (const group of pool.groups.values()) group.members.delete(input.Username);
    return {};
  });
  cognito
    .on(CreateGroupCommand)
    .callsFake((input: { GroupName: string; Description?: string; Precedence?: number }) => {
      if (pool.groups.has(input.GroupName))
        throw Object.assign(new Error('exists'), { name: 'GroupExistsException' });
      pool.groups.set(input.GroupName, {
        ...(input.Description !== undefined ? { description: input.Description } : {}),
        ...(input.Precedence !== undefined ? { precedence: input.Precedence } : {}),
        members: new Set(),
      });
      return {};
    });
  cognito.on(UpdateGroupCommand).callsFake((input: { GroupName: string; Description?: string }) => {
    const group = pool.groups.get(input.GroupName);
    if (group === undefined) throw notFound('group');
    if (input.Description !== undefined) group.description = input.Description;
    return {};
  });
  cognito.on(DeleteGroupCommand).callsFake((input: { GroupName: string }) => {
    if (!pool.groups.delete(input.GroupName)) throw notFound('group');
    return {};
  });
  cognito.on(AdminAddUserToGroupCommand).callsFake((input: { GroupName: string; Username: string }) => {
    pool.user(input.Username);
    const group = pool.groups.get(input.GroupName);
    if (group === undefined) throw notFound('group');
    group.members.add(input.Username);
    return {};
  });
  cognito.on(AdminRemoveUserFromGroupCommand).callsFake((input: { GroupName: string; Username: string }) => {
    pool.groups.get(input.GroupName)?.members.delete(input.Username);
    return {};
  });
}

/** The backup table; its `failAt`-th BatchGetItem call (1-based) fails as a crash would. */
function serveTable(items: Record<string, unknown>[], failAt = 0): void {
  let calls = 0;
  ddb.on(ScanCommand).callsFake((input: { Limit: number; ExclusiveStartKey?: { n: number } }) => {
    clock.advance(callCostMs);
    const start = input.ExclusiveStartKey?.n ?? 0;
    const end = start + input.Limit;
    return {
      Items: items.slice(start, end),
      ...(end < items.length ? { LastEvaluatedKey: { n: end } } : {}),
    };
  });
  ddb
    .on(BatchGetCommand)
    .callsFake((input: { RequestItems: Record<string, { Keys: { id: string; type: string }[] }> }) => {
      calls += 1;
      clock.advance(callCostMs);
      if (calls === failAt) {
        throw Object.assign(new Error('crash'), { name: 'ValidationException' });
      }
      const keys = Object.values(input.RequestItems)[0]?.Keys ?? [];
      return {
        Responses: {
          [ENV.BACKUP_TABLE_NAME]: items.filter((item) =>
            keys.some((key) => key.id === item.id && key.type === item.type),
          ),
        },
      };
    });
}

/** The backup: users 1-8 with a given name (6 disabled), groups admins (1, 2) and staff (3). */
function backup(): Record<string, unknown>[] {
  const users = [1, 2, 3, 4, 5, 6, 7, 8].map((n) =>
    userItem(n, {
      userEnabled: n !== 6,
      userAttributes: [
        { Name: 'sub', Value: subOf(n) },
        { Name: 'email', Value: `user${n}@example.com` },
        { Name: 'email_verified', Value: 'true' },
        { Name: 'given_name', Value: `Given${n}` },
      ],
    }),
  );
  return [
    timestampItem(),
    ...users,
    groupItem('admins', { groupDescription: 'Administrators', groupPrecedence: 1 }),
    groupItem('staff', { groupDescription: 'Staff' }),
    membershipItem('admins', 1),
    membershipItem('admins', 2),
    membershipItem('staff', 3),
  ];
}

/** The pool as the backup has it. */
function livePool(): FakePool {
  const pool = new FakePool();
  for (let n = 1; n <= 8; n += 1) pool.addUser(n);
  pool.user('user6@example.com').enabled = false;
  pool.groups.set('admins', {
    description: 'Administrators',
    precedence: 1,
    members: new Set(['user1@example.com', 'user2@example.com']),
  });
  pool.groups.set('staff', { description: 'Staff', members: new Set(['user3@example.com']) });
  return pool;
}

/**
 * The damage: user 1's given name and e-mail overwritten, user 2 deleted, user 4 disabled, group admins
 * deleted (with its memberships), staff's description changed, user 6 enabled; created since: user 9,
 * group temp, user 5's membership of staff.
 */
function damage(pool: FakePool): void {
  const one = pool.user('user1@example.com');
  one.attributes.set('given_name', 'Overwritten');
  one.attributes.set('email', 'attacker@example.net');
  one.attributes.set('middle_name', 'Extra-middle');
  pool.users.delete('user2@example.com');
  pool.user('user4@example.com').enabled = false;
  pool.groups.delete('admins');
  const staff = pool.groups.get('staff');
  if (staff) staff.description = 'Changed';
  pool.addUser(9);
  pool.user('user6@example.com').enabled = true;
  pool.groups.set('temp', { members: new Set(['user9@example.com']) });
  staff?.members.add('user5@example.com');
}

const store = new Map<string, string>();
let clock: FakeClock;
/** How long a listing, a read of a user or a read of the backup takes (0: no time passes). */
let callCostMs = 0;

function context(input: Record<string, unknown>, name: string, state = 'RepairUserPool'): SfnContextObject {
  return {
    Execution: {
      Id: `arn:aws:states:us-east-1:111122223333:execution:RepairWorkflow-x:${name}`,
      Name: name,
      Input: input,
      StartTime: new Date(clock.now()).toISOString(),
    },
    StateMachine: {
      Id: 'arn:aws:states:us-east-1:111122223333:stateMachine:RepairWorkflow-x',
      Name: 'RepairWorkflow-x',
    },
    State: { Name: state, EnteredTime: new Date(clock.now()).toISOString() },
  } as SfnContextObject;
}

/** Runs the loop as the state machine does, each invocation with `remainingMs`. */
async function runWorkflow(input: Record<string, unknown>, name: string, remainingMs = 900_000) {
  return runWorkflowFrom({ Input: {} }, input, name, remainingMs);
}

async function runWorkflowFrom(
  start: RepairEvent,
  input: Record<string, unknown>,
  name: string,
  remainingMs = 900_000,
) {
  const handler = createHandler(fakeRuntime(clock, ENV));
  // PrepareRecoveryPoint, then CheckRecoveryPoint until the recovery point is ready (waits elapse).
  let point = (
    await handler(
      { Input: {}, Context: context(input, name, 'PrepareRecoveryPoint') },
      lambdaContext(clock, remainingMs),
    )
  ).result as RecoveryPointState;
  for (let check = 0; !point.RecoveryPointReady; check += 1) {
    if (check === 10) throw new Error('the recovery point was never ready');
    clock.advance(60_000);
    point = (
      await handler(
        { Input: point as RepairEvent['Input'], Context: context(input, name, 'CheckRecoveryPoint') },
        lambdaContext(clock, remainingMs),
      )
    ).result as RecoveryPointState;
  }
  let state: RepairEvent['Input'] = start.Input ?? {};
  for (let invocation = 0; invocation < 50; invocation += 1) {
    const { result } = await handler(
      { Input: state, Context: context(input, name) },
      lambdaContext(clock, remainingMs),
    );
    if (!('RepairDone' in result)) throw new Error('RepairUserPool returned a recovery point state');
    if (result.RepairDone) return result;
    state = result;
  }
  throw new Error('the repair loop did not end');
}

/** Every Cognito call that changes a pool. */
const WRITES = new Set(
  [
    AdminCreateUserCommand,
    AdminUpdateUserAttributesCommand,
    AdminDeleteUserAttributesCommand,
    AdminEnableUserCommand,
    AdminDisableUserCommand,
    AdminAddUserToGroupCommand,
    AdminSetUserPasswordCommand,
    CreateGroupCommand,
    UpdateGroupCommand,
    AdminDeleteUserCommand,
    DeleteGroupCommand,
    AdminRemoveUserFromGroupCommand,
  ].map((command) => command.name),
);
const writeCount = (): number =>
  cognito.calls().filter((call) => WRITES.has((call.args[0] as object).constructor.name)).length;

async function plan(input: Record<string, unknown> = {}, name = 'plan-1') {
  const result = (await runWorkflow({ UserPoolId: POOL, ...input }, name)) as Extract<
    PlanOutput,
    { RepairDone: true }
  >;
  return { result, plan: JSON.parse(store.get(result.Planned.Key) ?? '{}') as RepairPlan };
}

beforeEach(() => {
  clock = fakeClock(Date.parse('2026-12-07T10:00:00Z'));
  callCostMs = 0;
  store.clear();
  serveBucket(s3, store, { list: true });
  serveTable(backup());
});

describe('RepairWorkflow: plan', () => {
  it('counts exactly the damage, names attributes without their values, and changes nothing', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    const { result, plan: written } = await plan();
    expect(result.Planned.Key).toBe(`repair-plans/${POOL}/plan-1.json`);
    expect(result.Planned.Counts).toEqual({
      usersToCreate: 1,
      usersToUpdate: 1,
      flagsToChange: 2,
      groupsToCreate: 1,
      groupsToUpdate: 1,
      // admins lost both its members (user 1 present, user 2 recreated).
      membershipsToAdd: 2,
      addedSince: 1,
      groupsAddedSince: 1,
      membershipsAddedSince: 1,
      cannotSetBack: 0,
      usersCompared: 8,
    });
    expect(written.Users.find((user) => user.Username === 'user1@example.com')).toMatchObject({
      Actions: ['set-attributes', 'delete-attributes'],
      Set: ['email', 'email_verified', 'given_name'],
      Delete: ['middle_name'],
    });
    expect(written.Users.find((user) => user.Username === 'user9@example.com')).toMatchObject({
      Actions: [],
    });
    const text = store.get(result.Planned.Key) ?? '';
    expect(text).not.toMatch(/Given1|Overwritten|attacker|Extra-middle|Administrators/);
    expect(writeCount()).toBe(0);
  });

  it('names the attributes that differ from the listing alone, without reading a user again', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    const { plan: written } = await plan();
    expect(written.Users.find((user) => user.Username === 'user1@example.com')?.Set).toEqual([
      'email',
      'email_verified',
      'given_name',
    ]);
    // One ListUsers page of 60 carries what AdminGetUser would, a call a user: the plan reads nobody.
    expect(cognito).not.toHaveReceivedCommand(AdminGetUserCommand);
  });

  it('with Scope Usernames plans only those users and their memberships', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    const { plan: written } = await plan({ Scope: { Usernames: ['user2@example.com'] } });
    expect(written.Users.map((user) => [user.Username, user.Actions])).toEqual([
      ['user2@example.com', ['create']],
    ]);
    // Its group is deleted too, and out of the scope: the plan says so instead of creating it.
    expect(written.Memberships).toEqual([
      { GroupName: 'admins', Username: 'user2@example.com', Action: 'add', CannotSetBack: 'group-missing' },
    ]);
    expect(written.Groups).toEqual([]);
  });

  it('says a user cannot be set back when somebody else holds its name now', async () => {
    const pool = livePool();
    pool.users.delete('user5@example.com');
    pool.addUser(55, 'user5@example.com');
    servePool(pool);
    const { plan: written } = await plan();
    expect(written.Users).toEqual([
      expect.objectContaining({
        Username: 'user5@example.com',
        Actions: [],
        CannotSetBack: { 'username-belongs-to-another-user': [] },
      }),
    ]);
    expect(written.Counts.cannotSetBack).toBe(1);
  });

  it('takes a federated user, which no backup holds, for neither added since nor to be removed', async () => {
    const pool = livePool();
    pool.addUser(70, 'Google_1000');
    pool.user('Google_1000').status = 'EXTERNAL_PROVIDER';
    servePool(pool);
    const { plan: written } = await plan({ RemoveAdded: true });
    expect(written.Counts.addedSince).toBe(0);
    expect(written.Users).toEqual([]);
  });

  it('refuses an input that names another pool', async () => {
    servePool(livePool());
    await expect(runWorkflow({ UserPoolId: 'us-east-1_Other' }, 'plan-x')).rejects.toThrow(
      /backed-up user pool/,
    );
  });
});

describe('RepairWorkflow: apply', () => {
  const subsAndPasswords = (pool: FakePool) =>
    new Map([...pool.users].map(([name, user]) => [name, `${user.sub}/${user.password}`]));

  it('brings the pool back to the backup: subs and passwords kept, no message sent, added user left alone, report written', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    const before = subsAndPasswords(pool);
    await plan();
    const result = (await runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1')) as Extract<
      ApplyOutput,
      { RepairDone: true }
    >;
    expect(result.RepairComplete).toBe(true);
    const expected = livePool();
    for (const [name, user] of expected.users) {
      expect([name, Object.fromEntries(pool.user(name).attributes), pool.user(name).enabled]).toEqual([
        name,
        Object.fromEntries(user.attributes),
        user.enabled,
      ]);
    }
    expect(pool.groups.get('admins')).toEqual(expected.groups.get('admins'));
    expect(pool.groups.get('staff')?.description).toBe('Staff');
    for (const [name, kept] of before)
      expect([name, `${pool.user(name).sub}/${pool.user(name).password}`]).toEqual([name, kept]);
    expect(pool.messages).toBe(0);
    expect(pool.users.has('user9@example.com')).toBe(true);
    const report = store.get(result.Repair.Report.Key) ?? '';
    const newSub = pool.user('user2@example.com').sub;
    expect(report.split('\n')).toEqual(
      expect.arrayContaining([
        'oldSub,newSub,username,action,outcome,reason',
        `${subOf(2)},${newSub},user2@example.com,create,done,`,
        `${subOf(1)},${subOf(1)},user1@example.com,set-attributes delete-attributes,done,`,
        `,${subOf(9)},user9@example.com,none,left-alone,added-since`,
      ]),
    );
  });

  it('a crash part-way and its retry neither skip nor repeat an action', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    await plan();
    // The invocation of the groups and users dies reading the users' backup items (after the groups were set back).
    // The first BatchGetItem reads the groups to create; the second, of the users, dies as a crash would.
    serveTable(backup(), 2);
    const handler = createHandler(fakeRuntime(clock, ENV));
    const input = { UserPoolId: POOL, Apply: 'plan-1' };
    const verified = await handler(
      { Input: {}, Context: context(input, 'apply-1') },
      lambdaContext(clock, 900_000),
    );
    expect(verified.result).toMatchObject({ RepairDone: false, Apply: { Phase: 'Groups' } });
    const event = { Input: verified.result as RepairEvent['Input'], Context: context(input, 'apply-1') };
    await expect(handler(event, lambdaContext(clock, 900_000))).rejects.toThrow('crash');
    expect(pool.groups.has('admins')).toBe(true);
    // Step Functions retries the task with the same input.
    const result = (await runWorkflowFrom(event, input, 'apply-1')) as Extract<
      ApplyOutput,
      { RepairDone: true }
    >;
    expect(result.RepairComplete).toBe(true);
    expect(pool.created).toBe(1);
    expect(pool.messages).toBe(0);
  });

  it('ends the invocation that set the users back: the memberships start from a saved cursor', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    await plan();
    const handler = createHandler(fakeRuntime(clock, ENV));
    const input = { UserPoolId: POOL, Apply: 'plan-1' };
    const verified = await handler(
      { Input: {}, Context: context(input, 'apply-1') },
      lambdaContext(clock, 900_000),
    );
    const users = await handler(
      { Input: verified.result as RepairEvent['Input'], Context: context(input, 'apply-1') },
      lambdaContext(clock, 900_000),
    );
    expect(users.result).toMatchObject({ RepairDone: false, Apply: { Phase: 'Memberships', Index: 0 } });
    // Groups and users are set back; the memberships (admins lost both) are not added yet.
    expect(pool.user('user1@example.com').attributes.get('given_name')).toBe('Given1');
    expect(pool.users.has('user2@example.com')).toBe(true);
    expect(pool.groups.get('admins')?.members).toEqual(new Set());
  });

  it('fails saying what is left and how to finish, and Resume finishes', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    await plan();
    // Group memberships cannot be added during the first apply (a permission taken away, say).
    cognito
      .on(AdminAddUserToGroupCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'NotAuthorizedException' }));
    const failed = (await runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1')) as Extract<
      ApplyOutput,
      { RepairComplete: false }
    >;
    expect(failed.RepairComplete).toBe(false);
    expect(failed.Error).toBe('RepairIncomplete');
    expect(failed.Cause).toContain('2 memberships still missing');
    expect(failed.Cause).toContain('{"UserPoolId":"us-east-1_Backed01","Apply":"plan-1","Resume":true}');
    // A change the plan has no action for cannot be resumed: the message also gives the input that plans again.
    expect(failed.Cause).toMatch(
      /a Resume cannot set it back: plan again \(start the RepairWorkflow with \{"UserPoolId":"us-east-1_Backed01"/,
    );
    expect(failed.Cause).not.toMatch(/@example/);
    servePool(pool);
    const resumed = (await runWorkflow(
      { UserPoolId: POOL, Apply: 'plan-1', Resume: true },
      'apply-2',
    )) as Extract<ApplyOutput, { RepairDone: true }>;
    expect(resumed.RepairComplete).toBe(true);
    expect(pool.groups.get('admins')?.members).toEqual(new Set(['user1@example.com', 'user2@example.com']));
    expect(pool.created).toBe(1);
  });

  it('refuses a plan whose pool changed since, before any write', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    await plan();
    pool.user('user4@example.com').attributes.set('given_name', 'Edited later');
    const writesBefore = writeCount();
    await expect(runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1')).rejects.toThrow(
      'changed since the repair plan plan-1 was written: 1 of its 4 users and 0 of its 2 groups to set back are ' +
        'no longer as planned. Nothing was changed. Plan again (start the RepairWorkflow with ' +
        '{"UserPoolId":"us-east-1_Backed01"}), check the new plan, then apply it.',
    );
    expect(writeCount()).toBe(writesBefore);
  });

  it.each<[string, Partial<RepairPlan>, string]>([
    ['the backup table', {}, '{"UserPoolId":"us-east-1_Backed01"}'],
    [
      'an AsOf, removing what was added',
      { RecoveryPoint: { Source: 'as-of', AsOf: '2026-12-07T09:00:00.000Z' }, RemoveAdded: true },
      '{"UserPoolId":"us-east-1_Backed01","AsOf":"2026-12-07T09:00:00.000Z","RemoveAdded":true}',
    ],
    [
      'a snapshot, for some users (named, not listed)',
      {
        RecoveryPoint: { Source: 'snapshot', Snapshot: 'snap-1' },
        Scope: { Usernames: ['user1@example.com'] },
      },
      '{"UserPoolId":"us-east-1_Backed01","Snapshot":"snap-1"} and the Scope of this plan',
    ],
  ])('says how to plan again a plan of %s', (_label, fields, expected) => {
    const base = {
      Version: 1,
      PlanId: 'plan-1',
      UserPoolId: POOL,
      CreatedAt: '2026-12-07T10:00:00.000Z',
      RecoveryPoint: { Source: 'backup-table' },
      RemoveAdded: false,
      Counts: {},
      Users: [],
      Groups: [],
      Memberships: [],
    } as unknown as RepairPlan;
    const text = planAgain({ ...base, ...fields });
    expect(text).toBe(`start the RepairWorkflow with ${expected}`);
    expect(text).not.toContain('@example');
  });

  it('refuses a plan older than 24 hours', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    await plan();
    clock.advance(24 * 60 * 60 * 1000 + 1);
    await expect(runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1')).rejects.toThrow(
      /more than 24 hours ago/,
    );
    expect(writeCount()).toBe(0);
  });

  it('with Scope Usernames changes only those users', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    await plan({ Scope: { Usernames: ['user1@example.com'] } });
    const result = (await runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1')) as Extract<
      ApplyOutput,
      { RepairDone: true }
    >;
    expect(result.RepairComplete).toBe(true);
    expect(pool.user('user1@example.com').attributes.get('given_name')).toBe('Given1');
    expect(pool.users.has('user2@example.com')).toBe(false);
    expect(pool.user('user4@example.com').enabled).toBe(false);
    expect(pool.groups.has('admins')).toBe(false);
  });

  it('with Scope Groups sets back only those groups and the memberships of users present', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    const { plan: written } = await plan({ Scope: { Groups: ['admins'] } });
    expect(written.Memberships).toEqual([
      { GroupName: 'admins', Username: 'user1@example.com', Action: 'add' },
      { GroupName: 'admins', Username: 'user2@example.com', Action: 'add', CannotSetBack: 'user-missing' },
    ]);
    const result = (await runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1')) as Extract<
      ApplyOutput,
      { RepairDone: true }
    >;
    expect(result.RepairComplete).toBe(true);
    expect(pool.groups.get('admins')?.members).toEqual(new Set(['user1@example.com']));
    expect(pool.groups.get('staff')?.description).toBe('Changed');
    expect(pool.users.has('user2@example.com')).toBe(false);
    expect(pool.user('user1@example.com').attributes.get('given_name')).toBe('Overwritten');
  });

  it('with RemoveAdded removes the user created since', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    await plan({ RemoveAdded: true });
    const result = (await runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1')) as Extract<
      ApplyOutput,
      { RepairDone: true }
    >;
    expect(result.RepairComplete).toBe(true);
    expect(pool.users.has('user9@example.com')).toBe(false);
    expect(pool.groups.has('temp')).toBe(false);
    expect(pool.groups.get('staff')?.members).toEqual(new Set(['user3@example.com']));
    expect(cognito.commandCalls(AdminDeleteUserCommand)).toHaveLength(1);
  });
});

describe('RepairWorkflow: a recovery point named by AsOf or Snapshot', () => {
  const EXPORT_ARN =
    'arn:aws:dynamodb:us-east-1:111122223333:table/backup-table/export/01733600000000-a1b2c3d4';
  const window = () => ({
    EarliestRestorableDateTime: new Date(clock.now() - 35 * 86_400_000),
    LatestRestorableDateTime: new Date(clock.now() - 300_000),
  });

  beforeEach(() => {
    dynamodb.on(DescribeContinuousBackupsCommand).callsFake(() => ({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED', ...window() },
      },
    }));
    dynamodb
      .on(ExportTableToPointInTimeCommand)
      .resolves({ ExportDescription: { ExportArn: EXPORT_ARN, ExportStatus: 'IN_PROGRESS' } });
    dynamodb
      .on(DescribeExportCommand)
      .resolves({ ExportDescription: { ExportArn: EXPORT_ARN, ExportStatus: 'COMPLETED' } });
  });

  /** The import bucket serves the plan's work objects and, under `prefix`, the export's files. */
  function serveExportInImportBucket(objects: Map<string, Buffer>): void {
    s3.on(GetObjectCommand, { Bucket: MAPPING_BUCKET }).callsFake((input: { Key: string }) => {
      const bytes =
        objects.get(input.Key) ??
        (store.has(input.Key) ? Buffer.from(store.get(input.Key) ?? '') : undefined);
      if (bytes === undefined)
        throw Object.assign(new Error(`NoSuchKey ${input.Key}`), { name: 'NoSuchKey' });
      return {
        Body: Object.assign(Readable.from([bytes]), { transformToString: async () => bytes.toString() }),
      } as never;
    });
    for (const key of objects.keys()) store.set(key, '');
  }

  it('AsOf: plans against the point-in-time export of the planning execution, not the live table, and applies it', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    // The live table already holds the damage (a later export): only the export knows user 2 and the groups.
    serveTable([timestampItem()]);
    const asOf = new Date(clock.now() - 3_600_000).toISOString();
    const built = buildTableExport([backup().slice(0, 5), backup().slice(5)], {
      prefix: 'point-in-time-exports/plan-asof/',
    });
    serveExportInImportBucket(built.objects);
    const before = subsAndPasswordsOf(pool);
    const { result, plan: written } = await plan({ AsOf: asOf }, 'plan-asof');
    expect(dynamodb).toHaveReceivedCommandWith(ExportTableToPointInTimeCommand, {
      ExportTime: new Date(asOf),
      S3Bucket: MAPPING_BUCKET,
      S3Prefix: 'point-in-time-exports/plan-asof',
    });
    expect(written.RecoveryPoint).toEqual({ Source: 'as-of', AsOf: asOf });
    expect(result.Planned.Counts).toMatchObject({
      usersToCreate: 1,
      usersToUpdate: 1,
      flagsToChange: 2,
      groupsToCreate: 1,
      groupsToUpdate: 1,
      membershipsToAdd: 2,
      addedSince: 1,
    });
    expect(writeCount()).toBe(0);
    const applied = (await runWorkflow({ UserPoolId: POOL, Apply: 'plan-asof' }, 'apply-asof')) as Extract<
      ApplyOutput,
      { RepairDone: true }
    >;
    // The closing check compared the pool with the same export: nothing left.
    expect(applied.RepairComplete).toBe(true);
    expect(dynamodb).toHaveReceivedCommandTimes(ExportTableToPointInTimeCommand, 1);
    expect(pool.user('user2@example.com').attributes.get('given_name')).toBe('Given2');
    expect(pool.groups.get('admins')?.members).toEqual(new Set(['user1@example.com', 'user2@example.com']));
    for (const [name, kept] of before)
      expect([name, `${pool.user(name).sub}/${pool.user(name).password}`]).toEqual([name, kept]);
  });

  it('Snapshot: plans against the kept snapshot and the apply reads the same one', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    serveTable([timestampItem()]);
    serveExportBucket(
      s3,
      buildTableExport([backup()], { prefix: 'snapshots/20261207T090000Z/' }).objects,
      'snapshot-bucket',
    );
    const { result, plan: written } = await plan({ Snapshot: '20261207T090000Z' }, 'plan-snap');
    expect(written.RecoveryPoint).toEqual({ Source: 'snapshot', Snapshot: '20261207T090000Z' });
    expect(result.Planned.Counts).toMatchObject({ usersToCreate: 1, groupsToCreate: 1, membershipsToAdd: 2 });
    const applied = (await runWorkflow({ UserPoolId: POOL, Apply: 'plan-snap' }, 'apply-snap')) as Extract<
      ApplyOutput,
      { RepairDone: true }
    >;
    expect(applied.RepairComplete).toBe(true);
    expect(pool.users.has('user2@example.com')).toBe(true);
    expect(dynamodb).not.toHaveReceivedCommand(ExportTableToPointInTimeCommand);
  });

  it('refuses an AsOf outside the point-in-time window before anything is exported or written', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    const tooOld = new Date(clock.now() - 40 * 86_400_000).toISOString();
    await expect(plan({ AsOf: tooOld }, 'plan-old')).rejects.toThrow(
      /before the earliest time the backup table can be restored to/,
    );
    expect(dynamodb).not.toHaveReceivedCommand(ExportTableToPointInTimeCommand);
    expect(writeCount()).toBe(0);
    expect([...store.keys()].filter((key) => key.startsWith('repair-plans/'))).toEqual([]);
  });

  it('refuses AsOf or Snapshot with Apply: the apply reads the recovery point of its plan', async () => {
    servePool(livePool());
    await expect(
      runWorkflow({ UserPoolId: POOL, Apply: 'plan-1', Snapshot: '20261207T090000Z' }, 'apply-x'),
    ).rejects.toThrow(/AsOf and Snapshot belong to the plan/);
  });

  it("refuses a restore drill's Sample before anything is read or written", async () => {
    servePool(livePool());
    await expect(
      runWorkflow({ UserPoolId: POOL, Sample: 'restore-drill-d1' }, 'plan-sample'),
    ).rejects.toThrow(/Sample is a restore drill's recovery point/);
    expect(writeCount()).toBe(0);
  });
});

function subsAndPasswordsOf(pool: FakePool): Map<string, string> {
  return new Map([...pool.users].map(([name, user]) => [name, `${user.sub}/${user.password}`]));
}

describe('RepairWorkflow: apply, when a call fails', () => {
  const reportOf = (result: Extract<ApplyOutput, { RepairDone: true }>) =>
    (store.get(result.Repair.Report.Key) ?? '').split('\n');

  it('records each recreated user once, old sub to new sub', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    await plan();
    await runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1');
    const records = [...store].filter(([key]) => key.startsWith(`repair-reports/${POOL}/recreated/`));
    expect(records.flatMap(([, text]) => JSON.parse(text) as [string, string][])).toEqual([
      [subOf(2), pool.user('user2@example.com').sub],
    ]);
  });

  it('a recreated user that could not be disabled: failed, still hers, and left to disable (not complete)', async () => {
    const pool = livePool();
    pool.users.delete('user6@example.com');
    servePool(pool);
    cognito
      .on(AdminDisableUserCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'NotAuthorizedException' }));
    await plan();
    const result = (await runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1')) as Extract<
      ApplyOutput,
      { RepairDone: true }
    >;
    expect(result.RepairComplete).toBe(false);
    expect(reportOf(result)).toContainEqual(
      `${subOf(6)},${pool.user('user6@example.com').sub},user6@example.com,create,failed,disable-failed-NotAuthorizedException`,
    );
    expect(result.Repair.Left).toMatchObject({ usersToCreate: 0, flagsToChange: 1 });
  });

  it('a recreated user whose new sub cannot be read: failed with the reason, the rest applied, and Resume records her', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    await plan();
    // AdminGetUser fails for user 2 once she is there again (before, the verification finds her absent).
    cognito.on(AdminGetUserCommand).callsFake((input: { Username: string }) => {
      if (input.Username === 'user2@example.com' && pool.users.has(input.Username))
        throw Object.assign(new Error('denied'), { name: 'NotAuthorizedException' });
      const user = pool.user(input.Username);
      return {
        Username: input.Username,
        Enabled: user.enabled,
        UserAttributes: [
          { Name: 'sub', Value: user.sub },
          ...[...user.attributes].map(([Name, Value]) => ({ Name, Value })),
        ],
      };
    });
    const result = (await runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1')) as Extract<
      ApplyOutput,
      { RepairComplete: false }
    >;
    expect(result.RepairComplete).toBe(false);
    expect(result.Cause).toContain('1 recreated users whose new sub could not be read');
    expect(result.Cause).toContain('{"UserPoolId":"us-east-1_Backed01","Apply":"plan-1","Resume":true}');
    expect(result.Cause).not.toMatch(/@example/);
    const newSub = pool.user('user2@example.com').sub;
    expect(reportOf(result)).toContainEqual(
      `${subOf(2)},${newSub},user2@example.com,create,failed,new-sub-unread-AdminGetUser-NotAuthorizedException`,
    );
    // The rest of the plan went on: the other users, the groups and the memberships are set back.
    expect(pool.user('user1@example.com').attributes.get('given_name')).toBe('Given1');
    expect(pool.user('user4@example.com').enabled).toBe(true);
    expect(pool.groups.get('admins')?.members).toEqual(new Set(['user1@example.com', 'user2@example.com']));
    // Resume finds her there, records her new sub, and finishes; nobody is created twice.
    servePool(pool);
    const resumed = (await runWorkflow(
      { UserPoolId: POOL, Apply: 'plan-1', Resume: true },
      'apply-2',
    )) as Extract<ApplyOutput, { RepairDone: true }>;
    expect(resumed.RepairComplete).toBe(true);
    expect(pool.created).toBe(1);
    expect(reportOf(resumed)).toContainEqual(`${subOf(2)},${newSub},user2@example.com,create,done,`);
    const records = [...store].filter(([key]) => key.startsWith(`repair-reports/${POOL}/recreated/`));
    expect(records.flatMap(([, text]) => JSON.parse(text) as [string, string][])).toEqual([
      [subOf(2), newSub],
    ]);
  });

  it('reports a user whose attributes could not be set back as failed, naming the call', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    cognito
      .on(AdminUpdateUserAttributesCommand)
      .rejects(Object.assign(new Error('bad'), { name: 'InvalidParameterException' }));
    await plan();
    const result = (await runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1')) as Extract<
      ApplyOutput,
      { RepairDone: true }
    >;
    expect(result.RepairComplete).toBe(false);
    expect(reportOf(result)).toContainEqual(
      `${subOf(1)},${subOf(1)},user1@example.com,set-attributes delete-attributes,failed,AdminUpdateUserAttributes-InvalidParameterException`,
    );
    expect(pool.user('user1@example.com').attributes.get('given_name')).toBe('Overwritten');
  });

  it('with RemoveAdded reports a user that could not be removed as failed and keeps her', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    cognito
      .on(AdminDeleteUserCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'NotAuthorizedException' }));
    await plan({ RemoveAdded: true });
    const result = (await runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1')) as Extract<
      ApplyOutput,
      { RepairDone: true }
    >;
    expect(result.RepairComplete).toBe(false);
    expect(reportOf(result)).toContainEqual(
      `${subOf(9)},${subOf(9)},user9@example.com,remove,failed,NotAuthorizedException`,
    );
    expect(pool.users.has('user9@example.com')).toBe(true);
  });

  it('goes on past a group it cannot set back, and says the repair is not complete', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    cognito
      .on(UpdateGroupCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'NotAuthorizedException' }));
    await plan();
    const result = (await runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1')) as Extract<
      ApplyOutput,
      { RepairDone: true }
    >;
    expect(result.RepairComplete).toBe(false);
    expect(pool.groups.get('staff')?.description).toBe('Changed');
    expect(pool.groups.get('admins')?.description).toBe('Administrators');
    expect(pool.user('user1@example.com').attributes.get('given_name')).toBe('Given1');
  });
});

describe('RepairWorkflow: short invocations', () => {
  it('a plan and its apply cut into many short invocations reach the same pool and report as in one', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    // Each invocation has time for a few reads only: every phase stops and resumes from its cursor.
    callCostMs = 400;
    const short = MIN_REMAINING_MS + 1_000;
    const planned = (await runWorkflow({ UserPoolId: POOL }, 'plan-1', short)) as Extract<
      PlanOutput,
      { RepairDone: true }
    >;
    const whole = await plan({}, 'plan-whole');
    expect(planned.Planned.Counts).toEqual(whole.result.Planned.Counts);
    const result = (await runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1', short)) as Extract<
      ApplyOutput,
      { RepairDone: true }
    >;
    expect(result.RepairComplete).toBe(true);
    const expected = livePool();
    for (const [name, user] of expected.users)
      expect([name, Object.fromEntries(pool.user(name).attributes), pool.user(name).enabled]).toEqual([
        name,
        Object.fromEntries(user.attributes),
        user.enabled,
      ]);
    expect(pool.groups.get('admins')).toEqual(expected.groups.get('admins'));
    const report = (store.get(result.Repair.Report.Key) ?? '').split('\n');
    expect(report.filter((line) => line.includes('user2@example.com'))).toEqual([
      `${subOf(2)},${pool.user('user2@example.com').sub},user2@example.com,create,done,`,
    ]);
  });
});

describe('RepairWorkflow: what cannot be set back', () => {
  it('names an attribute it cannot delete, alone or beside what is set back, and the apply reports it', async () => {
    const pool = livePool();
    // nickname was added since, and the pool's schema makes it immutable: no call takes it away.
    pool.user('user3@example.com').attributes.set('nickname', 'Three');
    pool.user('user4@example.com').attributes.set('nickname', 'Four');
    pool.user('user4@example.com').attributes.set('given_name', 'Changed');
    servePool(pool);
    cognito.on(DescribeUserPoolCommand).resolves({
      UserPool: {
        Id: POOL,
        SchemaAttributes: [
          { Name: 'sub', Mutable: false },
          { Name: 'email', Mutable: true },
          { Name: 'email_verified', Mutable: true },
          { Name: 'given_name', Mutable: true },
          { Name: 'nickname', Mutable: false },
        ],
      },
    });
    const { result, plan: planned } = await plan();
    expect(result.Planned.Counts).toMatchObject({ usersToUpdate: 1, cannotSetBack: 2 });
    const byName = new Map(planned.Users.map((user) => [user.Username, user]));
    expect(byName.get('user3@example.com')).toMatchObject({
      Actions: [],
      CannotSetBack: { 'attribute-immutable-in-target-pool': ['nickname'] },
    });
    expect(byName.get('user4@example.com')).toMatchObject({
      Actions: ['set-attributes'],
      CannotSetBack: { 'attribute-immutable-in-target-pool': ['nickname'] },
    });
    const applied = (await runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1')) as Extract<
      ApplyOutput,
      { RepairDone: true }
    >;
    expect(pool.user('user4@example.com').attributes.get('given_name')).toBe('Given4');
    expect((store.get(applied.Repair.Report.Key) ?? '').split('\n')).toEqual(
      expect.arrayContaining([
        `${subOf(3)},${subOf(3)},user3@example.com,none,cannot-set-back,attribute-immutable-in-target-pool`,
        `${subOf(4)},${subOf(4)},user4@example.com,set-attributes,cannot-set-back,attribute-immutable-in-target-pool:nickname`,
      ]),
    );
  });

  it("says a group's precedence added since cannot be taken away, and plans nothing else for it", async () => {
    const pool = livePool();
    const staff = pool.groups.get('staff');
    if (staff) staff.precedence = 5;
    servePool(pool);
    const { result, plan: planned } = await plan();
    expect(result.Planned.Counts).toMatchObject({ groupsToUpdate: 0, cannotSetBack: 1 });
    expect(planned.Groups).toEqual([
      expect.objectContaining({ GroupName: 'staff', CannotSetBack: 'group-precedence-cannot-be-removed' }),
    ]);
    expect(planned.Groups[0]?.Action).toBeUndefined();
  });
});

describe('RepairWorkflow: more refusals and failures', () => {
  it('refuses an AsOf plan when the function was deployed without BACKUP_TABLE_ARN, before any export', async () => {
    servePool(livePool());
    const handler = createHandler(fakeRuntime(clock, { ...ENV, BACKUP_TABLE_ARN: '' }));
    const input = { UserPoolId: POOL, AsOf: new Date(clock.now() - 3_600_000).toISOString() };
    await expect(
      handler(
        { Input: {}, Context: context(input, 'plan-asof', 'PrepareRecoveryPoint') },
        lambdaContext(clock, 900_000),
      ),
    ).rejects.toThrow('BACKUP_TABLE_ARN is not set: this function cannot export the backup table');
    expect(dynamodb).not.toHaveReceivedCommand(ExportTableToPointInTimeCommand);
  });

  it('with RemoveAdded, a group added since that cannot be deleted leaves the repair incomplete and the group there', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    cognito
      .on(DeleteGroupCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'NotAuthorizedException' }));
    await plan({ RemoveAdded: true });
    const result = (await runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1')) as Extract<
      ApplyOutput,
      { RepairDone: true }
    >;
    expect(result.RepairComplete).toBe(false);
    expect(result.Repair.Left).toMatchObject({ groupsAddedSince: 1, addedSince: 0 });
    expect(pool.groups.has('temp')).toBe(true);
    expect(pool.users.has('user9@example.com')).toBe(false);
  });
});

describe('RepairWorkflow: a name held by somebody else', () => {
  it('never puts the newcomer into the groups of the user whose name she holds', async () => {
    const pool = livePool();
    pool.users.delete('user3@example.com');
    pool.groups.get('staff')?.members.delete('user3@example.com');
    pool.addUser(55, 'user3@example.com');
    servePool(pool);
    const { plan: written } = await plan();
    expect(written.Counts.membershipsToAdd).toBe(0);
    expect(written.Memberships).toEqual([]);
    await runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1');
    expect(pool.groups.get('staff')?.members.has('user3@example.com')).toBe(false);
    expect(pool.user('user3@example.com').sub).toBe(subOf(55));
  });
});

describe('RepairWorkflow: the backup table changed between plan and apply', () => {
  it('does not recreate a user whose item left the backup table since the plan, and says why', async () => {
    const pool = livePool();
    damage(pool);
    servePool(pool);
    await plan();
    serveTable(backup().filter((item) => !(item.type === TYPE_USER && item.id === `USER-${subOf(2)}`)));
    const result = (await runWorkflow({ UserPoolId: POOL, Apply: 'plan-1' }, 'apply-1')) as Extract<
      ApplyOutput,
      { RepairDone: true }
    >;
    expect(pool.users.has('user2@example.com')).toBe(false);
    expect((store.get(result.Repair.Report.Key) ?? '').split('\n')).toContainEqual(
      `${subOf(2)},,user2@example.com,create,failed,not-in-recovery-point`,
    );
  });
});
