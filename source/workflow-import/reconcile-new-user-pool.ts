/**
 * ImportReconcileLambda: the last step of the ImportWorkflow. Compares the backup table with the new
 * user pool, applies the memberships and disabled flags that are missing, writes the restore report and
 * says whether the restore is complete (lib/reconcile.ts). Runs as a loop of the state machine: each
 * invocation returns the cursor the next one continues from.
 */
import { documentClient, s3Client } from '../utils/clients';
import { cognitoTps, env, parseConfig, type EnvSpec } from '../utils/config';
import {
  defaultRuntime,
  handlerLogger,
  rateLimitedCognito,
  timeBudget,
  type Runtime,
} from '../utils/runtime';
import type { SfnContextObject } from '../utils/step-functions';
import type { LambdaContextLike } from '../utils/time-budget';
import { newUserPoolId } from './lib/invocation';
import { reconcile, type ReconcileCursor, type ReconcileOutput, type RunId } from './lib/reconcile';
import type { ImportEvent, Wrapped } from './lib/types';

export const ENVIRONMENT = {
  COGNITO_TPS: cognitoTps(),
  BACKUP_TABLE_NAME: env.string(),
  TYPE_USER: env.string(),
  TYPE_GROUP: env.string(),
  TYPE_TIMESTAMP: env.string(),
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: env.string(),
} satisfies EnvSpec;

export type ReconcileEvent = ImportEvent<{ Reconcile?: ReconcileCursor } & Record<string, unknown>>;

/** The execution's name (work objects) and start time (report name). */
export function runId(context: SfnContextObject | undefined): RunId {
  const execution = context?.Execution;
  const name = execution?.Name ?? execution?.Id?.split(':').pop() ?? '';
  if (name === '' || !execution?.StartTime)
    throw new Error('Unable to determine the execution name and start time');
  return { execution: name, startTime: execution.StartTime };
}

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return async (event: ReconcileEvent, context?: LambdaContextLike): Promise<Wrapped<ReconcileOutput>> => {
    const config = parseConfig(ENVIRONMENT, runtime.env);
    const userPoolId = newUserPoolId(event?.Context);
    const run = runId(event?.Context);
    const logger = handlerLogger(runtime, 'reconcile-new-user-pool', context);
    const budget = timeBudget(runtime, context);
    const result = await reconcile(
      {
        cognito: rateLimitedCognito(runtime, config.COGNITO_TPS, logger, budget.deadline()),
        ddb: documentClient(),
        work: { s3: s3Client(), bucket: config.USER_IMPORT_JOB_MAPPING_FILES_BUCKET },
        logger,
        budget,
        config: {
          bucket: config.USER_IMPORT_JOB_MAPPING_FILES_BUCKET,
          tableName: config.BACKUP_TABLE_NAME,
          typeUser: config.TYPE_USER,
          typeGroup: config.TYPE_GROUP,
          typeTimestamp: config.TYPE_TIMESTAMP,
          cognitoTps: config.COGNITO_TPS,
        },
      },
      userPoolId,
      run,
      event?.Input?.Reconcile,
    );
    return { result };
  };
}

export const handler = createHandler();
