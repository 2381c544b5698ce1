// SPDX-License-Identifier: Apache-2.0
/**
 * Queue operations shared by import-users and update-new-users: receiving, deleting many messages
 * with bounded concurrency, changing visibility (extending a hold, or releasing with visibility 0),
 * and reading the queue's depth to tell a drained queue from one whose messages are in flight. Failed
 * batch entries are retried by `retryFailedEntries` (utils/batch.ts); what still fails fails the caller.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  chunk,
  deleteMessages,
  retryFailedEntries,
  SQS_BATCH_SIZE,
  type ReceivedMessage,
  type SqsFailedEntry,
} from '../../utils/batch';
import { TaskGroup } from '../../utils/concurrency';
import type { RetryOptions } from '../../utils/retry';

export async function receiveMessages(
  sqs: SQSClient,
  queueUrl: string,
  options: { max: number; waitSeconds: number; visibilitySeconds: number },
): Promise<Message[]> {
  const response = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: options.max,
      WaitTimeSeconds: options.waitSeconds,
      VisibilityTimeout: options.visibilitySeconds,
    }),
  );
  return response.Messages ?? [];
}

/** Deletes any number of messages, up to `concurrency` batches of 10 at a time. */
export async function deleteAll(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly ReceivedMessage[],
  options: { concurrency: number; retry: RetryOptions },
): Promise<void> {
  const group = new TaskGroup(options.concurrency);
  try {
    for (const batch of chunk(messages, SQS_BATCH_SIZE)) {
      await group.add(() => deleteMessages(sqs, queueUrl, batch, options.retry));
    }
  } finally {
    await group.drain();
  }
}

/**
 * SQS answers these for a message this invocation no longer holds: already visible again
 * (`MessageNotInflight`), or received again by someone else so that this receipt handle is stale
 * (`ReceiptHandleIsInvalid`).
 */
const NOT_HELD = /MessageNotInflight|ReceiptHandleIsInvalid/;

/**
 * Sets the visibility timeout of received messages (batches of 10, once per message id, the latest
 * receipt handle). Entries SQS rejects because the message is no longer held come back as `lost`;
 * other failed entries are retried, and what still fails fails the caller.
 */
export async function changeVisibility(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly ReceivedMessage[],
  visibilitySeconds: number,
  retry: RetryOptions,
): Promise<{ lost: ReceivedMessage[] }> {
  const byId = new Map(
    messages.map((message, index) => [message.MessageId ?? `message-${index}`, message] as const),
  );
  const entries = [...byId].map(([id, message]) => ({
    Id: id,
    ReceiptHandle: message.ReceiptHandle ?? '',
    VisibilityTimeout: visibilitySeconds,
  }));
  const lost: ReceivedMessage[] = [];
  // A message no longer held is done with: it is noted as lost instead of being retried.
  const noteLost = (failure: SqsFailedEntry): boolean => {
    if (!NOT_HELD.test(failure.Code ?? '')) return false;
    const message = byId.get(failure.Id ?? '');
    if (message) lost.push(message);
    return true;
  };
  for (const batch of chunk(entries, SQS_BATCH_SIZE)) {
    await retryFailedEntries(
      batch,
      async (pending) =>
        (await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: pending }))) ??
        {},
      `ChangeMessageVisibilityBatch on ${queueUrl}`,
      retry,
      noteLost,
    );
  }
  return { lost };
}

/**
 * Makes messages visible again at once (visibility timeout 0) so that the next receive, in this
 * invocation or the next, gets them. A message no longer held needs nothing more.
 */
export async function releaseMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly ReceivedMessage[],
  retry: RetryOptions,
): Promise<void> {
  await changeVisibility(sqs, queueUrl, messages, 0, retry);
}

/** The queue's counters: visible, in flight (received, not yet deleted or visible again), delayed. */
export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

const DEPTH_ATTRIBUTES = {
  visible: 'ApproximateNumberOfMessages',
  inFlight: 'ApproximateNumberOfMessagesNotVisible',
  delayed: 'ApproximateNumberOfMessagesDelayed',
} as const;

export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const response = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: Object.values(DEPTH_ATTRIBUTES) }),
  );
  const attributes: Record<string, string | undefined> = response?.Attributes ?? {};
  const count = (name: string): number => {
    const value = Number(attributes[name] ?? '0');
    return Number.isFinite(value) ? value : 0;
  };
  return {
    visible: count(DEPTH_ATTRIBUTES.visible),
    inFlight: count(DEPTH_ATTRIBUTES.inFlight),
    delayed: count(DEPTH_ATTRIBUTES.delayed),
  };
}

/**
 * A queue is drained when nothing is visible or delayed and nothing is in flight except what the
 * caller itself holds (and will delete or release): messages held by a dead invocation come back.
 */
export function isDrained(depth: QueueDepth, heldByCaller: number): boolean {
  return depth.visible === 0 && depth.delayed === 0 && depth.inFlight <= heldByCaller;
}
