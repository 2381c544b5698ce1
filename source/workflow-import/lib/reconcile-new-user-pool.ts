// SPDX-License-Identifier: Apache-2.0
/**
 * reconcile-new-user-pool: the last step of every import. It proves the restore or fails it.
 *
 * 1. List: the new pool's users (ListUsers) and groups with their members (ListGroups,
 *    ListUsersInGroup) into chunk objects (see pool-index.ts). Both listings run at once.
 * 2. Scan: the recovery point page by page (recovery-point.ts: the backup table's Scan, or the export
 *    an `AsOf` or `Snapshot` restore reads, with a cursor). Every backed-up user is looked up in
 *    the new pool; a disabled user found enabled is disabled (AdminDisableUser), an enabled one found
 *    disabled is enabled (AdminEnableUser), a membership of a present user that the pool lacks is added
 *    (AdminAddUserToGroup). A user whose attributes' keyed hash differs from its backup item's is read
 *    (AdminGetUser) and set right (AdminUpdateUserAttributes, AdminDeleteUserAttributes; see
 *    user-contents.ts); what cannot be set right makes its report row `differs`, with the reason and
 *    the attribute names. A membership that names its user
 *    by a name the new pool does not know is looked up through its user's `sub` (member-names.ts:
 *    tables written by v1.0.10 name some members by their old Username). Each page writes its rows of the
 *    restore report as one chunk.
 * 3. Report: the chunks become one CSV, `restore-reports/<NewUserPoolId>/<execution start>.csv`, one
 *    row per backed-up user: `oldSub,newSub,username,outcome,reason,signIn`. Users absent from the pool
 *    take their outcome from the restore ledger (`skipped` with a reason) or are `missing`. `signIn` is
 *    how a restored user signs in again: `reset-password` ("forgot password" with a code sent to a
 *    verified e-mail address or phone number: every CSV-imported user, and the AdminCreateUser ones that
 *    got a password nobody knows) or `administrator` (created without a password: an administrator
 *    sets one). A new sub on more than one row would tell an application to merge two users' data: it
 *    is an error.
 *
 * Every step stops while the Lambda's time budget allows a clean return and gives back a cursor; the
 * cursor (tokens, a table key, counts) is the state, the bulk stays in S3. A retried invocation starts
 * from the same cursor and overwrites the same chunk numbers, so nothing is counted twice.
 *
 * The restore is complete when every backed-up user is present or skipped with a reason, every group
 * exists, every membership of a present user is in place, and every present user has its backed-up
 * attributes (apart from those Cognito sets itself and the execution input's `DropAttributes`) and
 * enabled flag.
 */
