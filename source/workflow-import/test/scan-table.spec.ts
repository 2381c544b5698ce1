// SPDX-License-Identifier: Apache-2.0
import {
  CognitoIdentityProviderClient,
  CognitoIdentityProviderServiceException,
  CreateGroupCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { hashKeyObject, keyedKeyOf } from '../lib/pool-index';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs } from '../../test-support/capture-logs';
import { fakeClock } from '../../test-support/fake-clock';
import { lambdaContext } from '../../test-support/lambda-context';
import { fakeRuntime } from '../../test-support/runtime';
import { buildTableExport, serveExportBucket } from '../../test-support/table-export';
import { sqsBatches } from '../../utils/batch';
import { createHandler, ENVIRONMENT } from '../scan-table';
import {
  BACKUP_READER_ENV_VALUES,
  groupItem,
  membershipItem,
  NEW_USERS_QUEUE_URL,
  POOL_ID,
  timestampItem,
  UPDATES_QUEUE_URL,
  userItem,
  wrapped,
} from './support';

const ddb = mockAws(DynamoDBDocumentClient);
const sqs = mockAws(SQSClient);
const cognito = mockAws(CognitoIdentityProviderClient);
const s3 = mockAws(S3Client);

const ENV = BACKUP_READER_ENV_VALUES;

function setup(env: Record<string, string | undefined> = ENV) {
  const clock = fakeClock();
  const logs = captureLogs();
  return { clock, logs, handler: createHandler(fakeRuntime(clock, env, { write: logs.write })) };
}

function sentBodies(queueUrl: string): unknown[] {
  return sqs
    .commandCalls(SendMessageBatchCommand)
    .map((call) => call.args[0].input as SendMessageBatchCommandInput)
    .filter((input) => input.QueueUrl === queueUrl)
    .flatMap((input) => (input.Entries ?? []).map((entry) => JSON.parse(entry.MessageBody ?? '') as unknown));
}

function awsError(name: string) {
  return new CognitoIdentityProviderServiceException({
    name,
    $fault: 'client',
    message: name,
    $metadata: {},
  });
}

