// SPDX-License-Identifier: Apache-2.0
/**
 * ImportReconcileNewUserPoolLambda, dispatched on the state name:
 * - PrepareRecoveryPoint (first step of every import): the recovery point the execution input names
 *   (`AsOf`, `Snapshot`, or neither for the live table); `AsOf` is checked against the table's
 *   point-in-time recovery window and its export started (lib/recovery-point-step.ts).
 * - CheckRecoveryPoint: until the export is finished and every file of it checked; nothing is written
 *   to the new pool before it says ready.
 * - ReconcileNewUserPool, the last step of the ImportWorkflow: compares the backup table with the new
 *   user pool, applies the memberships and disabled flags that are missing, writes the restore report
 *   and says whether the restore is complete (lib/reconcile-new-user-pool.ts). A loop of the state machine: each
 *   invocation returns the cursor the next one continues from.
 * - PurgeImportQueues (first step of every import): with `"Resume": true` in the execution input, empties
 *   both import queues of what an interrupted run left (the scan queues again whatever is still
 *   missing); otherwise does nothing.
 * - ListNewUserPool (Resume only): lists the users already in the new pool, so that the table scan
 *   does not queue them again.
 */
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { documentClient, dynamoDbClient, s3Client, sqsClient } from '../utils/clients';
import { env, parseConfig, type EnvSpec } from '../utils/config';
import {
  defaultRuntime,
  handlerLogger,
  rateLimitedCognito,
  timeBudget,
  type Runtime,
} from '../utils/runtime';
import type { LambdaContextLike } from '../utils/time-budget';
import { BACKUP_READER_ENV, executionSource } from './lib/environment';
import { executionRun, isResume, newUserPoolId, RESUME_USERS_PART, stateName } from './lib/invocation';
import { listUsersStep, newUsersCursor, workPrefix, type UsersCursor } from './lib/pool-index';
import { reconcile, type ReconcileCursor, type ReconcileOutput } from './lib/reconcile-new-user-pool';
import type { ImportEvent, Wrapped } from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';
import { recoveryPointRequest, requestInput } from '../utils/recovery-point';
import { type RecoveryPointState, runRecoveryPointStep } from './lib/recovery-point-step';
import { importBucketWork, withCreatedUserPool } from './lib/create-user-pool';
import { createUserPoolInput } from './lib/create-plan';

export const ENVIRONMENT = {
  ...BACKUP_READER_ENV,
  /** The backup table's ARN: an `AsOf` restore exports it (ExportTableToPointInTime takes the ARN). */
  BACKUP_TABLE_ARN: env.optionalString(),
  /** The stack's customer managed key, which encrypts a point-in-time export; absent: SSE-S3. */
  KMS_KEY_ARN: env.optionalString(),
} satisfies EnvSpec;

const PURGE_STATE = 'PurgeImportQueues';
const LIST_STATE = 'ListNewUserPool';
const RECONCILE_STATE = 'ReconcileNewUserPool';
const PREPARE_STATE = 'PrepareRecoveryPoint';
const CHECK_STATE = 'CheckRecoveryPoint';
/** The states that run this handler, each dispatched on by name. */
export const STATE_NAMES: readonly string[] = [
  PREPARE_STATE,
  CHECK_STATE,
  PURGE_STATE,
  LIST_STATE,
  RECONCILE_STATE,
];

export type ReconcileEvent = ImportEvent<
  { Reconcile?: ReconcileCursor; ResumeListing?: UsersCursor } & Partial<RecoveryPointState> &
    Record<string, unknown>
>;

export type ResumeListingOutput = { ResumeListingDone: boolean; ResumeListing: UsersCursor };
export type PurgeOutput = { Resume: boolean };
export type HandlerOutput = ReconcileOutput | ResumeListingOutput | PurgeOutput | RecoveryPointState;

/**
 * The execution input's `DropAttributes` (attribute names restored knowingly without): the names that
 * are strings; absent or not a list, none.
 */
