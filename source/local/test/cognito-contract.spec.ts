// SPDX-License-Identifier: Apache-2.0
/**
 * Emulator contract tests: the Cognito scenarios the emulator supports run against both the emulator
 * and moto (`python3 -m moto.server`, started here in a child process) through the same SDK calls, and
 * must agree on pagination (page sizes, token presence, order), filters (matching users) and errors
 * (error names). Each scenario also checks the expected value, so both being wrong the same way fails.
 *
 * Where moto is known to deviate from real Cognito, the test asserts that the emulator follows
 * Cognito and records moto's behaviour, so a moto change shows up here:
 *  - Limit 61: Cognito rejects it (InvalidParameterException); moto returns 61 users.
 *  - Limit omitted: Cognito answers 25 users a page (reported); moto 60.
 *  - A forged pagination token: Cognito's error is InvalidParameterException; moto answers `InvalidToken`.
 *  - `email` filters: case-insensitive in Cognito ("searches are case-insensitive except username and
 *    status"); moto compares case-sensitively.
 *  - An attribute missing from the schema in AdminCreateUser: Cognito rejects it; moto stores it.
 *  - Import jobs (GetCSVHeader and the rest): moto does not implement them (HTTP 500 with an HTML page).
 *  - Pool ids: `<region>_<9 alphanumerics>` in Cognito and the emulator; moto uses 32 hex digits.
 *  - A second identity provider of the same name: Cognito answers DuplicateProviderException; moto
 *    accepts it.
 */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  CognitoIdentityProviderClient,
  CreateIdentityProviderCommand,
  CreateResourceServerCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolDomainCommand,
  DescribeIdentityProviderCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolDomainCommand,
  ListIdentityProvidersCommand,
  ListResourceServersCommand,
  ListUserPoolClientsCommand,
  CreateGroupCommand,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  GetCSVHeaderCommand,
  GetGroupCommand,
  ListGroupsCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
  type ListUsersCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { startCognitoEmulator, type CognitoEmulator } from '../cognito';
import {
  MOTO_MISSING_MESSAGE,
  allPages,
  cognitoClientFor,
  errorName,
  startMoto,
  type MotoServer,
} from '../cognito/testing';

interface Target {
  name: 'emulator' | 'moto';
  client: CognitoIdentityProviderClient;
  /** Pool without username attributes, custom:tenant, USERS users, groups big (70) and team-0..4. */
  poolId: string;
  /** Pool with email as username, two users. */
  emailPoolId: string;
  /** Cognito Username of the first user of the email pool. */
  emailUser: string;
}

const USERS = 130;
const pad = (i: number): string => String(i).padStart(3, '0');
const username = (i: number): string => `user${pad(i)}`;

let emulator: CognitoEmulator | undefined;
let moto: MotoServer | undefined;
const targets: Target[] = [];

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

/** Builds the same pools through the API on both targets (no emulator shortcut). */
async function prepare(name: Target['name'], client: CognitoIdentityProviderClient): Promise<Target> {
  const pool = await client.send(
    new CreateUserPoolCommand({
      PoolName: 'contract',
      Schema: [{ Name: 'tenant', AttributeDataType: 'String', Mutable: true }],
    }),
  );
  const poolId = pool.UserPool?.Id ?? '';
  const indexes = Array.from({ length: USERS }, (_, i) => i);
  await inBatches(indexes, 4, (i) =>
    client.send(
      new AdminCreateUserCommand({
        UserPoolId: poolId,
        Username: username(i),
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'email', Value: `user${pad(i)}@example.com` },
          { Name: 'given_name', Value: i % 2 === 0 ? 'Ann' : 'Bob' },
          { Name: 'family_name', Value: `Family${pad(i)}` },
          { Name: 'name', Value: `Person ${pad(i)}` },
          { Name: 'preferred_username', Value: `pref${pad(i)}` },
          { Name: 'phone_number', Value: `+1555000${pad(i).padStart(4, '0')}` },
          { Name: 'custom:tenant', Value: `tenant-${i % 3}` },
        ],
      }),
    ),
  );
  // Users are created 4 at a time, so the order within a batch may differ: listings are compared sorted.
  await inBatches(
    indexes.filter((i) => i % 10 === 0),
    4,
    (i) => client.send(new AdminDisableUserCommand({ UserPoolId: poolId, Username: username(i) })),
  );
  await client.send(
    new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'big', Description: 'Big', Precedence: 1 }),
  );
  for (let g = 0; g < 5; g += 1)
    await client.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: `team-${g}` }));
  await inBatches(indexes.slice(0, 70), 4, (i) =>
    client.send(
      new AdminAddUserToGroupCommand({ UserPoolId: poolId, GroupName: 'big', Username: username(i) }),
    ),
  );
  for (const group of ['team-0', 'team-1']) {
    await client.send(
      new AdminAddUserToGroupCommand({ UserPoolId: poolId, GroupName: group, Username: username(1) }),
    );
  }

  const emailPool = await client.send(
    new CreateUserPoolCommand({ PoolName: 'email', UsernameAttributes: ['email'] }),
  );
  const emailPoolId = emailPool.UserPool?.Id ?? '';
  const created = await client.send(
    new AdminCreateUserCommand({
      UserPoolId: emailPoolId,
      Username: 'ann@example.com',
      MessageAction: 'SUPPRESS',
    }),
  );
  await client.send(new CreateGroupCommand({ UserPoolId: emailPoolId, GroupName: 'staff' }));
  await client.send(
    new AdminAddUserToGroupCommand({
      UserPoolId: emailPoolId,
      GroupName: 'staff',
      Username: 'ann@example.com',
    }),
  );
  return { name, client, poolId, emailPoolId, emailUser: created.User?.Username ?? '' };
}

