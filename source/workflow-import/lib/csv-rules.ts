// SPDX-License-Identifier: Apache-2.0
/**
 * The target pool's rules for a CSV user import row, checked before a user is written to the file.
 *
 * Cognito's import job refuses a row (and fails the whole job when too many are refused) when:
 * - none of the pool's auto-verified attributes (`email`, `phone_number`) is marked verified with the
 *   attribute present (with one auto-verified attribute, that one must be verified);
 * - `email_verified` is true without an `email`, or `phone_number_verified` without a `phone_number`;
 * - an attribute the pool marks as required is empty;
 * - `cognito:mfa_enabled` does not match the pool's MFA mode: `false` when MFA is OFF, `true` when it
 *   is ON (and SMS MFA needs a phone number), either when OPTIONAL.
 * A user who would break one of them is created with AdminCreateUser instead (see admin-create.ts),
 * and the rule is recorded for the restore report. The reason codes below are part of the report's
 * format (README, "Restore report").
 */
import type { UserPoolType } from '@aws-sdk/client-cognito-identity-provider';
import type { BackupUserItem, NameValue } from './types';

export type MfaMode = 'OFF' | 'ON' | 'OPTIONAL';

/** Why a user does not go into the CSV file. */
export const ROW_RULES = {
  noVerifiedAttribute: 'no-verified-auto-verified-attribute',
  emailVerifiedWithoutEmail: 'email-verified-without-email',
  phoneVerifiedWithoutPhone: 'phone-verified-without-phone',
  missingRequiredAttribute: 'missing-required-attribute',
  mfaWithoutVerifiedPhone: 'mfa-required-without-verified-phone',
  notRepresentable: 'value-not-representable-in-csv',
} as const;
export type RowRule = (typeof ROW_RULES)[keyof typeof ROW_RULES];

/** What the check needs to know about the target pool (from its DescribeUserPool). */
export interface TargetPoolRules {
  mfa: MfaMode;
  autoVerified: string[];
  /** Attributes the pool's schema marks Required, `sub` aside (Cognito sets it). */
  required: string[];
  usernameAttributes: string[];
}

export function targetPoolRules(pool: UserPoolType): TargetPoolRules {
  const mfa = pool.MfaConfiguration;
  return {
    mfa: mfa === 'ON' || mfa === 'OPTIONAL' ? mfa : 'OFF',
    autoVerified: [...(pool.AutoVerifiedAttributes ?? [])],
    required: (pool.SchemaAttributes ?? [])
      .filter((attribute) => attribute.Required === true && attribute.Name !== undefined)
      .map((attribute) => attribute.Name as string)
      .filter((name) => name !== 'sub'),
    usernameAttributes: [...(pool.UsernameAttributes ?? [])],
  };
}

/** The user's attributes as a map (first value of a name wins; non-text values are absent). */
export function attributeMap(item: Pick<BackupUserItem, 'userAttributes'>): Map<string, string> {
  const map = new Map<string, string>();
  for (const attribute of (item.userAttributes ?? []) as (NameValue | null)[]) {
    const name = attribute?.Name;
    const value = attribute?.Value;
    if (typeof name === 'string' && typeof value === 'string' && !map.has(name)) map.set(name, value);
  }
  return map;
}

const filled = (value: string | undefined): boolean => value !== undefined && value.trim() !== '';
const isTrue = (value: string | undefined): boolean => value?.trim().toLowerCase() === 'true';

/** A verified value of `attribute` (`email` or `phone_number`): present and its `_verified` flag true. */
export function verified(attributes: Map<string, string>, attribute: string): boolean {
  return filled(attributes.get(attribute)) && isTrue(attributes.get(`${attribute}_verified`));
}

/**
 * The source user's SMS MFA setting, from the `MFAOptions` that ListUsers returned and the export
 * stored (`userMFAOptions`, added in this version). Tables written by v1.0.10 have no such field: false.
 */
export function smsMfaEnabled(item: BackupUserItem): boolean {
  const options = item.userMFAOptions;
  return Array.isArray(options) && options.some((option) => option?.DeliveryMedium === 'SMS');
}

/**
 * `cognito:mfa_enabled` for the user in the target pool: false when its MFA is OFF, true when ON, and
 * the source user's SMS MFA setting when OPTIONAL (false without a phone number to send codes to).
 */
export function mfaEnabled(item: BackupUserItem, rules: Pick<TargetPoolRules, 'mfa'>): boolean {
  if (rules.mfa === 'OFF') return false;
  if (rules.mfa === 'ON') return true;
  return smsMfaEnabled(item) && filled(attributeMap(item).get('phone_number'));
}

/** The first rule the user's CSV row would break in the target pool, or undefined when it would import. */
export function csvRowProblem(item: BackupUserItem, rules: TargetPoolRules): RowRule | undefined {
  const attributes = attributeMap(item);
  if (isTrue(attributes.get('email_verified')) && !filled(attributes.get('email'))) {
    return ROW_RULES.emailVerifiedWithoutEmail;
  }
  if (isTrue(attributes.get('phone_number_verified')) && !filled(attributes.get('phone_number'))) {
    return ROW_RULES.phoneVerifiedWithoutPhone;
  }
  if (rules.autoVerified.length > 0 && !rules.autoVerified.some((name) => verified(attributes, name))) {
    return ROW_RULES.noVerifiedAttribute;
  }
  if (rules.required.some((name) => !filled(attributes.get(name)))) return ROW_RULES.missingRequiredAttribute;
  // MFA ON: every row is imported with MFA enabled, which needs a verified phone for SMS codes.
  if (rules.mfa === 'ON' && !verified(attributes, 'phone_number')) return ROW_RULES.mfaWithoutVerifiedPhone;
  return undefined;
}
