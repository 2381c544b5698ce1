// SPDX-License-Identifier: Apache-2.0
/**
 * StackSetCheckStatusWorkflow's task: follows the StackSet operation that stackset-manager
 * started and answers CloudFormation once it has ended. Each invocation either answers (and says
 * so with `HasRespondedToCfn: true`) or asks the state machine to call again in 5 seconds.
 */
import {
  DeleteStackSetCommand,
  DescribeStackSetOperationCommand,
  ListStackSetOperationResultsCommand,
  type CloudFormationClient,
  type StackSetOperationResultSummary,
} from '@aws-sdk/client-cloudformation';
import {
  sendCfnResponse,
  SUCCESS,
  type CustomResourceContext,
  type CustomResourceResponse,
  type SendResponseDeps,
} from '../../utils/custom-resource';
import type { Now } from '../../utils/time';
import type { Logger } from '../../utils/logger';
import { errorMessage, errorName } from '../../utils/errors';
import { MAX_ASYNC_WAIT_MS, failedResponse, requireProperty } from './properties';
import type {
  CheckStackSetStatusEvent,
  CheckStackSetStatusResult,
  StackSetEvent,
  StackSetStatusWorkflowInput,
} from './types';

export interface StackSetStatusDeps {
  cloudFormation: CloudFormationClient;
  responder: SendResponseDeps;
  logger: Logger;
  now: Now;
  maxWaitMs?: number;
}

export class StackSetOperationFailedError extends Error {
  override readonly name = 'StackSetOperationFailedError';
}

export class ResponseNotDeliveredError extends Error {
  override readonly name = 'ResponseNotDeliveredError';
}

async function listResults(
  cloudFormation: CloudFormationClient,
  stackSetName: string,
  operationId: string,
): Promise<StackSetOperationResultSummary[]> {
  const summaries: StackSetOperationResultSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await cloudFormation.send(
      new ListStackSetOperationResultsCommand({
        StackSetName: stackSetName,
        OperationId: operationId,
        NextToken: nextToken,
      }),
    );
    summaries.push(...(page.Summaries ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return summaries;
}

const hasStatus = (summaries: StackSetOperationResultSummary[], status: string): boolean =>
  summaries.some((summary) => summary.Status?.toUpperCase() === status);

/**
 * `true` when the operation succeeded, `false` while it runs; throws with the original's messages
 * when an instance failed or was cancelled.
 */
export async function stackSetOperationSucceeded(
  cloudFormation: CloudFormationClient,
  stackSetName: string,
  operationId: string,
  logger: Logger,
): Promise<boolean> {
  const summaries = await listResults(cloudFormation, stackSetName, operationId);
  if (hasStatus(summaries, 'FAILED') || hasStatus(summaries, 'CANCELLED')) {
    logger.error('StackSet instances did not succeed', {
      operationId,
      instances: summaries.map(({ Region, Status, StatusReason }) => ({ Region, Status, StatusReason })),
    });
    throw new StackSetOperationFailedError(
      hasStatus(summaries, 'FAILED')
        ? 'At least one instance in this StackSet failed to update'
        : 'At least one instance update was canceled',
    );
  }
  if (summaries.length > 0)
    return summaries.every((summary) => summary.Status?.toUpperCase() === 'SUCCEEDED');

  // No instance results: the operation may not have reached any instance yet, or it had none to
  // touch (deleting the instances of a StackSet whose instances were never created). Only the
  // operation's own status tells these apart; without it the wait would never end.
  const { StackSetOperation: operation } = await cloudFormation.send(
    new DescribeStackSetOperationCommand({ StackSetName: stackSetName, OperationId: operationId }),
  );
  const status = operation?.Status;
  if (status === 'FAILED' || status === 'STOPPED') {
    throw new StackSetOperationFailedError(
      `The StackSet operation ${operationId} ended with status ${status}` +
        (operation?.StatusReason ? `: ${operation.StatusReason}` : ''),
    );
  }
  return status === 'SUCCEEDED';
}

function workflowInput(event: CheckStackSetStatusEvent): StackSetStatusWorkflowInput {
  const input = event.Context?.Execution?.Input as Partial<StackSetStatusWorkflowInput> | undefined;
  const request = input?.customResourceEvent;
  if (!request || typeof request.ResponseURL !== 'string' || request.ResponseURL === '') {
    // Nobody can be answered; failing the execution loudly is all that is left.
    throw new Error('The status workflow input has no customResourceEvent with a ResponseURL');
  }
  return input as StackSetStatusWorkflowInput;
}

/** When the wait began: the manager's start time, else the execution's (NaN: unknown, no limit). */
function waitStart(input: StackSetStatusWorkflowInput, event: CheckStackSetStatusEvent): number {
  if (typeof input.customResourceStartTime === 'number') return input.customResourceStartTime;
  return Date.parse(event.Context.Execution.StartTime);
}

/** Answers CloudFormation when the operation has ended, failed, or taken too long. */
export async function checkStackSetStatus(
  event: CheckStackSetStatusEvent,
  context: CustomResourceContext,
  deps: StackSetStatusDeps,
): Promise<CheckStackSetStatusResult> {
  const input = workflowInput(event);
  const request: StackSetEvent = input.customResourceEvent;
  const respond = (response: CustomResourceResponse) =>
    sendCfnResponse(request, response, context.logStreamName, deps.responder);

  try {
    const stackSetName = requireProperty(request.ResourceProperties, 'StackSetName');
    if (typeof input.operationId !== 'string' || input.operationId === '') {
      throw new Error('The status workflow input has no operationId');
    }
    const succeeded = await stackSetOperationSucceeded(
      deps.cloudFormation,
      stackSetName,
      input.operationId,
      deps.logger,
    );
    if (!succeeded) {
      const maxWaitMs = deps.maxWaitMs ?? MAX_ASYNC_WAIT_MS;
      if (deps.now() - waitStart(input, event) > maxWaitMs) {
        throw new StackSetOperationFailedError(
          `The StackSet operation ${input.operationId} did not finish within ${Math.round(maxWaitMs / 60_000)} minutes`,
        );
      }
      return { result: { HasRespondedToCfn: false } };
    }
    if (request.RequestType === 'Delete')
      await deleteStackSet(deps.cloudFormation, stackSetName, deps.logger);
    await respond({ status: SUCCESS, data: { Message: `${request.RequestType} Successful` } });
  } catch (error) {
    deps.logger.error('StackSet request failed', { requestType: request.RequestType, error });
    try {
      await respond(failedResponse(error));
    } catch (putError) {
      throw new ResponseNotDeliveredError(
        `Could not deliver the FAILED response to CloudFormation after retries (${errorMessage(putError)}); ` +
          `the stack waits for its custom-resource timeout. Original error: ${errorMessage(error)}`,
        { cause: putError },
      );
    }
  }
  return { result: { HasRespondedToCfn: true } };
}

async function deleteStackSet(cloudFormation: CloudFormationClient, stackSetName: string, logger: Logger) {
  try {
    await cloudFormation.send(new DeleteStackSetCommand({ StackSetName: stackSetName }));
  } catch (error) {
    if (errorName(error) !== 'StackSetNotFoundException') throw error;
    logger.info('The StackSet was already deleted');
  }
}
