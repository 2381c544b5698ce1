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
 * - Beside the import (`besideImport`: the `Parallel: UpdateNewUsers` state, after the table scan, while
 *   the import branch still creates users), an update is applied only when its user is known to exist
 *   (import-progress.ts); any other is given back for `NOT_READY_DELAY_SECONDS` without a Cognito call.
 *   What the import has done is read again every `PROGRESS_REFRESH_MS`; an update given back whose user
 *   has come to exist meanwhile is made visible again at once (its receipt handle is still valid while
 *   it is away), and so is every update still away when the import has ended. The invocation keeps polling
 *   while messages are away and time is left; it ends when the queue is drained, when the import has
 *   ended (then everything it holds is given back at once, for the UpdateNewUsers loop after the
 *   Parallel state), or when its progress cannot be read. The no-progress bound does not apply there:
 *   the import branch has its own.
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
import { changeVisibility, isDrained, queueDepth, receiveMessages, type QueueDepth } from './queue';
import { isReady, updateSubject, type ImportProgressView } from './import-progress';
import type { BackupMembershipItem, BackupUserItem } from './types';

const RECEIVE_WAIT_SECONDS = 3;
/** Long polls while waiting for messages in flight elsewhere to come back (or be deleted). */
const IN_FLIGHT_WAIT_SECONDS = 5;
const DELETE_CONCURRENCY = 4;
/** How long an update whose user is not known to exist yet stays away. */
export const NOT_READY_DELAY_SECONDS = 30;
/** How often the branch beside the import reads what the import has done. */
export const PROGRESS_REFRESH_MS = 2_000;
/** An update given back that comes back within this time is not recalled (it may be received already). */
const RECALL_MARGIN_MS = 2_000;

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

type Update = (
  | { kind: 'AdminDisableUser'; username: string }
  | { kind: 'AdminAddUserToGroup'; username: string; groupName: string }
) & { item: BackupUserItem & BackupMembershipItem };

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
    return { kind: 'AdminDisableUser', username: item.pseudoUsername, item };
  }
  if (!nonEmpty(item.groupName) || !nonEmpty(item.groupPseudoUsername)) {
    throw new UpdateFailedError(
      `The update message ${message.MessageId} (a group membership) has no groupName or groupPseudoUsername`,
    );
  }
  return {
    kind: 'AdminAddUserToGroup',
    username: item.groupPseudoUsername,
    groupName: item.groupName,
    item,
  };
}

/** A call that may pass on a later invocation: out of time, or out of retries on a retryable error. */
const isReleasable = (error: unknown): boolean =>
  error instanceof DeadlineExceededError || isRetryableError(error);

export interface UpdateNewUsersInput {
  userPoolId: string;
  progress: Progress;
  /** Set for the branch beside the import: reads what the import has done (throws when it cannot). */
  besideImport?: { read: () => Promise<ImportProgressView> };
}

export interface UpdateNewUsersOutput {
  queueEmpty: boolean;
  progress: Progress;
  /** Beside the import only: the branch ends (drained, the import has ended, or unreadable progress). */
  caughtUp?: boolean;
}

