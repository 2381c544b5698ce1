// SPDX-License-Identifier: Apache-2.0
/**
 * A standard SQS queue on the fake clock, served through the aws-sdk-client-mock stub: visibility
 * timeouts, receipt handles that go stale when a message is received again, ChangeMessageVisibility,
 * deletes, and the three depth counters. An empty receive long-polls: the clock moves on to the end
 * of the wait, or to the moment an in-flight message comes back, whichever is first.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type ChangeMessageVisibilityBatchCommandInput,
  type DeleteMessageBatchCommandInput,
  type Message,
  type ReceiveMessageCommandInput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { FakeClock } from '../../test-support/fake-clock';

interface Stored {
  id: string;
  body: string;
  visibleAt: number;
  handle: string | undefined;
  receives: number;
}

export class FakeQueue {
  private readonly messages = new Map<string, Stored>();
  private sequence = 0;
  /** Every visibility change asked for: message id, seconds, and when. */
  readonly visibilityChanges: { id: string; seconds: number; at: number }[] = [];
  readonly deletedIds: string[] = [];
  private readonly receiveCounts = new Map<string, number>();
  private readonly receivedAt = new Map<string, number>();

  constructor(
    private readonly clock: FakeClock,
    readonly queueUrl: string,
  ) {}

  send(body: unknown, id?: string): string {
    this.sequence += 1;
    const messageId = id ?? `q-${this.sequence}`;
    this.messages.set(messageId, {
      id: messageId,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      visibleAt: 0,
      handle: undefined,
      receives: 0,
    });
    return messageId;
  }

  /** Receives like another consumer would (e.g. an invocation that then dies). */
  receive(max: number, visibilitySeconds: number): Message[] {
    const now = this.clock.now();
    const out: Message[] = [];
    for (const stored of this.messages.values()) {
      if (out.length >= max) break;
      if (stored.visibleAt > now) continue;
      this.sequence += 1;
      stored.handle = `rh-${stored.id}-${this.sequence}`;
      stored.visibleAt = now + visibilitySeconds * 1000;
      stored.receives += 1;
      this.receiveCounts.set(stored.id, stored.receives);
      this.receivedAt.set(stored.id, now);
      out.push({ MessageId: stored.id, ReceiptHandle: stored.handle, Body: stored.body });
    }
    return out;
  }

  depth(): { visible: number; inFlight: number; delayed: number } {
    const now = this.clock.now();
    let visible = 0;
    let inFlight = 0;
    for (const stored of this.messages.values()) {
      if (stored.visibleAt > now) inFlight += 1;
      else visible += 1;
    }
    return { visible, inFlight, delayed: 0 };
  }

  get size(): number {
    return this.messages.size;
  }

  /** When the message was last received. */
  lastReceivedAt(id: string): number | undefined {
    return this.receivedAt.get(id);
  }

  receivesOf(id: string): number {
    return this.receiveCounts.get(id) ?? 0;
  }

  /** Serves ReceiveMessage, ChangeMessageVisibilityBatch, DeleteMessageBatch and GetQueueAttributes. */
  serve(stub: AwsClientStub<SQSClient>): this {
    stub
      .on(ReceiveMessageCommand, { QueueUrl: this.queueUrl })
      .callsFake(async (input: ReceiveMessageCommandInput) => {
        const max = input.MaxNumberOfMessages ?? 1;
        const visibility = input.VisibilityTimeout ?? 30;
        let messages = this.receive(max, visibility);
        if (messages.length === 0 && (input.WaitTimeSeconds ?? 0) > 0) {
          const waitEnd = this.clock.now() + (input.WaitTimeSeconds ?? 0) * 1000;
          const back = Math.min(...[...this.messages.values()].map((stored) => stored.visibleAt));
          this.clock.advance(Math.max(0, Math.min(waitEnd, back) - this.clock.now()));
          messages = this.receive(max, visibility);
        }
        return { Messages: messages };
      });
    stub
      .on(ChangeMessageVisibilityBatchCommand, { QueueUrl: this.queueUrl })
      .callsFake(async (input: ChangeMessageVisibilityBatchCommandInput) => {
        const now = this.clock.now();
        const Successful: { Id: string }[] = [];
        const Failed: { Id: string; Code: string; SenderFault: boolean; Message: string }[] = [];
        for (const entry of input.Entries ?? []) {
          const stored = [...this.messages.values()].find((m) => m.handle === entry.ReceiptHandle);
          if (!stored || stored.visibleAt <= now) {
            Failed.push({
              Id: entry.Id ?? '',
              Code: 'ReceiptHandleIsInvalid',
              SenderFault: true,
              Message: 'stale',
            });
            continue;
          }
          stored.visibleAt = now + (entry.VisibilityTimeout ?? 0) * 1000;
          this.visibilityChanges.push({ id: stored.id, seconds: entry.VisibilityTimeout ?? 0, at: now });
          Successful.push({ Id: entry.Id ?? '' });
        }
        return { Successful, Failed };
      });
    stub
      .on(DeleteMessageBatchCommand, { QueueUrl: this.queueUrl })
      .callsFake(async (input: DeleteMessageBatchCommandInput) => {
        const Successful: { Id: string }[] = [];
        const Failed: { Id: string; Code: string; SenderFault: boolean }[] = [];
        for (const entry of input.Entries ?? []) {
          const stored = [...this.messages.values()].find((m) => m.handle === entry.ReceiptHandle);
          if (!stored) {
            Failed.push({ Id: entry.Id ?? '', Code: 'ReceiptHandleIsInvalid', SenderFault: true });
            continue;
          }
          this.messages.delete(stored.id);
          this.deletedIds.push(stored.id);
          Successful.push({ Id: entry.Id ?? '' });
        }
        return { Successful, Failed };
      });
    stub.on(GetQueueAttributesCommand, { QueueUrl: this.queueUrl }).callsFake(async () => {
      const depth = this.depth();
      return {
        Attributes: {
          ApproximateNumberOfMessages: String(depth.visible),
          ApproximateNumberOfMessagesNotVisible: String(depth.inFlight),
          ApproximateNumberOfMessagesDelayed: String(depth.delayed),
        },
      };
    });
    return this;
  }
}
