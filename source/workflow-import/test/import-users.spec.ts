// SPDX-License-Identifier: Apache-2.0
import {
  CognitoIdentityProviderClient,
  CognitoIdentityProviderServiceException,
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CreateUserImportJobCommand,
  DescribeUserImportJobCommand,
  DescribeUserPoolCommand,
  GetCSVHeaderCommand,
  ListUserImportJobsCommand,
  StartUserImportJobCommand,
  type UserImportJobStatusType,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
  type DeleteMessageBatchCommandInput,
  type Message,
} from '@aws-sdk/client-sqs';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs } from '../../test-support/capture-logs';
import { fakeClock } from '../../test-support/fake-clock';
import { lambdaContext } from '../../test-support/lambda-context';
import { fakeRuntime } from '../../test-support/runtime';
import { createHandler, ENVIRONMENT } from '../import-users';
import { creationKey } from '../lib/create-user-pool';
import { IMPORT_JOB_NAME, importJobFailureMessage } from '../lib/import-job';
import { FakeQueue } from './fake-queue';
import {
  message,
  NEW_USERS_QUEUE_URL,
  POOL_ID,
  serveBucket,
  subOf,
  TARGET_POOL,
  userItem,
  wrapped,
} from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const sqs = mockAws(SQSClient);
const s3 = mockAws(S3Client);

const HEADER = [
  'cognito:username',
  'cognito:mfa_enabled',
  'custom:foobar',
  'email_verified',
  'phone_number_verified',
];
const PRESIGNED = 'https://cognito-import.s3.amazonaws.com/import-abc?X-Amz-Security-Token=SECRET';

/** ImportNewUsersLambda's environment (template): no metric variables. */
const NEW_USERS_ENV = {
  NEW_USERS_QUEUE_URL,
  USER_IMPORT_CLOUDWATCH_ROLE_ARN: 'arn:aws:iam::111122223333:role/import-logs',
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: 'mapping-bucket',
  COGNITO_TPS: '10',
  AWS_REGION: 'us-east-2',
};
/** ImportCheckImportJobLambda's environment adds the metric variables. */
const CHECK_ENV = {
  ...NEW_USERS_ENV,
  SEND_METRIC: 'Yes',
  METRICS_ANONYMOUS_UUID: 'anon-uuid',
  SOLUTION_ID: 'SO0126',
  SOLUTION_VERSION: 'v2.0.0',
};

function awsError(name: string, fault: 'client' | 'server' = 'client') {
  return new CognitoIdentityProviderServiceException({
    name,
    $fault: fault,
    message: `${name} happened`,
    $metadata: {},
  });
}

function setup(env: Record<string, string | undefined> = NEW_USERS_ENV) {
  const clock = fakeClock();
  const logs = captureLogs();
  const uploads: { url: string; headers: Record<string, string>; body: string }[] = [];
  const metrics: unknown[] = [];
  const fetchImpl = jest.fn(async (url: string | URL | Request, init?: RequestInit) => {
    const target = String(url);
    if (target.includes('metrics')) {
      metrics.push(JSON.parse(String(init?.body)));
      return new Response('', { status: 200 });
    }
    const parts: Buffer[] = [];
    for await (const part of init?.body as AsyncIterable<Uint8Array>) parts.push(Buffer.from(part));
    uploads.push({
      url: target,
      headers: init?.headers as Record<string, string>,
      body: Buffer.concat(parts).toString(),
    });
    return new Response('', { status: 200 });
  });
  const handler = createHandler(
    fakeRuntime(clock, env, { write: logs.write, fetch: fetchImpl as unknown as typeof fetch }),
  );
  return { clock, logs, uploads, metrics, handler, fetchImpl };
}

/** Serves the given batches to successive receives, then empty answers. */
function queueServes(...batches: Message[][]) {
  let next = 0;
  sqs.on(ReceiveMessageCommand).callsFake(async () => {
    const batch = batches[next];
    next += 1;
    return batch ? { Messages: batch } : {};
  });
}

function deletedReceiptHandles(): string[] {
  return sqs
    .commandCalls(DeleteMessageBatchCommand)
    .flatMap((call) => (call.args[0].input as DeleteMessageBatchCommandInput).Entries ?? [])
    .map((entry) => entry.ReceiptHandle ?? '');
}

