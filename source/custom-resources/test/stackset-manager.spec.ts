// SPDX-License-Identifier: Apache-2.0
import {
  CloudFormationClient,
  CreateStackInstancesCommand,
  CreateStackSetCommand,
  DeleteStackInstancesCommand,
  UpdateStackSetCommand,
} from '@aws-sdk/client-cloudformation';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs } from '../../test-support/capture-logs';
import { fakeRuntime } from '../../test-support/runtime';
import { METRICS_ENDPOINT } from '../../utils/metrics';
import { createHandler, ENVIRONMENT } from '../stackset-manager';
import { awsError, cfnEvent, fakeClock, fakeFetch, LOG_STREAM, REASON, STACK_ID } from './support';

const cloudFormation = mockAws(CloudFormationClient);
const sfn = mockAws(SFNClient);

const STATE_MACHINE_ARN =
  'arn:aws:states:us-east-1:111122223333:stateMachine:StackSetCheckStatusWorkflow-abc';
const ENV = {
  AWS_REGION: 'us-east-1',
  STATE_MACHINE_ARN,
  SEND_METRIC: 'Yes',
  METRICS_ANONYMOUS_UUID: 'f0e1d2c3-b4a5-4968-8776-655443322110',
  SOLUTION_ID: 'SO0126',
  SOLUTION_VERSION: 'v2.0.0',
  COGNITO_TPS: '10',
  EXPORT_FREQUENCY: 'rate(1 day)',
  SNS_PREFERENCE: 'INFO_AND_ERRORS',
};
const EMAIL = 'ops-team@example.com';
const properties = {
  ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:manager',
  StackSetName: 'my-stack-StackSet',
  TemplateURL: 'https://bucket-us-east-1.s3.amazonaws.com/solution/v2.0.0/stack-set-template.template',
  AdministrationRoleARN: 'arn:aws:iam::111122223333:role/my-stack-StackSetAdminRole-1',
  ExecutionRoleName: 'my-stack-StackSetExecRole-1',
  AccountId: '111122223333',
  SecondaryRegion: 'eu-west-1',
  StackSetParameters: {
    PrimaryRegion: 'us-east-1',
    CognitoTPS: '10',
    SendAnonymousData: 'Yes',
    ExportFrequency: 'rate(1 day)',
    NotificationEmail: EMAIL,
    SnsPreference: 'INFO_AND_ERRORS',
    ParentStackName: 'my-stack',
  },
};
const definition = {
  StackSetName: 'my-stack-StackSet',
  TemplateURL: properties.TemplateURL,
  AdministrationRoleARN: properties.AdministrationRoleARN,
  ExecutionRoleName: properties.ExecutionRoleName,
  Capabilities: ['CAPABILITY_IAM'],
  Parameters: [
    { ParameterKey: 'PrimaryRegion', ParameterValue: 'us-east-1' },
    { ParameterKey: 'CognitoTPS', ParameterValue: '10' },
    { ParameterKey: 'SendAnonymousData', ParameterValue: 'Yes' },
    { ParameterKey: 'ExportFrequency', ParameterValue: 'rate(1 day)' },
    { ParameterKey: 'NotificationEmail', ParameterValue: EMAIL },
    { ParameterKey: 'SnsPreference', ParameterValue: 'INFO_AND_ERRORS' },
    { ParameterKey: 'ParentStackName', ParameterValue: 'my-stack' },
  ],
};
const targets = {
  StackSetName: 'my-stack-StackSet',
  Accounts: ['111122223333'],
  Regions: ['eu-west-1', 'us-east-1'],
};
const context = { logStreamName: LOG_STREAM };

function setup(
  options: { env?: Record<string, string | undefined>; reply?: Parameters<typeof fakeFetch>[0] } = {},
) {
  const http = fakeFetch(options.reply);
  const clock = fakeClock();
  const logs = captureLogs();
  const handler = createHandler(
    fakeRuntime(clock, options.env ?? ENV, { fetch: http.fetch, write: logs.write }),
  );
  return { http, clock, handler, lines: logs.lines };
}

type Props = Record<string, unknown>;
const event = (overrides: Partial<Parameters<typeof cfnEvent<Props>>[0]> = {}) =>
  cfnEvent<Props>({
    LogicalResourceId: 'StackSetManagerCustomResource',
    ResourceProperties: properties,
    ...overrides,
  });

function workflowInput(): Record<string, unknown> {
  const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input;
  return JSON.parse(input ?? 'null') as Record<string, unknown>;
}

beforeEach(() => {
  cloudFormation.reset();
  sfn.reset();
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution' });
});

