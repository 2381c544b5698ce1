// SPDX-License-Identifier: Apache-2.0
/**
 * What the import handlers derive from their invocation besides the shared runtime: the new user
 * pool's id and the state name, `COGNITO_TPS` where the original never read it, the
 * deadline of a step already under way.
 */
import { cognitoTps, type VarSpec } from '../../utils/config';
import { timeBudget, type Runtime } from '../../utils/runtime';
import type { SfnContextObject } from '../../utils/step-functions';
import type { LambdaContextLike } from '../../utils/time-budget';

/**
 * Retries inside one short step (a check on a 60-second Lambda, a page already started) may use the
 * invocation's time up to this much before its end; the one-minute rule governs starting new work.
 */
export const RESPONSE_RESERVE_MS = 10_000;

/** The epoch ms by which retries of a step already under way must be over. */
export function stepDeadline(runtime: Runtime, context?: LambdaContextLike): number {
  return timeBudget(runtime, context, RESPONSE_RESERVE_MS).deadline();
}

/** The template's default `CognitoTPS`. */
export const DEFAULT_COGNITO_TPS = 10;

/**
 * `COGNITO_TPS` for functions whose original never read it (import-users, check-new-user-pool): used
 * when set (and then validated like everywhere else), the stack parameter's default otherwise.
 */
export const optionalCognitoTps = (): VarSpec<number> => ({
  required: false,
  parse: (raw, name) =>
    raw === undefined || raw.trim() === '' ? DEFAULT_COGNITO_TPS : cognitoTps().parse(raw, name),
});

export const NEW_USER_POOL_ID_ERROR = 'Unable to determine the new user pool ID';

/** `Context.Execution.Input.NewUserPoolId`, trimmed; anything else is the original's error. */
export function newUserPoolId(context: SfnContextObject | undefined): string {
  const raw = (context?.Execution?.Input as { NewUserPoolId?: unknown } | undefined)?.NewUserPoolId;
  const id = typeof raw === 'string' ? raw.trim() : '';
  if (id === '') throw new Error(NEW_USER_POOL_ID_ERROR);
  return id;
}

export function stateName(context: SfnContextObject | undefined): string | undefined {
  return context?.State ? context.State.Name : undefined;
}

export class InvalidResumeError extends Error {
  override readonly name = 'InvalidResumeError';
}

/**
 * `Context.Execution.Input.Resume`: `true` continues a restore into a pool that already holds part of
 * it (README, "Resuming a restore"); absent or `false` is a restore into an empty pool. Anything else
 * is refused rather than guessed.
 */
export function isResume(context: SfnContextObject | undefined): boolean {
  const raw = (context?.Execution?.Input as { Resume?: unknown } | undefined)?.Resume;
  if (raw === undefined || raw === null || raw === false) return false;
  if (raw === true) return true;
  throw new InvalidResumeError(
    `Resume must be true or false in the execution input (found ${JSON.stringify(raw)})`,
  );
}

/** The execution's name (where its work objects go) and start time (the restore report's name). */
export function executionRun(context: SfnContextObject | undefined): {
  execution: string;
  startTime: string;
} {
  const execution = context?.Execution;
  const name = execution?.Name ?? execution?.Id?.split(':').pop() ?? '';
  if (name === '' || !execution?.StartTime)
    throw new Error('Unable to determine the execution name and start time');
  return { execution: name, startTime: execution.StartTime };
}

/** Where the Resume listing of the new pool's users is kept for this execution. */
export const RESUME_USERS_PART = 'resume-users';