describe('scan-table', () => {
  beforeEach(() => {
    ddb.reset();
    sqs.reset();
    cognito.reset();
    s3.reset();
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    cognito.on(CreateGroupCommand).resolves({});
  });

  it('declares the variables it reads', () => {
    expect(Object.keys(ENVIRONMENT).sort()).toEqual(Object.keys(ENV).sort());
  });

  it('on Resume, queues no user already in the new pool, but queues their updates again', async () => {
    const prefix = `restore-work/${POOL_ID}/run-1/resume-users/`;
    const secret = Buffer.alloc(32, 7);
    const chunks: Record<string, string> = {
      [hashKeyObject(prefix)]: secret.toString('base64'),
      [`${prefix}000000.json`]: JSON.stringify([
        ['user1@example.com', 'new-1', true, keyedKeyOf(secret, 'user1@example.com')],
      ]),
      // A pool that signs in with e-mail: found by the e-mail's hash, whatever its Username.
      [`${prefix}000001.json`]: JSON.stringify([
        ['c0ffee', 'new-2', true, keyedKeyOf(secret, 'user2@example.com')],
      ]),
    };
    s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
      Contents: Object.keys(chunks)
        .filter((key) => key.startsWith(input.Prefix))
        .map((Key) => ({ Key })),
    }));
    s3.on(GetObjectCommand).callsFake(
      (input: { Key: string }) =>
        ({
          Body: { transformToString: async () => chunks[input.Key] ?? '' },
        }) as unknown as GetObjectCommandOutput,
    );
    const disabled = userItem(2, { userEnabled: false });
    ddb
      .on(ScanCommand)
      .resolves({ Items: [userItem(1), disabled, userItem(3), membershipItem('admins', 1)] });
    const event = wrapped({});
    event.Context!.Execution.Input = { NewUserPoolId: POOL_ID, Resume: true };
    await expect(setup().handler(event)).resolves.toEqual({ result: { AllGroupsProcessed: 'Yes' } });
    expect(sentBodies(NEW_USERS_QUEUE_URL)).toEqual([userItem(3)]);
    expect(sentBodies(UPDATES_QUEUE_URL)).toEqual([disabled, membershipItem('admins', 1)]);
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, { Bucket: 'mapping-bucket', Prefix: prefix });
  });

  it('reads no listing of the new pool without Resume', async () => {
    ddb.on(ScanCommand).resolves({ Items: [userItem(1)] });
    await setup().handler(wrapped({}));
    expect(sentBodies(NEW_USERS_QUEUE_URL)).toEqual([userItem(1)]);
    expect(s3).not.toHaveReceivedCommand(ListObjectsV2Command);
  });

  it('answers Yes for an empty table (no context)', async () => {
    ddb.on(ScanCommand).resolves({});
    await expect(setup().handler(wrapped({}))).resolves.toEqual({ result: { AllGroupsProcessed: 'Yes' } });
    expect(ddb).toHaveReceivedCommandWith(ScanCommand, { TableName: 'backup-table' });
  });

  it('answers No with the key when the time budget is spent', async () => {
    ddb.on(ScanCommand).resolves({ LastEvaluatedKey: { id: 'another-key', type: 't' } });
    const { handler, clock } = setup();
    await expect(handler(wrapped({}), lambdaContext(clock, 1))).resolves.toEqual({
      result: { AllGroupsProcessed: 'No', LastEvaluatedKey: { id: 'another-key', type: 't' } },
    });
    expect(ddb).toHaveReceivedCommandTimes(ScanCommand, 1);
  });

  it('resumes from the LastEvaluatedKey of its input and reads pages until the end', async () => {
    ddb
      .on(ScanCommand)
      .resolvesOnce({ Items: [userItem(1)], LastEvaluatedKey: { id: 'k2', type: 't' } })
      .resolvesOnce({ Items: [userItem(2)] });
    const { handler, clock } = setup();
    await expect(
      handler(wrapped({ LastEvaluatedKey: { id: 'k1', type: 't' } }), lambdaContext(clock, 300_000)),
    ).resolves.toEqual({
      result: { AllGroupsProcessed: 'Yes' },
    });
    expect(ddb).toHaveReceivedNthCommandWith(1, ScanCommand, {
      ExclusiveStartKey: { id: 'k1', type: 't' },
      Limit: 200,
    });
    expect(ddb).toHaveReceivedNthCommandWith(2, ScanCommand, { ExclusiveStartKey: { id: 'k2', type: 't' } });
    expect(sentBodies(NEW_USERS_QUEUE_URL)).toEqual([userItem(1), userItem(2)]);
  });

  it('stops between pages when the budget runs out during a page', async () => {
    const { handler, clock } = setup();
    ddb
      .on(ScanCommand)
      .resolvesOnce({ Items: [userItem(1)], LastEvaluatedKey: { id: 'k2', type: 't' } })
      .resolvesOnce({ Items: [userItem(2)], LastEvaluatedKey: { id: 'k3', type: 't' } });
    sqs.on(SendMessageBatchCommand).callsFake(async () => {
      clock.advance(10_000);
      return {};
    });
    await expect(handler(wrapped({}), lambdaContext(clock, 65_000))).resolves.toEqual({
      result: { AllGroupsProcessed: 'No', LastEvaluatedKey: { id: 'k2', type: 't' } },
    });
    expect(sentBodies(NEW_USERS_QUEUE_URL)).toEqual([userItem(1)]);
  });

  it("AsOf: reads the execution's point-in-time export instead of the table, and resumes at its cursor", async () => {
    const items = [
      groupItem('admins'),
      ...Array.from({ length: 250 }, (_, n) => userItem(n)),
      timestampItem(),
    ];
    const built = buildTableExport([items.slice(0, 100), null, items.slice(100)], {
      prefix: 'point-in-time-exports/run-1/',
    });
    serveExportBucket(s3, built.objects);
    const { handler, clock } = setup();
    sqs.on(SendMessageBatchCommand).callsFake(async () => {
      clock.advance(2_000);
      return {};
    });
    const event = (input: Record<string, unknown>) => {
      const wrappedEvent = wrapped(input);
      wrappedEvent.Context!.Execution.Input = { NewUserPoolId: POOL_ID, AsOf: '2026-12-01T09:30:00Z' };
      return wrappedEvent;
    };
    const first = await handler(event({}), lambdaContext(clock, 62_000));
    expect(first).toEqual({ result: { AllGroupsProcessed: 'No', ExportCursor: { File: 2, Line: 100 } } });
    const ExportCursor = (first.result as { ExportCursor: unknown }).ExportCursor;
    await expect(handler(event({ ExportCursor }), lambdaContext(clock, 300_000))).resolves.toEqual({
      result: { AllGroupsProcessed: 'Yes' },
    });
    expect(ddb).not.toHaveReceivedCommand(ScanCommand);
    expect(sentBodies(NEW_USERS_QUEUE_URL)).toEqual(items.slice(1, -1));
    expect(cognito).toHaveReceivedCommandTimes(CreateGroupCommand, 1);
  });

  // Line counts the lines of the file already read: a retried invocation starts from its input's cursor.
  it.each([
    ['inside the first file', { File: 0, Line: 37 }, 37],
    ['before the last line of a file', { File: 0, Line: 59 }, 59],
    ['at the end of a file', { File: 0, Line: 60 }, 60],
    ['after an empty file', { File: 2, Line: 0 }, 60],
    ['inside the last file', { File: 2, Line: 1 }, 61],
  ])(
    'AsOf: resumes from a cursor %s without skipping or repeating a line',
    async (_where, ExportCursor, alreadyRead) => {
      const users = Array.from({ length: 100 }, (_, n) => userItem(n));
      serveExportBucket(s3, buildTableExport([users.slice(0, 60), null, users.slice(60)]).objects);
      const event = wrapped({ ExportCursor });
      event.Context!.Execution.Input = { NewUserPoolId: POOL_ID, AsOf: '2026-12-01T09:30:00Z' };
      const { handler, clock } = setup();
      await expect(handler(event, lambdaContext(clock, 300_000))).resolves.toEqual({
        result: { AllGroupsProcessed: 'Yes' },
      });
      expect(sentBodies(NEW_USERS_QUEUE_URL)).toEqual(users.slice(alreadyRead));
    },
  );

  it('Snapshot: refuses an unknown snapshot before any write', async () => {
    serveExportBucket(s3, new Map());
    const event = wrapped({});
    event.Context!.Execution.Input = { NewUserPoolId: POOL_ID, Snapshot: '20261207T223000Z' };
    await expect(setup().handler(event)).rejects.toThrow(
      'The snapshot 20261207T223000Z has no complete export under s3://snapshot-bucket/snapshots/20261207T223000Z/',
    );
    expect(sqs).not.toHaveReceivedCommand(SendMessageBatchCommand);
    expect(cognito).not.toHaveReceivedCommand(CreateGroupCommand);
  });

  it('ignores the timestamp item', async () => {
    ddb.on(ScanCommand).resolves({ Items: [timestampItem()] });
    await expect(setup().handler(wrapped({}))).resolves.toEqual({ result: { AllGroupsProcessed: 'Yes' } });
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
    expect(cognito).toHaveReceivedCommandTimes(CreateGroupCommand, 0);
  });

  it('creates groups with precedence only when it is 0 or more', async () => {
    ddb.on(ScanCommand).resolves({
      Items: [
        groupItem('admins', { groupDescription: 'Admins', groupPrecedence: 0 }),
        groupItem('readers', { groupPrecedence: -1 }),
      ],
    });
    await expect(setup().handler(wrapped({}))).resolves.toEqual({ result: { AllGroupsProcessed: 'Yes' } });
    expect(cognito).toHaveReceivedCommandWith(CreateGroupCommand, {
      UserPoolId: POOL_ID,
      GroupName: 'admins',
      Description: 'Admins',
      Precedence: 0,
    });
    const readers = cognito
      .commandCalls(CreateGroupCommand)
      .find((call) => call.args[0].input.GroupName === 'readers');
    expect(readers?.args[0].input).toEqual({ UserPoolId: POOL_ID, GroupName: 'readers', Description: '' });
  });

  it('queues a disabled user to both queues and a membership to the updates queue', async () => {
    const disabled = userItem(1, { userEnabled: false });
    const enabled = userItem(2);
    const membership = membershipItem('admins', 2);
    ddb.on(ScanCommand).resolves({ Items: [disabled, enabled, membership] });
    await expect(setup().handler(wrapped({}))).resolves.toEqual({ result: { AllGroupsProcessed: 'Yes' } });
    expect(sentBodies(NEW_USERS_QUEUE_URL)).toEqual([disabled, enabled]);
    expect(sentBodies(UPDATES_QUEUE_URL)).toEqual([disabled, membership]);
  });

  it('sends in batches of 10 with unique entry ids', async () => {
    ddb.on(ScanCommand).resolves({ Items: Array.from({ length: 23 }, (_, i) => userItem(i)) });
    await setup().handler(wrapped({}));
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.Entries ?? []);
    expect(calls.map((entries) => entries.length).sort()).toEqual([10, 10, 3]);
    const ids = calls.flat().map((entry) => entry.Id);
    expect(new Set(ids).size).toBe(23);
  });

  it('keeps each SendMessageBatch under the 256 KiB request limit', async () => {
    const big = (n: number) =>
      userItem(n, {
        userAttributes: [
          { Name: 'sub', Value: `s${n}` },
          { Name: 'custom:blob', Value: 'x'.repeat(60_000) },
        ],
      });
    ddb.on(ScanCommand).resolves({ Items: Array.from({ length: 9 }, (_, i) => big(i)) });
    await setup().handler(wrapped({}));
    const sizes = sqs
      .commandCalls(SendMessageBatchCommand)
      .map((call) =>
        (call.args[0].input.Entries ?? []).reduce(
          (sum, entry) => sum + Buffer.byteLength(entry.MessageBody ?? ''),
          0,
        ),
      );
    expect(sizes.length).toBe(3);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(262_144);
    expect(sentBodies(NEW_USERS_QUEUE_URL)).toHaveLength(9);
  });

  it('sends a body larger than the limit on its own', () => {
    expect(sqsBatches(['a'.repeat(10), 'b'.repeat(30), 'c', 'd'], 20).map((batch) => batch.length)).toEqual([
      1, 1, 2,
    ]);
  });

  // The original failed on a rerun.
  it('treats GroupExistsException as success, so a rerun of a page passes', async () => {
    ddb.on(ScanCommand).resolves({ Items: [groupItem('admins')] });
    cognito.on(CreateGroupCommand).rejects(awsError('GroupExistsException'));
    const { handler, logs } = setup();
    await expect(handler(wrapped({}))).resolves.toEqual({ result: { AllGroupsProcessed: 'Yes' } });
    expect(logs.entries().at(-1)).toEqual(expect.objectContaining({ existed: 1, created: 0 }));
  });

  it('finishes a page started at the one-minute mark although its CreateGroup is throttled', async () => {
    ddb.on(ScanCommand).resolves({ Items: [groupItem('admins')] });
    cognito.on(CreateGroupCommand).rejectsOnce(awsError('TooManyRequestsException')).resolves({});
    const { handler, clock } = setup();
    await expect(handler(wrapped({}), lambdaContext(clock, 60_100))).resolves.toEqual({
      result: { AllGroupsProcessed: 'Yes' },
    });
    expect(cognito).toHaveReceivedCommandTimes(CreateGroupCommand, 2);
  });

  it("restores a group's IAM role (groupRoleArn) with CreateGroup", async () => {
    const role = 'arn:aws:iam::111122223333:role/readers';
    ddb
      .on(ScanCommand)
      .resolves({ Items: [groupItem('readers', { groupRoleArn: role }), groupItem('plain')] });
    await setup().handler(wrapped({}));
    const inputs = cognito.commandCalls(CreateGroupCommand).map((call) => call.args[0].input);
    expect(inputs.find((input) => input.GroupName === 'readers')).toEqual(
      expect.objectContaining({ RoleArn: role }),
    );
    expect(inputs.find((input) => input.GroupName === 'plain')).not.toHaveProperty('RoleArn');
  });

  it.each(['InvalidParameterException', 'AccessDeniedException'])(
    'creates the group without a role Cognito refuses (%s), and says so in the log',
    async (refusal) => {
      const role = 'arn:aws:iam::111122223333:role/deleted';
      ddb.on(ScanCommand).resolves({ Items: [groupItem('readers', { groupRoleArn: role })] });
      cognito.on(CreateGroupCommand).callsFake(async (input: { RoleArn?: string }) => {
        if (input.RoleArn !== undefined) throw awsError(refusal);
        return {};
      });
      const { handler, logs } = setup();
      await expect(handler(wrapped({}))).resolves.toEqual({ result: { AllGroupsProcessed: 'Yes' } });
      const inputs = cognito.commandCalls(CreateGroupCommand).map((call) => call.args[0].input);
      expect(inputs).toHaveLength(2);
      expect(inputs[1]).not.toHaveProperty('RoleArn');
      expect(logs.entries()).toContainEqual(
        expect.objectContaining({ level: 'warn', groupName: 'readers', roleArn: role, error: refusal }),
      );
      expect(logs.entries().at(-1)).toEqual(expect.objectContaining({ createdWithoutRole: 1, created: 0 }));
    },
  );

  it('fails on any other CreateGroup error', async () => {
    ddb.on(ScanCommand).resolves({ Items: [groupItem('admins')] });
    cognito.on(CreateGroupCommand).rejects(awsError('InvalidParameterException'));
    await expect(setup().handler(wrapped({}))).rejects.toThrow('InvalidParameterException');
  });

  // The original ignored Failed entries.
  it('resends failed entries of SendMessageBatch', async () => {
    ddb.on(ScanCommand).resolves({ Items: [userItem(1), userItem(2)] });
    sqs
      .on(SendMessageBatchCommand)
      .callsFakeOnce(async (input: SendMessageBatchCommandInput) => ({
        Failed: [{ Id: input.Entries?.[1]?.Id, Code: 'InternalError', SenderFault: false }],
      }))
      .resolves({});
    await expect(setup().handler(wrapped({}))).resolves.toEqual({ result: { AllGroupsProcessed: 'Yes' } });
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(2);
    expect(JSON.parse(calls[1]!.args[0].input.Entries?.[0]?.MessageBody ?? '')).toEqual(userItem(2));
  });

  it('fails the invocation when entries keep failing', async () => {
    ddb.on(ScanCommand).resolves({ Items: [userItem(1)] });
    sqs.on(SendMessageBatchCommand).callsFake(async (input: SendMessageBatchCommandInput) => ({
      Failed: [{ Id: input.Entries?.[0]?.Id, Code: 'InternalError', SenderFault: false }],
    }));
    await expect(setup().handler(wrapped({}))).rejects.toThrow(
      /SendMessageBatch to .*: 1 entry failed \(InternalError\)/,
    );
  });

  it('waits for the prefetched page before failing', async () => {
    let resolved = false;
    ddb
      .on(ScanCommand)
      .resolvesOnce({ Items: [groupItem('g')], LastEvaluatedKey: { id: 'k', type: 't' } })
      .callsFake(async () => {
        await Promise.resolve();
        resolved = true;
        return { Items: [] };
      });
    cognito.on(CreateGroupCommand).rejects(awsError('InvalidParameterException'));
    await expect(setup().handler(wrapped({}))).rejects.toThrow('InvalidParameterException');
    expect(resolved).toBe(true);
  });

  it('fails when the next page cannot be read', async () => {
    ddb
      .on(ScanCommand)
      .resolvesOnce({ Items: [], LastEvaluatedKey: { id: 'k', type: 't' } })
      .rejects(new Error('scan failed'));
    await expect(setup().handler(wrapped({}))).rejects.toThrow('scan failed');
  });

  it("at COGNITO_TPS 25 reads pages of groups that CreateGroup's 5 a second finishes in 40 s", async () => {
    // A backup of 10,000 groups: every page is full; the invocation must stop before its 300 s timeout.
    let served = 0;
    ddb.on(ScanCommand).callsFake(async (input: { Limit?: number }) => {
      const items = Array.from({ length: input.Limit ?? 0 }, (_, i) => groupItem(`g${served + i}`));
      served += items.length;
      return { Items: items, LastEvaluatedKey: { id: `k${served}`, type: 't' } };
    });
    const { handler, clock } = setup({ ...ENV, COGNITO_TPS: '25' });
    const started = clock.now();
    const context = lambdaContext(clock, 300_000);
    const output = await handler(wrapped({}), context);
    expect(output.result.AllGroupsProcessed).toBe('No');
    // Every page started with more than a minute left ends with time to spare.
    expect(clock.now() - started).toBeLessThan(300_000);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(ddb).toHaveReceivedCommandWith(ScanCommand, { Limit: 200 });
    expect(cognito.commandCalls(CreateGroupCommand).length).toBeGreaterThan(0);
  });

  it('stays under COGNITO_TPS for CreateGroup', async () => {
    ddb.on(ScanCommand).resolves({ Items: Array.from({ length: 7 }, (_, i) => groupItem(`g${i}`)) });
    const { handler, clock } = setup({ ...ENV, COGNITO_TPS: '2' });
    const starts: number[] = [];
    cognito.on(CreateGroupCommand).callsFake(async () => {
      starts.push(clock.now());
      return {};
    });
    await handler(wrapped({}));
    expect(starts).toHaveLength(7);
    for (const start of starts)
      expect(starts.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(2);
    expect(ddb).toHaveReceivedCommandWith(ScanCommand, { Limit: 80 });
  });

  it('checks COGNITO_TPS before the pool id', async () => {
    await expect(setup({ ...ENV, COGNITO_TPS: 'invalid' }).handler({ Input: {} })).rejects.toThrow(
      'Unable to parse a number from the COGNITO_TPS value (invalid)',
    );
    await expect(setup().handler(wrapped({}, { poolId: '' }))).rejects.toThrow(
      'Unable to determine the new user pool ID',
    );
  });

  it('logs counts, never item contents', async () => {
    ddb.on(ScanCommand).resolves({ Items: [userItem(1), membershipItem('admins', 1), groupItem('admins')] });
    const { handler, logs } = setup();
    await handler(wrapped({}));
    expect(logs.text()).not.toMatch(/example\.com|user1/);
    expect(logs.entries().at(-1)).toEqual(
      expect.objectContaining({
        message: 'Backup table scanned to the end',
        pages: 1,
        newUsers: 1,
        updates: 1,
        created: 1,
      }),
    );
  });
});
