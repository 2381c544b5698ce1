// SPDX-License-Identifier: Apache-2.0
/**
 * Validation of the fields the export Lambdas need from their Step Functions input. The messages
 * follow the original's "Error validating Event Payload" wording.
 */

export class EventPayloadError extends Error {
  override readonly name = 'EventPayloadError';
}

const missing = (field: string): EventPayloadError =>
  new EventPayloadError(`Error validating Event Payload. Missing value for ${field}`);

/** An export run's timestamp (epoch ms). Items stamped with it survive the run's cleanup. */
export function requireTimestamp(value: unknown, field: string): number {
  if (value === undefined || value === null || value === '' || value === 0) throw missing(field);
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new EventPayloadError(
      `Error validating Event Payload. ${field} must be a number of milliseconds since the epoch`,
    );
  }
  return value;
}

export function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw missing(field);
  return value;
}

/** A continuation token: absent, `''` and non-strings all mean "start from the beginning". */
export function optionalToken(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
