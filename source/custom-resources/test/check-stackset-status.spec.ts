// SPDX-License-Identifier: Apache-2.0
import {
  CloudFormationClient,
  DeleteStackSetCommand,
  DescribeStackSetOperationCommand,
  ListStackSetOperationResultsCommand,
  type StackSetOperationResultSummary,
} from '@aws-sdk/client-cloudformation';
import { mockAws } from '../../test-support/aws-mock';
import { fakeRuntime } from '../../test-support/runtime';
import type { CustomResourceEvent } from '../../utils/custom-resource';
import { createHandler, ENVIRONMENT } from '../check-stackset-status';
import type { CheckStackSetStatusEvent } from '../lib/types';
import {
  awsError,
  cfnEvent,
  fakeClock,
  fakeFetch,
  LOG_STREAM,
  REASON,
  RESPONSE_URL,
  STACK_ID,
} from './support';

const cloudFormation = mockAws(CloudFormationClient);
const context = { logStreamName: LOG_STREAM };
const STARTED = Date.parse('2024-05-01T12:00:00.000Z');

function setup(options: { reply?: Parameters<typeof fakeFetch>[0]; now?: number } = {}) {
  const http = fakeFetch(options.reply);
  const clock = fakeClock(options.now ?? STARTED + 60_000);
  const handler = createHandler(fakeRuntime(clock, {}, { fetch: http.fetch }));
  return { http, clock, handler };
}

type Props = Record<string, unknown>;
function request(overrides: Partial<CustomResourceEvent<Props>> = {}): CustomResourceEvent<Props> {
  return cfnEvent<Props>({
    LogicalResourceId: 'StackSetManagerCustomResource',
    ResourceProperties: { StackSetName: 'my-stack-StackSet', AccountId: '111122223333' },
    ...overrides,
  });
}

/** The wrapped event of the task: the manager's execution input is read from the context object. */
function wrapped(
  customResourceEvent: unknown,
  extra: Record<string, unknown> = {},
): CheckStackSetStatusEvent {
  const executionInput = {
    customResourceStartTime: STARTED,
    operationId: 'op-1',
    customResourceEvent,
    ...extra,
  };
  return {
    Input: { HasRespondedToCfn: false },
    Context: {
      Execution: {
        Id: 'arn:aws:states:us-east-1:111122223333:execution:wf:1',
        Input: executionInput,
        StartTime: '2024-05-01T12:00:01.000Z',
      },
      State: { Name: 'StackSetCheckStatusLambda', EnteredTime: '2024-05-01T12:01:00.000Z' },
      StateMachine: {
        Id: 'arn:aws:states:us-east-1:111122223333:stateMachine:wf',
        Name: 'StackSetCheckStatusWorkflow-abc',
      },
    },
  };
}

const summaries = (...statuses: string[]): StackSetOperationResultSummary[] =>
  statuses.map((status, index) => ({
    Account: '111122223333',
    Region: index === 0 ? 'eu-west-1' : 'us-east-1',
    // The API's casing varies in the original's tests; the code compares case-insensitively.
    Status: status as StackSetOperationResultSummary['Status'],
  }));

beforeEach(() => {
  cloudFormation.reset();
});

