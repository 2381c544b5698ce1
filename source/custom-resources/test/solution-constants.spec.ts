// SPDX-License-Identifier: Apache-2.0
import { randomUUID } from 'node:crypto';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockAws } from '../../test-support/aws-mock';
import { fakeRuntime } from '../../test-support/runtime';
import { createHandler, ENVIRONMENT, solutionConstantsRuntime } from '../solution-constants';
import { appendWithMaxChars, createSolutionConstants } from '../lib/solution-constants';
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

const ssm = mockAws(SSMClient);
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ENV = { AWS_REGION: 'us-east-1' };
const context = { logStreamName: LOG_STREAM };

/** UUIDs handed out in order, so that expected values can be written down. */
function uuids(...values: string[]) {
  return () => {
    const next = values.shift();
    if (next === undefined) throw new Error('no more UUIDs');
    return next;
  };
}

function setup(options: { env?: Record<string, string | undefined>; randomUUID?: () => string } = {}) {
  const http = fakeFetch();
  const handler = createHandler({
    ...fakeRuntime(fakeClock(), options.env ?? ENV, { fetch: http.fetch }),
    randomUUID: options.randomUUID ?? randomUUID,
  });
  return { http, handler };
}

type Props = Record<string, string>;
const event = (overrides: Partial<Parameters<typeof cfnEvent<Props>>[0]> = {}) =>
  cfnEvent<Props>({
    LogicalResourceId: 'SolutionConstantsCustomResource',
    ResourceProperties: { StackName: 'stack-name' },
    ...overrides,
  });

beforeEach(() => {
  ssm.reset();
});

describe('solution-constants Create', () => {
  it('derives the names from a short stack name and answers with the exact body', async () => {
    const { http, handler } = setup({
      randomUUID: uuids('6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b', 'f0e1d2c3-b4a5-4968-8776-655443322110'),
    });
    const response = await handler(event(), context);

    const data = {
      StackSetName: 'stack-name-StackSet',
      FormattedStackName: 'stack-name',
      SolutionInstanceUUID: '6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b',
      UserImportJobMappingFileBucketPrefix: 'stack-name-import-jobs-0c1d2e3f4a5b',
      AnonymousDataUUID: 'f0e1d2c3-b4a5-4968-8776-655443322110',
    };
    expect(response).toEqual({ status: 'SUCCESS', data });
    const [put] = http.cfnPuts();
    expect(http.cfnPuts()).toHaveLength(1);
    expect(put?.url).toBe(RESPONSE_URL);
    expect(JSON.parse(put?.text ?? '')).toEqual({
      Status: 'SUCCESS',
      Reason: REASON,
      PhysicalResourceId: 'SolutionConstantsCustomResource',
      StackId: STACK_ID,
      RequestId: 'a4a5b7c2-6f77-4c5e-8d0f-0d7a0e5b1c11',
      LogicalResourceId: 'SolutionConstantsCustomResource',
      Data: data,
    });
    expect(put?.headers['content-length']).toBe(String(put?.byteLength));
    expect(ssm).not.toHaveReceivedAnyCommand();
  });

  it('cuts a long stack name so that the StackSet name fits in 128 characters', async () => {
    const stackName = 'this-is-a-very-long-stack-name-'.padEnd(172, 'x');
    const { handler } = setup();
    const { data } = await handler(event({ ResourceProperties: { StackName: stackName } }), context);

    expect(data.StackSetName).toBe(`${stackName.slice(0, 119)}-StackSet`);
    expect(data.StackSetName).toHaveLength(128);
    expect(data.FormattedStackName).toBe('this-is-a-very-');
    expect(data.SolutionInstanceUUID).toMatch(UUID_V4);
    expect(data.AnonymousDataUUID).toMatch(UUID_V4);
    expect(data.AnonymousDataUUID).not.toBe(data.SolutionInstanceUUID);
    const tail = String(data.SolutionInstanceUUID).split('-').pop();
    expect(data.UserImportJobMappingFileBucketPrefix).toBe(`this-is-a-very--import-jobs-${tail}`);
  });

  it('lower-cases the formatted name in the bucket prefix only', async () => {
    const { handler } = setup({ randomUUID: uuids('11111111-2222-4333-8444-abcdefabcdef', '2') });
    const { data } = await handler(event({ ResourceProperties: { StackName: 'My-Stack' } }), context);
    expect(data.FormattedStackName).toBe('My-Stack');
    expect(data.UserImportJobMappingFileBucketPrefix).toBe('my-stack-import-jobs-abcdefabcdef');
  });

  it('answers FAILED when StackName is missing', async () => {
    const { http, handler } = setup();
    const response = await handler(event({ ResourceProperties: {} }), context);
    expect(response).toEqual({
      status: 'FAILED',
      data: { Error: 'Error validating ResourceProperties. Missing value for StackName' },
    });
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({ Status: 'FAILED', PhysicalResourceId: 'SolutionConstantsCustomResource' }),
    ]);
  });
});

