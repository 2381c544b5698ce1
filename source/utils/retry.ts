// SPDX-License-Identifier: Apache-2.0
/**
 * Retries for the loops the SDK cannot retry itself (`UnprocessedItems`, failed batch entries,
 * Cognito attempts that must pass through the limiter, polling). Errors are classified with the
 * SDK v3 fields (`$retryable`, `$metadata.httpStatusCode`, error names) through the SDK's own
 * classifiers; the v2-style `retryable: true` flag is still honoured for callers that inject it.
 */
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { realSleep, type Now, type Sleep } from './limiter';

interface ErrorShape {
  name?: string;
  code?: string;
  message?: string;
  retryable?: unknown;
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number };
}

function shape(error: unknown): ErrorShape | undefined {
  return typeof error === 'object' && error !== null ? (error as ErrorShape) : undefined;
}

export function errorName(error: unknown): string {
  return shape(error)?.name ?? 'Error';
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error);
}

export function isThrottling(error: unknown): boolean {
  const e = shape(error);
  // The classifier's parameter type is the SDK's error shape; any object with the fields works.
  return e !== undefined && isThrottlingError(e as Parameters<typeof isThrottlingError>[0]);
}

/**
 * A network error that reached the SDK's retry middleware as an object of another JavaScript realm (as
 * under a test runner's VM context) is rewrapped as `AWS SDK error wrapper for <name>: <message>`:
 * its `code` is gone, only the message tells a dropped connection.
 */
const SDK_WRAPPED_NETWORK_ERROR =
  /^AWS SDK error wrapper for (?:TimeoutError|Error): .*\b(?:ECONNRESET|EPIPE|ETIMEDOUT|ECONNREFUSED|socket hang up)\b/;

export function isRetryableError(error: unknown): boolean {
  const e = shape(error);
  if (e === undefined) return false;
  if (e.retryable === true || e.$retryable !== undefined) return true;
  const sdkError = e as Parameters<typeof isTransientError>[0];
  return (
    isThrottlingError(sdkError) ||
    isTransientError(sdkError) ||
    isServerError(sdkError) ||
    SDK_WRAPPED_NETWORK_ERROR.test(e.message ?? '')
  );
}

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

export const DEFAULT_RETRY = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 10_000 } as const;

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