describe('check-stackset-status', () => {
  it('answers FAILED with the original message when an instance failed', async () => {
    cloudFormation
      .on(ListStackSetOperationResultsCommand)
      .resolves({ Summaries: summaries('SUCCEEDED', 'FAILED') });
    const { http, handler } = setup();

    expect(await handler(wrapped(request()), context)).toEqual({ result: { HasRespondedToCfn: true } });

    expect(cloudFormation).toHaveReceivedCommandWith(ListStackSetOperationResultsCommand, {
      StackSetName: 'my-stack-StackSet',
      OperationId: 'op-1',
    });
    expect(http.cfnPuts()[0]?.url).toBe(RESPONSE_URL);
    expect(http.cfnBodies()).toEqual([
      {
        Status: 'FAILED',
        Reason: `At least one instance in this StackSet failed to update (${REASON})`,
        PhysicalResourceId: 'StackSetManagerCustomResource',
        StackId: STACK_ID,
        RequestId: 'a4a5b7c2-6f77-4c5e-8d0f-0d7a0e5b1c11',
        LogicalResourceId: 'StackSetManagerCustomResource',
        Data: { Error: 'At least one instance in this StackSet failed to update' },
      },
    ]);
  });

  it('answers FAILED when an instance was cancelled (case-insensitive)', async () => {
    cloudFormation
      .on(ListStackSetOperationResultsCommand)
      .resolves({ Summaries: summaries('succeeded', 'cancelled') });
    const { http, handler } = setup();
    await handler(wrapped(request()), context);
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        Data: { Error: 'At least one instance update was canceled' },
      }),
    ]);
  });

  it('asks to be called again while an instance is pending, without answering', async () => {
    cloudFormation
      .on(ListStackSetOperationResultsCommand)
      .resolves({ Summaries: summaries('SUCCEEDED', 'PENDING') });
    const { http, handler } = setup();
    expect(await handler(wrapped(request()), context)).toEqual({ result: { HasRespondedToCfn: false } });
    expect(http.requests).toEqual([]);
  });

  it('answers SUCCESS once every instance succeeded', async () => {
    cloudFormation
      .on(ListStackSetOperationResultsCommand)
      .resolves({ Summaries: summaries('SUCCEEDED', 'SUCCEEDED') });
    const { http, handler } = setup();
    expect(await handler(wrapped(request()), context)).toEqual({ result: { HasRespondedToCfn: true } });
    expect(http.cfnBodies()).toEqual([
      {
        Status: 'SUCCESS',
        Reason: REASON,
        PhysicalResourceId: 'StackSetManagerCustomResource',
        StackId: STACK_ID,
        RequestId: 'a4a5b7c2-6f77-4c5e-8d0f-0d7a0e5b1c11',
        LogicalResourceId: 'StackSetManagerCustomResource',
        Data: { Message: 'Create Successful' },
      },
    ]);
    expect(cloudFormation).not.toHaveReceivedCommand(DeleteStackSetCommand);
  });

  it('answers an Update with the physical id CloudFormation holds', async () => {
    cloudFormation.on(ListStackSetOperationResultsCommand).resolves({ Summaries: summaries('SUCCEEDED') });
    const { http, handler } = setup();
    await handler(
      wrapped(request({ RequestType: 'Update', PhysicalResourceId: 'legacy-log-stream-id' })),
      context,
    );
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({
        PhysicalResourceId: 'legacy-log-stream-id',
        Data: { Message: 'Update Successful' },
      }),
    ]);
  });

  it('follows NextToken through every page before deciding', async () => {
    cloudFormation
      .on(ListStackSetOperationResultsCommand)
      .resolvesOnce({ Summaries: summaries('SUCCEEDED'), NextToken: 'page-2' })
      .resolvesOnce({ Summaries: summaries('SUCCEEDED', 'FAILED') });
    const { http, handler } = setup();
    await handler(wrapped(request()), context);
    expect(cloudFormation).toHaveReceivedCommandTimes(ListStackSetOperationResultsCommand, 2);
    expect(
      cloudFormation
        .commandCalls(ListStackSetOperationResultsCommand)
        .map((call) => call.args[0].input.NextToken),
    ).toEqual([undefined, 'page-2']);
    expect(http.cfnBodies()).toEqual([expect.objectContaining({ Status: 'FAILED' })]);
  });

  it('deletes the StackSet on Delete before answering, with the same physical id', async () => {
    cloudFormation
      .on(ListStackSetOperationResultsCommand)
      .resolves({ Summaries: summaries('SUCCEEDED', 'SUCCEEDED') });
    cloudFormation.on(DeleteStackSetCommand).resolves({});
    const { http, handler } = setup();
    await handler(
      wrapped(request({ RequestType: 'Delete', PhysicalResourceId: 'StackSetManagerCustomResource' })),
      context,
    );
    expect(cloudFormation).toHaveReceivedCommandWith(DeleteStackSetCommand, {
      StackSetName: 'my-stack-StackSet',
    });
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({
        Status: 'SUCCESS',
        PhysicalResourceId: 'StackSetManagerCustomResource',
        Data: { Message: 'Delete Successful' },
      }),
    ]);
  });

  it('accepts a StackSet that is already gone on Delete', async () => {
    cloudFormation.on(ListStackSetOperationResultsCommand).resolves({ Summaries: summaries('SUCCEEDED') });
    cloudFormation.on(DeleteStackSetCommand).rejects(awsError('StackSetNotFoundException'));
    const { http, handler } = setup();
    await handler(wrapped(request({ RequestType: 'Delete', PhysicalResourceId: 'p' })), context);
    expect(http.cfnBodies()).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
  });

  it('answers FAILED, with a byte-correct body, when DeleteStackSet fails', async () => {
    cloudFormation.on(ListStackSetOperationResultsCommand).resolves({ Summaries: summaries('SUCCEEDED') });
    cloudFormation
      .on(DeleteStackSetCommand)
      .rejects(awsError('OperationInProgressException', 'Opération en cours ✓'));
    const { http, handler } = setup();
    expect(
      await handler(wrapped(request({ RequestType: 'Delete', PhysicalResourceId: 'p' })), context),
    ).toEqual({
      result: { HasRespondedToCfn: true },
    });
    const [put] = http.cfnPuts();
    expect(JSON.parse(put?.text ?? '')).toMatchObject({
      Status: 'FAILED',
      Data: { Error: 'Opération en cours ✓' },
    });
    expect(put?.headers['content-length']).toBe(String(Buffer.byteLength(put?.text ?? '', 'utf8')));
    expect(put?.byteLength).toBeGreaterThan(put?.text.length ?? 0);
  });

  describe('an operation without instance results', () => {
    it('is finished when the operation itself succeeded (deleting instances that were never created)', async () => {
      cloudFormation.on(ListStackSetOperationResultsCommand).resolves({ Summaries: [] });
      cloudFormation
        .on(DescribeStackSetOperationCommand)
        .resolves({ StackSetOperation: { Status: 'SUCCEEDED' } });
      cloudFormation.on(DeleteStackSetCommand).resolves({});
      const { http, handler } = setup();
      await handler(wrapped(request({ RequestType: 'Delete', PhysicalResourceId: 'p' })), context);
      expect(cloudFormation).toHaveReceivedCommandWith(DescribeStackSetOperationCommand, {
        StackSetName: 'my-stack-StackSet',
        OperationId: 'op-1',
      });
      expect(http.cfnBodies()).toEqual([
        expect.objectContaining({ Status: 'SUCCESS', Data: { Message: 'Delete Successful' } }),
      ]);
    });

    it('is still running while the operation is queued', async () => {
      cloudFormation.on(ListStackSetOperationResultsCommand).resolves({});
      cloudFormation
        .on(DescribeStackSetOperationCommand)
        .resolves({ StackSetOperation: { Status: 'QUEUED' } });
      const { http, handler } = setup();
      expect(await handler(wrapped(request()), context)).toEqual({ result: { HasRespondedToCfn: false } });
      expect(http.requests).toEqual([]);
    });

    it.each([
      [
        'FAILED',
        'Permission denied',
        'The StackSet operation op-1 ended with status FAILED: Permission denied',
      ],
      ['STOPPED', undefined, 'The StackSet operation op-1 ended with status STOPPED'],
    ])('fails when the operation ended %s', async (Status, StatusReason, message) => {
      cloudFormation.on(ListStackSetOperationResultsCommand).resolves({ Summaries: [] });
      cloudFormation
        .on(DescribeStackSetOperationCommand)
        .resolves({ StackSetOperation: { Status: Status as 'FAILED', StatusReason } });
      const { http, handler } = setup();
      await handler(wrapped(request()), context);
      expect(http.cfnBodies()).toEqual([
        expect.objectContaining({ Status: 'FAILED', Data: { Error: message } }),
      ]);
    });
  });

  it('answers FAILED itself when the operation runs longer than CloudFormation would wait', async () => {
    cloudFormation.on(ListStackSetOperationResultsCommand).resolves({ Summaries: summaries('RUNNING') });
    const { http, handler } = setup({ now: STARTED + 55 * 60_000 + 1 });
    expect(await handler(wrapped(request()), context)).toEqual({ result: { HasRespondedToCfn: true } });
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        Data: { Error: 'The StackSet operation op-1 did not finish within 55 minutes' },
      }),
    ]);
  });

  it('measures the wait from the execution start when the start time is missing', async () => {
    cloudFormation.on(ListStackSetOperationResultsCommand).resolves({ Summaries: summaries('RUNNING') });
    const { http, handler } = setup({ now: Date.parse('2024-05-01T12:56:02.000Z') });
    await handler(wrapped(request(), { customResourceStartTime: undefined }), context);
    expect(http.cfnBodies()).toEqual([expect.objectContaining({ Status: 'FAILED' })]);
  });

  it('retries a failed SUCCESS response until it is delivered', async () => {
    cloudFormation.on(ListStackSetOperationResultsCommand).resolves({ Summaries: summaries('SUCCEEDED') });
    const { http, clock, handler } = setup({
      reply: (_request, index) => (index === 0 ? new TypeError('socket hang up') : 200),
    });
    expect(await handler(wrapped(request()), context)).toEqual({ result: { HasRespondedToCfn: true } });
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({ Status: 'SUCCESS' }),
      expect.objectContaining({ Status: 'SUCCESS' }),
    ]);
    expect(clock.sleeps).toHaveLength(1);
  });

  it('answers FAILED when the SUCCESS response cannot be delivered after every retry', async () => {
    cloudFormation.on(ListStackSetOperationResultsCommand).resolves({ Summaries: summaries('SUCCEEDED') });
    const { http, handler } = setup({ reply: (put) => (put.text.includes('"SUCCESS"') ? 502 : 200) });
    expect(await handler(wrapped(request()), context)).toEqual({ result: { HasRespondedToCfn: true } });
    const bodies = http.cfnBodies() as { Status: string }[];
    expect(bodies.filter((body) => body.Status === 'SUCCESS')).toHaveLength(5);
    expect(bodies.at(-1)).toMatchObject({
      Status: 'FAILED',
      Data: { Error: expect.stringContaining('HTTP 502') },
    });
  });

  it('fails loudly when even the retried FAILED response cannot be delivered', async () => {
    cloudFormation.on(ListStackSetOperationResultsCommand).resolves({ Summaries: summaries('FAILED') });
    const { http, handler } = setup({ reply: () => 500 });
    await expect(handler(wrapped(request()), context)).rejects.toThrow(
      /^Could not deliver the FAILED response to CloudFormation after retries \(.*HTTP 500.*\); the stack waits for its custom-resource timeout\. Original error: At least one instance in this StackSet failed to update$/,
    );
    expect(http.cfnPuts()).toHaveLength(5);
  });

  it('answers FAILED when the execution input has no operation id', async () => {
    const { http, handler } = setup();
    await handler(wrapped(request(), { operationId: undefined }), context);
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        Data: { Error: 'The status workflow input has no operationId' },
      }),
    ]);
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
  });

  it('rejects when there is no request to answer', async () => {
    const { handler } = setup();
    await expect(handler(wrapped(undefined), context)).rejects.toThrow(
      'The status workflow input has no customResourceEvent with a ResponseURL',
    );
  });
});

it('declares no variables of its own', () => {
  expect(Object.keys(ENVIRONMENT)).toEqual([]);
});
