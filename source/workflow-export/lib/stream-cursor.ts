// SPDX-License-Identifier: Apache-2.0
/**
 * One opaque string for the state machine that holds several page chains' positions: a format tag
 * (`p1:`, `g1:`) followed by the base64url JSON `[[key, token or null], ...]` of the unfinished chains
 * (null: not started). Base64url keeps group names and Cognito tokens out of the visible state text
 * and makes the string safe for any Choice comparison.
 */
import type { StreamCursor } from './paged-export';
import { EventPayloadError } from './payload';

/** `tag` followed by the base64url JSON of `value`: the shape of every opaque string in the state. */
export const encodeTagged = (tag: string, value: unknown): string =>
  tag + Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** The JSON value of a string `encodeTagged` wrote with `tag`; throws `invalid()` for anything else. */
export function decodeTagged(tag: string, text: string, invalid: () => Error): unknown {
  if (!text.startsWith(tag)) throw invalid();
  try {
    return JSON.parse(Buffer.from(text.slice(tag.length), 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
}

export function encodeStreams(tag: string, remaining: readonly StreamCursor[]): string {
  if (remaining.length === 0) return '';
  return encodeTagged(
    tag,
    remaining.map(({ key, token }) => [key, token ?? null]),
  );
}

/** The chains of a tagged cursor; `isKey` says which keys are valid. Throws `EventPayloadError` naming `field`. */
export function decodeStreams(
  tag: string,
  text: string,
  field: string,
  isKey: (key: string) => boolean,
): StreamCursor[] {
  const invalid = (): EventPayloadError =>
    new EventPayloadError(`Error validating Event Payload. ${field} is not a cursor this function wrote`);
  const entries = decodeTagged(tag, text, invalid);
  if (!Array.isArray(entries) || entries.length === 0) throw invalid();
  const seen = new Set<string>();
  return entries.map((entry: unknown) => {
    if (!Array.isArray(entry) || entry.length !== 2) throw invalid();
    const [key, resume] = entry as unknown[];
    if (typeof key !== 'string' || !isKey(key) || seen.has(key)) throw invalid();
    if (resume !== null && (typeof resume !== 'string' || resume === '')) throw invalid();
    seen.add(key);
    return resume === null ? { key } : { key, token: resume };
  });
}
