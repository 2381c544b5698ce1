// SPDX-License-Identifier: Apache-2.0
/**
 * User import jobs: CreateUserImportJob hands out a pre-signed URL served by the emulator itself,
 * the PUT stores the CSV, StartUserImportJob imports it asynchronously (a batch of rows per event-loop
 * turn, or per timer when jobs are slowed down) with Cognito's CSV rules (row-rules.ts),
 * DescribeUserImportJob reports the status and counts. A refused row is counted as failed and the job
 * goes on; the job ends `Failed` only when the share of failed and skipped rows is above the threshold.
 *
 * Per-row failure reasons are kept (like Cognito's CloudWatch log stream) with line numbers only,
 * never values.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CognitoServiceError, resourceNotFound } from './errors';
import { decodeCsv, headerProblem, splitCsvLine, MAX_CSV_ROW_CHARS, type CsvLine } from './csv';
import { CSV_MFA_COLUMN, CSV_USERNAME_COLUMN, csvHeader } from './schema';
import { refusal, VERIFIED_FLAGS, type RowRule } from './row-rules';
import { randomAlphanumeric, type CognitoStore, type PoolState } from './store';
import type { ImportJobStatus } from './types';

export const UPLOAD_PATH_PREFIX = '/_cognito-import/';
const URL_VALIDITY_MS = 15 * 60 * 1000;
const JOB_EXPIRY_MS = 24 * 60 * 60 * 1000;
const MAX_JOBS_PER_POOL = 1000;
/** A slowed-down job creates its users in batches this small, so they arrive over the job's time. */
const SLOW_JOB_ROWS_PER_BATCH = 20;

export const COMPLETION_MESSAGES = {
  succeeded: 'Import Job Completed Successfully.',
  tooManyFailures: 'Too many users have failed or been skipped during the import.',
  stopped: 'The Import Job was stopped by the user.',
  expired: 'The Import Job expired before it was started.',
  notUploaded: 'No CSV file was uploaded to the pre-signed URL.',
} as const;

export interface ImportJob {
  readonly jobId: string;
  readonly jobName: string;
  readonly poolId: string;
  readonly roleArn: string;
  readonly createdMs: number;
  readonly signature: string;
  readonly preSignedUrl: string;
  status: ImportJobStatus;
  startedMs?: number;
  completedMs?: number;
  imported: number;
  skipped: number;
  failed: number;
  completionMessage?: string;
  csv?: Buffer;
  /** Line number and reason (no values) for every failed or skipped row. */
  readonly lineLog: { line: number; reason: string }[];
}

export interface ImportJobOptions {
  now: () => number;
  rowsPerTick: number;
  /** Share of failed and skipped rows above which the job ends `Failed`. */
  failureThreshold: number;
  /** The row rules (default `ROW_RULES`). */
  rowRules?: readonly RowRule[];
  /** Extra milliseconds per KiB of CSV a job takes (slow jobs); read at every batch. Default 0. */
  msPerKb?: () => number;
  /** Base URL of the emulator (known once the server listens). */
  endpoint: () => string;
}

const TERMINAL: ReadonlySet<ImportJobStatus> = new Set(['Stopped', 'Succeeded', 'Failed', 'Expired']);

export const isTerminal = (status: ImportJobStatus): boolean => TERMINAL.has(status);

export interface UploadResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const s3Error = (statusCode: number, code: string, message: string): UploadResult => ({
  statusCode,
  headers: { 'content-type': 'application/xml' },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
});

export class ImportJobs {
  private readonly jobs = new Map<string, ImportJob>();
  private readonly waiters = new Map<string, ((job: ImportJob) => void)[]>();
  private readonly pending = new Set<NodeJS.Immediate>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private disposed = false;

  constructor(
    private readonly store: CognitoStore,
    private readonly options: ImportJobOptions,
  ) {}

