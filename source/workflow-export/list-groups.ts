// SPDX-License-Identifier: Apache-2.0
/** ListGroupsLambda: one page of groups for the groups Map. */
import { cognitoTps, env, parseConfig, type EnvSpec } from '../utils/config';
import type { LambdaContextLike } from '../utils/time-budget';
import { listGroups } from './lib/list-groups';
import {
  defaultRuntime,
  handlerLogger,
  rateLimitedCognito,
  timeBudget,
  type Runtime,
} from '../utils/runtime';
import type { ListGroupsEvent, ListGroupsOutput } from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';

/** The original left COGNITO_TPS unread; the port rate-limits ListGroups with it too. */
export const ENVIRONMENT = { USER_POOL_ID: env.string(), COGNITO_TPS: cognitoTps() } satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (event: ListGroupsEvent | undefined, context?: LambdaContextLike): Promise<ListGroupsOutput> => {
      const config = parseConfig(ENVIRONMENT, runtime.env);
      const logger = handlerLogger(runtime, 'list-groups', context);
      return listGroups(event ?? {}, {
        cognito: rateLimitedCognito(runtime, config.COGNITO_TPS, logger),
        logger,
        budget: timeBudget(runtime, context),
        config: { userPoolId: config.USER_POOL_ID },
      });
    },
  );
}

export const handler = createHandler();
