// SPDX-License-Identifier: Apache-2.0
/**
 * Rejects unsupported source pools before an export starts, then records the pool's configuration in
 * the backup table (`pool-configuration.ts`), so that every recovery point holds it next to the users.
 */
import { DescribeUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { writePoolConfiguration } from '../../utils/pool-configuration-item';
import { readPoolConfiguration } from './pool-configuration';
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
  /** Where the configuration is recorded. */
  record: {
    ddb: DynamoDBDocumentClient;
    tableName: string;
    typeTimestamp: string;
    region: string;
    now: () => number;
  };
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
  const { record } = deps;
  const configuration = await readPoolConfiguration(userPool, {
    cognito,
    region: record.region,
    now: record.now,
  });
  const written = await writePoolConfiguration(
    record.ddb,
    { tableName: record.tableName, typeTimestamp: record.typeTimestamp },
    configuration,
    configuration.Source.RecordedAt,
  );
  logger.info('The user pool configuration is recorded in the backup table', {
    customAttributes: (configuration.UserPool.Schema ?? []).filter((a) => a.Name?.startsWith('custom:'))
      .length,
    clients: configuration.Clients.length,
    clientsWithSecret: configuration.Clients.filter((c) => c.Settings.GenerateSecret === true).length,
    resourceServers: configuration.ResourceServers.length,
    identityProviders: configuration.IdentityProviders.length,
    domains: configuration.Domains.length,
    compressedBytes: written.bytes,
    items: written.items,
  });
  return result;
}
