// SPDX-License-Identifier: Apache-2.0
/**
 * The Cognito emulator in-process, driven by the unmodified SDK v3 client: pagination, filters,
 * limits, errors, groups, pools with username attributes, and the seed primitives.
 */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserAttributesCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminSetUserPasswordCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  CognitoIdentityProviderClient,
  CreateIdentityProviderCommand,
  CreateResourceServerCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolDomainCommand,
  DescribeUserPoolDomainCommand,
  CreateGroupCommand,
  CreateUserPoolCommand,
  DeleteGroupCommand,
  DescribeUserPoolCommand,
  GetGroupCommand,
  GetUserPoolMfaConfigCommand,
  DescribeUserPoolClientCommand,
  ListIdentityProvidersCommand,
  ListResourceServersCommand,
  ListUserPoolClientsCommand,
  ListGroupsCommand,
  ListUserPoolsCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
  SetUserPoolMfaConfigCommand,
  AdminUpdateUserAttributesCommand,
  UpdateGroupCommand,
  type ListUsersCommandInput,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  startCognitoEmulator,
  type CognitoEmulator,
  type CognitoEmulatorOptions,
  type NewUser,
} from '../cognito';
import { parseCliArguments } from '../cognito/cli';
import { allPages, cognitoClientFor, errorName, withCognito } from '../cognito/testing';

let emulator: CognitoEmulator;
let client: CognitoIdentityProviderClient;

beforeAll(async () => {
  emulator = await startCognitoEmulator({ throttling: 'off' });
  client = cognitoClientFor(emulator.endpoint);
});

afterAll(async () => {
  client.destroy();
  await emulator.stop();
});

beforeEach(() => emulator.resetStats());

/** 250 users: user000..user249, every 10th disabled, names and subs varied. */
function makeUsers(count: number): NewUser[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i).padStart(3, '0');
    return {
      username: `user${n}`,
      enabled: i % 10 !== 0,
      status: i % 50 === 0 ? 'UNCONFIRMED' : 'CONFIRMED',
      attributes: {
        email: `User${n}@Example.com`,
        email_verified: 'true',
        given_name: i % 2 === 0 ? 'Ann' : 'Bob',
        family_name: `Family${n}`,
        name: `Person ${n}`,
        preferred_username: `pref${n}`,
        phone_number: `+1555000${n.padStart(4, '0')}`,
        'custom:tenant': `tenant-${i % 3}`,
      },
    };
  });
}

async function listAll(
  input: ListUsersCommandInput,
): Promise<{ pages: number[]; users: UserType[]; tokens: string[] }> {
  const pages = await allPages(
    (token) => client.send(new ListUsersCommand({ ...input, PaginationToken: token })),
    (page) => page.PaginationToken,
  );
  return {
    pages: pages.map((page) => page.Users?.length ?? 0),
    users: pages.flatMap((page) => page.Users ?? []),
    tokens: pages.flatMap((page) => (page.PaginationToken ? [page.PaginationToken] : [])),
  };
}

