// SPDX-License-Identifier: Apache-2.0
import { DeleteMessageBatchCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import {
  BatchFailedError,
  batchGet,
  batchWrite,
  batchWriteAll,
  chunk,
  deleteMessages,
  sendMessages,
  type WriteRequest,
} from '../batch';
import { documentClient, sqsClient } from '../clients';

const ddbMock = mockAws(DynamoDBDocumentClient);
const sqsMock = mockAws(SQSClient);
const sleeps: number[] = [];
const retry = { sleep: async (ms: number) => void sleeps.push(ms), random: () => 0 };

const put = (id: string): WriteRequest => ({ PutRequest: { Item: { id, type: 't' } } });

beforeEach(() => {
  ddbMock.reset();
  sqsMock.reset();
  sleeps.length = 0;
});

describe('chunk', () => {
  it('splits into slices of the given size', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
  });
});

describe('batchGet', () => {
  const key = (id: string) => ({ id, type: 't' });
  const projection = { ProjectionExpression: 'id' };

  it('resends unprocessed keys with growing backoff and returns every item found', async () => {
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { table: [{ id: 'a' }] }, UnprocessedKeys: { table: { Keys: [key('c')] } } })
      .resolves({ Responses: { table: [{ id: 'c' }] } });
    const items = await batchGet(
      documentClient(),
      'table',
      [key('a'), key('b'), key('c')],
      projection,
      retry,
    );
    expect(items).toEqual([{ id: 'a' }, { id: 'c' }]);
    expect(
      ddbMock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems?.table?.Keys),
    ).toEqual([[key('a'), key('b'), key('c')], [key('c')]]);
    expect(sleeps).toEqual([100]);
  });

  it('fails after the cap instead of looping forever, and refuses more than 100 keys', async () => {
    ddbMock.on(BatchGetCommand).resolves({ UnprocessedKeys: { table: { Keys: [key('a')] } } });
    await expect(
      batchGet(documentClient(), 'table', [key('a')], projection, { ...retry, maxAttempts: 3 }),
    ).rejects.toBeInstanceOf(BatchFailedError);
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(3);
    await expect(
      batchGet(
        documentClient(),
        'table',
        Array.from({ length: 101 }, (_, i) => key(String(i))),
        projection,
      ),
    ).rejects.toThrow(RangeError);
  });
});

describe('batchWrite', () => {
  it('resends unprocessed items with growing backoff until none remain', async () => {
    ddbMock
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { table: [put('b'), put('c')] } })
      .resolvesOnce({ UnprocessedItems: { table: [put('c')] } })
      .resolves({ UnprocessedItems: {} });
    await batchWrite(documentClient(), 'table', [put('a'), put('b'), put('c')], retry);
    const sent = ddbMock
      .commandCalls(BatchWriteCommand)
      .map((c) => c.args[0].input.RequestItems?.table?.length);
    expect(sent).toEqual([3, 2, 1]);
    expect(sleeps).toEqual([100, 200]);
  });

  it('fails after the cap instead of looping forever', async () => {
    ddbMock.on(BatchWriteCommand).resolves({ UnprocessedItems: { table: [put('a')] } });
    await expect(
      batchWrite(documentClient(), 'table', [put('a')], { ...retry, maxAttempts: 4 }),
    ).rejects.toThrow(
      new BatchFailedError(
        'DynamoDB left 1 item(s) of a batch unprocessed in table after repeated retries',
        [],
      ),
    );
    expect(ddbMock.commandCalls(BatchWriteCommand)).toHaveLength(4);
  });

  it('surfaces an SDK error as it is', async () => {
    ddbMock
      .on(BatchWriteCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(batchWrite(documentClient(), 'table', [put('a')], retry)).rejects.toThrow('denied');
  });

  it('does nothing for no requests and refuses more than 25', async () => {
    await batchWrite(documentClient(), 'table', [], retry);
    expect(ddbMock.calls()).toHaveLength(0);
    await expect(
      batchWrite(
        documentClient(),
        'table',
        Array.from({ length: 26 }, (_, i) => put(`${i}`)),
      ),
    ).rejects.toThrow(RangeError);
  });
});

