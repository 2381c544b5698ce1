// SPDX-License-Identifier: Apache-2.0
/**
 * The export run's last phase: "Find Items" queues the keys of every item that was not
 * re-stamped by this run, "Remove Items" drains the queue and deletes those items.
 *
 * Mass-deletion guard (added): while it scans, "Find Items" also counts the table's user,
 * membership and group items and the stale ones among them. A stale membership of a stale user or
 * group is counted with that user or group, not as a membership deletion of its own: a pool
 * that lost 5% of its users and one group loses their memberships with them, and that is one
 * deletion per user and per group (the items are read with BatchGetItem, once per key and
 * invocation). Memberships that go while their user and group stay are counted as memberships.
 * When the scan is complete, and before
 * anything is deleted, it decides: more stale users, groups or memberships than the run's allowance
 * for that kind (`deletionAllowance`), or no user confirmed at all while the backup holds some (the
 * pool listed no user), and the run stops with `MassDeletionRefusedError` unless the execution input
 * says `"AllowMassDeletion": true`. The decision travels in the state (`DeletionCheck`); "Remove Items"
 * deletes nothing without it. Keys queued by a refused run may stay in the queue: a later run deletes
 * one only if the item is stale for that run too (`STALE_CONDITION`), and that run counted it.
 */
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DeleteCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGet, chunk, deleteMessages, sendMessages } from '../../utils/batch';
import { TaskGroup } from '../../utils/concurrency';
import type { Logger } from '../../utils/logger';
import { type RetryOptions } from '../../utils/retry';
import { errorName } from '../../utils/errors';
import type { SfnContextObject } from '../../utils/step-functions';
import type { TimeBudget } from '../../utils/time-budget';
import { GROUP_ID_PREFIX, GROUP_MEMBER_PREFIX, USER_ID_PREFIX } from './items';
import { requireTimestamp } from './payload';
import {
  FIND_ITEMS_STATE,
  REMOVE_ITEMS_STATE,
  type BackupTableCleanupEvent,
  type BackupTableCleanupInput,
  type BackupTableCleanupOutput,
  type BackupTableCleanupResult,
  type CleanupCounts,
  type DeletionCheck,
} from './types';

/** Long-poll wait of each ReceiveMessage (seconds), as in the original. */
export const RECEIVE_WAIT_SECONDS = 5;

/**
 * Consecutive empty long polls after which the queue counts as drained. The original needed five,
 * with a one-second sleep after each (about 30 s per run). This function is the queue's only
 * consumer and "Find Items" has finished sending before "Remove Items" starts; a long poll asks every
 * SQS server, so one empty answer already means "drained" and the second only guards against a rare
 * false empty; the queue then counts as drained only when no message is in flight either
 * (`REMOVE_HOLD_SECONDS`). A message that still comes late (a run that failed) may be handled by the
 * next run: each delete is therefore conditional on the item still being older than the run that
 * handles the message (`STALE_CONDITION`), so a late message never removes an item stamped since.
 */
export const EMPTY_RECEIVES_FOR_EMPTY_QUEUE = 2;

/**
 * Visibility (s) asked for with every receive of "Remove Items". The queue's own 300 s would hide the
 * keys an attempt received and did not delete (it crashed, Step Functions retries it) for five
 * minutes, and the retry, seeing nothing, would call the queue drained and leave those items in the
 * backup until the next export: a restore in between would bring back users deleted from the pool.
 * With a minute, the keys come back while the retry still polls; the queue counts as drained only
 * when no message is in flight either (a batch of ten conditional deletes takes well under a minute,
 * and a key received twice is deleted once).
 */
export const REMOVE_HOLD_SECONDS = 60;

const DEPTH_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
] as const;

