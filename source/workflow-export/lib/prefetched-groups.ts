// SPDX-License-Identifier: Apache-2.0
/**
 * A ListGroups page listed ahead by ExportUsersInGroupLambda while it exports the current page's
 * memberships (`prefetchedGroupsPage` in the state). Its group items are already in the backup table;
 * the string carries what ListGroupsLambda needs to hand the page on without calling Cognito: the
 * token the page was listed from (it must equal the state's `ListGroupsNextToken`), the page's group
 * names and the token of the page after it. Format: `n1:` and the base64url JSON
 * `{"from": token, "names": [...], "next": token or null}`, opaque to the state machine like the
 * other cursors (`stream-cursor.ts`).
 */
import { EventPayloadError } from './payload';
import { decodeTagged, encodeTagged } from './stream-cursor';

export const PREFETCHED_GROUPS_PREFIX = 'n1:';

export interface PrefetchedGroupsPage {
  /** The ListGroups NextToken this page was listed from. */
  from: string;
  /** The page's group names, in ListGroups order, without duplicates; every one's group item is written. */
  names: string[];
  /** The NextToken of the page after this one; absent on the last page. */
  next?: string;
}

export function encodePrefetchedGroups(page: PrefetchedGroupsPage): string {
  return encodeTagged(PREFETCHED_GROUPS_PREFIX, {
    from: page.from,
    names: page.names,
    next: page.next ?? null,
  });
}

/** Throws `EventPayloadError` unless `text` is a page that `encodePrefetchedGroups` wrote. */
export function decodePrefetchedGroups(text: string): PrefetchedGroupsPage {
  const invalid = (): EventPayloadError =>
    new EventPayloadError(
      'Error validating Event Payload. prefetchedGroupsPage is not a page of groups this function wrote',
    );
  const body = decodeTagged(PREFETCHED_GROUPS_PREFIX, text, invalid);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid();
  const { from, names, next } = body as Record<string, unknown>;
  if (typeof from !== 'string' || from === '') throw invalid();
  if (next !== null && (typeof next !== 'string' || next === '')) throw invalid();
  if (!Array.isArray(names)) throw invalid();
  const seen = new Set<string>();
  for (const name of names as unknown[]) {
    if (typeof name !== 'string' || name === '' || seen.has(name)) throw invalid();
    seen.add(name);
  }
  return next === null ? { from, names: [...seen] } : { from, names: [...seen], next };
}
