// SPDX-License-Identifier: Apache-2.0
/**
 * The sample a restore drill restores when the backup holds more users than RestoreDrillMaxUsers: every
 * kind of item the backup holds, in at most that many users. Two passes over the backup table:
 * - the first looks at every user (its restore path, disabled flag, attribute count, longest value and a
 *   rank drawn from the seed) and every membership (which groups have members);
 * - `choose` then takes, within the bound and in this order: one member of each group that has members,
 *   a few users of each restore path (the CSV import job, and each reason csv-rules.ts gives for
 *   AdminCreateUser), a few disabled users, the users with the most attributes and with the longest
 *   values, and the lowest-ranked of the others up to the bound;
 * - the second pass keeps the chosen users, every group with a member, the memberships among them, and
 *   the configuration and timestamp items (`TYPE_TIMESTAMP`), so the ImportWorkflow restores the sample
 *   as it would the whole backup.
 * The restore path is decided by the ImportWorkflow's own rules (csvRowProblem, userLine) against the
 * pool the drill creates from the backup's configuration item, so the sample follows the real restore.
 */
import { createHash } from 'node:crypto';
import type { UserPoolType } from '@aws-sdk/client-cognito-identity-provider';
import {
  csvRowProblem,
  mfaEnabled,
  ROW_RULES,
  targetPoolRules,
  type TargetPoolRules,
} from '../../workflow-import/lib/csv-rules';
import type { BackupUserItem } from '../../workflow-import/lib/types';
import { MFA_COLUMN, USERNAME_COLUMN, userLine } from '../../workflow-import/lib/user-csv';

/** The restore path of a user restored by the CSV import job (the others are csv-rules.ts's reasons). */
export const CSV_IMPORT_PATH = 'csv-import';
/** Users taken for each restore path, disabled users, most attributes and longest values. */
export const PER_KIND = 3;

const USER_ID_PREFIX = 'USER-';
const GROUP_ID_PREFIX = 'GROUP-';
const GROUP_MEMBER_PREFIX = 'GROUP_MEMBER-';

export interface SampleTables {
  typeUser: string;
  typeGroup: string;
  typeTimestamp: string;
}

interface SeenUser {
  path: string;
  disabled: boolean;
  attributes: number;
  longest: number;
  rank: string;
}

/** What the sample holds, counts only (the drill's log and notification). */
export interface SampleSummary {
  users: number;
  groups: number;
  memberships: number;
  /** Users of the sample by restore path. */
  paths: Record<string, number>;
  disabled: number;
  /** Groups that have members in the backup, and how many of them have a member in the sample. */
  groupsWithMembers: number;
  groupsWithSampledMember: number;
  /** Restore paths the backup's users take, and how many of them the sample covers. */
  pathsInBackup: number;
  pathsInSample: number;
}

/** The target pool's rules from the recorded configuration's `UserPool` (the pool the drill creates). */
export function rulesOfConfiguration(userPool: Record<string, unknown> | undefined): {
  rules: TargetPoolRules;
  schema: Set<string> | undefined;
} {
  const pool = (userPool ?? {}) as UserPoolType & { Schema?: UserPoolType['SchemaAttributes'] };
  const attributes = pool.Schema ?? pool.SchemaAttributes;
  const rules = targetPoolRules({ ...pool, SchemaAttributes: attributes });
  const names = attributes?.map((attribute) => attribute.Name).filter((name) => name !== undefined);
  return { rules, schema: names === undefined ? undefined : new Set(names) };
}

/** The user's restore path in the ImportWorkflow: the CSV import job, or the reason it is not in the CSV. */
export function restorePath(
  item: BackupUserItem,
  rules: TargetPoolRules,
  schema?: ReadonlySet<string>,
): string {
  const problem = csvRowProblem(item, rules);
  if (problem !== undefined) return problem;
  // The header's columns that matter are those the user has a value for: an absent value is blank.
  const names = (item.userAttributes ?? [])
    .map((attribute) => attribute?.Name)
    .filter((name): name is string => typeof name === 'string')
    .filter((name) => schema === undefined || schema.has(name) || schema.has(name.replace(/^custom:/, '')));
  const line = userLine([USERNAME_COLUMN, ...new Set(names), MFA_COLUMN], item, mfaEnabled(item, rules));
  return 'rejected' in line ? ROW_RULES.notRepresentable : CSV_IMPORT_PATH;
}

export class SampleSelector {
  private readonly users = new Map<string, SeenUser>();
  /** Group name → the lowest-ranked member's user id. */
  private readonly groupMember = new Map<string, { user: string; rank: string }>();
  private chosen: Set<string> | undefined;

  constructor(
    private readonly options: SampleTables & {
      maxUsers: number;
      seed: string;
      rules: TargetPoolRules;
      schema?: ReadonlySet<string>;
    },
  ) {}

