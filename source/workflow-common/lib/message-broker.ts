// SPDX-License-Identifier: Apache-2.0
/**
 * The workflows' notifier: the error path publishes every failure; the cleanup path
 * records the export timestamp and announces success when the SNS preference asks for it. Both send
 * the anonymous operational metric when it is enabled.
 */
import { PublishCommand, type PublishCommandInput, type SNSClient } from '@aws-sdk/client-sns';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Now } from '../../utils/time';
import type { BackupMetricValues } from '../../utils/backup-metrics';
import { scrub, type Logger } from '../../utils/logger';
import { errorMessage, errorName } from '../../utils/errors';
import { workflowName, type SfnContextObject } from '../../utils/step-functions';
import {
  CLEANUP_STATE,
  ERROR_HANDLER_STATES,
  LEGACY_ERROR_HANDLER_STATES,
  EXPORT_WORKFLOW,
  IMPORT_WORKFLOW,
  REPAIR_WORKFLOW,
  type MessageBrokerEvent,
  type MessageBrokerInput,
} from './types';

export const LATEST_EXPORT_TIMESTAMP_ID = 'latest-export-timestamp';

/**
 * The item that remembers a workflow's last published notification, one per workflow and Region (the
 * table is global: an import may run in each Region). Its `type` is `TYPE_TIMESTAMP`, which the import
 * skips like the latest export timestamp; it has no `lastConfirmedInUserPool`, so the export's cleanup
 * neither counts nor deletes it.
 */
export const notificationMarkerId = (workflow: string, region: string): string =>
  `latest-notification-${workflow}-${region}`;

/** The workflows that have a notification marker (the broker role may write exactly theirs). */
export const MARKED_WORKFLOWS: readonly string[] = [EXPORT_WORKFLOW, IMPORT_WORKFLOW];

export type SnsPreference = 'INFO_AND_ERRORS' | 'ERRORS_ONLY';

export interface MessageBrokerConfig {
  tableName: string;
  typeTimestamp: string;
  snsPreference: SnsPreference;
  isPrimaryRegion: string;
  topicArn: string;
  region: string;
  /** Days the bucket's lifecycle keeps a restore report (`RestoreReportRetentionDays`). */
  reportRetentionDays?: number;
}

export interface MessageBrokerDeps {
  sns: SNSClient;
  ddb: DynamoDBDocumentClient;
  logger: Logger;
  now: Now;
  config: MessageBrokerConfig;
  /** Sends the anonymous metric when enabled; never throws. */
  sendMetric(data: Record<string, unknown>): Promise<unknown>;
  /** Puts the backup's CloudWatch metrics (`putBackupMetrics`); never throws. */
  putMetrics(values: BackupMetricValues): Promise<unknown>;
}

/**
 * Raised when the error notification itself could not be published. Its message carries both the
 * publish failure and the workflow's own error, so the failed execution still shows what went wrong
 * first (the original let the SNS error replace it).
 */
export class NotificationFailedError extends Error {
  override readonly name = 'NotificationFailedError';
}

/**
 * (EnteredTime − StartTime) in seconds. A missing or unreadable EnteredTime is "now" (the original
 * reported NaN); an unreadable StartTime gives 0 rather than a meaningless number.
 */
export function executionSeconds(context: SfnContextObject, now: Now): number {
  const start = Date.parse(context.Execution?.StartTime ?? '');
  if (Number.isNaN(start)) return 0;
  const entered = Date.parse(context.State?.EnteredTime ?? '');
  return ((Number.isNaN(entered) ? now() : entered) - start) / 1000;
}

/** The workflow error from the Catch payload: the parsed Cause, the raw Cause, or "Unknown". */
export function workflowError(input: MessageBrokerInput | undefined): unknown {
  const cause = input?.Cause;
  if (!cause) return 'Unknown';
  if (typeof cause !== 'string') return cause;
  try {
    return JSON.parse(cause);
  } catch {
    return cause.trim() === '' ? 'Unknown' : cause;
  }
}

const pretty = (value: unknown): string => JSON.stringify(value, null, 2);

/**
 * The context as a notification prints it: a RepairWorkflow input's `Scope.Usernames` names users, so
 * only their count is printed (group names are not personal data).
 */
export function printableContext(context: SfnContextObject): SfnContextObject {
  const input = context.Execution?.Input as { Scope?: { Usernames?: unknown } } | undefined;
  const usernames = input?.Scope?.Usernames;
  if (!Array.isArray(usernames)) return context;
  return {
    ...context,
    Execution: {
      ...context.Execution,
      Input: { ...input, Scope: { Usernames: [`<${usernames.length} usernames>`] } },
    },
  };
}

