// SPDX-License-Identifier: Apache-2.0
import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs } from '../../test-support/capture-logs';
import { fakeClock } from '../../test-support/fake-clock';
import { HOLD_SECONDS, holdSecondsFor, MessageHolds, MIN_HOLD_SECONDS } from '../lib/holds';
import { FakeQueue } from './fake-queue';
import { UPDATES_QUEUE_URL } from './support';

const sqs = mockAws(SQSClient);
const client = new SQSClient({ region: 'us-east-1' });

function setup(holdSeconds?: number) {
  const clock = fakeClock();
  const logs = captureLogs();
  const queue = new FakeQueue(clock, UPDATES_QUEUE_URL).serve(sqs);
  for (let i = 0; i < 5; i += 1) queue.send({ n: i });
  const holds = new MessageHolds({
    sqs: client,
    queueUrl: UPDATES_QUEUE_URL,
    now: clock.now,
    retry: { now: clock.now, sleep: clock.sleep, random: () => 0.5 },
    logger: logs.logger(),
    ...(holdSeconds === undefined ? {} : { holdSeconds }),
  });
  /** Receives like the invocation does: with the hold's visibility, recorded from the request time. */
  const receive = (max: number) => {
    const requestedAt = clock.now();
    const messages = queue.receive(max, holds.holdSeconds);
    holds.add(messages, requestedAt);
    return messages;
  };
  return { clock, logs, queue, holds, receive };
}

describe('holdSecondsFor', () => {
  it('is two minutes for a long invocation, a seventh of a short one, never under the minimum', () => {
    expect(holdSecondsFor(undefined)).toBe(HOLD_SECONDS);
    expect(holdSecondsFor(900_000)).toBe(HOLD_SECONDS);
    expect(holdSecondsFor(280_000)).toBe(40);
    expect(holdSecondsFor(30_000)).toBe(MIN_HOLD_SECONDS);
  });
});

describe('MessageHolds', () => {
  beforeEach(() => {
    sqs.reset();
  });

  it('extends nothing while every hold has more than a minute left, then only the holds due', async () => {
    const { clock, queue, holds, receive } = setup();
    const [early] = receive(1);
    clock.advance(30_000);
    const [late] = receive(1);
    await holds.keepAlive();
    expect(queue.visibilityChanges).toEqual([]);

    clock.advance(35_000); // early ends in 55 s, late in 85 s
    await expect(holds.keepAlive()).resolves.toEqual([]);
    expect(queue.visibilityChanges.map((change) => [change.id, change.seconds])).toEqual([
      [early?.MessageId, HOLD_SECONDS],
    ]);
    expect(holds.extensions).toBe(1);
    // Nobody else gets either message while they are held (only the three never received).
    clock.advance(60_000);
    expect(queue.receive(10, 30)).toHaveLength(3);
    expect(holds.isHeld(late ?? {})).toBe(true);
  });

  it('extends every hold with `all`; concurrent checkpoints take turns, each extending what is due', async () => {
    const { queue, holds, receive } = setup();
    receive(3);
    await Promise.all([holds.keepAlive({ all: true }), holds.keepAlive({ all: true })]);
    // The second checkpoint waited for the first round to end, then made its own (it asked for all).
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand)).toHaveLength(2);
    expect(queue.visibilityChanges).toHaveLength(6);
  });

  it('reports, forgets and logs (ids only) a message whose hold ended before it was extended', async () => {
    const { clock, logs, queue, holds, receive } = setup(30);
    const [lost] = receive(1);
    clock.advance(31_000);
    // Another consumer receives it meanwhile: the old receipt handle is stale.
    expect(queue.receive(1, 30)).toHaveLength(1);
    const gone = await holds.keepAlive();
    expect(gone.map((message) => message.MessageId)).toEqual([lost?.MessageId]);
    expect(holds.lost.map((message) => message.MessageId)).toEqual([lost?.MessageId]);
    expect(holds.size).toBe(0);
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'Messages were no longer held when their hold was to be extended',
        lost: 1,
        messageIds: [lost?.MessageId],
      }),
    );
  });

  it('gives every held message back at once with releaseAll', async () => {
    const { queue, holds, receive } = setup();
    receive(2);
    await holds.releaseAll();
    expect(holds.size).toBe(0);
    expect(queue.depth()).toEqual({ visible: 5, inFlight: 0, delayed: 0 });
    await holds.release([]);
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand)).toHaveLength(1);
  });

  it('records no hold for a message without a receipt handle', () => {
    const { holds } = setup();
    holds.add([{ MessageId: 'no-handle' }], 0);
    expect(holds.size).toBe(0);
    expect(holds.firstEnd()).toBe(Number.POSITIVE_INFINITY);
  });
});
