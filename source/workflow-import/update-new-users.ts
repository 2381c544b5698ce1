// SPDX-License-Identifier: Apache-2.0
/**
 * ImportUpdateNewUsersLambda: memberships and disabled flags into the new pool; in the
 * `Parallel: UpdateNewUsers` state, beside the import, for the users it has already created.
 */
import { s3Client, sqsClient } from '../utils/clients';
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
import { readImportProgress, type ImportProgressReading } from './lib/import-progress';
import { executionRun, newUserPoolId, stateName } from './lib/invocation';
import { carriedProgress } from './lib/progress';
import type { UpdateNewUsersEvent, UpdateNewUsersResult, Wrapped } from './lib/types';
import { updateNewUsers } from './lib/update-new-users';
import { scrubErrors } from '../utils/scrub-errors';
import { importBucketWork, withCreatedUserPool } from './lib/create-user-pool';

export const ENVIRONMENT = {
  COGNITO_TPS: cognitoTps(),
  NEW_USERS_UPDATES_QUEUE_URL: env.string(),
  TYPE_USER: env.string(),
  /**
   * Added: the work files of the execution: where the import records what it has done (read beside the
   * import only), and the id of a pool the execution created (CreateUserPool).
   */
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: env.optionalString(),
} satisfies EnvSpec;

/** The state that runs beside the import, after the table scan. */
export const UPDATE_BESIDE_IMPORT_STATE = 'Parallel: UpdateNewUsers';

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
      const besideImport = name === UPDATE_BESIDE_IMPORT_STATE ? besideImportOf(event, config) : undefined;
      const output = await updateNewUsers(
        { userPoolId, progress, ...(besideImport ? { besideImport } : {}) },
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
          ...(name === UPDATE_BESIDE_IMPORT_STATE ? { UpdatesCaughtUp: output.caughtUp ?? true } : {}),
        },
      };
    },
  );
}

/**
 * The reader of the execution's import progress; without the bucket (a deployment of an earlier
 * template) the branch beside the import ends at once and the loop after the import does the work.
 */
function besideImportOf(
  event: UpdateNewUsersEvent,
  config: { USER_IMPORT_JOB_MAPPING_FILES_BUCKET?: string | undefined },
): { read: () => Promise<ImportProgressReading> } {
  const bucket = config.USER_IMPORT_JOB_MAPPING_FILES_BUCKET;
  const store =
    bucket === undefined
      ? undefined
      : {
          s3: s3Client(),
          bucket,
          userPoolId: newUserPoolId(event.Context),
          execution: executionRun(event.Context).execution,
        };
  let last: ImportProgressReading | undefined;
  return {
    read: async () => {
      if (store === undefined) return { ended: true, ready: new Set(), read: new Set() };
      last = await readImportProgress(store, last);
      return last;
    },
  };
}

export const handler = createHandler();
