// SPDX-License-Identifier: Apache-2.0
/** BackupHealthLambda: every hour, the backup's age and the last restore drill's outcome as CloudWatch metrics. */
import { cloudWatchClient, documentClient } from '../utils/clients';
import { env, parseConfig, type EnvSpec } from '../utils/config';
import { putBackupMetrics, type BackupMetricValues } from '../utils/backup-metrics';
import type { LambdaContextLike } from '../utils/time-budget';
import { defaultRuntime, handlerLogger, type Runtime } from '../utils/runtime';
import { scrubErrors } from '../utils/scrub-errors';
import { reportBackupHealth } from './lib/backup-health';

export const ENVIRONMENT = {
  BACKUP_TABLE_NAME: env.string(),
  TYPE_TIMESTAMP: env.string(),
  RESTORE_DRILL_FREQUENCY: env.oneOf('NONE', 'EVERY_7_DAYS', 'EVERY_30_DAYS'),
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(async (_event: unknown, context?: LambdaContextLike): Promise<BackupMetricValues> => {
    const config = parseConfig(ENVIRONMENT, runtime.env);
    const logger = handlerLogger(runtime, 'backup-health', context);
    return reportBackupHealth({
      ddb: documentClient(),
      logger,
      now: runtime.now,
      config: {
        tableName: config.BACKUP_TABLE_NAME,
        typeTimestamp: config.TYPE_TIMESTAMP,
        drillFrequency: config.RESTORE_DRILL_FREQUENCY,
      },
      putMetrics: (values) =>
        putBackupMetrics(values, {
          cloudwatch: cloudWatchClient(),
          logger,
          now: runtime.now,
          tableName: config.BACKUP_TABLE_NAME,
        }),
    });
  });
}

export const handler = createHandler();
