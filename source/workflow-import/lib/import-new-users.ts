// SPDX-License-Identifier: Apache-2.0
/**
 * ImportNewUsers: drains the new-users queue into one user CSV and starts a Cognito
 * import job with it.
 *
 * Design:
 * - Received messages are held for two minutes and extended at every receive and before the upload
 *   and the start (`MessageHolds`): if the invocation dies they are back within two minutes. A
 *   message whose hold was lost before the start sinks the file: everything is given back.
 * - Messages are deleted only after StartUserImportJob succeeded (or the job is found running). Any
 *   failure before that releases every received message (visibility 0): nobody is lost, and the next
 *   attempt sees them at once. A failure that only needs time (throttling or a transient error that
 *   outlasted its retries) returns a continuation instead of failing the workflow; the step fails
 *   only after `NO_PROGRESS_LIMIT_MS` without progress.
 * - A job is never started twice and never raced (see `job-ledger.ts`): a running job of this
 *   solution in the pool is handed to the state machine's wait loop, and a user covered by a job this
 *   execution started is deleted from the queue, not imported again: its message came back after a
 *   lost result, or a retried table scan queued it a second time (a second job with users already in
 *   the pool would fail).
 * - The queue counts as drained only when nothing is visible, delayed or in flight besides this
 *   invocation's own messages; messages a dead invocation holds are waited for with long polls.
 * - A file holds each `sub` once (standard queues may deliver a message twice): a duplicate is
 *   deleted with the file's messages, so a user is imported once.
 * - Receives ask for no more messages than the file can still take (users, and bytes estimated from
 *   the average line); a message that still does not fit is released at once for the next file.
 * - A user whose row the target pool would refuse (csv-rules.ts), or whose values the CSV format
 *   cannot carry, is created with AdminCreateUser instead and recorded in the restore ledger
 *   (admin-create.ts), after the file's job has started (so that the job's users exist sooner) and
 *   while every message is still held; its message is deleted with the file's. A crash in between
 *   loses nobody: the job's users are covered by its manifest, and the fallback users' messages come
 *   back when their holds end and are created by a later invocation (AdminCreateUser of a user that
 *   already exists counts as created). At most `maxFallbackUsers` per invocation (a minute of
 *   `COGNITO_TPS`, 600 at least); the rest wait for the next one. The holds are kept meanwhile.
 * - For the memberships and disabled flags applied beside the import (import-progress.ts), it records
 *   the users that exist: those of a job of this execution once the job has succeeded (watched while the
 *   fallback users are created, or found settled by a later invocation), and the fallback users once
 *   created; and, when the Parallel state's invocation finds the queue drained, that the import has
 *   ended. Only the last is needed to finish: if it cannot be written, the queue does not count as
 *   drained yet.
 * - `cognito:mfa_enabled` follows the target pool's MFA mode (csv-rules.ts).
 * - The CSV and the mapping file are kept as 1 MB chunks and streamed to the upload.
 * - Receives run in a few parallel workers (the drain is latency-bound); draining stops while enough
 *   time is left for the upload, the start and the deletes (`FINALIZE_RESERVE_MS`).
 */
