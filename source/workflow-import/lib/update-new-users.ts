// SPDX-License-Identifier: Apache-2.0
/**
 * update-new-users: applies the updates queue to the new pool: memberships with
 * AdminAddUserToGroup, disabled users with AdminDisableUser.
 *
 * - Every call goes through the invocation's limiter: the only waits are the limiter's
 *   and the backoff of retried throttling or transient errors.
 * - Messages are held for two minutes and extended while the invocation works on them
 *   (`MessageHolds`); retries never sleep past the time budget's deadline. A dead
 *   invocation's messages are visible again within two minutes.
 * - A call that runs out of time, or out of retries on throttling or a transient error, is released
 *   (visibility 0) for a later invocation: the invocation stops taking new messages, lets the calls
 *   under way finish, gives back what it did not do and returns a continuation (`QueueEmpty: false`).
 *   The step fails only when no invocation made progress for `NO_PROGRESS_LIMIT_MS`.
 * - An empty receive ends the step only if the queue is drained: after this invocation's own calls
 *   and deletes have settled, nothing visible, delayed, or in flight besides the messages it gives back. Messages in flight elsewhere (a dead invocation's)
 *   are waited for with long polls while the time budget lasts.
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
import { realSleep, type Now } from '../../utils/time';
import { scrub, type Logger } from '../../utils/logger';
import { DeadlineExceededError, type RetryOptions } from '../../utils/retry';
import { errorMessage, errorName, isRetryableError } from '../../utils/errors';
import type { TimeBudget } from '../../utils/time-budget';
import { MessageHolds } from './holds';
import { nextProgress, type Progress } from './progress';
import { isDrained, queueDepth, receiveMessages, type QueueDepth } from './queue';
import type { BackupMembershipItem, BackupUserItem } from './types';

const RECEIVE_WAIT_SECONDS = 3;
/** Long polls while waiting for messages in flight elsewhere to come back (or be deleted). */
const IN_FLIGHT_WAIT_SECONDS = 5;
const DELETE_CONCURRENCY = 4;

