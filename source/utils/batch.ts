// SPDX-License-Identifier: Apache-2.0
/**
 * Batch writes whose partial failures the SDK reports but does not retry: DynamoDB
 * `UnprocessedItems` and the `Failed` entries of the SQS batch calls (`SendMessageBatch`,
 * `DeleteMessageBatch`, `ChangeMessageVisibilityBatch`). Leftovers are resent with growing backoff and
 * a cap; what still fails, fails the caller. SQS batches are cut by count and by bytes here only.
 */
import { randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RETRY_BUDGETS, withRetry, type RetryOptions } from './retry';

export const DYNAMODB_BATCH_SIZE = 25;
/** BatchGetItem reads at most this many keys a call. */
export const DYNAMODB_GET_BATCH_SIZE = 100;
export const SQS_BATCH_SIZE = 10;
/** SendMessageBatch refuses batches whose bodies add up to more than this (BatchRequestTooLong). */
export const MAX_BATCH_BYTES = 262_144;

export type WriteRequest =
  | { PutRequest: { Item: Record<string, unknown> }; DeleteRequest?: never }
  | { DeleteRequest: { Key: Record<string, unknown> }; PutRequest?: never };

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Raised when entries of a batch still fail after the retries; names ids and codes, never bodies. */
export class BatchFailedError extends Error {
  override readonly name = 'BatchFailedError';
  constructor(
    message: string,
    readonly failed: { id: string; code?: string; senderFault?: boolean }[],
  ) {
    super(message);
  }
}

class Leftovers extends Error {
  override readonly name = 'Leftovers';
}

const retryLeftovers = (error: unknown): boolean => error instanceof Leftovers;

/**
 * Writes up to 25 requests to one table, resending `UnprocessedItems` until none remain.
 * SDK-level errors (throttling included) are retried by the SDK client itself.
 */
export async function batchWrite(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  requests: WriteRequest[],
  retry: RetryOptions = {},
): Promise<void> {
  if (requests.length === 0) return;
  if (requests.length > DYNAMODB_BATCH_SIZE) {
    throw new RangeError(
      `A DynamoDB batch holds at most ${DYNAMODB_BATCH_SIZE} requests (got ${requests.length})`,
    );
  }
  let pending = requests;
  try {
    await withRetry(
      async () => {
        const response = await ddb.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
        const unprocessed = response.UnprocessedItems?.[tableName] ?? [];
        if (unprocessed.length > 0) {
          pending = unprocessed as WriteRequest[];
          throw new Leftovers(`${unprocessed.length} unprocessed item(s)`);
        }
      },
      { maxAttempts: RETRY_BUDGETS.dynamoDbUnprocessed, ...retry, isRetryable: retryLeftovers },
    );
  } catch (error) {
    if (!(error instanceof Leftovers)) throw error;
    throw new BatchFailedError(
      `DynamoDB left ${pending.length} item(s) of a batch unprocessed in ${tableName} after repeated retries`,
      pending.map((_, index) => ({ id: String(index) })),
    );
  }
}

/**
 * Reads the items of up to 100 keys of one table, resending `UnprocessedKeys` until none remain.
 * Keys without an item are simply absent from the result.
 */
export async function batchGet(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  keys: Record<string, unknown>[],
  projection: { ProjectionExpression: string; ExpressionAttributeNames?: Record<string, string> },
  retry: RetryOptions = {},
): Promise<Record<string, unknown>[]> {
  if (keys.length > DYNAMODB_GET_BATCH_SIZE) {
    throw new RangeError(
      `A DynamoDB read batch holds at most ${DYNAMODB_GET_BATCH_SIZE} keys (got ${keys.length})`,
    );
  }
  const items: Record<string, unknown>[] = [];
  let pending = keys;
  try {
    await withRetry(
      async () => {
        if (pending.length === 0) return;
        const response = await ddb.send(
          new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ...projection } } }),
        );
        items.push(...(response.Responses?.[tableName] ?? []));
        const unprocessed = response.UnprocessedKeys?.[tableName]?.Keys ?? [];
        if (unprocessed.length > 0) {
          pending = unprocessed;
          throw new Leftovers(`${unprocessed.length} unprocessed key(s)`);
        }
      },
      { maxAttempts: RETRY_BUDGETS.dynamoDbUnprocessed, ...retry, isRetryable: retryLeftovers },
    );
  } catch (error) {
    if (!(error instanceof Leftovers)) throw error;
    throw new BatchFailedError(
      `DynamoDB left ${pending.length} key(s) of a read batch unprocessed in ${tableName} after repeated retries`,
      pending.map((_, index) => ({ id: String(index) })),
    );
  }
  return items;
}

