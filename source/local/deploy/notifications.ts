// SPDX-License-Identifier: Apache-2.0
/**
 * The notifications a deployment's SNS topic sends, as an operator's inbox would see them: a queue
 * subscribed to the topic, read and emptied on demand, each message classified as success or error.
 */
import { randomUUID } from 'node:crypto';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { EmulatorClients, EmulatorEndpoints } from './endpoints';

export interface Notification {
  message: string;
  /** The SNS Subject, as an e-mail subscription shows it. */
  subject?: string;
  kind: 'success' | 'error' | 'other';
}

function classify(message: string, subject = ''): Notification['kind'] {
  if (/completed successfully/i.test(message)) return 'success';
  // "RestoreDrillWorkflow failed: the backup did not restore": the drill's own failure notification.
  if (/^\S+ failed: /.test(subject)) return 'error';
  // An expected refusal ("The <workflow> stopped: ...") is an error notification too.
  if (/error/i.test(message) || /^The \S+ stopped: /.test(message)) return 'error';
  return 'other';
}

export class NotificationInbox {
  private queueUrl = '';
  private readonly received: Notification[] = [];

  constructor(
    private readonly endpoints: Pick<EmulatorEndpoints, 'region' | 'accountId'>,
    private readonly clients: Pick<EmulatorClients, 'sqs' | 'sns'>,
  ) {}

  /** Subscribes a counting queue to the topic; `notifications` reads it. */
  async subscribe(topicArn: string): Promise<void> {
    const name = `local-run-notifications-${randomUUID().slice(0, 8)}`;
    const queue = await this.clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
    this.queueUrl = queue.QueueUrl ?? '';
    const arn = `arn:aws:sqs:${this.endpoints.region}:${this.endpoints.accountId}:${name}`;
    await this.clients.sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: arn }));
  }

  /** Every SNS message the topic has delivered so far (read from the subscribed counting queue). */
  async read(): Promise<Notification[]> {
    if (this.queueUrl === '') return this.received;
    for (;;) {
      const batch = await this.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
        }),
      );
      const messages = batch.Messages ?? [];
      if (messages.length === 0) break;
      for (const message of messages) {
        let text = message.Body ?? '';
        let subject: string | undefined;
        try {
          const envelope = JSON.parse(text) as { Message?: string; Subject?: string };
          if (typeof envelope.Message === 'string') text = envelope.Message;
          if (typeof envelope.Subject === 'string') subject = envelope.Subject;
        } catch {
          // a raw (non-envelope) delivery: keep the body
        }
        this.received.push({
          message: text,
          ...(subject !== undefined ? { subject } : {}),
          kind: classify(text, subject),
        });
      }
      await this.clients.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle ?? '',
          })),
        }),
      );
    }
    return [...this.received];
  }
}
