// SPDX-License-Identifier: Apache-2.0
/**
 * Why a workflow execution did not succeed, in the words a user needs: the state that failed and the
 * error its Lambda function threw (name and message, scrubbed of personal data as the Lambda logs
 * are), or the documented refusal it ended with. The workflows catch every Task error and end in a
 * Fail state that only says "An unexpected error occurred"; the error itself is in the Task's failure.
 */
import { scrub } from '../../utils/logger';
import type { ExecutionRecord } from '../aws/step-functions';

export interface WorkflowFailure {
  /** The state that failed: the Task whose Lambda function threw, or the Fail state of a refusal. */
  state: string;
  /** Logical id of the Lambda function the state invokes (absent for a Fail state). */
  lambda?: string;
  /** The error name (the Lambda's errorType, or the Fail state's Error). */
  error: string;
  /** The error message, first line, with e-mail addresses and phone numbers masked. */
  message: string;
  /** True for a refusal the workflows document (the run was stopped on purpose, nothing broke). */
  refusal: boolean;
}

/**
 * Errors that mean "refused by design": another execution running, a new pool that is not empty, a
 * pool with MFA, a workflow queue left with messages, an export cleanup that would delete more than
 * MaxDeletionCount and MaxDeletionPercent allow, a new pool that would lose data of the backup. Each message says what to do.
 */
export const REFUSAL_ERRORS = new Set([
  'AnotherExecutionRunning',
  'NewUserPoolNotEmpty',
  'UnsupportedUserPoolError',
  'QueueNotEmptyError',
  'MassDeletionRefusedError',
  'TargetPoolRefusedError',
]);

/** The message of a Lambda error document (`{"errorType","errorMessage",...}`), or the text itself. */
export function errorMessageOf(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not a Lambda error document
  }
  return cause;
}

const firstLine = (text: string): string => (text.split('\n')[0] ?? '').slice(0, 500);

export function explainFailure(record: ExecutionRecord): WorkflowFailure | undefined {
  if (record.status === 'SUCCEEDED' || record.status === 'RUNNING') return undefined;
  const task = record.failedTask;
  // A Fail state with its own Error (not the generic "unexpected error") is a refusal or a final
  // verdict of the workflow: its Cause says why. Otherwise the failing Task's error says why.
  if (record.error !== undefined && REFUSAL_ERRORS.has(record.error)) {
    return {
      state: record.failedState ?? record.error,
      error: record.error,
      message: firstLine(scrub(record.cause ?? '')),
      refusal: true,
    };
  }
  if (task !== undefined) {
    return {
      state: task.stateName,
      lambda: task.functionId,
      error: task.error,
      message: firstLine(scrub(errorMessageOf(task.cause))),
      refusal: REFUSAL_ERRORS.has(task.error),
    };
  }
  return {
    state: record.failedState ?? '(execution)',
    error: record.error ?? record.status,
    message: firstLine(scrub(errorMessageOf(record.cause ?? ''))),
    refusal: false,
  };
}

/**
 * What lets a refused run go on, when a template parameter does: the MFA refusal keeps the original's
 * words, which do not name the parameter.
 */
export function refusalHint(message: string): string | undefined {
  if (/MFA enabled are not supported/.test(message)) {
    return (
      'to back up a pool with MFA, set the stack parameter AllowMfaUserPools to Yes ' +
      '(locally: --parameter AllowMfaUserPools=Yes)'
    );
  }
  return undefined;
}