describe('solution-constants Update keeps the Create data (GetAtt keeps working)', () => {
  const created = createSolutionConstants(
    'stack-name',
    uuids('6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b', 'f0e1d2c3-b4a5-4968-8776-655443322110'),
  );
  const stored = {
    SecondaryRegion: 'eu-west-1',
    PrimaryUserPoolId: 'us-east-1_AbCdEf123',
    BackupTableName: 'stack-name-BackupTable-XYZ',
    AnonymousDataUUID: created.AnonymousDataUUID,
    ParentStackName: 'stack-name',
    FormattedStackName: created.FormattedStackName,
    PrimaryRegion: 'us-east-1',
    ImportNewUsersQueueNamePrefix: 'import-new-users',
    SolutionInstanceUUID: created.SolutionInstanceUUID,
    UserImportJobMappingFileBucketPrefix: created.UserImportJobMappingFileBucketPrefix,
    ExportWorkflowQueueNamePrefix: 'export-workflow',
  };
  const update = event({
    RequestType: 'Update',
    PhysicalResourceId: 'SolutionConstantsCustomResource',
    ResourceProperties: { StackName: 'stack-name' },
    OldResourceProperties: { StackName: 'stack-name' },
  });

  it('returns exactly the Create data, read back from the fixed-parameters document, without new UUIDs', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(stored) } });
    const randomUUID = jest.fn(() => '00000000-0000-4000-8000-000000000000');
    const { http, handler } = setup({ randomUUID });

    const response = await handler(update, context);

    expect(response).toEqual({ status: 'SUCCESS', data: created });
    expect(randomUUID).not.toHaveBeenCalled();
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, {
      Name: '/stack-name-us-east-1/fixed-solution-parameters',
    });
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({
        Status: 'SUCCESS',
        PhysicalResourceId: 'SolutionConstantsCustomResource',
        Data: created,
      }),
    ]);
  });

  it('keeps a physical id given by an earlier version on Update', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(stored) } });
    const { http, handler } = setup();
    await handler({ ...update, PhysicalResourceId: 'legacy-physical-id' }, context);
    expect(http.cfnBodies()).toEqual([expect.objectContaining({ PhysicalResourceId: 'legacy-physical-id' })]);
  });

  it('answers FAILED, naming the parameter, when the document does not exist', async () => {
    ssm.on(GetParameterCommand).rejects(awsError('ParameterNotFound'));
    const { handler } = setup();
    const response = await handler(update, context);
    expect(response).toEqual({
      status: 'FAILED',
      data: {
        Error:
          'Cannot keep the solution constants on Update: they are read back from the SSM parameter ' +
          '/stack-name-us-east-1/fixed-solution-parameters, which does not exist',
      },
    });
  });

  it('answers FAILED, naming the key, when the document lacks a constant', async () => {
    const { SolutionInstanceUUID: _dropped, ...incomplete } = stored;
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(incomplete) } });
    const { handler } = setup();
    const { status, data } = await handler(update, context);
    expect(status).toBe('FAILED');
    expect(data.Error).toMatch(/which has no value for SolutionInstanceUUID$/);
  });

  it('passes other SSM errors through as FAILED', async () => {
    ssm.on(GetParameterCommand).rejects(awsError('AccessDeniedException', 'not allowed'));
    const { handler } = setup();
    expect(await handler(update, context)).toEqual({ status: 'FAILED', data: { Error: 'not allowed' } });
  });

  it('answers FAILED when the document is not JSON', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '{oops' } });
    const { handler } = setup();
    const { data } = await handler(update, context);
    expect(data.Error).toBe(
      'The SSM parameter /stack-name-us-east-1/fixed-solution-parameters does not hold valid JSON',
    );
  });

  it('answers FAILED when AWS_REGION is missing', async () => {
    const { handler } = setup({ env: {} });
    expect(await handler(update, context)).toEqual({
      status: 'FAILED',
      data: { Error: 'Error validating Environment Variables. Missing value for AWS_REGION' },
    });
    expect(ssm).not.toHaveReceivedAnyCommand();
  });
});

describe('solution-constants Delete and other request types', () => {
  it('does nothing on Delete and keeps the physical id', async () => {
    const { http, handler } = setup();
    const response = await handler(
      event({ RequestType: 'Delete', PhysicalResourceId: 'SolutionConstantsCustomResource' }),
      context,
    );
    expect(response).toEqual({ status: 'SUCCESS', data: { Message: 'No action required for Delete' } });
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({ PhysicalResourceId: 'SolutionConstantsCustomResource' }),
    ]);
    expect(ssm).not.toHaveReceivedAnyCommand();
  });

  it('answers FAILED for an unknown request type', async () => {
    const { handler } = setup();
    const response = await handler(event({ RequestType: 'Unexpected' }), context);
    expect(response.status).toBe('FAILED');
    expect(response.data.Error).toContain('Unexpected');
  });
});

describe('appendWithMaxChars', () => {
  it.each([
    ['a-long-sqs-fifo-queue-name', '.fifo', 10, 'a-lon.fifo'],
    ['short', '-x', 10, 'short-x'],
    ['abc', '-x', 0, 'abc-x'],
    ['abc', '-toolong', 4, '-toolong'],
  ])('(%s, %s, %i) → %s', (prefix, suffix, max, expected) => {
    expect(appendWithMaxChars(prefix, suffix, max)).toBe(expected);
  });
});

it('declares exactly the variables it reads', () => {
  expect(Object.keys(ENVIRONMENT)).toEqual(['AWS_REGION']);
});

it('draws random v4 UUIDs on the default runtime', () => {
  const { randomUUID: draw } = solutionConstantsRuntime();
  expect(draw()).toMatch(UUID_V4);
  expect(draw()).not.toBe(draw());
});
