// SPDX-License-Identifier: Apache-2.0
/**
 * The continuation of a ListGroups page's memberships: the groups not yet exported, each with the
 * ListUsersInGroup NextToken it resumes from (`g1:` and the chains, `stream-cursor.ts`).
 */
import type { StreamCursor } from './paged-export';
import { decodeStreams, encodeStreams } from './stream-cursor';

export const GROUPS_CURSOR_PREFIX = 'g1:';

export const encodeGroupsCursor = (remaining: readonly StreamCursor[]): string =>
  encodeStreams(GROUPS_CURSOR_PREFIX, remaining);

/** `''` means no group is left. */
export function decodeGroupsCursor(text: string): StreamCursor[] {
  if (text === '') return [];
  return decodeStreams(GROUPS_CURSOR_PREFIX, text, 'groupsToExport', (key) => key !== '');
}
