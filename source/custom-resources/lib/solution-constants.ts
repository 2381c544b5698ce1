// SPDX-License-Identifier: Apache-2.0
/**
 * `Custom::SolutionConstants`: names and identifiers derived once per installation.
 *
 * Update must return the same Data as Create, or every `GetAtt` on the resource breaks (and new
 * UUIDs would rename every queue, bucket and topic). The random UUIDs cannot be recomputed, but the
 * stack checker persisted all of them in the fixed-parameters SSM document right after Create
 * (they are among its FIXED_PARAMETERS), so Update reads them back from there. This works for
 * stacks created by the original too, which wrote the same document. If the document is missing
 * or incomplete, Update answers FAILED with a message saying so, rather than inventing new values.
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { errorName } from '../../utils/errors';
import { fixedParametersName, readFixedParameters } from './fixed-parameters';
import type { SolutionConstants } from './types';

const STACK_SET_NAME_MAX = 128;
const FORMATTED_STACK_NAME_MAX = 15;

/**
 * `prefix + suffix`; when longer than `maxChars`, the prefix is cut so that the whole suffix fits.
 */
export function appendWithMaxChars(prefix: string, suffix: string, maxChars: number): string {
  const joined = `${prefix}${suffix}`;
  if (maxChars <= 0 || joined.length <= maxChars) return joined;
  return `${prefix.slice(0, Math.max(0, maxChars - suffix.length))}${suffix}`;
}

export function stackSetName(stackName: string): string {
  return appendWithMaxChars(stackName, '-StackSet', STACK_SET_NAME_MAX);
}

export function formattedStackName(stackName: string): string {
  return stackName.slice(0, FORMATTED_STACK_NAME_MAX);
}

/** `<lowercase formatted name>-import-jobs-<last group of the instance UUID>`. */
export function mappingFileBucketPrefix(formatted: string, solutionInstanceUuid: string): string {
  const tail = solutionInstanceUuid.slice(solutionInstanceUuid.lastIndexOf('-') + 1);
  return `${formatted.toLowerCase()}-import-jobs-${tail}`;
}

export function createSolutionConstants(stackName: string, randomUUID: () => string): SolutionConstants {
  const formatted = formattedStackName(stackName);
  const solutionInstanceUuid = randomUUID();
  return {
    StackSetName: stackSetName(stackName),
    FormattedStackName: formatted,
    SolutionInstanceUUID: solutionInstanceUuid,
    UserImportJobMappingFileBucketPrefix: mappingFileBucketPrefix(formatted, solutionInstanceUuid),
    AnonymousDataUUID: randomUUID(),
  };
}

export class ConstantsNotRecoverableError extends Error {
  override readonly name = 'ConstantsNotRecoverableError';
}

export async function recoverSolutionConstants(
  stackName: string,
  deps: { ssm: SSMClient; region: string },
): Promise<SolutionConstants> {
  const name = fixedParametersName(stackName, deps.region);
  const prefix = `Cannot keep the solution constants on Update: they are read back from the SSM parameter ${name}`;
  let stored: Record<string, unknown>;
  try {
    stored = await readFixedParameters(deps.ssm, name);
  } catch (error) {
    if (errorName(error) === 'ParameterNotFound') {
      throw new ConstantsNotRecoverableError(`${prefix}, which does not exist`, { cause: error });
    }
    throw error;
  }
  const persisted = (key: keyof SolutionConstants): string => {
    const value = stored[key];
    if (typeof value !== 'string' || value === '') {
      throw new ConstantsNotRecoverableError(`${prefix}, which has no value for ${key}`);
    }
    return value;
  };
  return {
    StackSetName: stackSetName(stackName),
    FormattedStackName: persisted('FormattedStackName'),
    SolutionInstanceUUID: persisted('SolutionInstanceUUID'),
    UserImportJobMappingFileBucketPrefix: persisted('UserImportJobMappingFileBucketPrefix'),
    AnonymousDataUUID: persisted('AnonymousDataUUID'),
  };
}
