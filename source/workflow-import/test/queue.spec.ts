// SPDX-License-Identifier: Apache-2.0
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  SQSClient,
  type BatchResultErrorEntry,
  type ChangeMessageVisibilityBatchCommandInput,
} from '@aws-sdk/client-sqs';
import { mockAws } from '../../test-support/aws-mock';
import { fakeClock } from '../../test-support/fake-clock';
import { BatchFailedError } from '../../utils/batch';
import { deleteAll, isDrained, queueDepth, releaseMessages } from '../lib/queue';
import { NEW_USERS_QUEUE_URL } from './support';

const sqs = mockAws(SQSClient);
const client = new SQSClient({ region: 'us-east-2' });
const messages = (count: number, prefix = 'm') =>
  Array.from({ length: count }, (_, i) => ({
    MessageId: `${prefix}${i}`,
    ReceiptHandle: `rh-${prefix}${i}`,
  }));

function retry() {
  const clock = fakeClock();
  return { now: clock.now, sleep: clock.sleep, random: () => 0.5 };
}

describe('releaseMessages', () => {
  beforeEach(() => {
    sqs.reset();
  });

  it('sets visibility 0 in batches of 10, once per message id (the latest receipt handle)', async () => {
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({});
    const list = [
      ...messages(12),
      { MessageId: 'm0', ReceiptHandle: 'rh-m0-again' },
      { ReceiptHandle: 'rh-no-id' },
    ];
    await releaseMessages(client, NEW_USERS_QUEUE_URL, list, retry());
    const calls = sqs
      .commandCalls(ChangeMessageVisibilityBatchCommand)
      .map((call) => call.args[0].input.Entries ?? []);
    expect(calls.map((entries) => entries.length)).toEqual([10, 3]);
    const entries = calls.flat();
    expect(entries.every((entry) => entry.VisibilityTimeout === 0)).toBe(true);
    expect(entries.find((entry) => entry.Id === 'm0')?.ReceiptHandle).toBe('rh-m0-again');
    expect(entries.find((entry) => entry.Id === 'message-13')?.ReceiptHandle).toBe('rh-no-id');
  });

  it('treats a stale receipt handle (the message was received again) as released', async () => {
    sqs
      .on(ChangeMessageVisibilityBatchCommand)
      .resolves({ Failed: [{ Id: 'm0', Code: 'ReceiptHandleIsInvalid', SenderFault: true }] });
    await expect(releaseMessages(client, NEW_USERS_QUEUE_URL, messages(1), retry())).resolves.toBeUndefined();
    expect(sqs).toHaveReceivedCommandTimes(ChangeMessageVisibilityBatchCommand, 1);
  });

  it('treats a message that is no longer in flight as released', async () => {
    sqs
      .on(ChangeMessageVisibilityBatchCommand)
      .callsFake(async (input: ChangeMessageVisibilityBatchCommandInput) => ({
        Failed: [
          {
            Id: input.Entries?.[0]?.Id,
            Code: 'AWS.SimpleQueueService.MessageNotInflight',
            SenderFault: true,
          },
        ],
      }));
    await expect(releaseMessages(client, NEW_USERS_QUEUE_URL, messages(2), retry())).resolves.toBeUndefined();
    expect(sqs).toHaveReceivedCommandTimes(ChangeMessageVisibilityBatchCommand, 1);
  });

  it('retries failed entries, then fails naming the codes', async () => {
    sqs
      .on(ChangeMessageVisibilityBatchCommand)
      .callsFakeOnce(async (input: ChangeMessageVisibilityBatchCommandInput) => ({
        Failed: [{ Id: input.Entries?.[1]?.Id, Code: 'InternalError', SenderFault: false }],
      }))
      .resolves({});
    await releaseMessages(client, NEW_USERS_QUEUE_URL, messages(3), retry());
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand)[1]!.args[0].input.Entries).toEqual([
      { Id: 'm1', ReceiptHandle: 'rh-m1', VisibilityTimeout: 0 },
    ]);

    sqs.reset();
    sqs
      .on(ChangeMessageVisibilityBatchCommand)
      .callsFake(async (input: ChangeMessageVisibilityBatchCommandInput) => ({
        Failed: (input.Entries ?? []).map((entry) => ({
          Id: entry.Id,
          Code: 'InternalError',
          SenderFault: false,
        })),
      }));
    const error = await releaseMessages(client, NEW_USERS_QUEUE_URL, messages(2), retry()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BatchFailedError);
    expect((error as Error).message).toBe(
      `ChangeMessageVisibilityBatch on ${NEW_USERS_QUEUE_URL}: 2 entries failed (InternalError)`,
    );
    expect(sqs).toHaveReceivedCommandTimes(ChangeMessageVisibilityBatchCommand, 6);
  });

  it('names a failed entry without a code as unknown', async () => {
    // A malformed answer: the SDK's type says every failed entry has an Id and a Code.
    const entry = { SenderFault: true } as BatchResultErrorEntry;
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Failed: [entry] });
    await expect(releaseMessages(client, NEW_USERS_QUEUE_URL, messages(1), retry())).rejects.toThrow(
      `ChangeMessageVisibilityBatch on ${NEW_USERS_QUEUE_URL}: 1 entry failed (unknown)`,
    );
  });

  it('fails at once on a sender fault and passes other errors through', async () => {
    sqs
      .on(ChangeMessageVisibilityBatchCommand)
      .resolves({ Failed: [{ Id: 'm0', Code: 'InvalidParameterValue', SenderFault: true }] });
    await expect(releaseMessages(client, NEW_USERS_QUEUE_URL, messages(1), retry())).rejects.toThrow(
      `ChangeMessageVisibilityBatch on ${NEW_USERS_QUEUE_URL}: 1 entry failed (InvalidParameterValue)`,
    );
    expect(sqs).toHaveReceivedCommandTimes(ChangeMessageVisibilityBatchCommand, 1);

    sqs.reset();
    sqs.on(ChangeMessageVisibilityBatchCommand).rejects(new Error('AccessDenied'));
    await expect(releaseMessages(client, NEW_USERS_QUEUE_URL, messages(1), retry())).rejects.toThrow(
      'AccessDenied',
    );
  });
});