const printed = (context: SfnContextObject): string => pretty(printableContext(context));

/** A refusal the workflows make on purpose: what the notification calls it and what to do next. */
export interface ExpectedRefusal {
  /** Short, for the subject line: "<workflow> stopped: <title>". */
  title: string;
  advice: string;
}

/**
 * The expected refusals, by the `Error` name the error handler receives. They are announced as
 * what they are; every other error is "unexpected".
 */
export const EXPECTED_REFUSALS: Readonly<Record<string, ExpectedRefusal>> = {
  AnotherExecutionRunning: {
    title: 'another execution is running',
    advice:
      'Nothing was changed. Wait for the running execution to end, then start this workflow again if needed.',
  },
  MassDeletionRefusedError: {
    title: 'mass deletion refused',
    advice:
      'The backup table keeps every item, including the stale ones. Check the user pool first: if users were ' +
      'deleted by mistake, restore them with the ImportWorkflow; the next scheduled export is refused again ' +
      'until the pool is back within the allowance or a manual execution allows the deletion.',
  },
  UnsupportedUserPoolError: {
    title: 'unsupported user pool',
    advice:
      'Nothing was exported; the backup table is unchanged. Change the user pool configuration back to a supported one.',
  },
  NewUserPoolNotEmpty: {
    title: 'the new user pool is not empty',
    advice:
      'Nothing was imported. Create a new, empty user pool and start the ImportWorkflow again with its ID; ' +
      'if this pool holds an interrupted restore of this backup, resume it instead (below).',
  },
  NewUserPoolRefusedError: {
    title: 'the new user pool is refused',
    advice:
      'Nothing was imported. Start the ImportWorkflow again with the ID of a new, empty user pool of this Region.',
  },
  TargetPoolRefusedError: {
    title: 'the new user pool would lose data',
    advice:
      'Nothing was imported. Create a user pool that fits the backup as listed above (Cognito cannot add username ' +
      'attributes or remove custom attributes later), or restore knowingly without the named custom attributes with ' +
      '"DropAttributes" in the input, then start the ImportWorkflow again.',
  },
  NewUserPoolUnreadableError: {
    title: 'the new user pool cannot be read',
    advice:
      'Nothing was imported. Check the user pool ID and that the pool is prepared as the README describes, then start the ImportWorkflow again.',
  },
  InvalidRecoveryPointError: {
    title: 'invalid recovery point',
    advice:
      'Nothing was imported. Start the ImportWorkflow again with "AsOf" as an ISO 8601 time with its offset, ' +
      '"Snapshot" as a snapshot id, or neither to restore the backup table as it is now.',
  },
  RecoveryPointRefusedError: {
    title: 'the recovery point is refused',
    advice:
      'Nothing was imported. Choose a time within the window given above, or a Snapshot, and start the ImportWorkflow again.',
  },
  RecoveryPointUnavailableError: {
    title: 'the recovery point cannot be read',
    advice:
      'Nothing was imported. Check the snapshot id or the export named above (README, "Choosing a recovery point"), ' +
      'then start the ImportWorkflow again.',
  },
  QueueNotEmptyError: {
    title: 'a workflow queue is not empty',
    advice:
      'Nothing was imported. Purge the queues named above (no other ImportWorkflow may be running), then start the ImportWorkflow again.',
  },
  PlanOutdatedError: {
    title: 'the repair plan is refused',
    advice:
      'Nothing was changed. Start the RepairWorkflow again without Apply to write a new plan, check it, then apply it.',
  },
  PlanNotFoundError: {
    title: 'the repair plan cannot be read',
    advice: 'Nothing was changed. Check the plan id (the name of the execution that planned), or plan again.',
  },
  InvalidRepairInputError: {
    title: 'invalid input',
    advice: 'Nothing was changed. Correct the input as the message says and start the RepairWorkflow again.',
  },
  InvalidOverrideError: {
    title: 'invalid AllowMassDeletion',
    advice:
      'Nothing was deleted. Start the ExportWorkflow again with {"AllowMassDeletion": true}, or without the field.',
  },
};

export function expectedRefusal(input: MessageBrokerInput | undefined): ExpectedRefusal | undefined {
  const name = input?.Error;
  return typeof name === 'string' && Object.hasOwn(EXPECTED_REFUSALS, name)
    ? EXPECTED_REFUSALS[name]
    : undefined;
}

/** The text of a workflow error: a Lambda error's message, or the Cause as given. */
function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null) {
    const message = (error as { errorMessage?: unknown }).errorMessage;
    if (typeof message === 'string') return message;
  }
  return JSON.stringify(error);
}