import {
  AdminAddUserToGroupCommand,
  AdminDeleteUserAttributesCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  DescribeUserPoolCommand,
  UpdateGroupCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { stringify } from 'csv-stringify/sync';
import type { RateLimitedCognito } from '../../utils/cognito';
import { TaskGroup } from '../../utils/concurrency';
import type { Logger } from '../../utils/logger';
import type { RecoveryPointSource, SourceCursor } from '../../utils/recovery-point';
import type { ExportCursor } from '../../utils/table-export';
import { errorName } from '../../utils/errors';
import type { TimeBudget } from '../../utils/time-budget';
import {
  chunkKey,
  getText,
  listGroupsStep,
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
import { withMemberSignInNames } from './member-names';
import { readLedger, type LedgerEntry, type SignInStep } from './restore-ledger';
import type { BackupGroupItem, BackupItem, BackupMembershipItem, BackupUserItem, TableKey } from './types';
import { userSub } from './user-csv';
import {
  canonicalAttributes,
  differenceReason,
  planContents,
  targetSchema,
  type Attributes,
  type TargetSchema,
} from './user-contents';

export const REPORT_PREFIX = 'restore-reports/';
export const REPORT_HEADER = 'oldSub,newSub,username,outcome,reason,signIn\n';

/** `differs`: in the new pool, but with attributes or an enabled flag the reconciliation could not set right. */
export type Outcome = 'csv-import' | 'admin-create' | 'skipped' | 'missing' | 'differs';

export interface ReconcileCounts {
  users: number;
  csvImport: number;
  adminCreate: number;
  /** Of `adminCreate`: users without a password, for whom an administrator must set one. */
  adminCreateNeedsPassword: number;
  skipped: number;
  missing: number;
  groups: number;
  groupsMissing: number;
  memberships: number;
  membershipsAdded: number;
  /** Memberships not in place: of present users (the add failed) or of missing users. */
  membershipsMissing: number;
  /** Memberships of users skipped with a reason (listed through their user's row). */
  membershipsOfSkippedUsers: number;
  disabledUsers: number;
  disabledApplied: number;
  /** Disabled users present in the new pool and still enabled. */
  disabledMissing: number;
  /** Users whose attributes the reconciliation set to the backup's. */
  attributesFixed: number;
  /** Users whose attributes still differ from the backup's. */
  attributesDiffer: number;
  /** Users enabled in the backup that the reconciliation found disabled and enabled. */
  enabledFixed: number;
  /** Users enabled in the backup and still disabled. */
  enabledMissing: number;
  /** Groups whose description or precedence the reconciliation set to the backup's (UpdateGroup). */
  groupsFixed: number;
  /** Groups whose description or precedence still differ from the backup's. */
  groupsDiffer: number;
  /**
   * Groups without their backed-up IAM role (or with another): counted and logged, not a failure, as
   * when the import creates a group whose role cannot be passed to Cognito.
   */
  groupRolesDiffer: number;
}

export const emptyCounts = (): ReconcileCounts => ({
  users: 0,
  csvImport: 0,
  adminCreate: 0,
  adminCreateNeedsPassword: 0,
  skipped: 0,
  missing: 0,
  groups: 0,
  groupsMissing: 0,
  memberships: 0,
  membershipsAdded: 0,
  membershipsMissing: 0,
  membershipsOfSkippedUsers: 0,
  disabledUsers: 0,
  disabledApplied: 0,
  disabledMissing: 0,
  attributesFixed: 0,
  attributesDiffer: 0,
  enabledFixed: 0,
  enabledMissing: 0,
  groupsFixed: 0,
  groupsDiffer: 0,
  groupRolesDiffer: 0,
});

export interface ReconcileCursor {
  Phase: 'List' | 'Scan' | 'Report';
  Users: UsersCursor;
  Groups: GroupsCursor;
  LastEvaluatedKey?: TableKey;
  /** Where the comparison stands in an export (`AsOf`, `Snapshot`). */
  ExportCursor?: ExportCursor;
  Pages: number;
  Counts: ReconcileCounts;
}

export const newCursor = (): ReconcileCursor => ({
  Phase: 'List',
  Users: newUsersCursor(),
  Groups: newGroupsCursor(),
  Pages: 0,
  Counts: emptyCounts(),
});

export interface RestoreReport {
  Bucket: string;
  Key: string;
  Counts: ReconcileCounts;
  /** The recovery point the new pool was compared with (the live table, a time, a snapshot). */
  RecoveryPoint: string;
}

export type ReconcileOutput =
  | { ReconcileDone: false; Reconcile: ReconcileCursor }
  | { ReconcileDone: true; RestoreComplete: true; RestoreReport: RestoreReport }
  | {
      ReconcileDone: true;
      RestoreComplete: false;
      RestoreReport: RestoreReport;
      Error: 'RestoreIncomplete';
      Cause: string;
    };

export interface ReconcileConfig {
  tableName: string;
  typeUser: string;
  typeGroup: string;
  typeTimestamp: string;
  cognitoTps: number;
}

export interface ReconcileDeps {
  cognito: RateLimitedCognito;
  /** The recovery point the restore reads. */
  source: RecoveryPointSource;
  work: S3Work;
  logger: Logger;
  budget: TimeBudget;
  config: ReconcileConfig;
}

export interface RunId {
  /** Execution name: the work objects of this run. */
  execution: string;
  /** Execution start time: the report's name. */
  startTime: string;
}

/** `restore-reports/<pool>/<start time, colons as hyphens>.csv`. */
export function reportKey(userPoolId: string, startTime: string): string {
  const stamp = startTime.replace(/[^0-9A-Za-z.-]/g, '-');
  return `${REPORT_PREFIX}${userPoolId}/${stamp}.csv`;
}

/**
 * The exact execution input that resumes this restore: with the recovery point it named (`AsOf` or
 * `Snapshot`), so that the resumed execution reads the same one.
 */
export const resumeInput = (userPoolId: string, recoveryPoint: Record<string, string> = {}): string =>
  JSON.stringify({ NewUserPoolId: userPoolId, ...recoveryPoint, Resume: true });

/** The report would map two backed-up users to one restored user: never a success, and never silent. */
export class DuplicateNewSubError extends Error {
  override readonly name = 'DuplicateNewSubError';
}

/** The failure message: what is missing (counts only) and how to finish. */
export function incompleteMessage(
  userPoolId: string,
  counts: ReconcileCounts,
  location: string,
  recoveryPoint: Record<string, string> = {},
): string {
  const parts: string[] = [];
  if (counts.missing > 0) parts.push(`${counts.missing} of ${counts.users} backed-up users missing`);
  if (counts.groupsMissing > 0) parts.push(`${counts.groupsMissing} of ${counts.groups} groups missing`);
  if (counts.membershipsMissing > 0)
    parts.push(`${counts.membershipsMissing} of ${counts.memberships} group memberships missing`);
  if (counts.disabledMissing > 0)
    parts.push(`${counts.disabledMissing} of ${counts.disabledUsers} disabled users still enabled`);
  if (counts.groupsDiffer > 0)
    parts.push(`${counts.groupsDiffer} groups whose description or precedence differ from the backup`);
  if (counts.enabledMissing > 0) parts.push(`${counts.enabledMissing} enabled users still disabled`);
  if (counts.attributesDiffer > 0)
    parts.push(`${counts.attributesDiffer} users whose attributes differ from the backup`);
  const differs =
    counts.attributesDiffer + counts.enabledMissing > 0
      ? 'Rows with the outcome differs name the attributes and why they could not be set (e.g. an ' +
        'attribute the new pool lacks: add it to the pool, or start again with DropAttributes). '
      : '';
  return (
    `The restore into the user pool ${userPoolId} is incomplete: ${parts.join(', ')}. ` +
    `The restore report (${location}) lists every backed-up user with its outcome. ${differs}` +
    `To finish, start the ImportWorkflow again with the input ${resumeInput(userPoolId, recoveryPoint)}: ` +
    'it keeps what is in the pool, imports the rest and reconciles again.'
  );
}

export const isComplete = (counts: ReconcileCounts): boolean =>
  counts.missing === 0 &&
  counts.groupsMissing === 0 &&
  counts.membershipsMissing === 0 &&
  counts.disabledMissing === 0 &&
  counts.attributesDiffer === 0 &&
  counts.enabledMissing === 0 &&
  counts.groupsDiffer === 0;

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

/** The old `sub` of a backed-up user: its `sub` attribute, else the item id after `USER-`. */
export function oldSubOf(item: BackupUserItem): string {
  return userSub(item) ?? (typeof item.id === 'string' ? item.id.replace(/^USER-/, '') : '');
}

export interface ReportRow {
  oldSub: string;
  newSub: string;
  username: string;
  outcome: Outcome;
  reason: string;
  signIn: SignInStep | '';
}

/** A report row as a page chunk keeps it: `[oldSub, newSub, username, outcome, reason, signIn]`. */
type ReportTuple = [string, string, string, Outcome, string, SignInStep | ''];

const tupleOf = (row: ReportRow): ReportTuple => [
  row.oldSub,
  row.newSub,
  row.username,
  row.outcome,
  row.reason,
  row.signIn,
];

/** The new subs that more than one row names (an empty newSub names nobody). */
export function repeatedNewSubs(tuples: readonly ReportTuple[]): number {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const [, newSub] of tuples) {
    if (newSub === '') continue;
    if (seen.has(newSub)) repeated.add(newSub);
    seen.add(newSub);
  }
  return repeated.size;
}

export const reportLines = (tuples: readonly ReportTuple[]): string =>
  tuples.length === 0 ? '' : stringify([...tuples], { record_delimiter: '\n' });

/**
 * A user to set right: its backed-up attributes when their hash differs (`attributes`), AdminEnableUser
 * when the backup has it enabled and the pool disabled (`enable`). `row` is its report row, made
 * `differs` when something is left.
 */
interface UserFix {
  kind: 'user';
  username: string;
  row: ReportRow;
  attributes?: Attributes;
  ignore: ReadonlySet<string>;
  enable: boolean;
}

/** A group whose description or precedence differ: UpdateGroup with the backed-up values. */
interface GroupFix {
  kind: 'group';
  groupName: string;
  description: string;
  precedence: number | null;
}

type Fix =
  | { kind: 'disable'; username: string }
  | { kind: 'add'; username: string; groupName: string }
  | UserFix
  | GroupFix;

/**
 * A backed-up group against the new pool's (its ListGroups details): the fix for its description and
 * precedence, if any. A precedence the backup lacks cannot be taken away with UpdateGroup: it stays
 * counted as differing. Counts `groupsDiffer` (until the fix succeeds) and `groupRolesDiffer`.
 */
function compareGroup(
  item: BackupGroupItem,
  details: GroupDetails | undefined,
  counts: ReconcileCounts,
): GroupFix | undefined {
  if (details === undefined || !nonEmpty(item.groupName)) return undefined;
  const [, description, precedence, roleArn] = details;
  const backupDescription = typeof item.groupDescription === 'string' ? item.groupDescription : '';
  const backupPrecedence =
    typeof item.groupPrecedence === 'number' && item.groupPrecedence >= 0 ? item.groupPrecedence : null;
  const backupRole = nonEmpty(item.groupRoleArn) ? item.groupRoleArn : null;
  if (backupRole !== (roleArn ?? null)) counts.groupRolesDiffer += 1;
  if (backupDescription === (description ?? '') && backupPrecedence === precedence) return undefined;
  counts.groupsDiffer += 1;
  if (backupPrecedence === null && precedence !== null) return undefined;
  return {
    kind: 'group',
    groupName: item.groupName,
    description: backupDescription,
    precedence: backupPrecedence,
  };
}

/**
 * Compares one page of backup items with the pool: the report rows, the fixes to apply and the
 * counts (`membershipsMissing` and `disabledMissing` count the fixes until they succeed).
 */
export function comparePage(
  items: readonly BackupItem[],
  index: PoolIndex,
  ledger: ReadonlyMap<string, LedgerEntry>,
  config: Pick<ReconcileConfig, 'typeUser' | 'typeGroup' | 'typeTimestamp'>,
  counts: ReconcileCounts,
  /** Attribute names not compared (the execution input's `DropAttributes`). */
  ignore: ReadonlySet<string> = new Set(),
): { rows: ReportRow[]; fixes: Fix[] } {
  const rows: ReportRow[] = [];
  const fixes: Fix[] = [];
  for (const raw of items) {
    if (raw.type === config.typeTimestamp) continue;
    if (raw.type === config.typeGroup) {
      const item = raw as BackupGroupItem;
      const name = item.groupName;
      counts.groups += 1;
      if (!nonEmpty(name) || !index.groups.has(name)) counts.groupsMissing += 1;
      else {
        const fix = compareGroup(item, index.groupDetails.get(name), counts);
        if (fix !== undefined) fixes.push(fix);
      }
      continue;
    }
    if (raw.type === config.typeUser) {
      const item = raw as BackupUserItem;
      const oldSub = oldSubOf(item);
      const username = nonEmpty(item.pseudoUsername) ? item.pseudoUsername : '';
      const entry = ledger.get(oldSub);
      const user = username === '' ? undefined : index.find(username);
      counts.users += 1;
      const disabled = !item.userEnabled;
      if (disabled) counts.disabledUsers += 1;
      if (user !== undefined) {
        const adminCreated = entry?.outcome === 'admin-create';
        counts[adminCreated ? 'adminCreate' : 'csvImport'] += 1;
        // Ledger lines written before `signIn` existed are users created without a password.
        const signIn = adminCreated ? (entry.signIn ?? 'administrator') : 'reset-password';
        if (signIn === 'administrator') counts.adminCreateNeedsPassword += 1;
        const row: ReportRow = {
          oldSub,
          newSub: user.sub,
          username,
          outcome: adminCreated ? 'admin-create' : 'csv-import',
          reason: adminCreated ? entry.reason : '',
          signIn,
        };
        rows.push(row);
        if (disabled && user.enabled) {
          counts.disabledMissing += 1;
          fixes.push({ kind: 'disable', username: user.username });
        }
        const fix: UserFix = {
          kind: 'user',
          username: user.username,
          row,
          ignore,
          enable: !disabled && !user.enabled,
        };
        if (user.attributesKey !== undefined) {
          const attributes = canonicalAttributes(item.userAttributes, ignore);
          if (index.attributesKey(attributes) !== user.attributesKey) {
            counts.attributesDiffer += 1;
            fix.attributes = attributes;
          }
        }
        if (fix.enable) counts.enabledMissing += 1;
        if (fix.enable || fix.attributes) fixes.push(fix);
      } else if (entry?.outcome === 'skipped') {
        counts.skipped += 1;
        rows.push({
          oldSub,
          newSub: '',
          username: username || entry.username,
          outcome: 'skipped',
          reason: entry.reason,
          signIn: '',
        });
      } else {
        counts.missing += 1;
        rows.push({ oldSub, newSub: '', username, outcome: 'missing', reason: '', signIn: '' });
      }
      continue;
    }
    const membership = raw as BackupMembershipItem;
    if (!nonEmpty(membership.groupName) || !nonEmpty(membership.groupPseudoUsername)) continue;
    counts.memberships += 1;
    const user = index.find(membership.groupPseudoUsername);
    if (user === undefined) {
      const entry = nonEmpty(membership.groupUser) ? ledger.get(membership.groupUser) : undefined;
      counts[entry?.outcome === 'skipped' ? 'membershipsOfSkippedUsers' : 'membershipsMissing'] += 1;
      continue;
    }
    if (index.isMember(membership.groupName, user.username)) continue;
    counts.membershipsMissing += 1;
    if (index.groups.has(membership.groupName))
      fixes.push({ kind: 'add', username: user.username, groupName: membership.groupName });
  }
  return { rows, fixes };
}

async function applyFixes(
  deps: ReconcileDeps,
  userPoolId: string,
  fixes: readonly Fix[],
  counts: ReconcileCounts,
): Promise<void> {
  if (fixes.length === 0) return;
  const group = new TaskGroup(Math.max(1, Math.min(20, deps.config.cognitoTps * 2)));
  const failed: Record<string, number> = {};
  let schema: Promise<TargetSchema> | undefined;
  const schemaOf = (): Promise<TargetSchema> =>
    (schema ??= deps.cognito
      .send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }), { deadline: deps.budget.deadline() })
      .then((described) => targetSchema(described.UserPool?.SchemaAttributes)));
  for (const fix of fixes) {
    await group.add(async () => {
      if (fix.kind === 'user') {
        await fixUser(deps, userPoolId, fix, counts, schemaOf, failed);
        return;
      }
      if (fix.kind === 'group') {
        try {
          // The role is left as it is (naming it would pass it to Cognito again).
          await deps.cognito.send(
            new UpdateGroupCommand({
              UserPoolId: userPoolId,
              GroupName: fix.groupName,
              Description: fix.description,
              ...(fix.precedence !== null ? { Precedence: fix.precedence } : {}),
            }),
            { deadline: deps.budget.deadline() },
          );
          counts.groupsDiffer -= 1;
          counts.groupsFixed += 1;
        } catch (error) {
          const key = `UpdateGroup:${errorName(error)}`;
          failed[key] = (failed[key] ?? 0) + 1;
        }
        return;
      }
      try {
        if (fix.kind === 'disable') {
          await deps.cognito.send(
            new AdminDisableUserCommand({ UserPoolId: userPoolId, Username: fix.username }),
            { deadline: deps.budget.deadline() },
          );
          counts.disabledMissing -= 1;
          counts.disabledApplied += 1;
        } else {
          await deps.cognito.send(
            new AdminAddUserToGroupCommand({
              UserPoolId: userPoolId,
              Username: fix.username,
              GroupName: fix.groupName,
            }),
            { deadline: deps.budget.deadline() },
          );
          counts.membershipsMissing -= 1;
          counts.membershipsAdded += 1;
        }
      } catch (error) {
        // Counted as still missing: the workflow fails and says how to finish.
        const key = `${fix.kind === 'disable' ? 'AdminDisableUser' : 'AdminAddUserToGroup'}:${errorName(error)}`;
        failed[key] = (failed[key] ?? 0) + 1;
      }
    });
  }
  await group.drain();
  if (Object.keys(failed).length > 0)
    deps.logger.warn('Some memberships, enabled flags or attributes could not be applied', { failed });
}

