// SPDX-License-Identifier: Apache-2.0
/**
 * ImportNewUsersLambda and ImportCheckImportJobLambda: one handler, dispatched on the state name.
 * Only the CheckUserImportJob deployment has the metric variables, so they are optional.
 */
import { s3Client, sqsClient } from '../utils/clients';
import { env, METRICS_ENV, parseConfig, type EnvSpec } from '../utils/config';
import { metricsSettings } from '../utils/metrics';
import {
  defaultRuntime,
  handlerLogger,
  rateLimitedCognito,
  retryOptions,
  runtimeSolution,
  timeBudget,
  type Runtime,
} from '../utils/runtime';
import type { LambdaContextLike } from '../utils/time-budget';
import { MIN_REMAINING_MS } from '../utils/constants';
import { checkUserImportJob } from './lib/check-user-import-job';
import { DEFAULT_LIMITS, FINALIZE_RESERVE_MS, importNewUsers } from './lib/import-new-users';
import { holdSecondsFor } from './lib/holds';
import { executionRun, newUserPoolId, optionalCognitoTps, stateName, stepDeadline } from './lib/invocation';
import { carriedProgress } from './lib/progress';
import type { ImportUsersEvent, ImportUsersResult, Wrapped } from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';
import { importBucketWork, withCreatedUserPool } from './lib/create-user-pool';

/** The states that run ImportNewUsersLambda. */
export const IMPORT_NEW_USERS_STATES: readonly string[] = ['ImportNewUsers', 'Parallel: ImportNewUsers'];
/** The state that runs it while the table scan may still queue users (the Parallel state's branch). */
const IMPORT_DURING_SCAN_STATE = 'Parallel: ImportNewUsers';
/** The states that run ImportCheckImportJobLambda. */
export const CHECK_USER_IMPORT_JOB_STATES: readonly string[] = [
  'CheckUserImportJob',
  'Parallel: CheckUserImportJob',
];

/** A minute of AdminCreateUser calls at `COGNITO_TPS`, and never fewer than the default. */
export const maxFallbackUsers = (cognitoTps: number): number =>
  Math.max(DEFAULT_LIMITS.maxFallbackUsers, cognitoTps * 60);

export const ENVIRONMENT = {
  NEW_USERS_QUEUE_URL: env.string(),
  USER_IMPORT_CLOUDWATCH_ROLE_ARN: env.string(),
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: env.string(),
  COGNITO_TPS: optionalCognitoTps(),
  AWS_REGION: env.string(),
  ...METRICS_ENV,
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (received: ImportUsersEvent, context?: LambdaContextLike): Promise<Wrapped<ImportUsersResult>> => {
      // A pool created by this execution (CreateUserPool): its id, as if the input had named it.
      const event = await withCreatedUserPool(received, () => importBucketWork(runtime.env));
      const carried: Record<string, unknown> = { ...event?.Input };
      const userPoolId = newUserPoolId(event?.Context);
      const name = stateName(event.Context);
      if (name !== undefined) carried.StateName = name;
      const config = parseConfig(ENVIRONMENT, runtime.env);
      const logger = handlerLogger(runtime, 'import-users', context);
      const budget = timeBudget(runtime, context);
      const fetchImpl = runtime.fetch ?? fetch;
      const jobConfig = {
        userPoolId,
        region: config.AWS_REGION,
        bucket: config.USER_IMPORT_JOB_MAPPING_FILES_BUCKET,
        cloudWatchLogsRoleArn: config.USER_IMPORT_CLOUDWATCH_ROLE_ARN,
      };

      if (name !== undefined && IMPORT_NEW_USERS_STATES.includes(name)) {
        const progress = carriedProgress(event?.Input, 'ImportNewUsers', runtime.now());
        const { output, progress: next } = await importNewUsers(
          {
            userPoolId,
            execution: executionRun(event?.Context).execution,
            scanEnded: name !== IMPORT_DURING_SCAN_STATE,
            progress,
          },
          {
            cognito: rateLimitedCognito(runtime, config.COGNITO_TPS, logger, budget.deadline()),
            sqs: sqsClient(),
            s3: s3Client(),
            fetch: fetchImpl,
            logger,
            drainBudget: timeBudget(runtime, context, MIN_REMAINING_MS + FINALIZE_RESERVE_MS),
            now: runtime.now,
            holdSeconds: holdSecondsFor(context?.getRemainingTimeInMillis()),
            sleep: runtime.sleep,
            retry: retryOptions(runtime, budget.deadline()),
            config: { ...jobConfig, queueUrl: config.NEW_USERS_QUEUE_URL },
            limits: { maxFallbackUsers: maxFallbackUsers(config.COGNITO_TPS) },
          },
        );
        return { result: { ...carried, ...output, Progress: next } };
      }
      if (name !== undefined && CHECK_USER_IMPORT_JOB_STATES.includes(name)) {
        // ImportCheckImportJobLambda runs for 60 s: its retries may use all but the last seconds.
        const output = await checkUserImportJob(carried.ImportJobId, {
          cognito: rateLimitedCognito(runtime, config.COGNITO_TPS, logger, stepDeadline(runtime, context)),
          logger,
          metrics: metricsSettings(config, runtimeSolution(runtime)),
          fetch: fetchImpl,
          now: runtime.now,
          config: jobConfig,
        });
        // A job that runs or succeeded is the import step's progress (the job may run for hours).
        return {
          result: {
            ...carried,
            ...output,
            Progress: { Step: 'ImportNewUsers', LastProgressTime: runtime.now() },
          },
        };
      }
      throw new Error(`Unknown StateName: ${name ?? ''}`);
    },
  );
}

export const handler = createHandler();