async function errorOf(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

/** A raw JSON 1.1 request, for what the SDK would not send. */
const post = (operation: string, body: string): Promise<Response> =>
  fetch(emulator.endpoint, {
    method: 'POST',
    headers: {
      'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
      'content-type': 'application/x-amz-json-1.1',
    },
    body,
  });

const attr = (user: UserType | undefined, name: string): string | undefined =>
  user?.Attributes?.find((a) => a.Name === name)?.Value;

describe('ListUsers pagination', () => {
  let poolId: string;
  beforeAll(() => {
    poolId = emulator.seed({ userPool: { customAttributes: ['tenant'] }, users: makeUsers(250) }).poolId;
  });

  it('pages 250 users in 5 pages of at most 60 with opaque tokens, in a stable order', async () => {
    const { pages, users, tokens } = await listAll({ UserPoolId: poolId, Limit: 60 });
    expect(pages).toEqual([60, 60, 60, 60, 10]);
    expect(users.map((u) => u.Username)).toEqual(makeUsers(250).map((u) => u.username));
    expect(tokens).toHaveLength(4);
    for (const token of tokens) expect(token).not.toMatch(/user\d/);
    const again = await listAll({ UserPoolId: poolId, Limit: 60 });
    expect(again.users.map((u) => u.Username)).toEqual(users.map((u) => u.Username));
  });

  it('uses 25 users a page when Limit is omitted or 0 (Cognito default)', async () => {
    expect((await listAll({ UserPoolId: poolId })).pages).toEqual(Array(10).fill(25));
    expect((await listAll({ UserPoolId: poolId, Limit: 0 })).pages).toEqual(Array(10).fill(25));
  });

  it('returns users in the wire shape: sub first, dates, Enabled and UserStatus', async () => {
    const page = await client.send(new ListUsersCommand({ UserPoolId: poolId, Limit: 1 }));
    const user = page.Users?.[0];
    expect(user?.Username).toBe('user000');
    expect(user?.Enabled).toBe(false);
    expect(user?.UserStatus).toBe('UNCONFIRMED');
    expect(user?.UserCreateDate).toBeInstanceOf(Date);
    expect(user?.Attributes?.[0]?.Name).toBe('sub');
    expect(attr(user, 'sub')).toMatch(/^[0-9a-f-]{36}$/);
    expect(attr(user, 'custom:tenant')).toBe('tenant-0');
  });

  it('rejects Limit above 60 with Cognito’s validation message', async () => {
    const error = await errorOf(client.send(new ListUsersCommand({ UserPoolId: poolId, Limit: 61 })));
    expect(error).toEqual({
      name: 'InvalidParameterException',
      message:
        "1 validation error detected: Value '61' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60",
      status: 400,
    });
    const negative = await errorOf(client.send(new ListUsersCommand({ UserPoolId: poolId, Limit: -1 })));
    expect(negative.message).toContain('Member must have value greater than or equal to 0');
  });

  it('rejects a forged token, and a token used with another filter', async () => {
    const forged = await errorOf(
      client.send(new ListUsersCommand({ UserPoolId: poolId, PaginationToken: 'not-a-token' })),
    );
    expect(forged.name).toBe('InvalidParameterException');
    const first = await client.send(
      new ListUsersCommand({ UserPoolId: poolId, Limit: 5, Filter: 'given_name = "Ann"' }),
    );
    const mixed = await errorOf(
      client.send(
        new ListUsersCommand({
          UserPoolId: poolId,
          Limit: 5,
          Filter: 'given_name = "Bob"',
          PaginationToken: first.PaginationToken,
        }),
      ),
    );
    expect(mixed.name).toBe('InvalidParameterException');
  });

  it('keeps paging correct when users are deleted and added between pages', async () => {
    const pool = emulator.seed({ userPool: { customAttributes: ['tenant'] }, users: makeUsers(130) });
    const first = await client.send(new ListUsersCommand({ UserPoolId: pool.poolId, Limit: 60 }));
    await client.send(new AdminDeleteUserCommand({ UserPoolId: pool.poolId, Username: 'user061' }));
    await client.send(new AdminDeleteUserCommand({ UserPoolId: pool.poolId, Username: 'user010' }));
    emulator.store.addUsers(pool.poolId, [{ username: 'late-user' }]);
    const rest: string[] = [];
    let token = first.PaginationToken;
    while (token) {
      const page = await client.send(
        new ListUsersCommand({ UserPoolId: pool.poolId, Limit: 60, PaginationToken: token }),
      );
      rest.push(...(page.Users ?? []).map((u) => u.Username ?? ''));
      token = page.PaginationToken;
    }
    const expected = makeUsers(130)
      .slice(60)
      .map((u) => u.username)
      .filter((u) => u !== 'user061');
    expect(rest).toEqual([...expected, 'late-user']);
  });

  it('returns only AttributesToGet, and refuses a custom attribute some user lacks', async () => {
    const page = await client.send(
      new ListUsersCommand({ UserPoolId: poolId, Limit: 2, AttributesToGet: ['email', 'custom:tenant'] }),
    );
    expect(page.Users?.[0]?.Attributes).toEqual([
      { Name: 'email', Value: 'User000@Example.com' },
      { Name: 'custom:tenant', Value: 'tenant-0' },
    ]);
    const sparse = emulator.seed({
      userPool: { customAttributes: ['tenant'] },
      users: [{ username: 'a', attributes: { 'custom:tenant': 't' } }, { username: 'b' }],
    });
    const error = await errorOf(
      client.send(new ListUsersCommand({ UserPoolId: sparse.poolId, AttributesToGet: ['custom:tenant'] })),
    );
    expect(error.name).toBe('InvalidParameterException');
    const searchable = await client.send(
      new ListUsersCommand({ UserPoolId: sparse.poolId, AttributesToGet: ['email'] }),
    );
    expect(searchable.Users?.map((u) => u.Attributes)).toEqual([[], []]);
  });
});

describe('ListUsers filters', () => {
  let poolId: string;
  const all = makeUsers(250);
  beforeAll(() => {
    poolId = emulator.seed({ userPool: { customAttributes: ['tenant'] }, users: all }).poolId;
  });

  const names = async (filter: string, limit = 60): Promise<string[]> =>
    (await listAll({ UserPoolId: poolId, Filter: filter, Limit: limit })).users.map((u) => u.Username ?? '');

  it.each([
    ['username = "user007"', ['user007']],
    [
      'username ^= "user24"',
      [
        'user240',
        'user241',
        'user242',
        'user243',
        'user244',
        'user245',
        'user246',
        'user247',
        'user248',
        'user249',
      ],
    ],
    ['email = "user010@example.com"', ['user010']],
    ['email ^= "USER00"', all.slice(0, 10).map((u) => u.username)],
    ['phone_number = "+15550000123"', ['user123']],
    ['name = "person 042"', ['user042']],
    ['family_name ^= "Family19"', all.slice(190, 200).map((u) => u.username)],
    ['preferred_username = "pref200"', ['user200']],
    ['cognito:user_status = "unconfirmed"', ['user000', 'user050', 'user100', 'user150', 'user200']],
    ['status = "Disabled"', all.filter((_, i) => i % 10 === 0).map((u) => u.username)],
  ])('%s', async (filter, expected) => {
    expect(await names(filter)).toEqual(expected);
  });

  it('matches given_name across several pages with a small Limit', async () => {
    const result = await listAll({ UserPoolId: poolId, Filter: 'given_name = "Ann"', Limit: 40 });
    expect(result.pages).toEqual([40, 40, 40, 5]);
    expect(result.users.every((u) => attr(u, 'given_name') === 'Ann')).toBe(true);
  });

  it('is case-sensitive for username and status, as Cognito documents', async () => {
    expect(await names('username = "USER007"')).toEqual([]);
    expect(await names('status = "enabled"')).toEqual([]);
    expect(await names('status = "Enabled"')).toHaveLength(225);
  });

  it('partitions the pool exactly with the 16 sub prefixes', async () => {
    const seen: string[] = [];
    for (const digit of '0123456789abcdef') seen.push(...(await names(`sub ^= "${digit}"`)));
    expect(seen.sort()).toEqual(all.map((u) => u.username).sort());
  });

  it('accepts backslash-escaped quotes and an empty filter', async () => {
    const quoted = emulator.seed({
      users: [{ username: 'q', attributes: { name: 'The "Q"' } }, { username: 'r' }],
    });
    const page = await client.send(
      new ListUsersCommand({ UserPoolId: quoted.poolId, Filter: 'name = "The \\"Q\\""' }),
    );
    expect(page.Users?.map((u) => u.Username)).toEqual(['q']);
    const everyone = await client.send(new ListUsersCommand({ UserPoolId: quoted.poolId, Filter: '' }));
    expect(everyone.Users).toHaveLength(2);
  });

  it.each([
    ['custom:tenant = "tenant-1"', 'Invalid search attribute: custom:tenant'],
    ['locale = "en"', 'Invalid search attribute: locale'],
    ['email == "x"', 'Error while parsing filter.'],
    ['email = x', 'Error while parsing filter.'],
    ['email ~= "x"', 'Error while parsing filter.'],
  ])('rejects %s', async (filter, message) => {
    expect(await errorOf(client.send(new ListUsersCommand({ UserPoolId: poolId, Filter: filter })))).toEqual({
      name: 'InvalidParameterException',
      message,
      status: 400,
    });
  });
});

describe('errors as Cognito returns them', () => {
  it('unknown pool, malformed pool id, unknown user, unknown operation', async () => {
    expect(await errorOf(client.send(new ListUsersCommand({ UserPoolId: 'us-east-1_Missing01' })))).toEqual({
      name: 'ResourceNotFoundException',
      message: 'User pool us-east-1_Missing01 does not exist.',
      status: 400,
    });
    const malformed = await errorOf(client.send(new DescribeUserPoolCommand({ UserPoolId: 'not a pool' })));
    expect(malformed.name).toBe('InvalidParameterException');
    expect(malformed.message).toContain("at 'userPoolId' failed to satisfy constraint");
    const { poolId } = emulator.seed({ users: [{ username: 'alice' }] });
    expect(
      await errorOf(client.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'bob' }))),
    ).toEqual({
      name: 'UserNotFoundException',
      message: 'User does not exist.',
      status: 400,
    });
    const response = await post('InitiateAuth', '{}');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { __type: string }).__type).toBe('UnknownOperationException');
    expect(emulator.stats().errors).toMatchObject({
      ListUsers: 1,
      DescribeUserPool: 1,
      AdminGetUser: 1,
      InitiateAuth: 1,
    });
  });

  it('names a missing required member without echoing usernames', async () => {
    const { poolId } = emulator.seed({});
    const missing = await errorOf(
      client.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: undefined })),
    );
    expect(missing.message).toBe(
      "1 validation error detected: Value null at 'username' failed to satisfy constraint: Member must not be null",
    );
    const spaced = await errorOf(
      client.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'has space' })),
    );
    expect(spaced.name).toBe('InvalidParameterException');
    expect(spaced.message).not.toContain('has space');
  });
});

