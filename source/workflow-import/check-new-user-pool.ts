// SPDX-License-Identifier: Apache-2.0
/**
 * ImportCheckNewUserPoolLambda: the new user pool is a restore target (not the backed-up pool, a pool id
 * of this Region), has no users and no groups, and its configuration holds the backed-up users without
 * loss (custom attributes, username attributes, required attributes; `DropAttributes` in the execution
 * input waives named custom attributes). With `"Resume": true` in the execution input a pool that holds
 * part of a restore is accepted: the answer carries `Resume`, which the state machine tests first.
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
import { isResume, newUserPoolId, optionalCognitoTps, stepDeadline } from './lib/invocation';
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
  /** Where an `AsOf` restore's point-in-time export is (absent: only the live table can be checked). */
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: env.optionalString(),
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
      const userPoolId = newUserPoolId(event?.Context);
      const resume = isResume(event?.Context);
      const drop = dropAttributes(event?.Context);
      const config = parseConfig(ENVIRONMENT, runtime.env);
      checkRestoreTarget(userPoolId, {
        region: config.AWS_REGION,
        sourceUserPoolId: config.PRIMARY_USER_POOL_ID,
      });
      const logger = handlerLogger(runtime, 'check-new-user-pool', context);
      // A 60-second Lambda: its retries may use all but the last seconds.
      const cognito = rateLimitedCognito(runtime, config.COGNITO_TPS, logger, stepDeadline(runtime, context));
      const empty = await isNewUserPoolEmpty(userPoolId, { cognito, logger });
      if (resume) logger.info('Resume: the new user pool may hold part of the restore', { empty });
      // A pool that is refused as not empty needs no further check.
      if (empty || resume) {
        const budget = timeBudget(runtime, context, TARGET_CHECK_RESERVE_MS);
        const ddb = documentClient();
        const source = await executionSource(
          event?.Context,
          {
            ...config,
            USER_IMPORT_JOB_MAPPING_FILES_BUCKET: config.USER_IMPORT_JOB_MAPPING_FILES_BUCKET ?? '',
          },
          { ddb, s3: s3Client() },
        );
        await checkTargetPool(userPoolId, drop, {
          cognito,
          logger,
          scan: {
            ddb,
            tableName: config.BACKUP_TABLE_NAME,
            typeUser: config.TYPE_USER,
            hasTime: () => budget.hasTime(),
            source,
          },
        });
      }
      return { result: { NewUserPoolEmpty: empty, Resume: resume } };
    },
  );
}

export const handler = createHandler();
