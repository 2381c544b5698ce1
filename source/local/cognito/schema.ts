// SPDX-License-Identifier: Apache-2.0
/** Cognito's standard user-pool schema and the attribute rules that depend on it. */
import type { CustomAttributeDefinition, UsernameAttribute } from './types';

type DataType = 'String' | 'Number' | 'DateTime' | 'Boolean';

interface StandardAttribute {
  name: string;
  dataType: DataType;
  mutable: boolean;
  required: boolean;
  minLength?: string;
  maxLength?: string;
}

/** The standard attributes, in the order DescribeUserPool and GetCSVHeader list them. */
export const STANDARD_ATTRIBUTES: readonly StandardAttribute[] = [
  { name: 'sub', dataType: 'String', mutable: false, required: true, minLength: '1', maxLength: '2048' },
  { name: 'name', dataType: 'String', mutable: true, required: false },
  { name: 'given_name', dataType: 'String', mutable: true, required: false },
  { name: 'family_name', dataType: 'String', mutable: true, required: false },
  { name: 'middle_name', dataType: 'String', mutable: true, required: false },
  { name: 'nickname', dataType: 'String', mutable: true, required: false },
  { name: 'preferred_username', dataType: 'String', mutable: true, required: false },
  { name: 'profile', dataType: 'String', mutable: true, required: false },
  { name: 'picture', dataType: 'String', mutable: true, required: false },
  { name: 'website', dataType: 'String', mutable: true, required: false },
  { name: 'email', dataType: 'String', mutable: true, required: false },
  { name: 'email_verified', dataType: 'Boolean', mutable: true, required: false },
  { name: 'gender', dataType: 'String', mutable: true, required: false },
  { name: 'birthdate', dataType: 'String', mutable: true, required: false, minLength: '10', maxLength: '10' },
  { name: 'zoneinfo', dataType: 'String', mutable: true, required: false },
  { name: 'locale', dataType: 'String', mutable: true, required: false },
  { name: 'phone_number', dataType: 'String', mutable: true, required: false },
  { name: 'phone_number_verified', dataType: 'Boolean', mutable: true, required: false },
  { name: 'address', dataType: 'String', mutable: true, required: false },
  { name: 'updated_at', dataType: 'Number', mutable: true, required: false },
  { name: 'identities', dataType: 'String', mutable: true, required: false },
];

const STANDARD_NAMES = new Set(STANDARD_ATTRIBUTES.map((a) => a.name));

/** Attributes a CSV import or AdminCreateUser may set (sub and identities are Cognito's own). */
export const isWritableStandardAttribute = (name: string): boolean =>
  STANDARD_NAMES.has(name) && name !== 'sub' && name !== 'identities';

export const MAX_ATTRIBUTE_VALUE_LENGTH = 2048;

/** A custom attribute's name, without `custom:`. */
export const CUSTOM_ATTRIBUTE_NAME_PATTERN = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,20}$/u;

/** ListUsers `Filter` attributes and whether their match is case-sensitive (Cognito's documented list). */
export const SEARCHABLE_ATTRIBUTES: ReadonlyMap<string, { caseSensitive: boolean }> = new Map([
  ['username', { caseSensitive: true }],
  ['email', { caseSensitive: false }],
  ['phone_number', { caseSensitive: false }],
  ['name', { caseSensitive: false }],
  ['given_name', { caseSensitive: false }],
  ['family_name', { caseSensitive: false }],
  ['preferred_username', { caseSensitive: false }],
  ['cognito:user_status', { caseSensitive: false }],
  ['status', { caseSensitive: true }],
  ['sub', { caseSensitive: false }],
]);

/** CSV columns Cognito adds to the attribute columns. */
export const CSV_USERNAME_COLUMN = 'cognito:username';
export const CSV_MFA_COLUMN = 'cognito:mfa_enabled';

/** GetCSVHeader: writable standard attributes, custom attributes, then cognito:mfa_enabled and cognito:username. */
export function csvHeader(customAttributes: readonly CustomAttributeDefinition[]): string[] {
  return [
    ...STANDARD_ATTRIBUTES.filter((a) => isWritableStandardAttribute(a.name)).map((a) => a.name),
    ...customAttributes.map((c) => `custom:${c.name}`),
    CSV_MFA_COLUMN,
    CSV_USERNAME_COLUMN,
  ];
}

/** DescribeUserPool `SchemaAttributes`, in Cognito's wire shape. */
export function schemaAttributes(
  customAttributes: readonly CustomAttributeDefinition[],
  requiredAttributes: readonly string[] = [],
): unknown[] {
  const standard = STANDARD_ATTRIBUTES.map((a) => ({
    Name: a.name,
    AttributeDataType: a.dataType,
    DeveloperOnlyAttribute: false,
    Mutable: a.mutable,
    Required: a.required || requiredAttributes.includes(a.name),
    ...(a.dataType === 'String'
      ? { StringAttributeConstraints: { MinLength: a.minLength ?? '0', MaxLength: a.maxLength ?? '2048' } }
      : {}),
    ...(a.dataType === 'Number' ? { NumberAttributeConstraints: { MinValue: '0' } } : {}),
  }));
  const custom = customAttributes.map((c) => ({
    Name: `custom:${c.name}`,
    AttributeDataType: c.dataType ?? 'String',
    DeveloperOnlyAttribute: false,
    Mutable: c.mutable ?? true,
    Required: false,
    ...((c.dataType ?? 'String') === 'String'
      ? { StringAttributeConstraints: { MinLength: '0', MaxLength: '2048', ...c.stringConstraints } }
      : {}),
    ...(c.dataType === 'Number' && c.numberConstraints !== undefined
      ? { NumberAttributeConstraints: { ...c.numberConstraints } }
      : {}),
  }));
  return [...standard, ...custom];
}

const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+$/;
const PHONE_PATTERN = /^\+[0-9]{1,15}$/;

export const isEmail = (value: string): boolean => EMAIL_PATTERN.test(value);
export const isPhoneNumber = (value: string): boolean => PHONE_PATTERN.test(value);

/** Which username attribute a sign-in name is (in a pool with username attributes), if any. */
export function usernameAttributeOf(
  value: string,
  usernameAttributes: readonly UsernameAttribute[],
): UsernameAttribute | undefined {
  if (usernameAttributes.includes('email') && isEmail(value)) return 'email';
  if (usernameAttributes.includes('phone_number') && isPhoneNumber(value)) return 'phone_number';
  return undefined;
}

/** Cognito's message when a username is not of the pool's username-attribute kind. */
export function usernameFormatMessage(usernameAttributes: readonly UsernameAttribute[]): string {
  if (usernameAttributes.length > 1) return 'Username should be either an email or a phone number.';
  return usernameAttributes[0] === 'email'
    ? 'Username should be an email.'
    : 'Username should be a phone number.';
}

/** Key of the alias index (emails are case-insensitive). */
export const aliasKey = (attribute: UsernameAttribute, value: string): string =>
  attribute === 'email' ? `email:${value.toLowerCase()}` : `phone_number:${value}`;