/** SNS subjects: one line, under 100 characters. */
function subject(text: string): string {
  const line = text.replace(/[\r\n\t]+/g, ' ');
  return line.length > 99 ? `${line.slice(0, 98)}…` : line;
}

export function refusalSubject(context: SfnContextObject, refusal: ExpectedRefusal): string {
  return subject(`${workflowName(context)} stopped: ${refusal.title}`);
}

export function refusalNotification(
  context: SfnContextObject,
  refusal: ExpectedRefusal,
  error: unknown,
): string {
  const resume = refusal === EXPECTED_REFUSALS.NewUserPoolNotEmpty ? resumeAdvice(context) : '';
  return (
    `The ${context.StateMachine.Name} stopped: ${refusal.title}.\n\n${errorText(error)}\n\n` +
    `This is a refusal the solution makes on purpose, not an unexpected error. ${refusal.advice}\n\n` +
    resume +
    `Execution details:\n${printed(context)}`
  );
}

/** The reconciliation's verdict on a restore with data missing (the Fail state's error name). */
export const RESTORE_INCOMPLETE = 'RestoreIncomplete';
/** The RepairWorkflow's check after an apply that left part of the plan undone. */
export const REPAIR_INCOMPLETE = 'RepairIncomplete';

/** A snapshot that ended the export could not be taken (TableSnapshotLambda's error name). */
export const SNAPSHOT_FAILED = 'SnapshotFailedError';

const FAILURE_TITLES: Readonly<Record<string, string>> = {
  [RESTORE_INCOMPLETE]: 'restore incomplete',
  [SNAPSHOT_FAILED]: 'snapshot failed',
  [REPAIR_INCOMPLETE]: 'repair incomplete',
};

export function errorSubject(context: SfnContextObject, input?: MessageBrokerInput): string {
  const name = input?.Error;
  const title = name !== undefined && Object.hasOwn(FAILURE_TITLES, name) ? FAILURE_TITLES[name] : undefined;
  return subject(`${workflowName(context)} failed: ${title ?? 'unexpected error'}`);
}

export const successSubject = (context: SfnContextObject, input?: MessageBrokerInput): string => {
  const removed = workflowName(context) === EXPORT_WORKFLOW ? cleanupCounts(input) : undefined;
  if (removed === undefined || staleTotal(removed) === 0) {
    return subject(`${workflowName(context)} completed successfully`);
  }
  return subject(
    `${workflowName(context)} completed: ${plural(removed.StaleUsers, 'user')}, ` +
      `${plural(removed.StaleGroups, 'group')}, ${plural(removed.StaleMemberships, 'membership')} ` +
      'removed from the backup',
  );
};

/** The export cleanup's counts (`CleanupCounts`, the last cleanup task's output), when the state has them. */
type Counts = Record<
  'Users' | 'StaleUsers' | 'Groups' | 'StaleGroups' | 'Memberships' | 'StaleMemberships',
  number
>;

function cleanupCounts(input: MessageBrokerInput | undefined): Counts | undefined {
  const counts: unknown = input?.CleanupCounts;
  if (typeof counts !== 'object' || counts === null) return undefined;
  const fields = counts as Record<string, unknown>;
  const names = ['Users', 'StaleUsers', 'Groups', 'StaleGroups', 'Memberships', 'StaleMemberships'] as const;
  if (!names.every((name) => Number.isSafeInteger(fields[name]))) return undefined;
  return counts as Counts;
}

const staleTotal = (counts: Counts): number =>
  counts.StaleUsers + counts.StaleGroups + counts.StaleMemberships;

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** A share as a person reads it: 100%, 12.5%, 0.1%. */
const share = (part: number, whole: number): string =>
  whole === 0 ? '0%' : `${Math.round((part / whole) * 1000) / 10}%`;

/**
 * What the export's cleanup removed from the backup, from the counts its scan took: counts only. The
 * stale items it counted are the ones it removed, because a run reaches this state only after "Remove
 * Items" drained the queue, and each delete spares only an item stamped since (none is: the run's
 * export phases are over and no other execution runs).
 */