export interface UpdateNewUsersDeps {
  cognito: RateLimitedCognito;
  sqs: SQSClient;
  logger: Logger;
  budget: TimeBudget;
  now: Now;
  retry: RetryOptions;
  config: { queueUrl: string; typeUser: string; cognitoTps: number };
  /** Calls in flight at once; by default twice the TPS, at most 20. */
  concurrency?: number;
  /** Visibility of a hold; `HOLD_SECONDS` by default. */
  holdSeconds?: number;
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

/** A call that may pass on a later invocation: out of time, or out of retries on a retryable error. */
const isReleasable = (error: unknown): boolean =>
  error instanceof DeadlineExceededError || isRetryableError(error);

export interface UpdateNewUsersInput {
  userPoolId: string;
  progress: Progress;
}

export async function updateNewUsers(
  { userPoolId, progress }: UpdateNewUsersInput,
  deps: UpdateNewUsersDeps,
): Promise<{ queueEmpty: boolean; progress: Progress }> {
  const { sqs, logger, config, budget } = deps;
  const holds = new MessageHolds({
    sqs,
    queueUrl: config.queueUrl,
    now: deps.now,
    retry: deps.retry,
    logger,
    holdSeconds: deps.holdSeconds,
  });
  const work = new TaskGroup(deps.concurrency ?? Math.min(20, config.cognitoTps * 2));
  const deletes = new TaskGroup(DELETE_CONCURRENCY);
  const done: ReceivedMessage[] = [];
  const release: ReceivedMessage[] = [];
  const counts = {
    receives: 0,
    disabled: 0,
    added: 0,
    userNotFound: 0,
    released: 0,
    deleted: 0,
    waitedForInFlight: 0,
  };
  let queueEmpty = false;
  /** Set when a call ran out of retries: no new message is taken, the rest is given back. */
  let backOff: { error: string } | undefined;
  let lastDepth: QueueDepth | undefined;

  const sleep = deps.retry.sleep ?? realSleep;
  const keepAlive = async (): Promise<void> => {
    try {
      await holds.keepAlive();
    } catch (error) {
      // The message may be seen again by a later receive; its update is idempotent.
      logger.warn('Could not extend the hold of the messages being worked on', { error: errorName(error) });
    }
  };

  const apply = async (message: Message): Promise<void> => {
    const update = updateOf(message, config.typeUser);
    if (backOff) {
      release.push(message);
      return;
    }
    // Every backoff of a retried call is a checkpoint: holds that end soon are extended first.
    const retry = {
      deadline: budget.deadline(),
      sleep: async (ms: number) => {
        await keepAlive();
        await sleep(ms);
      },
    };
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
      if (isReleasable(error)) {
        if (!(error instanceof DeadlineExceededError)) backOff ??= { error: errorName(error) };
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
    if (done.length < 10 && !(all && done.length > 0)) return;
    // A call that outlasted a hold between two checkpoints left no trace yet: this checkpoint finds it.
    await keepAlive();
    while (done.length >= 10 || (all && done.length > 0)) {
      // A message whose hold ended is visible again: it is not deleted with a stale receipt handle
      // but done again by a later receive (both updates are idempotent).
      const batch = done.splice(0, 10).filter((message) => holds.isHeld(message));
      if (batch.length === 0) continue;
      await deletes.add(async () => {
        await deleteMessages(sqs, config.queueUrl, batch, deps.retry);
        holds.drop(batch);
        counts.deleted += batch.length;
      });
    }
  };

  let failure: { error: unknown } | undefined;
  let waitingForInFlight = false;
  try {
    do {
      await keepAlive();
      const requestedAt = deps.now();
      const messages = await receiveMessages(sqs, config.queueUrl, {
        max: 10,
        waitSeconds: waitingForInFlight ? IN_FLIGHT_WAIT_SECONDS : RECEIVE_WAIT_SECONDS,
        visibilitySeconds: holds.holdSeconds,
      });
      counts.receives += 1;
      holds.add(messages, requestedAt);
      if (messages.length === 0) {
        // Settle our own work first: a done message not yet deleted is in flight too, and two
        // invocations each waiting for the other's undeleted messages would wait for each other.
        await work.drain();
        await flushDeletes(true);
        await deletes.drain();
        lastDepth = await queueDepth(sqs, config.queueUrl);
        if (isDrained(lastDepth, holds.size)) {
          queueEmpty = true;
          break;
        }
        // Messages in flight that are not ours (a dead invocation's, back when its hold ends), or
        // visible ones this receive missed: the next receive long-polls for them.
        waitingForInFlight = true;
        counts.waitedForInFlight += 1;
        continue;
      }
      waitingForInFlight = false;
      for (const message of messages) {
        if (backOff) release.push(message);
        else await work.add(() => apply(message));
      }
      await flushDeletes(false);
    } while (!backOff && budget.hasTime());
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
  if (failure) {
    // Give back what was not done, so that the next attempt gets it at once.
    await holds.releaseAll().catch((error: unknown) =>
      logger.error('Could not release the held messages; they come back when their hold ends', {
        error: errorName(error),
      }),
    );
    throw failure.error;
  }

  if (release.length > 0) {
    counts.released = release.length;
    await holds.release(release);
  }
  logger.info('Updates applied', {
    ...counts,
    queueEmpty,
    extensions: holds.extensions,
    lostHolds: holds.lost.length,
    ...(backOff ? { releasedAfter: backOff.error } : {}),
  });
  const drained = queueEmpty && release.length === 0;
  const madeProgress = counts.added + counts.disabled + counts.userNotFound + counts.deleted > 0 || drained;
  const next = nextProgress(progress, madeProgress, deps.now(), {
    userPoolId,
    whatIsLeft: () =>
      `the updates queue still holds memberships or disabled flags to apply` +
      (lastDepth
        ? ` (about ${lastDepth.visible} visible, ${lastDepth.inFlight} in flight, ${lastDepth.delayed} delayed)`
        : '') +
      (backOff ? `; the last calls ran out of retries on ${backOff.error}` : ''),
  });
  return { queueEmpty: drained, progress: next };
}
