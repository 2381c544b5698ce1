// SPDX-License-Identifier: Apache-2.0
/** The single-execution guard at the start of every workflow. */
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { errorName } from '../../utils/errors';
import type { Logger } from '../../utils/logger';
import type { SfnContextObject } from '../../utils/step-functions';

/**
 * True when exactly one execution of the state machine is running and it is this one, and no execution
 * of the state machines in `alsoNotRunning` runs (the ExportWorkflow and the RepairWorkflow of one pool
 * exclude each other; a state machine that does not exist, as the RepairWorkflow without AllowRepair,
 * runs nothing). One page each is enough: one running execution already decides.
 */
export async function isOnlyRunningExecution(
  context: Pick<SfnContextObject, 'StateMachine' | 'Execution'>,
  deps: { sfn: SFNClient; logger: Logger },
  alsoNotRunning: readonly string[] = [],
): Promise<boolean> {
  const response = await deps.sfn.send(
    new ListExecutionsCommand({ stateMachineArn: context.StateMachine.Id, statusFilter: 'RUNNING' }),
  );
  const running = response.executions ?? [];
  const onlyThis = running.length === 1 && running[0]?.executionArn === context.Execution.Id;
  let others = 0;
  for (const stateMachineArn of alsoNotRunning) {
    try {
      const listed = await deps.sfn.send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 1 }),
      );
      others += listed.executions?.length ?? 0;
    } catch (error) {
      if (errorName(error) !== 'StateMachineDoesNotExist') throw error;
    }
  }
  deps.logger.info('Checked running executions', {
    running: running.length,
    onlyThisExecution: onlyThis,
    excludingWorkflowsRunning: others,
  });
  return onlyThis && others === 0;
}
