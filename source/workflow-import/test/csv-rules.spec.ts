// SPDX-License-Identifier: Apache-2.0
import type { UserPoolType } from '@aws-sdk/client-cognito-identity-provider';
import {
  csvRowProblem,
  mfaEnabled,
  ROW_RULES,
  smsMfaEnabled,
  targetPoolRules,
  type TargetPoolRules,
} from '../lib/csv-rules';
import type { BackupUserItem } from '../lib/types';

const user = (attributes: Record<string, string>, extra: Partial<BackupUserItem> = {}): BackupUserItem => ({
  pseudoUsername: 'someone',
  userAttributes: [
    { Name: 'sub', Value: 'sub-1' },
    ...Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
  ],
  ...extra,
});

const rules = (overrides: Partial<TargetPoolRules> = {}): TargetPoolRules => ({
  mfa: 'OFF',
  autoVerified: ['email'],
  required: [],
  usernameAttributes: [],
  ...overrides,
});

const SMS = { userMFAOptions: [{ DeliveryMedium: 'SMS', AttributeName: 'phone_number' }] };
const verifiedEmail = { email: 'a@example.com', email_verified: 'true' };
const verifiedPhone = { phone_number: '+14155550100', phone_number_verified: 'true' };

describe('targetPoolRules', () => {
  it('reads MFA mode, auto-verified, required (sub aside) and username attributes from DescribeUserPool', () => {
    const pool: UserPoolType = {
      MfaConfiguration: 'OPTIONAL',
      AutoVerifiedAttributes: ['email', 'phone_number'],
      UsernameAttributes: ['email', 'phone_number'],
      SchemaAttributes: [
        { Name: 'sub', Required: true },
        { Name: 'email', Required: true },
        { Name: 'name', Required: false },
        { Name: 'custom:tenant' },
      ],
    };
    expect(targetPoolRules(pool)).toEqual({
      mfa: 'OPTIONAL',
      autoVerified: ['email', 'phone_number'],
      required: ['email'],
      usernameAttributes: ['email', 'phone_number'],
    });
  });

  it('treats a pool without the settings as MFA OFF with no rules', () => {
    expect(targetPoolRules({})).toEqual({
      mfa: 'OFF',
      autoVerified: [],
      required: [],
      usernameAttributes: [],
    });
  });
});

describe('csvRowProblem: one test per reason a row would fail', () => {
  it('accepts a user with a verified auto-verified attribute', () => {
    expect(csvRowProblem(user(verifiedEmail), rules())).toBeUndefined();
  });

  it('accepts any user in a pool without auto-verified attributes', () => {
    expect(csvRowProblem(user({}), rules({ autoVerified: [] }))).toBeUndefined();
  });

  it.each([
    ['e-mail never verified', { email: 'a@example.com', email_verified: 'false' }],
    ['no verification flag at all (an UNCONFIRMED sign-up)', { email: 'a@example.com' }],
    ['only the phone verified while the pool auto-verifies e-mail only', verifiedPhone],
  ])('%s: %s', (_case, attributes) => {
    expect(csvRowProblem(user(attributes), rules())).toBe(ROW_RULES.noVerifiedAttribute);
  });

  it('accepts either verified attribute when the pool auto-verifies both', () => {
    const both = rules({ autoVerified: ['email', 'phone_number'] });
    expect(csvRowProblem(user(verifiedPhone), both)).toBeUndefined();
    expect(csvRowProblem(user({ email: 'a@example.com' }), both)).toBe(ROW_RULES.noVerifiedAttribute);
  });

  it('refuses email_verified true without an email', () => {
    expect(
      csvRowProblem(user({ email_verified: 'true', ...verifiedPhone }), rules({ autoVerified: [] })),
    ).toBe(ROW_RULES.emailVerifiedWithoutEmail);
  });

  it('refuses phone_number_verified true without a phone number', () => {
    expect(csvRowProblem(user({ ...verifiedEmail, phone_number_verified: 'true' }), rules())).toBe(
      ROW_RULES.phoneVerifiedWithoutPhone,
    );
  });

  it('refuses a user without a value for a required attribute', () => {
    const required = rules({ required: ['given_name'] });
    expect(csvRowProblem(user(verifiedEmail), required)).toBe(ROW_RULES.missingRequiredAttribute);
    expect(csvRowProblem(user({ ...verifiedEmail, given_name: ' ' }), required)).toBe(
      ROW_RULES.missingRequiredAttribute,
    );
    expect(csvRowProblem(user({ ...verifiedEmail, given_name: 'Ana' }), required)).toBeUndefined();
  });

  it('refuses a user without a verified phone when the target pool requires MFA', () => {
    expect(csvRowProblem(user(verifiedEmail), rules({ mfa: 'ON' }))).toBe(ROW_RULES.mfaWithoutVerifiedPhone);
    expect(csvRowProblem(user({ ...verifiedEmail, ...verifiedPhone }), rules({ mfa: 'ON' }))).toBeUndefined();
  });

  // With MFA OPTIONAL (or OFF) a user without a phone simply has MFA off: the CSV takes her, and she
  // keeps the CSV import's way back in (a password reset), not AdminCreateUser's.
  it.each(['OPTIONAL', 'OFF'] as const)('imports a user without a phone when the target MFA is %s', (mfa) => {
    expect(csvRowProblem(user(verifiedEmail), rules({ mfa }))).toBeUndefined();
    expect(csvRowProblem(user(verifiedEmail, SMS), rules({ mfa }))).toBeUndefined();
  });
});

describe('mfaEnabled: cognito:mfa_enabled follows the target pool', () => {
  it('is false for everyone when the target MFA is OFF, even for a user with SMS MFA', () => {
    expect(mfaEnabled(user(verifiedPhone, SMS), { mfa: 'OFF' })).toBe(false);
  });

  it('is true for everyone when the target MFA is ON', () => {
    expect(mfaEnabled(user(verifiedEmail), { mfa: 'ON' })).toBe(true);
  });

  it("is the source user's SMS MFA setting when the target MFA is OPTIONAL", () => {
    expect(mfaEnabled(user(verifiedPhone, SMS), { mfa: 'OPTIONAL' })).toBe(true);
    expect(mfaEnabled(user(verifiedPhone), { mfa: 'OPTIONAL' })).toBe(false);
    // SMS MFA without a phone number to send the codes to cannot be carried.
    expect(mfaEnabled(user(verifiedEmail, SMS), { mfa: 'OPTIONAL' })).toBe(false);
  });

  it('reads the SMS setting from MFAOptions only; a v1.0.10 item has none', () => {
    expect(smsMfaEnabled(user({}, SMS))).toBe(true);
    expect(smsMfaEnabled(user({}, { userMFAOptions: [{ DeliveryMedium: 'EMAIL' }] }))).toBe(false);
    expect(smsMfaEnabled(user({}))).toBe(false);
  });
});
