// SPDX-License-Identifier: Apache-2.0
/**
 * How long a consumer keeps the messages it received. A message is received for `HOLD_SECONDS`
 * only and extended (ChangeMessageVisibilityBatch) while the invocation still works on it, at the
 * invocation's checkpoints (every receive, every batch of work); it is deleted when done or released
 * (visibility 0) when given back. If the invocation dies, nobody extends its holds, and its messages
 * are visible again within `HOLD_SECONDS`: a retry waits a minute or two for them, not the fifteen
 * minutes of a hold that covered the whole Lambda timeout.
 */
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { ReceivedMessage } from '../../utils/batch';
import { TaskGroup } from '../../utils/concurrency';
import type { Now } from '../../utils/time';
import type { Logger } from '../../utils/logger';
import type { RetryOptions } from '../../utils/retry';
import { changeVisibility } from './queue';

/** Visibility asked for with every receive and set by every extension. */
export const HOLD_SECONDS = 120;
/** A hold that ends within this much time is extended at the next checkpoint. */
export const EXTEND_MARGIN_MS = 60_000;
/** The shortest hold: one long poll and a few calls. */
export const MIN_HOLD_SECONDS = 20;

/**
 * The hold of an invocation: `HOLD_SECONDS`, or a seventh of the invocation's time when that is
 * shorter (a Lambda with a short timeout reaches its checkpoints sooner), at least `MIN_HOLD_SECONDS`.
 */
export function holdSecondsFor(remainingMs: number | undefined): number {
  if (remainingMs === undefined) return HOLD_SECONDS;
  return Math.max(MIN_HOLD_SECONDS, Math.min(HOLD_SECONDS, Math.ceil(remainingMs / 7000)));
}

/** ChangeMessageVisibilityBatch calls in flight at once while extending. */
const EXTEND_CONCURRENCY = 16;

interface Hold {
  message: ReceivedMessage;
  /** Epoch ms at which the message becomes visible again unless extended (conservative). */
  until: number;
}

export interface MessageHoldsDeps {
  sqs: SQSClient;
  queueUrl: string;
  now: Now;
  retry: RetryOptions;
  logger: Logger;
  holdSeconds?: number;
}

/** The messages one invocation holds on one queue, keyed by receipt handle. */
export class MessageHolds {
  private readonly held = new Map<string, Hold>();
  private extending: Promise<ReceivedMessage[]> | undefined;
  /** No hold ends before this (kept cheap: a checkpoint with nothing due costs no scan). */
  private earliest = Number.POSITIVE_INFINITY;
  /** ChangeMessageVisibilityBatch entries sent to extend holds (for the logs). */
  extensions = 0;
  /** Messages whose hold ended before this invocation was done with them. */
  readonly lost: ReceivedMessage[] = [];

  constructor(private readonly deps: MessageHoldsDeps) {}

  /** The visibility timeout to ask for in ReceiveMessage. */
  get holdSeconds(): number {
    return this.deps.holdSeconds ?? HOLD_SECONDS;
  }

  get size(): number {
    return this.held.size;
  }

  /** Records received messages; `requestedAt` is the time taken before the ReceiveMessage call. */
  add(messages: readonly Message[], requestedAt: number): void {
    for (const message of messages) {
      if (message.ReceiptHandle === undefined) continue;
      const until = requestedAt + this.holdSeconds * 1000;
      this.held.set(message.ReceiptHandle, { message, until });
      this.earliest = Math.min(this.earliest, until);
    }
  }

  /** Forgets messages that were deleted. */
  drop(messages: readonly ReceivedMessage[]): void {
    for (const message of messages) this.held.delete(message.ReceiptHandle ?? '');
  }

  isHeld(message: ReceivedMessage): boolean {
    return this.held.has(message.ReceiptHandle ?? '');
  }

  /** Epoch ms at which the first hold ends (infinity when nothing is held). */
  firstEnd(): number {
    let first = Number.POSITIVE_INFINITY;
    for (const hold of this.held.values()) first = Math.min(first, hold.until);
    return first;
  }

  /**
   * The checkpoint: extends every hold that ends within `EXTEND_MARGIN_MS` (all of them with
   * `all`). Returns the messages whose hold had already ended; they are no longer held. Concurrent
   * callers share one round of extensions.
   */
  async keepAlive(options: { all?: boolean } = {}): Promise<ReceivedMessage[]> {
    while (this.extending) await this.extending;
    const threshold = options.all ? Number.POSITIVE_INFINITY : this.deps.now() + EXTEND_MARGIN_MS;
    if (this.earliest > threshold) return [];
    const due = [...this.held.values()].filter((hold) => hold.until <= threshold);
    if (due.length === 0) {
      this.earliest = this.firstEnd();
      return [];
    }
    this.extending = this.extend(due);
    try {
      return await this.extending;
    } finally {
      this.extending = undefined;
    }
  }

  /** Gives messages back, at once by default (visibility 0); they are no longer held. */
  async release(messages: readonly ReceivedMessage[], visibilitySeconds = 0): Promise<void> {
    if (messages.length === 0) return;
    await changeVisibility(this.deps.sqs, this.deps.queueUrl, messages, visibilitySeconds, this.deps.retry);
    this.drop(messages);
  }

  /** Gives every held message back. */
  async releaseAll(): Promise<void> {
    await this.release([...this.held.values()].map((hold) => hold.message));
  }

  private async extend(due: Hold[]): Promise<ReceivedMessage[]> {
    const { sqs, queueUrl, retry } = this.deps;
    const startedAt = this.deps.now();
    const lost: ReceivedMessage[] = [];
    const group = new TaskGroup(EXTEND_CONCURRENCY);
    try {
      for (let i = 0; i < due.length; i += 10) {
        const batch = due.slice(i, i + 10);
        await group.add(async () => {
          const result = await changeVisibility(
            sqs,
            queueUrl,
            batch.map((hold) => hold.message),
            this.holdSeconds,
            retry,
          );
          const gone = new Set(result.lost.map((message) => message.ReceiptHandle));
          for (const hold of batch) {
            if (gone.has(hold.message.ReceiptHandle)) continue;
            hold.until = startedAt + this.holdSeconds * 1000;
          }
          lost.push(...result.lost);
        });
      }
    } finally {
      await group.drain();
    }
    this.extensions += due.length;
    this.drop(lost);
    this.earliest = this.firstEnd();
    this.lost.push(...lost);
    if (lost.length > 0) {
      this.deps.logger.warn('Messages were no longer held when their hold was to be extended', {
        lost: lost.length,
        messageIds: lost.slice(0, 20).map((message) => message.MessageId),
      });
    }
    return lost;
  }
}