/** Writes any number of requests in batches of 25, at most `concurrency` batches at a time. */
export async function batchWriteAll(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  requests: WriteRequest[],
  options: { retry?: RetryOptions; concurrency?: number } = {},
): Promise<void> {
  const batches = chunk(requests, DYNAMODB_BATCH_SIZE);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  for (let i = 0; i < batches.length; i += concurrency) {
    // allSettled: a failed batch must not leave its siblings (and their retries) running unawaited.
    const outcomes = await Promise.allSettled(
      batches.slice(i, i + concurrency).map((batch) => batchWrite(ddb, tableName, batch, options.retry)),
    );
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/**
 * Batches of at most 10 bodies and `maxBytes` in all. A user item can be large (up to 50 custom
 * attributes of 2,048 characters), so ten of them may not fit one request.
 */
export function sqsBatches(bodies: readonly string[], maxBytes = MAX_BATCH_BYTES): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = Buffer.byteLength(body);
    if (current.length > 0 && (current.length === SQS_BATCH_SIZE || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(body);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export interface SqsFailedEntry {
  Id?: string;
  Code?: string;
  SenderFault?: boolean;
}

interface SqsEntryResult {
  Failed?: SqsFailedEntry[];
}

/**
 * The one failed-entry retry of the SQS batch calls: sends `entries`, resends those that failed until
 * none do, and fails with `BatchFailedError` (ids and codes) when some still fail or a sender fault
 * makes a retry pointless. `ignore` names failures that count as done (e.g. a message already visible).
 */
export async function retryFailedEntries<E extends { Id: string }>(
  entries: E[],
  send: (entries: E[]) => Promise<SqsEntryResult>,
  what: string,
  retry: RetryOptions,
  ignore: (failure: SqsFailedEntry) => boolean = () => false,
): Promise<void> {
  let pending = entries;
  let lastFailed: SqsFailedEntry[] = [];
  try {
    await withRetry(
      async () => {
        const response = await send(pending);
        lastFailed = (response.Failed ?? []).filter((failure) => !ignore(failure));
        if (lastFailed.length === 0) return;
        const failedIds = new Set(lastFailed.map((failure) => failure.Id));
        pending = pending.filter((entry) => failedIds.has(entry.Id));
        // A sender fault (bad receipt handle, message too large) will not pass on a retry.
        if (lastFailed.some((failure) => failure.SenderFault)) throw new Error('sender fault');
        throw new Leftovers(`${lastFailed.length} failed entr(ies)`);
      },
      { maxAttempts: RETRY_BUDGETS.sqsFailedEntries, ...retry, isRetryable: retryLeftovers },
    );
  } catch (error) {
    if (lastFailed.length === 0) throw error;
    throw new BatchFailedError(
      `${what}: ${lastFailed.length} entr${lastFailed.length === 1 ? 'y' : 'ies'} failed (${[
        ...new Set(lastFailed.map((failure) => failure.Code ?? 'unknown')),
      ].join(', ')})`,
      lastFailed.map((failure) => ({
        id: failure.Id ?? '',
        code: failure.Code,
        senderFault: failure.SenderFault,
      })),
    );
  }
}

/** Sends message bodies in `sqsBatches` (entry ids are random UUIDs), retrying failed entries. */
export async function sendMessages(
  sqs: SQSClient,
  queueUrl: string,
  bodies: string[],
  retry: RetryOptions = {},
): Promise<void> {
  for (const batch of sqsBatches(bodies)) {
    const entries = batch.map((MessageBody) => ({ Id: randomUUID(), MessageBody }));
    await retryFailedEntries(
      entries,
      (pending) => sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending })),
      `SendMessageBatch to ${queueUrl}`,
      retry,
    );
  }
}

export interface ReceivedMessage {
  MessageId?: string;
  ReceiptHandle?: string;
}

/** Deletes received messages in batches of 10, retrying failed entries. */
export async function deleteMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: ReceivedMessage[],
  retry: RetryOptions = {},
): Promise<void> {
  const entries = messages.map((message, index) => ({
    Id: message.MessageId ?? `message-${index}`,
    ReceiptHandle: message.ReceiptHandle ?? '',
  }));
  // Batch entry ids must be unique within a batch; a duplicated delivery can repeat a MessageId.
  const unique = [...new Map(entries.map((entry) => [entry.Id, entry])).values()];
  for (const batch of chunk(unique, SQS_BATCH_SIZE)) {
    await retryFailedEntries(
      batch,
      (pending) => sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending })),
      `DeleteMessageBatch on ${queueUrl}`,
      retry,
    );
  }
}
