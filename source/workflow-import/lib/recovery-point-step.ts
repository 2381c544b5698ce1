// SPDX-License-Identifier: Apache-2.0
/**
 * The first steps of an ImportWorkflow, before anything is written anywhere: the recovery point the
 * execution input names is made ready and checked.
 *
 * - Neither `AsOf` nor `Snapshot`: the live backup table, ready at once (as every restore did before).
 * - `AsOf`: refused at once when it is not in the table's point-in-time recovery window
 *   (DescribeContinuousBackups: `EarliestRestorableDateTime` to `LatestRestorableDateTime`, which is
 *   typically 5 minutes before now; at most 35 days back) or in the future. Otherwise DynamoDB exports
 *   the table as it was then (ExportTableToPointInTime: a full export in DynamoDB JSON, no temporary
 *   table and no read capacity of the live table) to `point-in-time-exports/<execution name>/` of the
 *   import bucket, encrypted with the stack's KMS key when it has one. The `ClientToken` is derived from
 *   the execution, so that a retried invocation starts no second export (DynamoDB answers the same
 *   export for the same token and parameters within 8 hours). The state machine waits and asks again
 *   (DescribeExport) until the export is `COMPLETED`; `FAILED` fails the workflow with what to do.
 * - `Snapshot`: `snapshots/<SnapshotId>/` of the snapshot bucket must hold exactly one export.
 * - `Sample`: likewise `restore-drill-samples/<drill name>/` of the import bucket (a restore drill's sample).
 *
 * A ready export is read whole once before the restore begins: both manifests against their checksum
 * files, every data file against its MD5 and item count (table-export.ts). An `AsOf` export must also
 * hold the backup's latest-export timestamp item: without it the table held no finished export at that
 * time, and the restore would create an empty pool. The check keeps a file cursor in its output, so a
 * large export is checked over several invocations.
 */
import { createHash } from 'node:crypto';
import {
  DescribeContinuousBackupsCommand,
  DescribeExportCommand,
  ExportTableToPointInTimeCommand,
  type DynamoDBClient,
  type ExportDescription,
} from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../utils/logger';
import {
  exportPlace,
  findExport,
  pointInTimePrefix,
  RecoveryPointUnavailableError,
  type RecoveryPointRequest,
} from '../../utils/recovery-point';
import { s3ExportObjects, verifyTableExport, type ExportObjects } from '../../utils/table-export';
import { isPoolConfigurationId } from '../../utils/pool-configuration-item';
import { storeConfiguration, storeConfigurationItems } from '../../utils/stored-pool-configuration';

/** The id of the backup table's item that records its latest finished export. */
export const LATEST_EXPORT_TIMESTAMP_ID = 'latest-export-timestamp';

/** The recovery point cannot be used as asked (a time outside the window, recovery off). */
export class RecoveryPointRefusedError extends Error {
  override readonly name = 'RecoveryPointRefusedError';
}

/** What the states between PrepareRecoveryPoint and PurgeImportQueues carry. */
export interface RecoveryPointState {
  /** The recovery point is ready and checked: the restore may begin. */
  RecoveryPointReady: boolean;
  /** The export is still running: wait before the next CheckRecoveryPoint. */
  RecoveryPointWait: boolean;
  RecoveryPoint: {
    Kind: 'BackupTable' | 'AsOf' | 'Snapshot' | 'Sample';
    AsOf?: string;
    Snapshot?: string;
    Sample?: string;
    ExportArn?: string;
    /** The data files checked so far (the next one to check). */
    CheckedFiles?: number;
    /** An `AsOf` export: its latest-export timestamp item was found in the files checked so far. */
    TimestampFound?: boolean;
    /** The ids of the configuration items (head and parts) found in the files checked so far. */
    ConfigurationItems?: string[];
    /** The export's item count, once checked. */
    Items?: number;
  };
}

export interface RecoveryPointStepDeps {
  ddb: DynamoDBClient;
  s3: S3Client;
  logger: Logger;
  config: {
    tableName: string;
    /** `arn:<partition>:dynamodb:<region>:<account>:table/<name>`: ExportTableToPointInTime needs the ARN. */
    tableArn: string;
    importBucket: string;
    snapshotBucket: string;
    /** The stack's customer managed key; empty: the bucket's default encryption (SSE-S3). */
    kmsKeyArn: string;
    typeTimestamp: string;
  };
  /** The execution's name (the export prefix) and ARN (the client token). */
  execution: { name: string; id: string };
  now: () => number;
  /** Whether another data file may be checked in this invocation. */
  hasTime: () => boolean;
  objects?: (bucket: string) => ExportObjects;
  /**
   * The ImportWorkflow: the export's configuration item is kept in the import bucket while the export
   * is checked (stored-pool-configuration.ts), for the target check and CreateUserPool.
   */
  keepConfiguration?: boolean;
}