beforeAll(async () => {
  const [startedMoto, startedEmulator] = await Promise.all([
    startMoto(),
    startCognitoEmulator({ throttling: 'off' }),
  ]);
  moto = startedMoto;
  emulator = startedEmulator;
  targets.push(
    ...(await Promise.all([
      prepare('emulator', cognitoClientFor(emulator.endpoint)),
      prepare('moto', cognitoClientFor(moto.endpoint)),
    ])),
  );
}, 60_000);

afterAll(async () => {
  for (const target of targets) target.client.destroy();
  await Promise.all([moto?.stop(), emulator?.stop()]);
});

function target(name: Target['name']): Target {
  const found = targets.find((t) => t.name === name);
  if (!found) throw new Error(`${name} did not start`);
  return found;
}

/** Runs a scenario on both targets at once; returns [emulator, moto]. */
async function onBoth<R>(scenario: (t: Target) => Promise<R>): Promise<[R, R]> {
  return Promise.all([scenario(target('emulator')), scenario(target('moto'))]);
}

interface Paged {
  pages: number[];
  usernames: string[];
  /** Whether each page carried a token. */
  tokens: boolean[];
}

async function listUsers(t: Target, input: Omit<ListUsersCommandInput, 'UserPoolId'>): Promise<Paged> {
  const pages = await allPages(
    (token) =>
      t.client.send(new ListUsersCommand({ ...input, UserPoolId: t.poolId, PaginationToken: token })),
    (page) => page.PaginationToken,
  );
  return {
    pages: pages.map((page) => page.Users?.length ?? 0),
    usernames: pages.flatMap((page) => (page.Users ?? []).map((u) => u.Username ?? '')),
    tokens: pages.map((page) => page.PaginationToken !== undefined),
  };
}

const sorted = (values: string[]): string[] => [...values].sort();
const allUsernames = Array.from({ length: USERS }, (_, i) => username(i));