  private rank(id: string): string {
    return createHash('sha256').update(`${this.options.seed}\n${id}`).digest('hex');
  }

  /** First pass: every item of the backup. */
  observe(item: Record<string, unknown>): void {
    const { id, type } = item;
    if (typeof id !== 'string' || typeof type !== 'string') return;
    if (type === this.options.typeUser) {
      const user = item as BackupUserItem;
      const values = (user.userAttributes ?? []).map((attribute) =>
        typeof attribute?.Value === 'string' ? attribute.Value.length : 0,
      );
      this.users.set(id, {
        path: restorePath(user, this.options.rules, this.options.schema),
        disabled: user.userEnabled === false,
        attributes: values.length,
        longest: Math.max(0, ...values),
        rank: this.rank(id),
      });
    } else if (id.startsWith(GROUP_MEMBER_PREFIX) && type.startsWith(GROUP_MEMBER_PREFIX)) {
      const group = id.slice(GROUP_MEMBER_PREFIX.length);
      const user = `${USER_ID_PREFIX}${type.slice(GROUP_MEMBER_PREFIX.length)}`;
      const rank = this.rank(user);
      const known = this.groupMember.get(group);
      if (known === undefined || rank < known.rank) this.groupMember.set(group, { user, rank });
    }
  }

  /** After the first pass: the users of the sample (user item ids). */
  choose(): Set<string> {
    const { maxUsers } = this.options;
    const chosen = new Set<string>();
    const take = (ids: Iterable<string>, count = Infinity) => {
      let taken = 0;
      for (const id of ids) {
        if (chosen.size >= maxUsers || taken >= count) return;
        if (!this.users.has(id) || chosen.has(id)) continue;
        chosen.add(id);
        taken += 1;
      }
    };
    const byRank = [...this.users.entries()].sort((a, b) => (a[1].rank < b[1].rank ? -1 : 1));
    const ids = (entries: [string, SeenUser][]) => entries.map(([id]) => id);
    take([...this.groupMember.values()].sort((a, b) => (a.rank < b.rank ? -1 : 1)).map((m) => m.user));
    for (const path of [...new Set(byRank.map(([, user]) => user.path))].sort())
      take(ids(byRank.filter(([, user]) => user.path === path)), PER_KIND);
    take(ids(byRank.filter(([, user]) => user.disabled)), PER_KIND);
    take(ids([...byRank].sort((a, b) => b[1].attributes - a[1].attributes)), PER_KIND);
    take(ids([...byRank].sort((a, b) => b[1].longest - a[1].longest)), PER_KIND);
    take(ids(byRank));
    this.chosen = chosen;
    return chosen;
  }

  /** Second pass: whether the item is in the sample. */
  keep(item: Record<string, unknown>): boolean {
    const chosen = this.chosen ?? this.choose();
    const { id, type } = item;
    if (typeof id !== 'string' || typeof type !== 'string') return false;
    if (type === this.options.typeTimestamp) return true;
    if (type === this.options.typeUser) return chosen.has(id);
    if (type === this.options.typeGroup)
      return id.startsWith(GROUP_ID_PREFIX) && this.groupMember.has(id.slice(GROUP_ID_PREFIX.length));
    if (id.startsWith(GROUP_MEMBER_PREFIX) && type.startsWith(GROUP_MEMBER_PREFIX))
      return chosen.has(`${USER_ID_PREFIX}${type.slice(GROUP_MEMBER_PREFIX.length)}`);
    return false;
  }

  /** What the kept items hold. */
  summarize(kept: readonly Record<string, unknown>[]): SampleSummary {
    const paths: Record<string, number> = {};
    let users = 0;
    let groups = 0;
    let memberships = 0;
    let disabled = 0;
    const sampledGroups = new Set<string>();
    for (const item of kept) {
      const id = String(item.id);
      const seen = this.users.get(id);
      if (item.type === this.options.typeUser && seen !== undefined) {
        users += 1;
        paths[seen.path] = (paths[seen.path] ?? 0) + 1;
        if (seen.disabled) disabled += 1;
      } else if (item.type === this.options.typeGroup) groups += 1;
      else if (id.startsWith(GROUP_MEMBER_PREFIX)) {
        memberships += 1;
        sampledGroups.add(id.slice(GROUP_MEMBER_PREFIX.length));
      }
    }
    return {
      users,
      groups,
      memberships,
      paths,
      disabled,
      groupsWithMembers: this.groupMember.size,
      groupsWithSampledMember: sampledGroups.size,
      pathsInBackup: new Set([...this.users.values()].map((user) => user.path)).size,
      pathsInSample: Object.keys(paths).length,
    };
  }
}
