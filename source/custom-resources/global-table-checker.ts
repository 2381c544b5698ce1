/**
 * Task of SecondaryUserPoolTableStepFunctions (§2.7, raw event): waits for the backup table's
 * replica in SECONDARY_REGION to be ACTIVE and answers CloudFormation with its stream ARN.
 */
import { dynamoDbClient } from '../utils/clients';
import { env, parseConfig, type ConfigOf, type EnvSpec } from '../utils/config';
import { sendCfnResponse, type CustomResourceContext } from '../utils/custom-resource';
import { TimeBudget, type LambdaContextLike } from '../utils/time-budget';
import { waitForReplica } from './lib/global-table';
import { failedResponse } from './lib/properties';
import { resolveRuntime, type Runtime } from './lib/runtime';
import type { GlobalTableCheckerEvent, GlobalTableCheckerOutput } from './lib/types';

export const ENVIRONMENT = {
  USER_POOL_TABLE: env.string(),
  SECONDARY_REGION: env.string(),
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = {}) {
  return async (
    event: GlobalTableCheckerEvent,
    context: LambdaContextLike & CustomResourceContext,
  ): Promise<GlobalTableCheckerOutput> => {
    const rt = resolveRuntime(runtime, 'global-table-checker');
    let config: ConfigOf<typeof ENVIRONMENT>;
    try {
      config = parseConfig(ENVIRONMENT, rt.env);
    } catch (error) {
      // CloudFormation would otherwise wait for an answer until its timeout.
      await sendCfnResponse(event, failedResponse(error), context.logStreamName, rt.responder);
      throw error;
    }
    return waitForReplica(event, context, {
      primary: dynamoDbClient(),
      secondary: dynamoDbClient({ region: config.SECONDARY_REGION }),
      tableName: config.USER_POOL_TABLE,
      secondaryRegion: config.SECONDARY_REGION,
      budget: new TimeBudget(context, rt.now),
      now: rt.now,
      sleep: rt.sleep,
      logger: rt.logger,
      responder: rt.responder,
    });
  };
}

export const handler = createHandler();
