// SPDX-License-Identifier: Apache-2.0
/** CheckExecutionsLambda: is this the only running execution of its state machine? */
import { sfnClient } from '../utils/clients';
import type { EnvSpec } from '../utils/config';
import type { LambdaContextLike } from '../utils/time-budget';
import { isOnlyRunningExecution } from './lib/check-state-machine-executions';
import { defaultRuntime, handlerLogger, type Runtime } from '../utils/runtime';
import type { CheckExecutionsEvent, CheckExecutionsOutput } from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';

export const ENVIRONMENT = {} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (event: CheckExecutionsEvent, context?: LambdaContextLike): Promise<CheckExecutionsOutput> => {
      const logger = handlerLogger(runtime, 'check-state-machine-executions', context);
      // The state machine names the workflows that must not run beside it (ARNs, given in its definition).
      const others = Array.isArray(event.AlsoNotRunning)
        ? event.AlsoNotRunning.filter((arn): arn is string => typeof arn === 'string' && arn !== '')
        : [];
      const onlyThis = await isOnlyRunningExecution(event.Context, { sfn: sfnClient(), logger }, others);
      return { result: { OnlyThisStateMachineExecution: onlyThis } };
    },
  );
}

export const handler = createHandler();
