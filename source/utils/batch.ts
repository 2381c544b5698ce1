// SPDX-License-Identifier: Apache-2.0
/**
 * Batch writes whose partial failures the SDK reports but does not retry: DynamoDB
 * `UnprocessedItems` and the `Failed` entries of SQS `SendMessageBatch` / `DeleteMessageBatch`.
 * Leftovers are resent with growing backoff and a cap; what still fails, fails the caller.
 */
import { randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { withRetry, type RetryOptions } from './retry';

export const DYNAMODB_BATCH_SIZE = 25;
export const SQS_BATCH_SIZE = 10;

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
      { maxAttempts: 10, ...retry, isRetryable: retryLeftovers },
    );
  } catch (error) {
    if (!(error instanceof Leftovers)) throw error;
    throw new BatchFailedError(
      `DynamoDB left ${pending.length} item(s) of a batch unprocessed in ${tableName} after repeated retries`,
      pending.map((_, index) => ({ id: String(index) })),
    );
  }
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

interface SqsEntryResult {
  Failed?: { Id?: string; Code?: string; SenderFault?: boolean }[];
}

async function sqsBatch<E extends { Id: string }>(
  entries: E[],
  send: (entries: E[]) => Promise<SqsEntryResult>,
  what: string,
  retry: RetryOptions,
): Promise<void> {
  let pending = entries;
  let lastFailed: NonNullable<SqsEntryResult['Failed']> = [];
  try {
    await withRetry(
      async () => {
        const response = await send(pending);
        lastFailed = response.Failed ?? [];
        if (lastFailed.length === 0) return;
        const failedIds = new Set(lastFailed.map((failure) => failure.Id));
        pending = pending.filter((entry) => failedIds.has(entry.Id));
        // A sender fault (bad receipt handle, message too large) will not pass on a retry.
        if (lastFailed.some((failure) => failure.SenderFault)) throw new Error('sender fault');
        throw new Leftovers(`${lastFailed.length} failed entr(ies)`);
      },
      { maxAttempts: 6, ...retry, isRetryable: retryLeftovers },
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

/** Sends message bodies in batches of 10 (entry ids are random UUIDs), retrying failed entries. */
export async function sendMessages(
  sqs: SQSClient,
  queueUrl: string,
  bodies: string[],
  retry: RetryOptions = {},
): Promise<void> {
  for (const batch of chunk(bodies, SQS_BATCH_SIZE)) {
    const entries = batch.map((MessageBody) => ({ Id: randomUUID(), MessageBody }));
    await sqsBatch(
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
    await sqsBatch(
      batch,
      (pending) => sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending })),
      `DeleteMessageBatch on ${queueUrl}`,
      retry,
    );
  }
}