describe('users', () => {
  it('AdminSetUserPassword: a permanent password confirms the user, a temporary one asks for a new one; the password is never echoed', async () => {
    const { poolId } = emulator.seed({});
    await client.send(
      new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'erin', MessageAction: 'SUPPRESS' }),
    );
    const status = async () =>
      (await client.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'erin' }))).UserStatus;
    await client.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: poolId,
        Username: 'erin',
        Password: 'x'.repeat(100),
        Permanent: true,
      }),
    );
    expect(await status()).toBe('CONFIRMED');
    await client.send(
      new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: 'erin', Password: 'Temp1!aa' }),
    );
    expect(await status()).toBe('FORCE_CHANGE_PASSWORD');
    const tooLong = await errorOf(
      client.send(
        new AdminSetUserPasswordCommand({
          UserPoolId: poolId,
          Username: 'erin',
          Password: `secret${'y'.repeat(300)}`,
        }),
      ),
    );
    expect(tooLong.name).toBe('InvalidParameterException');
    expect(tooLong.message).not.toContain('secret');
    const unknown = await errorOf(
      client.send(new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: 'nobody', Password: 'p' })),
    );
    expect(unknown.name).toBe('UserNotFoundException');
  });

  it('AdminCreateUser, AdminGetUser, disable, enable, delete', async () => {
    const { poolId } = emulator.seed({ userPool: { customAttributes: ['tenant'] } });
    const created = await client.send(
      new AdminCreateUserCommand({
        UserPoolId: poolId,
        Username: 'carol',
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'email', Value: 'carol@example.com' },
          { Name: 'custom:tenant', Value: 'a,b' },
        ],
      }),
    );
    expect(created.User).toMatchObject({
      Username: 'carol',
      Enabled: true,
      UserStatus: 'FORCE_CHANGE_PASSWORD',
    });
    expect(attr(created.User, 'custom:tenant')).toBe('a,b');
    const duplicate = await errorOf(
      client.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'carol' })),
    );
    expect(duplicate).toEqual({
      name: 'UsernameExistsException',
      message: 'User account already exists',
      status: 400,
    });
    const badAttribute = await errorOf(
      client.send(
        new AdminCreateUserCommand({
          UserPoolId: poolId,
          Username: 'dave',
          UserAttributes: [{ Name: 'custom:unknown', Value: 'x' }],
        }),
      ),
    );
    expect(badAttribute.message).toBe(
      'Attributes did not conform to the schema: custom:unknown: Attribute does not exist in the schema.',
    );

    await client.send(new AdminDisableUserCommand({ UserPoolId: poolId, Username: 'carol' }));
    expect(
      (await client.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'carol' }))).Enabled,
    ).toBe(false);
    await client.send(new AdminEnableUserCommand({ UserPoolId: poolId, Username: 'carol' }));
    const fetched = await client.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'carol' }));
    expect(fetched.Enabled).toBe(true);
    expect(fetched.UserAttributes?.map((a) => a.Name)).toEqual(['sub', 'email', 'custom:tenant']);

    await client.send(new AdminDeleteUserCommand({ UserPoolId: poolId, Username: 'carol' }));
    expect(
      await errorName(client.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'carol' }))),
    ).toBe('UserNotFoundException');
  });

  it('keeps sub, status and password across attribute updates and enable/disable, as Cognito does', async () => {
    const poolId = emulator.createUserPool({});
    const target = { UserPoolId: poolId, Username: 'frank' };
    await client.send(
      new AdminCreateUserCommand({
        ...target,
        MessageAction: 'SUPPRESS',
        UserAttributes: [{ Name: 'email', Value: 'frank@example.com' }],
      }),
    );
    await client.send(new AdminSetUserPasswordCommand({ ...target, Password: 'Secret-1', Permanent: true }));
    const record = () => {
      const user = emulator.store.findUser(emulator.store.requirePool(poolId), 'frank');
      return [user?.sub, user?.status, user?.passwordDigest];
    };
    const before = record();
    expect(before[2]).toMatch(/^[0-9a-f]{64}$/);
    await client.send(
      new AdminUpdateUserAttributesCommand({
        ...target,
        UserAttributes: [
          { Name: 'email', Value: 'frank2@example.com' },
          { Name: 'email_verified', Value: 'true' },
        ],
      }),
    );
    await client.send(
      new AdminDeleteUserAttributesCommand({ ...target, UserAttributeNames: ['email_verified'] }),
    );
    await client.send(new AdminDisableUserCommand(target));
    await client.send(new AdminEnableUserCommand(target));
    expect(record()).toEqual(before);
    // Only a password call changes it.
    await client.send(new AdminSetUserPasswordCommand({ ...target, Password: 'Secret-2', Permanent: true }));
    expect(record()[2]).not.toBe(before[2]);
  });

  it('AdminUpdateUserAttributes, AdminDeleteUserAttributes and UpdateGroup', async () => {
    const poolId = emulator.createUserPool({
      customAttributes: ['plan', { name: 'tier', mutable: false }],
      requiredAttributes: ['given_name'],
    });
    await client.send(
      new AdminCreateUserCommand({
        UserPoolId: poolId,
        Username: 'erin',
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'given_name', Value: 'Erin' },
          { Name: 'email', Value: 'erin@example.com' },
          { Name: 'email_verified', Value: 'true' },
          { Name: 'custom:tier', Value: 'gold' },
        ],
      }),
    );
    const attributes = async () =>
      Object.fromEntries(
        (
          (await client.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'erin' })))
            .UserAttributes ?? []
        ).map((a) => [a.Name, a.Value]),
      );
    const update = (UserAttributes: { Name: string; Value: string }[]) =>
      client.send(
        new AdminUpdateUserAttributesCommand({ UserPoolId: poolId, Username: 'erin', UserAttributes }),
      );
    const messages = emulator.store.verificationMessages;

    // A new address with its flag true in the same call: no verification message.
    await update([
      { Name: 'email', Value: 'erin2@example.com' },
      { Name: 'email_verified', Value: 'true' },
      { Name: 'custom:plan', Value: 'pro' },
    ]);
    expect(await attributes()).toMatchObject({
      email: 'erin2@example.com',
      email_verified: 'true',
      'custom:plan': 'pro',
    });
    expect(emulator.store.verificationMessages).toBe(messages);
    // Without it, Cognito marks the address unverified and sends a code.
    await update([{ Name: 'email', Value: 'erin3@example.com' }]);
    expect(await attributes()).toMatchObject({ email: 'erin3@example.com', email_verified: 'false' });
    expect(emulator.store.verificationMessages).toBe(messages + 1);

    for (const refused of [
      update([{ Name: 'custom:tier', Value: 'basic' }]),
      update([{ Name: 'sub', Value: 'x' }]),
      update([{ Name: 'custom:unknown', Value: 'x' }]),
      client.send(
        new AdminDeleteUserAttributesCommand({
          UserPoolId: poolId,
          Username: 'erin',
          UserAttributeNames: ['given_name'],
        }),
      ),
    ])
      expect(await errorName(refused)).toBe('InvalidParameterException');
    await client.send(
      new AdminDeleteUserAttributesCommand({
        UserPoolId: poolId,
        Username: 'erin',
        UserAttributeNames: ['custom:plan'],
      }),
    );
    expect(await attributes()).not.toHaveProperty('custom:plan');
    expect(await attributes()).toMatchObject({ 'custom:tier': 'gold', given_name: 'Erin' });

    await client.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'staff', Description: 'old' }));
    const updated = await client.send(
      new UpdateGroupCommand({ UserPoolId: poolId, GroupName: 'staff', Description: 'new', Precedence: 3 }),
    );
    expect(updated.Group).toMatchObject({ GroupName: 'staff', Description: 'new', Precedence: 3 });
    expect(
      await errorName(
        client.send(new UpdateGroupCommand({ UserPoolId: poolId, GroupName: 'none', Precedence: 1 })),
      ),
    ).toBe('ResourceNotFoundException');
  });

  it('in an email-as-username pool, Username becomes a generated UUID equal to sub', async () => {
    const { poolId } = emulator.seed({ userPool: { usernameAttributes: ['email'] } });
    const created = await client.send(
      new AdminCreateUserCommand({
        UserPoolId: poolId,
        Username: 'erin@example.com',
        MessageAction: 'SUPPRESS',
      }),
    );
    const username = created.User?.Username ?? '';
    expect(username).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(attr(created.User, 'sub')).toBe(username);
    expect(attr(created.User, 'email')).toBe('erin@example.com');
    const byEmail = await client.send(
      new AdminGetUserCommand({ UserPoolId: poolId, Username: 'Erin@Example.com' }),
    );
    expect(byEmail.Username).toBe(username);
    expect(
      await errorOf(
        client.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'erin@example.com' })),
      ),
    ).toEqual({
      name: 'UsernameExistsException',
      message: 'An account with the given email already exists.',
      status: 400,
    });
    expect(
      await errorOf(client.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'erin' }))),
    ).toEqual({
      name: 'InvalidParameterException',
      message: 'Username should be an email.',
      status: 400,
    });
    const phonePool = emulator.seed({ userPool: { usernameAttributes: ['phone_number'] } });
    const phone = await errorOf(
      client.send(new AdminCreateUserCommand({ UserPoolId: phonePool.poolId, Username: 'erin@example.com' })),
    );
    expect(phone.message).toBe('Username should be a phone number.');
  });
});

