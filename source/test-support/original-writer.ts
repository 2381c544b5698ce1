// SPDX-License-Identifier: Apache-2.0
/**
 * A model of how v1.0.10's ExportWorkflow writes a backup table, for tests that must restore what the
 * original wrote rather than items made by hand to look right. Its rules, from the original's code:
 *
 * - export-users writes one user item per user; its `pseudoUsername` follows the pool's username
 *   attributes, which CheckUserPoolConfig hands to every ExportUsers invocation.
 * - ListGroups is called without `Limit`, so a page holds up to 60 groups. Only the groups of the first
 *   page receive the pool's `UsernameAttributes`: list-groups copies the value from its input, and its
 *   own output (the input of the next ListGroups call) does not carry it, so the groups of every later
 *   page receive `'[]'`.
 * - export-users-in-group names each member by the same rule as export-users with the attributes its
 *   group received: with `'[]'`, by the Cognito `Username` (a UUID in pools that sign in with an e-mail
 *   address or phone number).
 */

/** ListGroups' page size when no `Limit` is sent. */
export const ORIGINAL_GROUPS_PAGE = 60;

export interface OriginalPoolUser {
  Username: string;
  Attributes: { Name: string; Value: string }[];
  Enabled: boolean;
  UserStatus: string;
}

export interface OriginalPoolGroup {
  GroupName: string;
  Description?: string;
  Precedence?: number;
  /** Usernames of the members, as ListUsersInGroup returns them. */
  members: string[];
}

export interface OriginalPool {
  /** The pool's `UsernameAttributes` (empty: users sign in with their Username). */
  usernameAttributes: readonly string[];
  users: readonly OriginalPoolUser[];
  /** In ListGroups order. */
  groups: readonly OriginalPoolGroup[];
}

export interface OriginalTypes {
  typeUser: string;
  typeGroup: string;
  typeTimestamp: string;
}

const subOf = (user: OriginalPoolUser): string => {
  const sub = user.Attributes.find((attribute) => attribute.Name === 'sub')?.Value;
  if (sub === undefined) throw new Error('Unable to determine the sub attribute for user');
  return sub;
};

/** The original's pseudoUsername rule for a pool with none or one username attribute. */
function originalPseudoUsername(user: OriginalPoolUser, attributes: readonly string[]): string {
  if (attributes.length === 0) return user.Username;
  const value = user.Attributes.find((attribute) => attribute.Name === attributes[0])?.Value;
  if (value === undefined) throw new Error('Unable to determine the pseudoUsername for the user');
  return value;
}

/** The membership items v1.0.10 writes for the pool's groups. */
export function originalMembershipItems(
  pool: OriginalPool,
  exportTimestamp: number,
  region: string,
): Record<string, unknown>[] {
  const users = new Map(pool.users.map((user) => [user.Username, user]));
  return pool.groups.flatMap((group, position) => {
    const attributes = position < ORIGINAL_GROUPS_PAGE ? pool.usernameAttributes : [];
    return group.members.map((username) => {
      const user = users.get(username);
      if (user === undefined) throw new Error(`The model has no user ${username}`);
      return {
        id: `GROUP_MEMBER-${group.GroupName}`,
        type: `GROUP_MEMBER-${subOf(user)}`,
        groupUser: user.Username,
        groupPseudoUsername: originalPseudoUsername(user, attributes),
        groupName: group.GroupName,
        lastConfirmedInUserPool: exportTimestamp,
        lastUpdatedRegion: region,
      };
    });
  });
}

/** Every item v1.0.10 writes for the pool: users, groups, memberships and the last-export marker. */
export function originalTableItems(
  pool: OriginalPool,
  types: OriginalTypes,
  exportTimestamp: number,
  region: string,
): Record<string, unknown>[] {
  const users = pool.users.map((user) => ({
    id: `USER-${subOf(user)}`,
    type: types.typeUser,
    username: user.Username,
    pseudoUsername: originalPseudoUsername(user, pool.usernameAttributes),
    userAttributes: user.Attributes,
    userEnabled: user.Enabled,
    userStatus: user.UserStatus,
    lastConfirmedInUserPool: exportTimestamp,
    lastUpdatedRegion: region,
  }));
  const groups = pool.groups.map((group) => ({
    id: `GROUP-${group.GroupName}`,
    type: types.typeGroup,
    groupName: group.GroupName,
    groupDescription: group.Description ?? '',
    groupPrecedence: group.Precedence ?? -1,
    groupLastModifiedDate: new Date(exportTimestamp).toISOString(),
    lastConfirmedInUserPool: exportTimestamp,
    lastUpdatedRegion: region,
  }));
  return [
    ...users,
    ...groups,
    ...originalMembershipItems(pool, exportTimestamp, region),
    { id: 'latest-export-timestamp', type: types.typeTimestamp, latestExportTimestamp: exportTimestamp },
  ];
}
