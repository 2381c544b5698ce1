// SPDX-License-Identifier: Apache-2.0
/**
 * Queue operations shared by import-users and update-new-users: receiving with a visibility timeout
 * that covers the invocation, deleting many messages with bounded concurrency, and releasing messages
 * (visibility 0) that this invocation gives back. Failed batch entries are retried; what still fails
 * fails the caller.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  BatchFailedError,
  chunk,
  deleteMessages,
  SQS_BATCH_SIZE,
  type ReceivedMessage,
} from '../../utils/batch';
import { TaskGroup } from '../../utils/concurrency';
import { withRetry, type RetryOptions } from '../../utils/retry';

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

/** SQS answers this for a message that is already visible again: releasing it has nothing left to do. */
const NOT_IN_FLIGHT = /MessageNotInflight/;

class Leftovers extends Error {}

/**
 * Makes messages visible again at once (visibility timeout 0) so that the next receive, in this
 * invocation or the next, gets them. Entries that fail are retried; sender faults fail at once.
 */
export async function releaseMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly ReceivedMessage[],
  retry: RetryOptions,
): Promise<void> {
  const entries = [
    ...new Map(
      messages.map((message, index) => {
        const id = message.MessageId ?? `message-${index}`;
        return [id, { Id: id, ReceiptHandle: message.ReceiptHandle ?? '', VisibilityTimeout: 0 }];
      }),
    ).values(),
  ];
  for (const batch of chunk(entries, SQS_BATCH_SIZE)) {
    let pending = batch;
    let failed: { Id?: string; Code?: string; SenderFault?: boolean }[] = [];
    try {
      await withRetry(
        async () => {
          const response = await sqs.send(
            new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: pending }),
          );
          failed = (response.Failed ?? []).filter((failure) => !NOT_IN_FLIGHT.test(failure.Code ?? ''));
          if (failed.length === 0) return;
          const ids = new Set(failed.map((failure) => failure.Id));
          pending = pending.filter((entry) => ids.has(entry.Id));
          if (failed.some((failure) => failure.SenderFault)) throw new Error('sender fault');
          throw new Leftovers();
        },
        { maxAttempts: 6, ...retry, isRetryable: (error) => error instanceof Leftovers },
      );
    } catch (error) {
      if (failed.length === 0) throw error;
      const codes = [...new Set(failed.map((failure) => failure.Code ?? 'unknown'))].join(', ');
      throw new BatchFailedError(
        `ChangeMessageVisibilityBatch on ${queueUrl}: ${failed.length} entr${failed.length === 1 ? 'y' : 'ies'} failed (${codes})`,
        failed.map((failure) => ({
          id: failure.Id ?? '',
          code: failure.Code,
          senderFault: failure.SenderFault,
        })),
      );
    }
  }
}
