// SPDX-License-Identifier: Apache-2.0
/**
 * What an error is: its name and message for logs and causes, and whether it is worth a retry.
 * Errors are classified with the SDK v3 fields (`$retryable`, `$metadata.httpStatusCode`, error
 * names) through the SDK's own classifiers; the v2-style `retryable: true` flag is still honoured
 * for callers that inject it.
 */
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';

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
