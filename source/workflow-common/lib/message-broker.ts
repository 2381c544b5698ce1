/**
 * The workflows' notifier (spec §3.3): the error path publishes every failure; the cleanup path
 * records the export timestamp and announces success when the SNS preference asks for it. Both send
 * the anonymous operational metric when it is enabled.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Now } from '../../utils/limiter';
import type { Logger } from '../../utils/logger';
import { errorMessage, errorName } from '../../utils/retry';
import { workflowName, type SfnContextObject } from '../../utils/step-functions';
import {
  CLEANUP_STATE,
  ERROR_HANDLER_STATES,
  EXPORT_WORKFLOW,
  IMPORT_WORKFLOW,
  type MessageBrokerEvent,
  type MessageBrokerInput,
} from './types';

export const LATEST_EXPORT_TIMESTAMP_ID = 'latest-export-timestamp';

export type SnsPreference = 'INFO_AND_ERRORS' | 'ERRORS_ONLY';

export interface MessageBrokerConfig {
  tableName: string;
  typeTimestamp: string;
  snsPreference: SnsPreference;
  isPrimaryRegion: string;
  topicArn: string;
  region: string;
}

export interface MessageBrokerDeps {
  sns: SNSClient;
  ddb: DynamoDBDocumentClient;
  logger: Logger;
  now: Now;
  config: MessageBrokerConfig;
  /** Sends the anonymous metric when enabled; never throws. */
  sendMetric(data: Record<string, unknown>): Promise<unknown>;
}

/**
 * Raised when the error notification itself could not be published. Its message carries both the
 * publish failure and the workflow's own error, so the failed execution still shows what went wrong
 * first (the original let the SNS error replace it, §9.1-23).
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

export function errorNotification(context: SfnContextObject, error: unknown): string {
  return (
    `An unexpected error occurred while executing the ${context.StateMachine.Name} for this solution:\n` +
    `${pretty(error)}\n\nPlease check the state machine's task logs for additional information\n\n` +
    `Execution details:\n${pretty(context)}`
  );
}

export function successNotification(context: SfnContextObject, seconds: number): string {
  return (
    `Workflow (${context.StateMachine.Name}) completed successfully. Execution took ${seconds} second(s).\n\n` +
    `Execution details:\n${pretty(context)}`
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

async function reportError(event: MessageBrokerEvent, deps: MessageBrokerDeps): Promise<void> {
  const { Context: context, Input: input } = event;
  const error = workflowError(input);
  let publishFailure: unknown;
  try {
    // Errors are always published, whatever the SNS preference.
    await deps.sns.send(
      new PublishCommand({ TopicArn: deps.config.topicArn, Message: errorNotification(context, error) }),
    );
    deps.logger.info('Published the workflow error notification', { workflowError: input?.Error });
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
        `The workflow failed with: ${summary(input, error)}`,
      { cause: publishFailure },
    );
  }
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
        },
      }),
    );
    deps.logger.info('Recorded the latest export timestamp', { exportTimestamp: input.ExportTimestamp });
  }
  if (deps.config.snsPreference === 'INFO_AND_ERRORS') {
    await deps.sns.send(
      new PublishCommand({
        TopicArn: deps.config.topicArn,
        Message: successNotification(context, executionSeconds(context, deps.now)),
      }),
    );
    deps.logger.info('Published the workflow success notification');
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
  if (ERROR_HANDLER_STATES.includes(state)) return reportError(event, deps);
  if (state === CLEANUP_STATE) return reportSuccess(event, deps);
  deps.logger.warn('Not a message-broker state; nothing to do', { state });
}
