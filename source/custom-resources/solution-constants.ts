// SPDX-License-Identifier: Apache-2.0
/**
 * `Custom::SolutionConstants`. Create derives the installation's names and UUIDs; Update
 * returns the same values, read back from the fixed-parameters document (see lib/solution-constants).
 */
import { randomUUID } from 'node:crypto';
import { ssmClient } from '../utils/clients';
import { env, parseConfig, type EnvSpec } from '../utils/config';
import {
  routeCustomResource,
  type CustomResourceContext,
  type CustomResourceEvent,
  type CustomResourceResponse,
} from '../utils/custom-resource';
import { defaultRuntime, type Runtime } from '../utils/runtime';
import { requireProperty } from './lib/properties';
import { requestScope } from './lib/request-scope';
import { createSolutionConstants, recoverSolutionConstants } from './lib/solution-constants';
import type { SolutionConstantsProperties } from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';

/** AWS_REGION (the runtime's own) names the fixed-parameters document read on Update. */
export const ENVIRONMENT = { AWS_REGION: env.string() } satisfies EnvSpec;

/** Create draws the installation's UUIDs (tests pass a fixed sequence). */
export interface SolutionConstantsRuntime extends Runtime {
  randomUUID: () => string;
}

export const solutionConstantsRuntime = (): SolutionConstantsRuntime => ({ ...defaultRuntime(), randomUUID });

export function createHandler(runtime: SolutionConstantsRuntime = solutionConstantsRuntime()) {
  return scrubErrors(
    async (
      event: CustomResourceEvent<SolutionConstantsProperties>,
      context: CustomResourceContext,
    ): Promise<CustomResourceResponse> => {
      const { responder } = requestScope(runtime, 'solution-constants');
      return routeCustomResource(
        event,
        context,
        {
          Create: ({ ResourceProperties }) =>
            createSolutionConstants(requireProperty(ResourceProperties, 'StackName'), runtime.randomUUID),
          Update: ({ ResourceProperties }) =>
            recoverSolutionConstants(requireProperty(ResourceProperties, 'StackName'), {
              ssm: ssmClient(),
              region: parseConfig(ENVIRONMENT, runtime.env).AWS_REGION,
            }),
        },
        responder,
      );
    },
  );
}

export const handler = createHandler();