/** Messages visible, in flight (held by a receiver) or delayed, by SQS's approximate counts. */
async function messagesLeft(sqs: SQSClient, queueUrl: string): Promise<number> {
  const response = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...DEPTH_ATTRIBUTES] }),
  );
  const attributes: Partial<Record<string, string>> = response?.Attributes ?? {};
  return DEPTH_ATTRIBUTES.reduce((sum, name) => sum + (Number(attributes[name] ?? '0') || 0), 0);
}

/**
 * What "stale" means, checked again at delete time: an item that was stamped by this run (or a
 * later one) since its key was queued is still in the pool and is kept. The scan applies the same
 * rule to the items it reads (`isStale`), because it also counts the items that are not stale.
 */
export const STALE_CONDITION = 'attribute_exists(lastConfirmedInUserPool) and lastConfirmedInUserPool < :ts';

/** The execution-input field that allows one run to delete more than the guard's allowance. */
export const MASS_DELETION_OVERRIDE = 'AllowMassDeletion';

/** Key-value messages queued per scanned item. */
export interface DeleteMessageBody {
  Action: 'DELETE';
  Key: { id: string; type: string };
}

export class CleanupMessageError extends Error {
  override readonly name = 'CleanupMessageError';
}

/** The cleanup refused to delete: the counts and how to allow it are in the message. */
export class MassDeletionRefusedError extends Error {
  override readonly name = 'MassDeletionRefusedError';
}

/** "Remove Items" was reached without a mass-deletion decision in its input. */
export class DeletionNotCheckedError extends Error {
  override readonly name = 'DeletionNotCheckedError';
}

/** The execution input's override field has a value other than true or false. */
export class InvalidOverrideError extends Error {
  override readonly name = 'InvalidOverrideError';
}

export interface BackupTableCleanupDeps {
  ddb: DynamoDBDocumentClient;
  sqs: SQSClient;
  logger: Logger;
  budget: TimeBudget;
  batchRetry: RetryOptions;
  config: {
    tableName: string;
    queueUrl: string;
    /** The installation's item types of users and groups: the keys of a membership's user and group items. */
    typeUser: string;
    typeGroup: string;
    /** The largest share (0-100) of the users, groups and memberships one run may delete. */
    maxDeletionPercent: number;
    /** How many users, groups and memberships one run may always delete, whatever their share. */
    maxDeletionCount: number;
  };
  /** Send batches that may still run while the next scan page is read. */
  sendsInFlight?: number;
}

export async function backupTableCleanup(
  event: BackupTableCleanupEvent,
  deps: BackupTableCleanupDeps,
): Promise<BackupTableCleanupOutput> {
  const input: BackupTableCleanupInput = event.Input ?? {};
  const base: BackupTableCleanupResult = {
    ExportTimestamp: input.ExportTimestamp,
    NumItemsAddedToQueue: input.NumItemsAddedToQueue || 0,
    ...(input.CleanupCounts ? { CleanupCounts: input.CleanupCounts } : {}),
    ...(input.DeletionCheck ? { DeletionCheck: input.DeletionCheck } : {}),
  };
  const state = event.Context?.State?.Name;
  switch (state) {
    case FIND_ITEMS_STATE:
      return { result: await findItems(input, base, event.Context, deps) };
    case REMOVE_ITEMS_STATE: {
      const exportTimestamp = requireTimestamp(input.ExportTimestamp, 'ExportTimestamp');
      if (input.DeletionCheck !== 'WithinLimit' && input.DeletionCheck !== 'Overridden') {
        throw new DeletionNotCheckedError(
          'Remove Items was reached without a mass-deletion decision (DeletionCheck); nothing was deleted. ' +
            'Start the ExportWorkflow again.',
        );
      }
      return { result: { ...base, IsQueueEmpty: await removeItems(exportTimestamp, deps) } };
    }
    default:
      deps.logger.warn('Not a backup-table cleanup state; nothing to do', { state });
      return { result: base };
  }
}

