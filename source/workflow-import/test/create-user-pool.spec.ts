// SPDX-License-Identifier: Apache-2.0
import {
  CognitoIdentityProviderClient,
  CreateIdentityProviderCommand,
  CreateResourceServerCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  DescribeUserPoolCommand,
  ListIdentityProvidersCommand,
  ListResourceServersCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  SetUserPoolMfaConfigCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs } from '../../test-support/capture-logs';
import { fakeClock } from '../../test-support/fake-clock';
import { RateLimitedCognito } from '../../utils/cognito';
import type { SfnContextObject } from '../../utils/step-functions';
import { SlidingWindowLimiter } from '../../utils/limiter';
import { configurationItems, readPoolConfiguration } from '../../utils/pool-configuration-item';
import type { PoolConfiguration } from '../../workflow-export/lib/pool-configuration';
import {
  createUserPoolInput,
  InvalidCreateUserPoolError,
  NoPoolConfigurationError,
  planCreation,
  recordedConfiguration,
  RESTORE_TARGET_TAGS,
} from '../lib/create-plan';
import { poolTemplate } from '../lib/pool-template';
import {
  besideReportKey,
  createUserPoolFromBackup,
  creationKey,
  type CreationRecord,
  withCreatedUserPool,
} from '../lib/create-user-pool';
import { MAPPING_BUCKET, serveBucket, sfnContext, TYPE_TIMESTAMP } from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const s3 = mockAws(S3Client);
const ddb = mockAws(DynamoDBDocumentClient);

/** The live backup table's configuration item (a restore without a recovery point). */
const liveConfiguration = () =>
  readPoolConfiguration(DynamoDBDocumentClient.from(new DynamoDBClient({})), {
    tableName: 'backup-table',
    typeTimestamp: TYPE_TIMESTAMP,
  });

const REGION = 'eu-west-1';
const SOURCE_REGION = 'us-east-2';
const NEW_POOL = 'eu-west-1_Created01';
const RUN = { execution: 'restore-1', startTime: '2026-12-07T23:00:00.000Z' };

const lambdaArn = (region: string, name: string) => `arn:aws:lambda:${region}:111122223333:function:${name}`;

/** A recorded configuration with a reference of every kind: other Region, this Region, global, mapped. */
function configuration(): PoolConfiguration {
  return {
    FormatVersion: 1,
    Source: {
      UserPoolId: 'us-east-2_Source01',
      Region: SOURCE_REGION,
      RecordedAt: '2026-12-07T22:00:00.000Z',
    },
    UserPool: {
      PoolName: 'production',
      Schema: [
        { Name: 'sub', AttributeDataType: 'String', Required: true, Mutable: false },
        { Name: 'email', AttributeDataType: 'String', Required: true, Mutable: true },
        { Name: 'phone_number', AttributeDataType: 'String', Required: false, Mutable: true },
        { Name: 'custom:plan', AttributeDataType: 'String', Mutable: true },
        { Name: 'custom:seats', AttributeDataType: 'Number', Mutable: true },
        { Name: 'dev:custom:internal', AttributeDataType: 'String', DeveloperOnlyAttribute: true },
      ],
      UsernameAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      Policies: { PasswordPolicy: { MinimumLength: 12, TemporaryPasswordValidityDays: 3 } },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true, UnusedAccountValidityDays: 3 },
      LambdaConfig: {
        PreSignUp: lambdaArn(SOURCE_REGION, 'pre-sign-up'),
        PostConfirmation: lambdaArn(SOURCE_REGION, 'post-confirmation'),
        PreAuthentication: lambdaArn(REGION, 'already-here'),
        CustomEmailSender: { LambdaArn: lambdaArn(SOURCE_REGION, 'sender'), LambdaVersion: 'V1_0' },
        KMSKeyID: `arn:aws:kms:${SOURCE_REGION}:111122223333:key/1234`,
      },
      EmailConfiguration: {
        EmailSendingAccount: 'DEVELOPER',
        SourceArn: `arn:aws:ses:${SOURCE_REGION}:111122223333:identity/example.com`,
      },
      SmsConfiguration: { SnsCallerArn: 'arn:aws:iam::111122223333:role/sms', ExternalId: 'x' },
      UserPoolTags: { team: 'identity' },
      MfaConfiguration: 'OPTIONAL',
    },
    Mfa: { MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } },
    Clients: [
      {
        ClientId: 'oldweb',
        Settings: {
          ClientName: 'web',
          AllowedOAuthScopes: ['api/read'],
          SupportedIdentityProviders: ['COGNITO', 'Google', 'Corp'],
        },
      },
      { ClientId: 'oldserver', Settings: { ClientName: 'server', GenerateSecret: true } },
    ],
    ResourceServers: [
      { Identifier: 'api', Name: 'API', Scopes: [{ ScopeName: 'read', ScopeDescription: 'Read' }] },
    ],
    IdentityProviders: [
      {
        Settings: {
          ProviderName: 'Google',
          ProviderType: 'Google',
          ProviderDetails: { client_id: 'g', authorize_scopes: 'email' },
        },
        SecretsLeftOut: ['client_secret'],
      },
      {
        Settings: {
          ProviderName: 'Corp',
          ProviderType: 'SAML',
          ProviderDetails: { MetadataURL: 'https://idp.example.com/md' },
        },
        SecretsLeftOut: [],
      },
    ],
    Domains: [{ Domain: 'prod-login' }],
  };
}