/** What the recovery point states read from their function's environment (both workflows' functions declare it). */
export interface RecoveryPointEnv {
  BACKUP_TABLE_NAME: string;
  BACKUP_TABLE_ARN?: string | undefined;
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: string;
  SNAPSHOT_BUCKET?: string | undefined;
  KMS_KEY_ARN?: string | undefined;
  TYPE_TIMESTAMP: string;
}

/**
 * PrepareRecoveryPoint (`prepare`) or CheckRecoveryPoint of a workflow, configured from its function's
 * environment: the ImportWorkflow's and the RepairWorkflow's handlers run the same step.
 */
export function runRecoveryPointStep(
  step: { prepare: boolean; request: RecoveryPointRequest; input: unknown },
  env: RecoveryPointEnv,
  deps: Omit<RecoveryPointStepDeps, 'config'>,
): Promise<RecoveryPointState> {
  if (step.request.kind === 'as-of' && (env.BACKUP_TABLE_ARN ?? '') === '')
    throw new Error('BACKUP_TABLE_ARN is not set: this function cannot export the backup table');
  const stepDeps: RecoveryPointStepDeps = {
    ...deps,
    config: {
      tableName: env.BACKUP_TABLE_NAME,
      tableArn: env.BACKUP_TABLE_ARN ?? '',
      importBucket: env.USER_IMPORT_JOB_MAPPING_FILES_BUCKET,
      snapshotBucket: env.SNAPSHOT_BUCKET ?? '',
      kmsKeyArn: env.KMS_KEY_ARN ?? '',
      typeTimestamp: env.TYPE_TIMESTAMP,
    },
  };
  return step.prepare
    ? prepareRecoveryPoint(step.request, stepDeps)
    : checkRecoveryPoint(step.request, step.input as RecoveryPointState | undefined, stepDeps);
}

/** One export per execution, whatever the retries: DynamoDB keeps a client token for 8 hours. */
export const clientTokenOf = (executionArn: string): string =>
  createHash('sha256').update(executionArn).digest('hex');

const iso = (date: Date | undefined): string => (date ? date.toISOString() : 'unknown');

/**
 * Refuses `AsOf` unless it lies in the point-in-time recovery window of the table. The messages give
 * the window, so that the operator can pick another time at once.
 */
export async function checkAsOfWindow(
  request: Extract<RecoveryPointRequest, { kind: 'as-of' }>,
  deps: Pick<RecoveryPointStepDeps, 'ddb' | 'config' | 'now'>,
): Promise<void> {
  const now = deps.now();
  if (request.time > now)
    throw new RecoveryPointRefusedError(
      `AsOf (${request.asOf}) is in the future (it is now ${new Date(now).toISOString()}): give a past time ` +
        'within the point-in-time recovery window, or leave AsOf out to restore the backup table as it is now.',
    );
  const described = await deps.ddb.send(
    new DescribeContinuousBackupsCommand({ TableName: deps.config.tableName }),
  );
  const recovery = described.ContinuousBackupsDescription?.PointInTimeRecoveryDescription;
  if (recovery?.PointInTimeRecoveryStatus !== 'ENABLED')
    throw new RecoveryPointRefusedError(
      `Point-in-time recovery of the backup table ${deps.config.tableName} is not enabled ` +
        `(${recovery?.PointInTimeRecoveryStatus ?? 'unknown'}), so no earlier state of it can be exported: ` +
        'restore from a Snapshot, or without AsOf.',
    );
  const earliest = recovery.EarliestRestorableDateTime;
  const latest = recovery.LatestRestorableDateTime;
  const window = `The available window is ${iso(earliest)} to ${iso(latest)} (UTC).`;
  if (earliest === undefined || request.time < earliest.getTime())
    throw new RecoveryPointRefusedError(
      `AsOf (${request.asOf}) is before the earliest time the backup table can be restored to. ${window} ` +
        'For an older recovery point, restore from a Snapshot.',
    );
  if (latest !== undefined && request.time > latest.getTime())
    throw new RecoveryPointRefusedError(
      `AsOf (${request.asOf}) is after the latest time the backup table can be restored to (typically 5 ` +
        `minutes ago). ${window} Give an earlier time, or leave AsOf out to restore the table as it is now.`,
    );
}

