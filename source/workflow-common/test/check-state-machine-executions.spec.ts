// SPDX-License-Identifier: Apache-2.0
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockAws } from '../../test-support/aws-mock';
import { fakeClock } from '../../test-support/fake-clock';
import { fakeRuntime } from '../../test-support/runtime';
import { createHandler, ENVIRONMENT } from '../check-state-machine-executions';
import type { CheckExecutionsEvent } from '../lib/types';

const sfn = mockAws(SFNClient);
const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:ExportWorkflow-abc';
const THIS = 'arn:aws:states:us-east-1:123456789012:execution:ExportWorkflow-abc:this';
const OTHER = 'arn:aws:states:us-east-1:123456789012:execution:ExportWorkflow-abc:other';

const event: CheckExecutionsEvent = {
  Input: {},
  Context: {
    Execution: { Id: THIS, Input: {}, StartTime: '2024-01-15T03:00:00.000Z' },
    StateMachine: { Id: SM, Name: 'ExportWorkflow-abc' },
  },
};
const run = () => createHandler(fakeRuntime(fakeClock(0)))(event);
const execution = (executionArn: string) => ({
  executionArn,
  stateMachineArn: SM,
  name: executionArn.split(':').pop(),
  status: 'RUNNING' as const,
  startDate: new Date(0),
});

beforeEach(() => sfn.reset());

describe('check-state-machine-executions', () => {
  it('reads no environment variable', () => {
    expect(ENVIRONMENT).toEqual({});
  });

  it.each([
    ['only this execution runs', [THIS], true],
    ['nothing runs (not even this one, yet)', [], false],
    ['another execution runs too', [THIS, OTHER], false],
    ['a different execution runs', [OTHER], false],
  ])('answers for %s', async (_label, running, expected) => {
    sfn.on(ListExecutionsCommand).resolves({ executions: running.map(execution) });
    expect(await run()).toEqual({ result: { OnlyThisStateMachineExecution: expected } });
    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, {
      stateMachineArn: SM,
      statusFilter: 'RUNNING',
    });
  });

  it('treats a response without executions as none running', async () => {
    sfn.on(ListExecutionsCommand).resolves({});
    expect(await run()).toEqual({ result: { OnlyThisStateMachineExecution: false } });
  });

  describe('with AlsoNotRunning (the ExportWorkflow and the RepairWorkflow of one pool)', () => {
    const REPAIR = 'arn:aws:states:us-east-1:123456789012:stateMachine:RepairWorkflow-abc';
    const runBeside = () => createHandler(fakeRuntime(fakeClock(0)))({ ...event, AlsoNotRunning: [REPAIR] });

    it.each([
      ['no repair runs', [], true],
      ['a repair runs', ['arn:aws:states:us-east-1:123456789012:execution:RepairWorkflow-abc:r'], false],
    ])('answers for %s', async (_label, repairs, expected) => {
      sfn.on(ListExecutionsCommand, { stateMachineArn: SM }).resolves({ executions: [execution(THIS)] });
      sfn
        .on(ListExecutionsCommand, { stateMachineArn: REPAIR })
        .resolves({ executions: repairs.map(execution) });
      expect(await runBeside()).toEqual({ result: { OnlyThisStateMachineExecution: expected } });
      expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, {
        stateMachineArn: REPAIR,
        statusFilter: 'RUNNING',
      });
    });

    it('takes a state machine that does not exist (AllowRepair No) as running nothing', async () => {
      sfn.on(ListExecutionsCommand, { stateMachineArn: SM }).resolves({ executions: [execution(THIS)] });
      sfn
        .on(ListExecutionsCommand, { stateMachineArn: REPAIR })
        .rejects(Object.assign(new Error('no such state machine'), { name: 'StateMachineDoesNotExist' }));
      expect(await runBeside()).toEqual({ result: { OnlyThisStateMachineExecution: true } });
    });
  });

  it('fails with the ListExecutions error', async () => {
    sfn.on(ListExecutionsCommand).rejects(new Error('ERROR - listExecutions'));
    await expect(run()).rejects.toThrow('ERROR - listExecutions');
  });
});
