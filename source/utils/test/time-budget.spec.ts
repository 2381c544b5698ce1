// SPDX-License-Identifier: Apache-2.0
import { TimeBudget } from '../time-budget';
import { workflowName } from '../step-functions';

describe('TimeBudget', () => {
  const context = (remaining: number) => ({ getRemainingTimeInMillis: () => remaining });

  it('continues only while strictly more than one minute remains', () => {
    expect(new TimeBudget(context(60_001)).hasTime()).toBe(true);
    expect(new TimeBudget(context(60_000)).hasTime()).toBe(false);
  });

  it('turns the remaining time into a deadline that keeps the last minute free', () => {
    expect(new TimeBudget(context(300_000), () => 1_000).deadline()).toBe(241_000);
  });

  it('is unlimited without a Lambda context', () => {
    const budget = new TimeBudget(undefined);
    expect(budget.hasTime()).toBe(true);
    expect(budget.deadline()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('workflowName', () => {
  it('is the state machine name before the first dash', () => {
    expect(workflowName({ StateMachine: { Id: 'arn', Name: 'ExportWorkflow-AbC123' } })).toBe(
      'ExportWorkflow',
    );
    expect(workflowName({ StateMachine: { Id: 'arn', Name: 'ImportWorkflow' } })).toBe('ImportWorkflow');
  });
});
