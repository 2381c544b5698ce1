// SPDX-License-Identifier: Apache-2.0
/**
 * Task of StackSetCheckStatusWorkflow (wrapped event): answers CloudFormation for the
 * `Custom::StackSet` request once its StackSet operation has ended.
 */
import { cloudFormationClient } from '../utils/clients';
import type { EnvSpec } from '../utils/config';
import type { CustomResourceContext } from '../utils/custom-resource';
import { defaultRuntime, type Runtime } from '../utils/runtime';
import { requestScope } from './lib/request-scope';
import { checkStackSetStatus } from './lib/check-stackset-status';
import type { CheckStackSetStatusEvent, CheckStackSetStatusResult } from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';

export const ENVIRONMENT = {} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (
      event: CheckStackSetStatusEvent,
      context: CustomResourceContext,
    ): Promise<CheckStackSetStatusResult> => {
      const { logger, responder } = requestScope(runtime, 'check-stackset-status');
      return checkStackSetStatus(event, context, {
        cloudFormation: cloudFormationClient(),
        responder,
        logger,
        now: runtime.now,
      });
    },
  );
}

export const handler = createHandler();
