// SPDX-License-Identifier: Apache-2.0
/**
 * Lists one page of groups. `listGroups` returns the page's groups for the "Process Groups Map" of an
 * execution started before 2.0 (the pool's UsernameAttributes goes into every group item and, new in
 * the port, into the output, so the next page has it too). `listAndExportGroupsPage`, what the
 * ExportWorkflow runs now, writes the page's group items to the backup table itself and hands on only
 * the groups' names: a page of 60 groups with 2,048-character descriptions and role ARNs would pass
 * Step Functions' 256 KB state limit, 60 names of at most 128 characters cannot.
 */
import { ListGroupsCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { RateLimitedCognito } from '../../utils/cognito';
import type { Logger } from '../../utils/logger';
import { DeadlineExceededError } from '../../utils/retry';
import type { TimeBudget } from '../../utils/time-budget';
import { optionalToken, requireTimestamp } from './payload';
import type { GroupMapItem, GroupsPageOutput, ListGroupsEvent, ListGroupsOutput } from './types';
import { exportGroupsPage, type ExportGroupDeps } from './export-group';

/** The page size Cognito allows at most for ListGroups. */
export const LIST_GROUPS_LIMIT = 60;

/** What groups carry when the pool has no username attribute. */
export const NO_USERNAME_ATTRIBUTES = '[]';

export interface ListGroupsDeps {
  cognito: RateLimitedCognito;
  logger: Logger;
  budget: TimeBudget;
  config: { userPoolId: string };
}

export async function listGroups(event: ListGroupsEvent, deps: ListGroupsDeps): Promise<ListGroupsOutput> {
  const { cognito, logger, budget, config } = deps;
  const exportTimestamp = requireTimestamp(event.ExportTimestamp, 'ExportTimestamp');
  const token = optionalToken(event.ListGroupsNextToken);
  const usernameAttributes = event.UsernameAttributes || NO_USERNAME_ATTRIBUTES;

  let response;
  try {
    response = await cognito.send(
      new ListGroupsCommand({ UserPoolId: config.userPoolId, Limit: LIST_GROUPS_LIMIT, NextToken: token }),
      { deadline: budget.deadline() },
    );
  } catch (error) {
    if (!(error instanceof DeadlineExceededError)) throw error;
    // No group was handed out: the next ListGroups call retries this same page.
    logger.warn('The time budget ran out while retrying ListGroups; the page will be listed again');
    return {
      ExportTimestamp: exportTimestamp,
      NumGroupsToProcess: 0,
      Groups: [],
      ListGroupsNextToken: token,
      ProcessedAllGroups: 'No',
      UsernameAttributes: usernameAttributes,
    };
  }

  const groups: GroupMapItem[] = (response.Groups ?? []).map((group) => ({
    groupName: group.GroupName ?? '',
    groupLastModifiedDate: group.LastModifiedDate?.toISOString(),
    UsernameAttributes: usernameAttributes,
    groupDescription: group.Description || '',
    groupPrecedence: group.Precedence ?? -1,
    // Added: the group's IAM role; '' when it has none (the Map selects the field on every item).
    groupRoleArn: group.RoleArn ?? '',
  }));
  logger.info('Listed a page of groups', {
    groups: groups.length,
    morePages: response.NextToken !== undefined,
  });
  return {
    ExportTimestamp: exportTimestamp,
    NumGroupsToProcess: groups.length,
    Groups: groups,
    ListGroupsNextToken: response.NextToken,
    ProcessedAllGroups: response.NextToken ? 'No' : 'Yes',
    UsernameAttributes: usernameAttributes,
  };
}

export interface ListAndExportGroupsDeps extends ListGroupsDeps {
  ddb: ExportGroupDeps['ddb'];
  tables: ExportGroupDeps['config'];
}

/**
 * One page of groups: lists it, writes its group items (descriptions, precedences and roles stay out of
 * the state) and returns the page's group names as the `groupsToExport` cursor of
 * ExportUsersInGroupLambda. A retry after a partial write lists the same page again (the input's
 * token) and rewrites the same items.
 */
export async function listAndExportGroupsPage(
  event: ListGroupsEvent,
  deps: ListAndExportGroupsDeps,
): Promise<GroupsPageOutput> {
  const page = await listGroups(event, deps);
  return exportGroupsPage(page, { ddb: deps.ddb, logger: deps.logger, config: deps.tables });
}