describe('stackset-manager hands each request to the status workflow', () => {
  it('Create: creates the StackSet and its two instances, starts the workflow, sends the metric, does not answer', async () => {
    cloudFormation.on(CreateStackSetCommand).resolves({ StackSetId: 'my-stack-StackSet:1' });
    cloudFormation.on(CreateStackInstancesCommand).resolves({ OperationId: 'op-create' });
    const { http, clock, handler, lines } = setup();
    const request = event();

    expect(await handler(request, context)).toBe(request);

    expect(cloudFormation).toHaveReceivedCommandWith(CreateStackSetCommand, definition);
    expect(cloudFormation).toHaveReceivedCommandWith(CreateStackInstancesCommand, targets);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE_ARN });
    expect(workflowInput()).toEqual({
      customResourceStartTime: clock.now(),
      operationId: 'op-create',
      customResourceEvent: request,
    });
    expect(http.cfnPuts()).toEqual([]);
    const [metric] = http.metricPosts();
    expect(metric?.url).toBe(METRICS_ENDPOINT);
    expect(JSON.parse(metric?.text ?? '')).toEqual({
      Solution: 'SO0126',
      Version: 'v2.0.0',
      UUID: 'f0e1d2c3-b4a5-4968-8776-655443322110',
      TimeStamp: new Date(clock.now()).toISOString(),
      Data: {
        EventType: 'Solution-Create',
        EventDetails: {
          Region: 'us-east-1',
          CognitoTPS: '10',
          SnsPreference: 'INFO_AND_ERRORS',
          ExportFrequency: 'rate(1 day)',
        },
      },
    });
    expect(lines.join('\n')).not.toContain(EMAIL);
  });

  it('Update: updates the StackSet with the same definition', async () => {
    cloudFormation.on(UpdateStackSetCommand).resolves({ OperationId: 'op-update' });
    const { http, handler } = setup();
    const request = event({ RequestType: 'Update', PhysicalResourceId: 'StackSetManagerCustomResource' });

    expect(await handler(request, context)).toBe(request);

    expect(cloudFormation).toHaveReceivedCommandWith(UpdateStackSetCommand, definition);
    expect(cloudFormation).not.toHaveReceivedCommand(CreateStackSetCommand);
    expect(workflowInput()).toMatchObject({ operationId: 'op-update', customResourceEvent: request });
    expect(JSON.parse(http.metricPosts()[0]?.text ?? '')).toMatchObject({
      Data: { EventType: 'Solution-Update' },
    });
  });

  it('Delete: deletes both instances without retaining their stacks', async () => {
    cloudFormation.on(DeleteStackInstancesCommand).resolves({ OperationId: 'op-delete' });
    const { http, handler } = setup();
    const request = event({ RequestType: 'Delete', PhysicalResourceId: 'StackSetManagerCustomResource' });

    expect(await handler(request, context)).toBe(request);

    expect(cloudFormation).toHaveReceivedCommandWith(DeleteStackInstancesCommand, {
      ...targets,
      RetainStacks: false,
    });
    expect(workflowInput()).toMatchObject({ operationId: 'op-delete' });
    expect(http.cfnPuts()).toEqual([]);
  });

  it('passes no parameters when StackSetParameters is absent', async () => {
    cloudFormation.on(UpdateStackSetCommand).resolves({ OperationId: 'op-update' });
    const { handler } = setup();
    const { StackSetParameters: _none, ...rest } = properties;
    await handler(event({ RequestType: 'Update', ResourceProperties: rest }), context);
    expect(cloudFormation).toHaveReceivedCommandWith(UpdateStackSetCommand, {
      ...definition,
      Parameters: [],
    });
  });

  it('sends no metric unless SEND_METRIC is Yes', async () => {
    cloudFormation.on(UpdateStackSetCommand).resolves({ OperationId: 'op-update' });
    const { http, handler } = setup({ env: { ...ENV, SEND_METRIC: 'No' } });
    await handler(event({ RequestType: 'Update' }), context);
    expect(http.requests).toEqual([]);
  });

  it('never fails the request because of the metric', async () => {
    cloudFormation.on(UpdateStackSetCommand).resolves({ OperationId: 'op-update' });
    const { handler } = setup({ reply: () => new TypeError('fetch failed') });
    const request = event({ RequestType: 'Update' });
    expect(await handler(request, context)).toBe(request);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });
});