describe('batchWriteAll', () => {
  it('writes every request in batches of 25', async () => {
    ddbMock.on(BatchWriteCommand).resolves({});
    await batchWriteAll(
      documentClient(),
      'table',
      Array.from({ length: 60 }, (_, i) => put(`${i}`)),
      { concurrency: 2 },
    );
    const sizes = ddbMock
      .commandCalls(BatchWriteCommand)
      .map((c) => c.args[0].input.RequestItems?.table?.length);
    expect(sizes).toEqual([25, 25, 10]);
  });

  it('lets every batch of a round settle before it reports the first failure (no write outlives it)', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let slowBatchDone = false;
    ddbMock
      .on(BatchWriteCommand)
      .callsFake(async (input: { RequestItems: Record<string, WriteRequest[]> }) => {
        if (input.RequestItems.table?.[0]?.PutRequest?.Item.id === '0') throw new Error('first batch failed');
        await gate;
        slowBatchDone = true;
        return {};
      });
    let settled = false;
    const outcome = batchWriteAll(
      documentClient(),
      'table',
      Array.from({ length: 50 }, (_, i) => put(`${i}`)),
      { concurrency: 2 },
    ).finally(() => {
      settled = true;
    });
    outcome.catch(() => undefined);
    for (let i = 0; i < 50; i += 1) await Promise.resolve();
    expect(settled).toBe(false);
    release();
    await expect(outcome).rejects.toThrow('first batch failed');
    expect(slowBatchDone).toBe(true);
  });
});

describe('sendMessages', () => {
  it('sends in batches of 10 and retries only the failed entries', async () => {
    let firstCall = true;
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => {
      if (firstCall && input.Entries.length === 10) {
        firstCall = false;
        return { Failed: [{ Id: input.Entries[3]!.Id, Code: 'InternalError', SenderFault: false }] };
      }
      return { Successful: [] };
    });
    const bodies = Array.from({ length: 12 }, (_, i) => `{"n":${i}}`);
    await sendMessages(sqsClient(), 'queue-url', bodies, retry);
    const calls = sqsMock
      .commandCalls(SendMessageBatchCommand)
      .map((c) => c.args[0].input.Entries?.map((e) => e.MessageBody));
    expect(calls).toEqual([bodies.slice(0, 10), ['{"n":3}'], bodies.slice(10)]);
    expect(sleeps).toHaveLength(1);
  });

  it('fails at once on a sender fault, naming the code and never the body', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Failed: [{ Id: input.Entries[0]!.Id, Code: 'InvalidMessageContents', SenderFault: true }],
    }));
    const attempt = sendMessages(sqsClient(), 'queue-url', ['{"email":"secret@example.com"}'], retry);
    await expect(attempt).rejects.toThrow(
      'SendMessageBatch to queue-url: 1 entry failed (InvalidMessageContents)',
    );
    await attempt.catch((e: Error) => expect(e.message).not.toContain('secret'));
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });

  it('surfaces an SDK error as it is', async () => {
    sqsMock.on(SendMessageBatchCommand).rejects(new Error('queue does not exist'));
    await expect(sendMessages(sqsClient(), 'queue-url', ['{}'], retry)).rejects.toThrow(
      'queue does not exist',
    );
  });
});

describe('deleteMessages', () => {
  it('deletes each message once, retrying failed entries, and gives up after the cap', async () => {
    sqsMock
      .on(DeleteMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: 'm2', Code: 'InternalError', SenderFault: false }] })
      .resolves({ Failed: [{ Id: 'm2', Code: 'InternalError', SenderFault: false }] });
    const messages = [
      { MessageId: 'm1', ReceiptHandle: 'r1' },
      { MessageId: 'm2', ReceiptHandle: 'r2' },
      { MessageId: 'm2', ReceiptHandle: 'r2-again' },
    ];
    await expect(
      deleteMessages(sqsClient(), 'queue-url', messages, { ...retry, maxAttempts: 3 }),
    ).rejects.toThrow('DeleteMessageBatch on queue-url: 1 entry failed (InternalError)');
    const calls = sqsMock
      .commandCalls(DeleteMessageBatchCommand)
      .map((c) => c.args[0].input.Entries?.map((e) => e.Id));
    expect(calls).toEqual([['m1', 'm2'], ['m2'], ['m2']]);
  });

  it('succeeds when every entry is deleted', async () => {
    sqsMock.on(DeleteMessageBatchCommand).resolves({});
    await deleteMessages(sqsClient(), 'queue-url', [{ ReceiptHandle: 'r1' }], retry);
    expect(sqsMock).toHaveReceivedCommandWith(DeleteMessageBatchCommand, {
      QueueUrl: 'queue-url',
      Entries: [{ Id: 'message-0', ReceiptHandle: 'r1' }],
    });
  });
});
