// SPDX-License-Identifier: Apache-2.0
/** ImportScanTableLambda: backup table → new pool's groups and the two import queues. */
import { documentClient, s3Client, sqsClient } from '../utils/clients';
import { parseConfig } from '../utils/config';
import {
  defaultRuntime,
  handlerLogger,
  rateLimitedCognito,
  retryOptions,
  timeBudget,
  type Runtime,
} from '../utils/runtime';
import type { LambdaContextLike } from '../utils/time-budget';
import { BACKUP_READER_ENV, executionSource } from './lib/environment';
import { executionRun, isResume, newUserPoolId, RESUME_USERS_PART, stepDeadline } from './lib/invocation';
import { PoolIndex, workPrefix } from './lib/pool-index';
import { scanTable } from './lib/scan-table';
import type { ScanTableEvent, ScanTableResult, Wrapped } from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';

export const ENVIRONMENT = BACKUP_READER_ENV;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (event: ScanTableEvent, context?: LambdaContextLike): Promise<Wrapped<ScanTableResult>> => {
      // The original validates COGNITO_TPS before the pool id.
      const config = parseConfig(ENVIRONMENT, runtime.env);
      const userPoolId = newUserPoolId(event?.Context);
      const logger = handlerLogger(runtime, 'scan-table', context);
      const budget = timeBudget(runtime, context);
      // Resume: the users ListNewUserPool found in the new pool are not imported again.
      let present: ((pseudoUsername: string) => boolean) | undefined;
      if (isResume(event?.Context)) {
        const index = await PoolIndex.loadUsers(
          { s3: s3Client(), bucket: config.USER_IMPORT_JOB_MAPPING_FILES_BUCKET },
          workPrefix(userPoolId, executionRun(event?.Context).execution, RESUME_USERS_PART),
        );
        logger.info('Resume: users already in the new pool are not queued again', { poolUsers: index.users });
        present = (pseudoUsername) => index.find(pseudoUsername) !== undefined;
      }
      const input = event?.Input;
      const start = input?.ExportCursor
        ? { ExportCursor: input.ExportCursor }
        : input?.LastEvaluatedKey
          ? { LastEvaluatedKey: input.LastEvaluatedKey }
          : undefined;
      const result = await scanTable(
        { userPoolId, start },
        {
          source: await executionSource(event?.Context, config, {
            ddb: documentClient(),
            s3: s3Client(),
          }),
          sqs: sqsClient(),
          cognito: rateLimitedCognito(runtime, config.COGNITO_TPS, logger, stepDeadline(runtime, context)),
          logger,
          budget,
          retry: retryOptions(runtime),
          config: {
            tableName: config.BACKUP_TABLE_NAME,
            typeUser: config.TYPE_USER,
            typeGroup: config.TYPE_GROUP,
            typeTimestamp: config.TYPE_TIMESTAMP,
            newUsersQueueUrl: config.NEW_USERS_QUEUE_URL,
            updatesQueueUrl: config.NEW_USERS_UPDATES_QUEUE_URL,
            cognitoTps: config.COGNITO_TPS,
          },
          ...(present ? { present } : {}),
        },
      );
      return { result };
    },
  );
}

export const handler = createHandler();