export function cleanupSummary(input: MessageBrokerInput | undefined): string {
  const counts = cleanupCounts(input);
  if (counts === undefined) return '';
  const backedUp =
    `${plural(counts.Users, 'user')}, ${plural(counts.Groups, 'group')} and ` +
    plural(counts.Memberships, 'group membership');
  if (staleTotal(counts) === 0) {
    return `The backup cleanup removed nothing: the backup's ${backedUp} are all still in the user pool.\n\n`;
  }
  const override =
    input?.DeletionCheck === 'Overridden'
      ? ` The execution input allowed this beyond the mass-deletion guard's allowance (AllowMassDeletion).`
      : '';
  return (
    `The backup cleanup removed ${plural(counts.StaleUsers, 'user')} ` +
    `(${share(counts.StaleUsers, counts.Users)}), ${plural(counts.StaleGroups, 'group')} ` +
    `(${share(counts.StaleGroups, counts.Groups)}) and ${plural(counts.StaleMemberships, 'group membership')} ` +
    `(${share(counts.StaleMemberships, counts.Memberships)}) that are no longer in the user pool, ` +
    `of ${backedUp} in the backup before this run.${override}\n\n`
  );
}

/** The snapshot of the export (`Snapshot`, TableSnapshotLambda's output), when the state has a complete one. */
interface SnapshotSummaryFields {
  SnapshotId: string;
  ExportTime?: unknown;
  RetentionDays?: unknown;
  LockMode?: unknown;
  Exports?: unknown;
}

function completeSnapshot(input: MessageBrokerInput | undefined): SnapshotSummaryFields | undefined {
  const snapshot: unknown = input?.Snapshot;
  if (typeof snapshot !== 'object' || snapshot === null) return undefined;
  const fields = snapshot as Record<string, unknown>;
  if (typeof fields.SnapshotId !== 'string' || fields.Status !== 'COMPLETED') return undefined;
  return fields as unknown as SnapshotSummaryFields;
}

/**
 * The recovery point this export kept: the snapshot id (the restore input `"Snapshot"`), where each Region's
 * copy is, how long it is locked. Counts only.
 */
export function snapshotSummary(input: MessageBrokerInput | undefined): string {
  const snapshot = completeSnapshot(input);
  if (snapshot === undefined) return '';
  const exports = Array.isArray(snapshot.Exports) ? (snapshot.Exports as Record<string, unknown>[]) : [];
  const copies = exports
    .map(
      (entry) =>
        `- ${String(entry.Region)}: s3://${String(entry.Bucket)}/${String(entry.Prefix)}/` +
        (typeof entry.ItemCount === 'number' ? ` (${plural(entry.ItemCount, 'item')})` : ''),
    )
    .join('\n');
  const kept =
    typeof snapshot.RetentionDays === 'number'
      ? `, kept and locked (${String(snapshot.LockMode)}) for ${snapshot.RetentionDays} days (SnapshotRetentionDays)`
      : '';
  return (
    `Snapshot: ${snapshot.SnapshotId} (the backup table as it was at ${String(snapshot.ExportTime)})${kept}:\n` +
    (copies === '' ? '' : `${copies}\n`) +
    'To restore from it, start the ImportWorkflow of either Region with ' +
    `{"NewUserPoolId": "<new user pool id>", "Snapshot": "${snapshot.SnapshotId}"}.\n\n`
  );
}

/** What a RepairWorkflow did: the plan it wrote (counts and where), or the plan it applied and the report. */
export function repairSummary(input: MessageBrokerInput | undefined): string {
  const planned = input?.Planned as
    { PlanId?: unknown; Bucket?: unknown; Key?: unknown; Counts?: unknown } | undefined;
  if (planned !== undefined && typeof planned === 'object') {
    return (
      `Repair plan ${String(planned.PlanId)} written to s3://${String(planned.Bucket)}/${String(planned.Key)}. ` +
      `Nothing was changed. Its counts:\n${pretty(planned.Counts)}\n\nCheck the plan, then apply it with ` +
      `{"UserPoolId": "<pool>", "Apply": "${String(planned.PlanId)}"} within 24 hours.\n\n`
    );
  }
  const repair = input?.Repair as
    { PlanId?: unknown; Report?: { Bucket?: unknown; Key?: unknown } } | undefined;
  if (repair !== undefined && typeof repair === 'object') {
    return (
      `Repair plan ${String(repair.PlanId)} applied; the pool matches the backup in the plan's scope. The repair ` +
      `report (s3://${String(repair.Report?.Bucket)}/${String(repair.Report?.Key)}) lists every user touched, ` +
      'with the new sub of each recreated user.\n\n'
    );
  }
  return '';
}

