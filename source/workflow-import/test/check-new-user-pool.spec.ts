// SPDX-License-Identifier: Apache-2.0
import {
  CognitoIdentityProviderClient,
  CognitoIdentityProviderServiceException,
  CreateIdentityProviderCommand,
  CreateResourceServerCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  DescribeUserPoolCommand,
  ListUserPoolsCommand,
  SetUserPoolMfaConfigCommand,
  ListIdentityProvidersCommand,
  ListResourceServersCommand,
  ListUserPoolClientsCommand,
  ListGroupsCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { buildTableExport, serveExportBucket } from '../../test-support/table-export';
import { configurationItems } from '../../utils/pool-configuration-item';
import { storedConfigurationKey } from '../../utils/stored-pool-configuration';
import { besideReportKey, creationKey } from '../lib/create-user-pool';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs } from '../../test-support/capture-logs';
import { fakeClock } from '../../test-support/fake-clock';
import { lambdaContext } from '../../test-support/lambda-context';
import { fakeRuntime } from '../../test-support/runtime';
import { createHandler, ENVIRONMENT, handler as lambdaHandler } from '../check-new-user-pool';
import {
  MAPPING_BUCKET,
  POOL_ID,
  serveBucket,
  TARGET_POOL,
  TYPE_TIMESTAMP,
  TYPE_USER,
  userItem,
  wrapped,
} from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const ddb = mockAws(DynamoDBDocumentClient);
const s3 = mockAws(S3Client);

function awsError(name: string, message = name) {
  return new CognitoIdentityProviderServiceException({
    name,
    $fault: 'client',
    message,
    $metadata: { httpStatusCode: 400 },
  });
}

const SOURCE_POOL_ID = 'us-east-2_Source01';
const ENV = {
  COGNITO_TPS: '10',
  PRIMARY_USER_POOL_ID: SOURCE_POOL_ID,
  AWS_REGION: 'us-east-2',
  BACKUP_TABLE_NAME: 'backup-table',
  TYPE_USER,
  TYPE_TIMESTAMP,
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: MAPPING_BUCKET,
};

/** The new pool: e-mail as username, one custom attribute of the backup (`custom:plan`). */
const FITTING_POOL = {
  ...TARGET_POOL,
  UsernameAttributes: ['email' as const],
  SchemaAttributes: [
    { Name: 'sub', AttributeDataType: 'String' as const, Required: true },
    { Name: 'email', AttributeDataType: 'String' as const, Required: false },
    { Name: 'custom:plan', AttributeDataType: 'String' as const },
  ],
};

/** A backed-up user (e-mail as username) with a plan. */
const planUser = (n: number) =>
  userItem(n, {
    userAttributes: [
      ...(userItem(n).userAttributes as object[]),
      { Name: 'custom:plan', Value: `secret-plan-${n}` },
    ],
  });

const withInput = (input: Record<string, unknown>) => {
  const event = wrapped({});
  event.Context!.Execution.Input = { NewUserPoolId: POOL_ID, ...input };
  return event;
};

function setup(env: Record<string, string | undefined> = ENV) {
  const clock = fakeClock();
  const logs = captureLogs();
  const handler = createHandler(fakeRuntime(clock, env, { write: logs.write }));
  return { clock, logs, handler };
}

