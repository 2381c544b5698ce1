// SPDX-License-Identifier: Apache-2.0
import {
  CognitoIdentityProviderClient,
  DescribeIdentityProviderCommand,
  DescribeUserPoolClientCommand,
  GetUserPoolMfaConfigCommand,
  ListIdentityProvidersCommand,
  ListResourceServersCommand,
  ListUserPoolClientsCommand,
  type UserPoolClientType,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockAws } from '../../test-support/aws-mock';
import { fakeRuntime } from '../../test-support/runtime';
import { rateLimitedCognito } from '../../utils/runtime';
import { handlerLogger } from '../../utils/runtime';
import { readPoolConfiguration, recordClient, recordIdentityProvider } from '../lib/pool-configuration';
import { fakeClock } from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const POOL_ID = 'us-east-1_pool';

/** A value no record may hold: every place the Cognito API returns a secret gets one. */
const SECRET = 'SECRET-d0n0tstore';

const SOURCE_POOL: UserPoolType = {
  Id: POOL_ID,
  Name: 'production',
  Arn: `arn:aws:cognito-idp:us-east-1:111122223333:userpool/${POOL_ID}`,
  CreationDate: new Date(0),
  LastModifiedDate: new Date(0),
  EstimatedNumberOfUsers: 1234,
  SchemaAttributes: [
    { Name: 'sub', AttributeDataType: 'String', Required: true, Mutable: false },
    { Name: 'custom:plan', AttributeDataType: 'String', Mutable: true },
    { Name: 'custom:score', AttributeDataType: 'Number', Mutable: true },
  ],
  UsernameAttributes: ['email'],
  AutoVerifiedAttributes: ['email'],
  Policies: { PasswordPolicy: { MinimumLength: 12 } },
  LambdaConfig: { PreSignUp: 'arn:aws:lambda:us-east-1:111122223333:function:pre' },
  SmsConfiguration: { SnsCallerArn: 'arn:aws:iam::111122223333:role/sms', ExternalId: 'ext' },
  EmailConfiguration: { EmailSendingAccount: 'COGNITO_DEFAULT' },
  DeletionProtection: 'ACTIVE',
  UserPoolTags: { team: 'identity' },
  Domain: 'prod-login',
  CustomDomain: 'login.example.com',
  EmailConfigurationFailure: 'none',
};

const client = (n: number, overrides: Partial<UserPoolClientType> = {}): UserPoolClientType => ({
  UserPoolId: POOL_ID,
  ClientId: `client-${n}`,
  ClientName: `app-${n}`,
  ClientSecret: `${SECRET}-client-${n}`,
  CreationDate: new Date(0),
  LastModifiedDate: new Date(0),
  CallbackURLs: [`https://app-${n}.example.com/callback`],
  AllowedOAuthFlows: ['code'],
  AllowedOAuthScopes: ['openid', 'orders/read'],
  RefreshTokenValidity: 30,
  ...overrides,
});

function setup() {
  const clock = fakeClock();
  const runtime = fakeRuntime(clock, {});
  const logger = handlerLogger(runtime, 'test');
  return {
    cognito: rateLimitedCognito(runtime, 5, logger),
    region: 'us-east-1',
    now: () => Date.parse('2026-01-02T03:04:05.000Z'),
  };
}

beforeEach(() => {
  cognito.reset();
  cognito.on(GetUserPoolMfaConfigCommand).resolves({
    MfaConfiguration: 'OPTIONAL',
    SoftwareTokenMfaConfiguration: { Enabled: true },
    SmsMfaConfiguration: { SmsAuthenticationMessage: 'code {####}' },
  });
  cognito
    .on(ListUserPoolClientsCommand)
    .resolvesOnce({ UserPoolClients: [{ ClientId: 'client-1' }], NextToken: 'page-2' })
    .resolves({ UserPoolClients: [{ ClientId: 'client-2' }] });
  cognito.on(DescribeUserPoolClientCommand, { ClientId: 'client-1' }).resolves({ UserPoolClient: client(1) });
  cognito
    .on(DescribeUserPoolClientCommand, { ClientId: 'client-2' })
    .resolves({ UserPoolClient: client(2, { ClientSecret: undefined }) });
  cognito.on(ListResourceServersCommand).resolves({
    ResourceServers: [
      {
        UserPoolId: POOL_ID,
        Identifier: 'orders',
        Name: 'Orders',
        Scopes: [{ ScopeName: 'read', ScopeDescription: 'r' }],
      },
    ],
  });
  cognito.on(ListIdentityProvidersCommand).resolves({
    Providers: [{ ProviderName: 'Google' }, { ProviderName: 'SignInWithApple' }, { ProviderName: 'Corp' }],
  });
  cognito.on(DescribeIdentityProviderCommand, { ProviderName: 'Google' }).resolves({
    IdentityProvider: {
      ProviderName: 'Google',
      ProviderType: 'Google',
      ProviderDetails: {
        client_id: 'google-id',
        client_secret: `${SECRET}-google`,
        authorize_scopes: 'email',
      },
      AttributeMapping: { email: 'email' },
    },
  });
  cognito.on(DescribeIdentityProviderCommand, { ProviderName: 'SignInWithApple' }).resolves({
    IdentityProvider: {
      ProviderName: 'SignInWithApple',
      ProviderType: 'SignInWithApple',
      ProviderDetails: { client_id: 'apple', team_id: 'T', key_id: 'K', private_key: `${SECRET}-apple` },
    },
  });
  cognito.on(DescribeIdentityProviderCommand, { ProviderName: 'Corp' }).resolves({
    IdentityProvider: {
      ProviderName: 'Corp',
      ProviderType: 'OIDC',
      ProviderDetails: {
        client_id: 'corp',
        client_secret: `${SECRET}-oidc`,
        oidc_issuer: 'https://idp.example.com',
        attributes_request_method: 'GET',
      },
      IdpIdentifiers: ['corp.example.com'],
    },
  });
});