function releasedReceiptHandles(): string[] {
  return sqs
    .commandCalls(ChangeMessageVisibilityBatchCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .filter((entry) => entry.VisibilityTimeout === 0)
    .map((entry) => entry.ReceiptHandle ?? '');
}

function mappingBody(): string {
  const body = s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Body;
  return Buffer.isBuffer(body) ? body.toString() : String(body);
}

/** sinon numbers every call across spies; the typings leave the field out. */
const callId = (call: object): number => (call as { callId: number }).callId;

/** The order in which the listed operations happened, across clients. */
function order(): string[] {
  const named = [
    ...cognito.calls().map((call) => ({ call, client: 'cognito' })),
    ...sqs.calls().map((call) => ({ call, client: 'sqs' })),
    ...s3.calls().map((call) => ({ call, client: 's3' })),
  ];
  return named
    .sort((a, b) => callId(a.call) - callId(b.call))
    .map(({ call }) => (call.args[0] as object).constructor.name.replace(/Command$/, ''));
}

const USER = (n: number, overrides: Record<string, unknown> = {}) =>
  userItem(n, {
    pseudoUsername: `user-${n}`,
    userAttributes: [
      { Name: 'sub', Value: subOf(n) },
      { Name: 'custom:foobar', Value: `foo ${n}` },
      { Name: 'email', Value: `user-${n}@example.com` },
      { Name: 'email_verified', Value: 'true' },
    ],
    ...overrides,
  });

describe('import-users', () => {
  beforeEach(() => {
    cognito.reset();
    sqs.reset();
    s3.reset();
    cognito.on(GetCSVHeaderCommand).resolves({ CSVHeader: HEADER, UserPoolId: POOL_ID });
    // No auto-verified attribute: these tests are about the file, not about the pool's CSV rules.
    cognito
      .on(DescribeUserPoolCommand)
      .resolves({ UserPool: { ...TARGET_POOL, AutoVerifiedAttributes: [] } });
    cognito
      .on(CreateUserImportJobCommand)
      .resolves({ UserImportJob: { JobId: 'import-job-id', PreSignedUrl: PRESIGNED, Status: 'Created' } });
    cognito
      .on(StartUserImportJobCommand)
      .resolves({ UserImportJob: { JobId: 'import-job-id', Status: 'Pending' } });
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    s3.on(PutObjectCommand).resolves({});
  });

  it('declares every variable it reads; the metric variables are optional', () => {
    expect(Object.keys(ENVIRONMENT).sort()).toEqual(
      [...Object.keys(NEW_USERS_ENV), 'SEND_METRIC', 'METRICS_ANONYMOUS_UUID'].sort(),
    );
    expect(ENVIRONMENT.SEND_METRIC.required).toBe(false);
    expect(ENVIRONMENT.METRICS_ANONYMOUS_UUID.required).toBe(false);
  });

  it.each([
    ['Unknown', 'Unknown StateName: Unknown'],
    [undefined, 'Unknown StateName: '],
  ])('rejects the state name %p', async (stateName, expected) => {
    const event = stateName === undefined ? wrapped({}) : wrapped({}, { stateName });
    await expect(setup().handler(event)).rejects.toThrow(expected);
  });

  it('rejects an empty NewUserPoolId with the spec message', async () => {
    await expect(setup().handler(wrapped({}, { stateName: 'ImportNewUsers', poolId: '' }))).rejects.toThrow(
      'Unable to determine the new user pool ID',
    );
  });

  describe('ImportNewUsers (ImportNewUsersLambda)', () => {
    it.each(['ImportNewUsers', 'Parallel: ImportNewUsers'])(
      'answers an empty queue for %s',
      async (stateName) => {
        queueServes();
        const { handler, clock } = setup();
        await expect(handler(wrapped({}, { stateName }), lambdaContext(clock, 900_000))).resolves.toEqual({
          result: {
            ImportJobStatus: '',
            QueueEmpty: true,
            StateName: stateName,
            Progress: { Step: 'ImportNewUsers', LastProgressTime: expect.any(Number) },
          },
        });
        expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, {
          QueueUrl: NEW_USERS_QUEUE_URL,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 20,
          VisibilityTimeout: 120,
        });
        expect(cognito).toHaveReceivedCommandTimes(GetCSVHeaderCommand, 0);
      },
    );

    it('imports a user: header, CSV, mapping file, job started, then the message deleted', async () => {
      const received = message(
        USER(1, {
          userAttributes: [
            { Name: 'sub', Value: subOf(1) },
            { Name: 'custom:foobar', Value: 'a, "b"' },
          ],
        }),
      );
      queueServes([received]);
      const { handler, uploads } = setup();
      await expect(handler(wrapped({ Carried: 'yes' }, { stateName: 'ImportNewUsers' }))).resolves.toEqual({
        result: {
          Carried: 'yes',
          ImportJobStatus: 'Pending',
          ImportJobId: 'import-job-id',
          QueueEmpty: false,
          StateName: 'ImportNewUsers',
          Progress: { Step: 'ImportNewUsers', LastProgressTime: expect.any(Number) },
        },
      });
      expect(cognito).toHaveReceivedCommandWith(GetCSVHeaderCommand, { UserPoolId: POOL_ID });
      expect(cognito).toHaveReceivedCommandWith(CreateUserImportJobCommand, {
        CloudWatchLogsRoleArn: NEW_USERS_ENV.USER_IMPORT_CLOUDWATCH_ROLE_ARN,
        UserPoolId: POOL_ID,
        JobName: 'cognito-user-profiles-export-reference-architecture',
      });
      expect(uploads).toEqual([
        {
          url: PRESIGNED,
          headers: {
            'x-amz-server-side-encryption': 'aws:kms',
            'content-length': String(Buffer.byteLength(uploads[0]!.body)),
          },
          body: `${HEADER.join(',')}\nuser-1,false,a\\, "b",false,false\n`,
        },
      ]);
      expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
        Bucket: 'mapping-bucket',
        Key: 'import-job-id-user-mapping.csv',
      });
      // The bucket's default encryption applies (SSE-KMS); the upload does not override it.
      const upload = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
      expect(upload && 'ServerSideEncryption' in upload).toBe(false);
      expect(mappingBody()).toBe(`userImportCsvLineNumber,userSub\n1,${subOf(1)}\n`);
      expect(cognito).toHaveReceivedCommandWith(StartUserImportJobCommand, {
        UserPoolId: POOL_ID,
        JobId: 'import-job-id',
      });
      expect(deletedReceiptHandles()).toEqual([received.ReceiptHandle]);
      // the delete comes after the start; the original deleted right after reading.
      // Before anything, the pool's jobs and manifests; the header and the pool's rules are read at once,
      // in either order; the holds get a full period before the upload and again before the manifest and
      // the start; the manifest stays for the execution (a retried scan may queue its users again).
      const steps = order().filter((step) => step !== 'ReceiveMessage' && step !== 'GetQueueAttributes');
      expect(steps.slice(0, 2)).toEqual(['ListUserImportJobs', 'ListObjectsV2']);
      expect(steps.slice(2, 4).sort()).toEqual(['DescribeUserPool', 'GetCSVHeader']);
      expect(steps.slice(4)).toEqual([
        'ChangeMessageVisibilityBatch',
        'CreateUserImportJob',
        'PutObject',
        'ChangeMessageVisibilityBatch',
        'PutObject',
        'StartUserImportJob',
        'DeleteMessageBatch',
      ]);
    });

    it('numbers mapping lines in CSV order and writes each sub once (duplicate deliveries)', async () => {
      const first = message(USER(1));
      const again = message(USER(1));
      queueServes([first, message(USER(2)), again], [message(USER(3))]);
      const { handler, uploads } = setup();
      await handler(wrapped({}, { stateName: 'ImportNewUsers' }));
      expect(uploads[0]!.body.split('\n').filter(Boolean)).toHaveLength(4); // header + 3 users
      expect(mappingBody()).toBe(
        `userImportCsvLineNumber,userSub\n1,${subOf(1)}\n2,${subOf(2)}\n3,${subOf(3)}\n`,
      );
      expect(deletedReceiptHandles()).toHaveLength(4);
      expect(deletedReceiptHandles()).toContain(again.ReceiptHandle);
    });

    it("rejects a message without a sub with the original's message and gives every message back", async () => {
      const good = message(USER(1));
      const bad = message(USER(2, { userAttributes: [{ Name: 'email', Value: 'x' }] }));
      queueServes([good, bad]);
      await expect(setup().handler(wrapped({}, { stateName: 'ImportNewUsers' }))).rejects.toThrow(
        "Unable to extract user's sub attribute",
      );
      expect(sqs).toHaveReceivedCommandTimes(DeleteMessageBatchCommand, 0);
      expect(releasedReceiptHandles().sort()).toEqual([good.ReceiptHandle, bad.ReceiptHandle].sort());
    });

    // A failure before the job started loses nobody, whatever step failed.
    it.each([
      [
        'CreateUserImportJob',
        () => cognito.on(CreateUserImportJobCommand).rejects(awsError('InvalidParameterException')),
      ],
      ['PutObject', () => s3.on(PutObjectCommand).rejects(new Error('AccessDenied'))],
      ['GetCSVHeader', () => cognito.on(GetCSVHeaderCommand).rejects(awsError('ResourceNotFoundException'))],
      ['GetCSVHeader (no header)', () => cognito.on(GetCSVHeaderCommand).resolves({ CSVHeader: [] })],
    ])('deletes nothing and releases the messages when %s fails', async (_step, arrange) => {
      arrange();
      const received = [message(USER(1)), message(USER(2))];
      queueServes(received);
      await expect(setup().handler(wrapped({}, { stateName: 'ImportNewUsers' }))).rejects.toThrow();
      expect(sqs).toHaveReceivedCommandTimes(DeleteMessageBatchCommand, 0);
      expect(releasedReceiptHandles().sort()).toEqual(received.map((m) => m.ReceiptHandle).sort());
    });

    it('still fails with the first error when the messages cannot be released, and says so in the log', async () => {
      cognito.on(CreateUserImportJobCommand).rejects(awsError('InvalidParameterException'));
      // Extending the hold works; giving the messages back (visibility 0) does not.
      sqs
        .on(ChangeMessageVisibilityBatchCommand)
        .callsFake(async (input: { Entries?: { VisibilityTimeout?: number }[] }) => {
          if (input.Entries?.some((entry) => entry.VisibilityTimeout === 0)) throw new Error('AccessDenied');
          return {};
        });
      queueServes([message(USER(1))]);
      const { handler, logs } = setup();
      await expect(handler(wrapped({}, { stateName: 'ImportNewUsers' }))).rejects.toThrow(
        'InvalidParameterException happened',
      );
      expect(logs.entries()).toContainEqual(
        expect.objectContaining({
          level: 'error',
          message:
            'Could not release the received messages; they reappear when their visibility timeout ends',
          messages: 1,
        }),
      );
      expect(sqs).toHaveReceivedCommandTimes(DeleteMessageBatchCommand, 0);
    });

    it('leaves out a user whose sub cannot go into the mapping file', async () => {
      const odd = message(USER(1, { userAttributes: [{ Name: 'sub', Value: 'a,b' }] }));
      queueServes([odd, message(USER(2))]);
      const { handler, uploads, logs } = setup();
      await handler(wrapped({}, { stateName: 'ImportNewUsers' }));
      expect(uploads[0]!.body).toBe(`${HEADER.join(',')}\nuser-2,false,foo 2,true,false\n`);
      expect(logs.entries()).toContainEqual(
        expect.objectContaining({ messageId: odd.MessageId, reason: 'the sub attribute is malformed' }),
      );
    });

    it('deletes nothing when the upload is refused, and a rerun imports each user once', async () => {
      const items = [USER(1), USER(2)];
      queueServes(items.map((item) => message(item)));
      const first = setup();
      first.fetchImpl.mockImplementationOnce(
        async () => new Response('<Code>AccessDenied</Code>', { status: 403 }),
      );
      await expect(first.handler(wrapped({}, { stateName: 'ImportNewUsers' }))).rejects.toThrow(
        'The CSV upload to the pre-signed URL failed with HTTP 403 (AccessDenied)',
      );
      expect(sqs).toHaveReceivedCommandTimes(DeleteMessageBatchCommand, 0);
      expect(releasedReceiptHandles()).toHaveLength(2);

      // The released messages come back (one of them twice, as a standard queue may do).
      sqs.reset();
      sqs.on(DeleteMessageBatchCommand).resolves({});
      const redelivered = [message(items[0]), message(items[1]), message(items[0])];
      queueServes(redelivered);
      const second = setup();
      await expect(second.handler(wrapped({}, { stateName: 'ImportNewUsers' }))).resolves.toEqual({
        result: expect.objectContaining({ ImportJobStatus: 'Pending', QueueEmpty: false }),
      });
      expect(second.uploads[0]!.body).toBe(
        `${HEADER.join(',')}\nuser-1,false,foo 1,true,false\nuser-2,false,foo 2,true,false\n`,
      );
      expect(deletedReceiptHandles().sort()).toEqual(redelivered.map((m) => m.ReceiptHandle).sort());
    });

    // The original swallowed the failure and dropped the ImportJobStatus key.
    it('fails with a clear message when StartUserImportJob fails and the job did not start', async () => {
      cognito.on(StartUserImportJobCommand).rejects(awsError('InvalidParameterException'));
      cognito
        .on(DescribeUserImportJobCommand)
        .resolves({ UserImportJob: { JobId: 'import-job-id', Status: 'Created' } });
      const received = message(USER(1));
      queueServes([received]);
      const failure = (await setup()
        .handler(wrapped({}, { stateName: 'ImportNewUsers' }))
        .catch((e: unknown) => e)) as Error;
      expect(failure).toBeInstanceOf(Error);
      expect(failure.name).toBe('ImportJobStartError');
      expect(failure.message).toBe(
        'Unable to start the user import job "import-job-id" in us-east-2 (InvalidParameterException: InvalidParameterException happened); ' +
          'its status is "Created". The users of this file were not removed from the new users queue. ' +
          "The mapping file (import-job-id-user-mapping.csv) is in the solution's S3 bucket (mapping-bucket)",
      );
      expect(sqs).toHaveReceivedCommandTimes(DeleteMessageBatchCommand, 0);
      expect(releasedReceiptHandles()).toEqual([received.ReceiptHandle]);
    });

    it('retries a throttled start through the limiter', async () => {
      cognito
        .on(StartUserImportJobCommand)
        .rejectsOnce(awsError('TooManyRequestsException'))
        .resolves({ UserImportJob: { Status: 'Pending' } });
      queueServes([message(USER(1))]);
      const { handler, clock } = setup();
      await expect(handler(wrapped({}, { stateName: 'ImportNewUsers' }))).resolves.toEqual({
        result: expect.objectContaining({ ImportJobStatus: 'Pending' }),
      });
      expect(cognito).toHaveReceivedCommandTimes(StartUserImportJobCommand, 2);
      expect(clock.sleeps.length).toBeGreaterThan(0);
    });

    it('counts a start that reached Cognito although the call failed, and fails when nothing can be learned', async () => {
      cognito.on(StartUserImportJobCommand).resolves({});
      cognito.on(DescribeUserImportJobCommand).resolves({ UserImportJob: { Status: 'InProgress' } });
      queueServes([message(USER(1))]);
      await expect(setup().handler(wrapped({}, { stateName: 'ImportNewUsers' }))).resolves.toEqual({
        result: expect.objectContaining({ ImportJobStatus: 'InProgress', ImportJobId: 'import-job-id' }),
      });
      expect(deletedReceiptHandles()).toHaveLength(1);

      sqs.reset();
      sqs.on(ChangeMessageVisibilityBatchCommand).resolves({});
      cognito.on(DescribeUserImportJobCommand).rejects(awsError('InvalidParameterException'));
      queueServes([message(USER(1))]);
      await expect(setup().handler(wrapped({}, { stateName: 'ImportNewUsers' }))).rejects.toThrow(
        /^Unable to start the user import job "import-job-id" in us-east-2 \(Error: the response named no job status\); its status is "unknown"/,
      );
    });

    it('fails when Cognito answers CreateUserImportJob without a job id or URL', async () => {
      cognito.on(CreateUserImportJobCommand).resolves({ UserImportJob: { JobId: 'import-x' } });
      queueServes([message(USER(1))]);
      await expect(setup().handler(wrapped({}, { stateName: 'ImportNewUsers' }))).rejects.toThrow(
        `CreateUserImportJob returned no job ID or pre-signed URL for the new user pool (${POOL_ID})`,
      );
      expect(releasedReceiptHandles()).toHaveLength(1);
    });

    // The original ignored Failed entries of DeleteMessageBatch.
    it('resends failed delete entries', async () => {
      const received = [message(USER(1)), message(USER(2))];
      queueServes(received);
      sqs
        .on(DeleteMessageBatchCommand)
        .callsFakeOnce(async (input: DeleteMessageBatchCommandInput) => ({
          Failed: [{ Id: input.Entries?.[0]?.Id, Code: 'InternalError', SenderFault: false }],
        }))
        .resolves({});
      await expect(setup().handler(wrapped({}, { stateName: 'ImportNewUsers' }))).resolves.toBeDefined();
      expect(sqs).toHaveReceivedCommandTimes(DeleteMessageBatchCommand, 2);
      expect(sqs.commandCalls(DeleteMessageBatchCommand)[1]!.args[0].input.Entries).toHaveLength(1);
    });

    it('keeps the manifest of a started job when its deletes keep failing, so its users are not imported again', async () => {
      queueServes([message(USER(1))]);
      sqs.on(DeleteMessageBatchCommand).callsFake(async (input: DeleteMessageBatchCommandInput) => ({
        Failed: [{ Id: input.Entries?.[0]?.Id, Code: 'InternalError', SenderFault: false }],
      }));
      const { handler, logs } = setup();
      await expect(handler(wrapped({}, { stateName: 'ImportNewUsers' }))).resolves.toEqual({
        result: expect.objectContaining({
          ImportJobId: 'import-job-id',
          ImportJobStatus: 'Pending',
          QueueEmpty: false,
        }),
      });
      const manifest = s3
        .commandCalls(PutObjectCommand)
        .map((call) => call.args[0].input)
        .find((input) => input.Key === `import-manifests/${POOL_ID}/import-job-id.json`);
      expect(JSON.parse(String(manifest?.Body))).toEqual(
        expect.objectContaining({ JobId: 'import-job-id', UserPoolId: POOL_ID, Subs: [subOf(1)] }),
      );
      expect(s3).not.toHaveReceivedCommand(DeleteObjectCommand);
      expect(logs.entries()).toContainEqual(
        expect.objectContaining({ level: 'warn', jobId: 'import-job-id', error: 'BatchFailedError' }),
      );
    });

    // Users the format cannot carry are left out with a reason instead of corrupting the file.
    it('creates the users the CSV cannot carry with AdminCreateUser, records them in the ledger, logs no personal data', async () => {
      const broken = message(
        USER(2, {
          userAttributes: [
            { Name: 'sub', Value: subOf(2) },
            { Name: 'custom:foobar', Value: 'secret\nvalue' },
            { Name: 'phone_number_verified', Value: 'false' },
          ],
        }),
      );
      const nameless = message(USER(3, { pseudoUsername: undefined }));
      const notJson = message('{not json');
      const good = message(USER(1));
      queueServes([good, broken, nameless, notJson]);
      cognito.on(AdminCreateUserCommand).resolves({ User: { Username: 'user-2' } });
      const { handler, uploads, logs } = setup();
      await handler(wrapped({}, { stateName: 'ImportNewUsers' }));
      expect(uploads[0]!.body).toBe(`${HEADER.join(',')}\nuser-1,false,foo 1,true,false\n`);
      expect(uploads[0]!.body).not.toContain('undefined');
      // The value with a line break goes to AdminCreateUser as stored; a flag without its attribute does not.
      expect(cognito.commandCalls(AdminCreateUserCommand).map((call) => call.args[0].input)).toEqual([
        {
          UserPoolId: POOL_ID,
          Username: 'user-2',
          MessageAction: 'SUPPRESS',
          UserAttributes: [{ Name: 'custom:foobar', Value: 'secret\nvalue' }],
        },
      ]);
      const ledger = s3
        .commandCalls(PutObjectCommand)
        .map((call) => call.args[0].input)
        .find((input) => String(input.Key).startsWith(`restore-ledger/${POOL_ID}/`));
      expect(
        String(ledger?.Body)
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as unknown),
      ).toEqual([
        {
          sub: subOf(2),
          username: 'user-2',
          outcome: 'admin-create',
          reason: 'value-not-representable-in-csv',
          // Created without an address "forgot password" could reach: an administrator sets its password.
          signIn: 'administrator',
        },
        { sub: subOf(3), username: '', outcome: 'skipped', reason: 'no-pseudo-username' },
      ]);
      const fallbacks = logs
        .entries()
        .filter((entry) => entry.message === 'User goes to AdminCreateUser instead of the import file');
      expect(fallbacks).toEqual([
        expect.objectContaining({
          sub: subOf(2),
          messageId: broken.MessageId,
          reason: 'the value of custom:foobar contains a line break',
        }),
        expect.objectContaining({ sub: subOf(3), messageId: nameless.MessageId }),
      ]);
      expect(logs.entries().filter((entry) => entry.message === 'User left out of the import file')).toEqual([
        expect.objectContaining({
          messageId: notJson.MessageId,
          reason: 'the message body is not a backup item',
        }),
      ]);
      expect(logs.text()).not.toMatch(/secret|example\.com|user-\d|foo \d/);
      expect(deletedReceiptHandles().sort()).toEqual(
        [good, broken, nameless, notJson].map((m) => m.ReceiptHandle).sort(),
      );
    });

    it('creates a user whose value the import would trim with AdminCreateUser, as stored, and gives it a password nobody knows', async () => {
      // The target pool takes e-mail addresses: the user is created with its verified one.
      cognito.on(GetCSVHeaderCommand).resolves({ CSVHeader: [...HEADER, 'email'], UserPoolId: POOL_ID });
      const padded = message(
        USER(2, {
          userAttributes: [
            { Name: 'sub', Value: subOf(2) },
            { Name: 'custom:foobar', Value: '  padded\t' },
            { Name: 'email', Value: 'user-2@example.com' },
            { Name: 'email_verified', Value: 'true' },
          ],
        }),
      );
      queueServes([message(USER(1)), padded]);
      cognito.on(AdminCreateUserCommand).resolves({ User: { Username: 'user-2' } });
      cognito.on(AdminSetUserPasswordCommand).resolves({});
      const { handler, uploads, logs } = setup();
      await handler(wrapped({}, { stateName: 'ImportNewUsers' }));
      expect(uploads[0]!.body).not.toContain('padded');
      expect(cognito).toHaveReceivedCommandWith(AdminCreateUserCommand, {
        Username: 'user-2',
        MessageAction: 'SUPPRESS',
        UserAttributes: expect.arrayContaining([{ Name: 'custom:foobar', Value: '  padded\t' }]),
      });
      expect(cognito).toHaveReceivedCommandWith(AdminSetUserPasswordCommand, {
        UserPoolId: POOL_ID,
        Username: 'user-2',
        Permanent: true,
      });
      const ledger = s3
        .commandCalls(PutObjectCommand)
        .map((call) => call.args[0].input)
        .find((input) => String(input.Key).startsWith(`restore-ledger/${POOL_ID}/`));
      expect(JSON.parse(String(ledger?.Body).trim())).toEqual({
        sub: subOf(2),
        username: 'user-2',
        outcome: 'admin-create',
        reason: 'value-not-representable-in-csv',
        signIn: 'reset-password',
      });
      expect(logs.text()).not.toContain('padded');
    });

    it('starts no job when every received user is left out, deletes them and reports the queue empty', async () => {
      const broken = message(USER(2, { pseudoUsername: '' }));
      queueServes([broken]);
      await expect(setup().handler(wrapped({}, { stateName: 'ImportNewUsers' }))).resolves.toEqual({
        result: {
          ImportJobStatus: '',
          QueueEmpty: true,
          StateName: 'ImportNewUsers',
          Progress: { Step: 'ImportNewUsers', LastProgressTime: expect.any(Number) },
        },
      });
      expect(cognito).toHaveReceivedCommandTimes(CreateUserImportJobCommand, 0);
      expect(deletedReceiptHandles()).toEqual([broken.ReceiptHandle]);
    });

    it('stops draining while time is left for the job, after at least one receive', async () => {
      const { handler, clock } = setup();
      let receives = 0;
      sqs.on(ReceiveMessageCommand).callsFake(async () => {
        receives += 1;
        return { Messages: [message(USER(receives))] };
      });
      // 200 s left: less than the one-minute rule plus the 180 s kept for the job.
      const result = await handler(
        wrapped({}, { stateName: 'ImportNewUsers' }),
        lambdaContext(clock, 200_000),
      );
      expect(receives).toBe(1);
      expect(result.result).toEqual(
        expect.objectContaining({ ImportJobStatus: 'Pending', QueueEmpty: false }),
      );
      // A 200-second invocation holds for a seventh of its time.
      expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, { VisibilityTimeout: 29 });
    });

    it('carries an array input (after the Parallel state) as the original did', async () => {
      queueServes();
      const result = await setup().handler(
        wrapped([{ AllGroupsProcessed: 'Yes' }, { QueueEmpty: true }], { stateName: 'ImportNewUsers' }),
      );
      expect(result.result).toEqual({
        0: { AllGroupsProcessed: 'Yes' },
        1: { QueueEmpty: true },
        ImportJobStatus: '',
        QueueEmpty: true,
        StateName: 'ImportNewUsers',
        Progress: { Step: 'ImportNewUsers', LastProgressTime: expect.any(Number) },
      });
    });

    it('reads no metric variable (its Lambda has none)', async () => {
      queueServes([message(USER(1))]);
      const { handler, metrics } = setup(NEW_USERS_ENV);
      await handler(wrapped({}, { stateName: 'ImportNewUsers' }));
      expect(metrics).toEqual([]);
    });
  });

  describe('CheckUserImportJob (ImportCheckImportJobLambda)', () => {
    const job = (Status: UserImportJobStatusType) => ({
      UserImportJob: {
        JobId: 'import-job-id',
        Status,
        CreationDate: new Date('2024-01-01T00:00:00Z'),
        StartDate: new Date('2024-01-01T00:01:00Z'),
        CompletionDate: new Date('2024-01-01T00:05:00Z'),
        CompletionMessage: 'done',
        ImportedUsers: 3,
        FailedUsers: 0,
        SkippedUsers: 0,
      },
    });

    it.each([
      ['Pending', 'CheckUserImportJob'],
      ['InProgress', 'Parallel: CheckUserImportJob'],
      ['Succeeded', 'CheckUserImportJob'],
    ] as const)('answers status %s for %s, carrying the input', async (status, stateName) => {
      cognito.on(DescribeUserImportJobCommand).resolves(job(status));
      const input = { ImportJobId: 'import-job-id', ImportJobStatus: 'Pending', QueueEmpty: false };
      await expect(setup(CHECK_ENV).handler(wrapped(input, { stateName }))).resolves.toEqual({
        result: {
          ImportJobId: 'import-job-id',
          ImportJobStatus: status,
          QueueEmpty: false,
          StateName: stateName,
          Progress: { Step: 'ImportNewUsers', LastProgressTime: expect.any(Number) },
        },
      });
      expect(cognito).toHaveReceivedCommandWith(DescribeUserImportJobCommand, {
        UserPoolId: POOL_ID,
        JobId: 'import-job-id',
      });
    });

    it.each(['Failed', 'Stopped', 'Expired', 'Created', 'Stopping'] as const)(
      'fails on status %s with the original text',
      async (status) => {
        cognito
          .on(DescribeUserImportJobCommand)
          .resolves({ UserImportJob: { JobId: 'import-from-describe', Status: status } });
        await expect(
          setup(CHECK_ENV).handler(
            wrapped({ ImportJobId: 'import-job-id' }, { stateName: 'CheckUserImportJob' }),
          ),
        ).rejects.toThrow(
          importJobFailureMessage('import-from-describe', status, 'us-east-2', 'mapping-bucket'),
        );
      },
    );

    it('CheckUserImportJob on a pool the execution created (CreateUserPool) reads its id from the work file', async () => {
      const bucket = new Map([
        [creationKey('restore-1'), JSON.stringify({ UserPoolId: POOL_ID, Done: true })],
      ]);
      serveBucket(s3, bucket);
      cognito.on(DescribeUserImportJobCommand).resolves(job('Succeeded'));
      const event = wrapped({ ImportJobId: 'import-job-id' }, { stateName: 'CheckUserImportJob' });
      event.Context!.Execution.Input = { CreateUserPool: { PoolName: 'restored' } };
      event.Context!.Execution.Name = 'restore-1';
      await setup(CHECK_ENV).handler(event);
      expect(s3).toHaveReceivedCommandWith(GetObjectCommand, {
        Bucket: 'mapping-bucket',
        Key: creationKey('restore-1'),
      });
      expect(cognito).toHaveReceivedCommandWith(DescribeUserImportJobCommand, { UserPoolId: POOL_ID });
    });

    it('fails with the exact text of the original', () => {
      expect(importJobFailureMessage('job-id', 'Failed', 'us-east-2', 'mapping-bucket')).toBe(
        'User import job with ID "job-id" was detected to have a status of "Failed" in us-east-2.\n\nPlease check the CloudWatch logs for this Cognito user import job and use the mapping file (job-id-user-mapping.csv) that has been saved in this the solution\'s S3 bucket (mapping-bucket) to cross-reference the line numbers reported the user import job CloudWatch logs',
      );
    });

    it('sends the import-job-ended metric when the job ended, not while it runs', async () => {
      cognito
        .on(DescribeUserImportJobCommand)
        .resolvesOnce(job('Pending'))
        .resolvesOnce(job('InProgress'))
        .resolvesOnce(job('Failed'))
        .resolves(job('Succeeded'));
      const { handler, metrics } = setup(CHECK_ENV);
      const event = wrapped({ ImportJobId: 'import-job-id' }, { stateName: 'CheckUserImportJob' });
      await handler(event);
      await handler(event);
      expect(metrics).toEqual([]);
      await expect(handler(event)).rejects.toThrow('status of "Failed"');
      await handler(event);
      expect(metrics).toEqual([
        expect.objectContaining({
          Solution: 'SO0126',
          UUID: 'anon-uuid',
          Data: {
            EventType: 'user-import-job-ended',
            EventDetails: {
              JobStatus: 'Failed',
              CreationDate: '2024-01-01T00:00:00.000Z',
              StartDate: '2024-01-01T00:01:00.000Z',
              CompletionDate: '2024-01-01T00:05:00.000Z',
              CompletionMessage: 'done',
              Region: 'us-east-2',
            },
          },
        }),
        expect.objectContaining({
          Data: expect.objectContaining({
            EventDetails: expect.objectContaining({ JobStatus: 'Succeeded' }),
          }),
        }),
      ]);
    });

    it('retries a throttled describe within its 60-second Lambda', async () => {
      cognito
        .on(DescribeUserImportJobCommand)
        .rejectsOnce(awsError('TooManyRequestsException'))
        .resolves(job('InProgress'));
      const { handler, clock } = setup(CHECK_ENV);
      const event = wrapped({ ImportJobId: 'import-job-id' }, { stateName: 'CheckUserImportJob' });
      await expect(handler(event, lambdaContext(clock, 59_800))).resolves.toEqual({
        result: expect.objectContaining({ ImportJobStatus: 'InProgress' }),
      });
      expect(cognito).toHaveReceivedCommandTimes(DescribeUserImportJobCommand, 2);
    });

    it('sends no metric without SEND_METRIC', async () => {
      cognito.on(DescribeUserImportJobCommand).resolves(job('Succeeded'));
      const { handler, metrics } = setup(NEW_USERS_ENV);
      await handler(wrapped({ ImportJobId: 'import-job-id' }, { stateName: 'CheckUserImportJob' }));
      expect(metrics).toEqual([]);
    });

    it('warns when a succeeded job left users out', async () => {
      cognito
        .on(DescribeUserImportJobCommand)
        .resolves({ UserImportJob: { Status: 'Succeeded', FailedUsers: 2, SkippedUsers: 1 } });
      const { handler, logs } = setup(CHECK_ENV);
      await handler(wrapped({ ImportJobId: 'import-job-id' }, { stateName: 'CheckUserImportJob' }));
      expect(logs.entries()).toContainEqual(
        expect.objectContaining({ level: 'warn', failedUsers: 2, skippedUsers: 1 }),
      );
    });

    it('warns of skipped users alone, and not at all for a job that left nobody out', async () => {
      cognito
        .on(DescribeUserImportJobCommand)
        .resolves({ UserImportJob: { Status: 'Succeeded', SkippedUsers: 3 } });
      const { handler, logs } = setup(CHECK_ENV);
      await handler(wrapped({ ImportJobId: 'import-job-id' }, { stateName: 'CheckUserImportJob' }));
      expect(logs.entries()).toContainEqual(expect.objectContaining({ level: 'warn', skippedUsers: 3 }));
      cognito.on(DescribeUserImportJobCommand).resolves({ UserImportJob: { Status: 'Succeeded' } });
      const quiet = setup(CHECK_ENV);
      await quiet.handler(wrapped({ ImportJobId: 'import-job-id' }, { stateName: 'CheckUserImportJob' }));
      expect(quiet.logs.entries().filter((entry) => entry.level === 'warn')).toEqual([]);
    });

    it('fails a job that ended Failed, naming the job asked for when the answer names none', async () => {
      cognito.on(DescribeUserImportJobCommand).resolves({ UserImportJob: { Status: 'Failed' } });
      const { handler } = setup(CHECK_ENV);
      await expect(
        handler(wrapped({ ImportJobId: 'import-job-id' }, { stateName: 'CheckUserImportJob' })),
      ).rejects.toThrow('User import job with ID "import-job-id" was detected to have a status of "Failed"');
    });

    it('fails clearly without a job id or a described job', async () => {
      const { handler } = setup(CHECK_ENV);
      await expect(handler(wrapped({}, { stateName: 'CheckUserImportJob' }))).rejects.toThrow(
        'Unable to check the user import job: the state input has no ImportJobId',
      );
      cognito.on(DescribeUserImportJobCommand).resolves({});
      await expect(
        handler(wrapped({ ImportJobId: 'import-x' }, { stateName: 'CheckUserImportJob' })),
      ).rejects.toThrow('DescribeUserImportJob returned no status for the user import job "import-x"');
    });
  });
});

