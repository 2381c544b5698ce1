// SPDX-License-Identifier: Apache-2.0
/**
 * The repair plan: what must change in a live user pool to bring it back to a recovery point, and
 * nothing else. It is the reconciliation's pool diff run without writing: the same listing of the pool
 * (pool-index.ts: users by sign-in identity with a keyed hash of their attributes and one of each
 * attribute, groups with their settings and members) and the same comparison of attributes
 * (user-contents.ts) and groups (`compareGroup`), one page of backup items at a time. The plan calls
 * Cognito only to list (ListUsers, ListGroups, ListUsersInGroup) and for DescribeUserPool: its pages of
 * 60 users and 60 members at `CognitoTPS` are its bound.
 *
 * A user of the recovery point that the pool holds under the same sign-in identity with the same `sub`
 * is the same user: its attributes are set back (names only in the plan), its enabled flag too. A user
 * the pool holds under that identity with another `sub` is another person who took the name since: the
 * plan says it cannot be set back. Users, groups and memberships the pool has and the recovery point
 * does not are "added since": listed, and removed only when the input says `RemoveAdded`.
 *
 * The plan holds item keys, usernames, attribute names and actions, never an attribute value. Each
 * entry also carries what the pool looked like when it was planned (`Seen`: a keyed hash of the
 * user's `sub`, enabled flag and attributes, or of the group's settings), under a key kept beside the
 * plan, so that the apply can refuse a plan whose pool changed since.
 */
import { createHmac } from 'node:crypto';
import { DescribeUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RateLimitedCognito } from '../../utils/cognito';
import { PreferringLimiter } from '../../utils/limiter';
import type { RecoveryPointRequest, RecoveryPointSource, SourceCursor } from '../../utils/recovery-point';
import { errorName } from '../../utils/errors';
import type { Logger } from '../../utils/logger';
import type { TimeBudget } from '../../utils/time-budget';
import { memberSub, withMemberSignInNames } from './member-names';
import {
  chunkKey,
  getText,
  hashKeyObject,
  listGroupsStep,
  listKeys,
  listUsersStep,
  newGroupsCursor,
  newUsersCursor,
  PoolIndex,
  putChunk,
  workPrefix,
  type GroupDetails,
  type GroupsCursor,
  type S3Work,
  type UsersCursor,
} from './pool-index';
import { compareGroup, emptyCounts, oldSubOf } from './reconcile-new-user-pool';
import type { BackupGroupItem, BackupItem, BackupMembershipItem, BackupUserItem, TableKey } from './types';
import {
  attributesKeyOf,
  canonicalAttributes,
  hashedAttributes,
  parseAttributeHashes,
  planContents,
  targetSchema,
  type TargetSchema,
} from './user-contents';

export const PLAN_PREFIX = 'repair-plans/';
export const PLAN_VERSION = 1;

/** `repair-plans/<pool>/<planId>.json`; the plan's hash key beside it (`.key`). */
export const planKey = (userPoolId: string, planId: string): string =>
  `${PLAN_PREFIX}${userPoolId}/${planId}.json`;
export const planSecretKey = (userPoolId: string, planId: string): string =>
  hashKeyObject(`${PLAN_PREFIX}${userPoolId}/${planId}`);
/**
 * The users an apply recreated, `[oldSub, newSub]` pairs, one object per batch, kept as long as the
 * repair reports (which map the same subs). A recreated user has a new `sub`: without this record the
 * next comparison would take her for somebody else who took the name (and change nothing of hers).
 */
export const recreatedPrefix = (userPoolId: string): string => `repair-reports/${userPoolId}/recreated/`;

/** Every user the repairs of this pool recreated: old sub → new sub. */
export async function readRecreated(work: S3Work, userPoolId: string): Promise<Map<string, string>> {
  const pairs = new Map<string, string>();
  for (const key of await listKeys(work, recreatedPrefix(userPoolId))) {
    for (const [oldSub, newSub] of JSON.parse(await getText(work, key)) as [string, string][])
      pairs.set(oldSub, newSub);
  }
  return pairs;
}

