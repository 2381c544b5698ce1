// SPDX-License-Identifier: Apache-2.0
/**
 * Compares the restored pool with the source pool: every exported user present with the same
 * attributes (except what Cognito assigns itself) and enabled flag, the same groups (description,
 * precedence) and the same memberships. Users the solution leaves out by design are listed with the
 * reason instead of counting as missing.
 *
 * Users are matched by what identifies them to people: the Username in pools without a username
 * attribute, the email or phone number otherwise (Cognito gives restored users new Usernames there).
 */
import type { ConfigurationParity } from './configuration-parity';

export interface SnapshotUser {
  username: string;
  sub: string;
  enabled: boolean;
  status: string;
  attributes: Record<string, string>;
  groups: string[];
}

export interface SnapshotGroup {
  name: string;
  description?: string;
  precedence?: number;
  /** The group's IAM role ARN. */
  roleArn?: string;
  /** Usernames (Cognito's, as ListUsersInGroup returns them). */
  members: string[];
}

export interface PoolContent {
  poolId: string;
  users: SnapshotUser[];
  groups: SnapshotGroup[];
}

export interface Mismatch {
  /** `user <key>` or `group <name>`. */
  item: string;
  field: string;
  expected: string | number | boolean | null;
  actual: string | number | boolean | null;
}

export interface ParityResult {
  ok: boolean;
  /**
   * What was compared: users, groups and memberships of the source pool, less the excluded users and
   * their memberships (counted apart, so that compared + excluded = what the source pool holds).
   */
  counts: {
    users: number;
    groups: number;
    memberships: number;
    excludedUsers: number;
    excludedMemberships: number;
  };
  missingUsers: string[];
  unexpectedUsers: string[];
  missingGroups: string[];
  unexpectedGroups: string[];
  missingMemberships: { group: string; user: string }[];
  unexpectedMemberships: { group: string; user: string }[];
  mismatches: Mismatch[];
  excluded: { user: string; reason: string }[];
  /** Differences that are expected by design (not failures), e.g. user status after a CSV import. */
  notes: string[];
  /** The ImportWorkflow's restore report checked against both pools (when the run found one). */
  restoreReport?: RestoreReportCheck;
  /** The created restore target's configuration against the source's (`--create-target-pool`). */
  configuration?: ConfigurationParity;
}

/** Attributes Cognito assigns itself: a restored user cannot carry the source's values. */
export const COGNITO_ASSIGNED_ATTRIBUTES = new Set([
  'sub',
  'identities',
  'cognito:user_status',
  'cognito:mfa_enabled',
]);
/** The CSV import writes `false` for a missing verification flag. */
const FLAGS_DEFAULT_FALSE = new Set(['email_verified', 'phone_number_verified']);

export const FEDERATED_REASON =
  'federated user (EXTERNAL_PROVIDER): not exported by design; Cognito re-creates it at its next federated sign-in';

/** What an exclusion rule looks at: a pool's user or a seed's. */
export interface ExclusionCandidate {
  username: string;
  status?: string;
  attributes: Record<string, string>;
}

/**
 * A reason the solution leaves a user out by design. `mayBeRestored`: another path can restore the
 * user anyway (then it is compared like any other); when it is absent from the restored pool it is
 * listed with the reason instead of counting as missing. A rule without it treats the user's presence
 * in the restored pool as unexpected.
 */
export interface ExclusionRule {
  reason(user: ExclusionCandidate): string | undefined;
  mayBeRestored: boolean;
}

/**
 * The users the solution leaves out by design. Users whose values the import CSV cannot carry (a line
 * break) are not among them: ImportNewUsers creates them with AdminCreateUser instead.
 */
export const EXCLUSION_RULES: readonly ExclusionRule[] = [
  {
    reason: (user) => (user.status === 'EXTERNAL_PROVIDER' ? FEDERATED_REASON : undefined),
    mayBeRestored: false,
  },
];

