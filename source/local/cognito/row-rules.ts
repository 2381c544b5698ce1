// SPDX-License-Identifier: Apache-2.0
/**
 * The rules a user-import job applies to each CSV row before it creates the user. A rule returns the
 * reason the row is refused (no values in it: reasons end up in the job's line log), or `undefined`.
 * A refused row is counted in the job's `FailedUsers` and the job goes on with the next row, as
 * Cognito's import does; only the share of refused rows decides whether the job ends `Failed`
 * (see `DEFAULT_IMPORT_FAILURE_THRESHOLD`).
 *
 * To add a rule, write a `RowRule` and put it in `ROW_RULES` where its reason should win: the first
 * rule that refuses a row gives the reason.
 */
import type { PoolState } from './store';

/** One CSV row as the rules see it. */
export interface ImportRow {
  /** `cognito:username`. */
  readonly username: string;
  /** `cognito:mfa_enabled`, as written. */
  readonly mfaEnabled: string;
  /** Every other non-empty column, by header name (`email`, `custom:tenant`, ...). */
  readonly attributes: Readonly<Record<string, string>>;
}

export type RowRule = (row: ImportRow, pool: PoolState) => string | undefined;

/** Cognito accepts `true`/`false` in any case for boolean columns. */
export const isTrue = (value: string | undefined): boolean => value?.toLowerCase() === 'true';

const isBoolean = (value: string): boolean => /^(true|false)$/i.test(value);

export const VERIFIED_FLAGS = ['email_verified', 'phone_number_verified'] as const;

export const usernamePresent: RowRule = (row) =>
  row.username === '' ? 'cognito:username is empty.' : undefined;

export const usernameWithoutWhitespace: RowRule = (row) =>
  /\s/.test(row.username) ? 'cognito:username contains whitespace.' : undefined;

export const mfaFlagIsBoolean: RowRule = (row) =>
  isBoolean(row.mfaEnabled) ? undefined : 'cognito:mfa_enabled must be true or false.';

/** `cognito:mfa_enabled` must match the pool's MFA mode: false when MFA is off, true when required. */
export const mfaMatchesPool: RowRule = (row, pool) => {
  const enabled = isTrue(row.mfaEnabled);
  if (pool.mfaConfiguration === 'OFF' && enabled)
    return 'cognito:mfa_enabled must be false because MFA is off in the user pool.';
  if (pool.mfaConfiguration === 'ON' && !enabled)
    return 'cognito:mfa_enabled must be true because MFA is required in the user pool.';
  return undefined;
};

export const verifiedFlagsAreBoolean: RowRule = (row) => {
  for (const flag of VERIFIED_FLAGS) {
    const value = row.attributes[flag];
    if (value !== undefined && !isBoolean(value)) return `${flag} must be true or false.`;
  }
  return undefined;
};

export const verifiedEmailPresent: RowRule = (row) =>
  isTrue(row.attributes.email_verified) && row.attributes.email === undefined
    ? 'email_verified is true but email is empty.'
    : undefined;

export const verifiedPhonePresent: RowRule = (row) =>
  isTrue(row.attributes.phone_number_verified) && row.attributes.phone_number === undefined
    ? 'phone_number_verified is true but phone_number is empty.'
    : undefined;

/** At least one of the pool's auto-verified attributes must be verified. */
export const autoVerifiedAttributeVerified: RowRule = (row, pool) =>
  pool.autoVerifiedAttributes.length > 0 &&
  !pool.autoVerifiedAttributes.some((attribute) => isTrue(row.attributes[`${attribute}_verified`]))
    ? 'The user does not set any of the auto verified attributes to verified.'
    : undefined;

/** Every attribute the pool's schema requires has a value. */
export const requiredAttributesPresent: RowRule = (row, pool) =>
  pool.requiredAttributes.some((name) => row.attributes[name] === undefined)
    ? 'The user is missing a value for an attribute the user pool requires.'
    : undefined;

export const updatedAtIsEpochSeconds: RowRule = (row) =>
  row.attributes.updated_at !== undefined && !/^[0-9]+$/.test(row.attributes.updated_at)
    ? 'updated_at must be a number of seconds since the epoch.'
    : undefined;

/** Applied in this order; the first refusal is the row's reason. */
export const ROW_RULES: readonly RowRule[] = [
  usernamePresent,
  usernameWithoutWhitespace,
  mfaFlagIsBoolean,
  mfaMatchesPool,
  verifiedFlagsAreBoolean,
  verifiedEmailPresent,
  verifiedPhonePresent,
  autoVerifiedAttributeVerified,
  requiredAttributesPresent,
  updatedAtIsEpochSeconds,
];

/** Why the row is refused, or `undefined` when every rule accepts it. */
export function refusal(
  row: ImportRow,
  pool: PoolState,
  rules: readonly RowRule[] = ROW_RULES,
): string | undefined {
  for (const rule of rules) {
    const reason = rule(row, pool);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

/**
 * The share of failed and skipped rows above which a job ends `Failed` with "Too many users have
 * failed or been skipped during the import." Cognito does not publish its figure; the emulator uses
 * one half: a job with a few refused rows ends `Succeeded` with `FailedUsers` > 0, as Cognito's
 * developer guide describes, and a file that is mostly refused fails.
 */
export const DEFAULT_IMPORT_FAILURE_THRESHOLD = 0.5;
