// SPDX-License-Identifier: Apache-2.0
/**
 * Task of SecondaryUserPoolTableStepFunctions (raw event): waits for the backup table's
 * replica in SECONDARY_REGION to be ACTIVE and answers CloudFormation with its stream ARN.
 */
import { dynamoDbClient } from '../utils/clients';
import { env, parseConfig, type ConfigOf, type EnvSpec } from '../utils/config';
import { sendCfnResponse, type CustomResourceContext } from '../utils/custom-resource';
import { defaultRuntime, timeBudget, type Runtime } from '../utils/runtime';
import type { LambdaContextLike } from '../utils/time-budget';
import { waitForReplica } from './lib/global-table-checker';
import { failedResponse } from './lib/properties';
import { requestScope } from './lib/request-scope';
import type { GlobalTableCheckerEvent, GlobalTableCheckerOutput } from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';

export const ENVIRONMENT = {
  USER_POOL_TABLE: env.string(),
  SECONDARY_REGION: env.string(),
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (
      event: GlobalTableCheckerEvent,
      context: LambdaContextLike & CustomResourceContext,
    ): Promise<GlobalTableCheckerOutput> => {
      const { logger, responder } = requestScope(runtime, 'global-table-checker');
      let config: ConfigOf<typeof ENVIRONMENT>;
      try {
        config = parseConfig(ENVIRONMENT, runtime.env);
      } catch (error) {
        // CloudFormation would otherwise wait for an answer until its timeout.
        await sendCfnResponse(event, failedResponse(error), context.logStreamName, responder);
        throw error;
      }
      return waitForReplica(event, context, {
        primary: dynamoDbClient(),
        secondary: dynamoDbClient({ region: config.SECONDARY_REGION }),
        tableName: config.USER_POOL_TABLE,
        secondaryRegion: config.SECONDARY_REGION,
        budget: timeBudget(runtime, context),
        now: runtime.now,
        sleep: runtime.sleep,
        logger,
        responder,
      });
    },
  );
}

export const handler = createHandler();