export async function updateNewUsers(
  { userPoolId, progress, besideImport }: UpdateNewUsersInput,
  deps: UpdateNewUsersDeps,
): Promise<UpdateNewUsersOutput> {
  const { sqs, logger, config, budget } = deps;
  /** Beside the import: what it has done, when it was read, and why the branch stops (if it does). */
  let view: ImportProgressView | undefined;
  let viewReadAt = 0;
  let stopBeside: 'import-ended' | 'progress-unreadable' | undefined;
  /** Beside the import: updates given back for later, by receipt handle, until they are visible again. */
  const away = new Map<string, { message: ReceivedMessage; sub: string | undefined; until: number }>();
  let recalled = 0;
  const recall = async (): Promise<void> => {
    const now = deps.now();
    const back: ReceivedMessage[] = [];
    for (const [handle, entry] of away) {
      if (entry.until <= now + RECALL_MARGIN_MS) away.delete(handle);
      else if (stopBeside || (entry.sub !== undefined && view?.ready.has(entry.sub))) {
        back.push(entry.message);
        away.delete(handle);
      }
    }
    if (back.length === 0) return;
    try {
      await changeVisibility(sqs, config.queueUrl, back, 0, deps.retry);
      recalled += back.length;
    } catch (error) {
      // They come back when their delay ends.
      logger.warn('Could not make updates given back visible again', { error: errorName(error) });
    }
  };
  const refreshView = async (): Promise<void> => {
    if (!besideImport || stopBeside) return;
    if (view && deps.now() - viewReadAt < PROGRESS_REFRESH_MS) return;
    const known = view?.ready.size ?? 0;
    try {
      view = await besideImport.read();
      viewReadAt = deps.now();
      if (view.ended) stopBeside = 'import-ended';
    } catch (error) {
      logger.warn('Could not read what the import has done; the updates are left for after the import', {
        error: errorName(error),
      });
      stopBeside = 'progress-unreadable';
    }
    if (stopBeside || (view?.ready.size ?? 0) > known) await recall();
  };
  await refreshView();
  if (stopBeside) {
    logger.info('The import has ended; the updates are applied after it', { reason: stopBeside });
    return { queueEmpty: false, progress, caughtUp: true };
  }
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
  /** Beside the import: updates whose user is not known to exist yet. */
  const notReady: { message: ReceivedMessage; sub: string | undefined }[] = [];
  const counts = {
    notReady: 0,
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
    if (backOff || stopBeside) {
      release.push(message);
      return;
    }
    if (view && !isReady(update.item, config.typeUser, view)) {
      counts.notReady += 1;
      notReady.push({ message, sub: updateSubject(update.item, config.typeUser) });
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

  const giveBackNotReady = async (all: boolean): Promise<void> => {
    while (notReady.length >= 10 || (all && notReady.length > 0)) {
      const batch = notReady.splice(0, 10).filter((entry) => holds.isHeld(entry.message));
      await holds.release(
        batch.map((entry) => entry.message),
        NOT_READY_DELAY_SECONDS,
      );
      const until = deps.now() + NOT_READY_DELAY_SECONDS * 1000;
      for (const entry of batch) away.set(entry.message.ReceiptHandle ?? '', { ...entry, until });
    }
  };

  let failure: { error: unknown } | undefined;
  let waitingForInFlight = false;
  try {
    do {
      await refreshView();
      if (stopBeside) break;
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
        await giveBackNotReady(true);
        lastDepth = await queueDepth(sqs, config.queueUrl);
        if (isDrained(lastDepth, holds.size)) {
          queueEmpty = true;
          break;
        }
        // Messages in flight that are not ours (a dead invocation's, back when its hold ends), or
        // visible ones this receive missed: the next receive long-polls for them.
        waitingForInFlight = true;
        counts.waitedForInFlight += 1;
        // Beside the import, nothing to do now: what the import has done is read again at once (it may
        // have ended, and the Parallel state waits for this branch).
        if (besideImport) viewReadAt = 0;
        continue;
      }
      waitingForInFlight = false;
      for (const message of messages) {
        if (backOff) release.push(message);
        else await work.add(() => apply(message));
      }
      await flushDeletes(false);
      await giveBackNotReady(false);
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
  // Once the import has ended, the loop after the Parallel state takes them at once.
  const notReadyLeft = notReady
    .splice(0)
    .flatMap((entry) => (holds.isHeld(entry.message) ? [entry.message] : []));
  await holds.release(notReadyLeft, stopBeside ? 0 : NOT_READY_DELAY_SECONDS);
  logger.info('Updates applied', {
    ...counts,
    queueEmpty,
    extensions: holds.extensions,
    lostHolds: holds.lost.length,
    ...(backOff ? { releasedAfter: backOff.error } : {}),
    ...(besideImport ? { recalled } : {}),
    ...(stopBeside ? { stoppedBesideImport: stopBeside } : {}),
  });
  const drained = queueEmpty && release.length === 0 && notReadyLeft.length === 0;
  if (besideImport) {
    // A failure that needs time ends this invocation; the branch goes on with the next one.
    return { queueEmpty: drained, progress, caughtUp: drained || stopBeside !== undefined };
  }
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
