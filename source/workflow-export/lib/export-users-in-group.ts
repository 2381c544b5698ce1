/**
 * Exports one group's memberships (spec §4.5), one ListUsersInGroup page at a time. Every membership
 * write is awaited before the invocation returns (§9.1-1): a membership that was not rewritten in this
 * run would be deleted by the run's cleanup.
 */
import { ListUsersInGroupCommand, type UserType } from '@aws-sdk/client-cognito-identity-provider';
import { batchWriteAll } from '../../utils/batch';
import { isExportable, membershipItem, putRequests } from './items';
import { pagedExport, type PagedExportDeps } from './paged-export';
import { optionalToken, requireString, requireTimestamp } from './payload';
import type { ExportUsersInGroupEvent, ExportUsersInGroupOutput } from './types';
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

export async function exportUsersInGroup(
  event: ExportUsersInGroupEvent,
  deps: ExportUsersInGroupDeps,
): Promise<ExportUsersInGroupOutput> {
  const { cognito, ddb, logger, budget, config } = deps;
  const groupName = requireString(event.groupName, 'groupName');
  const exportTimestamp = requireTimestamp(event.exportTimestamp, 'exportTimestamp');
  const usernameAttributes = parseUsernameAttributes(event.UsernameAttributes);
  const stamp = { exportTimestamp, region: config.region };

  const outcome = await pagedExport<UserType>({
    startToken: optionalToken(event.listUsersInGroupNextToken),
    budget,
    listPage: async (token) => {
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
    },
    writeRecords: async (users) =>
      batchWriteAll(
        ddb,
        config.tableName,
        putRequests(users.map((user) => membershipItem(user, groupName, usernameAttributes, stamp))),
        { retry: deps.batchRetry },
      ),
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
