// SPDX-License-Identifier: Apache-2.0
/**
 * scan-table: reads the backup table page by page; users go to the new-users queue,
 * memberships and disabled users to the updates queue, groups are created in the new pool.
 *
 * - Queue bodies are the complete items as JSON; failed batch entries are retried and
 *   what still fails fails the invocation.
 * - CreateGroup through the limiter; a group that already exists is success. A page
 *   once started is finished: its retries may use the invocation's time up to its last seconds.
 * - The next page is read while the current one is sent; a page is small enough (`Limit`) that its
 *   groups fit in the time budget even if every item is a group, so stopping between pages keeps the
 *   one-minute rule.
 * - On Resume (`present` given), a user already in the new pool is not queued for import again; its
 *   memberships and disabled flag are queued as always (applying them again changes nothing).
 */
import { CreateGroupCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { sendMessages, sqsBatches } from '../../utils/batch';
import type { RateLimitedCognito } from '../../utils/cognito';
import { TaskGroup } from '../../utils/concurrency';
import type { Logger } from '../../utils/logger';
import { type RetryOptions } from '../../utils/retry';
import { errorName } from '../../utils/errors';
import { PER_POOL_OPERATION_RPS } from '../../utils/limiter';
import type { RecoveryPointPage, RecoveryPointSource, SourceCursor } from '../../utils/recovery-point';
import type { TimeBudget } from '../../utils/time-budget';
import type { BackupGroupItem, BackupItem, ScanTableResult } from './types';

/** Seconds of CreateGroup calls that one page may hold at most. */
const PAGE_SECONDS_OF_GROUPS = 40;

/**
 * CreateGroup calls a second: `COGNITO_TPS`, but never more than Cognito's per-pool quota of the
 * operation, which the limiter enforces (5 a second). Sized by `COGNITO_TPS` alone, a page at TPS 25
 * held 1,000 groups, 200 s of CreateGroup calls: the second page ran past the Lambda's 300 s timeout.
 */
export function createGroupsPerSecond(cognitoTps: number): number {
  return Math.min(cognitoTps, PER_POOL_OPERATION_RPS.UserPoolResourceUpdate ?? cognitoTps);
}
const PAGE_CONCURRENCY = 8;

export interface ScanTableConfig {
  tableName: string;
  typeUser: string;
  typeGroup: string;
  typeTimestamp: string;
  newUsersQueueUrl: string;
  updatesQueueUrl: string;
  cognitoTps: number;
}

export interface ScanTableDeps {
  /** The recovery point: the live backup table, or an export of it. */
  source: RecoveryPointSource;
  sqs: SQSClient;
  cognito: RateLimitedCognito;
  logger: Logger;
  budget: TimeBudget;
  retry: RetryOptions;
  config: ScanTableConfig;
  /** Resume: whether a backed-up pseudoUsername is already a user of the new pool. */
  present?: (pseudoUsername: string) => boolean;
}

export interface SortedPage {
  newUsers: BackupItem[];
  updates: BackupItem[];
  groups: BackupGroupItem[];
  /** Users not queued because they are already in the new pool (Resume). */
  present: number;
}

/**
 * Classification by `type`; a disabled user goes to both queues, except that a user for
 * whom `present` answers true is not queued for import.
 */
export function sortItems(
  items: readonly BackupItem[],
  config: ScanTableConfig,
  present?: (pseudoUsername: string) => boolean,
): SortedPage {
  const page: SortedPage = { newUsers: [], updates: [], groups: [], present: 0 };
  for (const item of items) {
    if (item.type === config.typeTimestamp) continue;
    if (item.type === config.typeGroup) {
      page.groups.push(item as BackupGroupItem);
    } else if (item.type === config.typeUser) {
      const pseudo = item.pseudoUsername;
      if (present && typeof pseudo === 'string' && pseudo !== '' && present(pseudo)) page.present += 1;
      else page.newUsers.push(item);
      if (!item.userEnabled) page.updates.push(item);
    } else {
      page.updates.push(item);
    }
  }
  return page;
}

/**
 * Errors of a CreateGroup with a RoleArn that say the role cannot be used (it no longer exists, or
 * this function may not pass it): the group is then created without it.
 */
const ROLE_ERRORS = new Set(['InvalidParameterException', 'AccessDeniedException', 'NotAuthorizedException']);

type GroupOutcome = 'created' | 'existed' | 'createdWithoutRole';

async function createGroup(
  deps: ScanTableDeps,
  userPoolId: string,
  group: BackupGroupItem,
): Promise<GroupOutcome> {
  const precedence = group.groupPrecedence;
  const roleArn =
    typeof group.groupRoleArn === 'string' && group.groupRoleArn !== '' ? group.groupRoleArn : undefined;
  const create = async (withRole: boolean): Promise<'created' | 'existed'> => {
    try {
      await deps.cognito.send(
        new CreateGroupCommand({
          UserPoolId: userPoolId,
          GroupName: group.groupName,
          Description: group.groupDescription,
          ...(typeof precedence === 'number' && precedence >= 0 ? { Precedence: precedence } : {}),
          ...(withRole && roleArn !== undefined ? { RoleArn: roleArn } : {}),
        }),
      );
      return 'created';
    } catch (error) {
      if (errorName(error) === 'GroupExistsException') return 'existed';
      throw error;
    }
  };
  try {
    return await create(true);
  } catch (error) {
    if (roleArn === undefined || !ROLE_ERRORS.has(errorName(error))) throw error;
    // Never a failed restore for a role: the group comes back without it, and the log says which.
    deps.logger.warn('The group was created without its IAM role, which could not be passed to Cognito', {
      groupName: group.groupName,
      roleArn,
      error: errorName(error),
    });
    const outcome = await create(false);
    return outcome === 'created' ? 'createdWithoutRole' : outcome;
  }
}

async function processPage(deps: ScanTableDeps, userPoolId: string, items: readonly BackupItem[]) {
  const { config } = deps;
  const page = sortItems(items, config, deps.present);
  const counts = {
    newUsers: page.newUsers.length,
    updates: page.updates.length,
    created: 0,
    existed: 0,
    createdWithoutRole: 0,
    present: page.present,
  };
  const group = new TaskGroup(PAGE_CONCURRENCY);
  const send = async (queueUrl: string, bodies: string[]) => {
    await group.add(() => sendMessages(deps.sqs, queueUrl, bodies, deps.retry));
  };
  try {
    for (const batch of sqsBatches(page.newUsers.map((item) => JSON.stringify(item)))) {
      await send(config.newUsersQueueUrl, batch);
    }
    for (const batch of sqsBatches(page.updates.map((item) => JSON.stringify(item)))) {
      await send(config.updatesQueueUrl, batch);
    }
    for (const item of page.groups) {
      await group.add(async () => {
        counts[await createGroup(deps, userPoolId, item)] += 1;
      });
    }
  } finally {
    await group.drain();
  }
  return counts;
}

/** Items a page holds: its groups must fit in the time budget even if every item is a group. */
export const pageLimit = (cognitoTps: number): number =>
  Math.max(25, createGroupsPerSecond(cognitoTps) * PAGE_SECONDS_OF_GROUPS);

export interface ScanTableInput {
  userPoolId: string;
  /** Where the previous invocation stopped; absent on the first. */
  start: SourceCursor | undefined;
}

/** The state output that continues from `next`: the table's key as before, or the export's cursor. */
const unfinished = (next: SourceCursor): ScanTableResult =>
  'LastEvaluatedKey' in next
    ? { AllGroupsProcessed: 'No', LastEvaluatedKey: next.LastEvaluatedKey }
    : { AllGroupsProcessed: 'No', ExportCursor: next.ExportCursor };

export async function scanTable(
  { userPoolId, start }: ScanTableInput,
  deps: ScanTableDeps,
): Promise<ScanTableResult> {
  const totals = {
    pages: 0,
    newUsers: 0,
    updates: 0,
    created: 0,
    existed: 0,
    createdWithoutRole: 0,
    present: 0,
  };
  const pages = deps.source.pages(start, pageLimit(deps.config.cognitoTps));
  try {
    const first = await pages.next();
    if (first.done === true) return { AllGroupsProcessed: 'Yes' };
    let page: RecoveryPointPage = first.value;
    for (;;) {
      const nextCursor = page.next;
      const more = nextCursor !== undefined && deps.budget.hasTime();
      const next = more ? pages.next() : undefined;
      // Both settle before anything is decided: no read or write outlives the invocation.
      const [processed, fetched] = await Promise.allSettled([
        processPage(deps, userPoolId, page.items),
        next ?? Promise.resolve(undefined),
      ]);
      if (processed.status === 'rejected') throw processed.reason;
      totals.pages += 1;
      for (const key of [
        'newUsers',
        'updates',
        'created',
        'existed',
        'createdWithoutRole',
        'present',
      ] as const)
        totals[key] += processed.value[key];
      if (nextCursor === undefined) {
        deps.logger.info('Backup table scanned to the end', {
          ...totals,
          recoveryPoint: deps.source.description,
        });
        return { AllGroupsProcessed: 'Yes' };
      }
      if (fetched.status === 'rejected') throw fetched.reason;
      if (fetched.value === undefined || fetched.value.done === true || !deps.budget.hasTime()) {
        deps.logger.info('Stopping the scan to stay within the time budget', totals);
        return unfinished(nextCursor);
      }
      page = fetched.value.value;
    }
  } finally {
    // Closes what the source holds open (an export's data file); a table source holds nothing.
    await pages.return(undefined);
  }
}
