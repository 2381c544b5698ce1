// SPDX-License-Identifier: Apache-2.0
/**
 * CheckUserPoolConfigLambda: rejects unsupported pools, records the pool's configuration in the backup
 * table and passes UsernameAttributes on.
 */
import { documentClient } from '../utils/clients';
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
  /** The backup table, where the pool's configuration is recorded. */
  BACKUP_TABLE_NAME: env.string(),
  /** The type of the table's bookkeeping items, which the configuration item shares. */
  TYPE_TIMESTAMP: env.string(),
  /** Set by the Lambda runtime: recorded with the configuration. */
  AWS_REGION: env.string(),
} satisfies EnvSpec;

/**
 * A few calls per execution (DescribeUserPool, GetUserPoolMfaConfig, one read per app client and
 * identity provider): Cognito caps each client and provider read at 5 a second per pool.
 */
const DESCRIBE_TPS = 5;

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
          record: {
            ddb: documentClient(),
            tableName: config.BACKUP_TABLE_NAME,
            typeTimestamp: config.TYPE_TIMESTAMP,
            region: config.AWS_REGION,
            now: runtime.now,
          },
        }),
      };
    },
  );
}

export const handler = createHandler();
