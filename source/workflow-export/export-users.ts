// SPDX-License-Identifier: Apache-2.0
/** ExportUsersLambda: users to the backup table, page by page. */
import { cognitoTps, env, parseConfig, type EnvSpec } from '../utils/config';
import { defaultRuntime, type Runtime } from '../utils/runtime';
import type { LambdaContextLike } from '../utils/time-budget';
import { exportUsers } from './lib/export-users';
import { pagedExportDeps } from './lib/paged-export-deps';
import type { ExportUsersEvent, ExportUsersOutput } from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';

/** `TABLE_NAME`, not `BACKUP_TABLE_NAME`: the template's name for this function. */
export const ENVIRONMENT = {
  COGNITO_TPS: cognitoTps(),
  USER_POOL_ID: env.string(),
  TABLE_NAME: env.string(),
  TYPE_USER: env.string(),
  AWS_REGION: env.string(),
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (event: ExportUsersEvent | undefined, context?: LambdaContextLike): Promise<ExportUsersOutput> => {
      const config = parseConfig(ENVIRONMENT, runtime.env);
      return exportUsers(event ?? {}, {
        ...pagedExportDeps(runtime, 'export-users', config.COGNITO_TPS, context),
        now: runtime.now,
        config: {
          userPoolId: config.USER_POOL_ID,
          tableName: config.TABLE_NAME,
          typeUser: config.TYPE_USER,
          region: config.AWS_REGION,
        },
      });
    },
  );
}

export const handler = createHandler();