/** What the repair looks at: some users (by sign-in name), some groups, or the whole pool. */
export type RepairScope = { Usernames: string[] } | { Groups: string[] } | undefined;

export type UserAction = 'create' | 'set-attributes' | 'delete-attributes' | 'enable' | 'disable' | 'remove';
export type GroupAction = 'create' | 'update' | 'remove';
/** `none`: added since and left alone (no `RemoveAdded`). */
export type MembershipAction = 'add' | 'remove' | 'none';

/** Why something cannot be set back (report codes). */
export const CANNOT_SET_BACK = {
  /** The pool's user with this sign-in name has another `sub`: somebody else holds the name now. */
  usernameTaken: 'username-belongs-to-another-user',
  /** A group's precedence cannot be taken away with UpdateGroup. */
  precedence: 'group-precedence-cannot-be-removed',
  /** The membership's group is not in the recovery point and not in the pool. */
  noGroup: 'group-missing',
  /** The membership's user is missing from the pool and outside the scope (`Scope.Groups`). */
  noUser: 'user-missing',
} as const;

export interface PlannedUser {
  /** The backup item's key; absent for a user added since. */
  Key?: TableKey;
  /** The sign-in name: the backup's pseudoUsername, or the pool's Username of a user added since. */
  Username: string;
  /** The pool's Username of this user, when the pool holds it. */
  PoolUsername?: string;
  OldSub?: string;
  /** The pool user's `sub` when planned. */
  Sub?: string;
  Actions: UserAction[];
  /** Attribute names to set back (AdminUpdateUserAttributes), names only. */
  Set?: string[];
  /** Attribute names to delete (AdminDeleteUserAttributes). */
  Delete?: string[];
  /** What cannot be set back: reason code → attribute names (empty for a whole-user reason). */
  CannotSetBack?: Record<string, string[]>;
  /** Keyed hash of the pool user when planned (sub, enabled, attributes); absent: the pool had no such user. */
  Seen?: string;
}

export interface PlannedGroup {
  GroupName: string;
  Key?: TableKey;
  Action?: GroupAction;
  CannotSetBack?: string;
  /** Keyed hash of the group's settings when planned; absent: the pool had no such group. */
  Seen?: string;
}

export interface PlannedMembership {
  GroupName: string;
  /** The member's sign-in name (backup) or pool Username (added since). */
  Username: string;
  Action: MembershipAction;
  /** Why the membership cannot be added (its group is nowhere). */
  CannotSetBack?: string;
}

export interface PlanCounts {
  usersToCreate: number;
  usersToUpdate: number;
  flagsToChange: number;
  groupsToCreate: number;
  groupsToUpdate: number;
  membershipsToAdd: number;
  /** Users of the pool that the recovery point does not have. */
  addedSince: number;
  groupsAddedSince: number;
  membershipsAddedSince: number;
  /** Users and groups with something that cannot be set back. */
  cannotSetBack: number;
  /** Users of the recovery point in scope, present or not. */
  usersCompared: number;
}

export const emptyPlanCounts = (): PlanCounts => ({
  usersToCreate: 0,
  usersToUpdate: 0,
  flagsToChange: 0,
  groupsToCreate: 0,
  groupsToUpdate: 0,
  membershipsToAdd: 0,
  addedSince: 0,
  groupsAddedSince: 0,
  membershipsAddedSince: 0,
  cannotSetBack: 0,
  usersCompared: 0,
});

export interface RepairPlan {
  Version: number;
  PlanId: string;
  UserPoolId: string;
  /** ISO time the plan was written; the apply refuses an old plan. */
  CreatedAt: string;
  /** The recovery point the plan compared with; the apply and its check read the same one. */
  RecoveryPoint: PlanRecoveryPoint;
  Scope?: RepairScope;
  RemoveAdded: boolean;
  Counts: PlanCounts;
  Users: PlannedUser[];
  Groups: PlannedGroup[];
  Memberships: PlannedMembership[];
}