const INPUT = {
  PoolName: 'restored',
  DomainPrefix: 'restored-login',
  ArnMap: { [lambdaArn(SOURCE_REGION, 'pre-sign-up')]: lambdaArn(REGION, 'pre-sign-up') },
};

describe('planCreation', () => {
  const plan = planCreation(configuration(), INPUT, { region: REGION, executionName: RUN.execution });

  it('maps the ARNs of ArnMap, keeps those of this Region and global ones, leaves out the others and lists them', () => {
    expect(plan.UserPool.LambdaConfig).toEqual({
      PreSignUp: lambdaArn(REGION, 'pre-sign-up'),
      PreAuthentication: lambdaArn(REGION, 'already-here'),
    });
    expect(plan.UserPool.EmailConfiguration).toBeUndefined();
    expect(plan.UserPool.SmsConfiguration?.SnsCallerArn).toBe('arn:aws:iam::111122223333:role/sms');
    const leftOut = plan.LeftOut.join('\n');
    expect(leftOut).toContain(lambdaArn(SOURCE_REGION, 'post-confirmation'));
    expect(leftOut).toContain('LambdaConfig.KMSKeyID');
    expect(leftOut).toContain('LambdaConfig.CustomEmailSender');
    expect(leftOut).toContain('EmailConfiguration (SES identity');
    // The recorded domain is replaced by DomainPrefix; without one it is listed.
    expect(leftOut).not.toContain('domain prod-login');
    const withoutDomain = planCreation(
      configuration(),
      { PoolName: 'restored', ArnMap: {} },
      { region: REGION, executionName: RUN.execution },
    );
    expect(withoutDomain.Domain).toBeUndefined();
    expect(withoutDomain.LeftOut.join('\n')).toContain('domain prod-login');
    expect(leftOut).not.toContain('pre-sign-up');
  });

  it('names custom attributes without their prefix, keeps standard ones that differ from the defaults, never sub', () => {
    expect(plan.UserPool.Schema?.map((attribute) => attribute.Name)).toEqual([
      'email',
      'plan',
      'seats',
      'internal',
    ]);
    expect(plan.UserPool.Schema?.find((attribute) => attribute.Name === 'seats')?.AttributeDataType).toBe(
      'Number',
    );
  });

  it('tags the pool as a restore target of this execution, keeps the source tags, drops the refused deprecated validity', () => {
    expect(plan.UserPool.UserPoolTags).toEqual({
      team: 'identity',
      [RESTORE_TARGET_TAGS.target]: 'true',
      [RESTORE_TARGET_TAGS.execution]: RUN.execution,
      [RESTORE_TARGET_TAGS.source]: 'us-east-2_Source01',
    });
    expect(plan.UserPool.PoolName).toBe('restored');
    expect(plan.UserPool.AdminCreateUserConfig).toEqual({ AllowAdminCreateUserOnly: true });
    expect(plan.UserPool.MfaConfiguration).toBeUndefined();
    expect(plan.Mfa?.SoftwareTokenMfaConfiguration).toEqual({ Enabled: true });
  });

  it('does not create an identity provider whose secret the backup lacks, and no client names it', () => {
    expect(plan.IdentityProviders.map((provider) => provider.ProviderName)).toEqual(['Corp']);
    expect(plan.Clients[0]?.Request.SupportedIdentityProviders).toEqual(['COGNITO', 'Corp']);
    expect(plan.ForTheOperator.join('\n')).toMatch(/identity provider Google .*client_secret/);
    expect(plan.ForTheOperator.join('\n')).toMatch(/app client server: has a new secret/);
  });
});

