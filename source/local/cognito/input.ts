// SPDX-License-Identifier: Apache-2.0
/**
 * Request members read with Cognito's validation rules: a wrong JSON type is a SerializationException,
 * a violated constraint is collected into one InvalidParameterException (see ValidationCollector).
 * Field names in messages are the lower-camel member names Cognito uses (`userPoolId`, `limit`).
 */
import { CognitoServiceError, ValidationCollector } from './errors';

export const USER_POOL_ID_PATTERN = /^[\w-]+_[0-9a-zA-Z]+$/;
export const NAME_PATTERN = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$/u;

interface StringRule {
  required?: boolean;
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** Pattern text as Cognito prints it in the message. */
  patternText?: string;
  /** Omit the value from messages (usernames and other personal data). */
  sensitive?: boolean;
}

const lowerCamel = (member: string): string => member.charAt(0).toLowerCase() + member.slice(1);

function serializationError(member: string, expected: string): CognitoServiceError {
  return new CognitoServiceError(
    'SerializationException',
    `Unexpected value type for ${member}: expected ${expected}.`,
  );
}

export class RequestInput {
  private readonly problems = new ValidationCollector();

  constructor(private readonly raw: Record<string, unknown>) {}

  string(member: string, rule: StringRule & { required: true }): string;
  string(member: string, rule?: StringRule): string | undefined;
  string(member: string, rule: StringRule = {}): string | undefined {
    const value = this.raw[member];
    const field = lowerCamel(member);
    if (value === undefined || value === null) {
      if (rule.required) this.problems.add(field, undefined, 'Member must not be null');
      return rule.required ? '' : undefined;
    }
    if (typeof value !== 'string') throw serializationError(member, 'a string');
    const min = rule.min ?? (rule.required ? 1 : 0);
    if ((rule.min !== undefined || rule.required) && value.length < min) {
      this.problems.add(
        field,
        value,
        `Member must have length greater than or equal to ${min}`,
        rule.sensitive,
      );
    } else if (rule.max !== undefined && value.length > rule.max) {
      this.problems.add(
        field,
        value,
        `Member must have length less than or equal to ${rule.max}`,
        rule.sensitive,
      );
    } else if (rule.pattern && value.length > 0 && !rule.pattern.test(value)) {
      this.problems.add(
        field,
        value,
        `Member must satisfy regular expression pattern: ${rule.patternText ?? rule.pattern.source}`,
        rule.sensitive,
      );
    }
    return value;
  }

  userPoolId(): string {
    return this.string('UserPoolId', {
      required: true,
      max: 55,
      pattern: USER_POOL_ID_PATTERN,
      patternText: '[\\w-]+_[0-9a-zA-Z]+',
    });
  }

  boolean(member: string): boolean | undefined {
    const value = this.raw[member];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw serializationError(member, 'a boolean');
    return value;
  }

  integer(member: string, rule: { min: number; max: number; required?: boolean }): number | undefined {
    const value = this.raw[member];
    const field = lowerCamel(member);
    if (value === undefined || value === null) {
      if (rule.required) this.problems.add(field, undefined, 'Member must not be null');
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) throw serializationError(member, 'an integer');
    if (value < rule.min)
      this.problems.add(field, value, `Member must have value greater than or equal to ${rule.min}`);
    else if (value > rule.max)
      this.problems.add(field, value, `Member must have value less than or equal to ${rule.max}`);
    return value;
  }

  stringList(member: string, rule: { min: number; max: number }): string[] | undefined {
    const value = this.raw[member];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      throw serializationError(member, 'a list of strings');
    }
    const field = lowerCamel(member);
    if (value.length < rule.min) {
      this.problems.add(
        field,
        `[${value.join(', ')}]`,
        `Member must have length greater than or equal to ${rule.min}`,
      );
    } else if (value.length > rule.max) {
      this.problems.add(
        field,
        `[${value.join(', ')}]`,
        `Member must have length less than or equal to ${rule.max}`,
      );
    }
    return value as string[];
  }

  /** `[{Name, Value}]` lists (UserAttributes); duplicates keep the last value. */
  attributeList(member: string): Record<string, string> {
    const value = this.raw[member];
    if (value === undefined || value === null) return {};
    if (!Array.isArray(value)) throw serializationError(member, 'a list of attributes');
    const result: Record<string, string> = {};
    for (const item of value) {
      if (typeof item !== 'object' || item === null) throw serializationError(member, 'a list of attributes');
      const { Name: name, Value: attributeValue } = item as Record<string, unknown>;
      if (typeof name !== 'string' || (attributeValue !== undefined && typeof attributeValue !== 'string')) {
        throw serializationError(member, 'a list of attributes');
      }
      result[name] = attributeValue ?? '';
    }
    return result;
  }

  /** Every member as sent (for create calls whose structures the emulator stores as given). */
  all(): Record<string, unknown> {
    return { ...this.raw };
  }

  /** Any other member, unchecked (for structures the emulator only stores). */
  other(member: string): unknown {
    return this.raw[member];
  }

  /** Throws the collected InvalidParameterException, if any. */
  validate(): void {
    this.problems.throwIfAny();
  }
}
