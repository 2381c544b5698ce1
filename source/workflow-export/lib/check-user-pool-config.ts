// SPDX-License-Identifier: Apache-2.0
/** Rejects unsupported source pools before an export starts. */
import { DescribeUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { RateLimitedCognito } from '../../utils/cognito';
import type { Logger } from '../../utils/logger';
import type { CheckUserPoolConfigResult } from './types';
import { checkUserPoolConfiguration } from '../../utils/user-pool-rules';

export class UserPoolNotFoundError extends Error {
  override readonly name = 'UserPoolNotFoundError';
}

export interface CheckUserPoolConfigDeps {
  cognito: RateLimitedCognito;
  logger: Logger;
  config: { userPoolId: string; allowMfa?: boolean };
}

export async function checkUserPoolConfig(deps: CheckUserPoolConfigDeps): Promise<CheckUserPoolConfigResult> {
  const { cognito, logger, config } = deps;
  const { UserPool: userPool } = await cognito.send(
    new DescribeUserPoolCommand({ UserPoolId: config.userPoolId }),
  );
  if (userPool === undefined) {
    throw new UserPoolNotFoundError(`DescribeUserPool returned no user pool for ${config.userPoolId}`);
  }
  checkUserPoolConfiguration(userPool, { allowMfa: config.allowMfa === true });
  const result: CheckUserPoolConfigResult = {};
  // Any array, even an empty one, is passed on; pools without the setting pass nothing.
  if (userPool.UsernameAttributes !== undefined) {
    result.UsernameAttributes = JSON.stringify(userPool.UsernameAttributes);
  }
  logger.info('The user pool configuration is supported', {
    usernameAttributes: userPool.UsernameAttributes?.length ?? 0,
    mfaConfiguration: userPool.MfaConfiguration ?? 'OFF',
  });
  return result;
}
