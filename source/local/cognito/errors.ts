// SPDX-License-Identifier: Apache-2.0
/**
 * Errors the emulator returns, shaped as Cognito returns them on the wire: HTTP 400 (unless stated),
 * body `{"__type": "<Name>", "message": "<text>"}`, header `x-amzn-ErrorType`.
 */
export class CognitoServiceError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = errorType;
  }
}

export const resourceNotFound = (message: string): CognitoServiceError =>
  new CognitoServiceError('ResourceNotFoundException', message);

export const userPoolNotFound = (poolId: string): CognitoServiceError =>
  resourceNotFound(`User pool ${poolId} does not exist.`);

export const groupNotFound = (): CognitoServiceError => resourceNotFound('Group not found.');

export const userNotFound = (): CognitoServiceError =>
  new CognitoServiceError('UserNotFoundException', 'User does not exist.');

export const invalidParameter = (message: string): CognitoServiceError =>
  new CognitoServiceError('InvalidParameterException', message);

export const tooManyRequests = (): CognitoServiceError =>
  new CognitoServiceError('TooManyRequestsException', 'Rate exceeded');

/** A seed-path error naming the bad entry by its position (`users[3]`), never by its values. */
export function seedEntryError(entry: string, error: unknown): Error {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new Error(`${entry}: ${reason}`, { cause: error });
}

/**
 * Cognito's request validation (the Coral layer) reports every violated constraint in one
 * InvalidParameterException, e.g. `1 validation error detected: Value '61' at 'limit' failed to satisfy
 * constraint: Member must have value less than or equal to 60`.
 */
export class ValidationCollector {
  private readonly problems: string[] = [];

  /** `sensitive` fields (usernames, attribute values) are reported without their value, as Cognito does. */
  add(field: string, value: unknown, constraint: string, sensitive = false): void {
    const shown =
      value === undefined || value === null
        ? 'null '
        : sensitive
          ? ''
          : `'${typeof value === 'object' ? JSON.stringify(value) : String(value as string | number | boolean)}' `;
    this.problems.push(`Value ${shown}at '${field}' failed to satisfy constraint: ${constraint}`);
  }

  throwIfAny(): void {
    if (this.problems.length === 0) return;
    const count = this.problems.length;
    throw invalidParameter(
      `${count} validation error${count === 1 ? '' : 's'} detected: ${this.problems.join('; ')}`,
    );
  }
}
