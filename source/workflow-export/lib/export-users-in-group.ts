// SPDX-License-Identifier: Apache-2.0
/**
 * Exports group memberships: the groups of a ListGroups page at once, each group's
 * ListUsersInGroup pages one after the other (the API has no filter to split a group), all through
 * the invocation's limiter, with the writes overlapped; or, for an execution started before 2.0, one
 * group. Every membership write is awaited before the invocation returns: a membership that
 * was not rewritten in this run would be deleted by the run's cleanup. While a page's memberships
 * are exported, the next ListGroups page is listed ahead (`exportGroupsMemberships`).
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
import { prefetchGroupsPage } from './list-groups';

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

/** The group items' table settings: what the look-ahead needs to write a page's group items. */
export interface GroupItemsConfig {
  typeGroup: string;
}

/**
 * The memberships of a page of groups. While the streams run, the next ListGroups page (the input's
 * `ListGroupsNextToken`) is listed ahead through the same limiter and its group items are written
 * (`prefetchGroupsPage`), so that the next ListGroupsLambda hands it on without a Cognito call and
 * a page costs only its ListUsersInGroup calls. The look-ahead is awaited before the invocation returns
 * (also when the streams fail); a page already listed ahead is carried along the self-loop, not listed
 * again.
 */
export async function exportGroupsMemberships(
  event: GroupsPageEvent,
  deps: ExportUsersInGroupDeps & { streamsInFlight?: number; groupItems?: GroupItemsConfig },
): Promise<GroupsPageOutput> {
  const { cognito, logger, budget, config } = deps;
  const exportTimestamp = requireTimestamp(event.ExportTimestamp, 'ExportTimestamp');
  const usernameAttributes = parseUsernameAttributes(event.UsernameAttributes);
  const stamp = { exportTimestamp, region: config.region };
  const streams = decodeGroupsCursor(event.groupsToExport ?? '');

  const carried =
    typeof event.prefetchedGroupsPage === 'string' && event.prefetchedGroupsPage !== ''
      ? event.prefetchedGroupsPage
      : undefined;
  // Started before the streams, so that its ListGroups call is the first in the limiter's queue.
  const lookAhead: Promise<string | undefined> =
    carried !== undefined || deps.groupItems === undefined
      ? Promise.resolve(carried)
      : prefetchGroupsPage(event, {
          cognito,
          logger,
          budget,
          config: { userPoolId: config.userPoolId },
          ddb: deps.ddb,
          tables: {
            tableName: config.tableName,
            typeGroup: deps.groupItems.typeGroup,
            region: config.region,
          },
        });

  const [streamsRun, prefetched] = await Promise.allSettled([
    pagedExportStreams<UserType>({
      streams,
      budget,
      streamsInFlight: deps.streamsInFlight,
      writePagesInFlight: MEMBERSHIP_WRITE_PAGES_IN_FLIGHT,
      listPage: (groupName, token) => listMembersPage(deps, groupName, token),
      writeRecords: (users, groupName) => writeMembers(deps, users, groupName, usernameAttributes, stamp),
    }),
    lookAhead,
  ]);
  if (streamsRun.status === 'rejected') throw streamsRun.reason;
  const outcome = streamsRun.value;
  // `prefetchGroupsPage` never rejects; a rejection here would only mean "no page listed ahead".
  const prefetchedGroupsPage = prefetched.status === 'fulfilled' ? prefetched.value : undefined;

  logger.info('Exported the memberships of a page of groups', {
    groups: streams.length,
    groupsLeft: outcome.remaining.length,
    pages: outcome.pages,
    membershipsExported: outcome.records,
    finished: outcome.finished,
    deadlineReached: outcome.interruption !== undefined,
    nextPageListedAhead: prefetchedGroupsPage !== undefined,
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
    ...(prefetchedGroupsPage === undefined ? {} : { prefetchedGroupsPage }),
  };
}
