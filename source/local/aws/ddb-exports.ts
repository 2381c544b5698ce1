// SPDX-License-Identifier: Apache-2.0
/**
 * DynamoDB's point-in-time recovery and export to S3, which no local emulator has (dynalite answers
 * UnknownOperationException): `DescribeContinuousBackups`, `UpdateContinuousBackups`,
 * `ExportTableToPointInTime`, `DescribeExport` and `ListExports`, answered from the write journal
 * (ddb-journal.ts) and written to the local S3. What it follows, from the DynamoDB API reference and
 * developer guide ("DynamoDB table export output format", "Requesting a table export"):
 *
 * - Continuous backups are ENABLED on every table at creation; point-in-time recovery is ENABLED
 *   when UpdateContinuousBackups (or the template's PointInTimeRecoverySpecification) turns it on.
 *   The window runs from EarliestRestorableDateTime (when it was enabled, at most RecoveryPeriodInDays
 *   ago, 35 by default, 1 to 35) to LatestRestorableDateTime, "typically 5 minutes before the current
 *   time". LOCAL CHOICE: the lag is `restorableLagMs`, 0 by default: a local run lasts about a minute,
 *   so a 5-minute lag would put every moment of the run outside the window. Tests set it to prove
 *   the bound.
 * - ExportTableToPointInTime needs TableArn and S3Bucket; ExportTime (seconds since the epoch) is a
 *   time in the window, else InvalidExportTimeException; without it, the export is of the latest
 *   restorable time. A table without point-in-time recovery: PointInTimeRecoveryUnavailableException;
 *   an unknown table: TableNotFoundException. ClientToken makes the call idempotent (the same export
 *   back) for 8 hours after the first request that used it completed; the same token with other
 *   parameters: ExportConflictException. ExportFormat DYNAMODB_JSON (default) or ION, ExportType
 *   FULL_EXPORT (default) or INCREMENTAL_EXPORT: only DYNAMODB_JSON full exports are emulated, the
 *   others are refused with a ValidationException that says so.
 * - ExportStatus is IN_PROGRESS, then COMPLETED or FAILED (FailureCode, FailureMessage). LOCAL CHOICE:
 *   an export takes `exportDurationMs` (default 1 s; on AWS, minutes).
 * - The ExportArn is `<table ARN>/export/<ExportId>`, the ExportId 14 digits (the start, ms since the
 *   epoch) and 8 hex digits (`01674026761587-0931cdbf`).
 * - In the bucket, under `<prefix>/AWSDynamoDB/<ExportId>/`: an empty `_started` first (it "verifies
 *   that the destination bucket is writable and that the export has begun"), the data files
 *   `data/<name>.json.gz` (gzip, JSON lines of `{"Item": {...}}` in DynamoDB's marshalled JSON), "at
 *   least 1 file per partition", an empty file for an empty partition, then `manifest-files.json`
 *   (JSON lines: itemCount, md5Checksum (base64 MD5 of the object), etag, dataFileS3Key per data
 *   file), `manifest-summary.json` (version "2020-06-30", exportArn, startTime, endTime, tableArn,
 *   tableId, exportTime, s3Bucket, s3Prefix, s3SseAlgorithm, s3SseKmsKeyId, manifestFilesS3Key,
 *   billedSizeBytes, itemCount, outputFormat, exportType) and their `.checksum` files.
 *   DescribeExport's ExportManifest names the summary's key.
 *
 * LOCAL CHOICES where the guide says nothing:
 * - A `.checksum` file holds the MD5 of its manifest in base64, the encoding the guide shows for a
 *   data file's md5Checksum. Readers should accept hex as well.
 * - Keys in the manifests (manifestFilesS3Key, dataFileS3Key) are the objects' whole keys in the
 *   bucket, the prefix included, so that a reader can get them as they are.
 * - Partitions: an item goes to one of `partitions - 1` partitions by the MD5 of its partition key;
 *   the last partition holds no item, so every local export carries one empty data file (a gzip
 *   stream of nothing), as a real export does for an empty partition.
 * - Data files are uploaded as one-part multipart uploads, so that the local S3 gives each the
 *   multipart ETag the guide's example shows (`<hex>-1`), and the manifest's etag is the object's.
 * - billedSizeBytes is the sum of the items' sizes by DynamoDB's item-size rules (names and values
 *   in UTF-8 bytes, numbers about one byte per two digits plus one), an estimate.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadBucketCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { AttributeMap, TableJournal, WriteJournal } from './ddb-journal';

/** A DynamoDB error answer: HTTP 400 with `__type` and `message`. */
export class DynamoDbError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

