// SPDX-License-Identifier: Apache-2.0
import {
  DescribeTableCommand,
  DynamoDBClient,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  type DescribeTableCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { lambdaContext } from '../../test-support/lambda-context';
import { fakeRuntime } from '../../test-support/runtime';
import { createHandler, ENVIRONMENT } from '../global-table-checker';
import type { GlobalTableCheckerEvent } from '../lib/types';
import { awsError, fakeClock, fakeFetch, LOG_STREAM, REASON, RESPONSE_URL, STACK_ID } from './support';

const dynamoDb = mockAws(DynamoDBClient);
const TABLE = 'my-stack-BackupTable-1ABC';
const STREAM = `arn:aws:dynamodb:eu-west-1:111122223333:table/${TABLE}/stream/2024-05-01T12:03:00.000`;
const ENV = { USER_POOL_TABLE: TABLE, SECONDARY_REGION: 'eu-west-1' };

type Answer = Partial<DescribeTableCommandOutput> | Error;
const replica = (ReplicaStatus: string, ReplicaStatusDescription?: string): Answer => ({
  Table: {
    TableName: TABLE,
    TableStatus: 'ACTIVE',
    Replicas: [
      { RegionName: 'eu-west-1', ReplicaStatus: ReplicaStatus as 'ACTIVE', ReplicaStatusDescription },
    ],
  },
});
const secondaryTable = (LatestStreamArn?: string): Answer => ({
  Table: { TableName: TABLE, TableStatus: 'ACTIVE', LatestStreamArn },
});

/**
 * DescribeTable answers by the region of the client that asks: the primary table (this Lambda's
 * region) and the replica table (SECONDARY_REGION). Each list is consumed in order; its last
 * answer repeats.
 */
function tables(primary: Answer[], secondary: Answer[] = [secondaryTable(STREAM)]) {
  const asked: string[] = [];
  dynamoDb.on(DescribeTableCommand).callsFake(async (input: { TableName: string }, getClient) => {
    const region = await getClient().config.region();
    asked.push(`${region}:${input.TableName}`);
    const queue = region === 'eu-west-1' ? secondary : primary;
    const answer = queue.length > 1 ? queue.shift() : queue[0];
    if (answer instanceof Error) throw answer;
    return answer;
  });
  return asked;
}

function setup(
  options: {
    env?: Record<string, string | undefined>;
    remainingMs?: number;
    reply?: Parameters<typeof fakeFetch>[0];
  } = {},
) {
  const http = fakeFetch(options.reply);
  const clock = fakeClock();
  const context = lambdaContext(clock, options.remainingMs ?? 300_000, { logStreamName: LOG_STREAM });
  const handler = createHandler(fakeRuntime(clock, options.env ?? ENV, { fetch: http.fetch }));
  return { http, clock, context, handler };
}

/** The execution input written by global-table-creator. */
const input = (extra: Partial<GlobalTableCheckerEvent> = {}): GlobalTableCheckerEvent => ({
  StackId: STACK_ID,
  RequestId: 'a4a5b7c2-6f77-4c5e-8d0f-0d7a0e5b1c11',
  LogicalResourceId: 'SecondaryUserPoolTable',
  ResponseURL: RESPONSE_URL,
  ...extra,
});

const originalRegion = process.env.AWS_REGION;
beforeAll(() => {
  process.env.AWS_REGION = 'us-east-1'; // the Lambda runtime's own region, read by the SDK
});
afterAll(() => {
  // Assigning undefined would leave the string "undefined" behind.
  if (originalRegion === undefined) delete process.env.AWS_REGION;
  else process.env.AWS_REGION = originalRegion;
});
/** Regions (and answers) of the UpdateTable calls; each answer list is consumed in order. */
let updateTableRegions: string[];
function updateTableAnswers(answers: (Error | 'ok')[]) {
  dynamoDb.on(UpdateTableCommand).callsFake(async (_input, getClient) => {
    updateTableRegions.push(await getClient().config.region());
    const answer = answers.length > 1 ? answers.shift() : answers[0];
    if (answer instanceof Error) throw answer;
    return {};
  });
}

/** Regions (and answers) of the UpdateContinuousBackups calls; each answer list is consumed in order. */
let pitrRegions: string[];
function pitrAnswers(answers: (Error | 'ok')[]) {
  dynamoDb.on(UpdateContinuousBackupsCommand).callsFake(async (_input, getClient) => {
    pitrRegions.push(await getClient().config.region());
    const answer = answers.length > 1 ? answers.shift() : answers[0];
    if (answer instanceof Error) throw answer;
    return { ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED' } };
  });
}

beforeEach(() => {
  dynamoDb.reset();
  pitrRegions = [];
  pitrAnswers(['ok']);
  updateTableRegions = [];
  updateTableAnswers(['ok']);
});

describe('global-table-checker', () => {
  it('answers SUCCESS with the stream ARN once the primary reports the replica ACTIVE', async () => {
    const asked = tables([replica('ACTIVE')]);
    const { http, clock, context, handler } = setup();

    const output = await handler(input(), context);

    expect(output).toEqual({ ...input(), ReplicaWaitStartTime: clock.now(), LatestStreamArn: STREAM });
    expect(asked).toEqual([`us-east-1:${TABLE}`, `eu-west-1:${TABLE}`]);
    expect(http.cfnBodies()).toEqual([
      {
        Status: 'SUCCESS',
        Reason: REASON,
        // The same id the creator would have used on Create: the logical id.
        PhysicalResourceId: 'SecondaryUserPoolTable',
        StackId: STACK_ID,
        RequestId: 'a4a5b7c2-6f77-4c5e-8d0f-0d7a0e5b1c11',
        LogicalResourceId: 'SecondaryUserPoolTable',
        Data: { LatestStreamArn: STREAM },
      },
    ]);
    expect(http.cfnPuts()[0]?.url).toBe(RESPONSE_URL);
    expect(clock.sleeps).toEqual([]);
  });

  it('turns point-in-time recovery on for the replica, in its region, before answering SUCCESS', async () => {
    tables([replica('ACTIVE')]);
    const { http, context, handler } = setup();
    await handler(input(), context);
    expect(dynamoDb.commandCalls(UpdateContinuousBackupsCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } },
    ]);
    expect(pitrRegions).toEqual(['eu-west-1']);
    expect(http.cfnBodies()).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
  });

  it('keeps waiting while DynamoDB cannot enable point-in-time recovery on the new replica yet', async () => {
    tables([replica('ACTIVE')]);
    pitrAnswers([awsError('ContinuousBackupsUnavailableException', 'Backups are being enabled'), 'ok']);
    const { http, clock, context, handler } = setup();
    expect((await handler(input(), context)).LatestStreamArn).toBe(STREAM);
    expect(clock.sleeps).toEqual([5000]);
    expect(pitrRegions).toEqual(['eu-west-1', 'eu-west-1']);
    expect(http.cfnBodies()).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
  });

  it('answers FAILED when point-in-time recovery is refused for another reason', async () => {
    tables([replica('ACTIVE')]);
    pitrAnswers([
      awsError('AccessDeniedException', 'not authorized to perform dynamodb:UpdateContinuousBackups'),
    ]);
    const { http, context, handler } = setup();
    await expect(handler(input(), context)).rejects.toThrow('dynamodb:UpdateContinuousBackups');
    expect(http.cfnBodies()).toEqual([expect.objectContaining({ Status: 'FAILED' })]);
  });

  it('turns deletion protection on for the replica, in its region, before answering SUCCESS', async () => {
    tables([replica('ACTIVE')]);
    const { http, context, handler } = setup();
    await handler(input(), context);
    expect(dynamoDb.commandCalls(UpdateTableCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, DeletionProtectionEnabled: true },
    ]);
    expect(updateTableRegions).toEqual(['eu-west-1']);
    expect(http.cfnBodies()).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
  });

  it('does not ask again for a replica that is protected already', async () => {
    tables(
      [replica('ACTIVE')],
      [{ Table: { TableName: TABLE, LatestStreamArn: STREAM, DeletionProtectionEnabled: true } }],
    );
    const { http, context, handler } = setup();
    await handler(input(), context);
    expect(dynamoDb).not.toHaveReceivedCommand(UpdateTableCommand);
    expect(http.cfnBodies()).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
  });

  it('keeps waiting while the replica is busy with another update (ResourceInUseException)', async () => {
    tables([replica('ACTIVE')]);
    updateTableAnswers([awsError('ResourceInUseException', 'Table is being updated'), 'ok']);
    const { http, clock, context, handler } = setup();
    expect((await handler(input(), context)).LatestStreamArn).toBe(STREAM);
    expect(clock.sleeps).toEqual([5000]);
    expect(updateTableRegions).toEqual(['eu-west-1', 'eu-west-1']);
    expect(http.cfnBodies()).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
  });

  it('answers FAILED when deletion protection is refused for another reason', async () => {
    tables([replica('ACTIVE')]);
    updateTableAnswers([awsError('AccessDeniedException', 'not authorized to perform dynamodb:UpdateTable')]);
    const { http, context, handler } = setup();
    await expect(handler(input(), context)).rejects.toThrow('dynamodb:UpdateTable');
    expect(http.cfnBodies()).toEqual([expect.objectContaining({ Status: 'FAILED' })]);
  });

  it('does not call a CREATING replica ready although its table already has a stream, and sleeps between polls', async () => {
    const asked = tables([replica('CREATING'), replica('CREATING'), replica('ACTIVE')]);
    const { http, clock, context, handler } = setup();

    const output = await handler(input(), context);

    expect(output.LatestStreamArn).toBe(STREAM);
    expect(clock.sleeps).toEqual([5000, 5000]);
    expect(asked.filter((call) => call.startsWith('eu-west-1'))).toHaveLength(1);
    expect(http.cfnBodies()).toHaveLength(1);
  });

  it.each([
    ['the replica is not listed yet', [{ Table: { TableName: TABLE } } as Answer], [secondaryTable(STREAM)]],
    ['the replica table is not found', [replica('ACTIVE')], [awsError('ResourceNotFoundException')]],
    ['the replica table has no stream yet', [replica('ACTIVE')], [secondaryTable(undefined)]],
    [
      'DescribeTable is throttled',
      [awsError('ThrottlingException', 'Rate exceeded', 400)],
      [secondaryTable(STREAM)],
    ],
  ])('keeps waiting while %s', async (_case, primary, secondary) => {
    tables([...primary, replica('ACTIVE')], [...secondary, secondaryTable(STREAM)]);
    const { http, clock, context, handler } = setup();
    expect((await handler(input(), context)).LatestStreamArn).toBe(STREAM);
    expect(clock.sleeps).toEqual([5000]);
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({ Status: 'SUCCESS', Data: { LatestStreamArn: STREAM } }),
    ]);
  });

  it('keeps waiting while the replica has no status yet', async () => {
    tables([{ Table: { Replicas: [{ RegionName: 'eu-west-1' }] } }, replica('ACTIVE')]);
    const { clock, context, handler } = setup();
    expect((await handler(input(), context)).LatestStreamArn).toBe(STREAM);
    expect(clock.sleeps).toEqual([5000]);
  });

  it('returns LatestStreamArn "" without looking when less than a minute is left', async () => {
    tables([replica('ACTIVE')]);
    const { http, clock, context, handler } = setup({ remainingMs: 1000 });
    expect(await handler(input(), context)).toEqual({
      ...input(),
      ReplicaWaitStartTime: clock.now(),
      LatestStreamArn: '',
    });
    expect(dynamoDb).not.toHaveReceivedAnyCommand();
    expect(http.requests).toEqual([]);
  });

  it('stops polling when its time budget is spent and hands back to the state machine', async () => {
    tables([replica('CREATING')]);
    const { http, clock, context, handler } = setup({ remainingMs: 90_000 });
    const output = await handler(input(), context);
    expect(output.LatestStreamArn).toBe('');
    // Probes at 90, 85, ..., 65 s remaining; after the sixth sleep only 60 s are left.
    expect(dynamoDb).toHaveReceivedCommandTimes(DescribeTableCommand, 6);
    expect(clock.sleeps).toEqual(Array(6).fill(5000));
    expect(context.getRemainingTimeInMillis()).toBe(60_000);
    expect(http.requests).toEqual([]);
  });

  it('carries the start of the wait from one invocation to the next', async () => {
    tables([replica('CREATING')]);
    const { context, clock, handler } = setup({ remainingMs: 1000 });
    const started = clock.now() - 600_000;
    const output = await handler(input({ ReplicaWaitStartTime: started, LatestStreamArn: '' }), context);
    expect(output).toEqual({ ...input(), ReplicaWaitStartTime: started, LatestStreamArn: '' });
  });

  it('answers FAILED itself, and fails, when the replica is not ready within the bounded wait', async () => {
    tables([replica('CREATING')]);
    const { http, clock, context, handler } = setup();
    const started = clock.now() - 55 * 60_000 - 1;
    await expect(
      handler(input({ ReplicaWaitStartTime: started, LatestStreamArn: '' }), context),
    ).rejects.toThrow(
      `The replica of table ${TABLE} in eu-west-1 was not ready within 55 minutes (replica CREATING)`,
    );
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        PhysicalResourceId: 'SecondaryUserPoolTable',
        Data: {
          Error: `The replica of table ${TABLE} in eu-west-1 was not ready within 55 minutes (replica CREATING)`,
        },
      }),
    ]);
  });

  it('answers FAILED, with a byte-correct body, when the replica cannot become ACTIVE', async () => {
    tables([replica('INACCESSIBLE_ENCRYPTION_CREDENTIALS', 'Clé KMS inaccessible ✓')]);
    const { http, context, handler } = setup();
    const message = `The replica of table ${TABLE} in eu-west-1 is INACCESSIBLE_ENCRYPTION_CREDENTIALS: Clé KMS inaccessible ✓`;
    await expect(handler(input(), context)).rejects.toThrow(message);
    const [put] = http.cfnPuts();
    expect(JSON.parse(put?.text ?? '')).toMatchObject({ Status: 'FAILED', Data: { Error: message } });
    expect(put?.headers['content-length']).toBe(String(Buffer.byteLength(put?.text ?? '', 'utf8')));
    expect(put?.byteLength).toBeGreaterThan(put?.text.length ?? 0);
  });

  it('answers FAILED on CREATION_FAILED without a description', async () => {
    tables([replica('CREATION_FAILED')]);
    const { http, context, handler } = setup();
    await expect(handler(input(), context)).rejects.toThrow(
      `The replica of table ${TABLE} in eu-west-1 is CREATION_FAILED`,
    );
    expect(http.cfnBodies()).toHaveLength(1);
  });

  it('answers FAILED and rethrows the same error on a non-transient failure', async () => {
    const denied = awsError('AccessDeniedException', 'test error');
    tables([denied]);
    const { http, context, handler } = setup();
    await expect(handler(input(), context)).rejects.toBe(denied);
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({ Status: 'FAILED', Data: { Error: 'test error' } }),
    ]);
  });

  it('answers FAILED when the replica table cannot be described (for example, no permission there)', async () => {
    tables([replica('ACTIVE')], [awsError('AccessDeniedException', 'not authorized in eu-west-1')]);
    const { http, context, handler } = setup();
    await expect(handler(input(), context)).rejects.toThrow('not authorized in eu-west-1');
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({ Status: 'FAILED', Data: { Error: 'not authorized in eu-west-1' } }),
    ]);
  });

  it('answers FAILED when the environment is incomplete, instead of leaving CloudFormation waiting', async () => {
    const { http, context, handler } = setup({ env: { SECONDARY_REGION: 'eu-west-1' } });
    await expect(handler(input(), context)).rejects.toThrow(
      'Error validating Environment Variables. Missing value for USER_POOL_TABLE',
    );
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        Data: { Error: 'Error validating Environment Variables. Missing value for USER_POOL_TABLE' },
      }),
    ]);
    expect(dynamoDb).not.toHaveReceivedAnyCommand();
  });

  it('retries the SUCCESS response and keeps a physical id passed in the input', async () => {
    tables([replica('ACTIVE')]);
    const { http, context, handler } = setup({ reply: (_put, index) => (index === 0 ? 503 : 200) });
    const output = await handler(input({ PhysicalResourceId: 'physical-1' }), context);
    expect(output.PhysicalResourceId).toBe('physical-1');
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({ PhysicalResourceId: 'physical-1' }),
      expect.objectContaining({ PhysicalResourceId: 'physical-1' }),
    ]);
  });
});

it('declares exactly the variables it reads', () => {
  expect(Object.keys(ENVIRONMENT).sort()).toEqual(['SECONDARY_REGION', 'USER_POOL_TABLE']);
});
