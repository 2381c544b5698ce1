// SPDX-License-Identifier: Apache-2.0
/** The single-execution guard at the start of both workflows. */
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { Logger } from '../../utils/logger';
import type { SfnContextObject } from '../../utils/step-functions';

/**
 * True when exactly one execution of the state machine is running and it is this one. One page is
 * enough: a second running execution, on whatever page, already makes the answer false.
 */
export async function isOnlyRunningExecution(
  context: Pick<SfnContextObject, 'StateMachine' | 'Execution'>,
  deps: { sfn: SFNClient; logger: Logger },
): Promise<boolean> {
  const response = await deps.sfn.send(
    new ListExecutionsCommand({ stateMachineArn: context.StateMachine.Id, statusFilter: 'RUNNING' }),
  );
  const running = response.executions ?? [];
  const onlyThis = running.length === 1 && running[0]?.executionArn === context.Execution.Id;
  deps.logger.info('Checked running executions', { running: running.length, onlyThisExecution: onlyThis });
  return onlyThis;
}