describe('createUserPoolInput', () => {
  const contextWith = (input: Record<string, unknown>) => {
    const context = sfnContext();
    context.Execution.Input = input;
    return context;
  };

  it('reads the pool name, the domain prefix and the ARN map', () => {
    expect(createUserPoolInput(contextWith({ CreateUserPool: INPUT }))).toEqual(INPUT);
    expect(createUserPoolInput(contextWith({ NewUserPoolId: NEW_POOL }))).toBeUndefined();
  });

  it.each([
    [
      'both NewUserPoolId and CreateUserPool',
      { NewUserPoolId: NEW_POOL, CreateUserPool: { PoolName: 'x' } },
      /not both/,
    ],
    ['Resume', { Resume: true, CreateUserPool: { PoolName: 'x' } }, /Resume continues/],
    ['no PoolName', { CreateUserPool: {} }, /PoolName must be/],
    [
      'a bad domain prefix',
      { CreateUserPool: { PoolName: 'x', DomainPrefix: 'Bad_Prefix' } },
      /DomainPrefix/,
    ],
    [
      'an ArnMap value that is no ARN',
      { CreateUserPool: { PoolName: 'x', ArnMap: { [lambdaArn(SOURCE_REGION, 'a')]: 'b' } } },
      /ArnMap/,
    ],
    ['an unknown field', { CreateUserPool: { PoolName: 'x', Domain: 'y' } }, /Domain is not a known field/],
    [
      'a RestoreDrill other than true',
      { CreateUserPool: { PoolName: 'x', RestoreDrill: 'yes' } },
      /RestoreDrill is set by the RestoreDrillWorkflow only/,
    ],
  ])('refuses %s', (_name, input, message) => {
    expect(() => createUserPoolInput(contextWith(input))).toThrow(InvalidCreateUserPoolError);
    expect(() => createUserPoolInput(contextWith(input))).toThrow(message);
  });
});

describe('planCreation for a restore drill', () => {
  const where = { region: REGION, executionName: 'restore-drill-x' };

  it('creates the scratch pool without any of the recorded triggers, and counts them; a real restore keeps them', () => {
    const drill = planCreation(configuration(), { ...INPUT, RestoreDrill: true }, where);
    expect(drill.UserPool).not.toHaveProperty('LambdaConfig');
    // PreSignUp, PostConfirmation, PreAuthentication and CustomEmailSender; the KMS key is no trigger.
    expect(drill.TriggersLeftOut).toBe(4);
    expect(drill.LeftOut).toContain(
      "LambdaConfig (4 Lambda triggers): a restore drill's scratch pool invokes none of the pool's functions",
    );
    const real = planCreation(configuration(), INPUT, where);
    expect(real.UserPool.LambdaConfig).toEqual({
      PreSignUp: lambdaArn(REGION, 'pre-sign-up'),
      PreAuthentication: lambdaArn(REGION, 'already-here'),
    });
    expect(real).not.toHaveProperty('TriggersLeftOut');
  });

  it('counts none for a pool without triggers', () => {
    const config = configuration();
    delete config.UserPool.LambdaConfig;
    const drill = planCreation(config, { ...INPUT, RestoreDrill: true }, where);
    expect(drill.TriggersLeftOut).toBe(0);
    expect(drill.LeftOut.join('\n')).not.toContain('LambdaConfig');
  });

  it('reads RestoreDrill from the input', () => {
    const context = sfnContext();
    context.Execution.Input = { CreateUserPool: { PoolName: 'restore-drill-x', RestoreDrill: true } };
    expect(createUserPoolInput(context)).toEqual({
      PoolName: 'restore-drill-x',
      ArnMap: {},
      RestoreDrill: true,
    });
  });
});

