// SPDX-License-Identifier: Apache-2.0
/**
 * The snapshot that ends every successful export: DynamoDB's export to S3 (from point-in-time recovery) of the
 * backup table into the primary Region's snapshot bucket, and of its replica into the backup Region's, both as
 * they were at one time, under `snapshots/<SnapshotId>/`. DynamoDB then writes
 * `snapshots/<SnapshotId>/AWSDynamoDB/<ExportId>/` (manifests, checksums, data files), which the restore side
 * finds by listing `snapshots/<SnapshotId>/AWSDynamoDB/`.
 *
 * "Snapshot: Start Exports" chooses the time once (the second the state was entered; a retry of the task keeps
 * it, and a later attempt reads it back from `Snapshot`), then starts each export that has not started. The
 * ClientToken is the execution's name, so a retried call returns the export it started instead of starting
 * another. "Snapshot: Check Exports" follows them with DescribeExport. A failure is never a silent gap: it
 * raises SnapshotFailedError, which the error notification carries with what to do.
 */
import {
  DescribeExportCommand,
  ExportTableToPointInTimeCommand,
  type DynamoDBClient,
  type ExportDescription,
} from '@aws-sdk/client-dynamodb';
import { errorMessage, errorName } from '../../utils/errors';
import type { Logger } from '../../utils/logger';
import type { SfnContextObject } from '../../utils/step-functions';
import { snapshotId, snapshotPrefix } from '../../utils/snapshots';
import type { Now } from '../../utils/time';
import {
  CHECK_EXPORTS_STATE,
  START_EXPORTS_STATE,
  type SnapshotExport,
  type SnapshotLockMode,
  type SnapshotProgress,
  type SnapshotStatus,
  type TableSnapshotEvent,
  type TableSnapshotOutput,
} from './types';

/**
 * How long "Start Exports" keeps asking for a time DynamoDB refuses as outside the point-in-time window
 * (InvalidExportTimeException): the newest restorable time trails the current time by minutes.
 */
export const START_DEADLINE_MS = 30 * 60 * 1000;

/** How long "Check Exports" follows an export before it gives up on it (a full export takes minutes). */
export const EXPORT_DEADLINE_MS = 6 * 60 * 60 * 1000;

/** A snapshot that could not be taken: the notification says why and what to do. */
export class SnapshotFailedError extends Error {
  override readonly name = 'SnapshotFailedError';
}

/** One export of a snapshot: a table (or its replica) into its Region's snapshot bucket. */
export interface SnapshotTarget {
  /** `arn:<partition>:dynamodb:<region>:<account>:table/<name>`; its Region is the export's. */
  tableArn: string;
  bucket: string;
  /** The Region's customer managed key; the bucket's default encryption (aws/s3) without one. */
  kmsKeyArn?: string;
}

export interface TableSnapshotDeps {
  /** A DynamoDB client of the given Region. */
  dynamoDbIn(region: string): DynamoDBClient;
  logger: Logger;
  now: Now;
  config: {
    primary: SnapshotTarget;
    replica: SnapshotTarget;
    retentionDays: number;
    lockMode: SnapshotLockMode;
  };
}

export class UnknownSnapshotStateError extends Error {
  override readonly name = 'UnknownSnapshotStateError';
}

export class InvalidTableArnError extends Error {
  override readonly name = 'InvalidTableArnError';
}

/** The Region of a table ARN. */
export function tableRegion(tableArn: string): string {
  const region = /^arn:[^:]+:dynamodb:([^:]+):\d{12}:table\/.+$/.exec(tableArn)?.[1];
  if (region === undefined) throw new InvalidTableArnError(`${tableArn} is not a DynamoDB table ARN`);
  return region;
}

const AFTER_FAILURE =
  'The backup table itself is up to date: this export succeeded, and the ImportWorkflow restores from it ' +
  '(and from any time of the last 35 days with "AsOf"). Only this snapshot is missing. Fix the cause, then ' +
  'start the ExportWorkflow again: its run ends with a new snapshot. Until then the newest snapshot is the ' +
  'previous one (README, "Choosing a recovery point").';

function overallStatus(entries: SnapshotExport[]): SnapshotStatus {
  if (entries.some((entry) => entry.Status === 'FAILED')) return 'FAILED';
  if (entries.some((entry) => entry.Status === 'WAITING')) return 'WAITING';
  if (entries.every((entry) => entry.Status === 'COMPLETED')) return 'COMPLETED';
  return 'IN_PROGRESS';
}