/**
 * The recovery point of a plan: the live backup table, the point-in-time export the planning execution
 * made (`point-in-time-exports/<PlanId>/`), or a snapshot.
 */
export type PlanRecoveryPoint =
  { Source: 'backup-table' } | { Source: 'as-of'; AsOf: string } | { Source: 'snapshot'; Snapshot: string };

export function planRecoveryPoint(request: RecoveryPointRequest): PlanRecoveryPoint {
  if (request.kind === 'as-of') return { Source: 'as-of', AsOf: request.asOf };
  if (request.kind === 'snapshot') return { Source: 'snapshot', Snapshot: request.snapshotId };
  return { Source: 'backup-table' };
}

/** The recovery point a plan was made from, as its readers name it. */
export function requestOfPlan(point: PlanRecoveryPoint): RecoveryPointRequest {
  if (point.Source === 'as-of') return { kind: 'as-of', asOf: point.AsOf, time: Date.parse(point.AsOf) };
  if (point.Source === 'snapshot') return { kind: 'snapshot', snapshotId: point.Snapshot };
  return { kind: 'table' };
}

/** `true` when the plan changes nothing (what cannot be set back, and what was added since unless removed, aside). */
export function planIsEmpty(counts: PlanCounts, removeAdded: boolean): boolean {
  return (
    counts.usersToCreate +
      counts.usersToUpdate +
      counts.flagsToChange +
      counts.groupsToCreate +
      counts.groupsToUpdate +
      counts.membershipsToAdd +
      (removeAdded ? counts.addedSince + counts.groupsAddedSince + counts.membershipsAddedSince : 0) ===
    0
  );
}

/** Keyed hash of what the pool held of a user: `sub`, enabled flag and canonical attributes. */
export function seenUser(secret: Buffer, sub: string, enabled: boolean, attributesKey: string): string {
  return createHmac('sha256', secret)
    .update(`u\u0000${sub}\u0000${String(enabled)}\u0000${attributesKey}`)
    .digest('base64url')
    .slice(0, 22);
}

/** Keyed hash of a group's settings as ListGroups gives them. */
export function seenGroup(secret: Buffer, details: GroupDetails): string {
  return createHmac('sha256', secret)
    .update(`g\u0000${JSON.stringify(details)}`)
    .digest('base64url')
    .slice(0, 22);
}

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

export interface CompareConfig {
  tableName: string;
  typeUser: string;
  typeGroup: string;
  typeTimestamp: string;
  cognitoTps: number;
}

export interface CompareDeps {
  cognito: RateLimitedCognito;
  ddb: DynamoDBDocumentClient;
  /** The recovery point compared with (recovery-point.ts): the live table, or an export. */
  source: RecoveryPointSource;
  /** The source is the live table, read by key; an export is read in one pass per batch of keys. */
  byKey: boolean;
  work: S3Work;
  logger: Logger;
  budget: TimeBudget;
  config: CompareConfig;
}

/** What one page of the recovery point contributes to the plan; one chunk per page. */
interface PageChunk {
  users: PlannedUser[];
  groups: PlannedGroup[];
  memberships: PlannedMembership[];
  /** Pool Usernames the page's users matched. */
  matched: string[];
  /** Backup groups named (in scope). */
  groupNames: string[];
  /** `group\0poolUsername` of the page's memberships whose user is in the pool. */
  memberKeys: string[];
  counts: PlanCounts;
}

const inScope = {
  user: (scope: RepairScope, name: string): boolean =>
    scope === undefined || ('Usernames' in scope ? scope.Usernames.includes(name) : false),
  group: (scope: RepairScope, name: string): boolean =>
    scope === undefined || ('Groups' in scope ? scope.Groups.includes(name) : false),
  membership: (scope: RepairScope, group: string, username: string): boolean =>
    scope === undefined ||
    ('Groups' in scope ? scope.Groups.includes(group) : scope.Usernames.includes(username)),
};

