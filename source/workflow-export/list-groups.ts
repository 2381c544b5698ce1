// SPDX-License-Identifier: Apache-2.0
/**
 * ListGroupsLambda: one page of groups. The ExportWorkflow wraps its input (`{ Input, Context }`) and
 * gets `{ result }` with the page's group items written and only their names handed on; an execution
 * started before 2.0 (the groups Map) sends the flat event and gets the page's groups.
 */
import { documentClient } from '../utils/clients';
import { cognitoTps, env, parseConfig, type EnvSpec } from '../utils/config';
import type { LambdaContextLike } from '../utils/time-budget';
import { listAndExportGroupsPage, listGroups } from './lib/list-groups';
import {
  defaultRuntime,
  handlerLogger,
  rateLimitedCognito,
  timeBudget,
  type Runtime,
} from '../utils/runtime';
import type { GroupsPageOutput, ListGroupsEvent, ListGroupsOutput } from './lib/types';
import type { WrappedEvent, WrappedResult } from '../utils/step-functions';
import { scrubErrors } from '../utils/scrub-errors';

/** The original left COGNITO_TPS unread; the port rate-limits ListGroups with it too. */
export const ENVIRONMENT = {
  USER_POOL_ID: env.string(),
  COGNITO_TPS: cognitoTps(),
  BACKUP_TABLE_NAME: env.string(),
  TYPE_GROUP: env.string(),
  AWS_REGION: env.string(),
} satisfies EnvSpec;

type ListGroupsHandlerEvent = ListGroupsEvent | WrappedEvent<ListGroupsEvent | undefined> | undefined;

const isWrapped = (event: ListGroupsHandlerEvent): event is WrappedEvent<ListGroupsEvent | undefined> =>
  typeof event === 'object' && event !== null && 'Input' in event;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (
      event: ListGroupsHandlerEvent,
      context?: LambdaContextLike,
    ): Promise<ListGroupsOutput | WrappedResult<GroupsPageOutput>> => {
      const config = parseConfig(ENVIRONMENT, runtime.env);
      const logger = handlerLogger(runtime, 'list-groups', context);
      const deps = {
        cognito: rateLimitedCognito(runtime, config.COGNITO_TPS, logger),
        logger,
        budget: timeBudget(runtime, context),
        config: { userPoolId: config.USER_POOL_ID },
      };
      if (!isWrapped(event)) return listGroups(event ?? {}, deps);
      const result = await listAndExportGroupsPage(event.Input ?? {}, {
        ...deps,
        // The factory caches the client, so warm invocations reuse its connections.
        ddb: documentClient(),
        tables: {
          tableName: config.BACKUP_TABLE_NAME,
          typeGroup: config.TYPE_GROUP,
          region: config.AWS_REGION,
        },
      });
      return { result };
    },
  );
}

export const handler = createHandler();
