// SPDX-License-Identifier: Apache-2.0
/**
 * update-new-users: applies the updates queue to the new pool: memberships with
 * AdminAddUserToGroup, disabled users with AdminDisableUser.
 *
 * - Every call goes through the invocation's limiter: the only waits are the limiter's
 *   and the backoff of retried throttling or transient errors.
 * - Messages are received with a visibility timeout covering the rest of the invocation
 *   (`holdSeconds`), and retries never sleep past the time budget's deadline, so no message is held
 *   past its visibility timeout. A message whose retries would pass the deadline is
 *   released (visibility 0) for the next invocation instead.
 * - Several calls are in flight at once (bounded by a TaskGroup and paced by the limiter); the next
 *   batch is received while the last ones run. Done messages are deleted in batches of 10; failed
 *   delete entries are retried, and what still fails fails the invocation.
 * - A membership or disable for a user that is not in the new pool (the import job failed or skipped
 *   that user, see its CloudWatch logs) is logged with its message id and deleted. Any other error
 *   fails the invocation with the operation and message id.
 */
import {
  AdminAddUserToGroupCommand,
  AdminDisableUserCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { deleteMessages, type ReceivedMessage } from '../../utils/batch';
import type { RateLimitedCognito } from '../../utils/cognito';
import { TaskGroup } from '../../utils/concurrency';
import { scrub, type Logger } from '../../utils/logger';
import { DeadlineExceededError, errorMessage, errorName, type RetryOptions } from '../../utils/retry';
import type { TimeBudget } from '../../utils/time-budget';
import { receiveMessages, releaseMessages } from './queue';
import type { BackupMembershipItem, BackupUserItem } from './types';

const RECEIVE_WAIT_SECONDS = 3;
const DELETE_CONCURRENCY = 4;

export interface UpdateNewUsersDeps {
  cognito: RateLimitedCognito;
  sqs: SQSClient;
  logger: Logger;
  budget: TimeBudget;
  holdSeconds: () => number;
  retry: RetryOptions;
  config: { queueUrl: string; typeUser: string; cognitoTps: number };
  /** Calls in flight at once; by default twice the TPS, at most 20. */
  concurrency?: number;
}

export class UpdateFailedError extends Error {
  override readonly name = 'UpdateFailedError';
}

type Update =
  | { kind: 'AdminDisableUser'; username: string }
  | { kind: 'AdminAddUserToGroup'; username: string; groupName: string };

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

/** The original's rule: a disabled user item disables; anything else is a membership. */
function updateOf(message: Message, typeUser: string): Update {
  let item: BackupUserItem & BackupMembershipItem;
  try {
    item = JSON.parse(message.Body ?? '') as BackupUserItem & BackupMembershipItem;
    if (typeof item !== 'object' || item === null) throw new Error('not an object');
  } catch {
    throw new UpdateFailedError(`The update message ${message.MessageId} is not a backup item`);
  }
  if (item.type === typeUser && !item.userEnabled) {
    if (!nonEmpty(item.pseudoUsername)) {
      throw new UpdateFailedError(
        `The update message ${message.MessageId} (a disabled user) has no pseudoUsername`,
      );
    }
    return { kind: 'AdminDisableUser', username: item.pseudoUsername };
  }
  if (!nonEmpty(item.groupName) || !nonEmpty(item.groupPseudoUsername)) {
    throw new UpdateFailedError(
      `The update message ${message.MessageId} (a group membership) has no groupName or groupPseudoUsername`,
    );
  }
  return { kind: 'AdminAddUserToGroup', username: item.groupPseudoUsername, groupName: item.groupName };
}

export async function updateNewUsers(
  deps: UpdateNewUsersDeps,
  userPoolId: string,
): Promise<{ queueEmpty: boolean }> {
  const { sqs, logger, config, budget } = deps;
  const work = new TaskGroup(deps.concurrency ?? Math.min(20, config.cognitoTps * 2));
  const deletes = new TaskGroup(DELETE_CONCURRENCY);
  const done: ReceivedMessage[] = [];
  const release: ReceivedMessage[] = [];
  const counts = { receives: 0, disabled: 0, added: 0, userNotFound: 0, released: 0 };
  let queueEmpty = false;

  const apply = async (message: Message): Promise<void> => {
    const update = updateOf(message, config.typeUser);
    const retry = { deadline: budget.deadline() };
    try {
      if (update.kind === 'AdminDisableUser') {
        await deps.cognito.send(
          new AdminDisableUserCommand({ UserPoolId: userPoolId, Username: update.username }),
          retry,
        );
      } else {
        await deps.cognito.send(
          new AdminAddUserToGroupCommand({
            UserPoolId: userPoolId,
            Username: update.username,
            GroupName: update.groupName,
          }),
          retry,
        );
      }
      counts[update.kind === 'AdminDisableUser' ? 'disabled' : 'added'] += 1;
    } catch (error) {
      if (error instanceof DeadlineExceededError) {
        release.push(message);
        return;
      }
      if (errorName(error) !== 'UserNotFoundException') {
        throw new UpdateFailedError(
          `${update.kind} failed for the update message ${message.MessageId}: ${errorName(error)}: ${scrub(errorMessage(error))}`,
          { cause: error },
        );
      }
      counts.userNotFound += 1;
      logger.warn('The user of an update is not in the new user pool; the update is dropped', {
        messageId: message.MessageId,
        operation: update.kind,
      });
    }
    done.push(message);
  };

  const flushDeletes = async (all: boolean): Promise<void> => {
    while (done.length >= 10 || (all && done.length > 0)) {
      const batch = done.splice(0, 10);
      await deletes.add(() => deleteMessages(sqs, config.queueUrl, batch, deps.retry));
    }
  };

  let failure: { error: unknown } | undefined;
  try {
    do {
      const messages = await receiveMessages(sqs, config.queueUrl, {
        max: 10,
        waitSeconds: RECEIVE_WAIT_SECONDS,
        visibilitySeconds: deps.holdSeconds(),
      });
      counts.receives += 1;
      if (messages.length === 0) {
        queueEmpty = true;
        break;
      }
      for (const message of messages) await work.add(() => apply(message));
      await flushDeletes(false);
    } while (budget.hasTime());
  } catch (error) {
    failure = { error };
  }
  // Whatever happened, every started call and delete settles before the invocation ends.
  try {
    await work.drain();
  } catch (error) {
    failure ??= { error };
  }
  try {
    await flushDeletes(true);
    await deletes.drain();
  } catch (error) {
    failure ??= { error };
  }
  if (failure) throw failure.error;

  if (release.length > 0) {
    counts.released = release.length;
    await releaseMessages(sqs, config.queueUrl, release, deps.retry);
  }
  logger.info('Updates applied', { ...counts, queueEmpty });
  return { queueEmpty: queueEmpty && release.length === 0 };
}