/** Where the emulator writes an export (the local S3 in a run, memory in unit tests). */
export interface ExportObjectWriter {
  bucketExists(bucket: string): Promise<boolean>;
  put(bucket: string, key: string, body: Buffer): Promise<void>;
  /** Uploads in one part of a multipart upload; returns the ETag S3 gave the object, quotes removed. */
  putMultipart(bucket: string, key: string, body: Buffer): Promise<string>;
}

export interface PointInTimeOptions {
  journal: WriteJournal;
  writer: ExportObjectWriter;
  region: string;
  accountId: string;
  now?: () => number;
  /** LatestRestorableDateTime = now minus this (AWS: typically 5 minutes). Default 0 (see above). */
  restorableLagMs?: number;
  /** How long an export stays IN_PROGRESS at least. Default 1000. */
  exportDurationMs?: number;
  /** Data files of an export (partitions, one of them empty). Default 4. */
  partitions?: number;
  /**
   * Regions of the tables' global-table replicas. Locally a replica is the same table (replication is immediate),
   * so an ARN of one of these Regions names the local table, and its export names that Region's ARN.
   */
  replicaRegions?: readonly string[];
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const DAY_MS = 86_400_000;
const IDEMPOTENCY_MS = 8 * 3_600_000;
const DEFAULT_RECOVERY_DAYS = 35;
const BUCKET_PATTERN = /^[a-z0-9A-Z]+[.\-\w]*[a-z0-9A-Z]+$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

type ExportStatus = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface EmulatedExport {
  exportArn: string;
  exportId: string;
  status: ExportStatus;
  startTime: number;
  endTime?: number;
  exportTime: number;
  tableArn: string;
  tableId: string;
  tableName: string;
  clientToken?: string;
  s3Bucket: string;
  s3BucketOwner: string;
  s3Prefix?: string;
  s3SseAlgorithm: string;
  s3SseKmsKeyId?: string;
  /** The key of manifest-summary.json, once written. */
  manifest?: string;
  itemCount?: number;
  billedSizeBytes?: number;
  failureCode?: string;
  failureMessage?: string;
  /** The request's parameters, ClientToken aside (idempotency). */
  parameters: string;
  /** The base key: `<prefix>/AWSDynamoDB/<ExportId>`. */
  baseKey: string;
  /** Keys written (tests, fault reports). */
  keys: string[];
  /** The item counts of the data files written, in the order of the files manifest (tests, fault reports). */
  fileItemCounts?: number[];
}

export interface ExportFault {
  /** Decides, for the n-th export requested (1-based) and its S3Prefix, whether it ends FAILED. */
  fails: (n: number, s3Prefix: string) => boolean;
}

const seconds = (ms: number): number => ms / 1000;

function text(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new DynamoDbError('ValidationException', `${name} must be a string`);
  return value;
}

function required(input: Record<string, unknown>, name: string): string {
  const value = text(input, name);
  if (value === undefined || value === '')
    throw new DynamoDbError(
      'ValidationException',
      `1 validation error detected: Value null at '${name.charAt(0).toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`,
    );
  return value;
}

/** The size DynamoDB bills an attribute value at (item-size rules, an estimate for numbers). */
function valueSize(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const [type, inner] = Object.entries(value)[0] ?? [];
  switch (type) {
    case 'S':
      return Buffer.byteLength(String(inner));
    case 'N':
      return Math.ceil(String(inner).replace(/[-.]/g, '').length / 2) + 1;
    case 'B':
      return Buffer.from(String(inner), 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (inner as string[]).reduce((sum, item) => sum + Buffer.byteLength(item), 0);
    case 'NS':
      return (inner as string[]).reduce((sum, item) => sum + valueSize({ N: item }), 0);
    case 'BS':
      return (inner as string[]).reduce((sum, item) => sum + Buffer.from(item, 'base64').length, 0);
    case 'L':
      return 3 + (inner as unknown[]).reduce<number>((sum, item) => sum + 1 + valueSize(item), 0);
    case 'M':
      return 3 + itemSize(inner as AttributeMap) + Object.keys(inner as object).length;
    default:
      return 0;
  }
}

export function itemSize(item: AttributeMap): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value),
    0,
  );
}

