// SPDX-License-Identifier: Apache-2.0
/**
 * Structured JSON logs. Personal data never reaches a log line: values under keys that can hold
 * user data are replaced, and e-mail addresses and phone numbers are masked in every string.
 */
import { solutionEnvironment, type Env, type SolutionEnvironment } from './config';

export type LogLevel = NonNullable<SolutionEnvironment['logLevel']>;
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Keys whose values can carry user data (attribute values, usernames, message bodies, CSV text). */
const SENSITIVE_KEY =
  /^(email|phone|phone_?number|username|pseudo_?username|grouppseudousername|groupuser|user_?attributes|attributes|value|values|password|body|message_?body|csv|item|items|users|name_value)$/i;
/**
 * The sensitive keys that name a collection: under them a whole number is how many there are (the
 * cleanup's `Users` count), not a user's data, and is logged. A single value (an e-mail, a phone
 * number, an attribute `value`) stays redacted whatever its type.
 */
const COLLECTION_KEY = /^(user_?attributes|attributes|values|items|users)$/i;

const isCount = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;
export const REDACTED = '[REDACTED]';
/** An e-mail address in any script: letters and digits of every alphabet on both sides of the `@`. */
const EMAIL = /[\p{L}\p{M}\p{N}._%+-]+@[\p{L}\p{M}\p{N}-]+(?:\.[\p{L}\p{M}\p{N}-]+)*\.[\p{L}\p{M}]{2,}/gu;
/** A phone number with `+`: the country code, then digits and the usual separators. */
const PHONE_INTERNATIONAL = /\+\d[\d\s().-]{6,}\d/g;
/**
 * A phone number without `+`: at least three groups of digits (or one long run), joined by spaces, dots,
 * dashes or parentheses, not inside an identifier, an ARN or a path.
 */
const PHONE_NATIONAL =
  /(?<![\p{L}\p{N}_:/.=-])(?:\(\d{1,5}\)[\s.-]?)?\d{1,5}(?:[\s.-]?(?:\(\d{1,5}\)|\d{1,5})){1,6}(?![\p{L}\p{N}_:/=-]|\.\d)/gu;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Seven to fifteen digits (E.164 allows at most 15), and not an ISO date. */
function looksLikePhone(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '').length;
  return digits >= 7 && digits <= 15 && !ISO_DATE.test(candidate);
}

/** Masks e-mail addresses (any script) and phone numbers (with or without `+`) in a text. */
export function scrub(text: string): string {
  return text
    .replace(EMAIL, '[email]')
    .replace(PHONE_INTERNATIONAL, '[phone]')
    .replace(PHONE_NATIONAL, (candidate) => (looksLikePhone(candidate) ? '[phone]' : candidate));
}

function redact(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[depth]';
  if (value instanceof Error) {
    const meta = (value as { $metadata?: { httpStatusCode?: number; requestId?: string } }).$metadata;
    return {
      name: value.name,
      message: scrub(value.message),
      ...(meta ? { httpStatusCode: meta.httpStatusCode, requestId: meta.requestId } : {}),
      ...(value.cause !== undefined ? { cause: redact(value.cause, depth + 1) } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((entry) => redact(entry, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    const hidden = SENSITIVE_KEY.test(key) && !(COLLECTION_KEY.test(key) && isCount(entry));
    out[key] = hidden ? REDACTED : redact(entry, depth + 1);
  }
  return out;
}

/**
 * The logger primitive. Handlers get theirs from `runtimeLogger` (runtime.ts), the one factory that
 * adds the solution's identity and takes the level, sink and clock from the invocation's runtime.
 * Without a `level`, the level is `AWS_LAMBDA_LOG_LEVEL` of `env`, else `info`.
 */
export function createLogger(
  base: LogFields = {},
  options: { level?: LogLevel; write?: (line: string) => void; now?: () => number; env?: Env } = {},
): Logger {
  const threshold = LEVELS[options.level ?? solutionEnvironment(options.env).logLevel ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;

  const log = (level: LogLevel, message: string, fields: LogFields = {}): void => {
    if (LEVELS[level] < threshold) return;
    const entry = { level, time: new Date(now()).toISOString(), message: scrub(message), ...base, ...fields };
    write(JSON.stringify(redact(entry, 0)));
  };

  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, options),
  };
}
