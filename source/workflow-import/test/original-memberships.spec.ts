// SPDX-License-Identifier: Apache-2.0
/**
 * A table as v1.0.10 writes it for a pool whose users sign in with their e-mail address and that has
 * more groups than one ListGroups page: the memberships of the later groups name their user by the old
 * Cognito Username. The reconciliation resolves them through the `sub` in their key.
 */
import {
  AdminAddUserToGroupCommand,
  CognitoIdentityProviderClient,
  ListGroupsCommand,
  DescribeUserPoolCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { S3Client } from '@aws-sdk/client-s3';
import { BatchGetCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../utils/clients';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs } from '../../test-support/capture-logs';
import { fakeClock } from '../../test-support/fake-clock';
import { lambdaContext } from '../../test-support/lambda-context';
import {
  ORIGINAL_GROUPS_PAGE,
  originalTableItems,
  type OriginalPool,
} from '../../test-support/original-writer';
import { fakeRuntime } from '../../test-support/runtime';
import { memberSub, withMemberSignInNames } from '../lib/member-names';
import type { ReconcileOutput } from '../lib/reconcile-new-user-pool';
import { createHandler } from '../reconcile-new-user-pool';
import {
  BACKUP_READER_ENV_VALUES,
  serveBucket,
  TYPE_GROUP,
  TYPE_TIMESTAMP,
  TYPE_USER,
  wrapped,
} from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const ddb = mockAws(DynamoDBDocumentClient);
const s3 = mockAws(S3Client);

const GROUPS = ORIGINAL_GROUPS_PAGE + 5;
const USERS = 20;
const oldSub = (n: number): string => `0a1b2c3d-0000-4000-8000-${String(n).padStart(12, '0')}`;
const newUsername = (n: number): string => `f00dcafe-0000-4000-8000-${String(n).padStart(12, '0')}`;
const email = (n: number): string => `member${n}@example.com`;

/** The source pool: an e-mail pool (Username = sub, as Cognito makes it), user n in groups n, n+20, ... */
const SOURCE: OriginalPool = {
  usernameAttributes: ['email'],
  users: Array.from({ length: USERS }, (_, n) => ({
    Username: oldSub(n),
    Attributes: [
      { Name: 'sub', Value: oldSub(n) },
      { Name: 'email', Value: email(n) },
      { Name: 'email_verified', Value: 'true' },
    ],
    Enabled: true,
    UserStatus: 'CONFIRMED',
  })),
  groups: Array.from({ length: GROUPS }, (_, g) => ({
    GroupName: `group-${String(g).padStart(3, '0')}`,
    members: Array.from({ length: USERS }, (_, n) => n)
      .filter((n) => g % USERS === n || g === GROUPS - 1)
      .map(oldSub),
  })),
};

const TABLE = originalTableItems(
  SOURCE,
  { typeUser: TYPE_USER, typeGroup: TYPE_GROUP, typeTimestamp: TYPE_TIMESTAMP },
  1_700_000_000_000,
  'us-east-1',
);
const MEMBERSHIPS = TABLE.filter((item) => memberSub(item) !== undefined);
const byKey = new Map(TABLE.map((item) => [`${String(item.id)}\u0000${String(item.type)}`, item]));

describe("memberships of groups after v1.0.10's first ListGroups page", () => {
  it('are written by the model with the old Username, the earlier ones with the e-mail', () => {
    const later = MEMBERSHIPS.filter(
      (item) => Number(String(item.groupName).slice(6)) >= ORIGINAL_GROUPS_PAGE,
    );
    expect(later.length).toBeGreaterThan(0);
    for (const item of later) expect(item.groupPseudoUsername).toBe(item.groupUser);
    for (const item of MEMBERSHIPS.filter((m) => !later.includes(m)))
      expect(item.groupPseudoUsername).toMatch(/@example\.com$/);
  });

  it('are named by their user item through the sub, and only those the pool does not know', async () => {
    ddb.reset();
    ddb
      .on(BatchGetCommand)
      .callsFake((input: { RequestItems: Record<string, { Keys: { id: string; type: string }[] }> }) => {
        const [table, request] = Object.entries(input.RequestItems)[0] ?? ['', { Keys: [] }];
        const found = request.Keys.map((key) => byKey.get(`${key.id}\u0000${key.type}`)).filter(
          (item) => item !== undefined,
        );
        // The first answer leaves one key unprocessed, as DynamoDB may.
        const first = ddb.commandCalls(BatchGetCommand).length === 1 && request.Keys.length > 1;
        return {
          Responses: { [table]: first ? found.slice(1) : found },
          ...(first ? { UnprocessedKeys: { [table]: { Keys: request.Keys.slice(0, 1) } } } : {}),
        };
      });
    const known = new Set(SOURCE.users.map((_, n) => email(n)));
    const { items, resolved } = await withMemberSignInNames(
      {
        ddb: documentClient(),
        tableName: 'backup',
        typeUser: TYPE_USER,
        retry: { sleep: async () => {} },
      },
      TABLE,
      (name) => known.has(name),
    );
    const later = MEMBERSHIPS.filter((item) => item.groupPseudoUsername === item.groupUser);
    expect(resolved).toBe(later.length);
    for (const item of items.filter((candidate) => memberSub(candidate) !== undefined)) {
      const n = SOURCE.users.findIndex((user) => user.Username === item.groupUser);
      expect(item.groupPseudoUsername).toBe(email(n));
    }
    // Only the unknown names cost a read, once per user.
    const keys = ddb.commandCalls(BatchGetCommand).flatMap((call) => {
      const requests = call.args[0].input.RequestItems ?? {};
      return Object.values(requests).flatMap((request) => request.Keys ?? []);
    });
    expect(new Set(keys.map((key) => String(key.id))).size).toBe(new Set(later.map((m) => m.type)).size);
  });
});

describe('the reconciliation of a table written by v1.0.10 for an e-mail pool with more than 60 groups', () => {
  const store = new Map<string, string>();

  beforeEach(() => {
    cognito.reset();
    ddb.reset();
    s3.reset();
    store.clear();
    serveBucket(s3, store, { list: true });
  });

  it('adds every membership to the restored user and ends complete', async () => {
    // The new pool after the import and UpdateNewUsers: new Usernames, the first page's memberships only.
    const restored: UserType[] = SOURCE.users.map((_, n) => ({
      Username: newUsername(n),
      Enabled: true,
      Attributes: [
        { Name: 'sub', Value: newUsername(n) },
        { Name: 'email', Value: email(n) },
        // The import carries every backed-up attribute: the reconciliation compares them.
        { Name: 'email_verified', Value: 'true' },
      ],
    }));
    const usernameOf = new Map(SOURCE.users.map((user, n) => [user.Username, newUsername(n)]));
    const members = new Map(
      SOURCE.groups.map((group, position) => [
        group.GroupName,
        position < ORIGINAL_GROUPS_PAGE ? group.members.map((old) => usernameOf.get(old) ?? '') : [],
      ]),
    );
    // The pool signs in with e-mail; it is listed by sub partition (`sub ^= "<hex>"`).
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: { UsernameAttributes: ['email'] } });
    cognito.on(ListUsersCommand).callsFake((input: { Filter?: string }) => {
      const prefix = /^sub \^= "([0-9a-f])"$/.exec(input.Filter ?? '')?.[1] ?? '';
      return {
        Users: restored.filter((user) =>
          (user.Attributes ?? []).some((a) => a.Name === 'sub' && a.Value?.startsWith(prefix)),
        ),
      };
    });
    cognito.on(ListGroupsCommand).callsFake((input: { NextToken?: string; Limit: number }) => {
      const names = [...members.keys()];
      const start = Number(input.NextToken ?? 0);
      const next = start + input.Limit < names.length ? String(start + input.Limit) : undefined;
      return {
        Groups: names.slice(start, start + input.Limit).map((GroupName) => ({ GroupName })),
        ...(next ? { NextToken: next } : {}),
      };
    });
    cognito.on(ListUsersInGroupCommand).callsFake((input: { GroupName: string }) => ({
      Users: (members.get(input.GroupName) ?? []).map((Username) => ({ Username })),
    }));
    cognito.on(AdminAddUserToGroupCommand).callsFake((input: { Username: string; GroupName: string }) => {
      members.get(input.GroupName)?.push(input.Username);
      return {};
    });
    ddb.on(ScanCommand).resolves({ Items: TABLE });
    ddb
      .on(BatchGetCommand)
      .callsFake((input: { RequestItems: Record<string, { Keys: { id: string; type: string }[] }> }) => {
        const [table, request] = Object.entries(input.RequestItems)[0] ?? ['', { Keys: [] }];
        return {
          Responses: {
            [table]: request.Keys.map((key) => byKey.get(`${key.id}\u0000${key.type}`)).filter(Boolean),
          },
        };
      });

    const clock = fakeClock();
    const logs = captureLogs();
    const handler = createHandler(fakeRuntime(clock, BACKUP_READER_ENV_VALUES, { write: logs.write }));
    let input: Record<string, unknown> = {};
    let result: ReconcileOutput | undefined;
    for (let step = 0; step < 10 && !result?.ReconcileDone; step += 1) {
      ({ result } = (await handler(
        wrapped(input, { stateName: 'ReconcileNewUserPool' }),
        lambdaContext(clock, 900_000),
      )) as { result: ReconcileOutput });
      input = result as unknown as Record<string, unknown>;
    }

    const later = SOURCE.groups.slice(ORIGINAL_GROUPS_PAGE).flatMap((group) => group.members);
    expect(result).toMatchObject({
      ReconcileDone: true,
      RestoreComplete: true,
      RestoreReport: {
        Counts: expect.objectContaining({
          memberships: MEMBERSHIPS.length,
          membershipsAdded: later.length,
          membershipsMissing: 0,
        }),
      },
    });
    for (const group of SOURCE.groups) {
      expect([...(members.get(group.GroupName) ?? [])].sort()).toEqual(
        group.members.map((old) => usernameOf.get(old)).sort(),
      );
    }
    expect(logs.text()).not.toContain('@example.com');
  });
});