describe('groups', () => {
  let poolId: string;
  beforeAll(() => {
    poolId = emulator.seed({ userPool: { customAttributes: ['tenant'] }, users: makeUsers(80) }).poolId;
  });

  it('CreateGroup, GetGroup, duplicate GroupExistsException, unknown group ResourceNotFoundException', async () => {
    const created = await client.send(
      new CreateGroupCommand({
        UserPoolId: poolId,
        GroupName: 'admins',
        Description: 'Admins, all',
        Precedence: 3,
      }),
    );
    expect(created.Group).toMatchObject({
      GroupName: 'admins',
      UserPoolId: poolId,
      Description: 'Admins, all',
      Precedence: 3,
    });
    expect(created.Group?.CreationDate).toBeInstanceOf(Date);
    expect(
      await errorOf(client.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'admins' }))),
    ).toEqual({
      name: 'GroupExistsException',
      message: 'A group with the name admins already exists.',
      status: 400,
    });
    expect(
      (await client.send(new GetGroupCommand({ UserPoolId: poolId, GroupName: 'admins' }))).Group?.Precedence,
    ).toBe(3);
    expect(
      await errorOf(client.send(new GetGroupCommand({ UserPoolId: poolId, GroupName: 'nobody' }))),
    ).toEqual({
      name: 'ResourceNotFoundException',
      message: 'Group not found.',
      status: 400,
    });
    expect(
      await errorName(
        client.send(
          new AdminAddUserToGroupCommand({ UserPoolId: poolId, GroupName: 'nobody', Username: 'user001' }),
        ),
      ),
    ).toBe('ResourceNotFoundException');
    expect(
      await errorName(
        client.send(
          new AdminAddUserToGroupCommand({ UserPoolId: poolId, GroupName: 'admins', Username: 'ghost' }),
        ),
      ),
    ).toBe('UserNotFoundException');
  });

  it('ListGroups and ListUsersInGroup page with NextToken; memberships are idempotent', async () => {
    for (let i = 0; i < 5; i += 1) {
      await client.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: `team-${i}` }));
    }
    const groupPages = await allPages(
      (token) => client.send(new ListGroupsCommand({ UserPoolId: poolId, Limit: 2, NextToken: token })),
      (page) => page.NextToken,
    );
    expect(groupPages.map((page) => page.Groups?.length ?? 0)).toEqual([2, 2, 2]);

    for (const user of makeUsers(70)) {
      await client.send(
        new AdminAddUserToGroupCommand({ UserPoolId: poolId, GroupName: 'team-0', Username: user.username }),
      );
    }
    await client.send(
      new AdminAddUserToGroupCommand({ UserPoolId: poolId, GroupName: 'team-0', Username: 'user000' }),
    );
    const memberPages = await allPages(
      (token) =>
        client.send(
          new ListUsersInGroupCommand({
            UserPoolId: poolId,
            GroupName: 'team-0',
            Limit: 60,
            NextToken: token,
          }),
        ),
      (page) => page.NextToken,
    );
    expect(memberPages.map((page) => page.Users?.length ?? 0)).toEqual([60, 10]);
    expect(memberPages.flatMap((page) => (page.Users ?? []).map((u) => u.Username))).toEqual(
      makeUsers(70).map((u) => u.username),
    );
    const defaultPage = await client.send(
      new ListUsersInGroupCommand({ UserPoolId: poolId, GroupName: 'team-0' }),
    );
    expect(defaultPage.Users).toHaveLength(25);
    const over = await errorOf(client.send(new ListGroupsCommand({ UserPoolId: poolId, Limit: 61 })));
    expect(over.name).toBe('InvalidParameterException');
  });

  it('AdminListGroupsForUser, AdminRemoveUserFromGroup, DeleteGroup', async () => {
    const { poolId: pool } = emulator.seed({
      users: [{ username: 'u1' }, { username: 'u2' }],
      groups: [
        { name: 'g1', members: ['u1'] },
        { name: 'g2', members: ['u1', 'u2'] },
        { name: 'g3', members: ['u1'] },
      ],
    });
    const first = await client.send(
      new AdminListGroupsForUserCommand({ UserPoolId: pool, Username: 'u1', Limit: 2 }),
    );
    expect(first.Groups?.map((g) => g.GroupName)).toEqual(['g1', 'g2']);
    const second = await client.send(
      new AdminListGroupsForUserCommand({
        UserPoolId: pool,
        Username: 'u1',
        Limit: 2,
        NextToken: first.NextToken,
      }),
    );
    expect(second.Groups?.map((g) => g.GroupName)).toEqual(['g3']);
    expect(second.NextToken).toBeUndefined();
    await client.send(
      new AdminRemoveUserFromGroupCommand({ UserPoolId: pool, Username: 'u1', GroupName: 'g2' }),
    );
    await client.send(new DeleteGroupCommand({ UserPoolId: pool, GroupName: 'g3' }));
    const after = await client.send(new AdminListGroupsForUserCommand({ UserPoolId: pool, Username: 'u1' }));
    expect(after.Groups?.map((g) => g.GroupName)).toEqual(['g1']);
    const g2 = await client.send(new ListUsersInGroupCommand({ UserPoolId: pool, GroupName: 'g2' }));
    expect(g2.Users?.map((u) => u.Username)).toEqual(['u2']);
    await client.send(new AdminDeleteUserCommand({ UserPoolId: pool, Username: 'u2' }));
    expect(
      (await client.send(new ListUsersInGroupCommand({ UserPoolId: pool, GroupName: 'g2' }))).Users,
    ).toEqual([]);
  });
});