export const emptyCounts = (): CleanupCounts => ({
  Users: 0,
  StaleUsers: 0,
  Memberships: 0,
  StaleMemberships: 0,
  Groups: 0,
  StaleGroups: 0,
  StaleMembershipsOfStaleItems: 0,
});

function isCounts(value: unknown): value is CleanupCounts {
  if (typeof value !== 'object' || value === null) return false;
  return Object.keys(emptyCounts()).every((field) => {
    const count = (value as Record<string, unknown>)[field];
    return typeof count === 'number' && Number.isInteger(count) && count >= 0;
  });
}

/** The same rule as `STALE_CONDITION`: a numeric stamp older than the run. */
export function isStale(item: Record<string, unknown>, exportTimestamp: number): boolean {
  const stamp = item.lastConfirmedInUserPool;
  return typeof stamp === 'number' && stamp < exportTimestamp;
}

/** Adds one scanned item to the counts; items that are not users, memberships or groups are not counted. */
/** The user and group item keys of a membership item (`GROUP_MEMBER-<group>`, `GROUP_MEMBER-<sub>`). */
function ownersOf(
  membership: { id: string; type: string },
  config: BackupTableCleanupDeps['config'],
): { id: string; type: string }[] {
  const group = membership.id.slice(GROUP_MEMBER_PREFIX.length);
  const sub = membership.type.startsWith(GROUP_MEMBER_PREFIX)
    ? membership.type.slice(GROUP_MEMBER_PREFIX.length)
    : undefined;
  return [
    { id: `${GROUP_ID_PREFIX}${group}`, type: config.typeGroup },
    ...(sub === undefined ? [] : [{ id: `${USER_ID_PREFIX}${sub}`, type: config.typeUser }]),
  ];
}

const keyText = (key: { id: string; type: string }): string => `${key.id}\u0000${key.type}`;

/**
 * How many of `memberships` (stale ones) belong to a user or group that is stale too: those are deleted
 * with their user or group. A membership whose user and group items are both missing counts as a
 * membership (the guard errs on the side of refusing). `staleOwners` caches what was read, per invocation.
 */
async function ofStaleOwners(
  memberships: { id: string; type: string }[],
  exportTimestamp: number,
  staleOwners: Map<string, boolean>,
  deps: BackupTableCleanupDeps,
): Promise<number> {
  const unknown = new Map<string, { id: string; type: string }>();
  for (const membership of memberships)
    for (const owner of ownersOf(membership, deps.config))
      if (!staleOwners.has(keyText(owner))) unknown.set(keyText(owner), owner);
  for (const keys of chunk([...unknown.values()], 100)) {
    const items = await batchGet(
      deps.ddb,
      deps.config.tableName,
      keys,
      {
        ProjectionExpression: 'id,#type,lastConfirmedInUserPool',
        ExpressionAttributeNames: { '#type': 'type' },
      },
      deps.batchRetry,
    );
    for (const key of keys) staleOwners.set(keyText(key), false);
    for (const item of items)
      staleOwners.set(
        keyText({ id: String(item.id), type: String(item.type) }),
        isStale(item, exportTimestamp),
      );
  }
  return memberships.filter((membership) =>
    ownersOf(membership, deps.config).some((owner) => staleOwners.get(keyText(owner)) === true),
  ).length;
}

function count(counts: CleanupCounts, id: string, stale: boolean): void {
  const add = stale ? 1 : 0;
  if (id.startsWith(USER_ID_PREFIX)) {
    counts.Users += 1;
    counts.StaleUsers += add;
  } else if (id.startsWith(GROUP_MEMBER_PREFIX)) {
    counts.Memberships += 1;
    counts.StaleMemberships += add;
  } else if (id.startsWith(GROUP_ID_PREFIX)) {
    counts.Groups += 1;
    counts.StaleGroups += add;
  }
}

