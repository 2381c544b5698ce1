// SPDX-License-Identifier: Apache-2.0
/**
 * The ExportUsers continuation: which `sub` partitions (`utils/sub-partitions.ts`) are still to be
 * listed and where each resumes.
 *
 * The state carries one opaque string: `p1:` and the unfinished partitions (`stream-cursor.ts`).
 * Anything else that is not empty is
 * a ListUsers PaginationToken of an unpartitioned listing (the original's format, or an execution
 * started before this change) and resumes as that one listing.
 */
import { isSubPrefix, SUB_PREFIXES, subPrefixFilter } from '../../utils/sub-partitions';
import type { StreamCursor } from './paged-export';
import { EventPayloadError } from './payload';
import { decodeStreams, encodeStreams } from './stream-cursor';

export const PARTITIONED_CURSOR_PREFIX = 'p1:';

/** The key of the unpartitioned listing that an old-format token resumes. */
export const WHOLE_POOL = '';

export { SUB_PREFIXES };

/** Every partition, none started: where a new export run begins. */
export const allPartitions = (): StreamCursor[] => SUB_PREFIXES.map((key) => ({ key }));

/** The ListUsers Filter of a partition; none for the whole pool. */
export function partitionFilter(key: string): string | undefined {
  if (key === WHOLE_POOL) return undefined;
  if (!isSubPrefix(key)) throw new EventPayloadError(`Unknown ListUsers partition "${key}"`);
  return subPrefixFilter(key);
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
  return decodeStreams(PARTITIONED_CURSOR_PREFIX, token, 'paginationToken', isSubPrefix);
}
