// SPDX-License-Identifier: Apache-2.0
/**
 * The sign-in name of a membership's user, for memberships that do not carry it.
 *
 * v1.0.10 lost the pool's username attributes after its first ListGroups page (60 groups): in a pool
 * whose users sign in with their e-mail address or phone number, the membership items of every later
 * group hold the user's Cognito `Username` (a UUID) as `groupPseudoUsername`. A restored user has a
 * new Username, so that name designates nobody in the new pool. The item's `type`,
 * `GROUP_MEMBER-<sub>`, still names the user, and the user item `USER-<sub>` holds the sign-in name
 * (`pseudoUsername`): a membership whose stored name the new pool does not know is resolved through it.
 * Tables that carry the sign-in name cost no read. The user items are read from the recovery point
 * the restore uses (recovery-point.ts: by key from the live table, from an index of an export).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableSource, type RecoveryPointSource } from '../../utils/recovery-point';
import type { RetryOptions } from '../../utils/retry';
import type { BackupItem } from './types';

const MEMBER_TYPE_PREFIX = 'GROUP_MEMBER-';

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

/** The old `sub` of a membership item's user, from its `type`. */
export function memberSub(item: BackupItem): string | undefined {
  const type = item.type;
  if (typeof type !== 'string' || !type.startsWith(MEMBER_TYPE_PREFIX)) return undefined;
  const sub = type.slice(MEMBER_TYPE_PREFIX.length);
  return sub === '' ? undefined : sub;
}

export interface MemberNameDeps {
  ddb: DynamoDBDocumentClient;
  tableName: string;
  typeUser: string;
  retry?: RetryOptions;
}

/** Where the user items' sign-in names come from: a recovery point, or the backup table (`MemberNameDeps`). */
export type SignInNames = Pick<RecoveryPointSource, 'signInNames'> | MemberNameDeps;

/**
 * The page's items, with every membership whose `groupPseudoUsername` is unknown to `isKnown` (the new
 * pool) named by its backed-up user's sign-in name instead, when that user item has another one.
 * Memberships without a user item are left as they are.
 */
export async function withMemberSignInNames(
  deps: SignInNames,
  items: readonly BackupItem[],
  isKnown: (name: string) => boolean,
): Promise<{ items: BackupItem[]; resolved: number }> {
  const subs = new Set<string>();
  for (const item of items) {
    const sub = memberSub(item);
    if (sub !== undefined && nonEmpty(item.groupPseudoUsername) && !isKnown(item.groupPseudoUsername))
      subs.add(sub);
  }
  if (subs.size === 0) return { items: [...items], resolved: 0 };
  const source =
    'signInNames' in deps
      ? deps
      : tableSource({
          ddb: deps.ddb,
          tableName: deps.tableName,
          typeUser: deps.typeUser,
          ...(deps.retry ? { retry: deps.retry } : {}),
        });
  const names = await source.signInNames([...subs]);
  let resolved = 0;
  const out = items.map((item) => {
    const sub = memberSub(item);
    const stored = item.groupPseudoUsername;
    if (sub === undefined || !nonEmpty(stored) || isKnown(stored)) return item;
    const name = names.get(sub);
    if (name === undefined || name === stored) return item;
    resolved += 1;
    return { ...item, groupPseudoUsername: name };
  });
  return { items: out, resolved };
}