describe('queueDepth and isDrained', () => {
  beforeEach(() => {
    sqs.reset();
  });

  it('reads the three counters, a missing or unreadable one as 0', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: 'n/a' },
    });
    await expect(queueDepth(client, NEW_USERS_QUEUE_URL)).resolves.toEqual({
      visible: 3,
      inFlight: 0,
      delayed: 0,
    });
    sqs.on(GetQueueAttributesCommand).resolves({});
    await expect(queueDepth(client, NEW_USERS_QUEUE_URL)).resolves.toEqual({
      visible: 0,
      inFlight: 0,
      delayed: 0,
    });
  });

  it('is drained only with nothing visible or delayed and nothing in flight beyond what the caller holds', () => {
    expect(isDrained({ visible: 0, inFlight: 2, delayed: 0 }, 2)).toBe(true);
    expect(isDrained({ visible: 0, inFlight: 3, delayed: 0 }, 2)).toBe(false);
    expect(isDrained({ visible: 1, inFlight: 0, delayed: 0 }, 0)).toBe(false);
    expect(isDrained({ visible: 0, inFlight: 0, delayed: 1 }, 0)).toBe(false);
  });
});

describe('deleteAll', () => {
  beforeEach(() => {
    sqs.reset();
  });

  it('deletes every message in batches of 10, several batches at a time', async () => {
    let inFlight = 0;
    let most = 0;
    sqs.on(DeleteMessageBatchCommand).callsFake(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      for (let turn = 0; turn < 5; turn += 1) await Promise.resolve();
      inFlight -= 1;
      return {};
    });
    await deleteAll(client, NEW_USERS_QUEUE_URL, messages(95), { concurrency: 3, retry: retry() });
    const entries = sqs
      .commandCalls(DeleteMessageBatchCommand)
      .flatMap((call) => call.args[0].input.Entries ?? []);
    expect(entries.map((entry) => entry.Id).sort()).toEqual(
      messages(95)
        .map((m) => m.MessageId)
        .sort(),
    );
    expect(most).toBe(3);
  });

  it('fails when a batch fails, after the others settle', async () => {
    sqs.on(DeleteMessageBatchCommand).rejectsOnce(new Error('boom')).resolves({});
    await expect(
      deleteAll(client, NEW_USERS_QUEUE_URL, messages(30), { concurrency: 2, retry: retry() }),
    ).rejects.toThrow('boom');
  });
});