const md5 = (body: Buffer | string): Buffer => createHash('md5').update(body).digest();

export class PointInTimeExports {
  private readonly exports = new Map<string, EmulatedExport>();
  private readonly running = new Set<Promise<void>>();
  private requested = 0;
  private fault: ExportFault | undefined;
  /** Exports requested before the fault was set (its n counts from there). */
  private faultBase = 0;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: PointInTimeOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Exports requested from now on end FAILED when `fault.fails(n)` (n: the n-th export from now, 1-based). */
  setFault(fault: ExportFault | undefined): void {
    this.fault = fault;
    this.faultBase = this.requested;
  }

  /** Every export requested so far, oldest first. */
  list(): EmulatedExport[] {
    return [...this.exports.values()];
  }

  /** Resolves when no export is in progress. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /**
   * Answers one of the emulated operations (a DynamoDbError rejects it); undefined for any other
   * operation.
   */
  handle(operation: string, input: Record<string, unknown>): Promise<unknown> | undefined {
    const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
      DescribeContinuousBackups: (given) => this.describeContinuousBackups(given),
      UpdateContinuousBackups: (given) => this.updateContinuousBackups(given),
      ExportTableToPointInTime: (given) => this.exportTableToPointInTime(given),
      DescribeExport: (given) => this.describeExport(given),
      ListExports: (given) => this.listExports(given),
    };
    const answer = operations[operation];
    return answer === undefined ? undefined : Promise.resolve(input).then(answer);
  }

  private readonly replicaRegions = new Set<string>();

  /** From now on, an ARN of `region` names the local table as its global-table replica there. */
  addReplicaRegion(region: string): void {
    this.replicaRegions.add(region);
  }

  private tableArn(name: string, region = this.options.region): string {
    return `arn:aws:dynamodb:${region}:${this.options.accountId}:table/${name}`;
  }

  /** The Region an ARN names the table in: this one, or one of its replicas' (else undefined). */
  private regionOf(nameOrArn: string): string | undefined {
    if (!nameOrArn.startsWith('arn:')) return this.options.region;
    return [this.options.region, ...(this.options.replicaRegions ?? []), ...this.replicaRegions].find(
      (region) => nameOrArn.startsWith(this.tableArn('', region)),
    );
  }

  /** The journal of a table given by name or ARN (an ARN of another Region or account: not found). */
  private table(nameOrArn: string): TableJournal {
    const region = this.regionOf(nameOrArn);
    const prefix = this.tableArn('', region);
    const name = nameOrArn.startsWith('arn:')
      ? region !== undefined
        ? nameOrArn.slice(prefix.length)
        : undefined
      : nameOrArn;
    const journal = name === undefined ? undefined : this.options.journal.table(name);
    if (journal === undefined) {
      throw new DynamoDbError('TableNotFoundException', `Table not found: ${nameOrArn}`);
    }
    return journal;
  }

  /** The recovery window of a table with point-in-time recovery on, ms. */
  window(journal: TableJournal): { earliest: number; latest: number } | undefined {
    if (journal.pitrEnabledAt === undefined) return undefined;
    const now = this.now();
    const period = (journal.recoveryPeriodDays ?? DEFAULT_RECOVERY_DAYS) * DAY_MS;
    return {
      earliest: Math.max(journal.pitrEnabledAt, now - period),
      latest: now - (this.options.restorableLagMs ?? 0),
    };
  }

  private backupsDescription(journal: TableJournal): Record<string, unknown> {
    const window = this.window(journal);
    return {
      ContinuousBackupsStatus: 'ENABLED',
      PointInTimeRecoveryDescription:
        window === undefined
          ? { PointInTimeRecoveryStatus: 'DISABLED' }
          : {
              PointInTimeRecoveryStatus: 'ENABLED',
              RecoveryPeriodInDays: journal.recoveryPeriodDays ?? DEFAULT_RECOVERY_DAYS,
              EarliestRestorableDateTime: seconds(window.earliest),
              LatestRestorableDateTime: seconds(window.latest),
            },
    };
  }

  describeContinuousBackups(input: Record<string, unknown>): Record<string, unknown> {
    return {
      ContinuousBackupsDescription: this.backupsDescription(this.table(required(input, 'TableName'))),
    };
  }

  updateContinuousBackups(input: Record<string, unknown>): Record<string, unknown> {
    const journal = this.table(required(input, 'TableName'));
    const spec = input.PointInTimeRecoverySpecification as
      { PointInTimeRecoveryEnabled?: unknown; RecoveryPeriodInDays?: unknown } | undefined;
    if (typeof spec?.PointInTimeRecoveryEnabled !== 'boolean') {
      throw new DynamoDbError(
        'ValidationException',
        'PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is required',
      );
    }
    const days = spec.RecoveryPeriodInDays;
    if (
      days !== undefined &&
      (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 35)
    ) {
      throw new DynamoDbError(
        'ValidationException',
        'RecoveryPeriodInDays must be a whole number from 1 to 35',
      );
    }
    if (spec.PointInTimeRecoveryEnabled) {
      journal.pitrEnabledAt ??= this.now();
      journal.recoveryPeriodDays = days ?? journal.recoveryPeriodDays;
    } else {
      // Turning it off drops the history: the next window starts when it is turned on again.
      journal.pitrEnabledAt = undefined;
    }
    return { ContinuousBackupsDescription: this.backupsDescription(journal) };
  }

  exportTableToPointInTime(input: Record<string, unknown>): Record<string, unknown> {
    const tableArnInput = required(input, 'TableArn');
    const bucket = required(input, 'S3Bucket');
    if (bucket.length > 255 || !BUCKET_PATTERN.test(bucket))
      throw new DynamoDbError(
        'ValidationException',
        `S3Bucket ${bucket} does not satisfy the bucket name pattern`,
      );
    const prefix = text(input, 'S3Prefix');
    if (prefix !== undefined && prefix.length > 1024)
      throw new DynamoDbError('ValidationException', 'S3Prefix is longer than 1024 characters');
    const format = text(input, 'ExportFormat') ?? 'DYNAMODB_JSON';
    const type = text(input, 'ExportType') ?? 'FULL_EXPORT';
    if (!['DYNAMODB_JSON', 'ION'].includes(format))
      throw new DynamoDbError(
        'ValidationException',
        `ExportFormat must be DYNAMODB_JSON or ION (found ${format})`,
      );
    if (!['FULL_EXPORT', 'INCREMENTAL_EXPORT'].includes(type))
      throw new DynamoDbError(
        'ValidationException',
        `ExportType must be FULL_EXPORT or INCREMENTAL_EXPORT (found ${type})`,
      );
    if (format !== 'DYNAMODB_JSON' || type !== 'FULL_EXPORT')
      throw new DynamoDbError(
        'ValidationException',
        `The local emulator writes DYNAMODB_JSON full exports only (asked: ${format}, ${type})`,
      );
    const sse = text(input, 'S3SseAlgorithm') ?? 'AES256';
    if (!['AES256', 'KMS'].includes(sse))
      throw new DynamoDbError('ValidationException', `S3SseAlgorithm must be AES256 or KMS (found ${sse})`);
    const token = text(input, 'ClientToken');
    if (token !== undefined && !/^[^$]+$/.test(token))
      throw new DynamoDbError('ValidationException', 'ClientToken must not contain $');
    const { ClientToken: _token, ...rest } = input;
    const parameters = JSON.stringify(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));

    const journal = this.table(tableArnInput);
    const now = this.now();
    if (token !== undefined) {
      const previous = [...this.exports.values()].find(
        (item) =>
          item.clientToken === token && (item.endTime === undefined || now - item.endTime < IDEMPOTENCY_MS),
      );
      if (previous !== undefined) {
        if (previous.parameters !== parameters) {
          throw new DynamoDbError(
            'ExportConflictException',
            `ClientToken ${token} was used by ${previous.exportArn} with other parameters`,
          );
        }
        return { ExportDescription: this.description(previous) };
      }
    }
    const window = this.window(journal);
    if (window === undefined) {
      throw new DynamoDbError(
        'PointInTimeRecoveryUnavailableException',
        `Point in time recovery is not enabled for table '${journal.tableName}'`,
      );
    }
    const rawTime = input.ExportTime;
    if (rawTime !== undefined && typeof rawTime !== 'number')
      throw new DynamoDbError('ValidationException', 'ExportTime must be a timestamp');
    const exportTime = rawTime === undefined ? window.latest : Math.round(rawTime * 1000);
    if (exportTime < window.earliest || exportTime > window.latest) {
      throw new DynamoDbError(
        'InvalidExportTimeException',
        `Export time ${new Date(exportTime).toISOString()} is outside the point in time recovery window ` +
          `(${new Date(window.earliest).toISOString()} to ${new Date(window.latest).toISOString()})`,
      );
    }
    const exportId = `${String(now).padStart(14, '0')}-${this.hex(8)}`;
    const tableArn = this.tableArn(journal.tableName, this.regionOf(tableArnInput));
    const prefixPart =
      prefix === undefined || prefix === '' ? '' : prefix.endsWith('/') ? prefix : `${prefix}/`;
    const exported: EmulatedExport = {
      exportArn: `${tableArn}/export/${exportId}`,
      exportId,
      status: 'IN_PROGRESS',
      startTime: now,
      exportTime,
      tableArn,
      tableId: journal.tableId,
      tableName: journal.tableName,
      ...(token !== undefined ? { clientToken: token } : {}),
      s3Bucket: bucket,
      s3BucketOwner: text(input, 'S3BucketOwner') ?? this.options.accountId,
      ...(prefix !== undefined ? { s3Prefix: prefix } : {}),
      s3SseAlgorithm: sse,
      ...(text(input, 'S3SseKmsKeyId') !== undefined ? { s3SseKmsKeyId: text(input, 'S3SseKmsKeyId') } : {}),
      parameters,
      baseKey: `${prefixPart}AWSDynamoDB/${exportId}`,
      keys: [],
    };
    this.exports.set(exported.exportArn, exported);
    this.requested += 1;
    const fails = this.fault?.fails(this.requested - this.faultBase, prefix ?? '') === true;
    // The table as it was at the export time is taken now: later writes must not reach the export.
    const items = [...journal.itemsAt(exportTime).values()].map((image) => JSON.parse(image) as AttributeMap);
    const run = this.write(exported, journal, items, fails)
      .catch((error: unknown) => {
        exported.status = 'FAILED';
        exported.failureCode = 'InternalError';
        exported.failureMessage = error instanceof Error ? error.message : String(error);
        exported.endTime = this.now();
      })
      .finally(() => this.running.delete(run));
    this.running.add(run);
    return { ExportDescription: this.description(exported) };
  }

  private hex(length: number): string {
    let out = '';
    while (out.length < length) out += Math.floor(this.random() * 16).toString(16);
    return out;
  }

  private fileName(): string {
    let out = '';
    for (let index = 0; index < 26; index += 1) out += BASE32[Math.floor(this.random() * 32)] ?? 'a';
    return out;
  }

  private async write(
    exported: EmulatedExport,
    journal: TableJournal,
    items: AttributeMap[],
    fails: boolean,
  ): Promise<void> {
    const { writer } = this.options;
    const bucket = exported.s3Bucket;
    const started = Date.now();
    const fail = (code: string, message: string): void => {
      exported.status = 'FAILED';
      exported.failureCode = code;
      exported.failureMessage = message;
      exported.endTime = this.now();
    };
    if (!(await writer.bucketExists(bucket))) {
      fail('S3NoSuchBucket', `The specified bucket does not exist: ${bucket}`);
      return;
    }
    const put = async (key: string, body: Buffer): Promise<void> => {
      await writer.put(bucket, key, body);
      exported.keys.push(key);
    };
    await put(`${exported.baseKey}/_started`, Buffer.alloc(0));

    const partitions = Math.max(2, this.options.partitions ?? 4);
    const byPartition: AttributeMap[][] = Array.from({ length: partitions }, () => []);
    const partitionKey = journal.keyNames[0] ?? '';
    for (const item of items) {
      const hash = md5(JSON.stringify(item[partitionKey] ?? null)).readUInt32BE(0);
      byPartition[hash % (partitions - 1)]?.push(item);
    }
    const lines: string[] = [];
    let billed = 0;
    for (const [index, partition] of byPartition.entries()) {
      const body = gzipSync(partition.map((item) => `${JSON.stringify({ Item: item })}\n`).join(''));
      const key = `${exported.baseKey}/data/${this.fileName()}.json.gz`;
      const etag = await writer.putMultipart(bucket, key, body);
      exported.keys.push(key);
      (exported.fileItemCounts ??= []).push(partition.length);
      billed += partition.reduce((sum, item) => sum + itemSize(item), 0);
      lines.push(
        `${JSON.stringify({
          itemCount: partition.length,
          md5Checksum: md5(body).toString('base64'),
          etag,
          dataFileS3Key: key,
        })}\n`,
      );
      if (fails && index === 0) {
        // What a real export leaves when its permissions are revoked while it runs: `_started` and
        // part of the data files, no manifest.
        fail(
          'S3AccessDenied',
          `Access Denied writing to s3://${bucket}/${exported.baseKey}/data/ (injected fault: export-fail)`,
        );
        return;
      }
    }
    const filesKey = `${exported.baseKey}/manifest-files.json`;
    const filesBody = Buffer.from(lines.join(''));
    await put(filesKey, filesBody);
    await put(`${exported.baseKey}/manifest-files.checksum`, Buffer.from(md5(filesBody).toString('base64')));
    const wait = (this.options.exportDurationMs ?? 1000) - (Date.now() - started);
    if (wait > 0) await this.sleep(wait);
    const endTime = this.now();
    const summaryKey = `${exported.baseKey}/manifest-summary.json`;
    const summary = Buffer.from(
      JSON.stringify({
        version: '2020-06-30',
        exportArn: exported.exportArn,
        startTime: new Date(exported.startTime).toISOString(),
        endTime: new Date(endTime).toISOString(),
        tableArn: exported.tableArn,
        tableId: exported.tableId,
        exportTime: new Date(exported.exportTime).toISOString(),
        s3Bucket: bucket,
        s3Prefix: exported.s3Prefix ?? null,
        s3SseAlgorithm: exported.s3SseAlgorithm,
        s3SseKmsKeyId: exported.s3SseKmsKeyId ?? null,
        manifestFilesS3Key: filesKey,
        billedSizeBytes: billed,
        itemCount: items.length,
        outputFormat: 'DYNAMODB_JSON',
        exportType: 'FULL_EXPORT',
      }),
    );
    await put(summaryKey, summary);
    await put(`${exported.baseKey}/manifest-summary.checksum`, Buffer.from(md5(summary).toString('base64')));
    exported.manifest = summaryKey;
    exported.itemCount = items.length;
    exported.billedSizeBytes = billed;
    exported.endTime = endTime;
    exported.status = 'COMPLETED';
  }

  private description(exported: EmulatedExport): Record<string, unknown> {
    return {
      ExportArn: exported.exportArn,
      ExportStatus: exported.status,
      StartTime: seconds(exported.startTime),
      ...(exported.endTime !== undefined ? { EndTime: seconds(exported.endTime) } : {}),
      ...(exported.manifest !== undefined ? { ExportManifest: exported.manifest } : {}),
      TableArn: exported.tableArn,
      TableId: exported.tableId,
      ExportTime: seconds(exported.exportTime),
      ...(exported.clientToken !== undefined ? { ClientToken: exported.clientToken } : {}),
      S3Bucket: exported.s3Bucket,
      S3BucketOwner: exported.s3BucketOwner,
      ...(exported.s3Prefix !== undefined ? { S3Prefix: exported.s3Prefix } : {}),
      S3SseAlgorithm: exported.s3SseAlgorithm,
      ...(exported.s3SseKmsKeyId !== undefined ? { S3SseKmsKeyId: exported.s3SseKmsKeyId } : {}),
      ...(exported.failureCode !== undefined ? { FailureCode: exported.failureCode } : {}),
      ...(exported.failureMessage !== undefined ? { FailureMessage: exported.failureMessage } : {}),
      ExportFormat: 'DYNAMODB_JSON',
      ...(exported.billedSizeBytes !== undefined ? { BilledSizeBytes: exported.billedSizeBytes } : {}),
      ...(exported.itemCount !== undefined ? { ItemCount: exported.itemCount } : {}),
      ExportType: 'FULL_EXPORT',
    };
  }

  describeExport(input: Record<string, unknown>): Record<string, unknown> {
    const arn = required(input, 'ExportArn');
    const exported = this.exports.get(arn);
    if (exported === undefined)
      throw new DynamoDbError('ExportNotFoundException', `Export not found: ${arn}`);
    return { ExportDescription: this.description(exported) };
  }

  /** In reverse alphanumeric order of ExportArn, MaxResults 1 to 25 a page, NextToken opaque. */
  listExports(input: Record<string, unknown>): Record<string, unknown> {
    const tableArn = text(input, 'TableArn');
    const max = input.MaxResults ?? 25;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 25)
      throw new DynamoDbError('ValidationException', 'MaxResults must be a whole number from 1 to 25');
    const token = text(input, 'NextToken');
    const after = token === undefined ? undefined : Buffer.from(token, 'base64url').toString('utf8');
    const all = [...this.exports.values()]
      .filter((item) => tableArn === undefined || item.tableArn === tableArn)
      .map((item) => item.exportArn)
      .sort()
      .reverse()
      .filter((arn) => after === undefined || arn < after);
    const page = all.slice(0, max);
    const last = page.at(-1);
    return {
      ExportSummaries: page.map((arn) => {
        const exported = this.exports.get(arn);
        return { ExportArn: arn, ExportStatus: exported?.status, ExportType: 'FULL_EXPORT' };
      }),
      ...(all.length > max && last !== undefined
        ? { NextToken: Buffer.from(last, 'utf8').toString('base64url') }
        : {}),
    };
  }
}