const describe = (point: RecoveryPointState['RecoveryPoint']) =>
  point.Kind === 'AsOf'
    ? { AsOf: point.AsOf }
    : point.Kind === 'Snapshot'
      ? { Snapshot: point.Snapshot }
      : point.Kind === 'Sample'
        ? { Sample: point.Sample }
        : {};

/** PrepareRecoveryPoint: the live table is ready; `AsOf` starts its export; a `Snapshot` is checked next. */
export async function prepareRecoveryPoint(
  request: RecoveryPointRequest,
  deps: RecoveryPointStepDeps,
): Promise<RecoveryPointState> {
  if (request.kind === 'table')
    return { RecoveryPointReady: true, RecoveryPointWait: false, RecoveryPoint: { Kind: 'BackupTable' } };
  if (request.kind === 'snapshot' || request.kind === 'sample') {
    // Refused here when unknown or when its manifests do not match their checksums.
    exportPlace(request, { ...deps.config, execution: deps.execution.name });
    return {
      RecoveryPointReady: false,
      RecoveryPointWait: false,
      RecoveryPoint:
        request.kind === 'snapshot'
          ? { Kind: 'Snapshot', Snapshot: request.snapshotId, CheckedFiles: 0 }
          : { Kind: 'Sample', Sample: request.sampleId, CheckedFiles: 0 },
    };
  }
  await checkAsOfWindow(request, deps);
  const { config } = deps;
  const started = await deps.ddb.send(
    new ExportTableToPointInTimeCommand({
      TableArn: config.tableArn,
      ExportTime: new Date(request.time),
      ClientToken: clientTokenOf(deps.execution.id),
      S3Bucket: config.importBucket,
      S3Prefix: pointInTimePrefix(deps.execution.name).replace(/\/$/, ''),
      ...(config.kmsKeyArn !== ''
        ? { S3SseAlgorithm: 'KMS' as const, S3SseKmsKeyId: config.kmsKeyArn }
        : { S3SseAlgorithm: 'AES256' as const }),
      ExportFormat: 'DYNAMODB_JSON',
      ExportType: 'FULL_EXPORT',
    }),
  );
  const exportArn = started.ExportDescription?.ExportArn ?? '';
  // Without its ARN the export can be neither waited for nor checked: refused before anything else.
  if (exportArn === '')
    throw new RecoveryPointUnavailableError(
      `DynamoDB answered the point-in-time export of the backup table as of ${request.asOf} without an ` +
        `ExportArn (status ${started.ExportDescription?.ExportStatus ?? 'unknown'}), so it cannot be followed; ` +
        'nothing was written to any user pool. Start the workflow again with the same input.',
    );
  deps.logger.info('Point-in-time export of the backup table started', {
    asOf: request.asOf,
    exportArn,
    status: started.ExportDescription?.ExportStatus,
  });
  return {
    RecoveryPointReady: false,
    RecoveryPointWait: true,
    RecoveryPoint: { Kind: 'AsOf', AsOf: request.asOf, ExportArn: exportArn, CheckedFiles: 0 },
  };
}

/** The export ended FAILED: what DynamoDB said, and what to do. */
export function exportFailedMessage(asOf: string, description: ExportDescription | undefined): string {
  return (
    `The point-in-time export of the backup table as of ${asOf} failed (${description?.FailureCode ?? 'no code'}: ` +
    `${description?.FailureMessage ?? 'no message'}); nothing was written to the new user pool. Check that ` +
    'the import bucket exists and that the import functions may write to it and use its KMS key, then start ' +
    'the ImportWorkflow again with the same input.'
  );
}

/**
 * CheckRecoveryPoint: an `AsOf` export still running asks for another wait; a ready export is checked
 * file by file (several invocations for a large one); a checked one is ready.
 */
