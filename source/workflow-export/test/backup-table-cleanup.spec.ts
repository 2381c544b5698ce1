import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type Message,
  type SendMessageBatchCommandInput,
} from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs, type CapturedLogs } from '../../test-support/capture-logs';
import type { FakeClock } from '../../test-support/fake-clock';
import { lambdaContext } from '../../test-support/lambda-context';
import { fakeRuntime } from '../../test-support/runtime';
import type { Env } from '../../utils/config';
import { createHandler, ENVIRONMENT } from '../backup-table-cleanup';
import { EMPTY_RECEIVES_FOR_EMPTY_QUEUE, STALE_CONDITION } from '../lib/backup-table-cleanup';
import type { BackupTableCleanupEvent, BackupTableCleanupInput } from '../lib/types';
import { fakeClock, T0 } from './support';

const ddb = mockAws(DynamoDBDocumentClient);
const sqs = mockAws(SQSClient);
const TABLE = 'backup-table';
const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/export-workflow-uuid';
const ENV = { BACKUP_TABLE_NAME: TABLE, QUEUE_URL: QUEUE };

const cleanupEvent = (state: string, input: BackupTableCleanupInput): BackupTableCleanupEvent => ({
  Input: input,
  Context: {
    Execution: { Id: 'exec', Input: {}, StartTime: '2024-01-15T03:00:00.000Z' },
    State: { Name: state, EnteredTime: '2024-01-15T03:10:00.000Z' },
    StateMachine: { Id: 'arn:sm', Name: 'ExportWorkflow-abc' },
  },
});
const FIND = 'BackupTableCleanup: Find Items';
const REMOVE = 'BackupTableCleanup: Remove Items';

let clock: FakeClock;
let logs: CapturedLogs;
const run = (
  event: BackupTableCleanupEvent,
  context?: { getRemainingTimeInMillis(): number },
  env: Env = ENV,
) => createHandler(fakeRuntime(clock, env, { write: logs.write }))(event, context);

const key = (n: number) => ({ id: `USER-sub-${n}`, type: 'USER-uuid' });
const message = (n: number, k = key(n)): Message => ({
  MessageId: `message-${n}`,
  ReceiptHandle: `receipt-${n}`,
  Body: JSON.stringify({ Action: 'DELETE', Key: k }),
});
const sentBodies = () =>
  sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((call) => (call.args[0].input as SendMessageBatchCommandInput).Entries ?? [])
    .map((entry) => JSON.parse(entry.MessageBody ?? '') as unknown);

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  ddb.on(DeleteCommand).resolves({});
  clock = fakeClock();
  logs = captureLogs();
});

