// SPDX-License-Identifier: Apache-2.0
/** Validation of custom-resource properties and request types. */
import { FAILED, type CustomResourceResponse, type RequestType } from '../../utils/custom-resource';
import { errorMessage } from '../../utils/errors';

const REQUEST_TYPES: readonly string[] = ['Create', 'Update', 'Delete'];

export function isRequestType(value: unknown): value is RequestType {
  return typeof value === 'string' && REQUEST_TYPES.includes(value);
}

/** The property as a non-blank string, or an error naming it (the original helper's wording). */
export function requireProperty(properties: object | undefined, name: string): string {
  const value = (properties as Record<string, unknown> | undefined)?.[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`Error validating ResourceProperties. Missing value for ${name}`);
  }
  return value;
}

/** How long an asynchronous responder waits before it answers FAILED itself (CloudFormation gives up after an hour). */
export const MAX_ASYNC_WAIT_MS = 55 * 60_000;

/** Every failure is answered with `Data.Error` = the error's message. */
export function failedResponse(error: unknown): CustomResourceResponse {
  return { status: FAILED, data: { Error: errorMessage(error) } };
}
