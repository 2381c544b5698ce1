// SPDX-License-Identifier: Apache-2.0
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDirectory } from '../../test-support/temp-dirs';
import {
  generateSeed,
  importWarnings,
  jsonErrorOffset,
  loadSeedFile,
  SeedError,
  validateSeed,
} from '../run/seed';

function problemsOf(value: unknown): string[] {
  try {
    validateSeed(value, 'seed.json');
  } catch (error) {
    if (error instanceof SeedError) return error.problems;
    throw error;
  }
  return [];
}

describe('validateSeed', () => {
  it('refuses, before seeding, a phone number the Cognito emulator would refuse (more than 15 digits)', () => {
    const users = (phone: string) => ({
      userPool: { usernameAttributes: [] },
      users: [{ username: 'p', attributes: { phone_number: phone, phone_number_verified: 'true' } }],
    });
    expect(problemsOf(users('+1415555010012'))).toEqual([]);
    expect(problemsOf(users('+1234567890123456'))).toEqual([
      'users[0] (username "p"): "phone_number" must be in E.164 form, e.g. +14155550100',
    ]);
  });

  it('accepts the documented format and fills in the defaults', () => {
    const seed = validateSeed({
      userPool: { usernameAttributes: ['email'], customAttributes: ['tenant'] },
      users: [
        { username: 'ana@example.com', attributes: { email_verified: 'true', 'custom:tenant': 'a, b' } },
        {
          username: 'bo@example.com',
          enabled: false,
          attributes: { email: 'bo@example.com', email_verified: 'true' },
        },
      ],
      groups: [
        { name: 'admins', members: ['ana@example.com'] },
        { name: 'ops', description: 'Équipe', precedence: 2, members: [] },
      ],
    });
    expect(seed.userPool).toEqual({
      usernameAttributes: ['email'],
      customAttributes: ['tenant'],
      mfaConfiguration: 'OFF',
    });
    expect(seed.users[0]).toEqual({
      username: 'ana@example.com',
      enabled: true,
      attributes: { email: 'ana@example.com', email_verified: 'true', 'custom:tenant': 'a, b' },
    });
    expect(seed.users[1]?.enabled).toBe(false);
    expect(seed.groups[1]).toEqual({ name: 'ops', description: 'Équipe', precedence: 2, members: [] });
  });

  it('reads typed custom attributes and the configuration in the API shapes (the example seed)', () => {
    const seed = loadSeedFile(join(__dirname, '../run/examples/pool-configuration.json'));
    expect(seed.userPool.customAttributes).toEqual(['tenant', 'seats', 'renewal', 'beta', 'region']);
    expect(seed.userPool.customAttributeTypes?.map((attribute) => attribute.dataType)).toEqual([
      'Number',
      'DateTime',
      'Boolean',
      'String',
    ]);
    expect(seed.userPool.configuration?.clients?.map((client) => client.ClientName)).toEqual([
      'web',
      'billing-service',
    ]);
    expect(seed.userPool.configuration?.resourceServers).toHaveLength(1);
  });

  it('names the problems of typed custom attributes and of the configuration', () => {
    expect(
      problemsOf({
        userPool: {
          customAttributes: [
            { name: 'seats', type: 'Integer' },
            { name: 'beta', type: 'Boolean', mutable: 'yes' },
          ],
          configuration: { clients: [{ Name: 'web' }], settings: [], domains: 'x' },
        },
      }),
    ).toEqual([
      'userPool.configuration: unknown field "domains" (allowed: settings, mfa, clients, resourceServers, identityProviders, domain)',
      'userPool.configuration.settings: must be an object',
      'userPool.configuration.clients[0]: must be an object with "ClientName"',
      'userPool.customAttributes[0].type: must be String, Number, DateTime, Boolean',
      'userPool.customAttributes[1].mutable: must be true or false',
    ]);
  });

  it('reads a targetUserPool in the shape of userPool, and names its problems under its own name', () => {
    const seed = validateSeed({
      userPool: { customAttributes: ['plan', 'tier'] },
      targetUserPool: { customAttributes: ['tier'], usernameAttributes: ['email'] },
      users: [],
    });
    expect(seed.targetUserPool).toEqual({
      usernameAttributes: ['email'],
      customAttributes: ['tier'],
      mfaConfiguration: 'OFF',
    });
    expect(validateSeed({ users: [] }).targetUserPool).toBeUndefined();
    expect(
      problemsOf({ targetUserPool: { customAttributes: ['custom:x'], mfaConfiguration: 'MAYBE', other: 1 } }),
    ).toEqual([
      'targetUserPool: unknown field "other" (allowed: usernameAttributes, customAttributes, mfaConfiguration, autoVerifiedAttributes, aliasAttributes, configuration)',
      'targetUserPool.customAttributes[0] ("custom:x"): give the name without "custom:"',
      'targetUserPool.mfaConfiguration: must be "OFF", "ON" or "OPTIONAL"',
    ]);
  });

  it('names every bad entry by its position (and username or group name)', () => {
    const problems = problemsOf({
      userPool: { usernameAttributes: [], customAttributes: ['tenant'], extra: 1 },
      users: [
        { username: 'ana', attributes: { 'custom:plan': 'x' } },
        { username: 'ana', attributes: { sub: '123' } },
        { username: 'with space', attributes: { email_verified: 'yes', shoe_size: '42' } },
        { attributes: {} },
      ],
      groups: [{ name: 'g', precedence: -1, members: ['ana', 'nobody', 'ana'] }, { name: 'g' }],
    });
    expect(problems).toEqual([
      'userPool: unknown field "extra" (allowed: usernameAttributes, customAttributes, mfaConfiguration, autoVerifiedAttributes, aliasAttributes, configuration)',
      'users[0] (username "ana"): attribute "custom:plan" is not declared in userPool.customAttributes',
      'users[1] (username "ana"): same username as users[0]',
      'users[1] (username "ana"): attribute "sub" is set by Cognito and cannot be seeded',
      'users[2] (username "with space"): a username has 1 to 128 characters and no spaces',
      'users[2] (username "with space"): "shoe_size" is not a standard attribute (custom ones start with "custom:")',
      'users[2] (username "with space"): "email_verified" must be "true" or "false"',
      'users[3]: "username" must be a non-empty string',
      'groups[0] ("g"): "precedence" must be a whole number ≥ 0',
      'groups[0] ("g"): members[1] ("nobody") is not the username of a seeded user',
      'groups[0] ("g"): members[2] ("ana") is listed twice',
      'groups[1] ("g"): same name as groups[0]',
    ]);
  });

  it('requires the username to be the username attribute in such pools', () => {
    expect(
      problemsOf({
        userPool: { usernameAttributes: ['phone_number'] },
        users: [
          { username: '+14155550100', attributes: { phone_number: '+14155550199' } },
          { username: 'bob' },
        ],
      }),
    ).toEqual([
      'users[0] (username "+14155550100"): in a pool with phone_number as username, "username" must equal that attribute',
      'users[1] (username "bob"): the username must be a valid phone_number',
    ]);
  });

  it('accepts an e-mail-or-phone pool whose users have either identifier as username', () => {
    expect(
      problemsOf({
        userPool: { usernameAttributes: ['email', 'phone_number'] },
        users: [
          { username: 'a@example.com', attributes: { phone_number: '+14155550100' } },
          { username: '+14155550101' },
          { username: 'bob' },
        ],
      }),
    ).toEqual(['users[2] (username "bob"): the username must be a valid email or phone_number']);
  });

  it('reads auto-verified and alias attributes, group roles and SMS MFA, and names bad ones', () => {
    const seed = validateSeed({
      userPool: { autoVerifiedAttributes: ['email'], aliasAttributes: ['preferred_username'] },
      users: [{ username: 'ana', smsMfa: true, attributes: { phone_number: '+14155550100' } }],
      groups: [{ name: 'g', roleArn: 'arn:aws:iam::123456789012:role/readers', members: ['ana'] }],
    });
    expect(seed.userPool).toEqual(
      expect.objectContaining({ autoVerifiedAttributes: ['email'], aliasAttributes: ['preferred_username'] }),
    );
    expect(seed.users[0]?.smsMfa).toBe(true);
    expect(seed.groups[0]?.roleArn).toBe('arn:aws:iam::123456789012:role/readers');
    expect(
      problemsOf({
        userPool: {
          autoVerifiedAttributes: ['name'],
          aliasAttributes: ['email'],
          usernameAttributes: ['email'],
        },
        users: [{ username: 'a@example.com', smsMfa: true }],
        groups: [{ name: 'g', roleArn: 'not-a-role' }],
      }),
    ).toEqual([
      'userPool.autoVerifiedAttributes: must be a list of "email" and "phone_number"',
      'userPool.aliasAttributes: a pool has either username attributes or alias attributes, not both',
      'users[0] (username "a@example.com"): "smsMfa" needs a phone_number',
      'groups[0] ("g"): "roleArn" must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
    ]);
  });

  it('reports unreadable and non-JSON files with their path', () => {
    const dir = tempDirectory('seed-');
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{ "users": [ }');
    expect(() => loadSeedFile(file)).toThrow(`${file} is not a valid seed:\n  not valid JSON`);
    expect(() => loadSeedFile(file)).toThrow(/\(line 1, column 14\)/);
    expect(() => loadSeedFile(join(dir, 'missing.json'))).toThrow('cannot read the file');
  });

  it('accepts the example seed file of the README', () => {
    const seed = loadSeedFile(join(__dirname, '..', 'run', 'examples', 'seed.example.json'));
    expect(seed.users.map((user) => [user.username, user.enabled, user.status ?? 'CONFIRMED'])).toEqual([
      ['ana.garcia', true, 'CONFIRMED'],
      ['bjorn', false, 'CONFIRMED'],
      ['zoe', true, 'CONFIRMED'],
      ['Google_100000000', true, 'EXTERNAL_PROVIDER'],
    ]);
    expect(importWarnings(seed)).toEqual([
      expect.stringMatching(
        /^1 user \(Google_100000000\) will be listed as excluded by design: federated user/,
      ),
    ]);
  });

  it('notes, before the run, the users excluded by design, one line per reason', () => {
    const seed = validateSeed({
      users: ['Google_1', 'Google_2', 'Google_3', 'Google_4'].map((username) => ({
        username,
        status: 'EXTERNAL_PROVIDER',
        attributes: {},
      })),
    });
    expect(importWarnings(seed)).toEqual([
      '4 users (Google_1, Google_2, Google_3, ...) will be listed as excluded by design: federated user (EXTERNAL_PROVIDER): not exported by design; Cognito re-creates it at its next federated sign-in',
    ]);
  });

  it('has no note for users with a line break: ImportNewUsers creates them with AdminCreateUser', () => {
    const seed = validateSeed({
      users: [
        { username: 'a', attributes: { email: 'a@example.com', email_verified: 'true', name: 'A\nB' } },
      ],
    });
    expect(importWarnings(seed)).toEqual([]);
  });
});

describe('generateSeed', () => {
  it('generates a realistic pool the validator accepts and the CSV import can take', () => {
    const seed = generateSeed({ users: 250, groups: 5, usernameAttribute: 'none', federatedUsers: 2 });
    expect(validateSeed(JSON.parse(JSON.stringify(seed)))).toEqual(seed);
    expect(seed.users).toHaveLength(252);
    expect(importWarnings(seed)).toEqual([
      expect.stringMatching(/^2 users \(Google_\d+, Google_\d+\) will be listed as excluded by design/),
    ]);
    const values = seed.users.flatMap((user) => Object.values(user.attributes));
    expect(values.some((value) => value.includes(','))).toBe(true);
    expect(values.some((value) => /[^\p{ASCII}]/u.test(value))).toBe(true);
    expect(seed.users.filter((user) => !user.enabled).length).toBeGreaterThan(0);
    expect(Math.max(...seed.groups.map((group) => group.members.length))).toBeGreaterThan(60);
    const memberships = new Map<string, number>();
    for (const group of seed.groups)
      for (const member of group.members) memberships.set(member, (memberships.get(member) ?? 0) + 1);
    expect([...memberships.values()].some((count) => count > 1)).toBe(true);
    expect(
      seed.users.some((user) => Object.keys(user.attributes).some((name) => name.startsWith('custom:'))),
    ).toBe(true);
  });

  it('is deterministic for a random seed and differs across seeds', () => {
    const options = { users: 50, groups: 3, usernameAttribute: 'email' as const };
    expect(generateSeed({ ...options, randomSeed: 4 })).toEqual(generateSeed({ ...options, randomSeed: 4 }));
    expect(generateSeed({ ...options, randomSeed: 4 })).not.toEqual(
      generateSeed({ ...options, randomSeed: 5 }),
    );
  });

  it.each(['email', 'phone_number'] as const)(
    'uses the %s as username in such pools, without federated users',
    (attribute) => {
      const seed = generateSeed({ users: 30, groups: 2, usernameAttribute: attribute, federatedUsers: 3 });
      expect(seed.users).toHaveLength(30);
      for (const user of seed.users) expect(user.attributes[attribute]).toBe(user.username);
      expect(seed.userPool.usernameAttributes).toEqual([attribute]);
      expect(importWarnings(seed)).toEqual([]);
    },
  );
});

describe('jsonErrorOffset', () => {
  it.each([
    '{"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"], "b": {}}',
    ' [ ] ',
    JSON.stringify(generateSeed({ users: 3, groups: 1, usernameAttribute: 'email' })),
  ])('finds no error in valid JSON %#', (text) => {
    expect(jsonErrorOffset(text)).toBeUndefined();
  });

  it.each([
    ['{"a": 1,}', 8],
    ['{"a" 1}', 5],
    ['[1 2]', 3],
    ['{"a": tru}', 9],
    ['{"a": 1} x', 9],
  ])('finds the first error in %j at %d', (text, offset) => {
    expect(jsonErrorOffset(text)).toBe(offset);
  });
});