describe('ListUsers pagination agrees', () => {
  it('Limit 60: pages of 60, 60, 10 with a token on every page but the last', async () => {
    const [emu, ref] = await onBoth((t) => listUsers(t, { Limit: 60 }));
    expect(emu.pages).toEqual([60, 60, 10]);
    expect(emu.tokens).toEqual([true, true, false]);
    expect(sorted(emu.usernames)).toEqual(allUsernames);
    expect(emu.pages).toEqual(ref.pages);
    expect(emu.tokens).toEqual(ref.tokens);
    expect(sorted(emu.usernames)).toEqual(sorted(ref.usernames));
  });

  it('an exactly full last page carries no token', async () => {
    const [emu, ref] = await onBoth((t) => listUsers(t, { Limit: 26 }));
    expect(emu).toMatchObject({ pages: [26, 26, 26, 26, 26], tokens: [true, true, true, true, false] });
    expect(emu.pages).toEqual(ref.pages);
    expect(emu.tokens).toEqual(ref.tokens);
  });

  it('a filtered listing pages with a small Limit', async () => {
    const [emu, ref] = await onBoth((t) => listUsers(t, { Limit: 10, Filter: 'username ^= "user1"' }));
    const expected = allUsernames.filter((u) => u.startsWith('user1'));
    expect(emu.pages).toEqual([10, 10, 10]);
    expect(sorted(emu.usernames)).toEqual(expected);
    expect(emu.pages).toEqual(ref.pages);
    expect(emu.tokens).toEqual(ref.tokens);
    expect(sorted(emu.usernames)).toEqual(sorted(ref.usernames));
  });

  it('deviation: Limit 61 is rejected by Cognito and the emulator; moto accepts it', async () => {
    const [emu, ref] = await onBoth((t) =>
      t.client
        .send(new ListUsersCommand({ UserPoolId: t.poolId, Limit: 61 }))
        .then((page) => `${page.Users?.length ?? 0} users`)
        .catch((error: Error) => error.name),
    );
    expect(emu).toBe('InvalidParameterException');
    expect(ref).toBe('61 users');
  });

  it('deviation: without Limit Cognito (and the emulator) answer 25 users a page; moto 60', async () => {
    const [emu, ref] = await onBoth(
      async (t) => (await t.client.send(new ListUsersCommand({ UserPoolId: t.poolId }))).Users?.length,
    );
    expect(emu).toBe(25);
    expect(ref).toBe(60);
  });

  it('deviation: a forged token is InvalidParameterException in Cognito; moto says InvalidToken', async () => {
    const [emu, ref] = await onBoth((t) =>
      errorName(
        t.client.send(new ListUsersCommand({ UserPoolId: t.poolId, PaginationToken: 'forged-token' })),
      ),
    );
    expect(emu).toBe('InvalidParameterException');
    expect(ref).toBe('InvalidToken');
  });
});

describe('ListUsers filters agree', () => {
  const expectations: [string, string[]][] = [
    ['username = "user007"', ['user007']],
    ['email = "user010@example.com"', ['user010']],
    ['email ^= "user00"', allUsernames.slice(0, 10)],
    ['given_name = "Ann"', allUsernames.filter((_, i) => i % 2 === 0)],
    ['family_name ^= "Family12"', allUsernames.slice(120, 130)],
    ['name = "Person 042"', ['user042']],
    ['preferred_username = "pref099"', ['user099']],
    ['phone_number = "+15550000123"', ['user123']],
    ['status = "Disabled"', allUsernames.filter((_, i) => i % 10 === 0)],
    ['status = "Enabled"', allUsernames.filter((_, i) => i % 10 !== 0)],
    ['cognito:user_status = "FORCE_CHANGE_PASSWORD"', allUsernames],
    ['username = "nobody"', []],
  ];

  it.each(expectations)('%s', async (filter, expected) => {
    const [emu, ref] = await onBoth((t) => listUsers(t, { Limit: 60, Filter: filter }));
    expect(sorted(emu.usernames)).toEqual(expected);
    expect(sorted(emu.usernames)).toEqual(sorted(ref.usernames));
    expect(emu.pages).toEqual(ref.pages);
  });

  it('the 16 sub prefixes partition the pool exactly', async () => {
    const [emu, ref] = await onBoth(async (t) => {
      const seen: string[] = [];
      for (const digit of '0123456789abcdef')
        seen.push(...(await listUsers(t, { Limit: 60, Filter: `sub ^= "${digit}"` })).usernames);
      return sorted(seen);
    });
    expect(emu).toEqual(allUsernames);
    expect(ref).toEqual(allUsernames);
  });

  it('AttributesToGet returns only the named attributes', async () => {
    const [emu, ref] = await onBoth(async (t) => {
      const page = await t.client.send(
        new ListUsersCommand({ UserPoolId: t.poolId, Limit: 3, AttributesToGet: ['email'] }),
      );
      return sorted((page.Users ?? []).flatMap((u) => (u.Attributes ?? []).map((a) => `${a.Name}`)));
    });
    expect(emu).toEqual(['email', 'email', 'email']);
    expect(emu).toEqual(ref);
  });

  it.each([
    ['email == "x"', 'InvalidParameterException'],
    ['email = x', 'InvalidParameterException'],
    ['custom:tenant = "tenant-1"', 'InvalidParameterException'],
  ])('rejects %s', async (filter, name) => {
    const [emu, ref] = await onBoth((t) =>
      errorName(t.client.send(new ListUsersCommand({ UserPoolId: t.poolId, Filter: filter }))),
    );
    expect(emu).toBe(name);
    expect(ref).toBe(emu);
  });

  it('deviation: email filters are case-insensitive in Cognito and the emulator; moto is case-sensitive', async () => {
    const [emu, ref] = await onBoth(
      async (t) => (await listUsers(t, { Filter: 'email = "USER010@EXAMPLE.COM"' })).usernames,
    );
    expect(emu).toEqual(['user010']);
    expect(ref).toEqual([]);
  });
});