export function errorNotification(
  context: SfnContextObject,
  error: unknown,
  input?: MessageBrokerInput,
  reportRetentionDays?: number,
): string {
  const restore =
    workflowName(context) === IMPORT_WORKFLOW
      ? droppedAttributesNote(context) +
        restoreReportSummary(input, reportRetentionDays) +
        resumeAdvice(context)
      : '';
  const heading =
    input?.Error === RESTORE_INCOMPLETE
      ? `The ${context.StateMachine.Name} could not restore everything:\n`
      : input?.Error === SNAPSHOT_FAILED
        ? `The ${context.StateMachine.Name} updated the backup table, but could not keep its snapshot:\n`
        : input?.Error === REPAIR_INCOMPLETE
          ? `The ${context.StateMachine.Name} could not repair everything:\n`
          : `An unexpected error occurred while executing the ${context.StateMachine.Name} for this solution:\n`;
  return (
    heading +
    // The repair's Cause ends with the input that finishes it: printed as is, so that it can be copied.
    `${input?.Error === REPAIR_INCOMPLETE ? errorText(error) : pretty(error)}\n\nPlease check the state machine's task logs for additional information\n\n` +
    restore +
    `Execution details:\n${printed(context)}`
  );
}

/**
 * What every restored user needs to know, in each ImportWorkflow success notification: the step that
 * lets each kind of restored user sign in again (the restore report's `signIn` column), with counts
 * when the reconciliation gave them.
 */
export function importSuccessNote(input?: MessageBrokerInput): string {
  const report = input?.RestoreReport as { Counts?: Record<string, unknown> } | undefined;
  const counts = typeof report?.Counts === 'object' && report.Counts !== null ? report.Counts : {};
  const count = (value: unknown): string =>
    typeof value !== 'number' ? '' : value === 1 ? ' (1 user)' : ` (${value} users)`;
  const needsPassword = counts.adminCreateNeedsPassword;
  const adminCreate = counts.adminCreate;
  const reachable =
    typeof adminCreate === 'number' && typeof needsPassword === 'number'
      ? adminCreate - needsPassword
      : undefined;
  return (
    "How restored users sign in again (passwords cannot be exported; the restore report's signIn column " +
    'names the step of each user):\n' +
    `- Restored by the CSV import${count(counts.csvImport)}: they reset their password. At sign-in the app ` +
    'receives PasswordResetRequiredException; "Forgot password" (ForgotPassword) sends a code to their ' +
    'verified e-mail address or phone number.\n' +
    `- Created with AdminCreateUser, with a verified e-mail address or phone number${count(reachable)} ` +
    '(signIn reset-password): they have a password nobody knows; "Forgot password" sends them a code.\n' +
    `- Created with AdminCreateUser, without one${count(needsPassword)} (signIn administrator): they have ` +
    'no password and cannot reset it themselves. An administrator sets a temporary password ' +
    '(aws cognito-idp admin-set-user-password --no-permanent) and gives it to them by a channel the ' +
    'administrator trusts.\n' +
    'Users who had software-token (TOTP) MFA set it up again: TOTP secrets cannot be exported; ' +
    "SMS MFA settings are restored when the new pool's MFA is OPTIONAL.\n\n"
  );
}

/**
 * The restore report's location and counts, when the ImportWorkflow's reconciliation produced one
 * (`RestoreReport` in the state): counts only, never a user.
 */
export function restoreReportSummary(input: MessageBrokerInput | undefined, retentionDays?: number): string {
  const report = input?.RestoreReport as
    { Bucket?: unknown; Key?: unknown; Counts?: unknown; RecoveryPoint?: unknown } | undefined;
  if (typeof report !== 'object' || report === null || typeof report.Key !== 'string') return '';
  const counts = (typeof report.Counts === 'object' && report.Counts !== null ? report.Counts : {}) as Record<
    string,
    unknown
  >;
  const n = (name: string): number => (typeof counts[name] === 'number' ? (counts[name] as number) : 0);
  return (
    `Restore report: s3://${String(report.Bucket)}/${report.Key}\n` +
    (typeof report.RecoveryPoint === 'string' ? `Recovery point: ${report.RecoveryPoint}\n` : '') +
    (retentionDays === undefined
      ? ''
      : `The bucket keeps it ${retentionDays} days (RestoreReportRetentionDays), then deletes it: ` +
        `it is the only map from each user's old sub to the new one, so copy it elsewhere to keep it longer.\n`) +
    `Users: ${n('users')} backed up: ${n('csvImport')} csv-import, ${n('adminCreate')} admin-create, ` +
    `${n('skipped')} skipped, ${n('missing')} missing\n` +
    `Groups: ${n('groups')} backed up, ${n('groupsMissing')} missing\n` +
    `Group memberships: ${n('memberships')} backed up, ${n('membershipsAdded')} added by the reconciliation, ` +
    `${n('membershipsMissing')} missing, ${n('membershipsOfSkippedUsers')} of skipped users\n` +
    `Disabled users: ${n('disabledUsers')} backed up, ${n('disabledApplied')} disabled by the reconciliation, ` +
    `${n('disabledMissing')} still enabled\n` +
    `Contents: ${n('attributesFixed')} users' attributes and ${n('enabledFixed')} enabled flags set to the ` +
    `backup's by the reconciliation; ${n('attributesDiffer')} users' attributes and ${n('enabledMissing')} ` +
    'enabled flags still differ\n' +
    `Groups' settings: ${n('groupsFixed')} set to the backup's description and precedence, ${n('groupsDiffer')} ` +
    `still differ, ${n('groupRolesDiffer')} without their backed-up IAM role\n\n`
  );
}

