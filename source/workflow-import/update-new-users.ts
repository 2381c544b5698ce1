// SPDX-License-Identifier: Apache-2.0
/** ImportUpdateNewUsersLambda: memberships and disabled flags into the new pool. */
import { sqsClient } from '../utils/clients';
import { cognitoTps, env, parseConfig, type EnvSpec } from '../utils/config';
import {
  defaultRuntime,
  handlerLogger,
  rateLimitedCognito,
  retryOptions,
  timeBudget,
  type Runtime,
} from '../utils/runtime';
import type { LambdaContextLike } from '../utils/time-budget';
import { holdSecondsFor } from './lib/holds';
import { newUserPoolId, stateName } from './lib/invocation';
import { carriedProgress } from './lib/progress';
import type { UpdateNewUsersEvent, UpdateNewUsersResult, Wrapped } from './lib/types';
import { updateNewUsers } from './lib/update-new-users';
import { scrubErrors } from '../utils/scrub-errors';
import { importBucketWork, withCreatedUserPool } from './lib/create-user-pool';

export const ENVIRONMENT = {
  COGNITO_TPS: cognitoTps(),
  NEW_USERS_UPDATES_QUEUE_URL: env.string(),
  TYPE_USER: env.string(),
  /** Read only when the execution created its pool (CreateUserPool): the work file holds the pool's id. */
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: env.optionalString(),
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (
      received: UpdateNewUsersEvent,
      context?: LambdaContextLike,
    ): Promise<Wrapped<UpdateNewUsersResult>> => {
      // A pool created by this execution (CreateUserPool): its id, as if the input had named it.
      const event = await withCreatedUserPool(received, () => importBucketWork(runtime.env));
      // The original checks the pool id before COGNITO_TPS here.
      const userPoolId = newUserPoolId(event?.Context);
      const name = stateName(event.Context);
      const config = parseConfig(ENVIRONMENT, runtime.env);
      const logger = handlerLogger(runtime, 'update-new-users', context);
      const budget = timeBudget(runtime, context);
      const progress = carriedProgress(event.Input, 'UpdateNewUsers', runtime.now());
      const output = await updateNewUsers(
        { userPoolId, progress },
        {
          cognito: rateLimitedCognito(runtime, config.COGNITO_TPS, logger),
          sqs: sqsClient(),
          logger,
          budget,
          now: runtime.now,
          holdSeconds: holdSecondsFor(context?.getRemainingTimeInMillis()),
          retry: retryOptions(runtime, budget.deadline()),
          config: {
            queueUrl: config.NEW_USERS_UPDATES_QUEUE_URL,
            typeUser: config.TYPE_USER,
            cognitoTps: config.COGNITO_TPS,
          },
        },
      );
      return {
        result: {
          ...event.Input,
          ...(name !== undefined ? { StateName: name } : {}),
          QueueEmpty: output.queueEmpty,
          Progress: output.progress,
        },
      };
    },
  );
}

export const handler = createHandler();
