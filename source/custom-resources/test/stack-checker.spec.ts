// SPDX-License-Identifier: Apache-2.0
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockAws } from '../../test-support/aws-mock';
import { fakeRuntime } from '../../test-support/runtime';
import { createHandler, ENVIRONMENT } from '../stack-checker';
import { fixedParameterValues, parseFixedNames } from '../lib/stack-checker';
import {
  awsError,
  cfnEvent,
  fakeClock,
  fakeFetch,
  FIXED_VALUES,
  LOG_STREAM,
  REASON,
  STACK_ID,
} from './support';

const ssm = mockAws(SSMClient);
const cognito = mockAws(CognitoIdentityProviderClient);

const FIXED_PARAMETERS =
  'SecondaryRegion,PrimaryUserPoolId,BackupTableName,AnonymousDataUUID,ParentStackName,FormattedStackName,' +
  'PrimaryRegion,ImportNewUsersQueueNamePrefix,SolutionInstanceUUID,UserImportJobMappingFileBucketPrefix,' +
  'ExportWorkflowQueueNamePrefix';
const ENV = { AWS_REGION: 'us-east-1', FIXED_PARAMETERS };
const PARAMETER = '/my-stack-us-east-1/fixed-solution-parameters';
const context = { logStreamName: LOG_STREAM };

const properties = {
  ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:checker',
  PrimaryUserPoolId: 'us-east-1_AbCdEf123',
  SecondaryRegion: 'eu-west-1',
  BackupTableName: 'my-stack-BackupTable-1ABC',
  AnonymousDataUUID: 'f0e1d2c3-b4a5-4968-8776-655443322110',
  ParentStackName: 'my-stack',
  FormattedStackName: 'my-stack',
  PrimaryRegion: 'us-east-1',
  ExportWorkflowQueueNamePrefix: 'export-workflow',
  ImportNewUsersQueueNamePrefix: 'import-new-users',
  SolutionInstanceUUID: '6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b',
  UserImportJobMappingFileBucketPrefix: 'my-stack-import-jobs-0c1d2e3f4a5b',
};
/** What the original wrote: the 11 fixed names, in FIXED_PARAMETERS order, and nothing else. */
const storedValue = JSON.stringify(FIXED_VALUES);

function setup(
  options: { env?: Record<string, string | undefined>; reply?: Parameters<typeof fakeFetch>[0] } = {},
) {
  const http = fakeFetch(options.reply);
  const clock = fakeClock();
  const handler = createHandler(fakeRuntime(clock, options.env ?? ENV, { fetch: http.fetch }));
  return { http, clock, handler };
}

type Props = Record<string, unknown>;
const event = (overrides: Partial<Parameters<typeof cfnEvent<Props>>[0]> = {}) =>
  cfnEvent<Props>({
    LogicalResourceId: 'StackCheckerCustomResource',
    ResourceProperties: properties,
    ...overrides,
  });
const update = (changes: Props = {}) =>
  event({
    RequestType: 'Update',
    PhysicalResourceId: 'StackCheckerCustomResource',
    ResourceProperties: { ...properties, ...changes },
    OldResourceProperties: properties,
  });

beforeEach(() => {
  ssm.reset();
  cognito.reset();
});