/** The second a time falls in: the snapshot is the table as it was then, and is named after it. */
function wholeSecond(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

function chosenTime(event: TableSnapshotEvent, now: Now): Date {
  const entered = Date.parse(event.Context?.State?.EnteredTime ?? '');
  return wholeSecond(Number.isNaN(entered) ? now() : entered);
}

function newSnapshot(event: TableSnapshotEvent, deps: TableSnapshotDeps): SnapshotProgress {
  const time = chosenTime(event, deps.now);
  const id = snapshotId(time);
  const { primary, replica } = deps.config;
  return {
    SnapshotId: id,
    ExportTime: time.toISOString(),
    Status: 'WAITING',
    RetentionDays: deps.config.retentionDays,
    LockMode: deps.config.lockMode,
    Exports: [primary, replica].map((target) => ({
      Region: tableRegion(target.tableArn),
      Bucket: target.bucket,
      Prefix: snapshotPrefix(id),
      Status: 'WAITING',
    })),
  };
}

/**
 * The ClientToken of a snapshot's export in a Region: one export per execution and Region, whatever retries. The
 * Region is part of it so that the two exports of one snapshot never share a token, however DynamoDB scopes them.
 */
function clientToken(context: SfnContextObject | undefined, id: string, region: string): string {
  const name = context?.Execution.Name ?? context?.Execution.Id.split(':').at(-1);
  return `snapshot-${name ?? id}-${region}`;
}

function targetOf(entry: SnapshotExport, deps: TableSnapshotDeps): SnapshotTarget {
  const { primary, replica } = deps.config;
  const target = [primary, replica].find((candidate) => tableRegion(candidate.tableArn) === entry.Region);
  if (target === undefined) {
    throw new SnapshotFailedError(
      `The snapshot names the Region ${entry.Region}, which is neither the table's nor its replica's.`,
    );
  }
  return target;
}

async function startExport(
  entry: SnapshotExport,
  snapshot: SnapshotProgress,
  context: SfnContextObject | undefined,
  deps: TableSnapshotDeps,
): Promise<SnapshotExport> {
  const target = targetOf(entry, deps);
  try {
    const output = await deps.dynamoDbIn(entry.Region).send(
      new ExportTableToPointInTimeCommand({
        TableArn: target.tableArn,
        ExportTime: new Date(snapshot.ExportTime),
        ClientToken: clientToken(context, snapshot.SnapshotId, entry.Region),
        S3Bucket: target.bucket,
        S3Prefix: entry.Prefix,
        ExportFormat: 'DYNAMODB_JSON',
        ExportType: 'FULL_EXPORT',
        ...(target.kmsKeyArn ? { S3SseAlgorithm: 'KMS', S3SseKmsKeyId: target.kmsKeyArn } : {}),
      }),
    );
    const description = output.ExportDescription;
    if (!description?.ExportArn) {
      throw new SnapshotFailedError(`DynamoDB did not name the export it started in ${entry.Region}.`);
    }
    deps.logger.info('Started the snapshot export', {
      snapshotId: snapshot.SnapshotId,
      region: entry.Region,
      exportArn: description.ExportArn,
    });
    return withDescription({ ...entry, ExportArn: description.ExportArn }, description);
  } catch (error) {
    if (error instanceof SnapshotFailedError) throw error;
    if (errorName(error) === 'InvalidExportTimeException') {
      const waited = deps.now() - Date.parse(snapshot.ExportTime);
      if (waited < START_DEADLINE_MS) {
        deps.logger.info('DynamoDB cannot export the snapshot time yet; trying again', {
          snapshotId: snapshot.SnapshotId,
          region: entry.Region,
        });
        return { ...entry, Status: 'WAITING' };
      }
    }
    throw new SnapshotFailedError(
      `The snapshot ${snapshot.SnapshotId} could not be started in ${entry.Region} ` +
        `(${errorName(error)}: ${errorMessage(error)}). ${advice(errorName(error))}${AFTER_FAILURE}`,
      { cause: error },
    );
  }
}

/** What to check for the errors an export request is refused with. */
function advice(name: string): string {
  switch (name) {
    case 'PointInTimeRecoveryUnavailableException':
      return 'Point-in-time recovery must be on for the backup table and its replica (the main stack turns it on). ';
    case 'InvalidExportTimeException':
      return 'DynamoDB refused the snapshot time for longer than expected. ';
    case 'AccessDeniedException':
      return "Check the snapshot function's role and, with a customer managed key, the key policy. ";
    case 'LimitExceededException':
      return 'Too many exports were running in the Region at once. ';
    default:
      return '';
  }
}

function withDescription(entry: SnapshotExport, description: ExportDescription): SnapshotExport {
  return {
    ...entry,
    Status: description.ExportStatus ?? 'IN_PROGRESS',
    ...(description.ItemCount !== undefined ? { ItemCount: description.ItemCount } : {}),
    ...(description.FailureCode ? { FailureCode: description.FailureCode } : {}),
    ...(description.FailureMessage ? { FailureMessage: description.FailureMessage } : {}),
  };
}

async function startExports(event: TableSnapshotEvent, deps: TableSnapshotDeps): Promise<SnapshotProgress> {
  const snapshot = event.Input?.Snapshot ?? newSnapshot(event, deps);
  const entries: SnapshotExport[] = [];
  for (const entry of snapshot.Exports) {
    entries.push(entry.ExportArn ? entry : await startExport(entry, snapshot, event.Context, deps));
  }
  return checked({ ...snapshot, Exports: entries });
}

async function checkExports(event: TableSnapshotEvent, deps: TableSnapshotDeps): Promise<SnapshotProgress> {
  const snapshot = event.Input?.Snapshot;
  if (snapshot === undefined) {
    throw new SnapshotFailedError(
      `${CHECK_EXPORTS_STATE} was reached without a snapshot to check. ${AFTER_FAILURE}`,
    );
  }
  const entries = await Promise.all(
    snapshot.Exports.map(async (entry) => {
      if (!entry.ExportArn || entry.Status === 'COMPLETED') return entry;
      const output = await deps
        .dynamoDbIn(entry.Region)
        .send(new DescribeExportCommand({ ExportArn: entry.ExportArn }));
      return output.ExportDescription ? withDescription(entry, output.ExportDescription) : entry;
    }),
  );
  const progress = checked({ ...snapshot, Exports: entries });
  const running = deps.now() - Date.parse(snapshot.ExportTime);
  if (progress.Status === 'IN_PROGRESS' && running > EXPORT_DEADLINE_MS) {
    const open = entries.filter((entry) => entry.Status === 'IN_PROGRESS');
    throw new SnapshotFailedError(
      `The snapshot ${snapshot.SnapshotId} is still being exported after ${EXPORT_DEADLINE_MS / 3_600_000} hours ` +
        `in ${open.map((entry) => entry.Region).join(' and ')}; the workflow stopped following it. Look it up ` +
        `with "aws dynamodb describe-export --export-arn <arn>" (${open.map((entry) => entry.ExportArn).join(', ')}): ` +
        `once COMPLETED, it is a usable snapshot. ${AFTER_FAILURE}`,
    );
  }
  return progress;
}

/**
 * The snapshot with its overall status, refused loudly when an export failed or when the two Regions' exports,
 * both complete, hold different item counts (the replica had not caught up with the table at the snapshot time).
 */
function checked(snapshot: SnapshotProgress): SnapshotProgress {
  const status = overallStatus(snapshot.Exports);
  if (status === 'FAILED') {
    const failed = snapshot.Exports.filter((entry) => entry.Status === 'FAILED')
      .map(
        (entry) =>
          `${entry.Region}: ${entry.FailureCode ?? 'no failure code'}` +
          (entry.FailureMessage ? ` (${entry.FailureMessage})` : ''),
      )
      .join('; ');
    throw new SnapshotFailedError(
      `The snapshot ${snapshot.SnapshotId} failed: DynamoDB could not export the backup table to the snapshot ` +
        `bucket (${failed}). Objects it wrote before failing are incomplete; they expire with the bucket's ` +
        `lifecycle. ${AFTER_FAILURE}`,
    );
  }
  if (status === 'COMPLETED') {
    const counts = new Set(snapshot.Exports.map((entry) => entry.ItemCount));
    if (counts.size > 1) {
      throw new SnapshotFailedError(
        `The snapshot ${snapshot.SnapshotId} differs between the Regions: ` +
          snapshot.Exports.map((entry) => `${String(entry.ItemCount)} items in ${entry.Region}`).join(', ') +
          '. The replica in the backup Region had not received all of the export by the snapshot time, so ' +
          `the backup Region's copy is not the same recovery point. ${AFTER_FAILURE}`,
      );
    }
  }
  return { ...snapshot, Status: status };
}

export async function tableSnapshot(
  event: TableSnapshotEvent,
  deps: TableSnapshotDeps,
): Promise<TableSnapshotOutput> {
  const state = event.Context?.State?.Name;
  const input = event.Input ?? {};
  switch (state) {
    case START_EXPORTS_STATE:
      return { result: { ...input, Snapshot: await startExports(event, deps) } };
    case CHECK_EXPORTS_STATE:
      return { result: { ...input, Snapshot: await checkExports(event, deps) } };
    default:
      throw new UnknownSnapshotStateError(`TableSnapshotLambda does not run the state "${String(state)}".`);
  }
}
