/** The import workflow's check that both import queues start out empty (spec §3.2). */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '../../utils/logger';
import { IMPORT_WORKFLOW } from './types';

/**
 * Checked in this order, each only when the response has it. `ApproximateNumberOfMessagesVisible` is
 * not an SQS attribute and is therefore always skipped; it stays in the list so that the order and the
 * messages match the original (§9.1-19).
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
  for (const [index, queueUrl] of queueUrls.entries()) {
    const attributes = responses[index]?.Attributes ?? {};
    for (const counter of QUEUE_COUNTERS) {
      const value = (attributes as Record<string, string | undefined>)[counter];
      if (value !== undefined && value !== '0') {
        throw new QueueNotEmptyError(
          `Queue (${queueUrl}) is not empty. Expected a value of "0" for attribute (${counter}) and found value "${value}" instead. Please purge this queue prior to running this workflow`,
        );
      }
    }
  }
  deps.logger.info('The import queues are empty', { queues: queueUrls.length });
}
