/** ExportUsersInGroupLambda: one group's memberships, page by page (spec §4.5). */
import { documentClient } from '../utils/clients';
import { cognitoTps, env, parseConfig, type EnvSpec } from '../utils/config';
import type { LambdaContextLike } from '../utils/time-budget';
import { exportUsersInGroup } from './lib/export-users-in-group';
import {
  batchRetry,
  defaultRuntime,
  handlerLogger,
  rateLimitedCognito,
  timeBudget,
  type Runtime,
} from './lib/runtime';
import type { ExportUsersInGroupEvent, ExportUsersInGroupOutput } from './lib/types';

export const ENVIRONMENT = {
  COGNITO_TPS: cognitoTps(),
  USER_POOL_ID: env.string(),
  BACKUP_TABLE_NAME: env.string(),
  AWS_REGION: env.string(),
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return async (
    event: ExportUsersInGroupEvent | undefined,
    context?: LambdaContextLike,
  ): Promise<ExportUsersInGroupOutput> => {
    const config = parseConfig(ENVIRONMENT, runtime.env);
    const logger = handlerLogger(runtime, 'export-users-in-group', context);
    return exportUsersInGroup(event ?? {}, {
      cognito: rateLimitedCognito(runtime, config.COGNITO_TPS, logger),
      ddb: documentClient(),
      logger,
      budget: timeBudget(runtime, context),
      batchRetry: batchRetry(runtime),
      config: {
        userPoolId: config.USER_POOL_ID,
        tableName: config.BACKUP_TABLE_NAME,
        region: config.AWS_REGION,
      },
    });
  };
}

export const handler = createHandler();