describe('the configuration record', () => {
  it('holds no secret: neither client secrets nor identity-provider secrets, only that they exist', async () => {
    const record = await readPoolConfiguration(SOURCE_POOL, setup());
    const text = JSON.stringify(record);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('ClientSecret');
    expect(record.Clients.map((c) => [c.ClientId, c.Settings.GenerateSecret])).toEqual([
      ['client-1', true],
      ['client-2', undefined],
    ]);
    expect(record.IdentityProviders.map((p) => [p.Settings.ProviderName, p.SecretsLeftOut])).toEqual([
      ['Google', ['client_secret']],
      ['SignInWithApple', ['private_key']],
      ['Corp', ['client_secret']],
    ]);
  });

  it('records what the create calls can set again, and leaves out what Cognito assigns', async () => {
    const record = await readPoolConfiguration(SOURCE_POOL, setup());
    expect(record.Source).toEqual({
      UserPoolId: POOL_ID,
      Region: 'us-east-1',
      RecordedAt: '2026-01-02T03:04:05.000Z',
    });
    expect(record.UserPool).toEqual({
      PoolName: 'production',
      Schema: SOURCE_POOL.SchemaAttributes,
      UsernameAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      Policies: { PasswordPolicy: { MinimumLength: 12 } },
      LambdaConfig: SOURCE_POOL.LambdaConfig,
      SmsConfiguration: SOURCE_POOL.SmsConfiguration,
      EmailConfiguration: SOURCE_POOL.EmailConfiguration,
      DeletionProtection: 'ACTIVE',
      UserPoolTags: { team: 'identity' },
    });
    expect(record.Mfa).toEqual({
      MfaConfiguration: 'OPTIONAL',
      SoftwareTokenMfaConfiguration: { Enabled: true },
      SmsMfaConfiguration: { SmsAuthenticationMessage: 'code {####}' },
    });
    expect(record.Clients[0]?.Settings).toEqual({
      ClientName: 'app-1',
      CallbackURLs: ['https://app-1.example.com/callback'],
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'orders/read'],
      RefreshTokenValidity: 30,
      GenerateSecret: true,
    });
    expect(record.ResourceServers).toEqual([
      { Identifier: 'orders', Name: 'Orders', Scopes: [{ ScopeName: 'read', ScopeDescription: 'r' }] },
    ]);
    expect(record.IdentityProviders[2]?.Settings).toEqual({
      ProviderName: 'Corp',
      ProviderType: 'OIDC',
      ProviderDetails: {
        client_id: 'corp',
        oidc_issuer: 'https://idp.example.com',
        attributes_request_method: 'GET',
      },
      IdpIdentifiers: ['corp.example.com'],
    });
    expect(record.Domains).toEqual([{ Domain: 'prod-login' }, { Domain: 'login.example.com', Custom: true }]);
  });

  it('follows every page of the client list', async () => {
    await readPoolConfiguration(SOURCE_POOL, setup());
    expect(cognito).toHaveReceivedCommandWith(ListUserPoolClientsCommand, {
      NextToken: 'page-2',
      MaxResults: 60,
    });
    expect(cognito).toHaveReceivedCommandTimes(DescribeUserPoolClientCommand, 2);
  });

  it('records no domain for a pool without one', async () => {
    const { Domain: _d, CustomDomain: _c, ...withoutDomains } = SOURCE_POOL;
    expect((await readPoolConfiguration(withoutDomains, setup())).Domains).toEqual([]);
  });

  it('marks an empty client secret as none, and keeps an identity provider without details as it is', () => {
    expect(recordClient({ ClientId: 'c', ClientSecret: '' }).Settings).toEqual({});
    expect(recordIdentityProvider({ ProviderName: 'Saml', ProviderType: 'SAML' })).toEqual({
      Settings: { ProviderName: 'Saml', ProviderType: 'SAML' },
      SecretsLeftOut: [],
    });
  });
});