/** `AllowMassDeletion` from the execution input: absent or false is no override. */
export function massDeletionOverride(context: Pick<SfnContextObject, 'Execution'> | undefined): boolean {
  const input: unknown = context?.Execution?.Input;
  if (typeof input !== 'object' || input === null) return false;
  const value = (input as Record<string, unknown>)[MASS_DELETION_OVERRIDE];
  if (value === undefined || value === false) return false;
  if (value === true) return true;
  throw new InvalidOverrideError(
    `${MASS_DELETION_OVERRIDE} in the execution input must be true or false (found ${JSON.stringify(value)})`,
  );
}

/** A share as a person reads it: 100%, 12.5%, 0.1%. */
function percent(part: number, whole: number): string {
  if (whole === 0) return '0%';
  return `${Math.round((part / whole) * 1000) / 10}%`;
}

/** The guard's two parameters: the stack's MaxDeletionPercent and MaxDeletionCount. */
export interface DeletionLimits {
  maxPercent: number;
  maxCount: number;
}

/**
 * How many items of one kind a run may delete: `maxCount`, or `maxPercent` of the backed-up items
 * when that is more. The count keeps a small pool usable (at 10% a backup of 9 users could not lose
 * one); the percentage keeps the guard meaningful for a large pool, where `maxCount` is noise.
 */
export const deletionAllowance = (whole: number, limits: DeletionLimits): number =>
  Math.max(limits.maxCount, Math.floor((limits.maxPercent * whole) / 100));

/** More stale items than the allowance (exactly at the allowance is allowed). */
const exceeds = (stale: number, whole: number, limits: DeletionLimits): boolean =>
  stale > deletionAllowance(whole, limits);

export type DeletionVerdict = { allowed: true } | { allowed: false; reasons: string[] };

/**
 * Whether one run may delete the stale items it counted. Refused when the stale users, groups or
 * memberships are more than the allowance of their kind, and always when the backup holds users and
 * none of them was confirmed by this run (the pool listed no user).
 */
export function deletionVerdict(counts: CleanupCounts, limits: DeletionLimits): DeletionVerdict {
  const reasons: string[] = [];
  if (counts.Users > 0 && counts.StaleUsers === counts.Users) {
    reasons.push(`the user pool listed no user while the backup holds ${counts.Users}`);
  }
  if (exceeds(counts.StaleUsers, counts.Users, limits)) {
    reasons.push(`${percent(counts.StaleUsers, counts.Users)} of the users are stale`);
  }
  if (exceeds(counts.StaleGroups, counts.Groups, limits)) {
    reasons.push(`${percent(counts.StaleGroups, counts.Groups)} of the groups are stale`);
  }
  // Memberships of stale users and groups are deleted with them (counted there).
  const ownMemberships = counts.StaleMemberships - counts.StaleMembershipsOfStaleItems;
  if (exceeds(ownMemberships, counts.Memberships, limits)) {
    reasons.push(
      `${percent(ownMemberships, counts.Memberships)} of the memberships are stale while their user and group stay`,
    );
  }
  return reasons.length === 0 ? { allowed: true } : { allowed: false, reasons };
}

/** The refusal as the notification shows it: counts and the way to allow the deletion. No personal data. */
export function refusalMessage(counts: CleanupCounts, limits: DeletionLimits, reasons: string[]): string {
  return (
    `The backup cleanup deleted nothing: ${reasons.join('; ')}. ` +
    `Stale items (in the backup, no longer in the user pool): ` +
    `${counts.StaleUsers} of ${counts.Users} users (${percent(counts.StaleUsers, counts.Users)}), ` +
    `${counts.StaleGroups} of ${counts.Groups} groups (${percent(counts.StaleGroups, counts.Groups)}), ` +
    `${counts.StaleMemberships} of ${counts.Memberships} group memberships ` +
    `(${percent(counts.StaleMemberships, counts.Memberships)}; ${counts.StaleMembershipsOfStaleItems} of them ` +
    `belong to stale users or groups and are counted with those). ` +
    `One export may delete, of the users, of the groups and of the memberships each, ` +
    `${limits.maxCount} or ${limits.maxPercent}%, whichever is more ` +
    `(stack parameters MaxDeletionCount and MaxDeletionPercent), and never every user. The backup is unchanged. ` +
    `If the user pool really lost these items, start the ExportWorkflow by hand with the ` +
    `input {"${MASS_DELETION_OVERRIDE}": true}: that run deletes exactly the items that are stale then.`
  );
}

