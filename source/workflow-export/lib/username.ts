// SPDX-License-Identifier: Apache-2.0
/**
 * The pseudoUsername: the value a user signs in with, which is what the import writes into the CSV's
 * `cognito:username` column. Pools with a username attribute (`email`, `phone_number`) sign in with
 * that attribute's value; other pools with the Cognito `Username`. In a pool with both, a user may
 * have one or both: the verified one is taken (e-mail first), else the one it has (e-mail first).
 * The other stays an attribute of the user, so it still signs in with either after a restore.
 */
import type { AttributeType } from '@aws-sdk/client-cognito-identity-provider';

export class UsernameAttributesError extends Error {
  override readonly name = 'UsernameAttributesError';
}

/**
 * Parses the `UsernameAttributes` JSON carried by the workflow. Absent or empty means the pool has
 * no username attribute. Every call parses afresh: nothing is cached between invocations.
 */
export function parseUsernameAttributes(json: string | undefined): string[] {
  if (json === undefined || json.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new UsernameAttributesError(
      'UsernameAttributes is not valid JSON: expected an array of attribute names',
    );
  }
  if (!Array.isArray(parsed) || parsed.some((entry) => typeof entry !== 'string')) {
    throw new UsernameAttributesError('UsernameAttributes must be a JSON array of attribute names');
  }
  return parsed as string[];
}

export interface UserLike {
  Username?: string;
  Attributes?: AttributeType[];
}

const present = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/** Returns undefined when the user has no usable value; callers turn that into the original's error. */
export function pseudoUsername(user: UserLike, usernameAttributes: readonly string[]): string | undefined {
  if (usernameAttributes.length === 0) return present(user.Username) ? user.Username : undefined;
  const values = (user.Attributes ?? [])
    .filter((attribute) => attribute.Name !== undefined && usernameAttributes.includes(attribute.Name))
    .map((attribute) => attribute.Value)
    .filter(present);
  if (usernameAttributes.length === 1) return values[0];
  const valueOf = (name: string) => {
    const value = usernameAttributes.includes(name) ? attributeValue(user, name) : undefined;
    return present(value) ? value : undefined;
  };
  const verified = (name: string) =>
    attributeValue(user, `${name}_verified`)?.trim().toLowerCase() === 'true';
  const order = ['email', 'phone_number'].filter((name) => valueOf(name) !== undefined);
  const chosen = order.find(verified) ?? order[0];
  return chosen === undefined ? values[0] : valueOf(chosen);
}

export function attributeValue(user: UserLike, name: string): string | undefined {
  return user.Attributes?.find((attribute) => attribute.Name === name)?.Value;
}
