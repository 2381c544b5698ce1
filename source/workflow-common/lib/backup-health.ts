// SPDX-License-Identifier: Apache-2.0
/**
 * The backup's age and the last restore drill's outcome as metrics, every hour. An alarm cannot watch "no
 * data point for 60 days" (a metric alarm's evaluation range is at most 7 days), so an export every 30 days
 * needs a gauge of the age itself: this function reads what the workflows recorded in the backup table and
 * puts the ages. Should it stop, the alarms see no data, which they treat as breaching.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BackupMetricValues } from '../../utils/backup-metrics';
import type { Logger } from '../../utils/logger';
import type { Now } from '../../utils/time';
import { LATEST_EXPORT_TIMESTAMP_ID } from './message-broker';

/** The last restore drill's record (written by the RestoreDrillWorkflow; the table is global). */
export const LATEST_DRILL_ID = 'latest-restore-drill';
/**
 * When this function first looked: the ages count from here while no export or drill has been recorded,
 * so that a new installation is not in alarm before its first export was due.
 */
export const WATCH_STARTED_ID = 'backup-health-watch-started';

/** The items this function reads or writes (its role may reach exactly these keys). */
export const BACKUP_HEALTH_ITEM_IDS: readonly string[] = [
  LATEST_EXPORT_TIMESTAMP_ID,
  LATEST_DRILL_ID,
  WATCH_STARTED_ID,
];

export interface DrillRecord {
  /** When the drill ended, in milliseconds since the epoch. */
  drillEndedAt: number;
  succeeded: boolean;
  projectedRestoreMinutes?: number;
}

export type DrillFrequency = 'NONE' | 'EVERY_7_DAYS' | 'EVERY_30_DAYS';

export interface BackupHealthConfig {
  tableName: string;
  typeTimestamp: string;
  drillFrequency: DrillFrequency;
}

export interface BackupHealthDeps {
  ddb: DynamoDBDocumentClient;
  logger: Logger;
  now: Now;
  config: BackupHealthConfig;
  putMetrics(values: BackupMetricValues): Promise<unknown>;
}

const HOUR_MS = 3_600_000;
/** Two decimals: an alarm threshold is in whole hours, a dashboard reads better without noise. */
const hoursSince = (now: number, then: number): number =>
  Math.max(0, Math.round(((now - then) / HOUR_MS) * 100) / 100);

const finite = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

export function parseDrillRecord(item: Record<string, unknown> | undefined): DrillRecord | undefined {
  const endedAt = finite(item?.drillEndedAt);
  if (item === undefined || endedAt === undefined || typeof item.succeeded !== 'boolean') return undefined;
  const projected = finite(item.projectedRestoreMinutes);
  return {
    drillEndedAt: endedAt,
    succeeded: item.succeeded,
    ...(projected === undefined ? {} : { projectedRestoreMinutes: projected }),
  };
}

/** The metric values from what was recorded; `watchStarted` stands in for a missing record. */
export function healthMetrics(
  latestExport: number | undefined,
  drill: DrillRecord | undefined,
  watchStarted: number,
  now: number,
  drillFrequency: DrillFrequency,
): BackupMetricValues {
  const values: BackupMetricValues = { BackupAgeHours: hoursSince(now, latestExport ?? watchStarted) };
  if (drillFrequency === 'NONE') return values;
  values.DrillAgeHours = hoursSince(now, drill?.drillEndedAt ?? watchStarted);
  if (drill !== undefined) {
    values.LastDrillSucceeded = drill.succeeded ? 1 : 0;
    if (drill.projectedRestoreMinutes !== undefined) {
      values.ProjectedRestoreMinutes = drill.projectedRestoreMinutes;
    }
  }
  return values;
}

export async function reportBackupHealth(deps: BackupHealthDeps): Promise<BackupMetricValues> {
  const { tableName, typeTimestamp, drillFrequency } = deps.config;
  const get = async (id: string) =>
    (
      await deps.ddb.send(
        new GetCommand({ TableName: tableName, Key: { id, type: typeTimestamp }, ConsistentRead: true }),
      )
    ).Item;
  const latestExport = finite((await get(LATEST_EXPORT_TIMESTAMP_ID))?.latestExportTimestamp);
  const drill = drillFrequency === 'NONE' ? undefined : parseDrillRecord(await get(LATEST_DRILL_ID));
  let watchStarted = deps.now();
  if (latestExport === undefined || (drillFrequency !== 'NONE' && drill === undefined)) {
    // Written once: later calls read the first time back.
    const started = await deps.ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { id: WATCH_STARTED_ID, type: typeTimestamp },
        UpdateExpression: 'SET #startedAt = if_not_exists(#startedAt, :now)',
        ExpressionAttributeNames: { '#startedAt': 'startedAt' },
        ExpressionAttributeValues: { ':now': watchStarted },
        ReturnValues: 'ALL_NEW',
      }),
    );
    watchStarted = finite(started.Attributes?.startedAt) ?? watchStarted;
  }
  const values = healthMetrics(latestExport, drill, watchStarted, deps.now(), drillFrequency);
  deps.logger.info('Measured the backup health', {
    exportRecorded: latestExport !== undefined,
    drillRecorded: drill !== undefined,
    ...values,
  });
  await deps.putMetrics(values);
  return values;
}
