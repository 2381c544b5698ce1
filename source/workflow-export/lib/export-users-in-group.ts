// SPDX-License-Identifier: Apache-2.0
/**
 * Exports group memberships: the groups of a ListGroups page at once, each group's
 * ListUsersInGroup pages one after the other (the API has no filter to split a group), all through
 * the invocation's limiter, with the writes overlapped; or, for an execution started before 2.0, one
 * group. Every membership write is awaited before the invocation returns: a membership that
 * was not rewritten in this run would be deleted by the run's cleanup.
 */
import { ListUsersInGroupCommand, type UserType } from '@aws-sdk/client-cognito-identity-provider';
import { batchWriteAll } from '../../utils/batch';
import { isExportable, membershipItem, putRequests } from './items';
import { decodeGroupsCursor, encodeGroupsCursor } from './group-cursor';
import { pagedExport, pagedExportStreams, type PagedExportDeps } from './paged-export';
import { optionalToken, requireString, requireTimestamp } from './payload';
import type {
  ExportUsersInGroupEvent,
  ExportUsersInGroupOutput,
  GroupsPageEvent,
  GroupsPageOutput,
} from './types';
import { parseUsernameAttributes } from './username';

/** The page size Cognito allows at most for ListUsersInGroup. */
export const LIST_USERS_IN_GROUP_LIMIT = 60;

export interface ExportUsersInGroupConfig {
  userPoolId: string;
  tableName: string;
  region: string;
}

export interface ExportUsersInGroupDeps extends PagedExportDeps {
  config: ExportUsersInGroupConfig;
}

/** One ListUsersInGroup page of `groupName`, through the limiter, within the invocation's budget. */
async function listMembersPage(
  { cognito, budget, config }: ExportUsersInGroupDeps,
  groupName: string,
  token: string | undefined,
): Promise<{ records: UserType[]; nextToken?: string }> {
  const response = await cognito.send(
    new ListUsersInGroupCommand({
      UserPoolId: config.userPoolId,
      GroupName: groupName,
      Limit: LIST_USERS_IN_GROUP_LIMIT,
      NextToken: token,
    }),
    { deadline: budget.deadline() },
  );
  return { records: (response.Users ?? []).filter(isExportable), nextToken: response.NextToken };
}

/** Writes one page's memberships of `groupName` to the backup table. */
async function writeMembers(
  { ddb, config, batchRetry }: ExportUsersInGroupDeps,
  users: UserType[],
  groupName: string,
  usernameAttributes: ReturnType<typeof parseUsernameAttributes>,
  stamp: Parameters<typeof membershipItem>[3],
): Promise<void> {
  await batchWriteAll(
    ddb,
    config.tableName,
    putRequests(users.map((user) => membershipItem(user, groupName, usernameAttributes, stamp))),
    { retry: batchRetry },
  );
}

export async function exportUsersInGroup(
  event: ExportUsersInGroupEvent,
  deps: ExportUsersInGroupDeps,
): Promise<ExportUsersInGroupOutput> {
  const { cognito, logger, budget, config } = deps;
  const groupName = requireString(event.groupName, 'groupName');
  const exportTimestamp = requireTimestamp(event.exportTimestamp, 'exportTimestamp');
  const usernameAttributes = parseUsernameAttributes(event.UsernameAttributes);
  const stamp = { exportTimestamp, region: config.region };

  const outcome = await pagedExport<UserType>({
    startToken: optionalToken(event.listUsersInGroupNextToken),
    budget,
    listPage: (token) => listMembersPage(deps, groupName, token),
    writeRecords: (users) => writeMembers(deps, users, groupName, usernameAttributes, stamp),
  });

  logger.info('Exported a run of ListUsersInGroup pages', {
    pages: outcome.pages,
    membershipsExported: outcome.records,
    finished: outcome.finished,
    deadlineReached: outcome.interruption !== undefined,
    cognitoCalls: cognito.callCounts(),
  });
  // "No" without a token (the budget ran out on the group's first page) re-reads the group from its start.
  return {
    exportTimestamp,
    groupName,
    listUsersInGroupNextToken: outcome.nextToken,
    processedAllUsersInGroup: outcome.finished ? 'Yes' : 'No',
    UsernameAttributes: event.UsernameAttributes,
  };
}

/** Membership page writes in flight across the groups of a page. */
export const MEMBERSHIP_WRITE_PAGES_IN_FLIGHT = 16;

export async function exportGroupsMemberships(
  event: GroupsPageEvent,
  deps: ExportUsersInGroupDeps & { streamsInFlight?: number },
): Promise<GroupsPageOutput> {
  const { cognito, logger, budget, config } = deps;
  const exportTimestamp = requireTimestamp(event.ExportTimestamp, 'ExportTimestamp');
  const usernameAttributes = parseUsernameAttributes(event.UsernameAttributes);
  const stamp = { exportTimestamp, region: config.region };
  const streams = decodeGroupsCursor(event.groupsToExport ?? '');

  const outcome = await pagedExportStreams<UserType>({
    streams,
    budget,
    streamsInFlight: deps.streamsInFlight,
    writePagesInFlight: MEMBERSHIP_WRITE_PAGES_IN_FLIGHT,
    listPage: (groupName, token) => listMembersPage(deps, groupName, token),
    writeRecords: (users, groupName) => writeMembers(deps, users, groupName, usernameAttributes, stamp),
  });

  logger.info('Exported the memberships of a page of groups', {
    groups: streams.length,
    groupsLeft: outcome.remaining.length,
    pages: outcome.pages,
    membershipsExported: outcome.records,
    finished: outcome.finished,
    deadlineReached: outcome.interruption !== undefined,
    cognitoCalls: cognito.callCounts(),
  });
  return {
    ExportTimestamp: exportTimestamp,
    ListGroupsNextToken: event.ListGroupsNextToken,
    ProcessedAllGroups: event.ProcessedAllGroups === 'No' ? 'No' : 'Yes',
    UsernameAttributes: event.UsernameAttributes,
    NumGroupsToProcess: outcome.remaining.length,
    groupsToExport: encodeGroupsCursor(outcome.remaining),
    processedAllUsersInGroup: outcome.remaining.length === 0 ? 'Yes' : 'No',
  };
}
