// SPDX-License-Identifier: Apache-2.0
/**
 * `Custom::StackChecker`: refuses unsupported deployments on Create, stores the parameters
 * that must never change in SSM, refuses to change them on Update, and removes them on Delete.
 */
import { DescribeUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import { DeleteParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { RateLimitedCognito } from '../../utils/cognito';
import type { Logger } from '../../utils/logger';
import { errorName } from '../../utils/errors';
import { checkUserPoolConfiguration } from '../../utils/user-pool-rules';
import { fixedParametersName, readFixedParameters } from './fixed-parameters';
import { requireProperty } from './properties';
import type { StackCheckerProperties } from './types';

export interface StackCheckerDeps {
  ssm: SSMClient;
  cognito: RateLimitedCognito;
  logger: Logger;
  /** The Lambda's own region: the primary region. */
  region: string;
  /** The names of FIXED_PARAMETERS, in order. */
  fixedNames: string[];
  /** The AllowMfaUserPools parameter (absent: MFA pools are refused). */
  allowMfa?: boolean;
}

/** `FIXED_PARAMETERS` is a comma-separated list of property names. */
export function parseFixedNames(raw: string): string[] {
  return raw
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/** The stored document: one key per fixed name; names without a property are left out (as JSON.stringify did). */
export function fixedParameterValues(
  names: string[],
  properties: StackCheckerProperties,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const name of names) {
    if (properties[name] !== undefined) values[name] = properties[name];
  }
  return values;
}

export async function checkOnCreate(
  properties: StackCheckerProperties,
  deps: StackCheckerDeps,
): Promise<void> {
  if (properties.SecondaryRegion === deps.region) {
    throw new Error('The backup region must be different than the primary');
  }
  const userPoolId = requireProperty(properties, 'PrimaryUserPoolId');
  const name = fixedParametersName(requireProperty(properties, 'ParentStackName'), deps.region);
  const described = await deps.cognito.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }));
  if (!described.UserPool) throw new Error(`DescribeUserPool returned no user pool for ${userPoolId}`);
  checkUserPoolConfiguration(described.UserPool, { allowMfa: deps.allowMfa === true });

  const value = JSON.stringify(fixedParameterValues(deps.fixedNames, properties));
  try {
    // No Overwrite: a document left behind by another installation must not be silently replaced.
    await deps.ssm.send(new PutParameterCommand({ Name: name, Type: 'String', Value: value }));
  } catch (error) {
    if (errorName(error) !== 'ParameterAlreadyExists') throw error;
    // A repeated Create of this same request (Lambda retry) finds its own document: that is fine.
    const stored = await readFixedParameters(deps.ssm, name);
    if (JSON.stringify(stored) !== value) {
      throw new Error(
        `The SSM parameter ${name} already exists with other values. ` +
          'Delete it, or deploy the solution under another stack name',
        { cause: error },
      );
    }
  }
  deps.logger.info('Stored the fixed solution parameters', {
    parameter: name,
    count: deps.fixedNames.length,
  });
}

export async function checkOnUpdate(
  properties: StackCheckerProperties,
  deps: StackCheckerDeps,
): Promise<void> {
  const name = fixedParametersName(requireProperty(properties, 'ParentStackName'), deps.region);
  const stored = await readFixedParameters(deps.ssm, name);
  for (const fixedName of deps.fixedNames) {
    if (properties[fixedName] !== stored[fixedName]) {
      throw new Error(
        `Value for CloudFormation parameter "${fixedName}" cannot be changed. ` +
          'Please relaunch the solution if you need to change this value',
      );
    }
  }
}

export async function removeOnDelete(
  properties: StackCheckerProperties,
  deps: Pick<StackCheckerDeps, 'ssm' | 'region' | 'logger'>,
): Promise<void> {
  const parentStackName = properties.ParentStackName;
  // A Create that failed validation wrote nothing; its Delete must not fail the rollback.
  if (typeof parentStackName !== 'string' || parentStackName === '') return;
  const name = fixedParametersName(parentStackName, deps.region);
  try {
    await deps.ssm.send(new DeleteParameterCommand({ Name: name }));
  } catch (error) {
    if (errorName(error) !== 'ParameterNotFound') throw error;
    deps.logger.info('The fixed solution parameters were already gone', { parameter: name });
  }
}
