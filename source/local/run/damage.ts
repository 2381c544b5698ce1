// SPDX-License-Identifier: Apache-2.0
/**
 * The damage of an operator's bad day, done to the source pool of a local run (the point-in-time and
 * repair scenarios): a script overwrites one custom attribute of 30% of the users, deletes 5% of them
 * (under the ExportWorkflow's default mass-deletion guard of 10%), disables 2%, deletes one group
 * and changes another group's description; optionally, users are created afterwards (they belong to
 * no backup taken before). It works on the Cognito emulator's store directly, as the script would
 * through the admin API, and is deterministic: the same pool and seed give the same damage.
 *
 * It returns what it did as counts and names of the schema (the attribute), never a value.
 */
import type { CognitoStore, PoolState } from '../cognito';
import type { UserRecord } from '../cognito/types';
import { seededRandom } from './faults';

export interface DamageOptions {
  /** Seed of the choices: the same pool and seed give the same damage. */
  seed: number;
  /** Share of the users whose custom attribute is overwritten (default 0.3). */
  overwriteShare?: number;
  /** Share of the users deleted (default 0.05). */
  deleteShare?: number;
  /** Share of the users disabled (default 0.02; only users enabled before). */
  disableShare?: number;
  /** Users created after the damage (default 0). */
  createdAfter?: number;
  /**
   * Delete one group and change another (default true). A bench of a slightly damaged pool leaves
   * them out: a deleted group of 15,000 members is not 1% of a pool.
   */
  groups?: boolean;
}

export interface DamageReport {
  usersBefore: number;
  /** The attribute overwritten: the pool's first mutable custom attribute, else `nickname`. */
  attribute: string;
  overwritten: number;
  deleted: number;
  disabled: number;
  groupsDeleted: number;
  groupsChanged: number;
  created: number;
}

/** A share of `count`, at least one when the share and the count are above zero. */
function portion(count: number, share: number): number {
  if (count === 0 || share <= 0) return 0;
  return Math.min(count, Math.max(1, Math.round(count * share)));
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let index = out.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    const swap = out[index] as T;
    out[index] = out[other] as T;
    out[other] = swap;
  }
  return out;
}

/** A value of the attribute's type that differs from the user's. */
function damagedValue(dataType: string | undefined, current: string | undefined, index: number): string {
  let value: string;
  switch (dataType) {
    case 'Number':
      value = String(900_000 + index);
      break;
    case 'Boolean':
      return current === 'true' ? 'false' : 'true';
    case 'DateTime':
      value = new Date(Date.UTC(2000, 0, 1) + index * 1000).toISOString();
      break;
    default:
      value = `damaged-${index}`;
  }
  return value === current ? `${value}0` : value;
}

/** A sign-in name for the n-th user created after the damage, of the kind the pool takes. */
function newUsername(
  pool: PoolState,
  index: number,
): { username: string; attributes: Record<string, string> } {
  if (pool.usernameAttributes.includes('email')) {
    const email = `created-after-damage-${index}@example.com`;
    return { username: email, attributes: { email, email_verified: 'true' } };
  }
  if (pool.usernameAttributes.includes('phone_number')) {
    const phone = `+1555${String(7_000_000 + index).padStart(7, '0')}`;
    return { username: phone, attributes: { phone_number: phone, phone_number_verified: 'true' } };
  }
  const email = `created-after-damage-${index}@example.com`;
  return { username: `created-after-damage-${index}`, attributes: { email, email_verified: 'true' } };
}

/**
 * Damages the pool `poolId` of `store` (see the file comment). Users are drawn once, in a seeded
 * order: the first are deleted, the next overwritten, the next (enabled) ones disabled, so each
 * count is of distinct users. The group deleted and the group changed are two different groups
 * (a pool with one group loses it and has none changed).
 */
export function damagePool(store: CognitoStore, poolId: string, options: DamageOptions): DamageReport {
  const pool = store.requirePool(poolId);
  const random = seededRandom(options.seed);
  const users = shuffled([...pool.users.values()], random);
  const custom = pool.customAttributes.find((attribute) => attribute.mutable !== false);
  const attribute = custom === undefined ? 'nickname' : `custom:${custom.name}`;

  const deleteCount = portion(users.length, options.deleteShare ?? 0.05);
  const overwriteCount = portion(users.length, options.overwriteShare ?? 0.3);
  const deleted = users.slice(0, deleteCount);
  const overwritten = users.slice(deleteCount, deleteCount + overwriteCount);
  const rest = users.slice(deleteCount + overwriteCount);
  const disabled = rest
    .filter((user) => user.enabled)
    .slice(0, portion(users.length, options.disableShare ?? 0.02));

  overwritten.forEach((user: UserRecord, index) => {
    store.updateUserAttributes(pool, user, {
      [attribute]: damagedValue(custom?.dataType, user.attributes[attribute], index),
    });
  });
  for (const user of disabled) store.setUserEnabled(user, false);
  for (const user of deleted) store.deleteUser(pool, user);

  const groups = options.groups === false ? [] : shuffled([...pool.groups.values()], random);
  const [groupDeleted, groupChanged] = groups;
  if (groupDeleted !== undefined) store.deleteGroup(pool, groupDeleted.record.name);
  if (groupChanged !== undefined) {
    const description = groupChanged.record.description;
    store.updateGroup(groupChanged, {
      description:
        description === 'changed by the damage' ? 'changed by the damage again' : 'changed by the damage',
    });
  }

  const created = options.createdAfter ?? 0;
  for (let index = 0; index < created; index += 1) {
    const { username, attributes } = newUsername(pool, index);
    const required = Object.fromEntries(
      pool.requiredAttributes.filter((name) => !(name in attributes)).map((name) => [name, 'created']),
    );
    store.createUser(pool, {
      username,
      attributes: { ...required, ...attributes },
      enabled: true,
      status: 'CONFIRMED',
    });
  }
  return {
    usersBefore: users.length,
    attribute,
    overwritten: overwritten.length,
    deleted: deleted.length,
    disabled: disabled.length,
    groupsDeleted: groupDeleted === undefined ? 0 : 1,
    groupsChanged: groupChanged === undefined ? 0 : 1,
    created,
  };
}