export async function checkRecoveryPoint(
  request: RecoveryPointRequest,
  state: RecoveryPointState | undefined,
  deps: RecoveryPointStepDeps,
): Promise<RecoveryPointState> {
  if (request.kind === 'table')
    return { RecoveryPointReady: true, RecoveryPointWait: false, RecoveryPoint: { Kind: 'BackupTable' } };
  const point: RecoveryPointState['RecoveryPoint'] = {
    ...(request.kind === 'as-of'
      ? { Kind: 'AsOf' as const, AsOf: request.asOf }
      : request.kind === 'sample'
        ? { Kind: 'Sample' as const, Sample: request.sampleId }
        : { Kind: 'Snapshot' as const, Snapshot: request.snapshotId }),
    ...(state?.RecoveryPoint?.ExportArn ? { ExportArn: state.RecoveryPoint.ExportArn } : {}),
    CheckedFiles: state?.RecoveryPoint?.CheckedFiles ?? 0,
  };
  if (request.kind === 'as-of') {
    if (point.ExportArn === undefined)
      throw new Error('CheckRecoveryPoint needs the ExportArn that PrepareRecoveryPoint returned');
    const described = await deps.ddb.send(new DescribeExportCommand({ ExportArn: point.ExportArn }));
    const status = described.ExportDescription?.ExportStatus;
    if (status === 'FAILED')
      throw new RecoveryPointUnavailableError(exportFailedMessage(request.asOf, described.ExportDescription));
    if (status !== 'COMPLETED') {
      deps.logger.info('Waiting for the point-in-time export', { exportArn: point.ExportArn, status });
      return { RecoveryPointReady: false, RecoveryPointWait: true, RecoveryPoint: point };
    }
  }
  const place = exportPlace(request, { ...deps.config, execution: deps.execution.name });
  const objects = deps.objects ? deps.objects(place.bucket) : s3ExportObjects(deps.s3, place.bucket);
  const table = await findExport(objects, place.prefix, place.what);
  let timestamp = false;
  const configurationItems = new Map<string, Record<string, unknown>>();
  const from = point.CheckedFiles ?? 0;
  let next: number | undefined;
  try {
    next = await verifyTableExport(objects, table, from, deps.hasTime, (item) => {
      if (item.type !== deps.config.typeTimestamp) return;
      if (item.id === LATEST_EXPORT_TIMESTAMP_ID) timestamp = true;
      else if (deps.keepConfiguration === true && isPoolConfigurationId(item.id))
        configurationItems.set(item.id as string, item);
    });
  } catch (error) {
    throw new RecoveryPointUnavailableError(
      `${place.what} cannot be restored: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  // The timestamp item is in one of the files: a check over several invocations carries what it found.
  const found = timestamp || state?.RecoveryPoint?.TimestampFound === true;
  const store = { s3: deps.s3, bucket: deps.config.importBucket, execution: deps.execution.name };
  // Kept before the cursor moves past their files: a retry after a crash reads those files again.
  await storeConfigurationItems(store, [...configurationItems.values()]);
  const configurationIds = [
    ...new Set([...(state?.RecoveryPoint?.ConfigurationItems ?? []), ...configurationItems.keys()]),
  ].sort();
  const checked: RecoveryPointState['RecoveryPoint'] = {
    ...point,
    CheckedFiles: next ?? table.files.length,
    ...(found ? { TimestampFound: true } : {}),
    ...(configurationIds.length > 0 ? { ConfigurationItems: configurationIds } : {}),
  };
  if (next !== undefined) {
    deps.logger.info('Checking the recovery point', { checkedFiles: next, files: table.files.length });
    return { RecoveryPointReady: false, RecoveryPointWait: false, RecoveryPoint: checked };
  }
  if (request.kind === 'as-of' && !found)
    throw new RecoveryPointRefusedError(
      `The backup table held no finished export at ${request.asOf} (the point-in-time export has no ` +
        'latest-export timestamp item), so there is nothing to restore from that time: give a time after ' +
        "the first ExportWorkflow's success notification.",
    );
  const configuration =
    deps.keepConfiguration === true
      ? await storeConfiguration(store, new Set(configurationIds), configurationItems)
      : undefined;
  deps.logger.info('Recovery point ready', {
    ...describe(point),
    ...(configuration !== undefined ? { configuration } : {}),
    exportArn: table.summary.exportArn,
    exportTime: table.summary.exportTime,
    items: table.summary.itemCount,
    files: table.files.length,
  });
  return {
    RecoveryPointReady: true,
    RecoveryPointWait: false,
    RecoveryPoint: { ...checked, Items: table.summary.itemCount, ExportArn: table.summary.exportArn },
  };
}
