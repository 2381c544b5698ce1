// SPDX-License-Identifier: Apache-2.0
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockAws } from '../../test-support/aws-mock';
import { fakeClock } from '../../test-support/fake-clock';
import { fakeRuntime } from '../../test-support/runtime';
import type { Env } from '../../utils/config';
import { createHandler, ENVIRONMENT } from '../check-workflow-queues';
import type { CheckWorkflowQueuesEvent } from '../lib/types';

const sqs = mockAws(SQSClient);
const ENV = { NEW_USERS_QUEUE_URL: 'new-users-queue-url', UPDATES_QUEUE_URL: 'updates-queue-url' };
const EMPTY = {
  ApproximateNumberOfMessages: '0',
  ApproximateNumberOfMessagesNotVisible: '0',
  ApproximateNumberOfMessagesDelayed: '0',
};

const event = (name = 'ImportWorkflow-abc'): CheckWorkflowQueuesEvent => ({
  Input: { OnlyThisStateMachineExecution: true },
  Context: {
    Execution: { Id: 'exec', Input: { NewUserPoolId: 'new-pool' }, StartTime: '2024-01-15T03:00:00.000Z' },
    StateMachine: { Id: 'arn:sm', Name: name },
  },
});
const run = (e: CheckWorkflowQueuesEvent, env: Env = ENV) => createHandler(fakeRuntime(fakeClock(0), env))(e);

beforeEach(() => sqs.reset());

describe('check-workflow-queues', () => {
  it('declares exactly the variables it reads, with the template names', () => {
    expect(Object.keys(ENVIRONMENT).sort()).toEqual(['NEW_USERS_QUEUE_URL', 'UPDATES_QUEUE_URL']);
  });

  it('passes the input on with QueuesStartedOutEmpty when both queues are empty', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: EMPTY });
    expect(await run(event())).toEqual({
      result: { OnlyThisStateMachineExecution: true, QueuesStartedOutEmpty: true },
    });
    expect(sqs.commandCalls(GetQueueAttributesCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: 'new-users-queue-url', AttributeNames: ['All'] },
      { QueueUrl: 'updates-queue-url', AttributeNames: ['All'] },
    ]);
  });

  it('rejects a queue with a delayed message, naming queue, attribute and value', async () => {
    sqs
      .on(GetQueueAttributesCommand, { QueueUrl: 'new-users-queue-url' })
      .resolves({ Attributes: EMPTY })
      .on(GetQueueAttributesCommand, { QueueUrl: 'updates-queue-url' })
      .resolves({ Attributes: { ...EMPTY, ApproximateNumberOfMessagesDelayed: '1' } });
    await expect(run(event())).rejects.toThrow(
      'Queue (updates-queue-url) is not empty. Expected a value of "0" for attribute (ApproximateNumberOfMessagesDelayed) and found value "1" instead. Please purge this queue prior to running this workflow',
    );
  });

  it('names every non-zero counter of a queue, in the original order', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: '2' },
    });
    await expect(run(event())).rejects.toThrow(
      'Queue (new-users-queue-url) is not empty. Expected a value of "0" for attribute (ApproximateNumberOfMessages) and found value "3" instead. Expected a value of "0" for attribute (ApproximateNumberOfMessagesNotVisible) and found value "2" instead.',
    );
  });

  it('names every non-zero counter of every queue: visible, in flight and delayed', async () => {
    sqs
      .on(GetQueueAttributesCommand, { QueueUrl: 'new-users-queue-url' })
      .resolves({ Attributes: { ...EMPTY, ApproximateNumberOfMessagesNotVisible: '7' } })
      .on(GetQueueAttributesCommand, { QueueUrl: 'updates-queue-url' })
      .resolves({
        Attributes: {
          ApproximateNumberOfMessages: '4',
          ApproximateNumberOfMessagesNotVisible: '1',
          ApproximateNumberOfMessagesDelayed: '2',
        },
      });
    const error = await run(event()).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.name).toBe('QueueNotEmptyError');
    expect(error?.message).toBe(
      'Queue (new-users-queue-url) is not empty. ' +
        'Expected a value of "0" for attribute (ApproximateNumberOfMessagesNotVisible) and found value "7" instead. ' +
        'Queue (updates-queue-url) is not empty. ' +
        'Expected a value of "0" for attribute (ApproximateNumberOfMessages) and found value "4" instead. ' +
        'Expected a value of "0" for attribute (ApproximateNumberOfMessagesNotVisible) and found value "1" instead. ' +
        'Expected a value of "0" for attribute (ApproximateNumberOfMessagesDelayed) and found value "2" instead. ' +
        'Please purge these queues prior to running this workflow',
    );
  });

  it('skips counters the response does not have', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({});
    expect((await run(event())).result.QueuesStartedOutEmpty).toBe(true);
  });

  it('rejects any workflow other than the import workflow', async () => {
    await expect(run(event('StateMachineName'))).rejects.toThrow(
      'Unknown State Machine Name: StateMachineName',
    );
    await expect(run(event('ExportWorkflow-abc'))).rejects.toThrow(
      'Unknown State Machine Name: ExportWorkflow',
    );
    expect(sqs).not.toHaveReceivedCommand(GetQueueAttributesCommand);
  });

  it('names a missing variable', async () => {
    await expect(run(event(), { NEW_USERS_QUEUE_URL: 'q' })).rejects.toThrow(
      'Error validating Environment Variables. Missing value for UPDATES_QUEUE_URL',
    );
  });
});