describe('check-new-user-pool', () => {
  beforeEach(() => {
    cognito.reset();
    cognito.on(ListUsersCommand).resolves({ Users: [] });
    cognito.on(ListGroupsCommand).resolves({ Groups: [] });
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: FITTING_POOL });
    ddb.reset();
    s3.reset();
    // The check scans in parallel segments: the two users are in the first one.
    ddb.on(ScanCommand).resolves({ Items: [] });
    ddb.on(ScanCommand, { Segment: 0 }).resolves({ Items: [planUser(1), planUser(2)] });
    // No configuration item (a backup of v1.0.10) unless a test gives one.
    ddb.on(GetCommand).resolves({});
  });

  it('declares the variables it reads', () => {
    expect(Object.keys(ENVIRONMENT)).toEqual([
      'COGNITO_TPS',
      'PRIMARY_USER_POOL_ID',
      'AWS_REGION',
      'BACKUP_TABLE_NAME',
      'TYPE_USER',
      'TYPE_TIMESTAMP',
      'USER_IMPORT_JOB_MAPPING_FILES_BUCKET',
      'SNAPSHOT_BUCKET',
    ]);
  });

  describe('refuses, before any write, a pool that would lose data of the backup', () => {
    it('reads the user items of the backup table for their attribute names', async () => {
      await expect(setup().handler(wrapped({}))).resolves.toEqual({
        result: { NewUserPoolEmpty: true, Resume: false },
      });
      expect(cognito).toHaveReceivedCommandWith(DescribeUserPoolCommand, { UserPoolId: POOL_ID });
      expect(ddb).toHaveReceivedCommandWith(ScanCommand, {
        TableName: 'backup-table',
        FilterExpression: '#type = :typeUser',
        ExpressionAttributeValues: { ':typeUser': TYPE_USER },
      });
    });

    it.each([
      ['AsOf', { AsOf: '2026-12-01T09:30:00Z' }, 'mapping-bucket', 'point-in-time-exports/run-1/'],
      ['Snapshot', { Snapshot: '20261207T223000Z' }, 'snapshot-bucket', 'snapshots/20261207T223000Z/'],
    ])(
      '%s: reads the users of the export the input names, not the live table',
      async (_name, input, bucket, prefix) => {
        cognito.on(DescribeUserPoolCommand).resolves({
          UserPool: { ...FITTING_POOL, SchemaAttributes: FITTING_POOL.SchemaAttributes.slice(0, 2) },
        });
        // What CheckRecoveryPoint kept: the export has no configuration item (v1.0.10).
        const kept = new Map([[storedConfigurationKey('run-1'), Buffer.from('{"Configuration":null}')]]);
        const { objects } = buildTableExport([[planUser(1), planUser(2), planUser(3)]], { prefix });
        if (bucket === 'mapping-bucket') serveExportBucket(s3, new Map([...objects, ...kept]), bucket);
        else {
          serveExportBucket(s3, objects, bucket);
          serveExportBucket(s3, kept, 'mapping-bucket');
        }
        const failure = (await setup({
          ...ENV,
          USER_IMPORT_JOB_MAPPING_FILES_BUCKET: 'mapping-bucket',
          SNAPSHOT_BUCKET: 'snapshot-bucket',
        })
          .handler(withInput(input))
          .catch((error: unknown) => error)) as Error;
        expect(failure.message).toContain('custom:plan: 3 backed-up users carry it');
        expect(ddb).not.toHaveReceivedCommand(ScanCommand);
        expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, {
          Bucket: bucket,
          Prefix: `${prefix}AWSDynamoDB/`,
        });
      },
    );

    it('a custom attribute that users carry is missing from the new pool: named, with the fix', async () => {
      cognito.on(DescribeUserPoolCommand).resolves({
        UserPool: { ...FITTING_POOL, SchemaAttributes: FITTING_POOL.SchemaAttributes.slice(0, 2) },
      });
      const { handler, logs } = setup();
      const failure = (await handler(wrapped({})).catch((error: unknown) => error)) as Error;
      expect(failure).toMatchObject({ name: 'TargetPoolRefusedError' });
      expect(failure.message).toContain(
        'custom:plan: 2 backed-up users carry it and the new pool has no such attribute',
      );
      expect(failure.message).toContain('or list "custom:plan" in DropAttributes to restore without it');
      expect(failure.message).not.toContain('secret-plan');
      expect(failure.message).not.toContain('example.com');
      expect(logs.text()).not.toContain('secret-plan');
      // Only reads: the check runs before the first write of the workflow.
      expect(
        cognito
          .calls()
          .map((call) => call.args[0].constructor.name)
          .sort(),
      ).toEqual(['DescribeUserPoolCommand', 'ListGroupsCommand', 'ListUsersCommand']);
    });

    it('with DropAttributes naming it, the restore goes on and the log names what is dropped', async () => {
      cognito.on(DescribeUserPoolCommand).resolves({
        UserPool: { ...FITTING_POOL, SchemaAttributes: FITTING_POOL.SchemaAttributes.slice(0, 2) },
      });
      const { handler, logs } = setup();
      await expect(handler(withInput({ DropAttributes: ['custom:plan'] }))).resolves.toEqual({
        result: { NewUserPoolEmpty: true, Resume: false },
      });
      expect(logs.entries()).toContainEqual(
        expect.objectContaining({
          message: 'New user pool checked against the backup',
          dropped: ['custom:plan'],
        }),
      );
    });

    it('other username attributes than the backup users sign in with', async () => {
      cognito.on(DescribeUserPoolCommand).resolves({ UserPool: { ...FITTING_POOL, UsernameAttributes: [] } });
      const run = setup().handler(withInput({ DropAttributes: ['custom:plan'] }));
      await expect(run).rejects.toMatchObject({ name: 'TargetPoolRefusedError' });
      await expect(run).rejects.toThrow(
        "username attributes: 2 backed-up users sign in with email as the username, and the new pool's " +
          'username attributes are none (create the pool with username attributes: email)',
      );
    });

    it('refuses a DropAttributes that is not a list of custom attribute names, before any call', async () => {
      const run = setup().handler(withInput({ DropAttributes: ['email'] }));
      await expect(run).rejects.toMatchObject({ name: 'InvalidDropAttributesError' });
      expect(cognito.calls()).toHaveLength(0);
    });

    it('does not read the backup for a pool that is refused as not empty', async () => {
      cognito.on(ListUsersCommand).resolves({ Users: [{ Username: 'someone' }] });
      await expect(setup().handler(wrapped({}))).resolves.toEqual({
        result: { NewUserPoolEmpty: false, Resume: false },
      });
      expect(ddb.calls()).toHaveLength(0);
      expect(cognito).not.toHaveReceivedCommand(DescribeUserPoolCommand);
    });

    it('checks a Resume target too', async () => {
      cognito.on(ListUsersCommand).resolves({ Users: [{ Username: 'someone' }] });
      cognito.on(DescribeUserPoolCommand).resolves({ UserPool: { ...FITTING_POOL, SchemaAttributes: [] } });
      await expect(setup().handler(withInput({ Resume: true }))).rejects.toThrow('custom:plan');
    });

    it('names the pool when DescribeUserPool is denied', async () => {
      cognito.on(DescribeUserPoolCommand).rejects(awsError('AccessDeniedException'));
      await expect(setup().handler(wrapped({}))).rejects.toMatchObject({
        name: 'NewUserPoolUnreadableError',
        message: expect.stringContaining(`Unable to read the new user pool (${POOL_ID}): access was denied`),
      });
    });
  });

  describe('refuses a target that is not a new user pool of this Region, before calling Cognito', () => {
    it.each([
      ['the backed-up pool', SOURCE_POOL_ID, 'is the user pool that is backed up'],
      ['the backed-up pool in other letter case', 'us-east-2_SOURCE01', 'is the user pool that is backed up'],
      ['a pool of another Region', 'us-west-2_NewPool01', 'is not a user pool ID of us-east-2'],
      ['an id without a Region', 'NewPool01', 'is not a user pool ID of us-east-2'],
      ['an id with a bad character', 'us-east-2_New/Pool', 'is not a user pool ID of us-east-2'],
      [
        'an ARN',
        'arn:aws:cognito-idp:us-east-2:123456789012:userpool/us-east-2_NewPool01',
        'is not a user pool ID',
      ],
      ['an id with nothing after the Region', 'us-east-2_', 'is not a user pool ID of us-east-2'],
    ])('%s', async (_case, poolId, message) => {
      const run = setup().handler(wrapped({}, { poolId }));
      await expect(run).rejects.toThrow(message);
      await expect(run).rejects.toMatchObject({ name: 'NewUserPoolRefusedError' });
      expect(cognito.calls()).toHaveLength(0);
    });

    it('accepts a well-formed id of this Region that is not the backed-up pool', async () => {
      await expect(setup().handler(wrapped({}, { poolId: 'us-east-2_AbC123' }))).resolves.toEqual({
        result: { NewUserPoolEmpty: true, Resume: false },
      });
    });

    it('needs the backed-up pool id and the Region', async () => {
      await expect(setup({ COGNITO_TPS: '10' }).handler(wrapped({}))).rejects.toThrow(
        /PRIMARY_USER_POOL_ID[\s\S]*AWS_REGION/,
      );
    });
  });

  it('names the restore-target tag when access to the new pool is denied', async () => {
    cognito.on(ListUsersCommand).rejects(awsError('AccessDeniedException', 'not authorized'));
    await expect(setup().handler(wrapped({}))).rejects.toThrow(
      'tagged cognito-backup-restore-target=true: tag the new user pool (see the README)',
    );
  });

  it('answers true for a pool with no users and no groups, without sleeping', async () => {
    const { handler, clock } = setup();
    await expect(handler(wrapped({}))).resolves.toEqual({
      result: { NewUserPoolEmpty: true, Resume: false },
    });
    expect(cognito).toHaveReceivedCommandWith(ListUsersCommand, { UserPoolId: POOL_ID, Limit: 1 });
    expect(cognito).toHaveReceivedCommandWith(ListGroupsCommand, { UserPoolId: POOL_ID, Limit: 1 });
    expect(clock.sleeps).toEqual([]);
  });

  it('reads answers without lists as empty', async () => {
    cognito.on(ListUsersCommand).resolves({});
    cognito.on(ListGroupsCommand).resolves({});
    await expect(setup().handler(wrapped({}))).resolves.toEqual({
      result: { NewUserPoolEmpty: true, Resume: false },
    });
  });

  it('exports the Lambda handler built on the default runtime', async () => {
    await expect(lambdaHandler(wrapped({}, { poolId: '' }))).rejects.toThrow(
      'Unable to determine the new user pool ID',
    );
  });

  it('accepts a pool that holds users and groups with Resume, and says so', async () => {
    cognito.on(ListUsersCommand).resolves({ Users: [{ Username: 'someone' }] });
    cognito.on(ListGroupsCommand).resolves({ Groups: [{ GroupName: 'admins' }] });
    const event = wrapped({});
    event.Context!.Execution.Input = { NewUserPoolId: POOL_ID, Resume: true };
    await expect(setup().handler(event)).resolves.toEqual({
      result: { NewUserPoolEmpty: false, Resume: true },
    });
  });

  it('refuses a non-empty pool without Resume, or with Resume false', async () => {
    cognito.on(ListUsersCommand).resolves({ Users: [{ Username: 'someone' }] });
    const event = wrapped({});
    event.Context!.Execution.Input = { NewUserPoolId: POOL_ID, Resume: false };
    await expect(setup().handler(event)).resolves.toEqual({
      result: { NewUserPoolEmpty: false, Resume: false },
    });
  });

  it('refuses the backed-up pool even with Resume', async () => {
    const event = wrapped({});
    event.Context!.Execution.Input = { NewUserPoolId: ENV.PRIMARY_USER_POOL_ID, Resume: true };
    await expect(setup().handler(event)).rejects.toMatchObject({ name: 'NewUserPoolRefusedError' });
    expect(cognito.calls()).toHaveLength(0);
  });

  it('refuses a Resume value that is not a boolean before reading the pool', async () => {
    const event = wrapped({});
    event.Context!.Execution.Input = { NewUserPoolId: POOL_ID, Resume: 'true' };
    await expect(setup().handler(event)).rejects.toThrow(
      'Resume must be true or false in the execution input (found "true")',
    );
    expect(cognito).not.toHaveReceivedCommand(ListUsersCommand);
  });

  it('answers false when the pool has a user', async () => {
    cognito.on(ListUsersCommand).resolves({ Users: [{ Username: 'someone' }] });
    await expect(setup().handler(wrapped({}))).resolves.toEqual({
      result: { NewUserPoolEmpty: false, Resume: false },
    });
  });

  it('answers false when the pool has a group but no user', async () => {
    cognito.on(ListGroupsCommand).resolves({ Groups: [{ GroupName: 'admins' }] });
    await expect(setup().handler(wrapped({}))).resolves.toEqual({
      result: { NewUserPoolEmpty: false, Resume: false },
    });
  });

  it('follows a continuation token after an empty page before answering', async () => {
    cognito
      .on(ListUsersCommand)
      .resolvesOnce({ Users: [], PaginationToken: 't1' })
      .resolvesOnce({ Users: [{ Username: 'late' }] });
    await expect(setup().handler(wrapped({}))).resolves.toEqual({
      result: { NewUserPoolEmpty: false, Resume: false },
    });
    expect(cognito).toHaveReceivedCommandWith(ListUsersCommand, { PaginationToken: 't1' });
  });

  it('fails when pages stay empty but keep a token', async () => {
    cognito.on(ListGroupsCommand).resolves({ Groups: [], NextToken: 'again' });
    await expect(setup().handler(wrapped({}))).rejects.toThrow(
      `Unable to read the new user pool (${POOL_ID}): ListGroups kept answering empty pages with a continuation token`,
    );
  });

  it.each([undefined, '', '   ', 42])(
    'rejects a NewUserPoolId of %p with the spec message',
    async (poolId) => {
      await expect(setup().handler(wrapped({}, { poolId }))).rejects.toThrow(
        'Unable to determine the new user pool ID',
      );
    },
  );

  it('rejects an event without Context with the pool-id message', async () => {
    await expect(setup().handler({})).rejects.toThrow('Unable to determine the new user pool ID');
  });

  // The original answered NewUserPoolEmpty: false for all of these.
  it.each([
    [
      'ResourceNotFoundException',
      `Unable to read the new user pool (${POOL_ID}): it does not exist in this Region (ResourceNotFoundException). Check NewUserPoolId in the execution input`,
    ],
    [
      'AccessDeniedException',
      `Unable to read the new user pool (${POOL_ID}): access was denied (AccessDeniedException). The import roles ` +
        'act only on a user pool tagged cognito-backup-restore-target=true: tag the new user pool (see the README) ' +
        'and start again',
    ],
    [
      'NotAuthorizedException',
      `Unable to read the new user pool (${POOL_ID}): access was denied (NotAuthorizedException). The import roles ` +
        'act only on a user pool tagged cognito-backup-restore-target=true: tag the new user pool (see the README) ' +
        'and start again',
    ],
    [
      'InvalidParameterException',
      `Unable to read the new user pool (${POOL_ID}): the ID was refused (InvalidParameterException: InvalidParameterException)`,
    ],
    [
      'InternalErrorException',
      `Unable to read the new user pool (${POOL_ID}): InternalErrorException: InternalErrorException`,
    ],
  ])('fails with a distinct message naming the pool when it cannot be read (%s)', async (name, expected) => {
    const error = awsError(name);
    if (name === 'InternalErrorException')
      Object.assign(error, { $fault: 'server', $metadata: { httpStatusCode: 400 } });
    cognito.on(ListUsersCommand).rejects(error);
    const failure = await setup()
      .handler(wrapped({}))
      .catch((e: unknown) => e as Error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).name).toBe('NewUserPoolUnreadableError');
    expect((failure as Error).message).toBe(expected);
  });

  it('retries throttling through the limiter and then answers', async () => {
    cognito.on(ListGroupsCommand).rejectsOnce(awsError('TooManyRequestsException')).resolves({ Groups: [] });
    const { handler, clock, logs } = setup();
    await expect(handler(wrapped({}))).resolves.toEqual({
      result: { NewUserPoolEmpty: true, Resume: false },
    });
    expect(clock.sleeps.length).toBe(1);
    expect(logs.text()).toContain('Retrying a Cognito call');
  });

  it('retries within its 60-second Lambda (the one-minute rule is for starting new work)', async () => {
    cognito
      .on(ListUsersCommand)
      .rejectsOnce(awsError('TooManyRequestsException'))
      .rejectsOnce(awsError('TooManyRequestsException'))
      .resolves({ Users: [] });
    const { handler, clock } = setup();
    await expect(handler(wrapped({}), lambdaContext(clock, 59_500))).resolves.toEqual({
      result: { NewUserPoolEmpty: true, Resume: false },
    });
    expect(cognito).toHaveReceivedCommandTimes(ListUsersCommand, 3);
  });

  it('uses the stack default TPS when COGNITO_TPS is absent and rejects a bad one', async () => {
    const { COGNITO_TPS: _tps, ...withoutTps } = ENV;
    await expect(setup(withoutTps).handler(wrapped({}))).resolves.toEqual({
      result: { NewUserPoolEmpty: true, Resume: false },
    });
    await expect(setup({ ...ENV, COGNITO_TPS: 'abc' }).handler(wrapped({}))).rejects.toThrow(
      'Unable to parse a number from the COGNITO_TPS value (abc)',
    );
  });

  it('logs the pool id and the outcome only', async () => {
    cognito.on(ListUsersCommand).resolves({ Users: [{ Username: 'private@example.com' }] });
    const { handler, logs } = setup();
    await handler(wrapped({}));
    expect(logs.entries()).toEqual([
      expect.objectContaining({
        message: 'New user pool checked',
        userPoolId: POOL_ID,
        hasUsers: true,
        hasGroups: false,
      }),
    ]);
    await handler(withInput({ Resume: true }));
    expect(logs.text()).not.toContain('secret-plan');
    expect(logs.text()).not.toContain('example.com');
    expect(logs.text()).not.toContain('private');
  });

  describe('with the configuration item of the backup', () => {
    const recordedItem = (userPool: Record<string, unknown>) =>
      configurationItems(
        {
          FormatVersion: 1,
          Source: { UserPoolId: SOURCE_POOL_ID, Region: 'us-east-2', RecordedAt: '2026-12-07T22:00:00.000Z' },
          UserPool: userPool,
          Mfa: {},
          Clients: [],
          ResourceServers: [],
          IdentityProviders: [],
          Domains: [],
        },
        TYPE_TIMESTAMP,
        '2026-12-07T22:00:00.000Z',
      )[0];
    let bucket: Map<string, string>;

    beforeEach(() => {
      bucket = new Map();
      s3.reset();
      serveBucket(s3, bucket);
    });

    it('refuses a custom attribute that users carry with another data type than the backed-up pool had', async () => {
      ddb.on(GetCommand).resolves({
        Item: recordedItem({
          UsernameAttributes: ['email'],
          Schema: [{ Name: 'custom:plan', AttributeDataType: 'Number' }],
        }),
      });
      const failure = (await setup()
        .handler(wrapped({}))
        .catch((error: unknown) => error)) as Error;
      expect(failure).toMatchObject({ name: 'TargetPoolRefusedError' });
      expect(failure.message).toContain(
        'custom:plan: the backed-up pool has it as Number and the new pool as String (2 backed-up users carry it',
      );
      expect(failure.message).not.toContain('secret-plan');
    });

    it('refuses other alias attributes than the backed-up pool had', async () => {
      ddb.on(GetCommand).resolves({
        Item: recordedItem({ UsernameAttributes: ['email'], AliasAttributes: ['preferred_username'] }),
      });
      await expect(setup().handler(wrapped({}))).rejects.toThrow(
        /alias attributes: the backed-up pool's users sign in with preferred_username as aliases/,
      );
    });

    it('checks the users only, with a warning, when the configuration item cannot be read', async () => {
      ddb.on(GetCommand).resolves({ Item: { ...recordedItem({}), encoding: 'zstd-json' } });
      const { handler, logs } = setup();
      await expect(handler(wrapped({}))).resolves.toEqual({
        result: { NewUserPoolEmpty: true, Resume: false },
      });
      expect(logs.text()).toContain(
        'Target check: the configuration item cannot be read; only the users are checked',
      );
      expect(logs.text()).toContain('an encoding this version cannot read (zstd-json)');
    });

    it('fails, rather than skipping the configuration check, when the table cannot be read', async () => {
      ddb
        .on(GetCommand)
        .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $fault: 'client' }));
      await expect(setup().handler(wrapped({}))).rejects.toThrow(/denied|AccessDenied/);
    });

    it('lists what differs without losing data as warnings beside the restore report', async () => {
      ddb.on(GetCommand).resolves({
        Item: recordedItem({
          UsernameAttributes: ['email'],
          Policies: { PasswordPolicy: { MinimumLength: 14 } },
          Schema: [{ Name: 'custom:plan', AttributeDataType: 'String' }],
        }),
      });
      const { handler, logs } = setup();
      await expect(handler(wrapped({}))).resolves.toEqual({
        result: { NewUserPoolEmpty: true, Resume: false },
      });
      expect(
        JSON.parse(
          bucket.get(besideReportKey(POOL_ID, '2024-01-01T00:00:00.000Z', 'target-check.json')) ?? '{}',
        ),
      ).toEqual({
        Warnings: ["the password policy differs from the backed-up pool's"],
        Dropped: [],
      });
      expect(logs.text()).toContain("Target check: the password policy differs from the backed-up pool's");
    });
  });

  describe('CreateUserPool: creates the target from the backup, then checks it as any other', () => {
    const createInput = (fields: Record<string, unknown> = {}) => {
      const event = wrapped({});
      event.Context!.Execution.Input = { CreateUserPool: { PoolName: 'restored' }, ...fields };
      event.Context!.Execution.Name = 'restore-1';
      return event;
    };
    let bucket: Map<string, string>;

    beforeEach(() => {
      bucket = new Map();
      s3.reset();
      serveBucket(s3, bucket);
      const [item] = configurationItems(
        {
          FormatVersion: 1,
          Source: { UserPoolId: SOURCE_POOL_ID, Region: 'us-east-2', RecordedAt: '2026-12-07T22:00:00.000Z' },
          UserPool: {
            PoolName: 'production',
            UsernameAttributes: ['email'],
            Schema: [{ Name: 'custom:plan', AttributeDataType: 'String', Mutable: true }],
          },
          Mfa: { MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } },
          Clients: [{ ClientId: 'oldclient', Settings: { ClientName: 'web' } }],
          ResourceServers: [
            { Identifier: 'api', Name: 'API', Scopes: [{ ScopeName: 'read', ScopeDescription: 'r' }] },
          ],
          IdentityProviders: [
            {
              Settings: {
                ProviderName: 'Corp',
                ProviderType: 'SAML',
                ProviderDetails: { MetadataURL: 'https://idp.example.org/md' },
              },
              SecretsLeftOut: [],
            },
          ],
          Domains: [{ Domain: 'prod-login' }],
        },
        TYPE_TIMESTAMP,
        '2026-12-07T22:00:00.000Z',
      );
      ddb.on(GetCommand).resolves({ Item: item });
      cognito.on(CreateUserPoolCommand).resolves({ UserPool: { Id: POOL_ID } });
      cognito.on(ListResourceServersCommand).resolves({ ResourceServers: [] });
      cognito.on(ListIdentityProvidersCommand).resolves({ Providers: [] });
      cognito.on(ListUserPoolClientsCommand).resolves({ UserPoolClients: [] });
      cognito.on(CreateUserPoolClientCommand).resolves({ UserPoolClient: { ClientId: 'newclient' } });
      cognito.on(SetUserPoolMfaConfigCommand).resolves({});
      cognito.on(CreateResourceServerCommand).resolves({});
      cognito.on(CreateIdentityProviderCommand).resolves({});
      cognito.on(CreateUserPoolDomainCommand).resolves({});
    });

    it('creates the MFA settings, resource servers, identity providers and, with DomainPrefix, the domain', async () => {
      await setup().handler(
        createInput({ CreateUserPool: { PoolName: 'restored', DomainPrefix: 'restored-login' } }),
      );
      expect(cognito).toHaveReceivedCommandWith(SetUserPoolMfaConfigCommand, {
        UserPoolId: POOL_ID,
        MfaConfiguration: 'OPTIONAL',
      });
      expect(cognito).toHaveReceivedCommandWith(CreateResourceServerCommand, {
        UserPoolId: POOL_ID,
        Identifier: 'api',
      });
      expect(cognito).toHaveReceivedCommandWith(CreateIdentityProviderCommand, {
        UserPoolId: POOL_ID,
        ProviderName: 'Corp',
      });
      expect(cognito).toHaveReceivedCommandWith(CreateUserPoolDomainCommand, {
        UserPoolId: POOL_ID,
        Domain: 'restored-login',
      });
    });

    it('a step retried after the pool was created but not recorded finds it by name and tag', async () => {
      bucket.set(
        creationKey('restore-1'),
        JSON.stringify({ PoolName: 'restored', Clients: {}, Done: false }),
      );
      cognito.on(ListUserPoolsCommand).resolves({ UserPools: [{ Id: POOL_ID, Name: 'restored' }] });
      cognito.on(DescribeUserPoolCommand).resolves({
        UserPool: { ...FITTING_POOL, UserPoolTags: { 'cognito-backup-restore-execution': 'restore-1' } },
      });
      await setup().handler(createInput());
      expect(cognito).not.toHaveReceivedCommand(CreateUserPoolCommand);
      expect(cognito).toHaveReceivedCommandWith(ListUsersCommand, { UserPoolId: POOL_ID });
    });

    it('creates the pool with the recorded schema and the restore-target tags, then checks the new pool', async () => {
      await expect(setup().handler(createInput())).resolves.toEqual({
        result: { NewUserPoolEmpty: true, Resume: false },
      });
      expect(ddb).toHaveReceivedCommandWith(GetCommand, {
        TableName: 'backup-table',
        Key: { id: 'user-pool-configuration', type: TYPE_TIMESTAMP },
      });
      expect(cognito).toHaveReceivedCommandWith(CreateUserPoolCommand, {
        PoolName: 'restored',
        UsernameAttributes: ['email'],
        Schema: [{ Name: 'plan', AttributeDataType: 'String', Mutable: true }],
        UserPoolTags: {
          'cognito-backup-restore-target': 'true',
          'cognito-backup-restore-execution': 'restore-1',
          'cognito-backup-restore-source': SOURCE_POOL_ID,
        },
      });
      expect(cognito).toHaveReceivedCommandWith(CreateUserPoolClientCommand, {
        UserPoolId: POOL_ID,
        ClientName: 'web',
      });
      expect(cognito).toHaveReceivedCommandWith(ListUsersCommand, { UserPoolId: POOL_ID });
      expect(cognito).toHaveReceivedCommandWith(DescribeUserPoolCommand, { UserPoolId: POOL_ID });
      expect(JSON.parse(bucket.get(creationKey('restore-1')) ?? '{}')).toMatchObject({
        UserPoolId: POOL_ID,
        Clients: { oldclient: 'newclient' },
        Done: true,
      });
    });

    it('a retried step creates no second pool', async () => {
      const { handler } = setup();
      await handler(createInput());
      await handler(createInput());
      expect(cognito).toHaveReceivedCommandTimes(CreateUserPoolCommand, 1);
      expect(cognito).toHaveReceivedCommandTimes(CreateUserPoolClientCommand, 1);
    });

    it('refuses CreateUserPool with NewUserPoolId or Resume, and a backup without a configuration item', async () => {
      const { handler } = setup();
      await expect(handler(createInput({ NewUserPoolId: POOL_ID }))).rejects.toThrow(/not both/);
      await expect(handler(createInput({ Resume: true }))).rejects.toThrow(/Resume continues/);
      ddb.on(GetCommand).resolves({});
      await expect(handler(createInput())).rejects.toThrow(/create the new user pool by hand/);
      expect(cognito).not.toHaveReceivedCommand(CreateUserPoolCommand);
    });
  });

  describe("a recovery point's own configuration item, not the live table's", () => {
    /** The recorded configuration of a pool whose `custom:plan` is of `type`. */
    const configurationOf = (type: string) => ({
      FormatVersion: 1,
      Source: { UserPoolId: SOURCE_POOL_ID, Region: 'us-east-2', RecordedAt: '2026-12-01T09:00:00.000Z' },
      UserPool: {
        PoolName: 'production',
        UsernameAttributes: ['email'],
        Schema: [{ Name: 'custom:plan', AttributeDataType: type, Mutable: true }],
      },
      Mfa: {},
      Clients: [],
      ResourceServers: [],
      IdentityProviders: [],
      Domains: [],
    });
    /** Its configuration item. */
    const recorded = (type: string) =>
      configurationItems(configurationOf(type), TYPE_TIMESTAMP, '2026-12-01T09:00:00.000Z')[0] as Record<
        string,
        unknown
      >;
    /** What CheckRecoveryPoint kept of the export for the execution `restore-1`. */
    const keep = (summary: unknown) => work.set(storedConfigurationKey('restore-1'), JSON.stringify(summary));
    const RECOVERY_POINTS = [
      ['AsOf', { AsOf: '2026-12-01T09:30:00Z' }, 'point-in-time-exports/restore-1/'],
      ['Snapshot', { Snapshot: '20261201T090000Z' }, 'snapshots/20261201T090000Z/'],
    ] as const;
    let work: Map<string, string>;

    /**
     * The export of the recovery point (items in two files, the configuration item in the second) in
     * its bucket, the import bucket's work files beside it.
     */
    function serve(prefix: string, items: Record<string, unknown>[]) {
      const built = buildTableExport([items.slice(0, 2), items.slice(2)], { prefix });
      work = new Map();
      s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
        work.set(input.Key, input.Body);
        return {};
      });
      s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
        const text = work.get(input.Key);
        const bytes = built.objects.get(input.Key) ?? (text === undefined ? undefined : Buffer.from(text));
        if (bytes === undefined)
          throw Object.assign(new Error(`NoSuchKey ${input.Key}`), { name: 'NoSuchKey' });
        return {
          Body: Object.assign(Readable.from([bytes]), { transformToString: () => Promise.resolve(text) }),
        } as never;
      });
      s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
        Contents: [...built.objects.keys()]
          .filter((key) => key.startsWith(input.Prefix))
          .map((Key) => ({ Key })),
      }));
    }
    const run = (input: Record<string, unknown>) => {
      const event = wrapped({});
      event.Context!.Execution.Input = input;
      event.Context!.Execution.Name = 'restore-1';
      return setup({ ...ENV, SNAPSHOT_BUCKET: MAPPING_BUCKET }).handler(event);
    };

    // The export's data files hold no configuration item: only what CheckRecoveryPoint kept has it, so a
    // check that searched the export, or read the live table, would miss the difference.
    it.each(RECOVERY_POINTS)(
      '%s: the target check compares the new pool with the configuration CheckRecoveryPoint kept',
      async (_kind, point, prefix) => {
        // The live table's item fits the new pool (String); the recovery point's does not (Number).
        ddb.on(GetCommand).resolves({ Item: recorded('String') });
        serve(prefix, [planUser(1), planUser(2), planUser(3)]);
        keep({ Configuration: configurationOf('Number') });
        await expect(run({ NewUserPoolId: POOL_ID, ...point })).rejects.toThrow(
          'custom:plan: the backed-up pool has it as Number and the new pool as String',
        );
        expect(ddb).not.toHaveReceivedCommand(GetCommand);
      },
    );

    it.each(RECOVERY_POINTS)(
      '%s: CreateUserPool creates the pool as CheckRecoveryPoint kept its configuration',
      async (_kind, point, prefix) => {
        ddb.on(GetCommand).resolves({ Item: recorded('Number') });
        serve(prefix, [planUser(1), planUser(2), planUser(3)]);
        keep({ Configuration: configurationOf('String') });
        cognito.on(CreateUserPoolCommand).resolves({ UserPool: { Id: POOL_ID } });
        cognito.on(ListUserPoolClientsCommand).resolves({ UserPoolClients: [] });
        cognito.on(ListResourceServersCommand).resolves({ ResourceServers: [] });
        cognito.on(ListIdentityProvidersCommand).resolves({ Providers: [] });
        await expect(run({ CreateUserPool: { PoolName: 'restored' }, ...point })).resolves.toEqual({
          result: { NewUserPoolEmpty: true, Resume: false },
        });
        expect(cognito).toHaveReceivedCommandWith(CreateUserPoolCommand, {
          PoolName: 'restored',
          Schema: [{ Name: 'plan', AttributeDataType: 'String', Mutable: true }],
        });
        expect(ddb).not.toHaveReceivedCommand(GetCommand);
      },
    );

    it('an export without a configuration item (v1.0.10): the check derives from the users, CreateUserPool refuses', async () => {
      serve(RECOVERY_POINTS[1][2], [planUser(1), planUser(2), planUser(3)]);
      keep({ Configuration: null });
      const event = (input: Record<string, unknown>) => {
        const built = wrapped({});
        built.Context!.Execution.Input = { ...RECOVERY_POINTS[1][1], ...input };
        built.Context!.Execution.Name = 'restore-1';
        return built;
      };
      const { handler, logs } = setup({ ...ENV, SNAPSHOT_BUCKET: MAPPING_BUCKET });
      await expect(handler(event({ NewUserPoolId: POOL_ID }))).resolves.toEqual({
        result: { NewUserPoolEmpty: true, Resume: false },
      });
      expect(logs.text()).not.toContain('the configuration item cannot be read');
      await expect(handler(event({ CreateUserPool: { PoolName: 'restored' } }))).rejects.toThrow(
        /create the new user pool by hand/,
      );
      expect(cognito).not.toHaveReceivedCommand(CreateUserPoolCommand);
      expect(ddb).not.toHaveReceivedCommand(GetCommand);
    });

    it.each([
      [
        'unreadable',
        { Unreadable: "The backup's configuration item does not match its digest" },
        /does not match its digest/,
      ],
      ['not kept', undefined, /was not kept by CheckRecoveryPoint/],
    ])(
      'a configuration item %s: the target check warns and goes on, CreateUserPool stops',
      async (_case, summary, refusal) => {
        serve(RECOVERY_POINTS[1][2], [planUser(1), planUser(2), planUser(3)]);
        if (summary !== undefined) keep(summary);
        const event = (input: Record<string, unknown>) => {
          const built = wrapped({});
          built.Context!.Execution.Input = { ...RECOVERY_POINTS[1][1], ...input };
          built.Context!.Execution.Name = 'restore-1';
          return built;
        };
        const { handler, logs } = setup({ ...ENV, SNAPSHOT_BUCKET: MAPPING_BUCKET });
        await expect(handler(event({ NewUserPoolId: POOL_ID }))).resolves.toEqual({
          result: { NewUserPoolEmpty: true, Resume: false },
        });
        expect(logs.text()).toContain(
          'Target check: the configuration item cannot be read; only the users are checked',
        );
        await expect(handler(event({ CreateUserPool: { PoolName: 'restored' } }))).rejects.toThrow(refusal);
        expect(cognito).not.toHaveReceivedCommand(CreateUserPoolCommand);
      },
    );

    it("without a recovery point, the target check reads the live table's item as before", async () => {
      ddb.on(GetCommand).resolves({ Item: recorded('Number') });
      await expect(setup().handler(wrapped({}))).rejects.toThrow(
        'custom:plan: the backed-up pool has it as Number and the new pool as String',
      );
      expect(ddb).toHaveReceivedCommandWith(GetCommand, {
        TableName: 'backup-table',
        Key: { id: 'user-pool-configuration', type: TYPE_TIMESTAMP },
      });
    });
  });
});
