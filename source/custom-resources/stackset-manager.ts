/**
 * `Custom::StackSet` (§2.4): starts the StackSet operation and hands the wait to
 * StackSetCheckStatusWorkflow, which answers CloudFormation (see lib/stackset-manager).
 */
import { cloudFormationClient, sfnClient } from '../utils/clients';
import { env, METRICS_ENV, parseConfig, type EnvSpec } from '../utils/config';
import type { CustomResourceContext, CustomResourceResponse } from '../utils/custom-resource';
import { metricsSettingsFromEnv } from '../utils/metrics';
import { resolveRuntime, type Runtime } from './lib/runtime';
import { manageStackSet } from './lib/stackset-manager';
import type { StackSetEvent } from './lib/types';

export const ENVIRONMENT = {
  AWS_REGION: env.string(),
  STATE_MACHINE_ARN: env.string(),
  // Only reported in the anonymous metric.
  COGNITO_TPS: env.optionalString(),
  EXPORT_FREQUENCY: env.optionalString(),
  SNS_PREFERENCE: env.optionalString(),
  ...METRICS_ENV,
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = {}) {
  return async (
    event: StackSetEvent,
    context: CustomResourceContext,
  ): Promise<StackSetEvent | CustomResourceResponse> => {
    const rt = resolveRuntime(runtime, 'stackset-manager');
    return manageStackSet(event, context, {
      config: () => parseConfig(ENVIRONMENT, rt.env),
      cloudFormation: cloudFormationClient(),
      sfn: sfnClient(),
      metrics: metricsSettingsFromEnv(rt.env),
      metricsDeps: { fetch: rt.fetch, now: rt.now, logger: rt.logger },
      responder: rt.responder,
      logger: rt.logger,
      now: rt.now,
    });
  };
}

export const handler = createHandler();