describe('createUserPoolFromBackup', () => {
  let bucket: Map<string, string>;
  let created: number;

  function deps() {
    const clock = fakeClock();
    const logs = captureLogs();
    return {
      logs,
      deps: {
        cognito: new RateLimitedCognito(
          new CognitoIdentityProviderClient({}),
          new SlidingWindowLimiter(10, clock.now, clock.sleep),
          { now: clock.now, sleep: clock.sleep, maxAttempts: 1 },
        ),
        work: { s3: new S3Client({}), bucket: MAPPING_BUCKET },
        logger: logs.logger(),
        recorded: liveConfiguration,
        region: REGION,
      },
    };
  }

  beforeEach(() => {
    bucket = new Map();
    created = 0;
    s3.reset();
    serveBucket(s3, bucket);
    ddb.reset();
    const [item] = configurationItems(configuration(), TYPE_TIMESTAMP, '2026-12-07T22:00:00.000Z');
    ddb.on(GetCommand).resolves({ Item: item });
    cognito.reset();
    cognito.on(CreateUserPoolCommand).callsFake(() => {
      created += 1;
      return { UserPool: { Id: NEW_POOL } };
    });
    cognito.on(SetUserPoolMfaConfigCommand).resolves({});
    cognito.on(ListResourceServersCommand).resolves({ ResourceServers: [] });
    cognito.on(ListIdentityProvidersCommand).resolves({ Providers: [] });
    cognito.on(ListUserPoolClientsCommand).resolves({ UserPoolClients: [] });
    cognito.on(CreateResourceServerCommand).resolves({});
    cognito.on(CreateIdentityProviderCommand).resolves({});
    cognito.on(CreateUserPoolClientCommand).callsFake((input: { ClientName: string }) => ({
      UserPoolClient: { ClientId: `new${input.ClientName}`, ClientSecret: `SECRET-OF-${input.ClientName}` },
    }));
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: { Id: NEW_POOL } });
    cognito.on(CreateUserPoolDomainCommand).resolves({});
  });

  it('creates the pool and its parts, maps the client ids and writes no secret beside the report', async () => {
    const { deps: d } = deps();
    const { userPoolId } = await createUserPoolFromBackup(INPUT, RUN, d);
    expect(userPoolId).toBe(NEW_POOL);
    expect(created).toBe(1);
    expect(cognito).toHaveReceivedCommandWith(CreateResourceServerCommand, {
      UserPoolId: NEW_POOL,
      Identifier: 'api',
    });
    expect(cognito).toHaveReceivedCommandWith(CreateIdentityProviderCommand, {
      UserPoolId: NEW_POOL,
      ProviderName: 'Corp',
    });
    expect(cognito).toHaveReceivedCommandTimes(CreateIdentityProviderCommand, 1);
    expect(cognito).toHaveReceivedCommandWith(CreateUserPoolDomainCommand, {
      UserPoolId: NEW_POOL,
      Domain: 'restored-login',
    });
    expect(cognito).toHaveReceivedCommandWith(SetUserPoolMfaConfigCommand, {
      UserPoolId: NEW_POOL,
      MfaConfiguration: 'OPTIONAL',
    });
    const summary = JSON.parse(
      bucket.get(besideReportKey(NEW_POOL, RUN.startTime, 'created-pool.json')) ?? '{}',
    ) as {
      ClientIds: Record<string, string>;
    };
    expect(summary.ClientIds).toEqual({ oldweb: 'newweb', oldserver: 'newserver' });
    const template = bucket.get(besideReportKey(NEW_POOL, RUN.startTime, 'user-pool.template.json')) ?? '';
    expect(JSON.parse(template)).toMatchObject({
      Resources: {
        UserPool: {
          Type: 'AWS::Cognito::UserPool',
          Properties: { UserPoolName: 'restored', EnabledMfas: ['SOFTWARE_TOKEN_MFA'] },
        },
        Client2: {
          Type: 'AWS::Cognito::UserPoolClient',
          Properties: { ClientName: 'server', GenerateSecret: true },
        },
      },
    });
    for (const [key, text] of bucket) {
      expect(`${key}: ${text}`).not.toMatch(/SECRET-OF/);
      expect(`${key}: ${text}`).not.toMatch(/client_secret"\s*:/);
    }
  });

  it("a drill's scratch pool is created without triggers, and its record counts them for the drill", async () => {
    const { deps: d } = deps();
    await createUserPoolFromBackup({ ...INPUT, RestoreDrill: true }, RUN, d);
    const request = cognito.commandCalls(CreateUserPoolCommand)[0]?.args[0].input;
    expect(request?.PoolName).toBe('restored');
    expect(request).not.toHaveProperty('LambdaConfig');
    const record = JSON.parse(bucket.get(creationKey(RUN.execution)) ?? '{}') as CreationRecord;
    expect(record).toMatchObject({ UserPoolId: NEW_POOL, Done: true, TriggersLeftOut: 4 });
  });

  it('a retried step whose first attempt created the pool but not its record creates no second pool', async () => {
    // The first attempt wrote its intent and created the pool, then ended before recording the id.
    bucket.set(
      creationKey(RUN.execution),
      JSON.stringify({ PoolName: 'restored', Clients: {}, Done: false }),
    );
    cognito.on(ListUserPoolsCommand).resolves({
      UserPools: [
        { Id: 'eu-west-1_Other01', Name: 'restored' },
        { Id: NEW_POOL, Name: 'restored' },
        { Id: 'eu-west-1_Unrelated', Name: 'other' },
      ],
    });
    cognito.on(DescribeUserPoolCommand, { UserPoolId: 'eu-west-1_Other01' }).resolves({
      UserPool: {
        Id: 'eu-west-1_Other01',
        UserPoolTags: { [RESTORE_TARGET_TAGS.execution]: 'another-run' },
      },
    });
    cognito.on(DescribeUserPoolCommand, { UserPoolId: NEW_POOL }).resolves({
      UserPool: { Id: NEW_POOL, UserPoolTags: { [RESTORE_TARGET_TAGS.execution]: RUN.execution } },
    });
    // And one client, whose id it did not record either.
    cognito
      .on(ListUserPoolClientsCommand)
      .resolves({ UserPoolClients: [{ ClientId: 'newweb', ClientName: 'web' }] });
    const { deps: d } = deps();
    const { userPoolId } = await createUserPoolFromBackup(INPUT, RUN, d);
    expect(userPoolId).toBe(NEW_POOL);
    expect(created).toBe(0);
    expect(cognito).toHaveReceivedCommandTimes(CreateUserPoolClientCommand, 1);
    expect(cognito).toHaveReceivedCommandWith(CreateUserPoolClientCommand, { ClientName: 'server' });
    const record = JSON.parse(bucket.get(creationKey(RUN.execution)) ?? '{}') as {
      Clients: unknown;
      Done: boolean;
    };
    expect(record).toMatchObject({ Done: true, Clients: { oldweb: 'newweb', oldserver: 'newserver' } });
  });

  it('run twice, it creates one pool and one set of clients', async () => {
    const { deps: d } = deps();
    await createUserPoolFromBackup(INPUT, RUN, d);
    await createUserPoolFromBackup(INPUT, RUN, d);
    expect(created).toBe(1);
    expect(cognito).toHaveReceivedCommandTimes(CreateUserPoolClientCommand, 2);
  });

  it('refuses a backup without a configuration item, telling to create the pool by hand', async () => {
    ddb.on(GetCommand).resolves({});
    const { deps: d } = deps();
    const attempt = createUserPoolFromBackup(INPUT, RUN, d);
    await expect(attempt).rejects.toThrow(NoPoolConfigurationError);
    await expect(createUserPoolFromBackup(INPUT, RUN, d)).rejects.toThrow(/create the new user pool by hand/);
    expect(created).toBe(0);
  });

  it('later steps read the created pool id as if the input had named it', async () => {
    const { deps: d } = deps();
    await createUserPoolFromBackup(INPUT, RUN, d);
    const context = sfnContext();
    context.Execution.Input = { CreateUserPool: INPUT };
    context.Execution.Name = RUN.execution;
    const event = await withCreatedUserPool({ Input: {}, Context: context }, () => d.work);
    expect(event.Context.Execution.Input.NewUserPoolId).toBe(NEW_POOL);
    const named = sfnContext();
    expect(await withCreatedUserPool({ Input: {}, Context: named }, () => d.work)).toEqual({
      Input: {},
      Context: named,
    });
  });
});