describe('import-users: crashes, lost results and throttling (ImportNewUsers)', () => {
  /** The solution's bucket, in memory: what ImportNewUsers writes and reads there. */
  function bucket() {
    const objects = new Map<string, string>();
    s3.on(PutObjectCommand).callsFake(async (input: { Key?: string; Body?: unknown }) => {
      objects.set(input.Key ?? '', Buffer.isBuffer(input.Body) ? input.Body.toString() : String(input.Body));
      return {};
    });
    s3.on(GetObjectCommand).callsFake(async (input: { Key?: string }) => {
      const text = objects.get(input.Key ?? '') ?? '';
      return { Body: { transformToString: async () => text } };
    });
    s3.on(DeleteObjectCommand).callsFake(async (input: { Key?: string }) => {
      objects.delete(input.Key ?? '');
      return {};
    });
    s3.on(ListObjectsV2Command).callsFake(async (input: { Prefix?: string }) => ({
      Contents: [...objects.keys()]
        .filter((key) => key.startsWith(input.Prefix ?? ''))
        .map((Key) => ({ Key })),
    }));
    return objects;
  }

  /** Cognito's import jobs in the pool, as this test moves them along, listed in pages of MaxResults. */
  function jobsInPool() {
    const jobs: { JobId: string; JobName: string; Status: string }[] = [];
    let created = 0;
    cognito
      .on(ListUserImportJobsCommand)
      .callsFake(async (input: { MaxResults?: number; PaginationToken?: string }) => {
        const start = Number(input.PaginationToken ?? '0');
        const end = start + (input.MaxResults ?? 60);
        return {
          UserImportJobs: jobs.slice(start, end).map((job) => ({ ...job })),
          ...(end < jobs.length ? { PaginationToken: String(end) } : {}),
        };
      });
    cognito.on(CreateUserImportJobCommand).callsFake(async () => {
      created += 1;
      const job = { JobId: `import-job-${created}`, JobName: IMPORT_JOB_NAME, Status: 'Created' };
      jobs.push(job);
      return { UserImportJob: { ...job, PreSignedUrl: PRESIGNED } };
    });
    cognito.on(StartUserImportJobCommand).callsFake(async (input: { JobId?: string }) => {
      const job = jobs.find((candidate) => candidate.JobId === input.JobId);
      if (job) job.Status = 'Pending';
      return { UserImportJob: { JobId: input.JobId, Status: 'Pending' } };
    });
    cognito.on(DescribeUserImportJobCommand).callsFake(async (input: { JobId?: string }) => ({
      UserImportJob: jobs.find((job) => job.JobId === input.JobId),
    }));
    return jobs;
  }

  /** The manifest an earlier invocation of `execution` wrote for `jobId` (its file held user 1). */
  function leaveManifest(
    objects: Map<string, string>,
    jobId: string,
    writtenAt: number,
    execution = 'run-1',
  ) {
    objects.set(
      `import-manifests/${POOL_ID}/${jobId}.json`,
      JSON.stringify({
        JobId: jobId,
        UserPoolId: POOL_ID,
        Execution: execution,
        WrittenAt: writtenAt,
        Subs: [subOf(1)],
      }),
    );
  }

  const csvUsers = (body: string) => body.split('\n').slice(1).filter(Boolean).length;

  beforeEach(() => {
    cognito.reset();
    sqs.reset();
    s3.reset();
    cognito.on(GetCSVHeaderCommand).resolves({ CSVHeader: HEADER, UserPoolId: POOL_ID });
    cognito
      .on(DescribeUserPoolCommand)
      .resolves({ UserPool: { ...TARGET_POOL, AutoVerifiedAttributes: [] } });
  });

  it("ImportNewUsers after a crash after receive: waits for the dead invocation's messages and imports every user once", async () => {
    const { handler, clock, uploads } = setup();
    const queue = new FakeQueue(clock, NEW_USERS_QUEUE_URL).serve(sqs);
    bucket();
    const jobs = jobsInPool();
    const ids = Array.from({ length: 30 }, (_, i) => queue.send(USER(i + 1)));
    // The crashed invocation received 20 users (a two-minute hold) and died before releasing them.
    const crashed = [...queue.receive(10, 120), ...queue.receive(10, 120)].map((m) => m.MessageId ?? '');

    const started = clock.now();
    const first = await handler(wrapped({}, { stateName: 'ImportNewUsers' }), lambdaContext(clock, 900_000));
    // The queue is not drained while 20 users are in flight elsewhere: it long-polls until they are back.
    expect(first.result).toEqual(expect.objectContaining({ ImportJobStatus: 'Pending', QueueEmpty: false }));
    jobs[0]!.Status = 'Succeeded';
    const second = await handler(
      wrapped(first.result, { stateName: 'ImportNewUsers' }),
      lambdaContext(clock, 900_000),
    );
    expect(second.result).toEqual(expect.objectContaining({ ImportJobStatus: '', QueueEmpty: true }));

    expect(uploads.map((upload) => csvUsers(upload.body))).toEqual([30]);
    expect(queue.size).toBe(0);
    expect(ids.every((id) => queue.receivesOf(id) === (crashed.includes(id) ? 2 : 1))).toBe(true);
    // The crashed invocation's messages were back, and taken, within their two-minute hold (plus one poll).
    for (const id of crashed) expect(queue.lastReceivedAt(id)! - started).toBeLessThanOrEqual(140_000);
  });

  it('ImportNewUsers after a crash after the job started: no second job, the running job waited for, its users not imported twice', async () => {
    const { handler, clock, uploads } = setup();
    const queue = new FakeQueue(clock, NEW_USERS_QUEUE_URL).serve(sqs);
    const objects = bucket();
    const jobs = jobsInPool();
    for (let n = 1; n <= 12; n += 1) queue.send(USER(n));

    // The first invocation starts the job, then dies before its deletes reach SQS: its result is lost.
    sqs.on(DeleteMessageBatchCommand, { QueueUrl: NEW_USERS_QUEUE_URL }).rejects(new Error('Lambda died'));
    await handler(wrapped({}, { stateName: 'ImportNewUsers' }), lambdaContext(clock, 900_000));
    expect(jobs).toEqual([expect.objectContaining({ Status: 'Pending' })]);
    expect([...objects.keys()]).toContain(`import-manifests/${POOL_ID}/import-job-1.json`);
    expect(queue.depth()).toEqual({ visible: 0, inFlight: 12, delayed: 0 });
    queue.serve(sqs);
    jobs[0]!.Status = 'InProgress';

    // Step Functions retries the task: the running job is found and handed to the wait loop.
    const retried = await handler(
      wrapped({}, { stateName: 'ImportNewUsers' }),
      lambdaContext(clock, 900_000),
    );
    expect(retried.result).toEqual(
      expect.objectContaining({
        ImportJobId: 'import-job-1',
        ImportJobStatus: 'InProgress',
        QueueEmpty: false,
      }),
    );
    expect(cognito).toHaveReceivedCommandTimes(CreateUserImportJobCommand, 1);

    // The job succeeds; the messages come back: they are deleted, not imported again.
    jobs[0]!.Status = 'Succeeded';
    clock.advance(130_000);
    const after = await handler(
      wrapped(retried.result, { stateName: 'ImportNewUsers' }),
      lambdaContext(clock, 900_000),
    );
    expect(after.result).toEqual(expect.objectContaining({ ImportJobStatus: '', QueueEmpty: true }));
    expect(cognito).toHaveReceivedCommandTimes(CreateUserImportJobCommand, 1);
    expect(uploads).toHaveLength(1);
    expect(csvUsers(uploads[0]!.body)).toBe(12);
    expect(queue.size).toBe(0);
    // Drained: nothing can come back, the manifest goes.
    expect([...objects.keys()].filter((key) => key.startsWith('import-manifests/'))).toEqual([]);
  });

  it.each(['Pending', 'InProgress'])(
    'ImportNewUsers never reports the queue drained nor starts a job while a job of this solution is %s (result lost after the work)',
    async (status) => {
      const { handler, clock } = setup();
      new FakeQueue(clock, NEW_USERS_QUEUE_URL).serve(sqs).send(USER(1));
      bucket();
      const jobs = jobsInPool();
      jobs.push({ JobId: 'import-job-9', JobName: IMPORT_JOB_NAME, Status: status });
      jobs.push({ JobId: 'import-other', JobName: 'someone else', Status: 'InProgress' });
      const output = await handler(
        wrapped({}, { stateName: 'ImportNewUsers' }),
        lambdaContext(clock, 900_000),
      );
      expect(output.result).toEqual(
        expect.objectContaining({
          ImportJobId: 'import-job-9',
          ImportJobStatus: status,
          QueueEmpty: false,
        }),
      );
      expect(sqs).not.toHaveReceivedCommand(ReceiveMessageCommand);
      expect(cognito).not.toHaveReceivedCommand(CreateUserImportJobCommand);
    },
  );

  it('ImportNewUsers finds a running job of this solution beyond the first page of import jobs (a pool restored many times)', async () => {
    const { handler, clock } = setup();
    new FakeQueue(clock, NEW_USERS_QUEUE_URL).serve(sqs).send(USER(1));
    bucket();
    const jobs = jobsInPool();
    for (let n = 1; n <= 65; n += 1) {
      jobs.push({ JobId: `import-job-old-${n}`, JobName: IMPORT_JOB_NAME, Status: 'Succeeded' });
    }
    jobs.push({ JobId: 'import-job-66', JobName: IMPORT_JOB_NAME, Status: 'InProgress' });
    const output = await handler(wrapped({}, { stateName: 'ImportNewUsers' }), lambdaContext(clock, 900_000));
    expect(output.result).toEqual(
      expect.objectContaining({
        ImportJobId: 'import-job-66',
        ImportJobStatus: 'InProgress',
        QueueEmpty: false,
      }),
    );
    expect(cognito).not.toHaveReceivedCommand(CreateUserImportJobCommand);
  });

  it('ImportNewUsers starts no job once the holds of its messages may have ended, even inside the start window', async () => {
    const { handler, clock } = setup();
    const queue = new FakeQueue(clock, NEW_USERS_QUEUE_URL).serve(sqs);
    const objects = bucket();
    jobsInPool();
    for (let n = 1; n <= 3; n += 1) queue.send(USER(n));
    // A short Lambda holds its messages for 20 s, less than the 30-s start window after the manifest.
    // Writing the manifest takes 25 s: the messages may be visible to another consumer by the start.
    s3.on(PutObjectCommand, { Key: `import-manifests/${POOL_ID}/import-job-1.json` }).callsFake(
      async (input: { Key?: string; Body?: unknown }) => {
        clock.advance(25_000);
        objects.set(input.Key ?? '', String(input.Body));
        return {};
      },
    );
    await expect(
      handler(wrapped({}, { stateName: 'ImportNewUsers' }), lambdaContext(clock, 140_000)),
    ).rejects.toThrow('was not started: preparing it took longer than its start window');
    expect(cognito).not.toHaveReceivedCommand(StartUserImportJobCommand);
    expect(queue.size).toBe(3);
  });

  it('ImportNewUsers waits for a just-written manifest whose job is Created, then imports its users when it was abandoned', async () => {
    const { handler, clock, uploads } = setup();
    const queue = new FakeQueue(clock, NEW_USERS_QUEUE_URL).serve(sqs);
    const objects = bucket();
    const jobs = jobsInPool();
    jobs.push({ JobId: 'import-job-0', JobName: IMPORT_JOB_NAME, Status: 'Created' });
    leaveManifest(objects, 'import-job-0', clock.now() - 30_000);
    queue.send(USER(1));
    const output = await handler(wrapped({}, { stateName: 'ImportNewUsers' }), lambdaContext(clock, 900_000));
    expect(output.result).toEqual(
      expect.objectContaining({ ImportJobStatus: 'Pending', ImportJobId: 'import-job-1' }),
    );
    expect(csvUsers(uploads[0]!.body)).toBe(1);
    // It polled the Created job until its start window had surely passed, with 10-second waits.
    expect(cognito).toHaveReceivedCommandWith(DescribeUserImportJobCommand, { JobId: 'import-job-0' });
    expect(clock.sleeps.filter((ms) => ms === 10_000).length).toBeGreaterThanOrEqual(9);
    expect(objects.has(`import-manifests/${POOL_ID}/import-job-0.json`)).toBe(false);
  });

  it('ImportNewUsers hands back a continuation, receiving nothing, when the import jobs cannot be listed for throttling', async () => {
    const { handler, clock, logs } = setup();
    const queue = new FakeQueue(clock, NEW_USERS_QUEUE_URL).serve(sqs);
    bucket();
    queue.send(USER(1));
    cognito.on(ListUserImportJobsCommand).rejects(awsError('TooManyRequestsException'));
    const output = await handler(wrapped({}, { stateName: 'ImportNewUsers' }), lambdaContext(clock, 900_000));
    expect(output.result).toEqual(expect.objectContaining({ ImportJobStatus: '', QueueEmpty: false }));
    expect(sqs).not.toHaveReceivedCommand(ReceiveMessageCommand);
    expect(queue.depth()).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'Could not list the import jobs of the new user pool yet; trying again later',
        error: 'TooManyRequestsException',
      }),
    );
  });

  it('ImportNewUsers fails with the failed-job message when a manifest names a job of this solution that failed', async () => {
    const { handler, clock } = setup();
    const queue = new FakeQueue(clock, NEW_USERS_QUEUE_URL).serve(sqs);
    const objects = bucket();
    const jobs = jobsInPool();
    jobs.push({ JobId: 'import-job-0', JobName: IMPORT_JOB_NAME, Status: 'Failed' });
    leaveManifest(objects, 'import-job-0', clock.now());
    queue.send(USER(1));
    await expect(
      handler(wrapped({}, { stateName: 'ImportNewUsers' }), lambdaContext(clock, 900_000)),
    ).rejects.toThrow('User import job with ID "import-job-0" was detected to have a status of "Failed"');
    expect(cognito).not.toHaveReceivedCommand(CreateUserImportJobCommand);
  });

  it("ImportNewUsers deletes an earlier execution's manifest, even of a failed job, and imports its users", async () => {
    const { handler, clock, uploads } = setup();
    const queue = new FakeQueue(clock, NEW_USERS_QUEUE_URL).serve(sqs);
    const objects = bucket();
    const jobs = jobsInPool();
    jobs.push({ JobId: 'import-job-0', JobName: IMPORT_JOB_NAME, Status: 'Failed' });
    leaveManifest(objects, 'import-job-0', clock.now(), 'an-earlier-run');
    queue.send(USER(1));
    const output = await handler(wrapped({}, { stateName: 'ImportNewUsers' }), lambdaContext(clock, 900_000));
    expect(output.result).toEqual(expect.objectContaining({ ImportJobStatus: 'Pending' }));
    expect(csvUsers(uploads[0]!.body)).toBe(1);
    expect(objects.has(`import-manifests/${POOL_ID}/import-job-0.json`)).toBe(false);
  });

  it('ImportNewUsers gives the file back when GetCSVHeader runs out of retries on throttling, then fails only after 15 minutes without progress', async () => {
    const { handler, clock } = setup();
    const queue = new FakeQueue(clock, NEW_USERS_QUEUE_URL).serve(sqs);
    bucket();
    jobsInPool();
    queue.send(USER(1));
    cognito.on(GetCSVHeaderCommand).rejects(awsError('TooManyRequestsException'));
    const first = await handler(wrapped({}, { stateName: 'ImportNewUsers' }), lambdaContext(clock, 900_000));
    expect(first.result).toEqual(expect.objectContaining({ ImportJobStatus: '', QueueEmpty: false }));
    expect(queue.depth()).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    expect(queue.visibilityChanges.at(-1)).toEqual(expect.objectContaining({ seconds: 0 }));

    clock.advance(16 * 60_000);
    const error = await handler(
      wrapped(first.result, { stateName: 'ImportNewUsers' }),
      lambdaContext(clock, 900_000),
    ).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.name).toBe('NoProgressError');
    expect(error?.message).toMatch(
      /^ImportNewUsers made no progress for (1[6-9]|2\d) minutes \(the limit is 15 minutes/,
    );
    expect(error?.message).toContain(`{"NewUserPoolId": "${POOL_ID}", "Resume": true}`);
    expect(queue.depth()).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
  });

  it('CheckUserImportJob counts a running job as progress of the ImportNewUsers step', async () => {
    const { handler, clock } = setup(CHECK_ENV);
    cognito
      .on(DescribeUserImportJobCommand)
      .resolves({ UserImportJob: { JobId: 'import-job-1', Status: 'InProgress' } });
    const stale = { Step: 'ImportNewUsers', LastProgressTime: clock.now() - 3_600_000 };
    const output = await handler(
      wrapped({ ImportJobId: 'import-job-1', Progress: stale }, { stateName: 'CheckUserImportJob' }),
    );
    expect(output.result.Progress).toEqual({ Step: 'ImportNewUsers', LastProgressTime: clock.now() });
  });
});
