// SPDX-License-Identifier: Apache-2.0
/**
 * Retries for the loops the SDK cannot retry itself (`UnprocessedItems`, failed batch entries,
 * Cognito attempts that must pass through the limiter, polling), and the one table of retry budgets.
 * Which errors are worth a retry is decided in `errors.ts`.
 */
import { errorName, isRetryableError } from './errors';
import { realSleep, type Now, type Sleep } from './time';

/** Thrown when the next retry would end after the caller's deadline. `cause` is the last error. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  constructor(
    message: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Epoch ms after which no retry may still be sleeping; the last error is then wrapped. */
  deadline?: number;
  isRetryable?: (error: unknown) => boolean;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  now?: Now;
  sleep?: Sleep;
  random?: () => number;
}

/**
 * Every retry budget of the solution, in one table: attempts in all, the first included.
 * - `cognito`: a Cognito call through the limiter (throttling and transient errors).
 * - `cognitoSdk`: the SDK's own attempts of one Cognito call: one, so that every retry takes a limiter slot.
 * - `sdk`: the SDK's own standard retry strategy for every other client.
 * - `dynamoDbUnprocessed`: resending a batch write's `UnprocessedItems`.
 * - `sqsFailedEntries`: resending the failed entries of an SQS batch.
 * - `upload`: the CSV upload to the import job's pre-signed URL.
 * - `cloudFormationResponse`: a custom resource's response to CloudFormation.
 * - `userPoolCheck`: the stack checker's one DescribeUserPool call.
 */
export const RETRY_BUDGETS = {
  cognito: 8,
  cognitoSdk: 1,
  sdk: 5,
  dynamoDbUnprocessed: 10,
  sqsFailedEntries: 6,
  upload: 5,
  cloudFormationResponse: 5,
  userPoolCheck: 5,
} as const;

export const DEFAULT_RETRY = {
  maxAttempts: RETRY_BUDGETS.cognito,
  baseDelayMs: 100,
  maxDelayMs: 10_000,
} as const;

/**
 * Delay before retry number `attempt` (1 for the first retry): capped exponential growth with
 * "equal jitter", so the delay always lies in [cap/2, cap] and grows with every attempt until the cap.
 */
export function backoffDelay(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number,
): number {
  const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
  return Math.round(cap / 2 + (random() * cap) / 2);
}

export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
  const baseDelayMs = options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const isRetryable = options.isRetryable ?? isRetryableError;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;

  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!isRetryable(error) || attempt >= maxAttempts) throw error;
      const delayMs = backoffDelay(attempt, baseDelayMs, maxDelayMs, random);
      if (options.deadline !== undefined && now() + delayMs > options.deadline) {
        throw new DeadlineExceededError(
          `Gave up after ${attempt} attempt(s): the time budget ran out while retrying (${errorName(error)})`,
          attempt,
          { cause: error },
        );
      }
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}
