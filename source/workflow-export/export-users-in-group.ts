// SPDX-License-Identifier: Apache-2.0
/**
 * ExportUsersInGroupLambda: the memberships of a page of groups (listing the next page of groups ahead),
 * or of one group of an older execution.
 */
import { cognitoTps, env, parseConfig, type EnvSpec } from '../utils/config';
import { defaultRuntime, type Runtime } from '../utils/runtime';
import type { LambdaContextLike } from '../utils/time-budget';
import { exportGroupsMemberships, exportUsersInGroup } from './lib/export-users-in-group';
import { pagedExportDeps } from './lib/paged-export-deps';
import type {
  ExportUsersInGroupEvent,
  ExportUsersInGroupOutput,
  GroupsPageEvent,
  GroupsPageOutput,
} from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';

export const ENVIRONMENT = {
  COGNITO_TPS: cognitoTps(),
  USER_POOL_ID: env.string(),
  BACKUP_TABLE_NAME: env.string(),
  /** Added: the group items of the ListGroups page listed ahead. */
  TYPE_GROUP: env.string(),
  AWS_REGION: env.string(),
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (
      event: (ExportUsersInGroupEvent & GroupsPageEvent) | undefined,
      context?: LambdaContextLike,
    ): Promise<ExportUsersInGroupOutput | GroupsPageOutput> => {
      const config = parseConfig(ENVIRONMENT, runtime.env);
      const deps = {
        ...pagedExportDeps(runtime, 'export-users-in-group', config.COGNITO_TPS, context),
        config: {
          userPoolId: config.USER_POOL_ID,
          tableName: config.BACKUP_TABLE_NAME,
          region: config.AWS_REGION,
        },
      };
      // A page of groups carries `groupsToExport`; a single group (an execution started before 2.0) does not.
      return typeof event?.groupsToExport === 'string'
        ? exportGroupsMemberships(event, { ...deps, groupItems: { typeGroup: config.TYPE_GROUP } })
        : exportUsersInGroup(event ?? {}, deps);
    },
  );
}

export const handler = createHandler();