const add = (record: Record<string, string[]>, code: string, names: readonly string[]): void => {
  record[code] = [...(record[code] ?? []), ...names];
};

/**
 * Compares one page of backup items with the listed pool. For a user whose attributes' hash differs,
 * the hashes of each attribute that the listing kept name the attributes to set back or delete.
 */
export async function comparePage(
  deps: Pick<CompareDeps, 'config'>,
  items: readonly BackupItem[],
  index: PoolIndex,
  secret: Buffer,
  scope: RepairScope,
  schemaOf: () => Promise<TargetSchema>,
  recreated: ReadonlyMap<string, string> = new Map(),
): Promise<PageChunk> {
  /** The pool's user is the backed-up one: the same sub, or the one a repair recreated her as. */
  const sameUser = (oldSub: string, sub: string): boolean => oldSub === sub || recreated.get(oldSub) === sub;
  const { config } = deps;
  const chunk: PageChunk = {
    users: [],
    groups: [],
    memberships: [],
    matched: [],
    groupNames: [],
    memberKeys: [],
    counts: emptyPlanCounts(),
  };
  const { counts } = chunk;
  for (const raw of items) {
    if (raw.type === config.typeTimestamp) continue;
    if (raw.type === config.typeGroup) {
      const item = raw as BackupGroupItem;
      if (!nonEmpty(item.groupName) || !inScope.group(scope, item.groupName)) continue;
      const key = { id: item.id, type: item.type };
      chunk.groupNames.push(item.groupName);
      const details = index.groupDetails.get(item.groupName);
      if (!index.groups.has(item.groupName) || details === undefined) {
        counts.groupsToCreate += 1;
        chunk.groups.push({ GroupName: item.groupName, Key: key, Action: 'create' });
        continue;
      }
      const scratch = emptyCounts();
      const fix = compareGroup(item, details, scratch);
      const seen = seenGroup(secret, details);
      if (fix !== undefined) {
        counts.groupsToUpdate += 1;
        chunk.groups.push({ GroupName: item.groupName, Key: key, Action: 'update', Seen: seen });
      } else if (scratch.groupsDiffer > 0) {
        counts.cannotSetBack += 1;
        chunk.groups.push({
          GroupName: item.groupName,
          Key: key,
          CannotSetBack: CANNOT_SET_BACK.precedence,
          Seen: seen,
        });
      }
      continue;
    }
    if (raw.type === config.typeUser) {
      const item = raw as BackupUserItem;
      const username = nonEmpty(item.pseudoUsername) ? item.pseudoUsername : '';
      if (username === '' || !inScope.user(scope, username)) continue;
      counts.usersCompared += 1;
      const key = { id: item.id, type: item.type };
      const oldSub = oldSubOf(item);
      const user = index.find(username);
      if (user === undefined) {
        counts.usersToCreate += 1;
        chunk.users.push({ Key: key, Username: username, OldSub: oldSub, Actions: ['create'] });
        continue;
      }
      chunk.matched.push(user.username);
      const planned: PlannedUser = {
        Key: key,
        Username: username,
        PoolUsername: user.username,
        OldSub: oldSub,
        Sub: user.sub,
        Actions: [],
        Seen: seenUser(secret, user.sub, user.enabled, user.attributesKey ?? ''),
      };
      if (oldSub !== '' && !sameUser(oldSub, user.sub)) {
        counts.cannotSetBack += 1;
        planned.CannotSetBack = { [CANNOT_SET_BACK.usernameTaken]: [] };
        chunk.users.push(planned);
        continue;
      }
      const enabled = item.userEnabled !== false;
      if (enabled !== user.enabled) {
        counts.flagsToChange += 1;
        planned.Actions.push(enabled ? 'enable' : 'disable');
      }
      const backup = canonicalAttributes(item.userAttributes, new Set());
      if (user.attributeHashes !== undefined && attributesKeyOf(secret, backup) !== user.attributesKey) {
        // The listing kept a hash of each attribute: the names that differ, without reading the user.
        const contents = planContents(
          hashedAttributes(secret, backup),
          parseAttributeHashes(user.attributeHashes),
          await schemaOf(),
        );
        const set = [...new Set(contents.updates.flat().map((attribute) => attribute.Name ?? ''))].sort();
        if (set.length > 0) {
          planned.Actions.push('set-attributes');
          planned.Set = set;
        }
        if (contents.deletes.length > 0) {
          planned.Actions.push('delete-attributes');
          planned.Delete = [...contents.deletes].sort();
        }
        if (contents.unfixable.size > 0) {
          planned.CannotSetBack = {};
          for (const [code, names] of contents.unfixable) add(planned.CannotSetBack, code, names);
        }
      }
      chunk.users.push(planned);
      continue;
    }
    const membership = raw as BackupMembershipItem;
    if (!nonEmpty(membership.groupName) || !nonEmpty(membership.groupPseudoUsername)) continue;
    if (!inScope.membership(scope, membership.groupName, membership.groupPseudoUsername)) continue;
    const user = index.find(membership.groupPseudoUsername);
    // The name belongs to another person now (another sub): never add her to the group.
    const sub = memberSub(raw);
    if (user !== undefined && sub !== undefined && !sameUser(sub, user.sub)) continue;
    if (user !== undefined) {
      chunk.memberKeys.push(`${membership.groupName}\u0000${user.username}`);
      if (index.isMember(membership.groupName, user.username)) continue;
    }
    if (user === undefined && scope !== undefined && 'Groups' in scope) {
      // Its user is recreated only by a repair whose scope names her.
      counts.cannotSetBack += 1;
      chunk.memberships.push({
        GroupName: membership.groupName,
        Username: membership.groupPseudoUsername,
        Action: 'add',
        CannotSetBack: CANNOT_SET_BACK.noUser,
      });
      continue;
    }
    counts.membershipsToAdd += 1;
    chunk.memberships.push({
      GroupName: membership.groupName,
      Username: membership.groupPseudoUsername,
      Action: 'add',
    });
  }
  // A user whose only difference cannot be set back has no action.
  for (const user of chunk.users) {
    if (user.Actions.includes('set-attributes') || user.Actions.includes('delete-attributes'))
      counts.usersToUpdate += 1;
    if (user.CannotSetBack !== undefined && !(CANNOT_SET_BACK.usernameTaken in user.CannotSetBack))
      counts.cannotSetBack += 1;
  }
  chunk.users = chunk.users.filter((user) => user.Actions.length > 0 || user.CannotSetBack !== undefined);
  return chunk;
}

