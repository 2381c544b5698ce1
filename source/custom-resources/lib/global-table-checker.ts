// SPDX-License-Identifier: Apache-2.0
/** global-table-checker: polls the replica until it is usable, then answers CloudFormation. */
import {
  sendCfnResponse,
  SUCCESS,
  type CustomResourceContext,
  type CustomResourceResponse,
  type SendResponseDeps,
} from '../../utils/custom-resource';
import { errorName, isRetryableError } from '../../utils/errors';
import type { Logger } from '../../utils/logger';
import type { Now, Sleep } from '../../utils/time';
import type { TimeBudget } from '../../utils/time-budget';
import {
  probeReplica,
  ReplicaNotUsableError,
  type ReplicaProbeDeps,
  type ReplicaState,
} from './global-table';
import { MAX_ASYNC_WAIT_MS, failedResponse } from './properties';
import type { GlobalTableCheckerEvent, GlobalTableCheckerOutput } from './types';

export const REPLICA_POLL_INTERVAL_MS = 5_000;

export interface ReplicaWaitDeps extends ReplicaProbeDeps {
  budget: TimeBudget;
  now: Now;
  sleep: Sleep;
  logger: Logger;
  responder: SendResponseDeps;
  pollIntervalMs?: number;
  maxWaitMs?: number;
}

/**
 * Polls until the replica is usable or this invocation's time budget is spent. Returns the input
 * fields with `LatestStreamArn` (`""`: not ready, call again) and the wait's start time. Answers
 * CloudFormation SUCCESS when ready; on an error that waiting cannot fix, or when the bounded
 * wait is over, answers FAILED and throws (the execution then fails).
 */
export async function waitForReplica(
  event: GlobalTableCheckerEvent,
  context: CustomResourceContext,
  deps: ReplicaWaitDeps,
): Promise<GlobalTableCheckerOutput> {
  const output: GlobalTableCheckerOutput = {
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    ResponseURL: event.ResponseURL,
    ...(event.PhysicalResourceId ? { PhysicalResourceId: event.PhysicalResourceId } : {}),
    ReplicaWaitStartTime:
      typeof event.ReplicaWaitStartTime === 'number' ? event.ReplicaWaitStartTime : deps.now(),
    LatestStreamArn: '',
  };
  const respond = (response: CustomResourceResponse) =>
    sendCfnResponse(output, response, context.logStreamName, deps.responder);
  const maxWaitMs = deps.maxWaitMs ?? MAX_ASYNC_WAIT_MS;

  let lastReason = '';
  let streamArn = '';
  try {
    while (deps.budget.hasTime()) {
      const state = await probeTolerantly(deps);
      if (state.ready) {
        streamArn = state.streamArn;
        break;
      }
      lastReason = state.reason;
      if (deps.now() - output.ReplicaWaitStartTime > maxWaitMs) {
        throw new ReplicaNotUsableError(
          `The replica of table ${deps.tableName} in ${deps.secondaryRegion} was not ready within ` +
            `${Math.round(maxWaitMs / 60_000)} minutes (${lastReason})`,
        );
      }
      await deps.sleep(deps.pollIntervalMs ?? REPLICA_POLL_INTERVAL_MS);
    }
  } catch (error) {
    deps.logger.error('The replica is not usable', { error });
    await respond(failedResponse(error));
    throw error;
  }
  if (streamArn === '') {
    deps.logger.info('Replica not ready yet; the state machine will call again', { reason: lastReason });
    return output;
  }
  await respond({ status: SUCCESS, data: { LatestStreamArn: streamArn } });
  return { ...output, LatestStreamArn: streamArn };
}

/** Transient errors (throttling, 5xx) that outlived the SDK's retries are a reason to look again later. */
async function probeTolerantly(deps: ReplicaWaitDeps): Promise<ReplicaState> {
  try {
    return await probeReplica(deps);
  } catch (error) {
    if (!isRetryableError(error)) throw error;
    deps.logger.warn('DescribeTable failed transiently', { error: errorName(error) });
    return { ready: false, reason: `transient ${errorName(error)}` };
  }
}
