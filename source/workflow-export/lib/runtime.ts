/**
 * What a handler takes from its surroundings: environment, clock, sleep, randomness and the log sink.
 * Handlers are built from a `Runtime` so that tests drive them with a fake clock and captured logs;
 * Lambda uses `defaultRuntime()`.
 */
import { cognitoClient } from '../../utils/clients';
import { RateLimitedCognito } from '../../utils/cognito';
import type { Env } from '../../utils/config';
import { realSleep, SlidingWindowLimiter, type Now, type Sleep } from '../../utils/limiter';
import { createLogger, type Logger } from '../../utils/logger';
import { DEFAULT_RETRY, errorName, type RetryOptions } from '../../utils/retry';
import { TimeBudget, type LambdaContextLike } from '../../utils/time-budget';

export interface Runtime {
  env: Env;
  now: Now;
  sleep: Sleep;
  random: () => number;
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

export function timeBudget(runtime: Runtime, context?: LambdaContextLike): TimeBudget {
  return new TimeBudget(context, runtime.now);
}

/** Backoff for retried batch leftovers (DynamoDB UnprocessedItems, failed SQS entries). */
export function batchRetry(runtime: Runtime): RetryOptions {
  return { now: runtime.now, sleep: runtime.sleep, random: runtime.random };
}

/**
 * The invocation's only path to Cognito: one sliding-window limiter at `tps` calls per second, and
 * retries of throttling and transient errors (SDK v3 classification) that each take a limiter slot.
 */
export function rateLimitedCognito(runtime: Runtime, tps: number, logger: Logger): RateLimitedCognito {
  const limiter = new SlidingWindowLimiter(tps, runtime.now, runtime.sleep);
  return new RateLimitedCognito(cognitoClient(), limiter, {
    ...DEFAULT_RETRY,
    now: runtime.now,
    sleep: runtime.sleep,
    random: runtime.random,
    onRetry: ({ attempt, delayMs, error }) =>
      logger.warn('Retrying a Cognito call', { attempt, delayMs, error: errorName(error) }),
  });
}