/**
 * Sets one user right: enables it, then reads it and sends the planned attribute calls. What is left
 * makes its report row `differs` with the reason (attribute names and error names only).
 */
async function fixUser(
  deps: ReconcileDeps,
  userPoolId: string,
  fix: UserFix,
  counts: ReconcileCounts,
  schemaOf: () => Promise<TargetSchema>,
  failed: Record<string, number>,
): Promise<void> {
  const retry = () => ({ deadline: deps.budget.deadline() });
  const reasons: string[] = [];
  const target = { UserPoolId: userPoolId, Username: fix.username };
  const fail = (step: string, error: unknown, code: string): void => {
    const key = `${step}:${errorName(error)}`;
    failed[key] = (failed[key] ?? 0) + 1;
    reasons.push(`${code}-${errorName(error)}`);
  };
  if (fix.enable) {
    try {
      await deps.cognito.send(new AdminEnableUserCommand(target), retry());
      counts.enabledMissing -= 1;
      counts.enabledFixed += 1;
    } catch (error) {
      fail('AdminEnableUser', error, 'enable-failed');
    }
  }
  if (fix.attributes !== undefined) {
    const backup = fix.attributes;
    let step = 'AdminGetUser';
    try {
      const [user, schema] = await Promise.all([
        deps.cognito.send(new AdminGetUserCommand(target), retry()),
        schemaOf(),
      ]);
      const plan = planContents(backup, canonicalAttributes(user.UserAttributes, fix.ignore), schema);
      for (const attributes of plan.updates) {
        step = 'AdminUpdateUserAttributes';
        await deps.cognito.send(
          new AdminUpdateUserAttributesCommand({ ...target, UserAttributes: attributes }),
          retry(),
        );
      }
      if (plan.deletes.length > 0) {
        step = 'AdminDeleteUserAttributes';
        await deps.cognito.send(
          new AdminDeleteUserAttributesCommand({ ...target, UserAttributeNames: plan.deletes }),
          retry(),
        );
      }
      if (plan.unfixable.size > 0) reasons.push(differenceReason(plan.unfixable));
      else {
        counts.attributesDiffer -= 1;
        if (plan.updates.length + plan.deletes.length > 0) counts.attributesFixed += 1;
      }
    } catch (error) {
      fail(step, error, 'attribute-update-failed');
    }
  }
  if (reasons.length > 0) {
    fix.row.outcome = 'differs';
    fix.row.reason = reasons.join('; ');
  }
}

