// SPDX-License-Identifier: Apache-2.0
/**
 * ImportNewUsers: drains the new-users queue into one user CSV and starts a Cognito
 * import job with it.
 *
 * Design:
 * - Every ReceiveMessage asks for a visibility timeout that covers the rest of this invocation plus a
 *   margin (`holdSeconds`), so a received message stays invisible while its user is in the file, and
 *   reappears on its own if the invocation dies.
 * - Messages are deleted only after StartUserImportJob succeeded (or the job is found running). Any
 *   failure before that releases every received message (visibility 0): nobody is lost, and the next
 *   attempt sees them at once.
 * - A file holds each `sub` once (standard queues may deliver a message twice): a duplicate is
 *   deleted with the file's messages, so a user is imported once.
 * - Receives ask for no more messages than the file can still take (users, and bytes estimated from
 *   the average line); a message that still does not fit is released at once for the next file.
 * - A user whose row the target pool would refuse (csv-rules.ts), or whose values the CSV format
 *   cannot carry, is created with AdminCreateUser instead and recorded in the restore ledger
 *   (admin-create.ts), before the job starts; its message is deleted with the file's. At most
 *   `maxFallbackUsers` per invocation (a minute of `COGNITO_TPS`); the rest wait for the next one.
 * - `cognito:mfa_enabled` follows the target pool's MFA mode (csv-rules.ts).
 * - The CSV and the mapping file are kept as 1 MB chunks and streamed to the upload.
 * - Receives run in a few parallel workers (the drain is latency-bound); draining stops while enough
 *   time is left for the upload, the start and the deletes (`FINALIZE_RESERVE_MS`).
 */
import { DescribeUserPoolCommand, GetCSVHeaderCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { RateLimitedCognito } from '../../utils/cognito';
import type { Logger } from '../../utils/logger';
import { errorName, type RetryOptions } from '../../utils/retry';
import type { TimeBudget } from '../../utils/time-budget';
import { createFallbackUsers, type FallbackUser } from './admin-create';
import { csvRowProblem, mfaEnabled, ROW_RULES, targetPoolRules, type TargetPoolRules } from './csv-rules';
import { runImportJob, type ImportJobConfig } from './import-job';
import { deleteAll, receiveMessages, releaseMessages } from './queue';
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

export interface DrainLimits {
  maxUsers: number;
  maxBytes: number;
  receiveConcurrency: number;
  deleteConcurrency: number;
  /** Users created with AdminCreateUser in one invocation at most. */
  maxFallbackUsers: number;
}

export const DEFAULT_LIMITS: DrainLimits = {
  maxUsers: MAX_USERS_PER_FILE,
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
  holdSeconds: () => number;
  retry: RetryOptions;
  config: ImportJobConfig & { queueUrl: string };
  limits?: Partial<DrainLimits>;
}

type Disposition = 'pending' | 'import' | 'fallback' | 'duplicate' | 'rejected' | 'overflow';
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
  failure: { error: unknown } | undefined;

  constructor(private readonly limits: DrainLimits) {}

  target(load: () => Promise<TargetPool>): Promise<TargetPool> {
    this.targetPromise ??= load();
    return this.targetPromise;
  }

  /** How many messages the next receive may ask for: what the file can still take, at most 10. */
  receiveSize(): number {
    const file = this.file;
    const users = file?.users ?? 0;
    let room = this.limits.maxUsers - users - this.reserved;
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

export async function importNewUsers(
  deps: ImportNewUsersDeps,
  userPoolId: string,
): Promise<ImportNewUsersOutput> {
  const limits: DrainLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const { logger, sqs, config } = deps;
  const state = new DrainState(limits);

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
    adminCreate: state.count('fallback'),
    released: overflow.length,
    queueEmpty: state.queueEmpty,
  };
  logger.info('New users queue drained', counts);

  let job: { jobId: string; status: string } | undefined;
  try {
    if (state.failure) throw state.failure.error;
    if (overflow.length > 0) await releaseMessages(sqs, config.queueUrl, overflow, deps.retry);
    const fallbacks = state.received.flatMap((held) => (held.fallback ? [held.fallback] : []));
    if (fallbacks.length > 0) {
      const target = await state.target(() => loadTargetPool(deps.cognito, userPoolId));
      await createFallbackUsers(
        { cognito: deps.cognito, s3: deps.s3, logger, config: { bucket: config.bucket } },
        userPoolId,
        target.header,
        fallbacks,
      );
    }
    if (file && file.users > 0) {
      job = await runImportJob(
        { cognito: deps.cognito, s3: deps.s3, fetch: deps.fetch, logger, retry: deps.retry, config },
        {
          users: file.users,
          csv: { chunks: file.csv.chunks(), byteLength: file.csv.byteLength },
          mapping: file.mapping.chunks(),
        },
      );
    }
  } catch (error) {
    await releaseAfterFailure(deps, state.received);
    throw error;
  }

  // The job (if any) has started: every message represented by the file, or refused for good, goes.
  const done = state.received.filter((held) => held.disposition !== 'overflow');
  try {
    await deleteAll(sqs, config.queueUrl, done, { concurrency: limits.deleteConcurrency, retry: deps.retry });
  } catch (error) {
    if (job === undefined) throw error;
    throw new Error(
      `The user import job "${job.jobId}" started, but messages of its users could not be deleted from the new users queue ` +
        `(${errorName(error)}); they would be imported again by a later run`,
      { cause: error },
    );
  }

  if (job === undefined)
    return { ImportJobStatus: '', QueueEmpty: state.queueEmpty && overflow.length === 0 };
  // Like the original: after a job the state machine looks at the queue again.
  return { ImportJobStatus: job.status, ImportJobId: job.jobId, QueueEmpty: false };
}

async function releaseAfterFailure(deps: ImportNewUsersDeps, received: Held[]): Promise<void> {
  if (received.length === 0) return;
  try {
    await releaseMessages(deps.sqs, deps.config.queueUrl, received, deps.retry);
    deps.logger.warn('Released the received messages after a failure; no user was removed from the queue', {
      released: received.length,
    });
  } catch (error) {
    deps.logger.error(
      'Could not release the received messages; they reappear when their visibility timeout ends',
      {
        messages: received.length,
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
      const messages = await receiveMessages(deps.sqs, deps.config.queueUrl, {
        max: size,
        waitSeconds: RECEIVE_WAIT_SECONDS,
        visibilitySeconds: deps.holdSeconds(),
      });
      state.receives += 1;
      if (messages.length === 0) {
        state.queueEmpty = true;
        state.stop = true;
        return;
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
