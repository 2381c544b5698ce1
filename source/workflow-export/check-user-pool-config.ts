// SPDX-License-Identifier: Apache-2.0
/** CheckUserPoolConfigLambda: rejects unsupported pools and passes UsernameAttributes on. */
import { env, parseConfig, type EnvSpec } from '../utils/config';
import { checkUserPoolConfig } from './lib/check-user-pool-config';
import { defaultRuntime, handlerLogger, rateLimitedCognito, type Runtime } from '../utils/runtime';
import type { CheckUserPoolConfigEvent, CheckUserPoolConfigOutput } from './lib/types';
import type { LambdaContextLike } from '../utils/time-budget';
import { scrubErrors } from '../utils/scrub-errors';

export const ENVIRONMENT = {
  PRIMARY_USER_POOL_ID: env.string(),
  /** The stack's AllowMfaUserPools parameter: "Yes" backs up pools with MFA ON or OPTIONAL. */
  ALLOW_MFA_USER_POOLS: env.yesNo(),
} satisfies EnvSpec;

/** One DescribeUserPool call per execution: the limiter only spaces the retries of that call. */
const DESCRIBE_TPS = 1;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (
      _event: CheckUserPoolConfigEvent,
      context?: LambdaContextLike,
    ): Promise<CheckUserPoolConfigOutput> => {
      const config = parseConfig(ENVIRONMENT, runtime.env);
      const logger = handlerLogger(runtime, 'check-user-pool-config', context);
      const cognito = rateLimitedCognito(runtime, DESCRIBE_TPS, logger);
      return {
        result: await checkUserPoolConfig({
          cognito,
          logger,
          config: { userPoolId: config.PRIMARY_USER_POOL_ID, allowMfa: config.ALLOW_MFA_USER_POOLS },
        }),
      };
    },
  );
}

export const handler = createHandler();
