// SPDX-License-Identifier: Apache-2.0
/**
 * ListUsers `Filter`: `AttributeName Filter-Type "AttributeValue"` with `=` (exact) or `^=` (prefix),
 * quotes inside the value escaped with a backslash, one attribute, only the searchable attributes.
 */
import { invalidParameter } from './errors';
import { SEARCHABLE_ATTRIBUTES } from './schema';
import type { UserRecord } from './types';

export interface ParsedFilter {
  attribute: string;
  operator: '=' | '^=';
  value: string;
}

const FILTER_PATTERN = /^\s*([A-Za-z_:]+)\s*(\^=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/s;

/** Parses a filter; an empty or blank filter means "all users" (undefined). */
export function parseFilter(filter: string | undefined): ParsedFilter | undefined {
  if (filter === undefined || filter.trim() === '') return undefined;
  const match = FILTER_PATTERN.exec(filter);
  if (!match) throw invalidParameter('Error while parsing filter.');
  const attribute = match[1] as string;
  if (!SEARCHABLE_ATTRIBUTES.has(attribute)) throw invalidParameter(`Invalid search attribute: ${attribute}`);
  const value = (match[3] as string).replace(/\\(.)/gs, '$1');
  return { attribute, operator: match[2] as '=' | '^=', value };
}

function valueOf(user: UserRecord, attribute: string): string | undefined {
  switch (attribute) {
    case 'username':
      return user.username;
    case 'status':
      return user.enabled ? 'Enabled' : 'Disabled';
    case 'cognito:user_status':
      return user.status;
    default:
      return user.attributes[attribute];
  }
}

/** A predicate over users for a parsed filter (case folding as Cognito documents per attribute). */
export function filterPredicate(filter: ParsedFilter): (user: UserRecord) => boolean {
  const caseSensitive = SEARCHABLE_ATTRIBUTES.get(filter.attribute)?.caseSensitive ?? true;
  const fold = (s: string): string => (caseSensitive ? s : s.toLowerCase());
  const wanted = fold(filter.value);
  return (user) => {
    const actual = valueOf(user, filter.attribute);
    if (actual === undefined) return false;
    const folded = fold(actual);
    return filter.operator === '=' ? folded === wanted : folded.startsWith(wanted);
  };
}