describe('groups agree', () => {
  it('ListGroups pages with NextToken', async () => {
    const [emu, ref] = await onBoth(async (t) => {
      const pages = await allPages(
        (token) => t.client.send(new ListGroupsCommand({ UserPoolId: t.poolId, Limit: 2, NextToken: token })),
        (page) => page.NextToken,
      );
      return {
        pages: pages.map((page) => page.Groups?.length ?? 0),
        names: pages.flatMap((page) => (page.Groups ?? []).map((g) => g.GroupName ?? '')),
      };
    });
    expect(emu).toEqual({
      pages: [2, 2, 2],
      names: ['big', 'team-0', 'team-1', 'team-2', 'team-3', 'team-4'],
    });
    expect(emu).toEqual(ref);
  });

  it('ListUsersInGroup pages a group of 70 as 60 + 10', async () => {
    const [emu, ref] = await onBoth(async (t) => {
      const pages = await allPages(
        (token) =>
          t.client.send(
            new ListUsersInGroupCommand({
              UserPoolId: t.poolId,
              GroupName: 'big',
              Limit: 60,
              NextToken: token,
            }),
          ),
        (page) => page.NextToken,
      );
      return {
        pages: pages.map((page) => page.Users?.length ?? 0),
        members: sorted(pages.flatMap((page) => (page.Users ?? []).map((u) => u.Username ?? ''))),
      };
    });
    expect(emu).toEqual({ pages: [60, 10], members: allUsernames.slice(0, 70) });
    expect(emu).toEqual(ref);
  });

  it('GetGroup and AdminListGroupsForUser agree', async () => {
    const [emu, ref] = await onBoth(async (t) => {
      const group = (await t.client.send(new GetGroupCommand({ UserPoolId: t.poolId, GroupName: 'big' })))
        .Group;
      const first = await t.client.send(
        new AdminListGroupsForUserCommand({ UserPoolId: t.poolId, Username: username(1), Limit: 2 }),
      );
      const second = await t.client.send(
        new AdminListGroupsForUserCommand({
          UserPoolId: t.poolId,
          Username: username(1),
          Limit: 2,
          NextToken: first.NextToken,
        }),
      );
      return {
        group: [group?.GroupName, group?.Description, group?.Precedence],
        pages: [first.Groups?.length, second.Groups?.length, second.NextToken === undefined],
        groups: sorted([...(first.Groups ?? []), ...(second.Groups ?? [])].map((g) => g.GroupName ?? '')),
      };
    });
    expect(emu).toEqual({
      group: ['big', 'Big', 1],
      pages: [2, 1, true],
      groups: ['big', 'team-0', 'team-1'],
    });
    expect(emu).toEqual(ref);
  });
});