/** `DropAttributes` of the ImportWorkflow's input, when it lists attribute names. */
function droppedAttributes(context: SfnContextObject): string[] {
  const raw = (context.Execution?.Input as { DropAttributes?: unknown } | undefined)?.DropAttributes;
  return Array.isArray(raw) ? raw.filter((name): name is string => typeof name === 'string') : [];
}

/**
 * The custom attributes a restore left out on purpose: the new pool lacks them and the execution input
 * said to restore without them. Names only; the values stay in the backup table.
 */
export function droppedAttributesNote(context: SfnContextObject): string {
  const names = droppedAttributes(context);
  if (names.length === 0) return '';
  return (
    `Restored without these custom attributes (DropAttributes in the input), where the new user pool ` +
    `lacks them: ${names.join(', ')}. Their values stay in the backup table.\n\n`
  );
}

/** How to finish a failed restore: the exact input that resumes it (README, "Resume a restore"). */
export function resumeAdvice(context: SfnContextObject): string {
  const given = context.Execution?.Input as { NewUserPoolId?: unknown; CreateUserPool?: unknown } | undefined;
  const poolId = given?.NewUserPoolId;
  if (poolId === undefined && given?.CreateUserPool !== undefined) return createdPoolResumeAdvice(context);
  if (typeof poolId !== 'string' || poolId.trim() === '') return '';
  const drop = droppedAttributes(context);
  // The same recovery point: a resumed restore must read what the interrupted one read.
  const executionInput = context.Execution?.Input as { AsOf?: unknown; Snapshot?: unknown } | undefined;
  const point = Object.fromEntries(
    (['AsOf', 'Snapshot'] as const)
      .map((name) => [name, executionInput?.[name]] as const)
      .filter(([, value]) => typeof value === 'string' && value.trim() !== ''),
  );
  const input = JSON.stringify({
    NewUserPoolId: poolId.trim(),
    ...point,
    Resume: true,
    ...(drop.length > 0 ? { DropAttributes: drop } : {}),
  });
  return (
    `To finish this restore into the same user pool once the cause is fixed, start the ${IMPORT_WORKFLOW} ` +
    `again with the input ${input}: it keeps the users, groups and memberships already in the pool, ` +
    `imports the rest and reconciles.\n\n`
  );
}

/**
 * A restore into a pool the workflow created (CreateUserPool): the execution input does not hold the
 * pool's id, so the advice says where to find it (the creation's work file, the pool's execution tag).
 */
function createdPoolResumeAdvice(context: SfnContextObject): string {
  const execution = context.Execution?.Name ?? context.Execution?.Id?.split(':').pop() ?? '';
  const drop = droppedAttributes(context);
  const input = JSON.stringify({
    NewUserPoolId: '<the created pool id>',
    Resume: true,
    ...(drop.length > 0 ? { DropAttributes: drop } : {}),
  });
  return (
    `If this execution created its user pool (CreateUserPool), its ID is in ` +
    `restore-work/created-user-pools/${execution}.json in the import bucket, and the pool carries the tag ` +
    `cognito-backup-restore-execution=${execution}. To finish the restore into that pool once the cause is ` +
    `fixed, start the ${IMPORT_WORKFLOW} again with the input ${input}; if no pool was created, start it again ` +
    `with the same input.\n\n`
  );
}

export function successNotification(
  context: SfnContextObject,
  seconds: number,
  input?: MessageBrokerInput,
  reportRetentionDays?: number,
): string {
  return (
    `Workflow (${context.StateMachine.Name}) completed successfully. Execution took ${seconds} second(s).\n\n` +
    (workflowName(context) === IMPORT_WORKFLOW
      ? importSuccessNote(input) + droppedAttributesNote(context)
      : '') +
    (workflowName(context) === EXPORT_WORKFLOW ? cleanupSummary(input) + snapshotSummary(input) : '') +
    (workflowName(context) === REPAIR_WORKFLOW ? repairSummary(input) : '') +
    restoreReportSummary(input, reportRetentionDays) +
    `Execution details:\n${printed(context)}`
  );
}

