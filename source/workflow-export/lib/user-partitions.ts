// SPDX-License-Identifier: Apache-2.0
/**
 * The ExportUsers continuation: which `sub` partitions are still to be listed and where each resumes.
 *
 * Cognito's `sub` is a UUID written in lower-case hexadecimal, so the 16 filters `sub ^= "0"` to
 * `sub ^= "f"` split the pool into disjoint partitions that together hold every user. ListUsers pages
 * each filter with its own PaginationToken, so the partitions can be listed at once and resumed
 * independently.
 *
 * The state carries one opaque string: `p1:` and the unfinished partitions (`stream-cursor.ts`).
 * Anything else that is not empty is
 * a ListUsers PaginationToken of an unpartitioned listing (the original's format, or an execution
 * started before this change) and resumes as that one listing.
 */
import type { StreamCursor } from './paged-export';
import { EventPayloadError } from './payload';
import { decodeStreams, encodeStreams } from './stream-cursor';

export const PARTITIONED_CURSOR_PREFIX = 'p1:';

/** The key of the unpartitioned listing that an old-format token resumes. */
export const WHOLE_POOL = '';

export const SUB_PREFIXES: readonly string[] = [...'0123456789abcdef'];

/** Every partition, none started: where a new export run begins. */
export const allPartitions = (): StreamCursor[] => SUB_PREFIXES.map((key) => ({ key }));

/** The ListUsers Filter of a partition; none for the whole pool. */
export function partitionFilter(key: string): string | undefined {
  if (key === WHOLE_POOL) return undefined;
  if (!SUB_PREFIXES.includes(key)) throw new EventPayloadError(`Unknown ListUsers partition "${key}"`);
  return `sub ^= "${key}"`;
}

/** The continuation string of the unfinished partitions; `''` when none is left. */
export function encodeUsersCursor(remaining: readonly StreamCursor[]): string {
  // An old-format listing carries on in its own format.
  const [only] = remaining;
  if (remaining.length === 1 && only?.key === WHOLE_POOL) return only.token ?? '';
  return encodeStreams(PARTITIONED_CURSOR_PREFIX, remaining);
}

/** The partitions a continuation resumes; undefined (or `''`) starts every partition. */
export function decodeUsersCursor(token: string | undefined): StreamCursor[] {
  if (token === undefined || token === '') return allPartitions();
  if (!token.startsWith(PARTITIONED_CURSOR_PREFIX)) return [{ key: WHOLE_POOL, token }];
  return decodeStreams(PARTITIONED_CURSOR_PREFIX, token, 'paginationToken', (key) =>
    SUB_PREFIXES.includes(key),
  );
}