const MEMBER_PAGES: ReadonlySet<string> = new Set(['ListUsersInGroup']);

export interface CompareCursor {
  Phase: 'List' | 'Compare' | 'Done';
  Users: UsersCursor;
  Groups: GroupsCursor;
  /** Where the next page of the recovery point starts. */
  From?: SourceCursor;
  Pages: number;
}

export const newCompareCursor = (): CompareCursor => ({
  Phase: 'List',
  Users: newUsersCursor(),
  Groups: newGroupsCursor(),
  Pages: 0,
});

/** Where one comparison keeps its work: `restore-work/<pool>/<execution>/<part>-...`. */
export interface CompareRun {
  userPoolId: string;
  execution: string;
  /** `plan` for the plan, `check` for the reconciliation after an apply. */
  part: string;
  scope: RepairScope;
}

const prefixes = (run: CompareRun) => ({
  users: workPrefix(run.userPoolId, run.execution, `${run.part}-users`),
  groups: workPrefix(run.userPoolId, run.execution, `${run.part}-groups`),
  pages: workPrefix(run.userPoolId, run.execution, `${run.part}-pages`),
});

/**
 * Advances a comparison of the backup table with the pool while the budget allows: the listing
 * (users and groups at once), then the table page by page (one chunk per page). Idempotent per cursor:
 * a retried invocation overwrites the same chunks.
 */