import {
  DescribeUserImportJobCommand,
  DescribeUserPoolCommand,
  GetCSVHeaderCommand,
  type UserImportJobType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { RateLimitedCognito } from '../../utils/cognito';
import type { Logger } from '../../utils/logger';
import { realSleep, type Now, type Sleep } from '../../utils/time';
import { DeadlineExceededError, type RetryOptions } from '../../utils/retry';
import { errorName, isRetryableError } from '../../utils/errors';
import type { TimeBudget } from '../../utils/time-budget';
import { createFallbackUsers, type FallbackUser } from './admin-create';
import { csvRowProblem, mfaEnabled, ROW_RULES, targetPoolRules, type TargetPoolRules } from './csv-rules';
import { MessageHolds } from './holds';
import { importJobFailureMessage, runImportJob, type ImportJobConfig } from './import-job';
import { subsDigest, writeImportEnded, writeReady, type ProgressStore } from './import-progress';
import {
  deleteManifest,
  listOurJobs,
  readManifests,
  RUNNING_JOB_STATUSES,
  STALE_MANIFEST_MS,
  START_WINDOW_MS,
  writeManifest,
  type Manifest,
} from './job-ledger';
import { nextProgress, type Progress } from './progress';
import { deleteAll, isDrained, queueDepth, receiveMessages, type QueueDepth } from './queue';
import type { BackupUserItem, ImportNewUsersOutput } from './types';
import {
  ChunkedText,
  headerLine,
  MAPPING_HEADER,
  mappingLine,
  USERNAME_COLUMN,
  userLine,
  userSub,
} from './user-csv';

/** Cognito's limits for one import file; the original's constants. */
export const MAX_USERS_PER_FILE = 500_000;
export const MAX_CSV_BYTES = 100_000_000;
/** Time kept back from draining for the job: upload, start and up to 50,000 delete batches. */
export const FINALIZE_RESERVE_MS = 180_000;
export const MISSING_SUB_ERROR = "Unable to extract user's sub attribute";

const RECEIVE_WAIT_SECONDS = 20;
/**
 * A standard SQS queue serves at most about 120,000 messages in flight; a file never holds more
 * messages than this, so receives never hit that limit.
 */
export const MAX_HELD_MESSAGES = 100_000;
/** Polls of a `Created` job of an unfinished manifest, while it may still be started. */
const CREATED_JOB_POLL_MS = 10_000;
/** Polls of the job just started, while the fallback users are created. */
export const STARTED_JOB_POLL_MS = 2_000;

export interface DrainLimits {
  maxUsers: number;
  maxHeld: number;
  maxBytes: number;
  receiveConcurrency: number;
  deleteConcurrency: number;
  /** Users created with AdminCreateUser in one invocation at most. */
  maxFallbackUsers: number;
}

export const DEFAULT_LIMITS: DrainLimits = {
  maxUsers: MAX_USERS_PER_FILE,
  maxHeld: MAX_HELD_MESSAGES,
  maxBytes: MAX_CSV_BYTES,
  receiveConcurrency: 5,
  deleteConcurrency: 16,
  maxFallbackUsers: 600,
};

export interface ImportNewUsersDeps {
  cognito: RateLimitedCognito;
  sqs: SQSClient;
  s3: S3Client;
  fetch: typeof fetch;
  logger: Logger;
  /** `hasTime()` answers whether another receive may start (reserve: one minute plus `FINALIZE_RESERVE_MS`). */
  drainBudget: TimeBudget;
  now: Now;
  sleep?: Sleep;
  retry: RetryOptions;
  /** Visibility of a hold; `HOLD_SECONDS` by default. */
  holdSeconds?: number;
  config: ImportJobConfig & { queueUrl: string };
  limits?: Partial<DrainLimits>;
}

type Disposition = 'pending' | 'import' | 'fallback' | 'duplicate' | 'rejected' | 'covered' | 'overflow';
interface Held {
  MessageId?: string;
  ReceiptHandle?: string;
  disposition: Disposition;
  fallback?: FallbackUser;
}

/** What the drain needs to know about the target pool, read once per invocation. */
interface TargetPool {
  header: string[];
  rules: TargetPoolRules;
}

/** The file being built; created when the first message arrives (the header comes from Cognito). */
class UserFile {
  readonly csv = new ChunkedText();
  readonly mapping = new ChunkedText();
  readonly subs = new Set<string>();
  readonly headerBytes: number;
  users = 0;
  full = false;

  constructor(readonly header: string[]) {
    this.csv.append(headerLine(header));
    this.mapping.append(MAPPING_HEADER);
    this.headerBytes = this.csv.byteLength;
  }

  averageLineBytes(): number {
    return this.users === 0 ? 0 : (this.csv.byteLength - this.headerBytes) / this.users;
  }
}

class DrainState {
  readonly received: Held[] = [];
  file: UserFile | undefined;
  private targetPromise: Promise<TargetPool> | undefined;
  readonly fallbackSubs = new Set<string>();
  reserved = 0;
  receives = 0;
  stop = false;
  queueEmpty = false;
  waitedForInFlight = 0;
  lastDepth: QueueDepth | undefined;
  failure: { error: unknown } | undefined;

  constructor(
    private readonly limits: DrainLimits,
    readonly holds: MessageHolds,
    /** Users whose job already started (their messages came back after a lost result). */
    readonly covered: ReadonlySet<string>,
  ) {}

  target(load: () => Promise<TargetPool>): Promise<TargetPool> {
    this.targetPromise ??= load();
    return this.targetPromise;
  }

  /** How many messages the next receive may ask for: what the file can still take, at most 10. */
  receiveSize(): number {
    const file = this.file;
    const users = file?.users ?? 0;
    let room = Math.min(
      this.limits.maxUsers - users - this.reserved,
      this.limits.maxHeld - this.holds.size - this.reserved,
    );
    const average = file?.averageLineBytes() ?? 0;
    if (file && average > 0) {
      const bytesLeft = this.limits.maxBytes - file.csv.byteLength - this.reserved * average;
      room = Math.min(room, Math.floor(bytesLeft / average));
    }
    return Math.max(0, Math.min(10, room));
  }

  count(disposition: Disposition): number {
    return this.received.filter((held) => held.disposition === disposition).length;
  }
}

/** A failure that only needs time: out of retries on throttling or a transient error, or out of time. */
const needsTime = (error: unknown): boolean =>
  error instanceof DeadlineExceededError || isRetryableError(error);

/** The file's messages were no longer all held before the start: nothing is started, all is given back. */
class HoldLostError extends Error {
  override readonly name = 'HoldLostError';
}

export interface ImportNewUsersResult {
  output: ImportNewUsersOutput;
  progress: Progress;
}

export interface ImportNewUsersInput {
  userPoolId: string;
  /** The execution's name: the manifests of its jobs cover its users. */
  execution: string;
  /**
   * Whether the table scan has ended (the state after the Parallel state): only then can no message of
   * a user already imported arrive any more, and the execution's manifests go once the queue is drained.
   */
  scanEnded: boolean;
  /** What the previous invocations carried; absent on the first. */
  progress?: Progress;
}

export async function importNewUsers(
  input: ImportNewUsersInput,
  deps: ImportNewUsersDeps,
): Promise<ImportNewUsersResult> {
  const { userPoolId, execution } = input;
  const progress = input.progress ?? { Step: 'ImportNewUsers', LastProgressTime: deps.now() };
  const { logger } = deps;
  const done = (
    output: ImportNewUsersOutput,
    madeProgress: boolean,
    whatIsLeft: string,
  ): ImportNewUsersResult => ({
    output,
    progress: nextProgress(progress, madeProgress, deps.now(), { userPoolId, whatIsLeft: () => whatIsLeft }),
  });

  // A job of this solution still running in the pool: wait for it (the state machine's loop), start nothing.
  let ledger: { running?: UserImportJobType; covered: Set<string>; settled: Manifest[] };
  try {
    ledger = await readLedger(deps, userPoolId, execution);
  } catch (error) {
    if (!needsTime(error)) throw error;
    logger.warn('Could not list the import jobs of the new user pool yet; trying again later', {
      error: errorName(error),
    });
    return done(
      { ImportJobStatus: '', QueueEmpty: false },
      false,
      `the import jobs of the new user pool could not be listed (${errorName(error)})`,
    );
  }
  if (ledger.running) {
    const { JobId: jobId = '', Status: status = 'Pending' } = ledger.running;
    logger.info('A user import job of this solution is running in the new user pool; waiting for it', {
      jobId,
      status,
    });
    return done({ ImportJobStatus: status, ImportJobId: jobId, QueueEmpty: false }, true, '');
  }

  if (!input.scanEnded) {
    for (const manifest of ledger.settled)
      await recordReady(deps, progressStore(deps, input), manifest.JobId, manifest.Subs);
  }

  const holds = new MessageHolds({
    sqs: deps.sqs,
    queueUrl: deps.config.queueUrl,
    now: deps.now,
    retry: deps.retry,
    logger,
    holdSeconds: deps.holdSeconds,
  });
  try {
    return await importFile(deps, input, holds, ledger, done);
  } catch (error) {
    await releaseAfterFailure(deps, holds);
    if (!needsTime(error) && !(error instanceof HoldLostError)) throw error;
    logger.warn('The import file was given back for a later invocation', { error: errorName(error) });
    return done(
      { ImportJobStatus: '', QueueEmpty: false },
      false,
      `the new users queue still holds users to import; the last attempt stopped on ${errorName(error)}`,
    );
  }
}

/**
 * The pool's jobs of this solution and the manifests left: a running job, the users covered by the
 * execution's started jobs, and the execution's manifests of finished jobs (deleted once the scan has
 * ended and the queue is drained). Manifests of other executions are deleted once their job is over.
 */
async function readLedger(
  deps: ImportNewUsersDeps,
  userPoolId: string,
  execution: string,
): Promise<{ running?: UserImportJobType; covered: Set<string>; settled: Manifest[] }> {
  const { cognito, s3, logger, config } = deps;
  const jobs = await listOurJobs(cognito, userPoolId);
  const running = jobs.find((job) => RUNNING_JOB_STATUSES.has(job.Status ?? ''));
  if (running) return { running, covered: new Set(), settled: [] };
  const covered = new Set<string>();
  const settled: Manifest[] = [];
  for (const manifest of await readManifests(s3, config.bucket, userPoolId)) {
    let status = jobs.find((job) => job.JobId === manifest.JobId)?.Status;
    // Written moments ago: its writer may still start it within its start window.
    while (
      (status === undefined || status === 'Created') &&
      deps.now() - manifest.WrittenAt <= STALE_MANIFEST_MS
    ) {
      await (deps.sleep ?? realSleep)(CREATED_JOB_POLL_MS);
      const described = await cognito.send(
        new DescribeUserImportJobCommand({ UserPoolId: userPoolId, JobId: manifest.JobId }),
      );
      status = described?.UserImportJob?.Status;
    }
    if (status !== undefined && RUNNING_JOB_STATUSES.has(status)) {
      return { running: { JobId: manifest.JobId, Status: status }, covered: new Set(), settled: [] };
    }
    if (status === undefined || status === 'Created' || status === 'Expired') {
      // Never started, and it never will be: its users are not covered.
      logger.warn('An import manifest names a job that was never started; its users are imported again', {
        jobId: manifest.JobId,
        status: status ?? 'unknown',
      });
      await deleteManifest(s3, config.bucket, userPoolId, manifest.JobId);
      continue;
    }
    if (manifest.Execution !== execution) {
      // An earlier execution's job: its messages were purged (Resume) or consumed, and its users are
      // either in the pool (Resume does not queue them) or to be imported again.
      await deleteManifest(s3, config.bucket, userPoolId, manifest.JobId);
      continue;
    }
    if (status !== 'Succeeded') {
      throw new Error(importJobFailureMessage(manifest.JobId, status, config.region, config.bucket));
    }
    for (const sub of manifest.Subs) covered.add(sub);
    settled.push(manifest);
  }
  if (settled.length > 0) {
    logger.info('Import jobs of this execution cover users whose messages may come again', {
      jobIds: settled.map((manifest) => manifest.JobId),
      coveredUsers: covered.size,
    });
  }
  return { covered, settled };
}

const progressStore = (
  deps: ImportNewUsersDeps,
  { userPoolId, execution }: { userPoolId: string; execution: string },
): ProgressStore => ({ s3: deps.s3, bucket: deps.config.bucket, userPoolId, execution });

/** Records users that exist for the updates beside the import; a failure only makes those later. */
async function recordReady(
  deps: ImportNewUsersDeps,
  store: ProgressStore,
  name: string,
  subs: readonly string[],
): Promise<void> {
  try {
    await writeReady(store, name, subs);
  } catch (error) {
    deps.logger.warn('Could not record the users that exist; their updates wait for the end of the import', {
      users: subs.length,
      error: errorName(error),
    });
  }
}

/**
 * While the fallback users are created (until `done` settles), every `STARTED_JOB_POLL_MS`: keeps the
 * file's holds, and watches the job just started (if any) until it succeeds, then records its users.
 * One DescribeUserImportJob a look, through the limiter. A failed look ends the watch only: a later
 * invocation finds the job settled.
 */
async function whileCreating(
  deps: ImportNewUsersDeps,
  holds: MessageHolds,
  store: ProgressStore,
  job: { jobId: string; status: string; subs: readonly string[] } | undefined,
  done: Promise<unknown>,
): Promise<void> {
  let finished = false;
  const stop = done.then(
    () => (finished = true),
    () => (finished = true),
  );
  let watching = job !== undefined && RUNNING_JOB_STATUSES.has(job.status);
  let status = job?.status;
  while (!finished) {
    await Promise.race([stop, (deps.sleep ?? realSleep)(STARTED_JOB_POLL_MS)]);
    if (finished) break;
    await holds.keepAlive().catch((error: unknown) => {
      deps.logger.warn('Could not extend the holds while creating users', { error: errorName(error) });
    });
    if (!watching || job === undefined) continue;
    try {
      const described = await deps.cognito.send(
        new DescribeUserImportJobCommand({ UserPoolId: store.userPoolId, JobId: job.jobId }),
      );
      status = described?.UserImportJob?.Status ?? status;
    } catch (error) {
      deps.logger.warn('Could not follow the user import job; a later invocation records its users', {
        jobId: job.jobId,
        error: errorName(error),
      });
      watching = false;
      continue;
    }
    if (status === 'Succeeded') await recordReady(deps, store, job.jobId, job.subs);
    if (status === undefined || !RUNNING_JOB_STATUSES.has(status)) watching = false;
  }
}

/** Fallback users are created (and recorded as existing) this many at a time. */
export const FALLBACK_CHUNK = 250;

async function importFile(
  deps: ImportNewUsersDeps,
  { userPoolId, execution, scanEnded }: ImportNewUsersInput,
  holds: MessageHolds,
  ledger: { covered: Set<string>; settled: Manifest[] },
  done: (output: ImportNewUsersOutput, madeProgress: boolean, whatIsLeft: string) => ImportNewUsersResult,
): Promise<ImportNewUsersResult> {
  const limits: DrainLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const { logger, sqs, config } = deps;
  const state = new DrainState(limits, holds, ledger.covered);

  const workers = Array.from({ length: limits.receiveConcurrency }, (_, index) =>
    drainWorker(deps, state, limits, userPoolId, index === 0).catch((error: unknown) => {
      state.failure ??= { error };
      state.stop = true;
    }),
  );
  await Promise.all(workers);

  const file = state.file;
  const overflow = state.received.filter((held) => held.disposition === 'overflow');
  const counts = {
    receives: state.receives,
    userCount: file?.users ?? 0,
    bytes: file?.csv.byteLength ?? 0,
    duplicates: state.count('duplicate'),
    rejected: state.count('rejected'),
    covered: state.count('covered'),
    adminCreate: state.count('fallback'),
    released: overflow.length,
    queueEmpty: state.queueEmpty,
    waitedForInFlight: state.waitedForInFlight,
  };
  logger.info('New users queue drained', counts);

  if (state.failure) throw state.failure.error;
  if (holds.lost.length > 0) {
    throw new HoldLostError(`${holds.lost.length} message(s) of the import file were no longer held`);
  }
  if (overflow.length > 0) await holds.release(overflow);
  const fallbacks = state.received.flatMap((held) => (held.fallback ? [held.fallback] : []));
  const store = progressStore(deps, { userPoolId, execution });

  let job: { jobId: string; status: string } | undefined;
  if (file && file.users > 0) {
    // The upload and the start get a full hold; the start happens only while every message is held.
    await keepEveryHold(holds);
    job = await runImportJob(
      { cognito: deps.cognito, s3: deps.s3, fetch: deps.fetch, logger, retry: deps.retry, config },
      {
        users: file.users,
        csv: { chunks: file.csv.chunks(), byteLength: file.csv.byteLength },
        mapping: file.mapping.chunks(),
      },
      async (jobId) => {
        await keepEveryHold(holds);
        const writtenAt = deps.now();
        await writeManifest(deps.s3, config.bucket, {
          JobId: jobId,
          UserPoolId: userPoolId,
          Execution: execution,
          WrittenAt: writtenAt,
          Subs: [...file.subs],
        });
        return { startBy: Math.min(writtenAt + START_WINDOW_MS, holds.firstEnd()) };
      },
    );
  }

  if (fallbacks.length > 0) {
    // The job's users are created meanwhile; their updates may start as soon as it has succeeded.
    const target = await state.target(() => loadTargetPool(deps.cognito, userPoolId));
    await holds.keepAlive({ all: true });
    const creating = (async () => {
      for (let from = 0; from < fallbacks.length; from += FALLBACK_CHUNK) {
        const part = fallbacks.slice(from, from + FALLBACK_CHUNK);
        const created = await createFallbackUsers(
          { cognito: deps.cognito, s3: deps.s3, logger, config: { bucket: config.bucket } },
          userPoolId,
          target.header,
          part,
        );
        await recordReady(
          deps,
          store,
          `admin-create-${subsDigest(part.map((user) => user.sub))}`,
          created.entries.filter((entry) => entry.outcome === 'admin-create').map((entry) => entry.sub),
        );
      }
    })();
    const [outcome] = await Promise.allSettled([
      creating,
      whileCreating(deps, holds, store, job && file ? { ...job, subs: [...file.subs] } : undefined, creating),
    ]);
    if (outcome.status === 'rejected') throw outcome.reason;
  }

  // The job (if any) has started: every message represented by the file, or refused for good, goes.
  const finished = state.received.filter((held) => held.disposition !== 'overflow');
  try {
    await deleteAll(sqs, config.queueUrl, finished, {
      concurrency: limits.deleteConcurrency,
      retry: deps.retry,
    });
    holds.drop(finished);
  } catch (error) {
    if (job === undefined) throw error;
    // The manifest covers them: messages of this job that come back are deleted by a later invocation.
    holds.drop(finished);
    logger.warn(
      'The user import job started, but some of its messages could not be deleted; the manifest covers them',
      {
        jobId: job.jobId,
        error: errorName(error),
      },
    );
    return done({ ImportJobStatus: job.status, ImportJobId: job.jobId, QueueEmpty: false }, true, '');
  }
  // The manifest stays for the execution (see job-ledger.ts).
  if (job !== undefined) {
    // Like the original: after a job the state machine looks at the queue again.
    return done({ ImportJobStatus: job.status, ImportJobId: job.jobId, QueueEmpty: false }, true, '');
  }
  let drained = state.queueEmpty && overflow.length === 0;
  if (drained && !scanEnded) {
    // The import branch of the Parallel state ends here: the updates beside it stop (import-progress.ts).
    try {
      await writeImportEnded(store);
    } catch (error) {
      if (!needsTime(error)) throw error;
      logger.warn('Could not record the end of the import; the queue is looked at again', {
        error: errorName(error),
      });
      drained = false;
    }
  }
  if (drained && scanEnded) {
    // The scan is over and nothing is left in flight: no message of an imported user can come any more.
    for (const manifest of ledger.settled)
      await deleteManifest(deps.s3, config.bucket, userPoolId, manifest.JobId);
  }
  return done(
    { ImportJobStatus: '', QueueEmpty: drained },
    drained || finished.length > 0,
    `the new users queue still holds users to import` +
      (state.lastDepth
        ? ` (about ${state.lastDepth.visible} visible, ${state.lastDepth.inFlight} in flight, ${state.lastDepth.delayed} delayed)`
        : ''),
  );
}

/** Gives every held message a full hold; a message no longer held sinks the file. */
async function keepEveryHold(holds: MessageHolds): Promise<void> {
  const lost = await holds.keepAlive({ all: true });
  if (lost.length > 0 || holds.lost.length > 0) {
    throw new HoldLostError(`${holds.lost.length} message(s) of the import file were no longer held`);
  }
}

async function releaseAfterFailure(deps: ImportNewUsersDeps, holds: MessageHolds): Promise<void> {
  const count = holds.size;
  if (count === 0) return;
  try {
    await holds.releaseAll();
    deps.logger.warn('Released the received messages after a failure; no user was removed from the queue', {
      released: count,
    });
  } catch (error) {
    deps.logger.error(
      'Could not release the received messages; they reappear when their visibility timeout ends',
      {
        messages: count,
        error: errorName(error),
      },
    );
  }
}

async function drainWorker(
  deps: ImportNewUsersDeps,
  state: DrainState,
  limits: DrainLimits,
  userPoolId: string,
  first: boolean,
): Promise<void> {
  // The first worker always receives once (the original's do-while); the rest needs time left.
  let mustReceive = first;
  while (!state.stop && (mustReceive || deps.drainBudget.hasTime())) {
    mustReceive = false;
    await state.holds.keepAlive();
    if (state.holds.lost.length > 0) {
      state.stop = true;
      return;
    }
    const size = state.receiveSize();
    if (size === 0) {
      // Full, or the rest of the room is promised to receives in flight.
      if (state.reserved === 0 && state.file) {
        state.file.full = true;
        state.stop = true;
      }
      return;
    }
    // The reservation holds until the received messages are counted in the file, so parallel
    // receives never promise the same room twice.
    state.reserved += size;
    try {
      const requestedAt = deps.now();
      const messages = await receiveMessages(deps.sqs, deps.config.queueUrl, {
        max: size,
        waitSeconds: RECEIVE_WAIT_SECONDS,
        visibilitySeconds: state.holds.holdSeconds,
      });
      state.receives += 1;
      state.holds.add(messages, requestedAt);
      if (messages.length === 0) {
        if (state.stop) return;
        const depth = await queueDepth(deps.sqs, deps.config.queueUrl);
        state.lastDepth = depth;
        if (isDrained(depth, state.holds.size)) {
          state.queueEmpty = true;
          state.stop = true;
          return;
        }
        // Messages in flight elsewhere (a dead invocation's) or missed by this receive. With users in
        // the file, the job goes ahead and the next invocation sees them; with none, keep polling.
        if ((state.file?.users ?? 0) > 0) {
          state.stop = true;
          return;
        }
        state.waitedForInFlight += 1;
        continue;
      }
      const held = messages.map((message) => {
        const entry: Held = {
          MessageId: message.MessageId,
          ReceiptHandle: message.ReceiptHandle,
          disposition: 'pending',
        };
        state.received.push(entry);
        return { message, entry };
      });
      const target = await state.target(() => loadTargetPool(deps.cognito, userPoolId));
      state.file ??= new UserFile(target.header);
      for (const { message, entry } of held) {
        entry.disposition = intake(deps.logger, state, state.file, limits, message, target.rules, entry);
      }
      if (state.file.full) state.stop = true;
    } finally {
      state.reserved -= size;
    }
  }
}

/** The CSV header and the rules of the target pool (GetCSVHeader and DescribeUserPool, at once). */
async function loadTargetPool(cognito: RateLimitedCognito, userPoolId: string): Promise<TargetPool> {
  const [headerResponse, poolResponse] = await Promise.all([
    cognito.send(new GetCSVHeaderCommand({ UserPoolId: userPoolId })),
    cognito.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId })),
  ]);
  const header = headerResponse.CSVHeader ?? [];
  if (!header.includes(USERNAME_COLUMN)) {
    throw new Error(`GetCSVHeader returned no usable CSV header for the new user pool (${userPoolId})`);
  }
  if (poolResponse.UserPool === undefined) {
    throw new Error(`DescribeUserPool returned no user pool for the new user pool (${userPoolId})`);
  }
  return { header, rules: targetPoolRules(poolResponse.UserPool) };
}

