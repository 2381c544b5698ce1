// SPDX-License-Identifier: Apache-2.0
import {
  checkRestoreReport,
  comparePools,
  type ExclusionRule,
  type PoolContent,
  type SnapshotUser,
} from '../run/parity';

function user(username: string, overrides: Partial<SnapshotUser> = {}): SnapshotUser {
  return {
    username,
    sub: `sub-${username}`,
    enabled: true,
    status: 'CONFIRMED',
    attributes: { sub: `sub-${username}`, email: `${username}@example.com`, email_verified: 'true' },
    groups: [],
    ...overrides,
  };
}

function pool(users: SnapshotUser[], groups: PoolContent['groups'] = []): PoolContent {
  return { poolId: 'p', users, groups };
}

describe('comparePools', () => {
  it('holds for a faithful restore: new subs, RESET_REQUIRED status, absent flag read as false', () => {
    const source = pool(
      [
        user('ana', { attributes: { sub: 's1', email: 'ana@example.com', phone_number_verified: 'false' } }),
        user('bo'),
      ],
      [{ name: 'g', description: 'd', precedence: 1, members: ['ana'] }],
    );
    const restored = pool(
      [
        user('ana', {
          sub: 'n1',
          status: 'RESET_REQUIRED',
          attributes: { sub: 'n1', email: 'ana@example.com' },
        }),
        user('bo', { sub: 'n2', status: 'RESET_REQUIRED' }),
      ],
      [{ name: 'g', description: 'd', precedence: 1, members: ['ana'] }],
    );
    const result = comparePools(source, restored, undefined);
    expect(result.ok).toBe(true);
    expect(result.counts).toEqual({
      users: 2,
      groups: 1,
      memberships: 1,
      excludedUsers: 0,
      excludedMemberships: 0,
    });
    expect(result.notes).toEqual([
      '2 restored users have another status than in the source pool (a CSV import leaves users RESET_REQUIRED; by design)',
    ]);
  });

  it('notes, rather than fails, a custom attribute left out knowingly (DropAttributes), and only that one', () => {
    const withPlan = (name: string) =>
      user(name, { attributes: { ...user(name).attributes, 'custom:plan': 'gold', 'custom:tier': '1' } });
    const source = pool([withPlan('ana'), withPlan('bo')]);
    const restored = pool([user('ana'), user('bo')]);
    const dropped = comparePools(source, restored, undefined, undefined, {
      dropped: new Set(['custom:plan', 'custom:tier']),
    });
    expect(dropped.ok).toBe(true);
    expect(dropped.notes).toEqual([
      '2 restored users lack custom:plan, left out knowingly (DropAttributes)',
      '2 restored users lack custom:tier, left out knowingly (DropAttributes)',
    ]);
    const partly = comparePools(source, restored, undefined, undefined, {
      dropped: new Set(['custom:plan']),
    });
    expect(partly.ok).toBe(false);
    expect(partly.mismatches.map((m) => m.field)).toEqual([
      'attributes.custom:tier',
      'attributes.custom:tier',
    ]);
    // A dropped attribute that the restore wrote anyway is compared like any other.
    const changed = pool([
      user('ana', { attributes: { ...user('ana').attributes, 'custom:plan': 'other', 'custom:tier': '1' } }),
      withPlan('bo'),
    ]);
    const kept = comparePools(source, changed, undefined, undefined, { dropped: new Set(['custom:plan']) });
    expect(kept.mismatches).toEqual([
      { item: 'user ana', field: 'attributes.custom:plan', expected: 'gold', actual: 'other' },
    ]);
  });

  it('reports every kind of difference', () => {
    const source = pool(
      [user('ana'), user('bo'), user('cy', { enabled: false })],
      [
        { name: 'g', description: 'd', precedence: 1, members: ['ana', 'bo'] },
        { name: 'h', members: [] },
      ],
    );
    const restored = pool(
      [
        user('ana', { attributes: { sub: 'x', email: 'other@example.com', email_verified: 'true' } }),
        user('cy'),
        user('zed'),
      ],
      [
        { name: 'g', description: 'changed', members: ['ana', 'zed'] },
        { name: 'extra', members: [] },
      ],
    );
    const result = comparePools(source, restored, undefined);
    expect(result).toMatchObject({
      ok: false,
      missingUsers: ['bo'],
      unexpectedUsers: ['zed'],
      missingGroups: ['h'],
      unexpectedGroups: ['extra'],
      missingMemberships: [{ group: 'g', user: 'bo' }],
      unexpectedMemberships: [{ group: 'g', user: 'zed' }],
    });
    expect(result.mismatches).toEqual([
      {
        item: 'user ana',
        field: 'attributes.email',
        expected: 'ana@example.com',
        actual: 'other@example.com',
      },
      { item: 'user cy', field: 'enabled', expected: false, actual: true },
      { item: 'group g', field: 'description', expected: 'd', actual: 'changed' },
      { item: 'group g', field: 'precedence', expected: 1, actual: null },
    ]);
  });

  it('matches users by email in email pools and excludes federated users with the reason', () => {
    const source = pool(
      [
        user('uuid-1', { attributes: { email: 'ana@example.com', email_verified: 'true' } }),
        user('Google_1', { status: 'EXTERNAL_PROVIDER', attributes: { email: 'fed@example.com' } }),
      ],
      [{ name: 'g', members: ['uuid-1', 'Google_1'] }],
    );
    const restored = pool(
      [user('uuid-9', { attributes: { email: 'ana@example.com', email_verified: 'true' } })],
      [{ name: 'g', members: ['uuid-9'] }],
    );
    const result = comparePools(source, restored, 'email');
    expect(result.ok).toBe(true);
    expect(result.excluded).toEqual([
      {
        user: 'fed@example.com',
        reason:
          'federated user (EXTERNAL_PROVIDER): not exported by design; Cognito re-creates it at its next federated sign-in',
      },
    ]);
    expect(result.counts).toEqual({
      users: 1,
      groups: 1,
      memberships: 1,
      excludedUsers: 1,
      excludedMemberships: 1,
    });
  });

  describe('a rule that another path may restore around (e.g. values a CSV cannot carry)', () => {
    const rules: ExclusionRule[] = [
      {
        reason: (u) => (u.attributes.locale?.includes('\n') ? 'line break' : undefined),
        mayBeRestored: true,
      },
    ];
    const source = pool(
      [user('ana'), user('bo', { attributes: { sub: 's-bo', email: 'bo@example.com', locale: 'fr\nFR' } })],
      [{ name: 'g', members: ['ana', 'bo'] }],
    );

    it('lists an absent user as excluded with the reason, not missing, and parity holds', () => {
      const restored = pool([user('ana')], [{ name: 'g', members: ['ana'] }]);
      const result = comparePools(source, restored, undefined, rules);
      expect(result.ok).toBe(true);
      expect(result.missingUsers).toEqual([]);
      expect(result.missingMemberships).toEqual([]);
      expect(result.excluded).toEqual([{ user: 'bo', reason: 'line break' }]);
      expect(result.counts).toMatchObject({
        users: 1,
        memberships: 1,
        excludedUsers: 1,
        excludedMemberships: 1,
      });
    });

    it('compares a restored user like any other', () => {
      const restored = pool(
        [user('ana'), user('bo', { attributes: { sub: 'n', email: 'bo@example.com', locale: 'fr FR' } })],
        [{ name: 'g', members: ['ana'] }],
      );
      const result = comparePools(source, restored, undefined, rules);
      expect(result.excluded).toEqual([]);
      expect(result.ok).toBe(false);
      expect(result.mismatches).toEqual([
        { item: 'user bo', field: 'attributes.locale', expected: 'fr\nFR', actual: 'fr FR' },
      ]);
      expect(result.missingMemberships).toEqual([{ group: 'g', user: 'bo' }]);
    });
  });

  it('counts a user with a line break as missing when it is not restored (ImportNewUsers creates it another way)', () => {
    const source = pool([user('bo', { attributes: { sub: 's', email: 'bo@example.com', locale: 'a\nb' } })]);
    const result = comparePools(source, pool([]), undefined);
    expect(result.ok).toBe(false);
    expect(result.missingUsers).toEqual(['bo']);
    expect(result.excluded).toEqual([]);
  });

  it('counts a federated user found in the restored pool as unexpected (never restored by design)', () => {
    const source = pool([user('ana'), user('Google_1', { status: 'EXTERNAL_PROVIDER' })]);
    const result = comparePools(source, pool([user('ana'), user('Google_1')]), undefined);
    expect(result.ok).toBe(false);
    expect(result.unexpectedUsers).toEqual(['Google_1']);
  });

  it('compares group roles', () => {
    const role = 'arn:aws:iam::123456789012:role/readers';
    const source = pool([user('ana')], [{ name: 'g', roleArn: role, members: ['ana'] }]);
    expect(
      comparePools(source, pool([user('ana')], [{ name: 'g', roleArn: role, members: ['ana'] }]), undefined)
        .ok,
    ).toBe(true);
    const lost = comparePools(source, pool([user('ana')], [{ name: 'g', members: ['ana'] }]), undefined);
    expect(lost.ok).toBe(false);
    expect(lost.mismatches).toEqual([{ item: 'group g', field: 'roleArn', expected: role, actual: null }]);
  });

  it('knows an e-mail-or-phone user by both identifiers, whichever it has', () => {
    const phoneOnly = (username: string) =>
      user(username, { attributes: { sub: `s-${username}`, phone_number: '+14155550100' } });
    const both = (username: string) =>
      user(username, {
        attributes: { sub: `s-${username}`, email: 'b@example.com', phone_number: '+14155550101' },
      });
    const result = comparePools(
      pool([phoneOnly('uuid-1'), both('uuid-2')]),
      pool([both('new-2'), phoneOnly('new-1')]),
      ['email', 'phone_number'],
    );
    expect(result.missingUsers).toEqual([]);
    expect(result.unexpectedUsers).toEqual([]);
    expect(result.counts.users).toBe(2);
  });
});

