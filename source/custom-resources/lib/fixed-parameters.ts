// SPDX-License-Identifier: Apache-2.0
/**
 * The SSM parameter `/<ParentStackName>-<PrimaryRegion>/fixed-solution-parameters`: written
 * by the stack checker on Create, compared on Update, read by both StackSet instances, and read
 * back by the solution constants on Update.
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';

export function fixedParametersName(stackName: string, region: string): string {
  return `/${stackName}-${region}/fixed-solution-parameters`;
}

export type FixedParameters = Record<string, unknown>;

export class FixedParametersFormatError extends Error {
  override readonly name = 'FixedParametersFormatError';
}

export function parseFixedParameters(name: string, raw: string | undefined): FixedParameters {
  if (raw === undefined) throw new FixedParametersFormatError(`The SSM parameter ${name} has no value`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new FixedParametersFormatError(`The SSM parameter ${name} does not hold valid JSON`, {
      cause: error,
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new FixedParametersFormatError(`The SSM parameter ${name} does not hold a JSON object`);
  }
  return parsed as FixedParameters;
}

export async function readFixedParameters(ssm: SSMClient, name: string): Promise<FixedParameters> {
  const output = await ssm.send(new GetParameterCommand({ Name: name }));
  return parseFixedParameters(name, output.Parameter?.Value);
}