/** One export's objects written to memory (unit tests), with S3's ETags. */
export class MemoryObjectWriter implements ExportObjectWriter {
  readonly buckets = new Map<string, Map<string, Buffer>>();

  constructor(buckets: readonly string[]) {
    for (const bucket of buckets) this.buckets.set(bucket, new Map());
  }

  bucketExists(bucket: string): Promise<boolean> {
    return Promise.resolve(this.buckets.has(bucket));
  }

  put(bucket: string, key: string, body: Buffer): Promise<void> {
    const objects = this.buckets.get(bucket);
    if (objects === undefined) return Promise.reject(new Error(`NoSuchBucket ${bucket}`));
    objects.set(key, body);
    return Promise.resolve();
  }

  async putMultipart(bucket: string, key: string, body: Buffer): Promise<string> {
    await this.put(bucket, key, body);
    // S3's ETag of a multipart upload: the MD5 of the parts' MD5s, a dash, the number of parts.
    return `${createHash('md5').update(md5(body)).digest('hex')}-1`;
  }
}

/** Writes exports to an S3 endpoint (the local S3 of a run). */
export function s3ObjectWriter(s3: S3Client): ExportObjectWriter {
  return {
    async bucketExists(bucket) {
      try {
        await s3.send(new HeadBucketCommand({ Bucket: bucket }));
        return true;
      } catch {
        return false;
      }
    },
    async put(bucket, key, body) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async putMultipart(bucket, key, body) {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const part = await s3.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: body }),
      );
      const done = await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: [{ ETag: part.ETag, PartNumber: 1 }] },
        }),
      );
      return (done.ETag ?? '').replaceAll('"', '');
    },
  };
}
