// SPDX-License-Identifier: Apache-2.0
/** CheckWorkflowQueuesLambda: the import queues must start out empty. */
import { sqsClient } from '../utils/clients';
import { env, parseConfig, type EnvSpec } from '../utils/config';
import { workflowName } from '../utils/step-functions';
import type { LambdaContextLike } from '../utils/time-budget';
import { assertImportWorkflow, assertQueuesEmpty } from './lib/check-workflow-queues';
import { defaultRuntime, handlerLogger, type Runtime } from '../utils/runtime';
import type { CheckWorkflowQueuesEvent, CheckWorkflowQueuesOutput } from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';

/** `UPDATES_QUEUE_URL`, not `NEW_USERS_UPDATES_QUEUE_URL`: the template's name for this function. */
export const ENVIRONMENT = {
  NEW_USERS_QUEUE_URL: env.string(),
  UPDATES_QUEUE_URL: env.string(),
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (
      event: CheckWorkflowQueuesEvent,
      context?: LambdaContextLike,
    ): Promise<CheckWorkflowQueuesOutput> => {
      assertImportWorkflow(workflowName(event.Context));
      const config = parseConfig(ENVIRONMENT, runtime.env);
      await assertQueuesEmpty([config.NEW_USERS_QUEUE_URL, config.UPDATES_QUEUE_URL], {
        sqs: sqsClient(),
        logger: handlerLogger(runtime, 'check-workflow-queues', context),
      });
      return { result: { ...event.Input, QueuesStartedOutEmpty: true } };
    },
  );
}

export const handler = createHandler();
