/**
 * What the import handlers take from their surroundings (environment, clock, sleep, randomness,
 * `fetch`, log sink) and the rules they share: the new-user-pool id rule and the state name (spec §5).
 * Handlers are built from a `Runtime` so that tests drive them with a fake clock and captured logs.
 */
import { cognitoClient } from '../../utils/clients';
import { RateLimitedCognito } from '../../utils/cognito';
import { cognitoTps, type Env, type VarSpec } from '../../utils/config';
import { realSleep, SlidingWindowLimiter, type Now, type Sleep } from '../../utils/limiter';
import { createLogger, type Logger } from '../../utils/logger';
import { DEFAULT_RETRY, errorName, type RetryOptions } from '../../utils/retry';
import type { SfnContextObject } from '../../utils/step-functions';
import { TimeBudget, type LambdaContextLike } from '../../utils/time-budget';

export interface Runtime {
  env: Env;
  now: Now;
  sleep: Sleep;
  random: () => number;
  /** The pre-signed upload and the anonymous metric; the global `fetch` when absent. */
  fetch?: typeof fetch;
  /** Log sink; stdout when absent. */
  write?: (line: string) => void;
}

export const defaultRuntime = (): Runtime => ({
  env: process.env,
  now: Date.now,
  sleep: realSleep,
  random: Math.random,
});

export function handlerLogger(runtime: Runtime, handler: string, context?: LambdaContextLike): Logger {
  const fields = context?.awsRequestId ? { handler, requestId: context.awsRequestId } : { handler };
  return createLogger(
    fields,
    runtime.write ? { write: runtime.write, now: runtime.now } : { now: runtime.now },
  );
}

export function timeBudget(runtime: Runtime, context?: LambdaContextLike, reserveMs?: number): TimeBudget {
  return new TimeBudget(context, runtime.now, reserveMs);
}

/**
 * Retries inside one short step (a check on a 60-second Lambda, a page already started) may use the
 * invocation's time up to this much before its end; the one-minute rule governs starting new work.
 */
export const RESPONSE_RESERVE_MS = 10_000;

/** The epoch ms by which retries of a step already under way must be over. */
export function stepDeadline(runtime: Runtime, context?: LambdaContextLike): number {
  return timeBudget(runtime, context, RESPONSE_RESERVE_MS).deadline();
}

/** Backoff for retried batch leftovers and uploads, bounded by the invocation's deadline. */
export function retryOptions(runtime: Runtime, deadline?: number): RetryOptions {
  return { now: runtime.now, sleep: runtime.sleep, random: runtime.random, deadline };
}

/**
 * The invocation's only path to Cognito: one sliding-window limiter at `tps` calls per second, and
 * retries of throttling and transient errors that each take a limiter slot and never sleep past
 * `deadline`.
 */
export function rateLimitedCognito(
  runtime: Runtime,
  tps: number,
  logger: Logger,
  deadline?: number,
): RateLimitedCognito {
  const limiter = new SlidingWindowLimiter(tps, runtime.now, runtime.sleep);
  return new RateLimitedCognito(cognitoClient(), limiter, {
    ...DEFAULT_RETRY,
    ...retryOptions(runtime, deadline),
    onRetry: ({ attempt, delayMs, error }) =>
      logger.warn('Retrying a Cognito call', { attempt, delayMs, error: errorName(error) }),
  });
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

/** `Context.Execution.Input.NewUserPoolId`, trimmed; anything else is the spec's error (§5). */
export function newUserPoolId(context: SfnContextObject | undefined): string {
  const raw = (context?.Execution?.Input as { NewUserPoolId?: unknown } | undefined)?.NewUserPoolId;
  const id = typeof raw === 'string' ? raw.trim() : '';
  if (id === '') throw new Error(NEW_USER_POOL_ID_ERROR);
  return id;
}

export function stateName(context: SfnContextObject | undefined): string | undefined {
  return context?.State ? context.State.Name : undefined;
}

/** Used when there is no Lambda context: the longest timeout of the import Lambdas (900 s). */
const DEFAULT_INVOCATION_MS = 900_000;
/** Margin past the end of the invocation, so that nothing this invocation received reappears early. */
const HOLD_MARGIN_SECONDS = 60;
const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * The visibility timeout requested with every ReceiveMessage: the invocation's remaining time plus a
 * margin. A received message therefore stays invisible for as long as this invocation can still work
 * on it (retries included), whatever the queue's own 30-second default; the invocation deletes it when
 * done or releases it (visibility 0) when it gives it back. No extension calls are needed.
 */
export function holdSeconds(context: LambdaContextLike | undefined): number {
  const remainingMs = context ? context.getRemainingTimeInMillis() : DEFAULT_INVOCATION_MS;
  return Math.min(
    MAX_VISIBILITY_SECONDS,
    Math.max(HOLD_MARGIN_SECONDS, Math.ceil(remainingMs / 1000) + HOLD_MARGIN_SECONDS),
  );
}
