// SPDX-License-Identifier: Apache-2.0
/**
 * Exports the user pool's users to the backup table: the 16 `sub` partitions are listed
 * at once, each page through the invocation's limiter, so the export runs at `COGNITO_TPS` pages per
 * second rather than at one page per round trip. When the time budget runs short it returns the
 * unfinished partitions' tokens as one continuation string (`user-partitions.ts`).
 */
import { ListUsersCommand, type UserType } from '@aws-sdk/client-cognito-identity-provider';
import { batchWriteAll } from '../../utils/batch';
import type { Now } from '../../utils/time';
import { isExportable, putRequests, userItem, type RunStamp } from './items';
import { pagedExportStreams, type PagedExportDeps } from './paged-export';
import { optionalToken, requireTimestamp } from './payload';
import type { ExportUsersEvent, ExportUsersOutput } from './types';
import { decodeUsersCursor, encodeUsersCursor, partitionFilter } from './user-partitions';
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
  /** Partitions listed at once (default: all 16). */
  streamsInFlight?: number;
}

/** Page writes in flight across the partitions (3 BatchWriteItem calls a page). */
export const USER_WRITE_PAGES_IN_FLIGHT = 16;

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

  const streams = decodeUsersCursor(startToken);

  const outcome = await pagedExportStreams<UserType>({
    streams,
    budget,
    streamsInFlight: deps.streamsInFlight,
    writePagesInFlight: USER_WRITE_PAGES_IN_FLIGHT,
    listPage: async (partition, token) => {
      const response = await cognito.send(
        new ListUsersCommand({
          UserPoolId: config.userPoolId,
          Limit: LIST_USERS_LIMIT,
          Filter: partitionFilter(partition),
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

  // A run that could not list a single page has nothing to resume: fail instead of looping.
  if (outcome.interruption && outcome.pages === 0 && startToken === undefined) throw outcome.interruption;
  logger.info('Exported a run of ListUsers pages', {
    pages: outcome.pages,
    usersExported: outcome.records,
    partitionsLeft: outcome.remaining.length,
    finished: outcome.finished,
    deadlineReached: outcome.interruption !== undefined,
    cognitoCalls: cognito.callCounts(),
  });
  return {
    result: {
      paginationToken: encodeUsersCursor(outcome.remaining),
      UsernameAttributes: event.UsernameAttributes,
      ExportTimestamp: exportTimestamp,
    },
    totalUserProcessedCount: outcome.records,
  };
}
