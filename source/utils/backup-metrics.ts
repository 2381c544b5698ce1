// SPDX-License-Identifier: Apache-2.0
/**
 * The backup's health as CloudWatch metrics, in the solution's namespace, one dimension naming the backup
 * table (so that two installations in one account keep apart). The alarms and the dashboard of the
 * stack-set template read exactly these names; the roles may put data in this namespace only.
 */
import { PutMetricDataCommand, type CloudWatchClient, type StandardUnit } from '@aws-sdk/client-cloudwatch';
import { errorName } from './errors';
import type { Logger } from './logger';
import type { Now } from './time';

export const METRIC_NAMESPACE = 'CognitoUserProfilesExport';
export const BACKUP_DIMENSION = 'BackupTable';

/** Every metric the solution puts, with its unit. */
export const BACKUP_METRICS = {
  /** Hours since the last successful ExportWorkflow (since the watch started, when none has succeeded). */
  BackupAgeHours: 'None',
  /** What the last successful export left in the backup table. */
  UsersBackedUp: 'Count',
  GroupsBackedUp: 'Count',
  MembershipsBackedUp: 'Count',
  /** 1 when the last restore drill succeeded, 0 when it failed. */
  LastDrillSucceeded: 'None',
  /** Hours since the last restore drill ended (since the watch started, when none has run). */
  DrillAgeHours: 'None',
  /** The last drill's projection of a full restore at the configured CognitoTPS. */
  ProjectedRestoreMinutes: 'None',
} as const satisfies Record<string, StandardUnit>;

export type BackupMetricName = keyof typeof BACKUP_METRICS;
export type BackupMetricValues = Partial<Record<BackupMetricName, number>>;

export interface BackupMetricsDeps {
  cloudwatch: CloudWatchClient;
  logger: Logger;
  now: Now;
  /** The backup table's name: the metrics' one dimension. */
  tableName: string;
}

/**
 * Puts the given values in one call (at most seven metrics, far under PutMetricData's 1,000). Never throws:
 * a metric that could not be put must not fail the export or the drill that measured it; the alarms treat
 * a missing data point as breaching, so a lasting failure is still seen. Returns whether the data was put.
 */
export async function putBackupMetrics(
  values: BackupMetricValues,
  deps: BackupMetricsDeps,
): Promise<boolean> {
  const entries = Object.entries(values).filter((entry): entry is [BackupMetricName, number] =>
    Number.isFinite(entry[1]),
  );
  if (entries.length === 0) return false;
  const timestamp = new Date(deps.now());
  try {
    await deps.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: METRIC_NAMESPACE,
        MetricData: entries.map(([name, value]) => ({
          MetricName: name,
          Dimensions: [{ Name: BACKUP_DIMENSION, Value: deps.tableName }],
          Timestamp: timestamp,
          Value: value,
          Unit: BACKUP_METRICS[name],
        })),
      }),
    );
    deps.logger.info('Put the backup metrics', { metrics: entries.map(([name]) => name) });
    return true;
  } catch (error) {
    deps.logger.warn('Could not put the backup metrics', { error: errorName(error) });
    return false;
  }
}
