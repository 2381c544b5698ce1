// SPDX-License-Identifier: Apache-2.0
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockAws } from '../../test-support/aws-mock';
import { fakeRuntime } from '../../test-support/runtime';
import type { Env } from '../../utils/config';
import { createHandler, ENVIRONMENT } from '../check-user-pool-config';
import { checkUserPoolConfiguration, UnsupportedUserPoolError } from '../../utils/user-pool-rules';
import { fakeClock, throttlingError } from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const ENV = { PRIMARY_USER_POOL_ID: 'us-east-1_pool' };
const wrapped = {
  Input: {},
  Context: {
    Execution: { Id: 'exec', Input: {}, StartTime: '2024-01-01T00:00:00.000Z' },
    StateMachine: { Id: 'sm', Name: 'ExportWorkflow-abc' },
  },
};

const run = (env: Env = ENV) => createHandler(fakeRuntime(fakeClock(), env))(wrapped);
const pool = (overrides: Partial<UserPoolType>): UserPoolType => ({
  Id: 'us-east-1_pool',
  MfaConfiguration: 'OFF',
  ...overrides,
});

beforeEach(() => cognito.reset());

describe('check-user-pool-config', () => {
  it('declares exactly the variables it reads', () => {
    expect(Object.keys(ENVIRONMENT)).toEqual(['PRIMARY_USER_POOL_ID', 'ALLOW_MFA_USER_POOLS']);
  });

  it.each([
    ['["email"]', ['email']],
    ['["phone_number"]', ['phone_number']],
    ['[]', []],
  ])('passes UsernameAttributes on as %s', async (json, attributes) => {
    cognito
      .on(DescribeUserPoolCommand)
      .resolves({ UserPool: pool({ UsernameAttributes: attributes as never }) });
    expect(await run()).toEqual({ result: { UsernameAttributes: json } });
    expect(cognito).toHaveReceivedCommandWith(DescribeUserPoolCommand, { UserPoolId: 'us-east-1_pool' });
  });

  it('returns an empty result for a pool without username attributes', async () => {
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: pool({}) });
    expect(await run()).toEqual({ result: {} });
  });

  it('rejects a pool with MFA, with the spec message', async () => {
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: pool({ MfaConfiguration: 'OPTIONAL' }) });
    await expect(run()).rejects.toThrow(
      "User Pools with MFA enabled are not supported. The user pool's MFA configuration is set to OPTIONAL",
    );
  });

  it.each(['OPTIONAL', 'ON'])('accepts a pool with MFA %s when ALLOW_MFA_USER_POOLS is Yes', async (mfa) => {
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: pool({ MfaConfiguration: mfa as 'ON' }) });
    expect(await run({ ...ENV, ALLOW_MFA_USER_POOLS: 'Yes' })).toEqual({ result: {} });
  });

  it('still rejects a pool with MFA when ALLOW_MFA_USER_POOLS is No', async () => {
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: pool({ MfaConfiguration: 'ON' }) });
    await expect(run({ ...ENV, ALLOW_MFA_USER_POOLS: 'No' })).rejects.toThrow(
      "User Pools with MFA enabled are not supported. The user pool's MFA configuration is set to ON",
    );
  });

  it('accepts an e-mail-or-phone pool (the original refused it) and passes both attributes on', async () => {
    cognito
      .on(DescribeUserPoolCommand)
      .resolves({ UserPool: pool({ UsernameAttributes: ['phone_number', 'email'] }) });
    expect(await run()).toEqual({ result: { UsernameAttributes: '["phone_number","email"]' } });
  });

  it('retries a throttled DescribeUserPool', async () => {
    cognito
      .on(DescribeUserPoolCommand)
      .rejectsOnce(throttlingError())
      .resolves({ UserPool: pool({}) });
    expect(await run()).toEqual({ result: {} });
    expect(cognito.commandCalls(DescribeUserPoolCommand)).toHaveLength(2);
  });

  it('fails when the pool cannot be described', async () => {
    cognito.on(DescribeUserPoolCommand).resolves({});
    await expect(run()).rejects.toThrow('DescribeUserPool returned no user pool for us-east-1_pool');
    await expect(run({})).rejects.toThrow(
      'Error validating Environment Variables. Missing value for PRIMARY_USER_POOL_ID',
    );
  });
});

describe('checkUserPoolConfiguration (shared with stack-checker)', () => {
  it.each([
    ['no MFA setting', {}],
    ['MFA OFF', { MfaConfiguration: 'OFF' }],
    ['one username attribute', { UsernameAttributes: ['email'] }],
    ['an empty username attribute list', { UsernameAttributes: [] }],
  ])('accepts a pool with %s', (_label, overrides) => {
    expect(() => checkUserPoolConfiguration(overrides as UserPoolType)).not.toThrow();
  });

  it.each(['ON', 'OPTIONAL'])('rejects MFA %s', (mfa) => {
    expect(() => checkUserPoolConfiguration({ MfaConfiguration: mfa as never })).toThrow(
      new UnsupportedUserPoolError(
        `User Pools with MFA enabled are not supported. The user pool's MFA configuration is set to ${mfa}`,
      ),
    );
  });

  it('checks MFA before the username attributes', () => {
    expect(() =>
      checkUserPoolConfiguration({ MfaConfiguration: 'ON', UsernameAttributes: ['email', 'phone_number'] }),
    ).toThrow('MFA configuration is set to ON');
  });
});