describe('backup-table-cleanup', () => {
  it('declares exactly the variables it reads', () => {
    expect(Object.keys(ENVIRONMENT).sort()).toEqual(['BACKUP_TABLE_NAME', 'QUEUE_URL']);
  });

  describe('Find Items', () => {
    it('scans for items not stamped by this run and reports the scan complete', async () => {
      ddb.on(ScanCommand).resolves({});
      const output = await run(cleanupEvent(FIND, { ExportTimestamp: T0 }));
      expect(output).toEqual({
        result: { ExportTimestamp: T0, NumItemsAddedToQueue: 0, lastEvaluatedKey: '' },
      });
      expect(ddb).toHaveReceivedCommandWith(ScanCommand, {
        TableName: TABLE,
        FilterExpression: 'attribute_exists(lastConfirmedInUserPool) and lastConfirmedInUserPool < :ts',
        ProjectionExpression: 'id,#type',
        ExpressionAttributeValues: { ':ts': T0 },
        ExpressionAttributeNames: { '#type': 'type' },
      });
      expect(ddb.commandCalls(ScanCommand)[0]?.args[0].input.ExclusiveStartKey).toBeUndefined();
      expect(sqs).not.toHaveReceivedCommand(SendMessageBatchCommand);
    });

    it('queues a DELETE message per stale item, page after page, from the given key', async () => {
      const startKey = { id: 'USER-sub-0', type: 'USER-uuid' };
      ddb
        .on(ScanCommand)
        .resolvesOnce({ Items: [key(1), key(2)], Count: 2, LastEvaluatedKey: key(2) })
        .resolves({ Items: [key(3), key(4)], Count: 2 });

      const output = await run(cleanupEvent(FIND, { ExportTimestamp: T0, lastEvaluatedKey: startKey }));

      expect(output).toEqual({
        result: { ExportTimestamp: T0, NumItemsAddedToQueue: 4, lastEvaluatedKey: '' },
      });
      expect(ddb.commandCalls(ScanCommand).map((call) => call.args[0].input.ExclusiveStartKey)).toEqual([
        startKey,
        key(2),
      ]);
      expect(sentBodies()).toEqual([1, 2, 3, 4].map((n) => ({ Action: 'DELETE', Key: key(n) })));
      expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, { QueueUrl: QUEUE });
    });

    it('sends at most 10 messages per batch', async () => {
      const items = Array.from({ length: 25 }, (_, i) => key(i));
      ddb.on(ScanCommand).resolves({ Items: items, Count: 25 });
      await run(cleanupEvent(FIND, { ExportTimestamp: T0 }));
      expect(
        sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.Entries?.length),
      ).toEqual([10, 10, 5]);
    });

    it('returns the scan position when at most 60 s remain, and the next call adds to the count', async () => {
      ddb
        .on(ScanCommand)
        .resolvesOnce({ Items: [key(1)], Count: 1, LastEvaluatedKey: key(1) })
        .resolves({ Items: [key(2)], Count: 1 });
      const first = await run(cleanupEvent(FIND, { ExportTimestamp: T0 }), lambdaContext(clock, 60_000));
      expect(first.result).toEqual({
        ExportTimestamp: T0,
        NumItemsAddedToQueue: 1,
        lastEvaluatedKey: key(1),
      });

      const second = await run(cleanupEvent(FIND, first.result), lambdaContext(clock, 300_000));
      expect(second.result).toEqual({ ExportTimestamp: T0, NumItemsAddedToQueue: 2, lastEvaluatedKey: '' });
    });

    it('resends the entries SQS failed to take (§9.1-10)', async () => {
      ddb.on(ScanCommand).resolves({ Items: [key(1), key(2)], Count: 2 });
      sqs.reset();
      sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
        const calls = sqs.commandCalls(SendMessageBatchCommand).length;
        const [firstEntry] = input.Entries ?? [];
        return calls === 1
          ? { Successful: [], Failed: [{ Id: firstEntry?.Id, Code: 'InternalError', SenderFault: false }] }
          : { Successful: [{ Id: firstEntry?.Id }], Failed: [] };
      });
      await run(cleanupEvent(FIND, { ExportTimestamp: T0 }));
      const calls = sqs.commandCalls(SendMessageBatchCommand);
      expect(calls).toHaveLength(2);
      expect(calls[1]?.args[0].input.Entries).toEqual([calls[0]?.args[0].input.Entries?.[0]]);
    });

    it('fails when SQS keeps failing entries', async () => {
      ddb.on(ScanCommand).resolves({ Items: [key(1)], Count: 1 });
      sqs.reset();
      sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
        Failed: [{ Id: input.Entries?.[0]?.Id, Code: 'InvalidParameterValue', SenderFault: true }],
      }));
      await expect(run(cleanupEvent(FIND, { ExportTimestamp: T0 }))).rejects.toThrow(/1 entry failed/);
    });

    it('refuses to scan without the run timestamp (it would select every item)', async () => {
      await expect(run(cleanupEvent(FIND, {}))).rejects.toThrow(
        'Error validating Event Payload. Missing value for ExportTimestamp',
      );
      expect(ddb).not.toHaveReceivedCommand(ScanCommand);
    });

    it('fails with the Scan error', async () => {
      ddb.on(ScanCommand).rejects(new Error('ERROR - scan'));
      await expect(run(cleanupEvent(FIND, { ExportTimestamp: T0 }))).rejects.toThrow('ERROR - scan');
    });
  });

  describe('Remove Items', () => {
    it(`declares the queue empty after ${EMPTY_RECEIVES_FOR_EMPTY_QUEUE} empty long polls, without sleeping`, async () => {
      sqs.on(ReceiveMessageCommand).resolves({});
      const output = await run(cleanupEvent(REMOVE, { ExportTimestamp: T0 }));
      expect(output).toEqual({
        result: { ExportTimestamp: T0, NumItemsAddedToQueue: 0, IsQueueEmpty: true },
      });
      expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(EMPTY_RECEIVES_FOR_EMPTY_QUEUE);
      expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, {
        QueueUrl: QUEUE,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 5,
      });
      expect(clock.sleeps).toEqual([]);
    });

    const deletedKeys = () => ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key);

    it('deletes the keys of received messages, each only if still older than the run, then the messages', async () => {
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [message(1)] })
        .resolves({ Messages: [] });

      const output = await run(cleanupEvent(REMOVE, { ExportTimestamp: T0, NumItemsAddedToQueue: 1 }));

      expect(output.result).toEqual({ ExportTimestamp: T0, NumItemsAddedToQueue: 1, IsQueueEmpty: true });
      expect(ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
        {
          TableName: TABLE,
          Key: key(1),
          ConditionExpression: STALE_CONDITION,
          ExpressionAttributeValues: { ':ts': T0 },
        },
      ]);
      expect(sqs).toHaveReceivedCommandWith(DeleteMessageBatchCommand, {
        QueueUrl: QUEUE,
        Entries: [{ Id: 'message-1', ReceiptHandle: 'receipt-1' }],
      });
      expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(1 + EMPTY_RECEIVES_FOR_EMPTY_QUEUE);
    });

    it('keeps an item stamped by this run although an older message names it, and drops the message', async () => {
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [message(1), message(2)] })
        .resolves({});
      ddb.on(DeleteCommand, { Key: key(1) }).rejects(
        Object.assign(new Error('The conditional request failed'), {
          name: 'ConditionalCheckFailedException',
        }),
      );
      const output = await run(cleanupEvent(REMOVE, { ExportTimestamp: T0 }));
      expect(output.result.IsQueueEmpty).toBe(true);
      expect(deletedKeys()).toEqual([key(1), key(2)]);
      expect(sqs.commandCalls(DeleteMessageBatchCommand)[0]?.args[0].input.Entries?.map((e) => e.Id)).toEqual(
        ['message-1', 'message-2'],
      );
      expect(logs.text()).toContain('"keptAsConfirmed":1');
    });

    it('fails on another delete error, after the other deletes settled, keeping the messages', async () => {
      sqs.on(ReceiveMessageCommand).resolves({ Messages: [message(1), message(2)] });
      ddb
        .on(DeleteCommand, { Key: key(1) })
        .rejects(Object.assign(new Error('boom'), { name: 'InternalServerError' }));
      await expect(run(cleanupEvent(REMOVE, { ExportTimestamp: T0 }))).rejects.toThrow('boom');
      expect(deletedKeys()).toEqual([key(1), key(2)]);
      expect(sqs).not.toHaveReceivedCommand(DeleteMessageBatchCommand);
    });

    it('refuses to remove items without the run timestamp', async () => {
      await expect(run(cleanupEvent(REMOVE, {}))).rejects.toThrow(
        'Error validating Event Payload. Missing value for ExportTimestamp',
      );
      expect(sqs.calls()).toHaveLength(0);
    });

    it('deletes each key once per received batch, and still deletes every message (§9.1-12)', async () => {
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [message(1), message(2, key(1)), message(3)] })
        .resolves({});
      await run(cleanupEvent(REMOVE, { ExportTimestamp: T0 }));
      expect(deletedKeys()).toEqual([key(1), key(3)]);
      expect(sqs.commandCalls(DeleteMessageBatchCommand)[0]?.args[0].input.Entries?.map((e) => e.Id)).toEqual(
        ['message-1', 'message-2', 'message-3'],
      );
    });

    it('resends message deletions SQS failed (§9.1-10)', async () => {
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [message(1), message(2)] })
        .resolves({});
      sqs
        .on(DeleteMessageBatchCommand)
        .resolvesOnce({ Failed: [{ Id: 'message-2', Code: 'InternalError', SenderFault: false }] })
        .resolves({});
      await run(cleanupEvent(REMOVE, { ExportTimestamp: T0 }));
      const deletions = sqs.commandCalls(DeleteMessageBatchCommand).map((call) => call.args[0].input.Entries);
      expect(deletions).toEqual([
        [
          { Id: 'message-1', ReceiptHandle: 'receipt-1' },
          { Id: 'message-2', ReceiptHandle: 'receipt-2' },
        ],
        [{ Id: 'message-2', ReceiptHandle: 'receipt-2' }],
      ]);
    });

    it('reports the queue not yet empty when at most 60 s remain', async () => {
      sqs.on(ReceiveMessageCommand).resolves({ Messages: [message(1)] });
      const output = await run(cleanupEvent(REMOVE, { ExportTimestamp: T0 }), lambdaContext(clock, 60_000));
      expect(output.result.IsQueueEmpty).toBe(false);
      expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    });

    it('starts counting empty polls again after a non-empty one', async () => {
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({})
        .resolvesOnce({ Messages: [message(1)] })
        .resolvesOnce({})
        .resolves({});
      const output = await run(cleanupEvent(REMOVE, { ExportTimestamp: T0 }));
      expect(output.result.IsQueueEmpty).toBe(true);
      expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(4);
    });

    it.each([
      ['a body that is not JSON', 'not json', 'Unable to read the cleanup message message-9'],
      ['a body without a key', '{"Action":"DELETE"}', 'The cleanup message message-9 has no item key'],
    ])('fails on %s without deleting anything', async (_label, body, error) => {
      sqs
        .on(ReceiveMessageCommand)
        .resolves({ Messages: [{ MessageId: 'message-9', ReceiptHandle: 'r', Body: body }] });
      await expect(run(cleanupEvent(REMOVE, { ExportTimestamp: T0 }))).rejects.toThrow(error);
      expect(ddb).not.toHaveReceivedCommand(DeleteCommand);
      expect(sqs).not.toHaveReceivedCommand(DeleteMessageBatchCommand);
    });
  });

  it('does nothing for another state name', async () => {
    const output = await run(cleanupEvent('SomethingElse', { ExportTimestamp: T0, NumItemsAddedToQueue: 3 }));
    expect(output).toEqual({ result: { ExportTimestamp: T0, NumItemsAddedToQueue: 3 } });
    expect(ddb.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('treats a missing Input as empty', async () => {
    const output = await run({
      ...cleanupEvent('SomethingElse', {}),
      Input: undefined,
    } as unknown as BackupTableCleanupEvent);
    expect(output).toEqual({ result: { NumItemsAddedToQueue: 0 } });
  });

  it('fails on a message without id whose body is JSON null', async () => {
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [{ ReceiptHandle: 'r', Body: 'null' }] });
    await expect(run(cleanupEvent(REMOVE, { ExportTimestamp: T0 }))).rejects.toThrow(
      'The cleanup message  has no item key',
    );
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [{ ReceiptHandle: 'r' }] });
    await expect(run(cleanupEvent(REMOVE, { ExportTimestamp: T0 }))).rejects.toThrow(
      'Unable to read the cleanup message',
    );
  });

  it('never logs item keys or message bodies', async () => {
    ddb.on(ScanCommand).resolves({ Items: [key(1)], Count: 1 });
    await run(cleanupEvent(FIND, { ExportTimestamp: T0 }));
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message(1)] })
      .resolves({});
    await run(cleanupEvent(REMOVE, { ExportTimestamp: T0 }));
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(logs.text()).not.toContain('sub-1');
  });
});