export function dropAttributesOf(context: ReconcileEvent['Context']): string[] {
  const raw = (context?.Execution?.Input as { DropAttributes?: unknown } | undefined)?.DropAttributes;
  return Array.isArray(raw) ? raw.filter((name): name is string => typeof name === 'string') : [];
}

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (received: ReconcileEvent, context?: LambdaContextLike): Promise<Wrapped<HandlerOutput>> => {
      // A restore into a pool it creates has nothing to purge, and the pool does not exist yet.
      if (
        stateName(received?.Context) === PURGE_STATE &&
        createUserPoolInput(received?.Context) !== undefined
      )
        return { result: { Resume: false } };
      const config = parseConfig(ENVIRONMENT, runtime.env);
      const run = executionRun(received?.Context);
      const name = stateName(received?.Context);
      const logger = handlerLogger(runtime, 'reconcile-new-user-pool', context);
      const budget = timeBudget(runtime, context);

      // The recovery point is ready before the target pool is checked or created: these states need no pool.
      if (name === PREPARE_STATE || name === CHECK_STATE) {
        const event = received;
        const state = await runRecoveryPointStep(
          {
            prepare: name === PREPARE_STATE,
            request: recoveryPointRequest(event?.Context?.Execution?.Input),
            input: event?.Input,
          },
          config,
          {
            ddb: dynamoDbClient(),
            s3: s3Client(),
            logger,
            execution: { name: run.execution, id: event?.Context?.Execution?.Id ?? run.execution },
            now: () => runtime.now(),
            hasTime: () => budget.hasTime(),
            keepConfiguration: true,
          },
        );
        return { result: state };
      }
      // A pool created by this execution (CreateUserPool): its id, as if the input had named it.
      const event = await withCreatedUserPool(received, () => importBucketWork(runtime.env));
      const userPoolId = newUserPoolId(event?.Context);
      const resume = isResume(event?.Context);
      const work = { s3: s3Client(), bucket: config.USER_IMPORT_JOB_MAPPING_FILES_BUCKET };
      const cognito = () => rateLimitedCognito(runtime, config.COGNITO_TPS, logger, budget.deadline());
      if (name === PURGE_STATE) {
        if (resume) {
          const sqs = sqsClient();
          for (const queueUrl of [config.NEW_USERS_QUEUE_URL, config.NEW_USERS_UPDATES_QUEUE_URL]) {
            await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
          }
          logger.info('Resume: purged the import queues of what an earlier run left', { userPoolId });
        }
        return { result: { Resume: resume } };
      }
      if (name === LIST_STATE) {
        const cursor = await listUsersStep(
          { cognito: cognito(), work, budget },
          userPoolId,
          workPrefix(userPoolId, run.execution, RESUME_USERS_PART),
          event?.Input?.ResumeListing ?? newUsersCursor(),
        );
        logger.info('Resume: listing the users already in the new pool', {
          chunks: cursor.Chunks,
          done: cursor.Done,
        });
        return { result: { ResumeListingDone: cursor.Done, ResumeListing: cursor } };
      }
      if (name !== RECONCILE_STATE) throw new Error(`Unknown StateName: ${name ?? ''}`);
      const result = await reconcile(
        {
          userPoolId,
          run,
          start: event?.Input?.Reconcile,
          dropAttributes: dropAttributesOf(event?.Context),
          recoveryPoint: requestInput(recoveryPointRequest(event?.Context?.Execution?.Input)),
        },
        {
          cognito: cognito(),
          source: await executionSource(event?.Context, config, {
            ddb: documentClient(),
            s3: s3Client(),
            retry: { deadline: budget.deadline() },
          }),
          work,
          logger,
          budget,
          config: {
            tableName: config.BACKUP_TABLE_NAME,
            typeUser: config.TYPE_USER,
            typeGroup: config.TYPE_GROUP,
            typeTimestamp: config.TYPE_TIMESTAMP,
            cognitoTps: config.COGNITO_TPS,
          },
        },
      );
      return { result };
    },
  );
}

export const handler = createHandler();