describe('planCreation: the other references and settings', () => {
  const where = { region: REGION, executionName: RUN.execution };

  it('keeps the custom senders with their key when ArnMap maps both, and an SES identity of this Region', () => {
    const config = configuration();
    const kms = `arn:aws:kms:${SOURCE_REGION}:111122223333:key/1234`;
    const sender = lambdaArn(SOURCE_REGION, 'sender');
    config.UserPool.EmailConfiguration = {
      EmailSendingAccount: 'DEVELOPER',
      SourceArn: `arn:aws:ses:${REGION}:111122223333:identity/example.com`,
    };
    config.Mfa = { MfaConfiguration: 'ON', EmailMfaConfiguration: { Subject: 'Code' } };
    const plan = planCreation(
      config,
      {
        PoolName: 'restored',
        ArnMap: {
          [kms]: `arn:aws:kms:${REGION}:111122223333:key/5678`,
          [sender]: lambdaArn(REGION, 'sender'),
        },
      },
      where,
    );
    expect(plan.UserPool.LambdaConfig).toMatchObject({
      CustomEmailSender: { LambdaArn: lambdaArn(REGION, 'sender'), LambdaVersion: 'V1_0' },
      KMSKeyID: `arn:aws:kms:${REGION}:111122223333:key/5678`,
    });
    expect(plan.UserPool.EmailConfiguration?.SourceArn).toBe(
      `arn:aws:ses:${REGION}:111122223333:identity/example.com`,
    );
    expect(plan.Mfa?.EmailMfaConfiguration).toEqual({ Subject: 'Code' });
  });

  it('leaves a custom sender out, saying why, when its function is mapped but its KMS key is not', () => {
    const sender = lambdaArn(SOURCE_REGION, 'sender');
    const plan = planCreation(
      configuration(),
      { PoolName: 'restored', ArnMap: { [sender]: lambdaArn(REGION, 'sender') } },
      where,
    );
    expect(plan.UserPool.LambdaConfig).toEqual({ PreAuthentication: lambdaArn(REGION, 'already-here') });
    expect(plan.LeftOut).toContain(
      `LambdaConfig.CustomEmailSender (${sender}): needs LambdaConfig.KMSKeyID, which is left out`,
    );
  });

  it("keeps an e-mail configuration that uses Cognito's own sender (no SES identity), and e-mail MFA with it", () => {
    const config = configuration();
    config.UserPool.EmailConfiguration = { EmailSendingAccount: 'COGNITO_DEFAULT' };
    config.Mfa = { MfaConfiguration: 'ON', EmailMfaConfiguration: { Subject: 'Code' } };
    const plan = planCreation(config, INPUT, where);
    expect(plan.UserPool.EmailConfiguration).toEqual({ EmailSendingAccount: 'COGNITO_DEFAULT' });
    expect(plan.Mfa?.EmailMfaConfiguration).toEqual({ Subject: 'Code' });
    expect(plan.LeftOut.join('\n')).not.toContain('EmailConfiguration');
    expect(plan.LeftOut.join('\n')).not.toContain('EmailMfaConfiguration');
  });

  it('sets no LambdaConfig at all when every trigger is left out', () => {
    const config = configuration();
    config.UserPool.LambdaConfig = { PreSignUp: lambdaArn(SOURCE_REGION, 'pre-sign-up') };
    const plan = planCreation(config, { PoolName: 'restored', ArnMap: {} }, where);
    expect(plan.UserPool).not.toHaveProperty('LambdaConfig');
    expect(plan.LeftOut.join('\n')).toContain(
      `LambdaConfig.PreSignUp (${lambdaArn(SOURCE_REGION, 'pre-sign-up')}): a function of another Region`,
    );
  });

  it('without the SES identity, leaves e-mail MFA out too; a custom domain is always left for the operator', () => {
    const config = configuration();
    config.Mfa = { MfaConfiguration: 'ON', EmailMfaConfiguration: { Subject: 'Code' } };
    config.Domains = [{ Domain: 'login.example.com', Custom: true }];
    const plan = planCreation(config, INPUT, where);
    expect(plan.Mfa?.EmailMfaConfiguration).toBeUndefined();
    expect(plan.LeftOut.join('\n')).toContain('EmailMfaConfiguration');
    expect(plan.LeftOut.join('\n')).toContain('custom domain login.example.com: needs its certificate');
  });

  it('sets no MFA for a pool that had none, and refuses a record of another format', () => {
    const config = configuration();
    config.Mfa = { MfaConfiguration: 'OFF' };
    expect(planCreation(config, INPUT, where).Mfa).toBeUndefined();
    expect(() => recordedConfiguration({ FormatVersion: 2 })).toThrow(/format 2/);
  });

  it.each([
    ['CreateUserPool that is not an object', { CreateUserPool: 'restored' }, /must be an object/],
    [
      'an ArnMap that is not an object',
      { CreateUserPool: { PoolName: 'x', ArnMap: ['a'] } },
      /ArnMap must be an object/,
    ],
  ])('refuses %s', (_name, input, message) => {
    const context = sfnContext();
    context.Execution.Input = input;
    expect(() => createUserPoolInput(context)).toThrow(message);
  });
});