export async function compareStep(
  deps: CompareDeps,
  run: CompareRun,
  start: CompareCursor,
): Promise<CompareCursor> {
  const cursor = structuredClone(start);
  const paths = prefixes(run);
  // Each group's members are one chain of pages beside the users' 16 partitions: served first, the
  // chains never end alone after the partitions (PreferringLimiter).
  const cognito = deps.cognito.through(new PreferringLimiter(deps.cognito.limiter, MEMBER_PAGES));
  const stepDeps = { cognito, work: deps.work, budget: deps.budget };
  if (cursor.Phase === 'List') {
    const [users, groups] = await Promise.all([
      listUsersStep(stepDeps, run.userPoolId, paths.users, cursor.Users, { ignore: new Set(), each: true }),
      listGroupsStep(stepDeps, run.userPoolId, paths.groups, cursor.Groups),
    ]);
    cursor.Users = users;
    cursor.Groups = groups;
    if (!(users.Done && groups.Done)) return cursor;
    cursor.Phase = 'Compare';
    if (!deps.budget.hasTime()) return cursor;
  }
  if (cursor.Phase !== 'Compare') return cursor;
  const index = await loadIndex(deps.work, run, cursor);
  const secret = await listingSecret(deps.work, run);
  const recreated = await readRecreated(deps.work, run.userPoolId);
  let schema: Promise<TargetSchema> | undefined;
  const schemaOf = (): Promise<TargetSchema> =>
    (schema ??= deps.cognito
      .send(new DescribeUserPoolCommand({ UserPoolId: run.userPoolId }), { deadline: deps.budget.deadline() })
      .then((described) => targetSchema(described.UserPool?.SchemaAttributes)));
  let more = false;
  for await (const page of deps.source.pages(cursor.From, Math.max(100, deps.config.cognitoTps * 40))) {
    const named = await withMemberSignInNames(
      deps.source,
      page.items,
      (name) => index.find(name) !== undefined,
    );
    const chunk = await comparePage(deps, named.items, index, secret, run.scope, schemaOf, recreated);
    await putChunk(deps.work, chunkKey(paths.pages, cursor.Pages), chunk);
    cursor.Pages += 1;
    if (page.next) cursor.From = page.next;
    else delete cursor.From;
    more = page.next !== undefined;
    // Leaving the loop closes the reader; the next invocation starts from the cursor.
    if (!more || !deps.budget.hasTime()) break;
  }
  if (!more) cursor.Phase = 'Done';
  return cursor;
}

const loadIndex = (work: S3Work, run: CompareRun, cursor: CompareCursor): Promise<PoolIndex> => {
  const paths = prefixes(run);
  return PoolIndex.load(
    work,
    { prefix: paths.users, chunks: cursor.Users.Chunks },
    { prefix: paths.groups, chunks: cursor.Groups.Chunks },
  );
};

/** The listing's hash key (the plan keeps a copy: its `Seen` hashes use it). */
export async function listingSecret(work: S3Work, run: CompareRun): Promise<Buffer> {
  return Buffer.from(await getText(work, hashKeyObject(prefixes(run).users)), 'base64');
}

