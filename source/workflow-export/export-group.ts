// SPDX-License-Identifier: Apache-2.0
/** ExportGroupLambda: the group items of a ListGroups page, or one group of an older execution's Map. */
import { documentClient } from '../utils/clients';
import { env, parseConfig, type EnvSpec } from '../utils/config';
import type { LambdaContextLike } from '../utils/time-budget';
import { exportGroup, exportGroupsPage } from './lib/export-group';
import { defaultRuntime, handlerLogger, type Runtime } from '../utils/runtime';
import type { ExportGroupEvent, ExportGroupOutput, GroupsPageEvent, GroupsPageOutput } from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';

/** The template also sets SOLUTION_INSTANCE_ID, which neither the original nor the port reads. */
export const ENVIRONMENT = {
  BACKUP_TABLE_NAME: env.string(),
  TYPE_GROUP: env.string(),
  AWS_REGION: env.string(),
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (
      event: (ExportGroupEvent & GroupsPageEvent) | undefined,
      context?: LambdaContextLike,
    ): Promise<ExportGroupOutput | GroupsPageOutput> => {
      const config = parseConfig(ENVIRONMENT, runtime.env);
      // The factory caches the client, so warm invocations reuse its connections.
      const deps = {
        ddb: documentClient(),
        logger: handlerLogger(runtime, 'export-group', context),
        config: {
          tableName: config.BACKUP_TABLE_NAME,
          typeGroup: config.TYPE_GROUP,
          region: config.AWS_REGION,
        },
      };
      return Array.isArray(event?.Groups) ? exportGroupsPage(event, deps) : exportGroup(event ?? {}, deps);
    },
  );
}

export const handler = createHandler();
