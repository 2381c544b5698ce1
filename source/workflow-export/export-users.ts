/** ExportUsersLambda: users to the backup table, page by page (spec §4.2). */
import { documentClient } from '../utils/clients';
import { cognitoTps, env, parseConfig, type EnvSpec } from '../utils/config';
import type { LambdaContextLike } from '../utils/time-budget';
import { exportUsers } from './lib/export-users';
import {
  batchRetry,
  defaultRuntime,
  handlerLogger,
  rateLimitedCognito,
  timeBudget,
  type Runtime,
} from './lib/runtime';
import type { ExportUsersEvent, ExportUsersOutput } from './lib/types';

/** `TABLE_NAME`, not `BACKUP_TABLE_NAME`: the template's name for this function (spec §4.2). */
export const ENVIRONMENT = {
  COGNITO_TPS: cognitoTps(),
  USER_POOL_ID: env.string(),
  TABLE_NAME: env.string(),
  TYPE_USER: env.string(),
  AWS_REGION: env.string(),
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return async (
    event: ExportUsersEvent | undefined,
    context?: LambdaContextLike,
  ): Promise<ExportUsersOutput> => {
    const config = parseConfig(ENVIRONMENT, runtime.env);
    const logger = handlerLogger(runtime, 'export-users', context);
    return exportUsers(event ?? {}, {
      cognito: rateLimitedCognito(runtime, config.COGNITO_TPS, logger),
      ddb: documentClient(),
      logger,
      budget: timeBudget(runtime, context),
      now: runtime.now,
      batchRetry: batchRetry(runtime),
      config: {
        userPoolId: config.USER_POOL_ID,
        tableName: config.TABLE_NAME,
        typeUser: config.TYPE_USER,
        region: config.AWS_REGION,
      },
    });
  };
}

export const handler = createHandler();
