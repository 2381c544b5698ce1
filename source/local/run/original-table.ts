// SPDX-License-Identifier: Apache-2.0
/**
 * `--scenario v1-table`: after the ExportWorkflow, the backup table's memberships are written again as
 * v1.0.10 writes them (the model in test-support/original-writer.ts): in a pool whose users sign in
 * with an e-mail address or phone number, the members of every group after the first ListGroups page
 * (60 groups) are named by their Cognito Username. User and group items are the same in both formats.
 * The restore must then bring back every membership all the same.
 */
import {
  ListGroupsCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWriteAll } from '../../utils/batch';
import {
  originalMembershipItems,
  type OriginalPool,
  type OriginalPoolGroup,
  type OriginalPoolUser,
} from '../../test-support/original-writer';

async function readPool(
  cognito: CognitoIdentityProviderClient,
  userPoolId: string,
  usernameAttributes: readonly string[],
): Promise<OriginalPool> {
  const users: OriginalPoolUser[] = [];
  let token: string | undefined;
  do {
    const page = await cognito.send(new ListUsersCommand({ UserPoolId: userPoolId, PaginationToken: token }));
    for (const user of page.Users ?? []) {
      users.push({
        Username: user.Username ?? '',
        Attributes: (user.Attributes ?? []).map((a) => ({ Name: a.Name ?? '', Value: a.Value ?? '' })),
        Enabled: user.Enabled !== false,
        UserStatus: user.UserStatus ?? '',
      });
    }
    token = page.PaginationToken;
  } while (token);
  const groups: OriginalPoolGroup[] = [];
  let groupsToken: string | undefined;
  do {
    // No Limit, as the original: ListGroups' default page decides which groups come "later".
    const page = await cognito.send(
      new ListGroupsCommand({ UserPoolId: userPoolId, NextToken: groupsToken }),
    );
    for (const group of page.Groups ?? []) {
      const members: string[] = [];
      let membersToken: string | undefined;
      do {
        const listed = await cognito.send(
          new ListUsersInGroupCommand({
            UserPoolId: userPoolId,
            GroupName: group.GroupName,
            NextToken: membersToken,
          }),
        );
        for (const user of listed.Users ?? []) if (user.Username) members.push(user.Username);
        membersToken = listed.NextToken;
      } while (membersToken);
      groups.push({ GroupName: group.GroupName ?? '', members });
    }
    groupsToken = page.NextToken;
  } while (groupsToken);
  // Federated users are not exported (neither by v1.0.10): their memberships are not written either.
  const exported = new Set(
    users.filter((user) => user.UserStatus !== 'EXTERNAL_PROVIDER').map((u) => u.Username),
  );
  return {
    usernameAttributes,
    users: users.filter((user) => exported.has(user.Username)),
    groups: groups.map((group) => ({ ...group, members: group.members.filter((m) => exported.has(m)) })),
  };
}

/**
 * Overwrites the table's membership items with the ones v1.0.10 writes for the pool; returns how many
 * name their member by the Cognito Username instead of the sign-in name.
 */
export async function writeOriginalMemberships(deps: {
  cognito: CognitoIdentityProviderClient;
  ddb: DynamoDBDocumentClient;
  tableName: string;
  userPoolId: string;
  usernameAttributes: readonly string[];
  exportTimestamp: number;
  region: string;
}): Promise<{ memberships: number; namedByUsername: number }> {
  const pool = await readPool(deps.cognito, deps.userPoolId, deps.usernameAttributes);
  const items = originalMembershipItems(pool, deps.exportTimestamp, deps.region);
  await batchWriteAll(
    deps.ddb,
    deps.tableName,
    items.map((Item) => ({ PutRequest: { Item } })),
  );
  const signInNames = new Set(
    pool.users.flatMap((user) =>
      user.Attributes.filter((a) => deps.usernameAttributes.includes(a.Name)).map((a) => a.Value),
    ),
  );
  const namedByUsername =
    deps.usernameAttributes.length === 0
      ? 0
      : items.filter((item) => !signInNames.has(String(item.groupPseudoUsername))).length;
  return { memberships: items.length, namedByUsername };
}
