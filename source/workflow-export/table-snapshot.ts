// SPDX-License-Identifier: Apache-2.0
/** TableSnapshotLambda: "Snapshot: Start Exports" and "Snapshot: Check Exports" of the export run. */
import { dynamoDbClient } from '../utils/clients';
import { env, parseConfig, type EnvSpec } from '../utils/config';
import type { LambdaContextLike } from '../utils/time-budget';
import { tableSnapshot } from './lib/table-snapshot';
import { defaultRuntime, handlerLogger, type Runtime } from '../utils/runtime';
import {
  CHECK_EXPORTS_STATE,
  START_EXPORTS_STATE,
  type TableSnapshotEvent,
  type TableSnapshotOutput,
} from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';

/** The states that run this handler, each dispatched on by name. */
export const STATE_NAMES: readonly string[] = [START_EXPORTS_STATE, CHECK_EXPORTS_STATE];

export const ENVIRONMENT = {
  BACKUP_TABLE_ARN: env.string(),
  REPLICA_TABLE_ARN: env.string(),
  SNAPSHOT_BUCKET: env.string(),
  SNAPSHOT_REPLICA_BUCKET: env.string(),
  SNAPSHOT_KMS_KEY_ARN: env.optionalString(),
  SNAPSHOT_REPLICA_KMS_KEY_ARN: env.optionalString(),
  SNAPSHOT_RETENTION_DAYS: env.integer(1),
  SNAPSHOT_LOCK_MODE: env.oneOf('GOVERNANCE', 'COMPLIANCE'),
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (event: TableSnapshotEvent, context?: LambdaContextLike): Promise<TableSnapshotOutput> => {
      const config = parseConfig(ENVIRONMENT, runtime.env);
      return tableSnapshot(event, {
        dynamoDbIn: (region) => dynamoDbClient({ region }),
        logger: handlerLogger(runtime, 'table-snapshot', context),
        now: runtime.now,
        config: {
          primary: {
            tableArn: config.BACKUP_TABLE_ARN,
            bucket: config.SNAPSHOT_BUCKET,
            kmsKeyArn: config.SNAPSHOT_KMS_KEY_ARN,
          },
          replica: {
            tableArn: config.REPLICA_TABLE_ARN,
            bucket: config.SNAPSHOT_REPLICA_BUCKET,
            kmsKeyArn: config.SNAPSHOT_REPLICA_KMS_KEY_ARN,
          },
          retentionDays: config.SNAPSHOT_RETENTION_DAYS,
          lockMode: config.SNAPSHOT_LOCK_MODE,
        },
      });
    },
  );
}

export const handler = createHandler();