describe('errors agree', () => {
  const missingPool = 'us-east-1_Missing01';
  it.each([
    [
      'ListUsers on an unknown pool',
      (t: Target) => t.client.send(new ListUsersCommand({ UserPoolId: missingPool })),
      'ResourceNotFoundException',
    ],
    [
      'DescribeUserPool on an unknown pool',
      (t: Target) => t.client.send(new DescribeUserPoolCommand({ UserPoolId: missingPool })),
      'ResourceNotFoundException',
    ],
    [
      'ListGroups on an unknown pool',
      (t: Target) => t.client.send(new ListGroupsCommand({ UserPoolId: missingPool })),
      'ResourceNotFoundException',
    ],
    [
      'AdminGetUser of an unknown user',
      (t: Target) => t.client.send(new AdminGetUserCommand({ UserPoolId: t.poolId, Username: 'ghost' })),
      'UserNotFoundException',
    ],
    [
      'AdminDisableUser of an unknown user',
      (t: Target) => t.client.send(new AdminDisableUserCommand({ UserPoolId: t.poolId, Username: 'ghost' })),
      'UserNotFoundException',
    ],
    [
      'AdminAddUserToGroup of an unknown user',
      (t: Target) =>
        t.client.send(
          new AdminAddUserToGroupCommand({ UserPoolId: t.poolId, GroupName: 'big', Username: 'ghost' }),
        ),
      'UserNotFoundException',
    ],
    [
      'AdminAddUserToGroup to an unknown group',
      (t: Target) =>
        t.client.send(
          new AdminAddUserToGroupCommand({ UserPoolId: t.poolId, GroupName: 'nope', Username: username(1) }),
        ),
      'ResourceNotFoundException',
    ],
    [
      'GetGroup of an unknown group',
      (t: Target) => t.client.send(new GetGroupCommand({ UserPoolId: t.poolId, GroupName: 'nope' })),
      'ResourceNotFoundException',
    ],
    [
      'ListUsersInGroup of an unknown group',
      (t: Target) => t.client.send(new ListUsersInGroupCommand({ UserPoolId: t.poolId, GroupName: 'nope' })),
      'ResourceNotFoundException',
    ],
    [
      'CreateGroup of an existing group',
      (t: Target) => t.client.send(new CreateGroupCommand({ UserPoolId: t.poolId, GroupName: 'big' })),
      'GroupExistsException',
    ],
    [
      'AdminCreateUser of an existing user',
      (t: Target) =>
        t.client.send(
          new AdminCreateUserCommand({
            UserPoolId: t.poolId,
            Username: username(3),
            MessageAction: 'SUPPRESS',
          }),
        ),
      'UsernameExistsException',
    ],
    [
      'AdminCreateUser with a non-email username in an email pool',
      (t: Target) =>
        t.client.send(
          new AdminCreateUserCommand({
            UserPoolId: t.emailPoolId,
            Username: 'bob',
            MessageAction: 'SUPPRESS',
          }),
        ),
      'InvalidParameterException',
    ],
    [
      'AdminCreateUser with an existing email in an email pool',
      (t: Target) =>
        t.client.send(
          new AdminCreateUserCommand({
            UserPoolId: t.emailPoolId,
            Username: 'ann@example.com',
            MessageAction: 'SUPPRESS',
          }),
        ),
      'UsernameExistsException',
    ],
  ])('%s', async (_label, call, name) => {
    const [emu, ref] = await onBoth((t) => errorName(call(t)));
    expect(emu).toBe(name);
    expect(ref).toBe(emu);
  });

  it('deviation: an attribute outside the schema is rejected by Cognito and the emulator; moto stores it', async () => {
    const [emu, ref] = await onBoth(async (t) => {
      const outcome = await errorName(
        t.client.send(
          new AdminCreateUserCommand({
            UserPoolId: t.poolId,
            Username: 'schema-check',
            MessageAction: 'SUPPRESS',
            UserAttributes: [{ Name: 'custom:unknown', Value: 'x' }],
          }),
        ),
      );
      // Keep the pool as the other scenarios expect it.
      if (outcome === 'no error') {
        await t.client.send(new AdminDeleteUserCommand({ UserPoolId: t.poolId, Username: 'schema-check' }));
      }
      return outcome;
    });
    expect(emu).toBe('InvalidParameterException');
    expect(ref).toBe('no error');
  });
});