describe('poolTemplate', () => {
  const where = { region: REGION, executionName: RUN.execution };

  it('names the MFA factors CloudFormation enables, and leaves out the restore tags', () => {
    const config = configuration();
    config.Mfa = {
      MfaConfiguration: 'OPTIONAL',
      SmsMfaConfiguration: { SmsConfiguration: { SnsCallerArn: 'arn:aws:iam::111122223333:role/sms' } },
      SoftwareTokenMfaConfiguration: { Enabled: true },
    };
    const template = poolTemplate(planCreation(config, INPUT, where)) as {
      Resources: Record<string, { Properties: Record<string, unknown>; DependsOn?: string[] }>;
    };
    expect(template.Resources.UserPool?.Properties).toMatchObject({
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SMS_MFA', 'SOFTWARE_TOKEN_MFA'],
      UserPoolTags: { team: 'identity' },
    });
    expect(template.Resources.Client1?.DependsOn).toEqual(['ResourceServer1', 'IdentityProvider1']);
    expect(template.Resources.Domain?.Properties).toEqual({
      UserPoolId: { Ref: 'UserPool' },
      Domain: 'restored-login',
    });
  });

  it('a pool with no tag, MFA, server, provider or domain of its own has none in its template', () => {
    const config = configuration();
    config.UserPool.UserPoolTags = undefined;
    config.Mfa = {};
    config.ResourceServers = [];
    config.IdentityProviders = [];
    const template = poolTemplate(planCreation(config, { PoolName: 'bare', ArnMap: {} }, where)) as {
      Resources: Record<string, { Properties: Record<string, unknown>; DependsOn?: string[] }>;
    };
    expect(Object.keys(template.Resources)).toEqual(['UserPool', 'Client1', 'Client2']);
    expect(template.Resources.UserPool?.Properties.UserPoolTags).toBeUndefined();
    expect(template.Resources.UserPool?.Properties.EnabledMfas).toBeUndefined();
    expect(template.Resources.Client1?.DependsOn).toBeUndefined();
  });
});

