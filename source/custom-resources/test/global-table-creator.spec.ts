// SPDX-License-Identifier: Apache-2.0
import {
  DescribeTableCommand,
  DynamoDBClient,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockAws } from '../../test-support/aws-mock';
import { fakeRuntime } from '../../test-support/runtime';
import { createHandler, ENVIRONMENT } from '../global-table-creator';
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

const dynamoDb = mockAws(DynamoDBClient);
const sfn = mockAws(SFNClient);
const context = { logStreamName: LOG_STREAM };
const STATE_MACHINE_ARN =
  'arn:aws:states:us-east-1:111122223333:stateMachine:SecondaryUserPoolTableStepFunctions-x';
const properties = {
  ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:creator',
  UserPoolTable: 'my-stack-BackupTable-1ABC',
  SecondaryRegion: 'eu-west-1',
  StateMachineArn: STATE_MACHINE_ARN,
};

function setup(reply?: Parameters<typeof fakeFetch>[0]) {
  const http = fakeFetch(reply);
  const handler = createHandler(fakeRuntime(fakeClock(), {}, { fetch: http.fetch }));
  return { http, handler };
}

type Props = Record<string, string>;
const REPLICA_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab';
const OTHER_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-1111-2222-3333-444455556666';
const event = (overrides: Partial<Parameters<typeof cfnEvent<Props>>[0]> = {}) =>
  cfnEvent<Props>({
    LogicalResourceId: 'SecondaryUserPoolTable',
    ResourceProperties: properties,
    ...overrides,
  });

beforeEach(() => {
  dynamoDb.reset();
  sfn.reset();
});

describe('global-table-creator Create', () => {
  it('adds the replica, starts the checker workflow and leaves the answer to it', async () => {
    dynamoDb.on(UpdateTableCommand).resolves({});
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution' });
    const { http, handler } = setup();
    const request = event();

    expect(await handler(request, context)).toBe(request);

    expect(dynamoDb).toHaveReceivedCommandWith(UpdateTableCommand, {
      TableName: 'my-stack-BackupTable-1ABC',
      ReplicaUpdates: [{ Create: { RegionName: 'eu-west-1' } }],
    });
    const start = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(start?.stateMachineArn).toBe(STATE_MACHINE_ARN);
    expect(JSON.parse(start?.input ?? '')).toEqual({
      StackId: STACK_ID,
      RequestId: 'a4a5b7c2-6f77-4c5e-8d0f-0d7a0e5b1c11',
      LogicalResourceId: 'SecondaryUserPoolTable',
      ResponseURL: RESPONSE_URL,
    });
    expect(http.requests).toEqual([]);
  });

  it("creates the replica with the backup region's customer managed key when ReplicaKmsKeyArn is given", async () => {
    dynamoDb.on(UpdateTableCommand).resolves({});
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution' });
    const { handler } = setup();
    await handler(event({ ResourceProperties: { ...properties, ReplicaKmsKeyArn: REPLICA_KEY } }), context);
    expect(dynamoDb.commandCalls(UpdateTableCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'my-stack-BackupTable-1ABC',
        ReplicaUpdates: [{ Create: { RegionName: 'eu-west-1', KMSMasterKeyId: REPLICA_KEY } }],
      },
    ]);
  });

  it.each([
    ['UpdateTable', 'ERROR to update the table'],
    ['StartExecution', 'ERROR to start execution'],
  ])('answers FAILED with the logical id (not the log stream) when %s fails', async (which, message) => {
    if (which === 'UpdateTable') {
      dynamoDb.on(UpdateTableCommand).rejects(awsError('LimitExceededException', message));
    } else {
      dynamoDb.on(UpdateTableCommand).resolves({});
      sfn.on(StartExecutionCommand).rejects(awsError('InvalidArn', message));
    }
    const { http, handler } = setup();

    expect(await handler(event(), context)).toEqual({ status: 'FAILED', data: { Error: message } });
    expect(http.cfnBodies()).toEqual([
      {
        Status: 'FAILED',
        Reason: `${message} (${REASON})`,
        PhysicalResourceId: 'SecondaryUserPoolTable',
        StackId: STACK_ID,
        RequestId: 'a4a5b7c2-6f77-4c5e-8d0f-0d7a0e5b1c11',
        LogicalResourceId: 'SecondaryUserPoolTable',
        Data: { Error: message },
      },
    ]);
  });

  it('answers FAILED when a property is missing, before touching the table', async () => {
    const { http, handler } = setup();
    await handler(
      event({ ResourceProperties: { UserPoolTable: 'table', SecondaryRegion: 'eu-west-1' } }),
      context,
    );
    expect(http.cfnBodies()).toEqual([
      expect.objectContaining({
        Data: { Error: 'Error validating ResourceProperties. Missing value for StateMachineArn' },
      }),
    ]);
    expect(dynamoDb).not.toHaveReceivedAnyCommand();
  });

  it('rejects when the FAILED response cannot be delivered after retries', async () => {
    dynamoDb.on(UpdateTableCommand).rejects(awsError('ValidationException', 'Réplique déjà présente ✓'));
    const { http, handler } = setup(() => 500);
    await expect(handler(event(), context)).rejects.toThrow(/HTTP 500/);
    expect(http.cfnPuts()).toHaveLength(5);
    const [put] = http.cfnPuts();
    expect(put?.headers['content-length']).toBe(String(Buffer.byteLength(put?.text ?? '', 'utf8')));
    expect(put?.byteLength).toBeGreaterThan(put?.text.length ?? 0);
  });
});