describe('checkRestoreReport', () => {
  const source = pool([user('ana'), user('bo'), user('cy')]);
  const target = pool([
    user('ana', { sub: 'n1', status: 'RESET_REQUIRED' }),
    user('bo', { sub: 'n2', status: 'CONFIRMED' }),
    user('cy', { sub: 'n3', status: 'FORCE_CHANGE_PASSWORD' }),
  ]);
  const report = (steps: [string, string, string]): string =>
    'oldSub,newSub,username,outcome,reason,signIn\n' +
    `sub-ana,n1,ana,csv-import,,${steps[0]}\n` +
    `sub-bo,n2,bo,admin-create,value-not-representable-in-csv,${steps[1]}\n` +
    `sub-cy,n3,cy,admin-create,no-verified-auto-verified-attribute,${steps[2]}\n`;

  it("holds when each user's sign-in step fits its status in the restored pool", () => {
    const check = checkRestoreReport(
      'k',
      report(['reset-password', 'reset-password', 'administrator']),
      source,
      target,
      undefined,
    );
    expect(check).toMatchObject({ ok: true, wrongSignIn: [] });
  });

  it('fails on a step that would not let the user in (forgot password for a user without a password)', () => {
    const check = checkRestoreReport(
      'k',
      report(['reset-password', 'reset-password', 'reset-password']),
      source,
      target,
      undefined,
    );
    expect(check).toMatchObject({ ok: false, wrongSignIn: ['cy'] });
  });
});