describe('users and pools agree', () => {
  it('AdminDisableUser shows in AdminGetUser', async () => {
    const [emu, ref] = await onBoth(async (t) => {
      const disabled = await t.client.send(
        new AdminGetUserCommand({ UserPoolId: t.poolId, Username: username(20) }),
      );
      const enabled = await t.client.send(
        new AdminGetUserCommand({ UserPoolId: t.poolId, Username: username(21) }),
      );
      return [disabled.Enabled, enabled.Enabled, enabled.UserStatus];
    });
    expect(emu).toEqual([false, true, 'FORCE_CHANGE_PASSWORD']);
    expect(emu).toEqual(ref);
  });

  it('in an email pool Username is the generated sub; the email works as username', async () => {
    const [emu, ref] = await onBoth(async (t) => {
      const user = await t.client.send(
        new AdminGetUserCommand({ UserPoolId: t.emailPoolId, Username: 'ann@example.com' }),
      );
      const sub = user.UserAttributes?.find((a) => a.Name === 'sub')?.Value;
      const groups = await t.client.send(
        new AdminListGroupsForUserCommand({ UserPoolId: t.emailPoolId, Username: 'ann@example.com' }),
      );
      return {
        usernameIsSub: user.Username === sub && user.Username === t.emailUser,
        uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(user.Username ?? ''),
        email: user.UserAttributes?.find((a) => a.Name === 'email')?.Value,
        groups: groups.Groups?.map((g) => g.GroupName),
      };
    });
    expect(emu).toEqual({ usernameIsSub: true, uuid: true, email: 'ann@example.com', groups: ['staff'] });
    expect(emu).toEqual(ref);
  });

  it('DescribeUserPool reports username attributes, MFA, custom attributes and the user count', async () => {
    const [emu, ref] = await onBoth(async (t) => {
      const plain = (await t.client.send(new DescribeUserPoolCommand({ UserPoolId: t.poolId }))).UserPool;
      const email = (await t.client.send(new DescribeUserPoolCommand({ UserPoolId: t.emailPoolId })))
        .UserPool;
      return {
        usernameAttributes: [plain?.UsernameAttributes ?? [], email?.UsernameAttributes],
        mfa: plain?.MfaConfiguration,
        custom: plain?.SchemaAttributes?.filter((a) => a.Name?.startsWith('custom:')).map((a) => [
          a.Name,
          a.AttributeDataType,
        ]),
        users: [plain?.EstimatedNumberOfUsers, email?.EstimatedNumberOfUsers],
      };
    });
    expect(emu).toEqual({
      usernameAttributes: [[], ['email']],
      mfa: 'OFF',
      custom: [['custom:tenant', 'String']],
      users: [USERS, 1],
    });
    expect(emu).toEqual(ref);
  });

  it('deviation: import jobs exist in Cognito and the emulator; moto does not implement GetCSVHeader', async () => {
    const [emu, ref] = await onBoth((t) =>
      t.client
        .send(new GetCSVHeaderCommand({ UserPoolId: t.poolId }))
        .then((r) => r.CSVHeader?.slice(-3).join(','))
        .catch(
          (error: Error & { $metadata?: { httpStatusCode?: number } }) =>
            `HTTP ${error.$metadata?.httpStatusCode}`,
        ),
    );
    expect(emu).toBe('custom:tenant,cognito:mfa_enabled,cognito:username');
    expect(ref).toBe('HTTP 500');
  });

  it('deviation: pool ids have a 9-character suffix in Cognito and the emulator; moto uses 32 hex digits', () => {
    expect(target('emulator').poolId).toMatch(/^us-east-1_[0-9A-Za-z]{9}$/);
    expect(target('moto').poolId).toMatch(/^us-east-1_[0-9a-f]{32}$/);
  });
});