describe('createUserPoolFromBackup: what it does not take for granted', () => {
  function deps() {
    const clock = fakeClock();
    return {
      cognito: new RateLimitedCognito(
        new CognitoIdentityProviderClient({}),
        new SlidingWindowLimiter(10, clock.now, clock.sleep),
        { now: clock.now, sleep: clock.sleep, maxAttempts: 1 },
      ),
      work: { s3: new S3Client({}), bucket: MAPPING_BUCKET },
      logger: captureLogs().logger(),
      recorded: liveConfiguration,
      region: REGION,
    };
  }
  const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException' });

  beforeEach(() => {
    s3.reset();
    ddb.reset();
    cognito.reset();
    const [item] = configurationItems(configuration(), TYPE_TIMESTAMP, '2026-12-07T22:00:00.000Z');
    ddb.on(GetCommand).resolves({ Item: item });
  });

  it('a work file it cannot read is an error, not a reason to create another pool', async () => {
    s3.on(GetObjectCommand).rejects(denied);
    await expect(createUserPoolFromBackup(INPUT, RUN, deps())).rejects.toThrow('denied');
    expect(cognito).not.toHaveReceivedCommand(CreateUserPoolCommand);
  });

  it('a same-named pool it may not read is not its own; another error stops the search', async () => {
    const bucket = new Map([
      [creationKey(RUN.execution), JSON.stringify({ PoolName: 'restored', Clients: {}, Done: false })],
    ]);
    serveBucket(s3, bucket);
    cognito.on(ListUserPoolsCommand).resolves({ UserPools: [{ Id: 'eu-west-1_Foreign', Name: 'restored' }] });
    cognito.on(DescribeUserPoolCommand).rejects(denied);
    cognito.on(CreateUserPoolCommand).resolves({ UserPool: {} });
    await expect(createUserPoolFromBackup(INPUT, RUN, deps())).rejects.toThrow(
      'CreateUserPool answered no user pool id',
    );
    cognito
      .on(DescribeUserPoolCommand)
      .rejects(Object.assign(new Error('boom'), { name: 'InternalErrorException' }));
    await expect(createUserPoolFromBackup(INPUT, RUN, deps())).rejects.toThrow('boom');
  });

  it('a client created without an id is an error', async () => {
    serveBucket(s3, new Map());
    cognito.on(CreateUserPoolCommand).resolves({ UserPool: { Id: NEW_POOL } });
    cognito.on(SetUserPoolMfaConfigCommand).resolves({});
    cognito.on(ListResourceServersCommand).resolves({});
    cognito.on(ListIdentityProvidersCommand).resolves({});
    cognito.on(ListUserPoolClientsCommand).resolves({});
    cognito.on(CreateResourceServerCommand).resolves({});
    cognito.on(CreateIdentityProviderCommand).resolves({});
    cognito.on(CreateUserPoolClientCommand).resolves({});
    await expect(createUserPoolFromBackup(INPUT, RUN, deps())).rejects.toThrow(
      'CreateUserPoolClient answered no client id for web',
    );
  });
});

describe('a retried creation and the later steps', () => {
  it('creates no resource server, identity provider, client or domain that is already there', async () => {
    const bucket = new Map([
      [
        creationKey(RUN.execution),
        JSON.stringify({
          PoolName: 'restored',
          UserPoolId: NEW_POOL,
          Clients: { oldweb: 'newweb' },
          Done: false,
        }),
      ],
    ]);
    s3.reset();
    serveBucket(s3, bucket);
    ddb.reset();
    const [item] = configurationItems(configuration(), TYPE_TIMESTAMP, '2026-12-07T22:00:00.000Z');
    ddb.on(GetCommand).resolves({ Item: item });
    cognito.reset();
    cognito.on(SetUserPoolMfaConfigCommand).resolves({});
    cognito.on(ListResourceServersCommand).resolves({ ResourceServers: [{ Identifier: 'api' }] });
    cognito.on(ListIdentityProvidersCommand).resolves({ Providers: [{ ProviderName: 'Corp' }] });
    cognito.on(ListUserPoolClientsCommand).resolves({
      UserPoolClients: [
        { ClientId: 'newweb', ClientName: 'web' },
        { ClientId: 'newserver', ClientName: 'server' },
      ],
    });
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: { Id: NEW_POOL, Domain: 'restored-login' } });
    const clock = fakeClock();
    const { userPoolId } = await createUserPoolFromBackup(INPUT, RUN, {
      cognito: new RateLimitedCognito(
        new CognitoIdentityProviderClient({}),
        new SlidingWindowLimiter(10, clock.now, clock.sleep),
        { now: clock.now, sleep: clock.sleep, maxAttempts: 1 },
      ),
      work: { s3: new S3Client({}), bucket: MAPPING_BUCKET },
      logger: captureLogs().logger(),
      recorded: liveConfiguration,
      region: REGION,
    });
    expect(userPoolId).toBe(NEW_POOL);
    const created = cognito
      .calls()
      .map((call) => call.args[0].constructor.name)
      .filter((name) => name.startsWith('Create'));
    expect(created).toEqual([]);
    expect(JSON.parse(bucket.get(creationKey(RUN.execution)) ?? '{}')).toMatchObject({
      Done: true,
      Clients: { oldweb: 'newweb', oldserver: 'newserver' },
    });
  });

  it('later steps find the execution by its id when the context has no name, and go on without a created pool', async () => {
    const bucket = new Map([
      [creationKey(RUN.execution), JSON.stringify({ PoolName: 'restored', Clients: {}, Done: false })],
    ]);
    s3.reset();
    serveBucket(s3, bucket);
    const work = () => ({ s3: new S3Client({}), bucket: MAPPING_BUCKET });
    const context = sfnContext();
    context.Execution.Input = { CreateUserPool: INPUT };
    context.Execution.Id = `arn:aws:states:${REGION}:111122223333:execution:ImportWorkflow-abc:${RUN.execution}`;
    // Created but not yet recorded: the event is left as it is (newUserPoolId then names what is missing).
    expect(
      (await withCreatedUserPool({ Input: {}, Context: context }, work)).Context.Execution.Input,
    ).toEqual({
      CreateUserPool: INPUT,
    });
    bucket.set(
      creationKey(RUN.execution),
      JSON.stringify({ PoolName: 'restored', UserPoolId: NEW_POOL, Clients: {}, Done: true }),
    );
    expect(
      (await withCreatedUserPool({ Input: {}, Context: context }, work)).Context.Execution.Input
        .NewUserPoolId,
    ).toBe(NEW_POOL);
    const noContext: { Context?: SfnContextObject } = {};
    expect(await withCreatedUserPool(noContext, work)).toBe(noContext);
  });
});