const location = (deps: ReconcileDeps, key: string): string => `s3://${deps.work.bucket}/${key}`;

/** One invocation: advances the cursor while the time budget allows. */
export interface ReconcileInput {
  userPoolId: string;
  /** Attribute names restored knowingly without (the execution input's `DropAttributes`). */
  dropAttributes?: readonly string[];
  run: RunId;
  /** The cursor the previous invocation returned; absent on the first. */
  start: ReconcileCursor | undefined;
  /** The execution input's fields that name the recovery point, for the resume input. */
  recoveryPoint?: Record<string, string>;
}

export async function reconcile(
  { userPoolId, run, start, dropAttributes, recoveryPoint }: ReconcileInput,
  deps: ReconcileDeps,
): Promise<ReconcileOutput> {
  const { logger, work, config } = deps;
  // A cursor of an earlier version past its listing carries chunks of another format (without the
  // identities' or the attributes' hashes): start again (the comparison applies only what is still
  // missing, so nothing is done twice). One in its listing restarts the users' listing (listUsersStep).
  const current =
    start !== undefined &&
    (start.Phase === 'List' ||
      (start.Users.UsernameAttributes !== undefined && start.Users.Contents === true));
  const cursor: ReconcileCursor = structuredClone(current ? start : newCursor());
  // Counts added since the cursor was written start at zero.
  cursor.Counts = { ...emptyCounts(), ...cursor.Counts };
  const ignore = new Set(dropAttributes ?? []);
  const users = workPrefix(userPoolId, run.execution, 'reconcile-users');
  const groups = workPrefix(userPoolId, run.execution, 'reconcile-groups');
  const report = workPrefix(userPoolId, run.execution, 'reconcile-report');
  const stepDeps = { cognito: deps.cognito, work, budget: deps.budget };

  if (cursor.Phase === 'List') {
    const [listedUsers, listedGroups] = await Promise.allSettled([
      // Its own line when the users are listed: the groups' listing may take longer (a large group's
      // pages come one after the other), and operators compare each with its bound.
      listUsersStep(stepDeps, userPoolId, users, cursor.Users, { ignore }).then((listed) => {
        logger.info('New user pool users listed', { usersDone: listed.Done, chunks: listed.Chunks });
        return listed;
      }),
      listGroupsStep(stepDeps, userPoolId, groups, cursor.Groups),
    ]);
    if (listedUsers.status === 'rejected') throw listedUsers.reason;
    if (listedGroups.status === 'rejected') throw listedGroups.reason;
    cursor.Users = listedUsers.value;
    cursor.Groups = listedGroups.value;
    logger.info('New user pool listed', {
      usersDone: cursor.Users.Done,
      groupsDone: cursor.Groups.Done,
      chunks: cursor.Users.Chunks + cursor.Groups.Chunks,
    });
    if (!(cursor.Users.Done && cursor.Groups.Done)) return { ReconcileDone: false, Reconcile: cursor };
    cursor.Phase = 'Scan';
    if (!deps.budget.hasTime()) return { ReconcileDone: false, Reconcile: cursor };
  }

  if (cursor.Phase === 'Scan') {
    const [index, ledger] = await Promise.all([
      PoolIndex.load(
        work,
        { prefix: users, chunks: cursor.Users.Chunks },
        { prefix: groups, chunks: cursor.Groups.Chunks },
      ),
      readLedger({ s3: work.s3, bucket: work.bucket, logger }, userPoolId),
    ]);
    logger.info('Comparing the backup table with the new user pool', {
      poolUsers: index.users,
      poolGroups: index.groups.size,
      ledgerUsers: ledger.size,
      recoveryPoint: deps.source.description,
    });
    let more = true;
    let membersNamedBySub = 0;
    const start: SourceCursor | undefined = cursor.ExportCursor
      ? { ExportCursor: cursor.ExportCursor }
      : cursor.LastEvaluatedKey
        ? { LastEvaluatedKey: cursor.LastEvaluatedKey }
        : undefined;
    const pages = deps.source.pages(start, Math.max(100, config.cognitoTps * 40));
    try {
      while (more) {
        const next = await pages.next();
        if (next.done === true) break;
        const page = next.value;
        const named = await withMemberSignInNames(
          deps.source,
          page.items,
          (name) => index.find(name) !== undefined,
        );
        membersNamedBySub += named.resolved;
        const { rows, fixes } = comparePage(named.items, index, ledger, config, cursor.Counts, ignore);
        // The rows are written after the fixes: a user that could not be set right is reported `differs`.
        await applyFixes(deps, userPoolId, fixes, cursor.Counts);
        await putChunk(work, chunkKey(report, cursor.Pages), rows.map(tupleOf));
        cursor.Pages += 1;
        delete cursor.LastEvaluatedKey;
        delete cursor.ExportCursor;
        if (page.next !== undefined) Object.assign(cursor, page.next);
        more = page.next !== undefined;
        if (!deps.budget.hasTime()) break;
      }
    } finally {
      await pages.return(undefined);
    }
    logger.info('Backup table compared', {
      pages: cursor.Pages,
      done: !more,
      counts: cursor.Counts,
      membersNamedBySub,
    });
    if (more) return { ReconcileDone: false, Reconcile: cursor };
    cursor.Phase = 'Report';
  }

  const key = reportKey(userPoolId, run.startTime);
  const tuples: ReportTuple[] = [];
  for (let page = 0; page < cursor.Pages; page += 1)
    tuples.push(...(JSON.parse(await getText(work, chunkKey(report, page))) as ReportTuple[]));
  await putChunk(work, key, REPORT_HEADER + reportLines(tuples));
  const repeated = repeatedNewSubs(tuples);
  if (repeated > 0) {
    throw new DuplicateNewSubError(
      `The restore report (${location(deps, key)}) gives ${repeated} new subs to more than one backed-up ` +
        'user: backed-up users share a sign-in name and the new pool holds one user for them. Do not re-key ' +
        'application data with this report (one account would receive the data of several users): decide ' +
        'for each such user which account is hers, then restore the others.',
    );
  }
  const restoreReport: RestoreReport = {
    Bucket: work.bucket,
    Key: key,
    Counts: cursor.Counts,
    RecoveryPoint: deps.source.description,
  };
  const complete = isComplete(cursor.Counts);
  logger.info('Restore report written', {
    key,
    complete,
    counts: cursor.Counts,
    recoveryPoint: deps.source.description,
  });
  if (complete) return { ReconcileDone: true, RestoreComplete: true, RestoreReport: restoreReport };
  return {
    ReconcileDone: true,
    RestoreComplete: false,
    RestoreReport: restoreReport,
    Error: 'RestoreIncomplete',
    Cause: incompleteMessage(userPoolId, cursor.Counts, location(deps, key), recoveryPoint),
  };
}
