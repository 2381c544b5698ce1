// SPDX-License-Identifier: Apache-2.0
/** The import workflow's check that both import queues start out empty. */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '../../utils/logger';
import { IMPORT_WORKFLOW } from './types';

/**
 * Checked in this order, each only when the response has it. `ApproximateNumberOfMessagesVisible` is
 * not an SQS attribute and is therefore always skipped; it stays in the list so that the order and the
 * messages match the original.
 */
export const QUEUE_COUNTERS = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesVisible',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
] as const;

export class UnknownStateMachineError extends Error {
  override readonly name = 'UnknownStateMachineError';
}

export class QueueNotEmptyError extends Error {
  override readonly name = 'QueueNotEmptyError';
}

export function assertImportWorkflow(workflow: string): void {
  if (workflow !== IMPORT_WORKFLOW)
    throw new UnknownStateMachineError(`Unknown State Machine Name: ${workflow}`);
}

/** The non-zero counters of one queue, in the original's order. */
interface QueueFinding {
  queueUrl: string;
  counters: { counter: string; value: string }[];
}

/**
 * Every non-zero counter of every queue goes into one message (visible, in flight, delayed): the
 * operator sees at once what is left where. With a single finding the text is the original's.
 */
export function queueNotEmptyMessage(findings: readonly QueueFinding[]): string {
  const sentences = findings.map(
    ({ queueUrl, counters }) =>
      `Queue (${queueUrl}) is not empty.` +
      counters
        .map(
          ({ counter, value }) =>
            ` Expected a value of "0" for attribute (${counter}) and found value "${value}" instead.`,
        )
        .join(''),
  );
  const purge =
    findings.length === 1
      ? 'Please purge this queue prior to running this workflow'
      : 'Please purge these queues prior to running this workflow';
  return `${sentences.join(' ')} ${purge}`;
}

export async function assertQueuesEmpty(
  queueUrls: readonly string[],
  deps: { sqs: SQSClient; logger: Logger },
): Promise<void> {
  // Both queues are read at once; they are then checked in the original's order.
  const responses = await Promise.all(
    queueUrls.map((queueUrl) =>
      deps.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] })),
    ),
  );
  const findings: QueueFinding[] = [];
  for (const [index, queueUrl] of queueUrls.entries()) {
    const attributes = (responses[index]?.Attributes ?? {}) as Record<string, string | undefined>;
    const counters = QUEUE_COUNTERS.flatMap((counter) => {
      const value = attributes[counter];
      return value !== undefined && value !== '0' ? [{ counter, value }] : [];
    });
    if (counters.length > 0) findings.push({ queueUrl, counters });
  }
  if (findings.length > 0) {
    deps.logger.warn('The import queues are not empty', {
      queues: findings.map(({ queueUrl, counters }) => ({
        queueUrl,
        ...Object.fromEntries(counters.map(({ counter, value }) => [counter, value])),
      })),
    });
    throw new QueueNotEmptyError(queueNotEmptyMessage(findings));
  }
  deps.logger.info('The import queues are empty', { queues: queueUrls.length });
}