describe('the create calls of a restore target agree', () => {
  /** A new pool with a resource server, an identity provider, three app clients (one with a secret) and a domain. */
  async function buildParts(t: Target, domain: string) {
    const UserPoolId =
      (await t.client.send(new CreateUserPoolCommand({ PoolName: 'parts' }))).UserPool?.Id ?? '';
    const server = await t.client.send(
      new CreateResourceServerCommand({
        UserPoolId,
        Identifier: 'https://api.example.com',
        Name: 'API',
        Scopes: [{ ScopeName: 'read', ScopeDescription: 'Read' }],
      }),
    );
    await t.client.send(
      new CreateIdentityProviderCommand({
        UserPoolId,
        ProviderName: 'CorpSAML',
        ProviderType: 'SAML',
        ProviderDetails: { MetadataURL: 'https://idp.example.com/md' },
      }),
    );
    const duplicate = await errorName(
      t.client.send(
        new CreateIdentityProviderCommand({
          UserPoolId,
          ProviderName: 'CorpSAML',
          ProviderType: 'SAML',
          ProviderDetails: { MetadataURL: 'https://idp.example.com/md' },
        }),
      ),
    );
    const ids: string[] = [];
    const secrets: boolean[] = [];
    for (const [index, ClientName] of ['web', 'server', 'batch'].entries()) {
      const created = await t.client.send(
        new CreateUserPoolClientCommand({
          UserPoolId,
          ClientName,
          GenerateSecret: index === 1,
          AllowedOAuthScopes: ['https://api.example.com/read'],
        }),
      );
      ids.push(created.UserPoolClient?.ClientId ?? '');
      secrets.push(created.UserPoolClient?.ClientSecret !== undefined);
    }
    await t.client.send(new CreateUserPoolDomainCommand({ UserPoolId, Domain: domain }));
    return { UserPoolId, server, duplicate, ids, secrets };
  }

  it('app clients: a secret only with GenerateSecret, described by id, listed in pages of MaxResults', async () => {
    const [emu, ref] = await onBoth(async (t) => {
      const { UserPoolId, ids, secrets, duplicate } = await buildParts(t, `contract-${t.name}-clients`);
      const described = await t.client.send(
        new DescribeUserPoolClientCommand({ UserPoolId, ClientId: ids[1] }),
      );
      const first = await t.client.send(new ListUserPoolClientsCommand({ UserPoolId, MaxResults: 2 }));
      const second = await t.client.send(
        new ListUserPoolClientsCommand({ UserPoolId, MaxResults: 2, NextToken: first.NextToken }),
      );
      const missing = await errorName(
        t.client.send(new DescribeUserPoolClientCommand({ UserPoolId, ClientId: 'nosuchclient' })),
      );
      return {
        secrets,
        described: [
          described.UserPoolClient?.ClientName,
          described.UserPoolClient?.ClientSecret !== undefined,
        ],
        scopes: described.UserPoolClient?.AllowedOAuthScopes,
        pages: [first.UserPoolClients?.length, second.UserPoolClients?.length],
        tokens: [first.NextToken !== undefined, second.NextToken !== undefined],
        names: [...(first.UserPoolClients ?? []), ...(second.UserPoolClients ?? [])]
          .map((c) => c.ClientName)
          .sort(),
        missing,
        duplicate,
      };
    });
    expect(emu).toEqual({
      secrets: [false, true, false],
      described: ['server', true],
      scopes: ['https://api.example.com/read'],
      pages: [2, 1],
      tokens: [true, false],
      names: ['batch', 'server', 'web'],
      missing: 'ResourceNotFoundException',
      duplicate: 'DuplicateProviderException',
    });
    expect({ ...emu, duplicate: undefined }).toEqual({ ...ref, duplicate: undefined });
    // Deviation: moto accepts a second identity provider of the same name.
    expect(ref.duplicate).toBe('no error');
  });

  it('resource servers, identity providers and the domain read back as created', async () => {
    const [emu, ref] = await onBoth(async (t) => {
      const domain = `contract-${t.name}-parts`;
      const { UserPoolId, server } = await buildParts(t, domain);
      const servers = await t.client.send(new ListResourceServersCommand({ UserPoolId, MaxResults: 50 }));
      const provider = await t.client.send(
        new DescribeIdentityProviderCommand({ UserPoolId, ProviderName: 'CorpSAML' }),
      );
      const providers = await t.client.send(new ListIdentityProvidersCommand({ UserPoolId, MaxResults: 60 }));
      const pool = (await t.client.send(new DescribeUserPoolCommand({ UserPoolId }))).UserPool;
      const description = await t.client.send(new DescribeUserPoolDomainCommand({ Domain: domain }));
      return {
        server: server.ResourceServer,
        listed: servers.ResourceServers,
        provider: [
          provider.IdentityProvider?.ProviderType,
          provider.IdentityProvider?.ProviderDetails?.MetadataURL,
        ],
        providers: providers.Providers?.map((entry) => [entry.ProviderName, entry.ProviderType]),
        domain: [pool?.Domain === domain, description.DomainDescription?.UserPoolId === UserPoolId],
      };
    });
    expect(emu.listed).toEqual([emu.server]);
    expect(emu.server).toMatchObject({ Identifier: 'https://api.example.com', Name: 'API' });
    expect(emu.provider).toEqual(['SAML', 'https://idp.example.com/md']);
    expect(emu.providers).toEqual([['CorpSAML', 'SAML']]);
    expect(emu.domain).toEqual([true, true]);
    expect({ ...emu, server: undefined, listed: undefined }).toEqual({
      ...ref,
      server: undefined,
      listed: undefined,
    });
    // The pool ids differ (see the pool-id deviation); the resource servers agree otherwise.
    expect(emu.server).toEqual({ ...ref.server, UserPoolId: emu.server?.UserPoolId });
  });
});

describe('moto launcher', () => {
  it('fails with the install hint when moto is not installed', async () => {
    await expect(startMoto({ python: 'python3-not-installed-here' })).rejects.toThrow(MOTO_MISSING_MESSAGE);
  });
});