/** The reason of the first rule that excludes `user`, or undefined. */
export function exclusionReason(
  user: ExclusionCandidate,
  rules: readonly ExclusionRule[] = EXCLUSION_RULES,
): string | undefined {
  for (const rule of rules) {
    const reason = rule.reason(user);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

/**
 * How a user is recognised in both pools: its Username, or in a pool with username attributes the
 * values of those attributes (Cognito generates the Username there). An e-mail-or-phone user is known
 * by both of its identifiers together.
 */
export function userKey(
  user: SnapshotUser,
  usernameAttribute: string | readonly string[] | undefined,
): string {
  const names =
    usernameAttribute === undefined
      ? []
      : typeof usernameAttribute === 'string'
        ? [usernameAttribute]
        : usernameAttribute;
  if (names.length === 0) return user.username;
  if (names.length === 1) return user.attributes[names[0] as string] ?? user.username;
  const values = names.map((name) => user.attributes[name] ?? '');
  return values.every((value) => value === '') ? user.username : values.join(' | ');
}

function attributeValue(attributes: Record<string, string>, name: string): string | null {
  const value = attributes[name];
  if (value === undefined) return FLAGS_DEFAULT_FALSE.has(name) ? 'false' : null;
  return value;
}

export function comparePools(
  source: PoolContent,
  target: PoolContent,
  usernameAttribute: string | readonly string[] | undefined,
  rules: readonly ExclusionRule[] = EXCLUSION_RULES,
  options: {
    /** Custom attributes the restore left out knowingly (`DropAttributes`): their absence is a note. */
    dropped?: ReadonlySet<string>;
  } = {},
): ParityResult {
  const dropped = options.dropped ?? new Set<string>();
  const droppedValues = new Map<string, number>();
  const result: ParityResult = {
    ok: false,
    counts: {
      users: 0,
      groups: source.groups.length,
      memberships: 0,
      excludedUsers: 0,
      excludedMemberships: 0,
    },
    missingUsers: [],
    unexpectedUsers: [],
    missingGroups: [],
    unexpectedGroups: [],
    missingMemberships: [],
    unexpectedMemberships: [],
    mismatches: [],
    excluded: [],
    notes: [],
  };
  const sourceKeyOf = new Map<string, string>();
  const excludedUsernames = new Set<string>();
  const targetByKey = new Map<string, SnapshotUser>();
  const targetKeyOf = new Map<string, string>();
  for (const user of target.users) {
    const key = userKey(user, usernameAttribute);
    targetByKey.set(key, user);
    targetKeyOf.set(user.username, key);
  }

  const seen = new Set<string>();
  let statusChanged = 0;
  for (const user of source.users) {
    const key = userKey(user, usernameAttribute);
    sourceKeyOf.set(user.username, key);
    const restored = targetByKey.get(key);
    for (const rule of rules) {
      const reason = rule.reason(user);
      if (reason === undefined) continue;
      if (rule.mayBeRestored && restored !== undefined) break;
      excludedUsernames.add(user.username);
      result.excluded.push({ user: key, reason });
      break;
    }
    if (excludedUsernames.has(user.username)) continue;
    result.counts.users += 1;
    if (restored === undefined) {
      result.missingUsers.push(key);
      continue;
    }
    seen.add(key);
    if (restored.status !== user.status) statusChanged += 1;
    if (restored.enabled !== user.enabled) {
      result.mismatches.push({
        item: `user ${key}`,
        field: 'enabled',
        expected: user.enabled,
        actual: restored.enabled,
      });
    }
    const names = new Set([...Object.keys(user.attributes), ...Object.keys(restored.attributes)]);
    for (const name of [...names].sort()) {
      if (COGNITO_ASSIGNED_ATTRIBUTES.has(name)) continue;
      const expected = attributeValue(user.attributes, name);
      const actual = attributeValue(restored.attributes, name);
      if (actual === null && expected !== null && dropped.has(name)) {
        droppedValues.set(name, (droppedValues.get(name) ?? 0) + 1);
        continue;
      }
      if (expected !== actual)
        result.mismatches.push({ item: `user ${key}`, field: `attributes.${name}`, expected, actual });
    }
  }
  for (const key of targetByKey.keys()) if (!seen.has(key)) result.unexpectedUsers.push(key);
  result.counts.excludedUsers = result.excluded.length;

  const targetGroups = new Map(target.groups.map((group) => [group.name, group]));
  for (const group of source.groups) {
    const restored = targetGroups.get(group.name);
    const sourceMembers = new Set(
      group.members
        .filter((member) => !excludedUsernames.has(member))
        .map((member) => sourceKeyOf.get(member) ?? member),
    );
    result.counts.excludedMemberships += group.members.filter((member) =>
      excludedUsernames.has(member),
    ).length;
    result.counts.memberships += sourceMembers.size;
    if (restored === undefined) {
      result.missingGroups.push(group.name);
      for (const user of sourceMembers) result.missingMemberships.push({ group: group.name, user });
      continue;
    }
    if ((group.description ?? '') !== (restored.description ?? '')) {
      result.mismatches.push({
        item: `group ${group.name}`,
        field: 'description',
        expected: group.description ?? null,
        actual: restored.description ?? null,
      });
    }
    if ((group.roleArn ?? null) !== (restored.roleArn ?? null)) {
      result.mismatches.push({
        item: `group ${group.name}`,
        field: 'roleArn',
        expected: group.roleArn ?? null,
        actual: restored.roleArn ?? null,
      });
    }
    if ((group.precedence ?? null) !== (restored.precedence ?? null)) {
      result.mismatches.push({
        item: `group ${group.name}`,
        field: 'precedence',
        expected: group.precedence ?? null,
        actual: restored.precedence ?? null,
      });
    }
    const restoredMembers = new Set(restored.members.map((member) => targetKeyOf.get(member) ?? member));
    for (const user of sourceMembers)
      if (!restoredMembers.has(user)) result.missingMemberships.push({ group: group.name, user });
    for (const user of restoredMembers)
      if (!sourceMembers.has(user)) result.unexpectedMemberships.push({ group: group.name, user });
  }
  const sourceGroupNames = new Set(source.groups.map((group) => group.name));
  for (const name of targetGroups.keys()) if (!sourceGroupNames.has(name)) result.unexpectedGroups.push(name);

  for (const [name, users] of droppedValues) {
    result.notes.push(
      `${users === 1 ? '1 restored user lacks' : `${users} restored users lack`} ${name}, left out knowingly (DropAttributes)`,
    );
  }
  if (statusChanged > 0) {
    result.notes.push(
      `${statusChanged === 1 ? '1 restored user has' : `${statusChanged} restored users have`} another status than in the source pool (a CSV import leaves users RESET_REQUIRED; by design)`,
    );
  }
  result.ok =
    result.missingUsers.length === 0 &&
    result.unexpectedUsers.length === 0 &&
    result.missingGroups.length === 0 &&
    result.unexpectedGroups.length === 0 &&
    result.missingMemberships.length === 0 &&
    result.unexpectedMemberships.length === 0 &&
    result.mismatches.length === 0;
  return result;
}

/** What the check of the ImportWorkflow's restore report found. */
export interface RestoreReportCheck {
  ok: boolean;
  key: string;
  rows: number;
  /** Exported users of the source pool (federated users aside): one row each is expected. */
  expectedRows: number;
  outcomes: Record<string, number>;
  /** Source users without a row. */
  missingRows: string[];
  /** Rows whose old or new sub is not the user's in the source or the restored pool. */
  wrongSubs: string[];
  /** Rows that name a user twice. */
  duplicateRows: string[];
  /**
   * Rows whose sign-in step does not fit the restored user's status: `reset-password` needs a user
   * "forgot password" works for (RESET_REQUIRED, or CONFIRMED with a password nobody knows),
   * `administrator` one created without a password (FORCE_CHANGE_PASSWORD).
   */
  wrongSignIn?: string[];
}

/** RFC 4180 records (quoted fields with doubled quotes), as csv-stringify writes them. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charAt(i);
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else if (char !== '\r') field += char;
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}

/**
 * The restore report against both pools: one row per exported user, its old `sub` the source user's
 * and, for a restored user, its new `sub` the restored user's.
 */
export function checkRestoreReport(
  key: string,
  csv: string,
  source: PoolContent,
  target: PoolContent,
  usernameAttribute: string | readonly string[] | undefined,
): RestoreReportCheck {
  const [header, ...rows] = parseCsv(csv);
  const check: RestoreReportCheck = {
    ok: false,
    key,
    rows: rows.length,
    expectedRows: 0,
    outcomes: {},
    missingRows: [],
    wrongSubs: [],
    duplicateRows: [],
    wrongSignIn: [],
  };
  const byUsername = new Map<string, string[]>();
  for (const row of rows) {
    const username = row[2] ?? '';
    if (byUsername.has(username)) check.duplicateRows.push(username);
    byUsername.set(username, row);
    const outcome = row[3] ?? '';
    check.outcomes[outcome] = (check.outcomes[outcome] ?? 0) + 1;
  }
  const targetByKey = new Map(target.users.map((user) => [userKey(user, usernameAttribute), user]));
  for (const user of source.users) {
    if (user.status === 'EXTERNAL_PROVIDER') continue;
    check.expectedRows += 1;
    const key = userKey(user, usernameAttribute);
    // The report names a user by what it signs in with: its Username, or one of its username attributes.
    const names =
      usernameAttribute === undefined
        ? []
        : typeof usernameAttribute === 'string'
          ? [usernameAttribute]
          : usernameAttribute;
    const ids = names.map((name) => user.attributes[name]).filter((id): id is string => !!id);
    const row = [...ids, user.username].map((id) => byUsername.get(id)).find((found) => found !== undefined);
    if (row === undefined) {
      check.missingRows.push(key);
      continue;
    }
    const restored = targetByKey.get(key);
    if (row[0] !== user.sub || (restored !== undefined && row[1] !== restored.sub)) check.wrongSubs.push(key);
    if (restored !== undefined) {
      const fits: Record<string, string[]> = {
        'reset-password': ['RESET_REQUIRED', 'CONFIRMED'],
        administrator: ['FORCE_CHANGE_PASSWORD'],
      };
      if (!(fits[row[5] ?? ''] ?? []).includes(restored.status)) check.wrongSignIn?.push(key);
    }
  }
  check.ok =
    (header ?? []).join(',') === 'oldSub,newSub,username,outcome,reason,signIn' &&
    (check.wrongSignIn ?? []).length === 0 &&
    check.rows === check.expectedRows &&
    check.missingRows.length === 0 &&
    check.wrongSubs.length === 0 &&
    check.duplicateRows.length === 0;
  return check;
}
