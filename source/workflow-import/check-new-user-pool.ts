// SPDX-License-Identifier: Apache-2.0
/**
 * ImportCheckNewUserPoolLambda: the new user pool is a restore target (not the backed-up pool, a pool id
 * of this Region), has no users and no groups, and its configuration holds the backed-up users without
 * loss (custom attributes, username attributes, required attributes; `DropAttributes` in the execution
 * input waives named custom attributes). With `"Resume": true` in the execution input a pool that holds
 * part of a restore is accepted: the answer carries `Resume`, which the state machine tests first.
 * With `CreateUserPool` instead of `NewUserPoolId` it first creates the pool from the backup's
 * configuration item (`lib/create-user-pool.ts`); the checks then run on the new pool as on any other.
 */
import { documentClient, s3Client } from '../utils/clients';
import { env, parseConfig, type EnvSpec } from '../utils/config';
import {
  defaultRuntime,
  handlerLogger,
  rateLimitedCognito,
  timeBudget,
  type Runtime,
} from '../utils/runtime';
import type { LambdaContextLike } from '../utils/time-budget';
import { checkRestoreTarget, checkTargetPool, isNewUserPoolEmpty } from './lib/check-new-user-pool';
import { dropAttributes } from './lib/target-check';
import { executionRun, isResume, newUserPoolId, optionalCognitoTps, stepDeadline } from './lib/invocation';
import { createUserPoolInput } from './lib/create-plan';
import { besideReportKey, createUserPoolFromBackup } from './lib/create-user-pool';
import { putChunk } from './lib/pool-index';
import { PoolConfigurationItemError } from '../utils/pool-configuration-item';
import type { RecoveryPointSource } from '../utils/recovery-point';
import type { Logger } from '../utils/logger';
import type { CheckNewUserPoolEvent, CheckNewUserPoolResult, Wrapped } from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';
import { executionSource } from './lib/environment';

export const ENVIRONMENT = {
  COGNITO_TPS: optionalCognitoTps(),
  /** The backed-up pool, which is never a restore target. */
  PRIMARY_USER_POOL_ID: env.string(),
  /** Set by the Lambda runtime: a new user pool id must be of this Region. */
  AWS_REGION: env.string(),
  /** The backup table, whose user items the target check reads. */
  BACKUP_TABLE_NAME: env.string(),
  TYPE_USER: env.string(),
  /** The configuration item's type (CreateUserPool and the target check read it). */
  TYPE_TIMESTAMP: env.string(),
  /**
   * Where the creation of a pool records its progress and writes its summary and template, and where an `AsOf`
   * restore's point-in-time export is.
   */
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: env.string(),
  /** The bucket of kept snapshots (`Snapshot` restores); absent when the stack keeps none. */
  SNAPSHOT_BUCKET: env.optionalString(),
} satisfies EnvSpec;

/**
 * Time kept free at the end of the 60-second invocation when the target check reads the backup's users:
 * the answer and the refusal need a few seconds, and a page under way must end.
 */
export const TARGET_CHECK_RESERVE_MS = 20_000;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (
      event: CheckNewUserPoolEvent,
      context?: LambdaContextLike,
    ): Promise<Wrapped<CheckNewUserPoolResult>> => {
      const create = createUserPoolInput(event?.Context);
      let userPoolId = create === undefined ? newUserPoolId(event?.Context) : '';
      const resume = isResume(event?.Context);
      const drop = dropAttributes(event?.Context);
      const config = parseConfig(ENVIRONMENT, runtime.env);
      const logger = handlerLogger(runtime, 'check-new-user-pool', context);
      // A 60-second Lambda: its retries may use all but the last seconds.
      const cognito = rateLimitedCognito(runtime, config.COGNITO_TPS, logger, stepDeadline(runtime, context));
      const work = { s3: s3Client(), bucket: config.USER_IMPORT_JOB_MAPPING_FILES_BUCKET };
      const ddb = documentClient();
      const budget = timeBudget(runtime, context, TARGET_CHECK_RESERVE_MS);
      const hasTime = () => budget.hasTime();
      // The recovery point (the live table, or the export of AsOf or Snapshot) holds the configuration
      // item too: a pool is created and checked as it was at that point.
      // Opened when first needed: a target refused at once reads nothing.
      let opened: Promise<RecoveryPointSource> | undefined;
      const source = () => (opened ??= executionSource(event?.Context, config, { ddb, s3: s3Client() }));
      if (create !== undefined) {
        const created = await createUserPoolFromBackup(create, executionRun(event?.Context), {
          cognito,
          work,
          logger,
          recorded: async () => (await source()).poolConfiguration(config.TYPE_TIMESTAMP),
          region: config.AWS_REGION,
        });
        userPoolId = created.userPoolId;
      }
      checkRestoreTarget(userPoolId, {
        region: config.AWS_REGION,
        sourceUserPoolId: config.PRIMARY_USER_POOL_ID,
      });
      const empty = await isNewUserPoolEmpty(userPoolId, { cognito, logger });
      if (resume) logger.info('Resume: the new user pool may hold part of the restore', { empty });
      // A pool that is refused as not empty needs no further check.
      if (empty || resume) {
        const recovery = await source();
        const recorded = await recordedConfiguration(recovery, config.TYPE_TIMESTAMP, logger);
        const verdict = await checkTargetPool(userPoolId, drop, {
          cognito,
          logger,
          scan: {
            ddb,
            tableName: config.BACKUP_TABLE_NAME,
            typeUser: config.TYPE_USER,
            hasTime,
            source: recovery,
          },
          ...(recorded !== undefined ? { recorded } : {}),
        });
        // Beside the restore report: what differs from the backed-up pool without losing data.
        if (verdict.warnings.length > 0 || verdict.dropped.length > 0) {
          const { startTime } = executionRun(event?.Context);
          await putChunk(work, besideReportKey(userPoolId, startTime, 'target-check.json'), {
            Warnings: verdict.warnings,
            Dropped: verdict.dropped,
          });
        }
      }
      return { result: { NewUserPoolEmpty: empty, Resume: resume } };
    },
  );
}

/**
 * The backup's configuration item, or undefined without one (a backup of v1.0.10). One that cannot be
 * read does not stop a restore into a pool the operator made: the users' check still runs.
 */
async function recordedConfiguration(
  source: RecoveryPointSource,
  typeTimestamp: string,
  logger: Logger,
): Promise<{ UserPool?: Record<string, unknown> } | undefined> {
  try {
    return (await source.poolConfiguration(typeTimestamp)) as
      { UserPool?: Record<string, unknown> } | undefined;
  } catch (error) {
    if (!(error instanceof PoolConfigurationItemError)) throw error;
    logger.warn('Target check: the configuration item cannot be read; only the users are checked', {
      error: error.message,
    });
    return undefined;
  }
}

export const handler = createHandler();