describe('stackset-manager answers CloudFormation itself when it cannot hand over', () => {
  it('answers FAILED with the stable physical id (not the log stream) when a call fails', async () => {
    cloudFormation
      .on(DeleteStackInstancesCommand)
      .rejects(awsError('OperationInProgressException', 'an error'));
    const { http, handler } = setup();
    const request = event({ RequestType: 'Delete', PhysicalResourceId: 'StackSetManagerCustomResource' });

    expect(await handler(request, context)).toEqual({ status: 'FAILED', data: { Error: 'an error' } });

    expect(http.cfnBodies()).toEqual([
      {
        Status: 'FAILED',
        Reason: `an error (${REASON})`,
        PhysicalResourceId: 'StackSetManagerCustomResource',
        StackId: STACK_ID,
        RequestId: 'a4a5b7c2-6f77-4c5e-8d0f-0d7a0e5b1c11',
        LogicalResourceId: 'StackSetManagerCustomResource',
        Data: { Error: 'an error' },
      },
    ]);
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(http.metricPosts()).toEqual([]);
  });

  it('uses the logical id as physical id when a Create fails', async () => {
    cloudFormation.on(CreateStackSetCommand).rejects(awsError('NameAlreadyExistsException', 'exists'));
    const { http, handler } = setup();
    await handler(event(), context);
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({ PhysicalResourceId: 'StackSetManagerCustomResource' }),
    ]);
    expect(cloudFormation).not.toHaveReceivedCommand(CreateStackInstancesCommand);
  });

  it('answers FAILED when the workflow cannot be started', async () => {
    cloudFormation.on(UpdateStackSetCommand).resolves({ OperationId: 'op-update' });
    sfn.on(StartExecutionCommand).rejects(awsError('StateMachineDoesNotExist', 'no such machine'));
    const { http, handler } = setup();
    expect(await handler(event({ RequestType: 'Update', PhysicalResourceId: 'p-1' }), context)).toEqual({
      status: 'FAILED',
      data: { Error: 'no such machine' },
    });
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({ Status: 'FAILED', PhysicalResourceId: 'p-1' }),
    ]);
  });

  it('answers FAILED when CloudFormation returns no operation id', async () => {
    cloudFormation.on(UpdateStackSetCommand).resolves({});
    const { handler } = setup();
    expect(await handler(event({ RequestType: 'Update' }), context)).toEqual({
      status: 'FAILED',
      data: { Error: 'CloudFormation returned no OperationId for the StackSet Update' },
    });
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it('never starts the workflow for an unknown request type, and answers FAILED', async () => {
    const { http, handler } = setup();
    const response = await handler(event({ RequestType: 'Unexpected' }), context);
    expect(response).toEqual({
      status: 'FAILED',
      data: { Error: 'Unsupported RequestType "Unexpected"; expected Create, Update or Delete' },
    });
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({ Status: 'FAILED', PhysicalResourceId: 'StackSetManagerCustomResource' }),
    ]);
  });

  it('answers SUCCESS to a Delete of a StackSet that does not exist (rollback of a failed Create)', async () => {
    cloudFormation
      .on(DeleteStackInstancesCommand)
      .rejects(awsError('StackSetNotFoundException', 'not found'));
    const { http, handler } = setup();
    const request = event({ RequestType: 'Delete', PhysicalResourceId: 'StackSetManagerCustomResource' });
    expect(await handler(request, context)).toBe(request);
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({ Status: 'SUCCESS', Data: { Message: 'Delete Successful' } }),
    ]);
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it('does not treat a missing StackSet as success on Update', async () => {
    cloudFormation.on(UpdateStackSetCommand).rejects(awsError('StackSetNotFoundException', 'not found'));
    const { handler } = setup();
    expect(await handler(event({ RequestType: 'Update' }), context)).toEqual({
      status: 'FAILED',
      data: { Error: 'not found' },
    });
  });

  it('answers FAILED, naming the variable, when STATE_MACHINE_ARN is missing', async () => {
    const { STATE_MACHINE_ARN: _gone, ...env } = ENV;
    const { handler } = setup({ env });
    expect(await handler(event(), context)).toEqual({
      status: 'FAILED',
      data: { Error: 'Error validating Environment Variables. Missing value for STATE_MACHINE_ARN' },
    });
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
  });

  it('answers FAILED when a required property is missing', async () => {
    const { http, handler } = setup();
    await handler(event({ ResourceProperties: { ...properties, AccountId: '' } }), context);
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({
        Data: { Error: 'Error validating ResourceProperties. Missing value for AccountId' },
      }),
    ]);
  });

  it('sends a non-ASCII error with a Content-Length in bytes', async () => {
    cloudFormation.on(CreateStackSetCommand).rejects(awsError('ValidationError', 'Modèle invalide ✓'));
    const { http, handler } = setup();
    await handler(event(), context);
    const [put] = http.cfnPuts();
    expect(JSON.parse(put?.text ?? '')).toMatchObject({ Data: { Error: 'Modèle invalide ✓' } });
    expect(put?.headers['content-length']).toBe(String(Buffer.byteLength(put?.text ?? '', 'utf8')));
    // 'è' takes 2 bytes and '✓' 3, and the message appears twice (Reason and Data.Error).
    expect(Number(put?.headers['content-length'])).toBe((put?.text.length ?? 0) + 2 * (1 + 2));
  });

  it('retries the FAILED response, and rejects when it cannot be delivered at all', async () => {
    cloudFormation.on(CreateStackSetCommand).rejects(awsError('ValidationError', 'bad'));
    const { http, handler } = setup({ reply: () => 500 });
    await expect(handler(event(), context)).rejects.toThrow(/answered HTTP 500/);
    expect(http.cfnPuts().length).toBeGreaterThan(1);
  });
});

it('declares exactly the variables it reads', () => {
  expect(Object.keys(ENVIRONMENT).sort()).toEqual(
    [
      'AWS_REGION',
      'STATE_MACHINE_ARN',
      'COGNITO_TPS',
      'EXPORT_FREQUENCY',
      'SNS_PREFERENCE',
      'SEND_METRIC',
      'METRICS_ANONYMOUS_UUID',
    ].sort(),
  );
});
