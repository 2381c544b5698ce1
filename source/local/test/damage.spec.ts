// SPDX-License-Identifier: Apache-2.0
/** The damage step of the point-in-time and repair scenarios (run/damage.ts), on the emulator's store. */
import { CognitoStore } from '../cognito';
import { damagePool } from '../run/damage';

function pool(options: { users: number; usernameAttributes?: ('email' | 'phone_number')[] }) {
  const store = new CognitoStore({ region: 'us-east-1', accountId: '000000000000', now: () => 1 });
  const created = store.createUserPool({
    customAttributes: [{ name: 'plan', mutable: false }, 'tier', { name: 'score', dataType: 'Number' }],
    ...(options.usernameAttributes !== undefined ? { usernameAttributes: options.usernameAttributes } : {}),
  });
  store.addUsers(
    created.id,
    Array.from({ length: options.users }, (_, index) => ({
      username: options.usernameAttributes?.includes('email') ? `u${index}@example.com` : `user-${index}`,
      attributes: { email: `u${index}@example.com`, 'custom:tier': 'gold' },
      enabled: index % 10 !== 0,
    })),
  );
  for (const name of ['a', 'b', 'c']) {
    const group = store.createGroup(created, { name, description: `group ${name}` });
    for (const user of [...created.users.values()].slice(0, 5)) store.addToGroup(group, user);
  }
  return { store, poolId: created.id, state: created };
}

const view = (state: ReturnType<typeof pool>['state']) => ({
  users: [...state.users.values()].map((user) => ({
    name: user.username,
    enabled: user.enabled,
    // The sub is drawn at random when a pool is seeded: not part of the damage.
    attributes: Object.fromEntries(Object.entries(user.attributes).filter(([name]) => name !== 'sub')),
  })),
  groups: [...state.groups.values()].map((group) => ({ ...group.record })),
});

describe('damagePool', () => {
  it('overwrites the first mutable custom attribute of 30%, deletes 5%, disables 2%, one group deleted and one changed', () => {
    const { store, poolId, state } = pool({ users: 200 });
    const before = view(state);
    const report = damagePool(store, poolId, { seed: 7 });
    expect(report).toEqual({
      usersBefore: 200,
      attribute: 'custom:tier',
      overwritten: 60,
      deleted: 10,
      disabled: 4,
      groupsDeleted: 1,
      groupsChanged: 1,
      created: 0,
    });
    const after = view(state);
    expect(after.users).toHaveLength(190);
    const byName = new Map(before.users.map((user) => [user.name, user]));
    const overwritten = after.users.filter(
      (user) => user.attributes['custom:tier'] !== byName.get(user.name)?.attributes['custom:tier'],
    );
    expect(overwritten).toHaveLength(60);
    const disabled = after.users.filter((user) => !user.enabled && byName.get(user.name)?.enabled === true);
    expect(disabled).toHaveLength(4);
    // Nothing else changed on the users that were neither overwritten nor disabled.
    const untouched = after.users.filter((user) => !overwritten.includes(user) && !disabled.includes(user));
    for (const user of untouched) expect(user).toEqual(byName.get(user.name));
    expect(after.groups).toHaveLength(2);
    expect(after.groups.filter((group) => group.description !== `group ${group.name}`)).toHaveLength(1);
  });

  it('is deterministic for a seed and differs with another seed', () => {
    const first = pool({ users: 100 });
    const second = pool({ users: 100 });
    const third = pool({ users: 100 });
    damagePool(first.store, first.poolId, { seed: 3 });
    damagePool(second.store, second.poolId, { seed: 3 });
    damagePool(third.store, third.poolId, { seed: 4 });
    const names = (state: ReturnType<typeof pool>['state']) => view(state).users.map((user) => user.name);
    expect(names(first.state)).toEqual(names(second.state));
    expect(view(first.state).users.map((u) => u.attributes)).toEqual(
      view(second.state).users.map((u) => u.attributes),
    );
    expect(names(third.state)).not.toEqual(names(first.state));
  });

  it('creates users after the damage, with sign-in names the pool takes', () => {
    const { store, poolId, state } = pool({ users: 20, usernameAttributes: ['email'] });
    const report = damagePool(store, poolId, { seed: 1, createdAfter: 3 });
    expect(report).toMatchObject({ deleted: 1, overwritten: 6, disabled: 1, created: 3 });
    expect(state.users.size).toBe(20 - 1 + 3);
    expect(store.findUser(state, 'created-after-damage-2@example.com')?.attributes.email_verified).toBe(
      'true',
    );
  });

  it('damages 1% of the users and leaves the groups alone when told to (the repair bench)', () => {
    const { store, poolId, state } = pool({ users: 1000 });
    const groupsBefore = view(state).groups;
    const report = damagePool(store, poolId, {
      seed: 5,
      overwriteShare: 0.006,
      deleteShare: 0.002,
      disableShare: 0.002,
      groups: false,
    });
    expect(report).toMatchObject({
      overwritten: 6,
      deleted: 2,
      disabled: 2,
      groupsDeleted: 0,
      groupsChanged: 0,
    });
    expect(state.users.size).toBe(998);
    expect(view(state).groups).toEqual(groupsBefore);
  });
});
