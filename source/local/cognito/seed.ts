// SPDX-License-Identifier: Apache-2.0
/**
 * Seed primitives for the harness: a pool, its users (bulk path, no API calls), groups and
 * memberships from one structured object. The harness owns the seed file format and its validation;
 * errors here name the offending entry by index, never by its values.
 */
import { seedEntryError } from './errors';
import type { CognitoStore } from './store';
import type { PoolSeed, SeededPool } from './types';

export function createPoolFromSeed(store: CognitoStore, seed: PoolSeed): SeededPool {
  const config = seed.userPool ?? {};
  const pool = store.createUserPool({
    ...(config.name !== undefined ? { name: config.name } : {}),
    usernameAttributes: config.usernameAttributes ?? [],
    customAttributes: config.customAttributes ?? [],
    mfaConfiguration: config.mfaConfiguration ?? 'OFF',
    ...(config.autoVerifiedAttributes !== undefined
      ? { autoVerifiedAttributes: config.autoVerifiedAttributes }
      : {}),
    ...(config.aliasAttributes !== undefined ? { aliasAttributes: config.aliasAttributes } : {}),
    ...(config.requiredAttributes !== undefined ? { requiredAttributes: config.requiredAttributes } : {}),
    ...(config.details !== undefined ? { details: config.details } : {}),
  });
  const users = seed.users ?? [];
  const created = store.addUsers(pool.id, users);
  const usernames = new Map<string, string>();
  users.forEach((entry, index) =>
    usernames.set(entry.username, (created[index] as { username: string }).username),
  );

  let membershipCount = 0;
  (seed.groups ?? []).forEach((group, groupIndex) => {
    let state;
    try {
      state = store.createGroup(pool, group);
    } catch (error) {
      throw seedEntryError(`groups[${groupIndex}]`, error);
    }
    (group.members ?? []).forEach((member, memberIndex) => {
      const cognitoUsername = usernames.get(member);
      const user =
        cognitoUsername !== undefined ? pool.users.get(cognitoUsername) : store.findUser(pool, member);
      if (!user) throw new Error(`groups[${groupIndex}].members[${memberIndex}]: no user with that username`);
      store.addToGroup(state, user);
      membershipCount += 1;
    });
  });

  return {
    poolId: pool.id,
    usernames,
    userCount: pool.users.size,
    groupCount: pool.groups.size,
    membershipCount,
  };
}