function metricData(
  eventType: string,
  context: SfnContextObject,
  deps: MessageBrokerDeps,
): Record<string, unknown> {
  return {
    EventType: eventType,
    EventDetails: {
      Region: deps.config.region,
      IsPrimaryRegion: deps.config.isPrimaryRegion,
      ExecutionTimeInSeconds: executionSeconds(context, deps.now),
      WorkflowName: workflowName(context),
    },
  };
}

/** A one-line summary of the workflow error for the NotificationFailedError message. */
function summary(input: MessageBrokerInput | undefined, error: unknown): string {
  const detail =
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { errorMessage?: unknown }).errorMessage === 'string'
      ? (error as { errorMessage: string }).errorMessage
      : typeof error === 'string'
        ? error
        : JSON.stringify(error);
  return input?.Error ? `${input.Error}: ${detail}` : detail;
}

type NotificationKind = 'error' | 'success';

/**
 * Publishes a workflow's notification once per execution, also when Step Functions retries this task
 * after an invocation that had published it (a Lambda service error reported after the function ran).
 * Before publishing, a conditional write of the workflow's marker item refuses when the marker already
 * records this execution's notification as published; after publishing, the marker records it. SNS has
 * no deduplication for e-mail subscriptions (FIFO topics deliver to SQS only), so the marker is ours.
 * What is left is one DynamoDB write between the publish and the record: an invocation that dies there
 * sends the notification again on its retry. A duplicate is better than a lost notification, so the
 * marker never stops a publish it cannot read or write (a throttled table): that publish goes out.
 * Returns false when the notification had been published already.
 */
async function publishOnce(
  context: SfnContextObject,
  kind: NotificationKind,
  message: Pick<PublishCommandInput, 'Subject' | 'Message'>,
  deps: MessageBrokerDeps,
): Promise<boolean> {
  const workflow = workflowName(context);
  const marker = MARKED_WORKFLOWS.includes(workflow)
    ? {
        id: notificationMarkerId(workflow, deps.config.region),
        type: deps.config.typeTimestamp,
        notification: `${context.Execution.Id}#${kind}`,
      }
    : undefined;
  if (marker !== undefined) {
    try {
      await deps.ddb.send(
        new PutCommand({
          TableName: deps.config.tableName,
          Item: { ...marker, published: false },
          ConditionExpression: 'NOT (#notification = :notification AND #published = :published)',
          ExpressionAttributeNames: { '#notification': 'notification', '#published': 'published' },
          ExpressionAttributeValues: { ':notification': marker.notification, ':published': true },
        }),
      );
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') {
        deps.logger.info('The notification of this execution was published before; not sending it again', {
          notification: kind,
        });
        return false;
      }
      deps.logger.warn('Could not check whether the notification was published before; publishing it', {
        notification: kind,
        error: errorName(error),
      });
    }
  }
  await deps.sns.send(new PublishCommand({ TopicArn: deps.config.topicArn, ...message }));
  if (marker !== undefined) {
    try {
      await deps.ddb.send(
        new PutCommand({ TableName: deps.config.tableName, Item: { ...marker, published: true } }),
      );
    } catch (error) {
      // Published: only a retry of this task could now send it twice.
      deps.logger.warn('Could not record the published notification', {
        notification: kind,
        error: errorName(error),
      });
    }
  }
  return true;
}

/**
 * An ImportWorkflow that a restore drill started (`CreateUserPool.RestoreDrill`): it restores into a scratch
 * pool that the drill deletes, so its own notifications would read as a real restore's (and a failure's
 * advice to resume points at a pool that no longer exists). The drill sends the one notification of the
 * drill, success or failure, with the import's counts and error; the import sends none.
 */
export function isDrillImport(context: SfnContextObject): boolean {
  const input = context.Execution?.Input as { CreateUserPool?: { RestoreDrill?: unknown } } | undefined;
  return workflowName(context) === IMPORT_WORKFLOW && input?.CreateUserPool?.RestoreDrill === true;
}