function parseItem(body: string | undefined): BackupUserItem | undefined {
  try {
    const item: unknown = JSON.parse(body ?? '');
    return typeof item === 'object' && item !== null && !Array.isArray(item)
      ? (item as BackupUserItem)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Decides what one message becomes; appends its user to the file when it fits, or sets `held.fallback`
 * for a user the CSV cannot take.
 */
function intake(
  logger: Logger,
  state: DrainState,
  file: UserFile,
  limits: DrainLimits,
  message: Message,
  rules: TargetPoolRules,
  held: Held,
): Disposition {
  if (file.full) return 'overflow';
  const messageId = message.MessageId;
  const item = parseItem(message.Body);
  if (item === undefined) {
    logger.warn('User left out of the import file', {
      messageId,
      reason: 'the message body is not a backup item',
    });
    return 'rejected';
  }
  const sub = userSub(item);
  if (sub === undefined) throw new Error(MISSING_SUB_ERROR);
  if (state.covered.has(sub)) {
    logger.info('Message for a user whose import job already started; deleted, not imported again', {
      sub,
      messageId,
    });
    return 'covered';
  }
  if (file.subs.has(sub) || state.fallbackSubs.has(sub)) {
    logger.info('Duplicate message for a user already in the import file', { sub, messageId });
    return 'duplicate';
  }
  if (/[,\r\n]/.test(sub)) {
    logger.warn('User left out of the import file', { messageId, reason: 'the sub attribute is malformed' });
    return 'rejected';
  }
  const pseudo = item.pseudoUsername;
  const username =
    typeof pseudo === 'string' && pseudo.trim() !== ''
      ? pseudo
      : typeof pseudo === 'number'
        ? String(pseudo)
        : undefined;
  const problem = csvRowProblem(item, rules);
  const line =
    username === undefined || problem !== undefined
      ? undefined
      : userLine(file.header, item, mfaEnabled(item, rules));
  if (line === undefined || 'rejected' in line) {
    // Not in the CSV: created with AdminCreateUser after the drain (or reported skipped).
    if (state.fallbackSubs.size >= limits.maxFallbackUsers) return 'overflow';
    const reason = problem ?? ROW_RULES.notRepresentable;
    logger.info('User goes to AdminCreateUser instead of the import file', {
      sub,
      messageId,
      reason: line !== undefined && 'rejected' in line ? line.rejected : reason,
    });
    state.fallbackSubs.add(sub);
    held.fallback = { sub, username, item, reason };
    return 'fallback';
  }
  if (
    file.users >= limits.maxUsers ||
    file.csv.byteLength + Buffer.byteLength(line.line) >= limits.maxBytes
  ) {
    file.full = true;
    return 'overflow';
  }
  file.users += 1;
  file.csv.append(line.line);
  file.mapping.append(mappingLine(file.users, sub));
  file.subs.add(sub);
  return 'import';
}
