// SPDX-License-Identifier: Apache-2.0
/**
 * What a handler takes from its surroundings: environment, clock, sleep, randomness, the HTTP client
 * and the log sink. Every handler module exports `createHandler(runtime = defaultRuntime())`, so that
 * tests drive it with a fake clock, a fake `fetch` and captured logs; Lambda uses the defaults.
 */
import { cognitoClient } from './clients';
import { RateLimitedCognito } from './cognito';
import type { Env } from './config';
import { CognitoQuotaLimiter, realSleep, type Now, type Sleep } from './limiter';
import { createLogger, type LogFields, type Logger } from './logger';
import { DEFAULT_RETRY, errorName, type RetryOptions } from './retry';
import { TimeBudget, type LambdaContextLike } from './time-budget';

export interface Runtime {
  env: Env;
  now: Now;
  sleep: Sleep;
  random: () => number;
  /** Pre-signed uploads, CloudFormation responses and anonymous metrics; the global `fetch` when absent. */
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

/** A logger on the runtime's clock and log sink, with `fields` on every line. */
export function runtimeLogger(runtime: Runtime, fields: LogFields): Logger {
  return createLogger(
    fields,
    runtime.write ? { write: runtime.write, now: runtime.now } : { now: runtime.now },
  );
}

/** The logger of one invocation: the handler's name and, when Lambda gives one, the request id. */
export function handlerLogger(runtime: Runtime, handler: string, context?: LambdaContextLike): Logger {
  return runtimeLogger(
    runtime,
    context?.awsRequestId ? { handler, requestId: context.awsRequestId } : { handler },
  );
}

/** The invocation's time budget on the runtime's clock; `reserveMs` defaults to the one-minute rule. */
export function timeBudget(runtime: Runtime, context?: LambdaContextLike, reserveMs?: number): TimeBudget {
  return new TimeBudget(context, runtime.now, reserveMs);
}

/** Backoff on the runtime's clock (batch leftovers, uploads), bounded by `deadline` when given. */
export function retryOptions(runtime: Runtime, deadline?: number): RetryOptions {
  return { now: runtime.now, sleep: runtime.sleep, random: runtime.random, deadline };
}

/**
 * The invocation's only path to Cognito: one sliding-window limiter at `tps` calls per second (and
 * below it, per operation, Cognito's own quota where that is lower), and
 * retries of throttling and transient errors (SDK v3 classification) that each take a limiter slot
 * and never sleep past `deadline`.
 */
export function rateLimitedCognito(
  runtime: Runtime,
  tps: number,
  logger: Logger,
  deadline?: number,
): RateLimitedCognito {
  const limiter = new CognitoQuotaLimiter(tps, runtime.now, runtime.sleep);
  return new RateLimitedCognito(cognitoClient(), limiter, {
    ...DEFAULT_RETRY,
    ...retryOptions(runtime, deadline),
    onRetry: ({ attempt, delayMs, error }) =>
      logger.warn('Retrying a Cognito call', { attempt, delayMs, error: errorName(error) }),
  });
}