async function findItems(
  input: BackupTableCleanupInput,
  base: BackupTableCleanupResult,
  context: SfnContextObject | undefined,
  deps: BackupTableCleanupDeps,
): Promise<BackupTableCleanupResult> {
  const { ddb, sqs, budget, config } = deps;
  const exportTimestamp = requireTimestamp(input.ExportTimestamp, 'ExportTimestamp');
  // Read (and validate) the override before the scan, so a bad value fails the run at once.
  const override = massDeletionOverride(context);
  let startKey = input.lastEvaluatedKey || undefined;
  let counts: CleanupCounts;
  if (startKey === undefined) {
    counts = emptyCounts();
  } else if (isCounts(input.CleanupCounts)) {
    counts = { ...input.CleanupCounts };
  } else {
    // A continuation without counts (an execution started before this version): count from the start.
    deps.logger.warn('The scan continuation carries no item counts; scanning the table from the start');
    startKey = undefined;
    counts = emptyCounts();
  }
  let found = 0;
  let pages = 0;
  const staleOwners = new Map<string, boolean>();
  const senders = new TaskGroup(deps.sendsInFlight ?? 4);
  try {
    do {
      const page = await ddb.send(
        new ScanCommand({
          TableName: config.tableName,
          ProjectionExpression: 'id,#type,lastConfirmedInUserPool',
          ExpressionAttributeNames: { '#type': 'type' },
          ExclusiveStartKey: startKey,
        }),
      );
      pages += 1;
      const bodies: string[] = [];
      const staleMemberships: { id: string; type: string }[] = [];
      for (const item of page.Items ?? []) {
        const stale = isStale(item, exportTimestamp);
        count(counts, String(item.id), stale);
        if (!stale) continue;
        if (String(item.id).startsWith(GROUP_MEMBER_PREFIX))
          staleMemberships.push({ id: String(item.id), type: String(item.type) });
        const body: DeleteMessageBody = {
          Action: 'DELETE',
          Key: { id: String(item.id), type: String(item.type) },
        };
        bodies.push(JSON.stringify(body));
      }
      if (staleMemberships.length > 0)
        counts.StaleMembershipsOfStaleItems += await ofStaleOwners(
          staleMemberships,
          exportTimestamp,
          staleOwners,
          deps,
        );
      if (bodies.length > 0) {
        found += bodies.length;
        await senders.add(() => sendMessages(sqs, config.queueUrl, bodies, deps.batchRetry));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && budget.hasTime());
  } catch (error) {
    await senders.drain().catch(() => undefined);
    throw error;
  }
  await senders.drain();
  const finished = startKey === undefined;
  deps.logger.info('Queued stale backup items for removal', { pages, queued: found, finished, counts });
  const result: BackupTableCleanupResult = {
    ...base,
    NumItemsAddedToQueue: base.NumItemsAddedToQueue + found,
    lastEvaluatedKey: startKey ?? '',
    CleanupCounts: counts,
  };
  delete result.DeletionCheck;
  if (finished) result.DeletionCheck = decide(counts, override, deps);
  return result;
}

/** The decision taken once the scan is complete; throws when the deletion is refused. */
function decide(counts: CleanupCounts, override: boolean, deps: BackupTableCleanupDeps): DeletionCheck {
  const limits: DeletionLimits = {
    maxPercent: deps.config.maxDeletionPercent,
    maxCount: deps.config.maxDeletionCount,
  };
  const verdict = deletionVerdict(counts, limits);
  if (verdict.allowed) return 'WithinLimit';
  if (override) {
    deps.logger.warn(`Deleting beyond the allowance: ${MASS_DELETION_OVERRIDE} is set`, {
      counts,
      ...limits,
      reasons: verdict.reasons,
    });
    return 'Overridden';
  }
  deps.logger.warn('Refused to delete the stale backup items', {
    counts,
    ...limits,
    reasons: verdict.reasons,
  });
  throw new MassDeletionRefusedError(refusalMessage(counts, limits, verdict.reasons));
}

function keyOf(message: Message): DeleteMessageBody['Key'] {
  let body: unknown;
  try {
    body = JSON.parse(message.Body ?? '');
  } catch {
    throw new CleanupMessageError(`Unable to read the cleanup message ${message.MessageId ?? ''}`.trim());
  }
  const key = (body as Partial<DeleteMessageBody> | null)?.Key;
  if (typeof key?.id !== 'string' || typeof key.type !== 'string') {
    throw new CleanupMessageError(`The cleanup message ${message.MessageId ?? ''} has no item key`);
  }
  return { id: key.id, type: key.type };
}

/** Keys of one received batch, each once: a delete batch that names a key twice is rejected. */
export function uniqueKeys(messages: Message[]): DeleteMessageBody['Key'][] {
  const byKey = new Map<string, DeleteMessageBody['Key']>();
  for (const message of messages) {
    const key = keyOf(message);
    byKey.set(`${key.id}\u0000${key.type}`, key);
  }
  return [...byKey.values()];
}

/**
 * Deletes `key` unless its item was stamped at or after `exportTimestamp` since it was queued.
 * Returns false for an item that was kept (or is already gone).
 */
async function deleteIfStale(
  deps: BackupTableCleanupDeps,
  key: DeleteMessageBody['Key'],
  exportTimestamp: number,
): Promise<boolean> {
  try {
    await deps.ddb.send(
      new DeleteCommand({
        TableName: deps.config.tableName,
        Key: key,
        ConditionExpression: STALE_CONDITION,
        ExpressionAttributeValues: { ':ts': exportTimestamp },
      }),
    );
    return true;
  } catch (error) {
    if (errorName(error) === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

/** Returns true once the queue is drained, false when the time budget ran out first. */
async function removeItems(exportTimestamp: number, deps: BackupTableCleanupDeps): Promise<boolean> {
  const { sqs, budget, config } = deps;
  let emptyReceives = 0;
  let deleted = 0;
  let kept = 0;
  let drained = false;
  let waitedForHeld = false;
  do {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: config.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: RECEIVE_WAIT_SECONDS,
        VisibilityTimeout: REMOVE_HOLD_SECONDS,
      }),
    );
    if (messages.length === 0) {
      emptyReceives += 1;
      if (emptyReceives < EMPTY_RECEIVES_FOR_EMPTY_QUEUE) continue;
      // Nothing to receive: drained, unless an earlier attempt that died still holds keys.
      const left = await messagesLeft(sqs, config.queueUrl);
      drained = left === 0;
      if (!drained && !waitedForHeld) {
        deps.logger.info('Waiting for stale item keys that an earlier attempt received and did not delete', {
          messages: left,
        });
      }
      waitedForHeld ||= !drained;
      continue;
    }
    emptyReceives = 0;
    const keys = uniqueKeys(messages);
    // Items first, messages second: a crash in between leaves messages that are simply processed again.
    const outcomes = await Promise.allSettled(keys.map((key) => deleteIfStale(deps, key, exportTimestamp)));
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') throw outcome.reason;
      if (outcome.value) deleted += 1;
      else kept += 1;
    }
    await deleteMessages(sqs, config.queueUrl, messages, deps.batchRetry);
  } while (!drained && budget.hasTime());
  deps.logger.info('Removed stale backup items', { deleted, keptAsConfirmed: kept, queueEmpty: drained });
  return drained;
}
