/**
 * Exports the user pool's users to the backup table, one ListUsers page at a time (spec §4.2),
 * returning the ListUsers token when the time budget runs short.
 */
import { ListUsersCommand, type UserType } from '@aws-sdk/client-cognito-identity-provider';
import { batchWriteAll } from '../../utils/batch';
import type { Now } from '../../utils/limiter';
import { isExportable, putRequests, userItem, type RunStamp } from './items';
import { pagedExport, type PagedExportDeps } from './paged-export';
import { optionalToken, requireTimestamp } from './payload';
import type { ExportUsersEvent, ExportUsersOutput } from './types';
import { parseUsernameAttributes } from './username';

/** The page size Cognito allows at most for ListUsers. */
export const LIST_USERS_LIMIT = 60;

export interface ExportUsersConfig {
  userPoolId: string;
  tableName: string;
  typeUser: string;
  region: string;
}

export interface ExportUsersDeps extends PagedExportDeps {
  now: Now;
  config: ExportUsersConfig;
}

export async function exportUsers(
  event: ExportUsersEvent,
  deps: ExportUsersDeps,
): Promise<ExportUsersOutput> {
  const { cognito, ddb, logger, budget, config } = deps;
  const startToken = optionalToken(event.paginationToken);
  // A continuation keeps its run's timestamp; a new run starts one.
  const exportTimestamp = startToken
    ? requireTimestamp(event.ExportTimestamp, 'ExportTimestamp')
    : deps.now();
  const usernameAttributes = parseUsernameAttributes(event.UsernameAttributes);
  const stamp: RunStamp = { exportTimestamp, region: config.region };

  const outcome = await pagedExport<UserType>({
    startToken,
    budget,
    listPage: async (token) => {
      const response = await cognito.send(
        new ListUsersCommand({
          UserPoolId: config.userPoolId,
          Limit: LIST_USERS_LIMIT,
          PaginationToken: token,
        }),
        { deadline: budget.deadline() },
      );
      return { records: (response.Users ?? []).filter(isExportable), nextToken: response.PaginationToken };
    },
    writeRecords: async (users) =>
      batchWriteAll(
        ddb,
        config.tableName,
        putRequests(users.map((user) => userItem(user, config.typeUser, usernameAttributes, stamp))),
        { retry: deps.batchRetry },
      ),
  });

  // Without a token there is no way to say "not finished" to the state machine: fail instead.
  if (outcome.interruption && outcome.nextToken === undefined) throw outcome.interruption;
  logger.info('Exported a run of ListUsers pages', {
    pages: outcome.pages,
    usersExported: outcome.records,
    finished: outcome.finished,
    deadlineReached: outcome.interruption !== undefined,
    cognitoCalls: cognito.callCounts(),
  });
  return {
    result: {
      paginationToken: outcome.nextToken ?? '',
      UsernameAttributes: event.UsernameAttributes,
      ExportTimestamp: exportTimestamp,
    },
    totalUserProcessedCount: outcome.records,
  };
}
