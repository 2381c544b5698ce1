// SPDX-License-Identifier: Apache-2.0
/** BackupTableCleanupLambda: "Find Items" and "Remove Items" of the export run. */
import { documentClient, sqsClient } from '../utils/clients';
import { env, parseConfig, type EnvSpec } from '../utils/config';
import type { LambdaContextLike } from '../utils/time-budget';
import { backupTableCleanup } from './lib/backup-table-cleanup';
import { defaultRuntime, handlerLogger, retryOptions, timeBudget, type Runtime } from '../utils/runtime';
import {
  FIND_ITEMS_STATE,
  REMOVE_ITEMS_STATE,
  type BackupTableCleanupEvent,
  type BackupTableCleanupOutput,
} from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';

/** The states that run this handler, each dispatched on by name. */
export const STATE_NAMES: readonly string[] = [FIND_ITEMS_STATE, REMOVE_ITEMS_STATE];

export const ENVIRONMENT = {
  BACKUP_TABLE_NAME: env.string(),
  QUEUE_URL: env.string(),
  TYPE_USER: env.string(),
  TYPE_GROUP: env.string(),
  MAX_DELETION_PERCENT: env.percent(),
  MAX_DELETION_COUNT: env.integer(0),
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (
      event: BackupTableCleanupEvent,
      context?: LambdaContextLike,
    ): Promise<BackupTableCleanupOutput> => {
      const config = parseConfig(ENVIRONMENT, runtime.env);
      return backupTableCleanup(event, {
        ddb: documentClient(),
        sqs: sqsClient(),
        logger: handlerLogger(runtime, 'backup-table-cleanup', context),
        budget: timeBudget(runtime, context),
        batchRetry: retryOptions(runtime),
        config: {
          tableName: config.BACKUP_TABLE_NAME,
          queueUrl: config.QUEUE_URL,
          typeUser: config.TYPE_USER,
          typeGroup: config.TYPE_GROUP,
          maxDeletionPercent: config.MAX_DELETION_PERCENT,
          maxDeletionCount: config.MAX_DELETION_COUNT,
        },
      });
    },
  );
}

export const handler = createHandler();
