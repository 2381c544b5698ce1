// SPDX-License-Identifier: Apache-2.0
/** RestoreDrillLambda: the RestoreDrillWorkflow's prepare, cleanup and finish steps, by the task's `Action`. */
import { cloudWatchClient, documentClient, s3Client, sfnClient, snsClient } from '../utils/clients';
import { cognitoTps, env, parseConfig, type EnvSpec } from '../utils/config';
import { putBackupMetrics } from '../utils/backup-metrics';
import { defaultRuntime, handlerLogger, rateLimitedCognito, type Runtime } from '../utils/runtime';
import type { SfnContextObject } from '../utils/step-functions';
import type { LambdaContextLike } from '../utils/time-budget';
import { scrubErrors } from '../utils/scrub-errors';
import { s3Put } from '../utils/table-export-writer';
import {
  deleteScratchPool,
  finishDrill,
  prepareDrill,
  type CleanupResult,
  type DrillConfig,
  type DrillOutcome,
  type FinishInput,
  type PrepareResult,
} from './lib/restore-drill';

export const ENVIRONMENT = {
  IMPORT_WORKFLOW_ARN: env.string(),
  REPAIR_WORKFLOW_ARN: env.string(),
  PRIMARY_REGION: env.string(),
  SOLUTION_TAG: env.string(),
  BACKUP_TABLE_NAME: env.string(),
  TYPE_TIMESTAMP: env.string(),
  NOTIFICATION_TOPIC: env.string(),
  SNS_MESSAGE_PREFERENCE: env.oneOf('INFO_AND_ERRORS', 'ERRORS_ONLY'),
  COGNITO_TPS: cognitoTps(),
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: env.string(),
  RESTORE_DRILL_MAX_USERS: env.integer(1),
  TYPE_USER: env.string(),
  TYPE_GROUP: env.string(),
} satisfies EnvSpec;

export type RestoreDrillEvent =
  | { Action: 'prepare'; Context: SfnContextObject }
  | { Action: 'cleanup'; Input: { Drill: { ImportExecutionName: string } } }
  | { Action: 'finish'; Input: FinishInput };

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (
      event: RestoreDrillEvent,
      context?: LambdaContextLike,
    ): Promise<PrepareResult | CleanupResult | DrillOutcome> => {
      const config = parseConfig(ENVIRONMENT, runtime.env);
      const logger = handlerLogger(runtime, 'restore-drill', context);
      const drill: DrillConfig = {
        importWorkflowArn: config.IMPORT_WORKFLOW_ARN,
        repairWorkflowArn: config.REPAIR_WORKFLOW_ARN,
        primaryRegion: config.PRIMARY_REGION,
        solutionTag: config.SOLUTION_TAG,
        tableName: config.BACKUP_TABLE_NAME,
        typeTimestamp: config.TYPE_TIMESTAMP,
        topicArn: config.NOTIFICATION_TOPIC,
        snsPreference: config.SNS_MESSAGE_PREFERENCE,
        cognitoTps: config.COGNITO_TPS,
        maxUsers: config.RESTORE_DRILL_MAX_USERS,
        typeUser: config.TYPE_USER,
        typeGroup: config.TYPE_GROUP,
        importBucket: config.USER_IMPORT_JOB_MAPPING_FILES_BUCKET,
      };
      switch (event.Action) {
        case 'prepare':
          return prepareDrill(
            {
              executionName:
                event.Context.Execution.Name ?? event.Context.Execution.Id.split(':').pop() ?? '',
              stateMachineArn: event.Context.StateMachine.Id,
            },
            {
              sfn: sfnClient(),
              primarySfn: sfnClient({ region: config.PRIMARY_REGION }),
              sns: snsClient(),
              ddb: documentClient(),
              put: s3Put(s3Client(), config.USER_IMPORT_JOB_MAPPING_FILES_BUCKET),
              logger,
              now: runtime.now,
              config: drill,
            },
          );
        case 'cleanup':
          return deleteScratchPool(event.Input.Drill.ImportExecutionName, {
            cognito: rateLimitedCognito(runtime, config.COGNITO_TPS, logger),
            work: { s3: s3Client(), bucket: config.USER_IMPORT_JOB_MAPPING_FILES_BUCKET },
            logger,
          });
        case 'finish':
          return finishDrill(event.Input, {
            sfn: sfnClient(),
            sns: snsClient(),
            ddb: documentClient(),
            logger,
            now: runtime.now,
            config: drill,
            putMetrics: (values) =>
              putBackupMetrics(values, {
                cloudwatch: cloudWatchClient(),
                logger,
                now: runtime.now,
                tableName: config.BACKUP_TABLE_NAME,
              }),
          });
        default:
          throw new Error('RestoreDrillLambda: unknown Action');
      }
    },
  );
}

export const handler = createHandler();
