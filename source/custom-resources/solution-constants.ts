/**
 * `Custom::SolutionConstants` (§2.1). Create derives the installation's names and UUIDs; Update
 * returns the same values, read back from the fixed-parameters document (see lib/solution-constants).
 */
import { ssmClient } from '../utils/clients';
import { env, parseConfig, type EnvSpec } from '../utils/config';
import {
  routeCustomResource,
  type CustomResourceContext,
  type CustomResourceEvent,
  type CustomResourceResponse,
} from '../utils/custom-resource';
import { requireProperty } from './lib/properties';
import { resolveRuntime, type Runtime } from './lib/runtime';
import { createSolutionConstants, recoverSolutionConstants } from './lib/solution-constants';
import type { SolutionConstantsProperties } from './lib/types';

/** AWS_REGION (the runtime's own) names the fixed-parameters document read on Update. */
export const ENVIRONMENT = { AWS_REGION: env.string() } satisfies EnvSpec;

export function createHandler(runtime: Runtime = {}) {
  return async (
    event: CustomResourceEvent<SolutionConstantsProperties>,
    context: CustomResourceContext,
  ): Promise<CustomResourceResponse> => {
    const rt = resolveRuntime(runtime, 'solution-constants');
    return routeCustomResource(
      event,
      context,
      {
        Create: ({ ResourceProperties }) =>
          createSolutionConstants(requireProperty(ResourceProperties, 'StackName'), rt.randomUUID),
        Update: ({ ResourceProperties }) =>
          recoverSolutionConstants(requireProperty(ResourceProperties, 'StackName'), {
            ssm: ssmClient(),
            region: parseConfig(ENVIRONMENT, rt.env).AWS_REGION,
          }),
      },
      rt.responder,
    );
  };
}

export const handler = createHandler();