describe('global-table-creator Update and Delete', () => {
  it.each(['Update', 'Delete'])(
    '%s changes nothing and answers SUCCESS at once, keeping the physical id',
    async (type) => {
      const { http, handler } = setup();
      // Stacks created by the original hold the creator's log stream name as physical id.
      const request = event({ RequestType: type, PhysicalResourceId: '2021/01/01/[$LATEST]original' });

      expect(await handler(request, context)).toBe(request);

      expect(http.cfnBodies()).toEqual([
        {
          Status: 'SUCCESS',
          Reason: REASON,
          PhysicalResourceId: '2021/01/01/[$LATEST]original',
          StackId: STACK_ID,
          RequestId: 'a4a5b7c2-6f77-4c5e-8d0f-0d7a0e5b1c11',
          LogicalResourceId: 'SecondaryUserPoolTable',
          Data: {},
        },
      ]);
      expect(dynamoDb).not.toHaveReceivedAnyCommand();
      expect(sfn).not.toHaveReceivedAnyCommand();
    },
  );

  describe('with ReplicaPointInTimeRecovery: Enabled (an update from a version without it)', () => {
    const withPitr = { ...properties, ReplicaPointInTimeRecovery: 'Enabled' };
    const update = () =>
      event({
        RequestType: 'Update',
        PhysicalResourceId: 'SecondaryUserPoolTable',
        ResourceProperties: withPitr,
      });

    it('turns point-in-time recovery on for the existing replica, in its region, then answers SUCCESS', async () => {
      const regions: string[] = [];
      dynamoDb.on(UpdateContinuousBackupsCommand).callsFake(async (_input, getClient) => {
        regions.push(await getClient().config.region());
        return {
          ContinuousBackupsDescription: {
            ContinuousBackupsStatus: 'ENABLED',
            PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED' },
          },
        };
      });
      const { http, handler } = setup();
      const request = update();

      expect(await handler(request, context)).toBe(request);

      expect(dynamoDb.commandCalls(UpdateContinuousBackupsCommand).map((call) => call.args[0].input)).toEqual(
        [
          {
            TableName: 'my-stack-BackupTable-1ABC',
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          },
        ],
      );
      expect(regions).toEqual(['eu-west-1']);
      expect(dynamoDb).not.toHaveReceivedCommand(UpdateTableCommand);
      expect(http.cfnBodies()).toEqual([
        expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'SecondaryUserPoolTable' }),
      ]);
    });

    it.each([
      ['backups are not available yet', 'ContinuousBackupsUnavailableException', /update the stack again/],
      ['access is denied', 'AccessDeniedException', /denied/],
    ])('answers FAILED when %s', async (_label, name, reason) => {
      dynamoDb.on(UpdateContinuousBackupsCommand).rejects(awsError(name, 'denied'));
      const { http, handler } = setup();
      await handler(update(), context);
      const [body] = http.cfnBodies() as { Status: string; Data: { Error: string } }[];
      expect(body?.Status).toBe('FAILED');
      expect(body?.Data.Error).toMatch(reason);
    });
  });

  describe('with ReplicaDeletionProtection: Enabled (an update from a version without it)', () => {
    const withProtection = { ...properties, ReplicaDeletionProtection: 'Enabled' };
    const update = (extra: Props = {}, old: Props = {}) =>
      event({
        RequestType: 'Update',
        PhysicalResourceId: 'SecondaryUserPoolTable',
        ResourceProperties: { ...withProtection, ...extra },
        OldResourceProperties: { ...properties, ...old },
      });
    /** The replica's DeletionProtectionEnabled as DescribeTable reports it; each call's region and input. */
    function replicaTable(deletionProtectionEnabled: boolean, updateTable: Error | 'ok' = 'ok') {
      const calls: string[] = [];
      dynamoDb.on(DescribeTableCommand).callsFake(async (_input, getClient) => {
        calls.push(`${await getClient().config.region()}:DescribeTable`);
        return {
          Table: {
            TableName: properties.UserPoolTable,
            DeletionProtectionEnabled: deletionProtectionEnabled,
          },
        };
      });
      dynamoDb.on(UpdateTableCommand).callsFake(async (input: object, getClient) => {
        const region = await getClient()
          .config.region()
          .catch(() => 'default');
        calls.push(`${region}:UpdateTable ${JSON.stringify(input)}`);
        if (updateTable instanceof Error) throw updateTable;
        return {};
      });
      return calls;
    }

    it('turns deletion protection on for the existing replica, in its region, then answers SUCCESS', async () => {
      const calls = replicaTable(false);
      const { http, handler } = setup();
      await handler(update(), context);
      expect(calls).toEqual([
        'eu-west-1:DescribeTable',
        `eu-west-1:UpdateTable ${JSON.stringify({ TableName: properties.UserPoolTable, DeletionProtectionEnabled: true })}`,
      ]);
      expect(http.cfnBodies()).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
    });

    it('leaves a replica that is protected already alone', async () => {
      const calls = replicaTable(true);
      const { http, handler } = setup();
      await handler(update(), context);
      expect(calls).toEqual(['eu-west-1:DescribeTable']);
      expect(http.cfnBodies()).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
    });

    it('protects the replica before switching its key (a key switch leaves the replica busy)', async () => {
      const calls = replicaTable(false);
      const { http, handler } = setup();
      await handler(update({ ReplicaKmsKeyArn: REPLICA_KEY }), context);
      expect(calls).toEqual([
        'eu-west-1:DescribeTable',
        `eu-west-1:UpdateTable ${JSON.stringify({ TableName: properties.UserPoolTable, DeletionProtectionEnabled: true })}`,
        // The client of the Lambda's own region (here the SDK's default).
        expect.stringMatching(/:UpdateTable .*"ReplicaUpdates":\[\{"Update"/),
      ]);
      expect(http.cfnBodies()).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
    });

    it.each([
      ['the replica is busy with another update', 'ResourceInUseException', /update the stack again/],
      ['access is denied', 'AccessDeniedException', /denied/],
    ])('answers FAILED when %s', async (_label, name, reason) => {
      replicaTable(false, awsError(name, 'denied'));
      const { http, handler } = setup();
      await handler(update(), context);
      const [body] = http.cfnBodies() as { Status: string; Data: { Error: string } }[];
      expect(body?.Status).toBe('FAILED');
      expect(body?.Data.Error).toMatch(reason);
    });
  });

  describe('when ReplicaKmsKeyArn changes (KmsKeyArn given, changed or removed after install)', () => {
    const update = (before: string | undefined, after: string | undefined) =>
      event({
        RequestType: 'Update',
        PhysicalResourceId: 'SecondaryUserPoolTable',
        ResourceProperties: { ...properties, ...(after ? { ReplicaKmsKeyArn: after } : {}) },
        OldResourceProperties: { ...properties, ...(before ? { ReplicaKmsKeyArn: before } : {}) },
      });

    it.each([
      ['a key is given', undefined, REPLICA_KEY, REPLICA_KEY],
      ['the key changes', REPLICA_KEY, OTHER_KEY, OTHER_KEY],
      [
        "the key is removed (back to DynamoDB's AWS managed key)",
        REPLICA_KEY,
        undefined,
        'alias/aws/dynamodb',
      ],
    ])('switches the replica when %s, then answers SUCCESS', async (_label, before, after, expected) => {
      dynamoDb.on(UpdateTableCommand).resolves({});
      const { http, handler } = setup();
      await handler(update(before, after), context);
      expect(dynamoDb.commandCalls(UpdateTableCommand).map((call) => call.args[0].input)).toEqual([
        {
          TableName: 'my-stack-BackupTable-1ABC',
          ReplicaUpdates: [{ Update: { RegionName: 'eu-west-1', KMSMasterKeyId: expected } }],
        },
      ]);
      expect(http.cfnBodies()).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
    });

    it('leaves the replica alone when the key is unchanged', async () => {
      const { http, handler } = setup();
      await handler(update(REPLICA_KEY, REPLICA_KEY), context);
      expect(dynamoDb).not.toHaveReceivedAnyCommand();
      expect(http.cfnBodies()).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
    });

    it('answers FAILED with the reason when DynamoDB refuses the switch', async () => {
      dynamoDb.on(UpdateTableCommand).rejects(awsError('ValidationException', 'key not usable'));
      const { http, handler } = setup();
      await handler(update(undefined, REPLICA_KEY), context);
      expect(http.cfnBodies()).toEqual([
        expect.objectContaining({ Status: 'FAILED', Data: { Error: 'key not usable' } }),
      ]);
    });
  });

  it('answers FAILED for an unknown request type', async () => {
    const { http, handler } = setup();
    const response = await handler(event({ RequestType: 'Unexpected' }), context);
    expect(response).toMatchObject({ status: 'FAILED' });
    expect(http.cfnBodies()).toEqual([expect.objectContaining({ Status: 'FAILED' })]);
    expect(dynamoDb).not.toHaveReceivedAnyCommand();
  });
});

it('declares no variables of its own', () => {
  expect(Object.keys(ENVIRONMENT)).toEqual([]);
});