describe('user pools', () => {
  it('DescribeUserPool reports username attributes, MFA, custom attributes and the user count', async () => {
    const { poolId } = emulator.seed({
      userPool: {
        usernameAttributes: ['email'],
        customAttributes: ['tenant', 'plan'],
        mfaConfiguration: 'OFF',
      },
      users: [{ username: 'a@example.com' }, { username: 'b@example.com' }],
    });
    const pool = (await client.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool;
    expect(pool?.Id).toBe(poolId);
    expect(pool?.Id).toMatch(/^us-east-1_[0-9A-Za-z]{9}$/);
    expect(pool?.UsernameAttributes).toEqual(['email']);
    expect(pool?.MfaConfiguration).toBe('OFF');
    expect(pool?.EstimatedNumberOfUsers).toBe(2);
    expect(pool?.Arn).toBe(`arn:aws:cognito-idp:us-east-1:000000000000:userpool/${poolId}`);
    const custom = pool?.SchemaAttributes?.filter((a) => a.Name?.startsWith('custom:'));
    expect(custom?.map((a) => [a.Name, a.AttributeDataType, a.Mutable])).toEqual([
      ['custom:tenant', 'String', true],
      ['custom:plan', 'String', true],
    ]);
    expect(pool?.SchemaAttributes?.some((a) => a.Name === 'email')).toBe(true);
    const noUsernameAttributes = emulator.seed({});
    const plain = (
      await client.send(new DescribeUserPoolCommand({ UserPoolId: noUsernameAttributes.poolId }))
    ).UserPool;
    expect(plain?.UsernameAttributes).toBeUndefined();
  });

  it('CreateUserPool with Schema and MFA, GetUserPoolMfaConfig, SetUserPoolMfaConfig, ListUserPools', async () => {
    const created = await client.send(
      new CreateUserPoolCommand({
        PoolName: 'restore-target',
        UsernameAttributes: ['email'],
        AutoVerifiedAttributes: ['email'],
        MfaConfiguration: 'OFF',
        Schema: [
          { Name: 'tenant', AttributeDataType: 'String', Mutable: true },
          { Name: 'email', AttributeDataType: 'String', Required: true },
        ],
      }),
    );
    const poolId = created.UserPool?.Id ?? '';
    expect(created.UserPool?.Name).toBe('restore-target');
    expect(
      created.UserPool?.SchemaAttributes?.filter((a) => a.Name?.startsWith('custom:')).map((a) => a.Name),
    ).toEqual(['custom:tenant']);
    expect(emulator.store.getPool(poolId)?.autoVerifiedAttributes).toEqual(['email']);
    expect(
      (await client.send(new GetUserPoolMfaConfigCommand({ UserPoolId: poolId }))).MfaConfiguration,
    ).toBe('OFF');
    await client.send(new SetUserPoolMfaConfigCommand({ UserPoolId: poolId, MfaConfiguration: 'ON' }));
    const mfa = await client.send(new GetUserPoolMfaConfigCommand({ UserPoolId: poolId }));
    expect(mfa.MfaConfiguration).toBe('ON');
    expect(mfa.SoftwareTokenMfaConfiguration?.Enabled).toBe(true);
    const listed = await allPages(
      (token) => client.send(new ListUserPoolsCommand({ MaxResults: 3, NextToken: token })),
      (page) => page.NextToken,
    );
    expect(listed.flatMap((page) => (page.UserPools ?? []).map((p) => p.Id))).toEqual(
      emulator.store.poolIds(),
    );
  });
});

describe("the export's configuration record calls", () => {
  it('lists no app client, resource server or identity provider, and checks MaxResults and the pool', async () => {
    const { poolId } = emulator.seed({});
    const UserPoolId = poolId;
    expect(await client.send(new ListUserPoolClientsCommand({ UserPoolId, MaxResults: 60 }))).toMatchObject({
      UserPoolClients: [],
    });
    expect(await client.send(new ListResourceServersCommand({ UserPoolId, MaxResults: 50 }))).toMatchObject({
      ResourceServers: [],
    });
    expect(await client.send(new ListIdentityProvidersCommand({ UserPoolId, MaxResults: 60 }))).toMatchObject(
      {
        Providers: [],
      },
    );
    await expect(
      client.send(new ListResourceServersCommand({ UserPoolId, MaxResults: 51 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(
      client.send(new ListUserPoolClientsCommand({ UserPoolId: 'us-east-1_missing', MaxResults: 1 })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(
      client.send(new DescribeUserPoolClientCommand({ UserPoolId, ClientId: 'nope' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('seed primitives', () => {
  it('createPoolFromSeed maps seed usernames to Cognito usernames and builds memberships', () => {
    const seeded = emulator.seed({
      userPool: { usernameAttributes: ['email'], customAttributes: ['tenant'] },
      users: [
        { username: 'x@example.com', attributes: { email_verified: 'true', 'custom:tenant': 'Zürich, CH' } },
        { username: 'y@example.com', enabled: false },
      ],
      groups: [
        { name: 'staff', description: 'Staff', precedence: 1, members: ['x@example.com', 'y@example.com'] },
      ],
    });
    expect(seeded).toMatchObject({ userCount: 2, groupCount: 1, membershipCount: 2 });
    const snapshot = emulator.snapshot(seeded.poolId);
    const x = snapshot.users.find((u) => u.attributes.email === 'x@example.com');
    expect(x?.username).toBe(seeded.usernames.get('x@example.com'));
    expect(x?.attributes['custom:tenant']).toBe('Zürich, CH');
    expect(snapshot.users.find((u) => u.attributes.email === 'y@example.com')?.enabled).toBe(false);
    expect(snapshot.groups).toEqual([
      { name: 'staff', description: 'Staff', precedence: 1, members: [...seeded.usernames.values()] },
    ]);
  });

  it('names the bad entry by index, never by value', () => {
    expect(() =>
      emulator.seed({
        users: [{ username: 'ok' }, { username: 'bad', attributes: { 'custom:nope': 'secret-value' } }],
      }),
    ).toThrow(
      /^users\[1\]: InvalidParameterException: Attributes did not conform to the schema: custom:nope/,
    );
    expect(() => emulator.seed({ users: [{ username: 'a' }, { username: 'a' }] })).toThrow(
      'users[1]: UsernameExistsException: User account already exists',
    );
    expect(() =>
      emulator.seed({ users: [{ username: 'a' }], groups: [{ name: 'g', members: ['zed'] }] }),
    ).toThrow('groups[0].members[0]: no user with that username');
    expect(() => emulator.seed({ groups: [{ name: 'g' }, { name: 'g' }] })).toThrow(
      'groups[1]: GroupExistsException: A group with the name g already exists.',
    );
  });

  it('keeps a given sub and refuses a duplicate one', () => {
    const sub = '11111111-2222-3333-4444-555555555555';
    const seeded = emulator.seed({ users: [{ username: 'a', attributes: { sub } }] });
    expect(emulator.snapshot(seeded.poolId).users[0]?.sub).toBe(sub);
    expect(() => emulator.store.addUsers(seeded.poolId, [{ username: 'b', attributes: { sub } }])).toThrow(
      /^users\[0\]: InvalidParameterException/,
    );
  });
});

describe('standalone CLI arguments', () => {
  it('parses the options the harness may pass', () => {
    expect(
      parseCliArguments([
        '--port',
        '4599',
        '--seed',
        'pool.json',
        '--latency',
        'aws',
        '--throttle-scale',
        '2.5',
        '--region',
        'eu-west-1',
      ]),
    ).toEqual({
      options: { port: 4599, latency: 'aws', throttling: { scale: 2.5 }, region: 'eu-west-1' },
      seedFile: 'pool.json',
    });
    expect(parseCliArguments(['--no-throttle'])).toEqual({ options: { throttling: false } });
  });

  it.each([
    [['--latency', 'slow'], '--latency must be none or aws'],
    [['--throttle-scale', '0'], '--throttle-scale must be a positive number'],
    [['--port'], '--port needs a value'],
    [['--port', '70000'], '--port must be 0-65535'],
    [['--users', '5'], 'unknown argument --users'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCliArguments(argv)).toThrow(message);
  });
});

describe('protocol and store edges', () => {
  it('answers malformed bodies and wrong member types with SerializationException', async () => {
    const { poolId } = emulator.seed({});
    for (const body of ['{not json', '[]', JSON.stringify({ UserPoolId: poolId, Limit: '5' })]) {
      const response = await post('ListUsers', body);
      expect(response.status).toBe(400);
      expect(response.headers.get('x-amzn-errortype')).toBe('SerializationException');
      expect(((await response.json()) as { __type: string }).__type).toBe('SerializationException');
    }
  });

  it('serves /health, 404 for other routes, 413 for an oversized body', async () => {
    expect(await (await fetch(`${emulator.endpoint}/health`)).text()).toBe('ok');
    expect((await fetch(`${emulator.endpoint}/elsewhere`)).status).toBe(404);
    expect((await post('ListUsers', 'x'.repeat(1024 * 1024 + 1))).status).toBe(413);
  });

  it('validates attribute values like Cognito', async () => {
    const { poolId } = emulator.seed({});
    const create = (Name: string, Value: string) =>
      errorOf(
        client.send(
          new AdminCreateUserCommand({
            UserPoolId: poolId,
            Username: `u-${Name}`,
            UserAttributes: [{ Name, Value }],
          }),
        ),
      );
    expect((await create('email', 'not-an-email')).message).toBe('Invalid email address format.');
    expect((await create('phone_number', '555-1234')).message).toBe('Invalid phone number format.');
    expect((await create('name', 'x'.repeat(2049))).message).toBe(
      'Attributes did not conform to the schema: name: String must be no longer than 2048 characters',
    );
    expect((await create('sub', '1234')).message).toBe(
      'Attributes did not conform to the schema: sub: Attribute cannot be updated.',
    );
  });

  it('frees an email when its user is deleted (email-as-username pool)', async () => {
    const { poolId, usernames } = emulator.seed({
      userPool: { usernameAttributes: ['email'] },
      users: [{ username: 'gone@example.com' }],
    });
    await client.send(new AdminDeleteUserCommand({ UserPoolId: poolId, Username: 'gone@example.com' }));
    const again = await client.send(
      new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'gone@example.com' }),
    );
    expect(again.User?.Username).not.toBe(usernames.get('gone@example.com'));
  });

  it('pages correctly after many deletions compact the order', async () => {
    const seeded = emulator.seed({
      users: Array.from({ length: 3000 }, (_, i) => ({ username: `bulk-${String(i).padStart(4, '0')}` })),
    });
    const pool = emulator.store.getPool(seeded.poolId);
    if (!pool) throw new Error('pool missing');
    for (let i = 0; i < 3000; i += 1) {
      if (i % 3 !== 0)
        emulator.store.deleteUser(
          pool,
          emulator.store.requireUser(pool, `bulk-${String(i).padStart(4, '0')}`),
        );
    }
    const { users, pages } = await listAll({ UserPoolId: seeded.poolId, Limit: 60 });
    expect(pages).toHaveLength(17);
    expect(users.map((u) => u.Username)).toEqual(
      Array.from({ length: 1000 }, (_, i) => `bulk-${String(i * 3).padStart(4, '0')}`),
    );
  });
});

describe('page options', () => {
  it('partialPages returns short and empty pages while users remain; defaultLimits changes the default page', async () => {
    const options: CognitoEmulatorOptions = {
      throttling: 'off',
      partialPages: true,
      defaultLimits: { ListUsers: 40 },
    };
    await withCognito(options, async (other) => {
      const { poolId } = other.emulator.seed({
        users: Array.from({ length: 250 }, (_, i) => ({ username: `p${i}` })),
      });
      const sizes = async (limit?: number): Promise<number[]> => {
        const pages = await allPages(
          (token) =>
            other.client.send(
              new ListUsersCommand({ UserPoolId: poolId, Limit: limit, PaginationToken: token }),
            ),
          (page) => page.PaginationToken,
        );
        return pages.map((page) => page.Users?.length ?? 0);
      };
      expect(await sizes(60)).toEqual([60, 30, 0, 60, 30, 0, 60, 10]);
      expect((await sizes()).slice(0, 4)).toEqual([40, 20, 0, 40]);
    });
  });
});

describe('pool configuration (the create calls of a restore target built from the backup)', () => {
  it('CreateUserPool keeps every setting and typed custom attribute; DescribeUserPool answers them', async () => {
    const created = await client.send(
      new CreateUserPoolCommand({
        PoolName: 'configured',
        UsernameAttributes: ['email'],
        Schema: [
          { Name: 'given_name', AttributeDataType: 'String', Required: true, Mutable: true },
          {
            Name: 'seats',
            AttributeDataType: 'Number',
            Mutable: true,
            NumberAttributeConstraints: { MinValue: '1' },
          },
          { Name: 'renewal', AttributeDataType: 'DateTime', Mutable: true },
          { Name: 'beta', AttributeDataType: 'Boolean', Mutable: false },
          { Name: 'tenant', AttributeDataType: 'String', StringAttributeConstraints: { MaxLength: '64' } },
        ],
        Policies: { PasswordPolicy: { MinimumLength: 12, TemporaryPasswordValidityDays: 3 } },
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        DeletionProtection: 'ACTIVE',
        VerificationMessageTemplate: { DefaultEmailOption: 'CONFIRM_WITH_CODE', EmailMessage: 'Code {####}' },
        UserPoolTags: { team: 'identity' },
      }),
    );
    const pool = (await client.send(new DescribeUserPoolCommand({ UserPoolId: created.UserPool?.Id })))
      .UserPool;
    expect(pool).toMatchObject({
      Policies: { PasswordPolicy: { MinimumLength: 12, TemporaryPasswordValidityDays: 3 } },
      // The deprecated member mirrors the password policy's validity, as Cognito answers it.
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true, UnusedAccountValidityDays: 3 },
      DeletionProtection: 'ACTIVE',
      VerificationMessageTemplate: { DefaultEmailOption: 'CONFIRM_WITH_CODE', EmailMessage: 'Code {####}' },
      UserPoolTags: { team: 'identity' },
    });
    const schema = new Map((pool?.SchemaAttributes ?? []).map((attribute) => [attribute.Name, attribute]));
    expect(schema.get('given_name')?.Required).toBe(true);
    expect(schema.get('custom:seats')).toMatchObject({
      AttributeDataType: 'Number',
      NumberAttributeConstraints: { MinValue: '1' },
    });
    expect(schema.get('custom:renewal')?.AttributeDataType).toBe('DateTime');
    expect(schema.get('custom:beta')).toMatchObject({ AttributeDataType: 'Boolean', Mutable: false });
    expect(schema.get('custom:tenant')?.StringAttributeConstraints).toEqual({
      MinLength: '0',
      MaxLength: '64',
    });
  });

  it('refuses the deprecated validity beside the password policy, as Cognito does', async () => {
    const error = errorName(
      client.send(
        new CreateUserPoolCommand({
          PoolName: 'both',
          Policies: { PasswordPolicy: { TemporaryPasswordValidityDays: 3 } },
          AdminCreateUserConfig: { UnusedAccountValidityDays: 3 },
        }),
      ),
    );
    expect(await error).toBe('InvalidParameterException');
  });

  it('creates, describes and lists app clients, resource servers, identity providers and a domain', async () => {
    const UserPoolId = (await client.send(new CreateUserPoolCommand({ PoolName: 'parts' }))).UserPool?.Id;
    await client.send(
      new CreateResourceServerCommand({
        UserPoolId,
        Identifier: 'https://api.example.com',
        Name: 'API',
        Scopes: [{ ScopeName: 'read', ScopeDescription: 'Read' }],
      }),
    );
    await client.send(
      new CreateIdentityProviderCommand({
        UserPoolId,
        ProviderName: 'CorpSAML',
        ProviderType: 'SAML',
        ProviderDetails: { MetadataURL: 'https://idp.example.com/md' },
      }),
    );
    const duplicate = errorName(
      client.send(
        new CreateIdentityProviderCommand({
          UserPoolId,
          ProviderName: 'CorpSAML',
          ProviderType: 'SAML',
          ProviderDetails: {},
        }),
      ),
    );
    expect(await duplicate).toBe('DuplicateProviderException');
    const unknownScope = errorName(
      client.send(
        new CreateUserPoolClientCommand({
          UserPoolId,
          ClientName: 'bad',
          AllowedOAuthScopes: ['https://api.example.com/write'],
        }),
      ),
    );
    expect(await unknownScope).toBe('InvalidParameterException');
    const ids: string[] = [];
    for (const [index, name] of ['web', 'server', 'batch'].entries()) {
      const created = await client.send(
        new CreateUserPoolClientCommand({
          UserPoolId,
          ClientName: name,
          GenerateSecret: index === 1,
          AllowedOAuthScopes: ['https://api.example.com/read'],
          SupportedIdentityProviders: ['COGNITO', 'CorpSAML'],
        }),
      );
      ids.push(created.UserPoolClient?.ClientId ?? '');
      expect(created.UserPoolClient?.ClientSecret !== undefined).toBe(index === 1);
    }
    const described = await client.send(new DescribeUserPoolClientCommand({ UserPoolId, ClientId: ids[0] }));
    expect(described.UserPoolClient).toMatchObject({
      ClientName: 'web',
      AllowedOAuthScopes: ['https://api.example.com/read'],
    });
    const first = await client.send(new ListUserPoolClientsCommand({ UserPoolId, MaxResults: 2 }));
    const second = await client.send(
      new ListUserPoolClientsCommand({ UserPoolId, MaxResults: 2, NextToken: first.NextToken }),
    );
    expect(
      [...(first.UserPoolClients ?? []), ...(second.UserPoolClients ?? [])].map((c) => c.ClientName),
    ).toEqual(['web', 'server', 'batch']);
    expect(second.NextToken).toBeUndefined();
    expect(
      (await client.send(new ListResourceServersCommand({ UserPoolId, MaxResults: 50 }))).ResourceServers,
    ).toEqual([
      {
        UserPoolId,
        Identifier: 'https://api.example.com',
        Name: 'API',
        Scopes: [{ ScopeName: 'read', ScopeDescription: 'Read' }],
      },
    ]);
    expect(
      (await client.send(new ListIdentityProvidersCommand({ UserPoolId, MaxResults: 60 }))).Providers?.map(
        (p) => p.ProviderName,
      ),
    ).toEqual(['CorpSAML']);
    await client.send(new CreateUserPoolDomainCommand({ UserPoolId, Domain: 'parts-login' }));
    expect((await client.send(new DescribeUserPoolCommand({ UserPoolId }))).UserPool?.Domain).toBe(
      'parts-login',
    );
    expect(
      (await client.send(new DescribeUserPoolDomainCommand({ Domain: 'parts-login' }))).DomainDescription,
    ).toMatchObject({ UserPoolId, Status: 'ACTIVE' });
    const taken = errorName(
      client.send(
        new CreateUserPoolDomainCommand({
          UserPoolId: (await client.send(new CreateUserPoolCommand({ PoolName: 'other' }))).UserPool?.Id,
          Domain: 'parts-login',
        }),
      ),
    );
    expect(await taken).toBe('InvalidParameterException');
  });

  it('SetUserPoolMfaConfig keeps the factors and GetUserPoolMfaConfig answers them', async () => {
    const UserPoolId = (await client.send(new CreateUserPoolCommand({ PoolName: 'mfa' }))).UserPool?.Id;
    await client.send(
      new SetUserPoolMfaConfigCommand({
        UserPoolId,
        MfaConfiguration: 'OPTIONAL',
        SoftwareTokenMfaConfiguration: { Enabled: true },
      }),
    );
    expect(await client.send(new GetUserPoolMfaConfigCommand({ UserPoolId }))).toMatchObject({
      MfaConfiguration: 'OPTIONAL',
      SoftwareTokenMfaConfiguration: { Enabled: true },
    });
  });
});
