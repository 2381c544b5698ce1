// SPDX-License-Identifier: Apache-2.0
/**
 * check-new-user-pool: the new pool must have no users and no groups, and its configuration must
 * hold every user of the backup without loss (`checkTargetPool`). A pool that cannot be read (wrong
 * id, no permission, ...) is an error with its own message naming the pool, not "not empty". Both
 * lists are read at once; nothing sleeps.
 */
import {
  DescribeUserPoolCommand,
  ListGroupsCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { RateLimitedCognito } from '../../utils/cognito';
import type { Logger } from '../../utils/logger';
import { errorMessage, errorName } from '../../utils/errors';
import {
  compareWithRecorded,
  compareWithTarget,
  readBackupNeeds,
  refusalMessage,
  TargetPoolRefusedError,
  targetShape,
  type NeedsScanDeps,
  type TargetVerdict,
} from './target-check';

/** Pages can be empty although more follow; give up after this many. */
const MAX_EMPTY_PAGES = 10;

export class NewUserPoolUnreadableError extends Error {
  override readonly name = 'NewUserPoolUnreadableError';
}

/** The tag a user pool must carry before the import roles may act on it (their IAM `aws:ResourceTag` condition). */
export const RESTORE_TARGET_TAG_KEY = 'cognito-backup-restore-target';
export const RESTORE_TARGET_TAG_VALUE = 'true';

/** The new user pool id is the backed-up pool, or not a user pool id of this Region. */
export class NewUserPoolRefusedError extends Error {
  override readonly name = 'NewUserPoolRefusedError';
}

/** A user pool id is `<region>_<alphanumerics>` (the Cognito API's pattern, with the Region made exact). */
const POOL_ID_SUFFIX = /^[0-9a-zA-Z]+$/;

/**
 * Refuses, before any call to Cognito, a target that would restore into the wrong place: the pool the
 * backup was taken from (the restore would mix the backup into production), or an id that is not a
 * well-formed user pool id of this Region.
 */
export function checkRestoreTarget(
  userPoolId: string,
  where: { region: string; sourceUserPoolId: string },
): void {
  const prefix = `${where.region}_`;
  if (!userPoolId.startsWith(prefix) || !POOL_ID_SUFFIX.test(userPoolId.slice(prefix.length))) {
    throw new NewUserPoolRefusedError(
      `The new user pool ID (${JSON.stringify(userPoolId).slice(0, 80)}) is not a user pool ID of ${where.region} ` +
        `(${prefix}<letters and digits>). Start the ImportWorkflow in the Region of the new user pool, with its ID.`,
    );
  }
  if (userPoolId.toLowerCase() === where.sourceUserPoolId.toLowerCase()) {
    throw new NewUserPoolRefusedError(
      `The new user pool (${userPoolId}) is the user pool that is backed up. The ImportWorkflow restores only ` +
        'into a new, empty user pool: create one, tag it, and start the ImportWorkflow again with its ID.',
    );
  }
}

function unreadable(userPoolId: string, error: unknown): NewUserPoolUnreadableError {
  const name = errorName(error);
  let reason: string;
  if (name === 'ResourceNotFoundException') {
    reason = `it does not exist in this Region (${name}). Check NewUserPoolId in the execution input`;
  } else if (/AccessDenied|NotAuthorized|UnrecognizedClient|Forbidden/.test(name)) {
    reason =
      `access was denied (${name}). The import roles act only on a user pool tagged ` +
      `${RESTORE_TARGET_TAG_KEY}=${RESTORE_TARGET_TAG_VALUE}: tag the new user pool (see the README) and start again`;
  } else if (name === 'InvalidParameterException') {
    reason = `the ID was refused (${name}: ${errorMessage(error)})`;
  } else {
    reason = `${name}: ${errorMessage(error)}`;
  }
  return new NewUserPoolUnreadableError(`Unable to read the new user pool (${userPoolId}): ${reason}`, {
    cause: error,
  });
}

async function hasAny(
  list: (token: string | undefined) => Promise<{ count: number; next: string | undefined }>,
  what: string,
  userPoolId: string,
): Promise<boolean> {
  let token: string | undefined;
  for (let page = 0; page < MAX_EMPTY_PAGES; page += 1) {
    const { count, next } = await list(token);
    if (count > 0) return true;
    if (!next) return false;
    token = next;
  }
  throw new NewUserPoolUnreadableError(
    `Unable to read the new user pool (${userPoolId}): ${what} kept answering empty pages with a continuation token`,
  );
}

export async function isNewUserPoolEmpty(
  userPoolId: string,
  deps: { cognito: RateLimitedCognito; logger: Logger },
): Promise<boolean> {
  const { cognito, logger } = deps;
  const [users, groups] = await Promise.allSettled([
    hasAny(
      async (token) => {
        const page = await cognito.send(
          new ListUsersCommand({ UserPoolId: userPoolId, Limit: 1, PaginationToken: token }),
        );
        return { count: page.Users?.length ?? 0, next: page.PaginationToken };
      },
      'ListUsers',
      userPoolId,
    ),
    hasAny(
      async (token) => {
        const page = await cognito.send(
          new ListGroupsCommand({ UserPoolId: userPoolId, Limit: 1, NextToken: token }),
        );
        return { count: page.Groups?.length ?? 0, next: page.NextToken };
      },
      'ListGroups',
      userPoolId,
    ),
  ]);
  for (const outcome of [users, groups]) {
    if (outcome.status === 'rejected') {
      const error: unknown = outcome.reason;
      throw error instanceof NewUserPoolUnreadableError ? error : unreadable(userPoolId, error);
    }
  }
  const hasUsers = users.status === 'fulfilled' && users.value;
  const hasGroups = groups.status === 'fulfilled' && groups.value;
  logger.info('New user pool checked', { userPoolId, hasUsers, hasGroups });
  return !hasUsers && !hasGroups;
}

/**
 * Compares the new pool's configuration with what the backed-up users need and refuses, before any
 * write, a pool that would lose data; the custom attributes in `drop` are restored without, knowingly.
 */
export async function checkTargetPool(
  userPoolId: string,
  drop: readonly string[],
  deps: {
    cognito: RateLimitedCognito;
    logger: Logger;
    scan: NeedsScanDeps;
    /** The backup's configuration item, when it has one: attribute types, aliases, warnings. */
    recorded?: { UserPool?: Record<string, unknown> };
  },
): Promise<TargetVerdict & { warnings: string[] }> {
  let pool;
  try {
    pool = (await deps.cognito.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }))).UserPool;
  } catch (error) {
    throw unreadable(userPoolId, error);
  }
  const target = targetShape(pool);
  const needs = await readBackupNeeds(deps.scan, target.required);
  const verdict = compareWithTarget(needs, target, drop);
  const signInRefused = verdict.refusals.some((line) => line.startsWith('username attributes:'));
  const fromRecord = compareWithRecorded(deps.recorded, pool, needs, drop, signInRefused);
  verdict.refusals.push(...fromRecord.refusals);
  deps.logger.info('New user pool checked against the backup', {
    userPoolId,
    usersRead: needs.users,
    complete: needs.complete,
    customAttributes: needs.customAttributes.size,
    differences: verdict.refusals.length,
    dropped: verdict.dropped,
    configurationItem: deps.recorded !== undefined,
    warnings: fromRecord.warnings.length,
  });
  for (const note of verdict.notes) deps.logger.warn(`Target check: ${note}`);
  for (const warning of fromRecord.warnings) deps.logger.warn(`Target check: ${warning}`);
  if (verdict.refusals.length > 0) throw new TargetPoolRefusedError(refusalMessage(userPoolId, verdict));
  return { ...verdict, warnings: fromRecord.warnings };
}