describe('stack-checker Create', () => {
  it('checks the pool, stores the fixed parameters as a String and answers SUCCESS with no data', async () => {
    cognito
      .on(DescribeUserPoolCommand)
      .resolves({ UserPool: { MfaConfiguration: 'OFF', UsernameAttributes: ['email'] } });
    ssm.on(PutParameterCommand).resolves({ Version: 1 });
    const { http, handler } = setup();

    const response = await handler(event(), context);

    expect(response).toEqual({ status: 'SUCCESS', data: {} });
    expect(cognito).toHaveReceivedCommandWith(DescribeUserPoolCommand, { UserPoolId: 'us-east-1_AbCdEf123' });
    expect(ssm).toHaveReceivedCommandTimes(PutParameterCommand, 1);
    const put = ssm.commandCalls(PutParameterCommand)[0]?.args[0].input;
    expect(put).toEqual({ Name: PARAMETER, Type: 'String', Value: storedValue });
    expect(http.cfnBodies()).toEqual([
      {
        Status: 'SUCCESS',
        Reason: REASON,
        PhysicalResourceId: 'StackCheckerCustomResource',
        StackId: STACK_ID,
        RequestId: 'a4a5b7c2-6f77-4c5e-8d0f-0d7a0e5b1c11',
        LogicalResourceId: 'StackCheckerCustomResource',
        Data: {},
      },
    ]);
  });

  it('refuses a backup region equal to the primary region before anything else', async () => {
    const { http, handler } = setup();
    const response = await handler(
      event({ ResourceProperties: { ...properties, SecondaryRegion: 'us-east-1' } }),
      context,
    );
    expect(response).toEqual({
      status: 'FAILED',
      data: { Error: 'The backup region must be different than the primary' },
    });
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        PhysicalResourceId: 'StackCheckerCustomResource',
        Data: { Error: 'The backup region must be different than the primary' },
      }),
    ]);
    expect(cognito).not.toHaveReceivedAnyCommand();
    expect(ssm).not.toHaveReceivedAnyCommand();
  });

  it.each(['ON', 'OPTIONAL'])('refuses a pool whose MFA configuration is %s', async (mfa) => {
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: { MfaConfiguration: mfa as 'ON' } });
    const { handler } = setup();
    expect(await handler(event(), context)).toEqual({
      status: 'FAILED',
      data: {
        Error: `User Pools with MFA enabled are not supported. The user pool's MFA configuration is set to ${mfa}`,
      },
    });
    expect(ssm).not.toHaveReceivedAnyCommand();
  });

  it.each(['ON', 'OPTIONAL'])(
    'accepts a pool whose MFA configuration is %s when AllowMfaUserPools is Yes',
    async (mfa) => {
      cognito.on(DescribeUserPoolCommand).resolves({ UserPool: { MfaConfiguration: mfa as 'ON' } });
      ssm.on(PutParameterCommand).resolves({});
      const { handler } = setup({ env: { ...ENV, ALLOW_MFA_USER_POOLS: 'Yes' } });
      expect((await handler(event(), context)).status).toBe('SUCCESS');
      expect(ssm).toHaveReceivedCommandTimes(PutParameterCommand, 1);
    },
  );

  it('refuses a pool with MFA when AllowMfaUserPools is No', async () => {
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: { MfaConfiguration: 'OPTIONAL' } });
    const { handler } = setup({ env: { ...ENV, ALLOW_MFA_USER_POOLS: 'No' } });
    expect((await handler(event(), context)).status).toBe('FAILED');
    expect(ssm).not.toHaveReceivedAnyCommand();
  });

  it('accepts a pool whose users sign in with an e-mail address or a phone number (the original refused it)', async () => {
    cognito
      .on(DescribeUserPoolCommand)
      .resolves({ UserPool: { UsernameAttributes: ['email', 'phone_number'] } });
    ssm.on(PutParameterCommand).resolves({});
    const { handler } = setup();
    expect((await handler(event(), context)).status).toBe('SUCCESS');
  });

  it('retries a throttled DescribeUserPool after a backoff (injected sleep)', async () => {
    cognito
      .on(DescribeUserPoolCommand)
      .rejectsOnce(awsError('TooManyRequestsException', 'slow down', 400))
      .resolves({ UserPool: { MfaConfiguration: 'OFF' } });
    ssm.on(PutParameterCommand).resolves({});
    const { clock, handler } = setup();
    expect((await handler(event(), context)).status).toBe('SUCCESS');
    expect(cognito).toHaveReceivedCommandTimes(DescribeUserPoolCommand, 2);
    expect(clock.sleeps.length).toBeGreaterThan(0);
  });

  it('accepts its own document when a repeated Create finds it already stored', async () => {
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: {} });
    ssm.on(PutParameterCommand).rejects(awsError('ParameterAlreadyExists'));
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: storedValue } });
    const { handler } = setup();
    expect(await handler(event(), context)).toEqual({ status: 'SUCCESS', data: {} });
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: PARAMETER });
  });

  it('refuses to take over a document with other values', async () => {
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: {} });
    ssm.on(PutParameterCommand).rejects(awsError('ParameterAlreadyExists'));
    ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Value: storedValue.replace('6f1d2a3b', '00000000') } });
    const { handler } = setup();
    expect(await handler(event(), context)).toEqual({
      status: 'FAILED',
      data: {
        Error: `The SSM parameter ${PARAMETER} already exists with other values. Delete it, or deploy the solution under another stack name`,
      },
    });
  });

  it('passes other PutParameter errors through as FAILED', async () => {
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: {} });
    ssm.on(PutParameterCommand).rejects(awsError('AccessDeniedException', 'denied'));
    const { handler } = setup();
    expect(await handler(event(), context)).toEqual({ status: 'FAILED', data: { Error: 'denied' } });
  });

  it('answers FAILED, naming the variable, when FIXED_PARAMETERS is missing', async () => {
    const { handler } = setup({ env: { AWS_REGION: 'us-east-1' } });
    expect(await handler(event(), context)).toEqual({
      status: 'FAILED',
      data: { Error: 'Error validating Environment Variables. Missing value for FIXED_PARAMETERS' },
    });
  });

  it('answers FAILED when PrimaryUserPoolId is missing', async () => {
    const { PrimaryUserPoolId: _gone, ...rest } = properties;
    const { handler } = setup();
    expect(await handler(event({ ResourceProperties: rest }), context)).toEqual({
      status: 'FAILED',
      data: { Error: 'Error validating ResourceProperties. Missing value for PrimaryUserPoolId' },
    });
  });
});