  create(pool: PoolState, jobName: string, roleArn: string): ImportJob {
    if (pool.importJobs.size >= MAX_JOBS_PER_POOL) {
      throw new CognitoServiceError(
        'LimitExceededException',
        'The user pool has reached its limit of import jobs.',
      );
    }
    const now = this.options.now();
    const jobId = `import-${randomAlphanumeric(10)}`;
    const signature = randomBytes(32).toString('hex');
    const date = new Date(now)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const query = new URLSearchParams({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': `EMULATOR/${date.slice(0, 8)}/${this.store.region}/s3/aws4_request`,
      'X-Amz-Date': date,
      'X-Amz-Expires': String(URL_VALIDITY_MS / 1000),
      'X-Amz-SignedHeaders': 'host;x-amz-server-side-encryption',
      'X-Amz-Signature': signature,
    });
    const job: ImportJob = {
      jobId,
      jobName,
      poolId: pool.id,
      roleArn,
      createdMs: now,
      signature,
      preSignedUrl: `${this.options.endpoint()}${UPLOAD_PATH_PREFIX}${jobId}?${query.toString()}`,
      status: 'Created',
      imported: 0,
      skipped: 0,
      failed: 0,
      lineLog: [],
    };
    this.jobs.set(jobId, job);
    pool.importJobs.add(jobId, job);
    return job;
  }

  /** A job of the pool (expiring it if it waited too long), or ResourceNotFoundException. */
  require(pool: PoolState, jobId: string): ImportJob {
    const job = pool.importJobs.get(jobId);
    if (!job) throw resourceNotFound(`Import job ${jobId} does not exist.`);
    this.expireIfStale(job);
    return job;
  }

  get(jobId: string): ImportJob | undefined {
    return this.jobs.get(jobId);
  }

  /** The pre-signed PUT: stores the CSV while the job is Created and the URL is valid. */
  upload(jobId: string, query: URLSearchParams, body: Buffer): UploadResult {
    const job = this.jobs.get(jobId);
    if (!job || query.get('X-Amz-Signature') !== job.signature) {
      return s3Error(403, 'SignatureDoesNotMatch', 'The request signature does not match.');
    }
    if (this.options.now() - job.createdMs > URL_VALIDITY_MS) {
      return s3Error(403, 'AccessDenied', 'Request has expired');
    }
    if (job.status !== 'Created') return s3Error(403, 'AccessDenied', 'The import job was already started.');
    job.csv = body;
    return {
      statusCode: 200,
      headers: { etag: `"${createHash('md5').update(body).digest('hex')}"` },
      body: '',
    };
  }

  start(pool: PoolState, jobId: string): ImportJob {
    const job = this.require(pool, jobId);
    if (job.status !== 'Created') {
      throw new CognitoServiceError(
        'PreconditionNotMetException',
        `Import job ${jobId} is not in Created status.`,
      );
    }
    job.status = 'Pending';
    job.startedMs = this.options.now();
    this.schedule(() => this.begin(pool, job));
    return job;
  }

  stop(pool: PoolState, jobId: string): ImportJob {
    const job = this.require(pool, jobId);
    if (job.status !== 'Pending' && job.status !== 'InProgress') {
      throw new CognitoServiceError('PreconditionNotMetException', `Import job ${jobId} is not running.`);
    }
    job.status = 'Stopping';
    return job;
  }

  /** Resolves when the job reaches a terminal status (for tests and the harness). */
  waitFor(jobId: string): Promise<ImportJob> {
    const job = this.jobs.get(jobId);
    if (!job) return Promise.reject(new Error(`Unknown import job ${jobId}`));
    if (isTerminal(job.status)) return Promise.resolve(job);
    return new Promise((resolve) => {
      const list = this.waiters.get(jobId) ?? [];
      list.push(resolve);
      this.waiters.set(jobId, list);
    });
  }

