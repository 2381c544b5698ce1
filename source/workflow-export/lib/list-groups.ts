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
import type {
  GroupMapItem,
  GroupsPageEvent,
  GroupsPageOutput,
  ListGroupsEvent,
  ListGroupsOutput,
} from './types';
import { exportGroupsPage, groupsPageOutput, writeGroupItems, type ExportGroupDeps } from './export-group';
import { decodePrefetchedGroups, encodePrefetchedGroups } from './prefetched-groups';

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

/** The groups of one ListGroups page, as Map items. */
export interface ListedGroupsPage {
  groups: GroupMapItem[];
  nextToken?: string;
}

/**
 * One ListGroups page from `token` (absent: the first page), through the invocation's limiter, within
 * its time budget. Throws `DeadlineExceededError` when the budget ran out while retrying the call.
 */
export async function listGroupsPage(
  token: string | undefined,
  usernameAttributes: string,
  { cognito, budget, config }: ListGroupsDeps,
): Promise<ListedGroupsPage> {
  const response = await cognito.send(
    new ListGroupsCommand({ UserPoolId: config.userPoolId, Limit: LIST_GROUPS_LIMIT, NextToken: token }),
    { deadline: budget.deadline() },
  );
  const groups: GroupMapItem[] = (response.Groups ?? []).map((group) => ({
    groupName: group.GroupName ?? '',
    groupLastModifiedDate: group.LastModifiedDate?.toISOString(),
    UsernameAttributes: usernameAttributes,
    groupDescription: group.Description || '',
    groupPrecedence: group.Precedence ?? -1,
    // Added: the group's IAM role; '' when it has none (the Map selects the field on every item).
    groupRoleArn: group.RoleArn ?? '',
  }));
  return { groups, nextToken: response.NextToken || undefined };
}

export async function listGroups(event: ListGroupsEvent, deps: ListGroupsDeps): Promise<ListGroupsOutput> {
  const { logger } = deps;
  const exportTimestamp = requireTimestamp(event.ExportTimestamp, 'ExportTimestamp');
  const token = optionalToken(event.ListGroupsNextToken);
  const usernameAttributes = event.UsernameAttributes || NO_USERNAME_ATTRIBUTES;

  let page: ListedGroupsPage;
  try {
    page = await listGroupsPage(token, usernameAttributes, deps);
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

  logger.info('Listed a page of groups', {
    groups: page.groups.length,
    morePages: page.nextToken !== undefined,
  });
  return {
    ExportTimestamp: exportTimestamp,
    NumGroupsToProcess: page.groups.length,
    Groups: page.groups,
    ListGroupsNextToken: page.nextToken,
    ProcessedAllGroups: page.nextToken ? 'No' : 'Yes',
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
 *
 * When the input carries the page that ExportUsersInGroupLambda listed ahead (`prefetchedGroupsPage`,
 * listed from the input's `ListGroupsNextToken`, its group items already written), the page is handed
 * on from it without a Cognito call or a write. A page listed from another token is ignored (logged)
 * and the page is listed here.
 */
export async function listAndExportGroupsPage(
  event: ListGroupsEvent,
  deps: ListAndExportGroupsDeps,
): Promise<GroupsPageOutput> {
  if (typeof event.prefetchedGroupsPage === 'string' && event.prefetchedGroupsPage !== '') {
    const exportTimestamp = requireTimestamp(event.ExportTimestamp, 'ExportTimestamp');
    const page = decodePrefetchedGroups(event.prefetchedGroupsPage);
    if (page.from === optionalToken(event.ListGroupsNextToken)) {
      deps.logger.info('Handed on a page of groups listed ahead', {
        groups: page.names.length,
        morePages: page.next !== undefined,
      });
      return groupsPageOutput(
        {
          ListGroupsNextToken: page.next,
          ProcessedAllGroups: page.next ? 'No' : 'Yes',
          UsernameAttributes: event.UsernameAttributes || NO_USERNAME_ATTRIBUTES,
        },
        exportTimestamp,
        page.names,
      );
    }
    deps.logger.warn('The page of groups listed ahead is not the next page; listing the next page again');
  }
  const page = await listGroups(event, deps);
  return exportGroupsPage(page, { ddb: deps.ddb, logger: deps.logger, config: deps.tables });
}

/**
 * ExportUsersInGroupLambda's look-ahead: lists the ListGroups page at `event.ListGroupsNextToken`
 * and writes its group items exactly as `listAndExportGroupsPage` would, and returns the page in the
 * `prefetchedGroupsPage` form only once every item is written. Returns undefined (ListGroupsLambda
 * then lists the page itself) when there is no next page, when the budget is already short, or
 * when the listing or a write failed (a `DeadlineExceededError` included): the look-ahead never fails
 * the invocation, and it never rejects.
 */
export async function prefetchGroupsPage(
  event: Pick<
    GroupsPageEvent,
    'ExportTimestamp' | 'ListGroupsNextToken' | 'ProcessedAllGroups' | 'UsernameAttributes'
  >,
  deps: ListAndExportGroupsDeps,
): Promise<string | undefined> {
  const token = optionalToken(event.ListGroupsNextToken);
  if (event.ProcessedAllGroups !== 'No' || token === undefined || !deps.budget.hasTime()) return undefined;
  try {
    const exportTimestamp = requireTimestamp(event.ExportTimestamp, 'ExportTimestamp');
    const usernameAttributes = event.UsernameAttributes || NO_USERNAME_ATTRIBUTES;
    const page = await listGroupsPage(token, usernameAttributes, deps);
    const names = await writeGroupItems(page.groups, exportTimestamp, {
      ddb: deps.ddb,
      logger: deps.logger,
      config: deps.tables,
    });
    deps.logger.info('Listed the next page of groups ahead and exported its group items', {
      groups: names.length,
      morePages: page.nextToken !== undefined,
    });
    return encodePrefetchedGroups({ from: token, names, next: page.nextToken });
  } catch (error) {
    // Only the error's name: a message could quote a group name.
    deps.logger.warn('The next page of groups was not listed ahead; ListGroupsLambda will list it', {
      error: error instanceof Error ? error.name : 'unknown',
      deadlineReached: error instanceof DeadlineExceededError,
    });
    return undefined;
  }
}
