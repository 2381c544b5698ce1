// SPDX-License-Identifier: Apache-2.0
/** Event and output shapes of the Lambdas shared by both workflows. */
import type { WrappedEvent, WrappedResult } from '../../utils/step-functions';

export type CheckExecutionsEvent = WrappedEvent<unknown> & {
  /** State machines (ARNs) none of whose executions may run beside this one. */
  AlsoNotRunning?: unknown;
};
export type CheckExecutionsOutput = WrappedResult<{ OnlyThisStateMachineExecution: boolean }>;

export type CheckWorkflowQueuesEvent = WrappedEvent;
export type CheckWorkflowQueuesOutput = WrappedResult<
  Record<string, unknown> & { QueuesStartedOutEmpty: true }
>;

/** The error handler receives the Catch payload; the cleanup state the workflow's last output. */
export interface MessageBrokerInput {
  Error?: string;
  Cause?: string;
  ExportTimestamp?: number;
  [field: string]: unknown;
}
export type MessageBrokerEvent = WrappedEvent<MessageBrokerInput>;

/** The message broker's error-handler states in the current state machines. */
export const ERROR_HANDLER_STATES: readonly string[] = [
  'WorkflowErrorHandlerLambda',
  'Parallel: WorkflowErrorHandlerLambda (Scan Table)',
  'Parallel: WorkflowErrorHandlerLambda',
];
/**
 * Error-handler states no current definition uses (the groups Map is gone since 2.0); an execution
 * started before an update may still reach the first, and keeping them costs nothing.
 */
export const LEGACY_ERROR_HANDLER_STATES: readonly string[] = [
  'WorkflowErrorHandlerLambdaGroupsMap',
  'WorkflowErrorHandlerLambdaDeletedGroupsMap',
];
export const CLEANUP_STATE = 'WorkflowCleanupLambda';

export const EXPORT_WORKFLOW = 'ExportWorkflow';
export const IMPORT_WORKFLOW = 'ImportWorkflow';
export const REPAIR_WORKFLOW = 'RepairWorkflow';