describe('more of what a creation meets', () => {
  it('follows ListUserPools pages (an empty token ends them) to find its pool', async () => {
    s3.reset();
    serveBucket(
      s3,
      new Map([
        [creationKey(RUN.execution), JSON.stringify({ PoolName: 'restored', Clients: {}, Done: true })],
      ]),
    );
    ddb.reset();
    const [item] = configurationItems(configuration(), TYPE_TIMESTAMP, '2026-12-07T22:00:00.000Z');
    ddb.on(GetCommand).resolves({ Item: item });
    cognito.reset();
    cognito
      .on(ListUserPoolsCommand)
      .resolvesOnce({ UserPools: [{ Name: 'restored' }], NextToken: 'page-2' })
      .resolves({ UserPools: [{ Id: NEW_POOL, Name: 'restored' }], NextToken: '' });
    cognito.on(DescribeUserPoolCommand).resolves({
      UserPool: {
        Id: NEW_POOL,
        Domain: 'restored-login',
        UserPoolTags: { [RESTORE_TARGET_TAGS.execution]: RUN.execution },
      },
    });
    cognito.on(SetUserPoolMfaConfigCommand).resolves({});
    cognito.on(ListResourceServersCommand).resolves({ ResourceServers: [{ Identifier: 'api' }] });
    cognito.on(ListIdentityProvidersCommand).resolves({ Providers: [{ ProviderName: 'Corp' }] });
    cognito.on(ListUserPoolClientsCommand).resolves({});
    cognito.on(CreateUserPoolClientCommand).callsFake((input: { ClientName: string }) => ({
      UserPoolClient: { ClientId: `new${input.ClientName}` },
    }));
    const clock = fakeClock();
    const { userPoolId } = await createUserPoolFromBackup(INPUT, RUN, {
      cognito: new RateLimitedCognito(
        new CognitoIdentityProviderClient({}),
        new SlidingWindowLimiter(10, clock.now, clock.sleep),
        { now: clock.now, sleep: clock.sleep, maxAttempts: 1 },
      ),
      work: { s3: new S3Client({}), bucket: MAPPING_BUCKET },
      logger: captureLogs().logger(),
      recorded: liveConfiguration,
      region: REGION,
    });
    expect(userPoolId).toBe(NEW_POOL);
    expect(cognito).toHaveReceivedCommandTimes(ListUserPoolsCommand, 2);
    expect(cognito).toHaveReceivedCommandWith(ListUserPoolsCommand, { NextToken: 'page-2' });
    expect(cognito).not.toHaveReceivedCommand(CreateUserPoolCommand);
  });

  it('the template enables e-mail MFA where the pool keeps it, and names a client by the recorded id when it had no name', () => {
    const config = configuration();
    config.UserPool.EmailConfiguration = {
      EmailSendingAccount: 'DEVELOPER',
      SourceArn: `arn:aws:ses:${REGION}:111122223333:identity/example.com`,
    };
    config.Mfa = { MfaConfiguration: 'ON', EmailMfaConfiguration: { Subject: 'Code' } };
    config.Clients = [{ ClientId: 'unnamed', Settings: {} }];
    const plan = planCreation(config, INPUT, { region: REGION, executionName: RUN.execution });
    expect(plan.Clients[0]?.Request.ClientName).toBe('unnamed');
    const template = poolTemplate(plan) as {
      Resources: Record<string, { Properties: Record<string, unknown> }>;
    };
    expect(template.Resources.UserPool?.Properties.EnabledMfas).toEqual(['EMAIL_OTP']);
  });
});
