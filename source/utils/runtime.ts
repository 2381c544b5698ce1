// SPDX-License-Identifier: Apache-2.0
/**
 * What a handler takes from its surroundings: environment, clock, sleep, randomness, the HTTP client
 * and the log sink. Every handler module exports `createHandler(runtime = defaultRuntime())`, so that
 * tests drive it with a fake clock, a fake `fetch` and captured logs; Lambda uses the defaults.
 */
import { cognitoClient } from './clients';
import { RateLimitedCognito } from './cognito';
import { solutionEnvironment, type Env, type SolutionEnvironment } from './config';
import { DEFAULT_SOLUTION_VERSION, SERVICE_NAME } from './constants';
import { CognitoQuotaLimiter } from './limiter';
import { realSleep, type Now, type Sleep } from './time';
import { createLogger, type LogFields, type Logger } from './logger';
import { DEFAULT_RETRY, type RetryOptions } from './retry';
import { errorName } from './errors';
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

const parsedSolutions = new WeakMap<Env, SolutionEnvironment>();

/** The runtime's shared variables (solution identity, log level), parsed once per environment. */
export function runtimeSolution(runtime: Pick<Runtime, 'env'>): SolutionEnvironment {
  let parsed = parsedSolutions.get(runtime.env);
  if (parsed === undefined) {
    parsed = solutionEnvironment(runtime.env);
    parsedSolutions.set(runtime.env, parsed);
  }
  return parsed;
}

/** Log-line fields naming the solution, when the environment names it (every deployed function does). */
function identityFields(solution: SolutionEnvironment): LogFields {
  if (solution.solutionId === undefined) return {};
  return {
    service: SERVICE_NAME,
    solutionId: solution.solutionId,
    version: solution.solutionVersion ?? DEFAULT_SOLUTION_VERSION,
  };
}

/**
 * The one logger factory of the handlers: the runtime's clock, log sink and log level
 * (`AWS_LAMBDA_LOG_LEVEL`), `service`, `solutionId` and `version` when the environment names the
 * solution, and `fields` on every line.
 */
export function runtimeLogger(runtime: Runtime, fields: LogFields): Logger {
  const solution = runtimeSolution(runtime);
  const level = solution.logLevel ?? 'info';
  return createLogger(
    { ...identityFields(solution), ...fields },
    runtime.write ? { write: runtime.write, now: runtime.now, level } : { now: runtime.now, level },
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
