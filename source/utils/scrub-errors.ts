// SPDX-License-Identifier: Apache-2.0
/**
 * The uncaught-error path of every handler. An error a handler does not catch reaches the Lambda
 * runtime's log, the Step Functions execution history (`Cause`) and, through the message broker, the
 * SNS e-mail; an SDK error can echo a username or an attribute value. `scrubErrors` masks e-mail
 * addresses and phone numbers in the error's message and stack trace the way the logger does, keeping
 * the error's class and name (state machines and callers match on the name).
 */
import { scrub } from './logger';

const MAX_CAUSE_DEPTH = 5;

function scrubInPlace(error: Error, depth: number): Error {
  try {
    error.message = scrub(error.message);
    if (typeof error.stack === 'string') error.stack = scrub(error.stack);
    if (error.cause instanceof Error && depth < MAX_CAUSE_DEPTH) scrubInPlace(error.cause, depth + 1);
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a non-Error cause, as JavaScript prints it
    else if (error.cause !== undefined) error.cause = scrub(String(error.cause));
    return error;
  } catch {
    // A frozen or read-only error: a plain copy with the same name carries the scrubbed text instead.
    const copy = new Error(scrub(error.message));
    copy.name = error.name;
    copy.stack = scrub(error.stack ?? '');
    return copy;
  }
}

/** The error with personal data masked; a thrown non-Error becomes an Error with its scrubbed text. */
export function scrubError(error: unknown): Error {
  if (error instanceof Error) return scrubInPlace(error, 0);
  return new Error(scrub(typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error))));
}

/** Wraps a handler so that whatever it throws is scrubbed first. */
export function scrubErrors<A extends unknown[], R>(
  handler: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    try {
      return await handler(...args);
    } catch (error) {
      throw scrubError(error);
    }
  };
}
