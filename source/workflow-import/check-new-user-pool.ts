/** ImportCheckNewUserPoolLambda: the new user pool has no users and no groups (spec §5.1). */
import { parseConfig, type EnvSpec } from '../utils/config';
import { defaultRuntime, handlerLogger, rateLimitedCognito, type Runtime } from '../utils/runtime';
import type { LambdaContextLike } from '../utils/time-budget';
import { isNewUserPoolEmpty } from './lib/new-user-pool';
import { newUserPoolId, optionalCognitoTps, stepDeadline } from './lib/invocation';
import type { CheckNewUserPoolEvent, CheckNewUserPoolResult, Wrapped } from './lib/types';

export const ENVIRONMENT = {
  COGNITO_TPS: optionalCognitoTps(),
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return async (
    event: CheckNewUserPoolEvent,
    context?: LambdaContextLike,
  ): Promise<Wrapped<CheckNewUserPoolResult>> => {
    const userPoolId = newUserPoolId(event?.Context);
    const config = parseConfig(ENVIRONMENT, runtime.env);
    const logger = handlerLogger(runtime, 'check-new-user-pool', context);
    // A 60-second Lambda: its retries may use all but the last seconds.
    const cognito = rateLimitedCognito(runtime, config.COGNITO_TPS, logger, stepDeadline(runtime, context));
    return { result: { NewUserPoolEmpty: await isNewUserPoolEmpty({ cognito, logger }, userPoolId) } };
  };
}

export const handler = createHandler();
