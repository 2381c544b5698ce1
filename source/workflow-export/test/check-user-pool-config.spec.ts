// SPDX-License-Identifier: Apache-2.0
import {
  CognitoIdentityProviderClient,
  DescribeIdentityProviderCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  GetUserPoolMfaConfigCommand,
  ListIdentityProvidersCommand,
  ListResourceServersCommand,
  ListUserPoolClientsCommand,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { gunzipSync } from 'node:zlib';
import { mockAws } from '../../test-support/aws-mock';
import { fakeRuntime } from '../../test-support/runtime';
import type { Env } from '../../utils/config';
import { createHandler, ENVIRONMENT } from '../check-user-pool-config';
import { checkUserPoolConfiguration, UnsupportedUserPoolError } from '../../utils/user-pool-rules';
import { fakeClock, throttlingError } from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const ddb = mockAws(DynamoDBDocumentClient);
const ENV = {
  PRIMARY_USER_POOL_ID: 'us-east-1_pool',
  BACKUP_TABLE_NAME: 'backup-table',
  TYPE_TIMESTAMP: 'SYNC_TIMESTAMP-instance',
  AWS_REGION: 'us-east-1',
};
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

beforeEach(() => {
  cognito.reset();
  cognito.on(GetUserPoolMfaConfigCommand).resolves({ MfaConfiguration: 'OFF' });
  cognito.on(ListUserPoolClientsCommand).resolves({ UserPoolClients: [] });
  cognito.on(ListResourceServersCommand).resolves({ ResourceServers: [] });
  cognito.on(ListIdentityProvidersCommand).resolves({ Providers: [] });
  ddb.reset();
  ddb.on(PutCommand).resolves({});
});

describe('check-user-pool-config', () => {
  it('declares exactly the variables it reads', () => {
    expect(Object.keys(ENVIRONMENT)).toEqual([
      'PRIMARY_USER_POOL_ID',
      'ALLOW_MFA_USER_POOLS',
      'BACKUP_TABLE_NAME',
      'TYPE_TIMESTAMP',
      'AWS_REGION',
    ]);
  });

  it("records the pool's configuration in the backup table, without its secrets", async () => {
    cognito.on(DescribeUserPoolCommand).resolves({
      UserPool: pool({
        Name: 'prod',
        SchemaAttributes: [{ Name: 'custom:plan', AttributeDataType: 'String' }],
        UsernameAttributes: ['email'],
      }),
    });
    cognito.on(ListUserPoolClientsCommand).resolves({ UserPoolClients: [{ ClientId: 'client-1' }] });
    cognito.on(DescribeUserPoolClientCommand).resolves({
      UserPoolClient: { ClientId: 'client-1', ClientName: 'web', ClientSecret: 'SECRET-of-the-client' },
    });
    cognito.on(ListIdentityProvidersCommand).resolves({ Providers: [{ ProviderName: 'Google' }] });
    cognito.on(DescribeIdentityProviderCommand).resolves({
      IdentityProvider: {
        ProviderName: 'Google',
        ProviderType: 'Google',
        ProviderDetails: { client_id: 'id', client_secret: 'SECRET-of-the-idp' },
      },
    });
    await run();
    const puts = ddb.commandCalls(PutCommand).map((call) => call.args[0].input);
    expect(puts).toHaveLength(1);
    const item = puts[0]?.Item ?? {};
    expect(puts[0]?.TableName).toBe('backup-table');
    expect(item).toMatchObject({ id: 'user-pool-configuration', type: 'SYNC_TIMESTAMP-instance' });
    // Never stale for the export cleanup, which removes only items with an older lastConfirmedInUserPool.
    expect(item).not.toHaveProperty('lastConfirmedInUserPool');
    const recorded = gunzipSync(item.configuration as Uint8Array).toString('utf8');
    expect(JSON.parse(recorded)).toMatchObject({
      UserPool: { PoolName: 'prod', UsernameAttributes: ['email'] },
      Clients: [{ ClientId: 'client-1', Settings: { ClientName: 'web', GenerateSecret: true } }],
      IdentityProviders: [{ SecretsLeftOut: ['client_secret'] }],
    });
    expect(recorded).not.toContain('SECRET');
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
      /Error validating Environment Variables. Missing value for PRIMARY_USER_POOL_ID/,
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
