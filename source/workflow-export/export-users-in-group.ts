/** ExportUsersInGroupLambda: one group's memberships, page by page (spec §4.5). */
import { cognitoTps, env, parseConfig, type EnvSpec } from '../utils/config';
import { defaultRuntime, type Runtime } from '../utils/runtime';
import type { LambdaContextLike } from '../utils/time-budget';
import { exportUsersInGroup } from './lib/export-users-in-group';
import { pagedExportDeps } from './lib/paged-export';
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
    return exportUsersInGroup(event ?? {}, {
      ...pagedExportDeps(runtime, 'export-users-in-group', config.COGNITO_TPS, context),
      config: {
        userPoolId: config.USER_POOL_ID,
        tableName: config.BACKUP_TABLE_NAME,
        region: config.AWS_REGION,
      },
    });
  };
}

export const handler = createHandler();