async function reportError(event: MessageBrokerEvent, deps: MessageBrokerDeps): Promise<void> {
  const { Context: context, Input: input } = event;
  const error = workflowError(input);
  if (isDrillImport(context)) {
    deps.logger.info("A restore drill's import failed: the drill's notification reports it", {
      workflowError: input?.Error,
    });
    await deps.sendMetric(metricData('workflow-error', context, deps));
    return;
  }
  let publishFailure: unknown;
  try {
    // Errors and refusals are always published, whatever the SNS preference.
    const refusal = expectedRefusal(input);
    const sent = await publishOnce(
      context,
      'error',
      {
        // The failed task's Cause can echo personal data from an SDK error; nothing leaves unscrubbed.
        Subject: scrub(refusal ? refusalSubject(context, refusal) : errorSubject(context, input)),
        Message: scrub(
          refusal
            ? refusalNotification(context, refusal, error)
            : errorNotification(context, error, input, deps.config.reportRetentionDays),
        ),
      },
      deps,
    );
    if (sent) {
      deps.logger.info('Published the workflow error notification', {
        workflowError: input?.Error,
        expectedRefusal: refusal !== undefined,
      });
    }
  } catch (failure) {
    publishFailure = failure;
    deps.logger.error('Could not publish the workflow error notification', {
      workflowError: input?.Error,
      error: errorName(failure),
    });
  }
  await deps.sendMetric(metricData('workflow-error', context, deps));
  if (publishFailure !== undefined) {
    throw new NotificationFailedError(
      `The error notification for ${context.StateMachine.Name} could not be published ` +
        `(${errorName(publishFailure)}: ${errorMessage(publishFailure)}). ` +
        `The workflow failed with: ${scrub(summary(input, error))}`,
      { cause: publishFailure },
    );
  }
}

/** The counts the latest-export item keeps, when the cleanup counted (`usersBackedUp`, ...). */
function backedUpCounts(input: MessageBrokerInput | undefined): Record<string, number> {
  const counts = cleanupCounts(input);
  if (counts === undefined) return {};
  return {
    usersBackedUp: counts.Users - counts.StaleUsers,
    groupsBackedUp: counts.Groups - counts.StaleGroups,
    membershipsBackedUp: counts.Memberships - counts.StaleMemberships,
  };
}

/**
 * The metrics of a successful export: the backup is fresh, and holds what the cleanup counted minus what
 * it removed (the counts are of the table as the run left it before the cleanup, new items included).
 */
export function exportMetrics(input: MessageBrokerInput | undefined): BackupMetricValues {
  const counts = cleanupCounts(input);
  return {
    BackupAgeHours: 0,
    ...(counts === undefined
      ? {}
      : {
          UsersBackedUp: counts.Users - counts.StaleUsers,
          GroupsBackedUp: counts.Groups - counts.StaleGroups,
          MembershipsBackedUp: counts.Memberships - counts.StaleMemberships,
        }),
  };
}

async function reportSuccess(event: MessageBrokerEvent, deps: MessageBrokerDeps): Promise<void> {
  const { Context: context, Input: input } = event;
  const workflow = workflowName(context);
  if (workflow === EXPORT_WORKFLOW && input?.ExportTimestamp) {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.config.tableName,
        Item: {
          id: LATEST_EXPORT_TIMESTAMP_ID,
          type: deps.config.typeTimestamp,
          latestExportTimestamp: input.ExportTimestamp,
          // What the backup holds: the restore drill sizes itself by it (RestoreDrillMaxUsers).
          ...backedUpCounts(input),
        },
      }),
    );
    deps.logger.info('Recorded the latest export timestamp', { exportTimestamp: input.ExportTimestamp });
    await deps.putMetrics(exportMetrics(input));
  }
  if (isDrillImport(context)) {
    deps.logger.info("A restore drill's import succeeded: the drill's notification reports it");
  } else if (deps.config.snsPreference === 'INFO_AND_ERRORS') {
    const sent = await publishOnce(
      context,
      'success',
      {
        Subject: scrub(successSubject(context, input)),
        Message: scrub(
          successNotification(
            context,
            executionSeconds(context, deps.now),
            input,
            deps.config.reportRetentionDays,
          ),
        ),
      },
      deps,
    );
    if (sent) deps.logger.info('Published the workflow success notification');
  }
  if (workflow === EXPORT_WORKFLOW || workflow === IMPORT_WORKFLOW) {
    await deps.sendMetric(metricData('workflow-finished', context, deps));
  }
}

export async function brokerWorkflowMessage(
  event: MessageBrokerEvent,
  deps: MessageBrokerDeps,
): Promise<void> {
  const state = event.Context?.State?.Name ?? '';
  if (ERROR_HANDLER_STATES.includes(state) || LEGACY_ERROR_HANDLER_STATES.includes(state)) {
    return reportError(event, deps);
  }
  if (state === CLEANUP_STATE) return reportSuccess(event, deps);
  deps.logger.warn('Not a message-broker state; nothing to do', { state });
}
