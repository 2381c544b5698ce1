/**
 * The export run's last phase (spec §4.6): "Find Items" queues the keys of every item that was not
 * re-stamped by this run, "Remove Items" drains the queue and deletes those items.
 */
import { ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { DeleteCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { deleteMessages, sendMessages } from '../../utils/batch';
import { TaskGroup } from '../../utils/concurrency';
import type { Logger } from '../../utils/logger';
import { errorName, type RetryOptions } from '../../utils/retry';
import type { TimeBudget } from '../../utils/time-budget';
import { requireTimestamp } from './payload';
import {
  FIND_ITEMS_STATE,
  REMOVE_ITEMS_STATE,
  type BackupTableCleanupEvent,
  type BackupTableCleanupInput,
  type BackupTableCleanupOutput,
  type BackupTableCleanupResult,
} from './types';

/** Long-poll wait of each ReceiveMessage (seconds), as in the original. */
export const RECEIVE_WAIT_SECONDS = 5;

/**
 * Consecutive empty long polls after which the queue counts as drained. The original needed five,
 * with a one-second sleep after each (about 30 s per run). This function is the queue's only
 * consumer and "Find Items" has finished sending before "Remove Items" starts; a long poll asks every
 * SQS server, so one empty answer already means "drained" and the second only guards against a rare
 * false empty. Messages that a failed earlier attempt left invisible reappear later, possibly in the
 * next run: each delete is therefore conditional on the item still being older than the run that
 * handles the message (`STALE_CONDITION`), so a late message never removes an item stamped since.
 */
export const EMPTY_RECEIVES_FOR_EMPTY_QUEUE = 2;

/**
 * The "Find Items" filter, checked again at delete time: an item that was stamped by this run (or a
 * later one) since its key was queued is still in the pool and is kept.
 */
export const STALE_CONDITION = 'attribute_exists(lastConfirmedInUserPool) and lastConfirmedInUserPool < :ts';

/** Key-value messages queued per scanned item. */
export interface DeleteMessageBody {
  Action: 'DELETE';
  Key: { id: string; type: string };
}

export class CleanupMessageError extends Error {
  override readonly name = 'CleanupMessageError';
}

export interface BackupTableCleanupDeps {
  ddb: DynamoDBDocumentClient;
  sqs: SQSClient;
  logger: Logger;
  budget: TimeBudget;
  batchRetry: RetryOptions;
  config: { tableName: string; queueUrl: string };
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
  };
  const state = event.Context?.State?.Name;
  switch (state) {
    case FIND_ITEMS_STATE:
      return { result: await findItems(input, base, deps) };
    case REMOVE_ITEMS_STATE:
      return {
        result: {
          ...base,
          IsQueueEmpty: await removeItems(requireTimestamp(input.ExportTimestamp, 'ExportTimestamp'), deps),
        },
      };
    default:
      deps.logger.warn('Not a backup-table cleanup state; nothing to do', { state });
      return { result: base };
  }
}

async function findItems(
  input: BackupTableCleanupInput,
  base: BackupTableCleanupResult,
  deps: BackupTableCleanupDeps,
): Promise<BackupTableCleanupResult> {
  const { ddb, sqs, budget, config } = deps;
  const exportTimestamp = requireTimestamp(input.ExportTimestamp, 'ExportTimestamp');
  let startKey = input.lastEvaluatedKey || undefined;
  let found = 0;
  let pages = 0;
  const senders = new TaskGroup(deps.sendsInFlight ?? 4);
  try {
    do {
      const page = await ddb.send(
        new ScanCommand({
          TableName: config.tableName,
          FilterExpression: STALE_CONDITION,
          ProjectionExpression: 'id,#type',
          ExpressionAttributeValues: { ':ts': exportTimestamp },
          ExpressionAttributeNames: { '#type': 'type' },
          ExclusiveStartKey: startKey,
        }),
      );
      pages += 1;
      const bodies = (page.Items ?? []).map((item) => {
        const body: DeleteMessageBody = {
          Action: 'DELETE',
          Key: { id: String(item.id), type: String(item.type) },
        };
        return JSON.stringify(body);
      });
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
  deps.logger.info('Queued stale backup items for removal', { pages, queued: found, finished: !startKey });
  return {
    ...base,
    NumItemsAddedToQueue: base.NumItemsAddedToQueue + found,
    lastEvaluatedKey: startKey ?? '',
  };
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

/** Keys of one received batch, each once: a delete batch that names a key twice is rejected (§9.1-12). */
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
  do {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: config.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: RECEIVE_WAIT_SECONDS,
      }),
    );
    if (messages.length === 0) {
      emptyReceives += 1;
      drained = emptyReceives >= EMPTY_RECEIVES_FOR_EMPTY_QUEUE;
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