  dispose(): void {
    this.disposed = true;
    for (const handle of this.pending) clearImmediate(handle);
    this.pending.clear();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  // ---- processing --------------------------------------------------------------------------------

  private schedule(step: () => void, delayMs = 0): void {
    if (this.disposed) return;
    if (delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        step();
      }, delayMs);
      this.timers.add(timer);
      return;
    }
    const handle = setImmediate(() => {
      this.pending.delete(handle);
      step();
    });
    this.pending.add(handle);
  }

  private begin(pool: PoolState, job: ImportJob): void {
    if (job.status === 'Stopping') {
      this.finish(job, 'Stopped', COMPLETION_MESSAGES.stopped);
      return;
    }
    if (!job.csv) {
      this.finish(job, 'Failed', COMPLETION_MESSAGES.notUploaded);
      return;
    }
    const decoded = decodeCsv(job.csv);
    job.csv = undefined;
    if (!decoded.ok) {
      this.finish(job, 'Failed', decoded.message);
      return;
    }
    const expected = csvHeader(pool.customAttributes);
    const problem = headerProblem(decoded.header, expected);
    if (problem) {
      this.finish(job, 'Failed', problem);
      return;
    }
    job.status = 'InProgress';
    this.processFrom(pool, job, decoded.header, decoded.rows, 0);
  }

  private processFrom(
    pool: PoolState,
    job: ImportJob,
    header: string[],
    rows: CsvLine[],
    start: number,
  ): void {
    if (job.status === 'Stopping') {
      for (let i = start; i < rows.length; i += 1) {
        job.skipped += 1;
        job.lineLog.push({ line: (rows[i] as CsvLine).lineNumber, reason: 'Skipped: the job was stopped.' });
      }
      this.finish(job, 'Stopped', COMPLETION_MESSAGES.stopped);
      return;
    }
    const slow = (this.options.msPerKb?.() ?? 0) > 0;
    const batch = slow
      ? Math.min(this.options.rowsPerTick, SLOW_JOB_ROWS_PER_BATCH)
      : this.options.rowsPerTick;
    const end = Math.min(rows.length, start + batch);
    let bytes = 0;
    for (let i = start; i < end; i += 1) {
      const row = rows[i] as CsvLine;
      bytes += Buffer.byteLength(row.text) + 1;
      const reason = this.importRow(pool, header, row);
      if (reason === undefined) job.imported += 1;
      else {
        job.failed += 1;
        job.lineLog.push({ line: row.lineNumber, reason });
      }
    }
    const delayMs = Math.round(((this.options.msPerKb?.() ?? 0) * bytes) / 1024);
    if (end < rows.length) {
      this.schedule(() => this.processFrom(pool, job, header, rows, end), delayMs);
      return;
    }
    if (delayMs > 0) {
      this.schedule(() => this.complete(job), delayMs);
      return;
    }
    this.complete(job);
  }

  /** Ends a job whose rows are all processed: `Failed` only past the failure threshold. */
  private complete(job: ImportJob): void {
    if (job.status === 'Stopping') {
      this.finish(job, 'Stopped', COMPLETION_MESSAGES.stopped);
      return;
    }
    const total = job.imported + job.failed + job.skipped;
    const failedShare = total === 0 ? 0 : (job.failed + job.skipped) / total;
    if (failedShare > this.options.failureThreshold)
      this.finish(job, 'Failed', COMPLETION_MESSAGES.tooManyFailures);
    else this.finish(job, 'Succeeded', COMPLETION_MESSAGES.succeeded);
  }

  /** Imports one row; returns why it failed (no values), or undefined when the user was created. */
  private importRow(pool: PoolState, header: string[], row: CsvLine): string | undefined {
    if (row.text.length > MAX_CSV_ROW_CHARS) return `The row is longer than ${MAX_CSV_ROW_CHARS} characters.`;
    const values = splitCsvLine(row.text);
    if (values.length !== header.length) {
      return `The row has ${values.length} values; the header has ${header.length} columns.`;
    }
    const attributes: Record<string, string> = {};
    let username = '';
    let mfaEnabled = '';
    header.forEach((column, i) => {
      const value = values[i] as string;
      if (column === CSV_USERNAME_COLUMN) username = value;
      else if (column === CSV_MFA_COLUMN) mfaEnabled = value;
      else if (value !== '') attributes[column] = value;
    });
    const reason = refusal({ username, mfaEnabled, attributes }, pool, this.options.rowRules);
    if (reason !== undefined) return reason;
    for (const flag of VERIFIED_FLAGS) {
      const value = attributes[flag];
      if (value !== undefined) attributes[flag] = value.toLowerCase();
    }
    try {
      this.store.createUser(pool, {
        username,
        attributes,
        enabled: true,
        status: 'RESET_REQUIRED',
        ...(mfaEnabled.toLowerCase() === 'true' ? { smsMfa: true } : {}),
      });
      return undefined;
    } catch (error) {
      if (error instanceof CognitoServiceError) return `${error.errorType}: ${error.message}`;
      throw error;
    }
  }

  private expireIfStale(job: ImportJob): void {
    if (job.status === 'Created' && this.options.now() - job.createdMs > JOB_EXPIRY_MS) {
      this.finish(job, 'Expired', COMPLETION_MESSAGES.expired);
    }
  }

  private finish(job: ImportJob, status: ImportJobStatus, message: string): void {
    job.status = status;
    job.completionMessage = message;
    job.completedMs = this.options.now();
    job.csv = undefined;
    const waiting = this.waiters.get(job.jobId) ?? [];
    this.waiters.delete(job.jobId);
    for (const resolve of waiting) resolve(job);
  }
}
