// SPDX-License-Identifier: Apache-2.0
/**
 * `Custom::StackSet`: starts the StackSet operation and hands the wait to
 * StackSetCheckStatusWorkflow, which answers CloudFormation (see lib/stackset-manager).
 */
import { cloudFormationClient, sfnClient } from '../utils/clients';
import { env, METRICS_ENV, parseConfig, type EnvSpec } from '../utils/config';
import type { CustomResourceContext, CustomResourceResponse } from '../utils/custom-resource';
import { defaultRuntime, runtimeSolution, type Runtime } from '../utils/runtime';
import { requestScope } from './lib/request-scope';
import { manageStackSet } from './lib/stackset-manager';
import type { StackSetEvent } from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';

export const ENVIRONMENT = {
  AWS_REGION: env.string(),
  STATE_MACHINE_ARN: env.string(),
  // Only reported in the anonymous metric.
  COGNITO_TPS: env.optionalString(),
  EXPORT_FREQUENCY: env.optionalString(),
  SNS_PREFERENCE: env.optionalString(),
  ...METRICS_ENV,
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (
      event: StackSetEvent,
      context: CustomResourceContext,
    ): Promise<StackSetEvent | CustomResourceResponse> => {
      const { logger, responder } = requestScope(runtime, 'stackset-manager');
      return manageStackSet(event, context, {
        config: () => parseConfig(ENVIRONMENT, runtime.env),
        cloudFormation: cloudFormationClient(),
        sfn: sfnClient(),
        solution: runtimeSolution(runtime),
        metricsDeps: { fetch: runtime.fetch, now: runtime.now, logger: logger },
        responder,
        logger,
        now: runtime.now,
      });
    },
  );
}

export const handler = createHandler();
