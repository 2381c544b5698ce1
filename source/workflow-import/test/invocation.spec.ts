// SPDX-License-Identifier: Apache-2.0
import type { SfnContextObject } from '../../utils/step-functions';
import { executionRun } from '../lib/invocation';

const ARN = 'arn:aws:states:us-east-2:111122223333:execution:ImportWorkflow-abc:run-7';
const START = '2026-12-07T23:00:00.000Z';

const context = (execution: Partial<SfnContextObject['Execution']>): SfnContextObject => ({
  Execution: { Id: ARN, Input: {}, StartTime: START, ...execution },
  StateMachine: { Id: 'arn:aws:states:us-east-2:111122223333:stateMachine:ImportWorkflow-abc', Name: 'x' },
});

describe('executionRun: where an execution’s work objects and report go', () => {
  it('uses the execution’s name, else the last part of its ARN', () => {
    expect(executionRun(context({ Name: 'named' }))).toEqual({ execution: 'named', startTime: START });
    expect(executionRun(context({}))).toEqual({ execution: 'run-7', startTime: START });
  });

  it('refuses an execution without a name or a start time rather than mixing runs', () => {
    const message = 'Unable to determine the execution name and start time';
    expect(() => executionRun(undefined)).toThrow(message);
    expect(() => executionRun(context({ Id: '' }))).toThrow(message);
    expect(() => executionRun(context({ StartTime: '' }))).toThrow(message);
  });
});