/** The plan of a finished comparison: the pages' entries, and what the pool has that the recovery point has not. */
export async function assemblePlan(
  work: S3Work,
  run: CompareRun,
  cursor: CompareCursor,
  header: Omit<RepairPlan, 'Version' | 'Counts' | 'Users' | 'Groups' | 'Memberships' | 'Scope'>,
): Promise<RepairPlan> {
  const paths = prefixes(run);
  const index = await loadIndex(work, run, cursor);
  const secret = await listingSecret(work, run);
  const counts = emptyPlanCounts();
  const plan: RepairPlan = {
    Version: PLAN_VERSION,
    ...header,
    ...(run.scope !== undefined ? { Scope: run.scope } : {}),
    Counts: counts,
    Users: [],
    Groups: [],
    Memberships: [],
  };
  const matched = new Set<string>();
  const groupNames = new Set<string>();
  const memberKeys = new Set<string>();
  for (let page = 0; page < cursor.Pages; page += 1) {
    const chunk = JSON.parse(await getText(work, chunkKey(paths.pages, page))) as PageChunk;
    plan.Users.push(...chunk.users);
    plan.Groups.push(...chunk.groups);
    plan.Memberships.push(...chunk.memberships);
    for (const name of chunk.matched) matched.add(name);
    for (const name of chunk.groupNames) groupNames.add(name);
    for (const key of chunk.memberKeys) memberKeys.add(key);
    for (const [name, value] of Object.entries(chunk.counts) as [keyof PlanCounts, number][])
      counts[name] += value;
  }
  const removal = header.RemoveAdded;
  const scope = run.scope;
  // Users added since: in scope when the whole pool is, or when named by their Username.
  if (scope === undefined || 'Usernames' in scope) {
    for (const user of index.listed) {
      // A federated user is never backed up (Cognito recreates it at its next sign-in): not "added since".
      if (matched.has(user.username) || user.external || !inScope.user(scope, user.username)) continue;
      counts.addedSince += 1;
      plan.Users.push({
        Username: user.username,
        PoolUsername: user.username,
        Sub: user.sub,
        Actions: removal ? ['remove'] : [],
        Seen: seenUser(secret, user.sub, user.enabled, user.attributesKey ?? ''),
      });
    }
  }
  if (scope === undefined || 'Groups' in scope) {
    for (const name of index.groups) {
      if (groupNames.has(name) || !inScope.group(scope, name)) continue;
      counts.groupsAddedSince += 1;
      const details = index.groupDetails.get(name);
      plan.Groups.push({
        GroupName: name,
        ...(removal ? { Action: 'remove' as const } : {}),
        ...(details ? { Seen: seenGroup(secret, details) } : {}),
      });
    }
  }
  for (const [group, username] of index.membershipPairs()) {
    if (memberKeys.has(`${group}\u0000${username}`)) continue;
    // A membership of a user or group added since goes with it.
    if (!groupNames.has(group) || !matched.has(username)) continue;
    if (!inScope.membership(scope, group, username)) continue;
    counts.membershipsAddedSince += 1;
    plan.Memberships.push({ GroupName: group, Username: username, Action: removal ? 'remove' : 'none' });
  }
  // A membership whose group is neither in the pool nor to be created cannot be added.
  const creatable = new Set(
    plan.Groups.filter((group) => group.Action === 'create').map((group) => group.GroupName),
  );
  for (const membership of plan.Memberships) {
    if (
      membership.Action === 'add' &&
      !index.groups.has(membership.GroupName) &&
      !creatable.has(membership.GroupName)
    ) {
      counts.membershipsToAdd -= 1;
      counts.cannotSetBack += 1;
      membership.CannotSetBack = CANNOT_SET_BACK.noGroup;
    }
  }
  return plan;
}

export async function writePlan(work: S3Work, plan: RepairPlan, secret: Buffer): Promise<string> {
  await putChunk(work, planSecretKey(plan.UserPoolId, plan.PlanId), secret.toString('base64'));
  const key = planKey(plan.UserPoolId, plan.PlanId);
  await putChunk(work, key, JSON.stringify(plan));
  return key;
}

export class PlanNotFoundError extends Error {
  override readonly name = 'PlanNotFoundError';
}

export async function readPlan(
  work: S3Work,
  userPoolId: string,
  planId: string,
): Promise<{ plan: RepairPlan; secret: Buffer }> {
  let text: string;
  let secretText: string;
  try {
    [text, secretText] = await Promise.all([
      getText(work, planKey(userPoolId, planId)),
      getText(work, planSecretKey(userPoolId, planId)),
    ]);
  } catch (error) {
    throw new PlanNotFoundError(
      `The repair plan ${planId} of the user pool ${userPoolId} cannot be read (${errorName(error)}): ` +
        `check the plan id (the name of the planning execution), or plan again.`,
      { cause: error },
    );
  }
  return { plan: JSON.parse(text) as RepairPlan, secret: Buffer.from(secretText, 'base64') };
}
