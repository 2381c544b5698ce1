// SPDX-License-Identifier: Apache-2.0
/**
 * Backup-table items. Keys, type values and attribute names are read by the import
 * workflow and by tables written with the original solution: they must not change.
 */
import type { UserType } from '@aws-sdk/client-cognito-identity-provider';
import type { WriteRequest } from '../../utils/batch';
import { attributeValue, pseudoUsername, type UserLike } from './username';

export const USER_ID_PREFIX = 'USER-';
export const GROUP_ID_PREFIX = 'GROUP-';
export const GROUP_MEMBER_PREFIX = 'GROUP_MEMBER-';
export const FEDERATED_USER_STATUS = 'EXTERNAL_PROVIDER';

/** Raised for a user the backup cannot identify; the messages are the original's. */
export class UserRecordError extends Error {
  override readonly name = 'UserRecordError';
}

/** What every item written in one export run shares. */
export interface RunStamp {
  /** `lastConfirmedInUserPool`: the run's ExportTimestamp (epoch ms). */
  exportTimestamp: number;
  /** `lastUpdatedRegion`. */
  region: string;
}

/** Federated users are not exported: they cannot be recreated by a CSV import. */
export const isExportable = (user: { UserStatus?: string }): boolean =>
  user.UserStatus !== FEDERATED_USER_STATUS;

function identify(user: UserLike, usernameAttributes: readonly string[]): { sub: string; pseudo: string } {
  const sub = attributeValue(user, 'sub');
  if (!sub) throw new UserRecordError('Unable to determine the sub attribute for user');
  const pseudo = pseudoUsername(user, usernameAttributes);
  if (pseudo === undefined) throw new UserRecordError('Unable to determine the pseudoUsername for the user');
  return { sub, pseudo };
}

export function userItem(
  user: UserType,
  typeUser: string,
  usernameAttributes: readonly string[],
  stamp: RunStamp,
): Record<string, unknown> {
  const { sub, pseudo } = identify(user, usernameAttributes);
  return {
    id: `${USER_ID_PREFIX}${sub}`,
    type: typeUser,
    username: user.Username,
    pseudoUsername: pseudo,
    userAttributes: user.Attributes,
    userEnabled: user.Enabled,
    userStatus: user.UserStatus,
    // Added: the SMS MFA setting ListUsers reports; left out when the user has none, so items of
    // pools without MFA keep the original's fields.
    ...(user.MFAOptions !== undefined && user.MFAOptions.length > 0
      ? { userMFAOptions: user.MFAOptions }
      : {}),
    lastConfirmedInUserPool: stamp.exportTimestamp,
    lastUpdatedRegion: stamp.region,
  };
}

export function membershipItem(
  user: UserType,
  groupName: string,
  usernameAttributes: readonly string[],
  stamp: RunStamp,
): Record<string, unknown> {
  const { sub, pseudo } = identify(user, usernameAttributes);
  return {
    id: `${GROUP_MEMBER_PREFIX}${groupName}`,
    type: `${GROUP_MEMBER_PREFIX}${sub}`,
    groupUser: user.Username,
    groupPseudoUsername: pseudo,
    groupName,
    lastConfirmedInUserPool: stamp.exportTimestamp,
    lastUpdatedRegion: stamp.region,
  };
}

export interface GroupFields {
  groupName: string;
  groupDescription?: string;
  groupPrecedence?: number;
  groupLastModifiedDate?: string;
  groupRoleArn?: string;
}

export function groupItem(group: GroupFields, typeGroup: string, stamp: RunStamp): Record<string, unknown> {
  return {
    id: `${GROUP_ID_PREFIX}${group.groupName}`,
    type: typeGroup,
    groupName: group.groupName,
    groupDescription: group.groupDescription,
    groupPrecedence: group.groupPrecedence,
    groupLastModifiedDate: group.groupLastModifiedDate,
    // Added: written only for a group with an IAM role, so other items keep the original's fields.
    ...(group.groupRoleArn ? { groupRoleArn: group.groupRoleArn } : {}),
    lastConfirmedInUserPool: stamp.exportTimestamp,
    lastUpdatedRegion: stamp.region,
  };
}

/**
 * Put requests for one page, one per key: BatchWriteItem rejects a batch that names a key twice,
 * and a repeated user in a page would otherwise fail the whole export.
 */
export function putRequests(items: Record<string, unknown>[]): WriteRequest[] {
  const byKey = new Map<string, Record<string, unknown>>();
  for (const item of items) byKey.set(`${String(item.id)}\u0000${String(item.type)}`, item);
  return [...byKey.values()].map((Item) => ({ PutRequest: { Item } }));
}
