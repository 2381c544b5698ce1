// SPDX-License-Identifier: Apache-2.0
/**
 * `Custom::StackSetConstants`: each StackSet instance reads the fixed-parameters document
 * from the primary region and exposes its keys as attributes. Update reads it again, so `GetAtt`
 * keeps working whatever made CloudFormation send an Update (the document never changes: the stack
 * checker refuses any change).
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { fixedParametersName, readFixedParameters, type FixedParameters } from './fixed-parameters';
import { requireProperty } from './properties';
import type { StackSetConstantsProperties } from './types';

export async function readStackSetConstants(
  properties: StackSetConstantsProperties,
  ssmIn: (region: string) => SSMClient,
): Promise<FixedParameters> {
  const parentStackName = requireProperty(properties, 'ParentStackName');
  const primaryRegion = requireProperty(properties, 'PrimaryRegion');
  return readFixedParameters(ssmIn(primaryRegion), fixedParametersName(parentStackName, primaryRegion));
}
