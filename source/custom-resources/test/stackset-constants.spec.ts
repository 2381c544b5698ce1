// SPDX-License-Identifier: Apache-2.0
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockAws } from '../../test-support/aws-mock';
import { fakeRuntime } from '../../test-support/runtime';
import { createHandler, ENVIRONMENT } from '../stackset-constants';
import { cfnEvent, fakeClock, fakeFetch, FIXED_VALUES, LOG_STREAM, REASON } from './support';

const ssm = mockAws(SSMClient);
const context = { logStreamName: LOG_STREAM };
const stored = FIXED_VALUES;
const properties = { ParentStackName: 'my-stack', PrimaryRegion: 'us-east-1' };

function setup() {
  const http = fakeFetch();
  const handler = createHandler(fakeRuntime(fakeClock(), {}, { fetch: http.fetch }));
  return { http, handler };
}

type Props = Record<string, string>;
const event = (overrides: Partial<Parameters<typeof cfnEvent<Props>>[0]> = {}) =>
  cfnEvent<Props>({
    StackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/StackSet-my-stack-StackSet-1234/abcd',
    ResponseURL:
      'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/arn%3Aresp?X-Amz-Signature=abc',
    LogicalResourceId: 'StackSetConstantsCustomResource',
    ResourceProperties: properties,
    ...overrides,
  });

/** The region of the client that sent the n-th GetParameter. */
async function regionOfCall(index: number): Promise<string> {
  const call = ssm.commandCalls(GetParameterCommand)[index];
  const client = call?.thisValue as SSMClient;
  return client.config.region();
}

beforeEach(() => {
  ssm.reset();
});

it('returns the whole document of the primary region as Data on Create', async () => {
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(stored) } });
  const { http, handler } = setup();

  const response = await handler(event(), context);

  expect(response).toEqual({ status: 'SUCCESS', data: stored });
  expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, {
    Name: '/my-stack-us-east-1/fixed-solution-parameters',
  });
  await expect(regionOfCall(0)).resolves.toBe('us-east-1');
  expect(http.cfnBodies()).toEqual([
    {
      Status: 'SUCCESS',
      Reason: REASON,
      PhysicalResourceId: 'StackSetConstantsCustomResource',
      StackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/StackSet-my-stack-StackSet-1234/abcd',
      RequestId: 'a4a5b7c2-6f77-4c5e-8d0f-0d7a0e5b1c11',
      LogicalResourceId: 'StackSetConstantsCustomResource',
      Data: stored,
    },
  ]);
});

it('reads from the region named by PrimaryRegion, whatever region it runs in', async () => {
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(stored) } });
  const { handler } = setup();
  await handler(
    event({ ResourceProperties: { ParentStackName: 'my-stack', PrimaryRegion: 'ap-southeast-2' } }),
    context,
  );
  expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, {
    Name: '/my-stack-ap-southeast-2/fixed-solution-parameters',
  });
  await expect(regionOfCall(0)).resolves.toBe('ap-southeast-2');
});

it('returns the same Data on Update, so GetAtt keeps working, with the same physical id', async () => {
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(stored) } });
  const { http, handler } = setup();
  const response = await handler(
    event({ RequestType: 'Update', PhysicalResourceId: 'older-id', OldResourceProperties: properties }),
    context,
  );
  expect(response).toEqual({ status: 'SUCCESS', data: stored });
  expect(http.cfnBodies()).toEqual([
    expect.objectContaining({ PhysicalResourceId: 'older-id', Data: stored }),
  ]);
});

it('does nothing on Delete', async () => {
  const { handler } = setup();
  expect(
    await handler(
      event({ RequestType: 'Delete', PhysicalResourceId: 'StackSetConstantsCustomResource' }),
      context,
    ),
  ).toEqual({
    status: 'SUCCESS',
    data: { Message: 'No action required for Delete' },
  });
  expect(ssm).not.toHaveReceivedAnyCommand();
});

it.each([
  ['[1,2]', 'does not hold a JSON object'],
  ['not json', 'does not hold valid JSON'],
  [undefined, 'has no value'],
])('answers FAILED when the document is %p', async (value, problem) => {
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: value } });
  const { handler } = setup();
  expect(await handler(event(), context)).toEqual({
    status: 'FAILED',
    data: { Error: `The SSM parameter /my-stack-us-east-1/fixed-solution-parameters ${problem}` },
  });
});

it('answers FAILED when the document cannot be read', async () => {
  ssm
    .on(GetParameterCommand)
    .rejects(Object.assign(new Error('Parameter not found'), { name: 'ParameterNotFound' }));
  const { handler } = setup();
  expect(await handler(event(), context)).toEqual({
    status: 'FAILED',
    data: { Error: 'Parameter not found' },
  });
});

it('answers FAILED when PrimaryRegion is missing', async () => {
  const { handler } = setup();
  expect(await handler(event({ ResourceProperties: { ParentStackName: 'my-stack' } }), context)).toEqual({
    status: 'FAILED',
    data: { Error: 'Error validating ResourceProperties. Missing value for PrimaryRegion' },
  });
  expect(ssm).not.toHaveReceivedAnyCommand();
});

it('declares no variables of its own', () => {
  expect(Object.keys(ENVIRONMENT)).toEqual([]);
});