describe('stack-checker Update', () => {
  it('accepts unchanged fixed parameters without checking the pool again', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: storedValue } });
    const { http, handler } = setup();
    expect(await handler(update({ CognitoTPS: '5' }), context)).toEqual({ status: 'SUCCESS', data: {} });
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: PARAMETER });
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand);
    expect(cognito).not.toHaveReceivedAnyCommand();
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({ PhysicalResourceId: 'StackCheckerCustomResource' }),
    ]);
  });

  it.each(['PrimaryUserPoolId', 'SecondaryRegion', 'SolutionInstanceUUID'])(
    'refuses a change of %s with the exact message',
    async (name) => {
      ssm.on(GetParameterCommand).resolves({ Parameter: { Value: storedValue } });
      const { handler } = setup();
      expect(await handler(update({ [name]: 'changed' }), context)).toEqual({
        status: 'FAILED',
        data: {
          Error: `Value for CloudFormation parameter "${name}" cannot be changed. Please relaunch the solution if you need to change this value`,
        },
      });
    },
  );

  it('keeps the physical id CloudFormation holds, even one from an earlier version', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: storedValue } });
    const { http, handler } = setup();
    await handler({ ...update(), PhysicalResourceId: 'older-physical-id' }, context);
    await handler(
      { ...update({ PrimaryUserPoolId: 'x' }), PhysicalResourceId: 'older-physical-id' },
      context,
    );
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'older-physical-id' }),
      expect.objectContaining({ Status: 'FAILED', PhysicalResourceId: 'older-physical-id' }),
    ]);
  });
});

describe('stack-checker Delete', () => {
  const del = () => event({ RequestType: 'Delete', PhysicalResourceId: 'StackCheckerCustomResource' });

  it('deletes the document', async () => {
    ssm.on(DeleteParameterCommand).resolves({});
    const { handler } = setup();
    expect(await handler(del(), context)).toEqual({ status: 'SUCCESS', data: {} });
    expect(ssm).toHaveReceivedCommandWith(DeleteParameterCommand, { Name: PARAMETER });
  });

  it('succeeds when the document is already gone', async () => {
    ssm.on(DeleteParameterCommand).rejects(awsError('ParameterNotFound'));
    const { handler } = setup();
    expect(await handler(del(), context)).toEqual({ status: 'SUCCESS', data: {} });
  });

  it('answers FAILED on other errors', async () => {
    ssm.on(DeleteParameterCommand).rejects(awsError('InternalServerError', 'test error'));
    const { handler } = setup();
    expect(await handler(del(), context)).toEqual({ status: 'FAILED', data: { Error: 'test error' } });
  });

  it('needs only AWS_REGION, so a broken FIXED_PARAMETERS cannot block a deletion', async () => {
    ssm.on(DeleteParameterCommand).resolves({});
    const { handler } = setup({ env: { AWS_REGION: 'us-east-1' } });
    expect((await handler(del(), context)).status).toBe('SUCCESS');
  });

  it('has nothing to delete when the Create never had a stack name', async () => {
    const { ParentStackName: _gone, ...rest } = properties;
    const { handler } = setup();
    expect(await handler({ ...del(), ResourceProperties: rest }, context)).toEqual({
      status: 'SUCCESS',
      data: {},
    });
    expect(ssm).not.toHaveReceivedAnyCommand();
  });
});

describe('stack-checker responses', () => {
  it('sends a non-ASCII message with a Content-Length in bytes', async () => {
    ssm.on(DeleteParameterCommand).rejects(awsError('InternalServerError', 'Paramètre verrouillé ✓'));
    const { http, handler } = setup();
    await handler(
      event({ RequestType: 'Delete', PhysicalResourceId: 'StackCheckerCustomResource' }),
      context,
    );
    const [put] = http.cfnPuts();
    const body = JSON.stringify({
      Status: 'FAILED',
      Reason: `Paramètre verrouillé ✓ (${REASON})`,
      PhysicalResourceId: 'StackCheckerCustomResource',
      StackId: STACK_ID,
      RequestId: 'a4a5b7c2-6f77-4c5e-8d0f-0d7a0e5b1c11',
      LogicalResourceId: 'StackCheckerCustomResource',
      Data: { Error: 'Paramètre verrouillé ✓' },
    });
    expect(put?.text).toBe(body);
    expect(put?.headers['content-length']).toBe(String(Buffer.byteLength(body, 'utf8')));
    expect(Buffer.byteLength(body, 'utf8')).toBeGreaterThan(body.length);
  });

  it('retries a failed response PUT instead of leaving CloudFormation waiting', async () => {
    ssm.on(DeleteParameterCommand).resolves({});
    const { http, clock, handler } = setup({ reply: (_request, index) => (index < 2 ? 503 : 200) });
    expect((await handler(event({ RequestType: 'Delete' }), context)).status).toBe('SUCCESS');
    expect(http.cfnPuts()).toHaveLength(3);
    expect(new Set(http.cfnPuts().map((put) => put.text)).size).toBe(1);
    expect(clock.sleeps).toHaveLength(2);
  });
});

describe('stack-checker helpers', () => {
  it('parses FIXED_PARAMETERS with blanks and spaces', () => {
    expect(parseFixedNames(' A, B ,,C ')).toEqual(['A', 'B', 'C']);
  });

  it('leaves out names without a property', () => {
    expect(fixedParameterValues(['A', 'B'], { A: 'x' })).toEqual({ A: 'x' });
  });

  it('refuses an e-mail-or-phone pool with MFA for its MFA', async () => {
    cognito
      .on(DescribeUserPoolCommand)
      .resolves({ UserPool: { MfaConfiguration: 'ON', UsernameAttributes: ['email', 'phone_number'] } });
    const { handler } = setup();
    const { data } = await handler(event(), context);
    expect(data.Error).toMatch(/MFA configuration is set to ON$/);
  });

  it('answers FAILED when DescribeUserPool returns no pool', async () => {
    cognito.on(DescribeUserPoolCommand).resolves({});
    const { handler } = setup();
    expect(await handler(event(), context)).toEqual({
      status: 'FAILED',
      data: { Error: 'DescribeUserPool returned no user pool for us-east-1_AbCdEf123' },
    });
  });
});

it('declares exactly the variables it reads', () => {
  expect(Object.keys(ENVIRONMENT).sort()).toEqual(['ALLOW_MFA_USER_POOLS', 'AWS_REGION', 'FIXED_PARAMETERS']);
});
