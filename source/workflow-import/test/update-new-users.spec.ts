// SPDX-License-Identifier: Apache-2.0
import {
  AdminAddUserToGroupCommand,
  AdminDisableUserCommand,
  CognitoIdentityProviderClient,
  CognitoIdentityProviderServiceException,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type DeleteMessageBatchCommandInput,
  type Message,
} from '@aws-sdk/client-sqs';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs } from '../../test-support/capture-logs';
import { fakeClock, type FakeClock } from '../../test-support/fake-clock';
import { lambdaContext } from '../../test-support/lambda-context';
import { fakeRuntime } from '../../test-support/runtime';
import { createHandler, ENVIRONMENT } from '../update-new-users';
import { FakeQueue } from './fake-queue';
import { creationKey } from '../lib/create-user-pool';
import {
  MAPPING_BUCKET,
  membershipItem,
  message,
  POOL_ID,
  serveBucket,
  subOf,
  TYPE_USER,
  UPDATES_QUEUE_URL,
  userItem,
  wrapped,
} from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const sqs = mockAws(SQSClient);
const s3 = mockAws(S3Client);

const ENV = {
  COGNITO_TPS: '10',
  NEW_USERS_UPDATES_QUEUE_URL: UPDATES_QUEUE_URL,
  TYPE_USER,
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: MAPPING_BUCKET,
};
const STATE = { stateName: 'UpdateNewUsers' };

function setup(env: Record<string, string | undefined> = ENV) {
  const clock = fakeClock();
  const logs = captureLogs();
  return { clock, logs, handler: createHandler(fakeRuntime(clock, env, { write: logs.write })) };
}

function awsError(name: string, extra: Record<string, unknown> = {}) {
  return Object.assign(
    new CognitoIdentityProviderServiceException({
      name,
      $fault: 'client',
      message: `${name} happened`,
      $metadata: {},
    }),
    extra,
  );
}

/** Serves the batches to successive receives (recording when, and for how long, each was held), then empties. */
function queueServes(clock: FakeClock | undefined, ...batches: Message[][]) {
  const holds = new Map<string, number>();
  let next = 0;
  sqs.on(ReceiveMessageCommand).callsFake(async (input: { VisibilityTimeout?: number }) => {
    const batch = batches[next] ?? [];
    next += 1;
    for (const m of batch)
      holds.set(m.ReceiptHandle ?? '', (clock?.now() ?? 0) + (input.VisibilityTimeout ?? 30) * 1000);
    return { Messages: batch };
  });
  return holds;
}

const EMPTY_QUEUE = {
  ApproximateNumberOfMessages: '0',
  ApproximateNumberOfMessagesNotVisible: '0',
  ApproximateNumberOfMessagesDelayed: '0',
};

/** The progress an invocation hands on when it made progress at the clock's current time. */
const progressNow = (clock: FakeClock) => ({ Step: 'UpdateNewUsers', LastProgressTime: clock.now() });

const deleted = () =>
  sqs
    .commandCalls(DeleteMessageBatchCommand)
    .flatMap((call) => (call.args[0].input as DeleteMessageBatchCommandInput).Entries ?? [])
    .map((entry) => entry.ReceiptHandle);

describe('update-new-users', () => {
  beforeEach(() => {
    cognito.reset();
    sqs.reset();
    cognito.on(AdminAddUserToGroupCommand).resolves({});
    cognito.on(AdminDisableUserCommand).resolves({});
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: EMPTY_QUEUE });
  });

  it('declares the variables it reads', () => {
    expect(Object.keys(ENVIRONMENT).sort()).toEqual(Object.keys(ENV).sort());
  });

  it('answers QueueEmpty true for an empty queue, carrying the input and the state name', async () => {
    queueServes(undefined);
    const { handler, clock } = setup();
    await expect(handler(wrapped({ Carried: 1 }, STATE), lambdaContext(clock, 900_000))).resolves.toEqual({
      result: { Carried: 1, QueueEmpty: true, StateName: 'UpdateNewUsers', Progress: progressNow(clock) },
    });
    expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, {
      QueueUrl: UPDATES_QUEUE_URL,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 3,
      VisibilityTimeout: 120,
    });
  });

  it('works on the pool the execution created (CreateUserPool), whose id is in the work file', async () => {
    const bucket = new Map([[creationKey('restore-1'), JSON.stringify({ UserPoolId: POOL_ID, Done: true })]]);
    s3.reset();
    serveBucket(s3, bucket);
    queueServes(undefined, [message(membershipItem('admins', 1))]);
    const event = wrapped({}, STATE);
    event.Context!.Execution.Input = { CreateUserPool: { PoolName: 'restored' } };
    event.Context!.Execution.Name = 'restore-1';
    const { handler, clock } = setup();
    await handler(event, lambdaContext(clock, 900_000));
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: MAPPING_BUCKET,
      Key: 'restore-work/created-user-pools/restore-1.json',
    });
    expect(cognito).toHaveReceivedCommandWith(AdminAddUserToGroupCommand, { UserPoolId: POOL_ID });
  });

  it('adds no StateName without a state in the context', async () => {
    queueServes(undefined);
    const event = wrapped({ Carried: 1 });
    const { handler, clock } = setup();
    await expect(handler(event)).resolves.toEqual({
      result: { Carried: 1, QueueEmpty: true, Progress: progressNow(clock) },
    });
  });

  it('adds members to groups, disables disabled users, and deletes the messages', async () => {
    const membership = message(membershipItem('admins', 1));
    const enabledOtherType = message({
      ...membershipItem('readers', 2),
      type: 'user : uuid',
      userEnabled: true,
    });
    const disabled = message(userItem(3, { userEnabled: false }));
    queueServes(undefined, [membership, enabledOtherType, disabled]);
    await expect(setup().handler(wrapped({}, STATE))).resolves.toEqual({
      result: expect.objectContaining({ QueueEmpty: true, StateName: 'UpdateNewUsers' }),
    });
    expect(cognito).toHaveReceivedCommandWith(AdminAddUserToGroupCommand, {
      UserPoolId: POOL_ID,
      GroupName: 'admins',
      Username: 'user1@example.com',
    });
    expect(cognito).toHaveReceivedCommandWith(AdminAddUserToGroupCommand, {
      GroupName: 'readers',
      Username: 'user2@example.com',
    });
    expect(cognito).toHaveReceivedCommandWith(AdminDisableUserCommand, {
      UserPoolId: POOL_ID,
      Username: 'user3@example.com',
    });
    expect(cognito).toHaveReceivedCommandTimes(AdminDisableUserCommand, 1);
    expect(deleted().sort()).toEqual(
      [membership, enabledOtherType, disabled].map((m) => m.ReceiptHandle).sort(),
    );
  });

  it('treats an enabled TYPE_USER item as a membership (original rule) and fails clearly on its missing fields', async () => {
    queueServes(undefined, [message(userItem(4, { userEnabled: true }), 'mid-4')]);
    await expect(setup().handler(wrapped({}, STATE))).rejects.toThrow(
      'The update message mid-4 (a group membership) has no groupName or groupPseudoUsername',
    );
  });

  it('fails clearly on a body that is not an item or a disabled user without pseudoUsername', async () => {
    queueServes(undefined, [message('not json', 'mid-5')]);
    await expect(setup().handler(wrapped({}, STATE))).rejects.toThrow(
      'The update message mid-5 is not a backup item',
    );
    sqs.reset();
    queueServes(undefined, [message(userItem(6, { userEnabled: false, pseudoUsername: '' }), 'mid-6')]);
    await expect(setup().handler(wrapped({}, STATE))).rejects.toThrow(
      'The update message mid-6 (a disabled user) has no pseudoUsername',
    );
  });

  it('surfaces a DeleteMessageBatch error', async () => {
    queueServes(undefined, [message(membershipItem('admins', 1))]);
    sqs.on(DeleteMessageBatchCommand).rejects(new Error('DeletionError'));
    await expect(setup().handler(wrapped({}, STATE))).rejects.toThrow('DeletionError');
  });

  // The original ignored Failed entries.
  it('resends failed delete entries and fails when they keep failing', async () => {
    const batch = [message(membershipItem('a', 1)), message(membershipItem('a', 2))];
    queueServes(undefined, batch);
    sqs
      .on(DeleteMessageBatchCommand)
      .callsFakeOnce(async (input: DeleteMessageBatchCommandInput) => ({
        Failed: [{ Id: input.Entries?.[1]?.Id, Code: 'InternalError', SenderFault: false }],
      }))
      .resolves({});
    await expect(setup().handler(wrapped({}, STATE))).resolves.toEqual({
      result: expect.objectContaining({ QueueEmpty: true }),
    });
    expect(sqs.commandCalls(DeleteMessageBatchCommand)[1]!.args[0].input.Entries).toHaveLength(1);

    sqs.reset();
    queueServes(undefined, [message(membershipItem('a', 3))]);
    sqs
      .on(DeleteMessageBatchCommand)
      .resolves({ Failed: [{ Id: 'x', Code: 'ReceiptHandleIsInvalid', SenderFault: true }] });
    await expect(setup().handler(wrapped({}, STATE))).rejects.toThrow(
      /DeleteMessageBatch on .*: 1 entry failed \(ReceiptHandleIsInvalid\)/,
    );
  });

  it('never starts more than COGNITO_TPS calls in any one-second window (fake clock)', async () => {
    const { handler, clock } = setup({ ...ENV, COGNITO_TPS: '5' });
    const batches = Array.from({ length: 6 }, (_, b) =>
      Array.from({ length: 10 }, (_, i) => message(membershipItem(`g${b}`, b * 10 + i))),
    );
    queueServes(clock, ...batches);
    const starts: number[] = [];
    cognito.on(AdminAddUserToGroupCommand).callsFake(async () => {
      starts.push(clock.now());
      clock.advance(120); // each call takes a while
      return {};
    });
    const output = await handler(wrapped({}, STATE), lambdaContext(clock, 900_000));
    expect(output).toEqual({
      result: { QueueEmpty: true, StateName: 'UpdateNewUsers', Progress: progressNow(clock) },
    });
    expect(starts).toHaveLength(60);
    const inWindow = (start: number) => starts.filter((t) => t >= start && t < start + 1000).length;
    expect(Math.max(...starts.map(inWindow))).toBe(5);
    expect(deleted()).toHaveLength(60);
  });

  // The original waited from the timestamp taken before the previous call (here 1,301 ms, not 1,000).
  it('waits exactly what the limiter requires, not from stale timestamps', async () => {
    const { handler, clock } = setup({ ...ENV, COGNITO_TPS: '1' });
    queueServes(clock, [
      message(membershipItem('g', 1)),
      message(membershipItem('g', 2)),
      message(membershipItem('g', 3)),
    ]);
    const t0 = clock.now();
    const starts: number[] = [];
    cognito.on(AdminAddUserToGroupCommand).callsFake(async () => {
      starts.push(clock.now() - t0);
      clock.advance(300);
      return {};
    });
    await handler(wrapped({}, STATE));
    expect(starts).toEqual([0, 1000, 2000]);
  });

  // The original held messages for the queue's 30 s while retrying for longer.
  it('holds a message for two minutes and extends the hold while its calls are retried, so nobody else gets it', async () => {
    const { handler, clock } = setup();
    const queue = new FakeQueue(clock, UPDATES_QUEUE_URL).serve(sqs);
    const slow = queue.send(membershipItem('g', 1));
    const quick = queue.send(membershipItem('g', 2));
    // Throttled 5 times, each answer taking 25 s: more than two minutes on one message, then fine.
    let throttles = 0;
    cognito.on(AdminAddUserToGroupCommand).callsFake(async (input: { Username?: string }) => {
      if (input.Username === 'user1@example.com' && throttles < 5) {
        throttles += 1;
        clock.advance(25_000);
        // Nobody else can receive the message while it is worked on.
        expect(queue.receive(10, 30).map((m) => m.MessageId)).not.toContain(slow);
        throw awsError('TooManyRequestsException');
      }
      return {};
    });
    const output = await handler(wrapped({}, STATE), lambdaContext(clock, 900_000));
    expect(output.result.QueueEmpty).toBe(true);
    expect(throttles).toBe(5);
    expect(queue.deletedIds.sort()).toEqual([slow, quick].sort());
    expect(queue.receivesOf(slow)).toBe(1);
    const extensions = queue.visibilityChanges.filter((change) => change.id === slow);
    expect(extensions.length).toBeGreaterThanOrEqual(1);
    expect(extensions.every((change) => change.seconds === 120)).toBe(true);
    expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, { VisibilityTimeout: 120 });
  });

  it('waits for messages a dead invocation left in flight, so a retry after a crash loses nothing', async () => {
    const { handler, clock } = setup();
    const queue = new FakeQueue(clock, UPDATES_QUEUE_URL).serve(sqs);
    const ids = Array.from({ length: 25 }, (_, i) => queue.send(membershipItem('g', i)));
    // The crashed invocation received 20 of them (held two minutes) and died.
    expect(queue.receive(10, 120)).toHaveLength(10);
    expect(queue.receive(10, 120)).toHaveLength(10);
    const started = clock.now();
    const output = await handler(wrapped({}, STATE), lambdaContext(clock, 900_000));
    expect(output.result.QueueEmpty).toBe(true);
    expect(queue.deletedIds.sort()).toEqual(ids.sort());
    expect(queue.size).toBe(0);
    expect(cognito).toHaveReceivedCommandTimes(AdminAddUserToGroupCommand, 25);
    // Back within the two-minute hold, not the fifteen minutes of a hold covering the Lambda timeout.
    expect(clock.now() - started).toBeLessThanOrEqual(125_000);
    expect(clock.sleeps.filter((ms) => ms > 1000)).toEqual([]);
  });

  it('lets two invocations that each did part of the queue both finish at once, not wait for each other', async () => {
    const { handler, clock } = setup();
    const queue = new FakeQueue(clock, UPDATES_QUEUE_URL).serve(sqs);
    const ids = Array.from({ length: 13 }, (_, i) => queue.send(membershipItem('g', i)));
    const started = clock.now();
    const outputs = await Promise.all([
      handler(wrapped({}, STATE), lambdaContext(clock, 900_000)),
      handler(wrapped({}, STATE), lambdaContext(clock, 900_000)),
    ]);
    expect(outputs.map((output) => output.result.QueueEmpty)).toEqual([true, true]);
    expect(queue.deletedIds.sort()).toEqual(ids.sort());
    // Neither waited for the other's done-but-undeleted messages to come back (two minutes).
    expect(clock.now() - started).toBeLessThan(30_000);
  });

  it('does not call the queue drained while messages are in flight elsewhere and the time budget ends', async () => {
    const { handler, clock } = setup();
    const queue = new FakeQueue(clock, UPDATES_QUEUE_URL).serve(sqs);
    queue.send(membershipItem('g', 1));
    // Held by someone else for 10 minutes.
    queue.receive(10, 600);
    const output = await handler(wrapped({}, STATE), lambdaContext(clock, 180_000));
    expect(output.result.QueueEmpty).toBe(false);
    expect(queue.size).toBe(1);
    expect(sqs).toHaveReceivedCommand(GetQueueAttributesCommand);
  });

  it('releases a message whose call ran out of retries on throttling and returns a continuation', async () => {
    const { handler, clock, logs } = setup();
    const queue = new FakeQueue(clock, UPDATES_QUEUE_URL).serve(sqs);
    const throttled = queue.send(membershipItem('g', 1));
    const ids = Array.from({ length: 5 }, (_, i) => queue.send(membershipItem('g', i + 2)));
    let throttle = true;
    cognito.on(AdminAddUserToGroupCommand).callsFake(async (input: { Username?: string }) => {
      if (throttle && input.Username === 'user1@example.com') throw awsError('TooManyRequestsException');
      return {};
    });
    const first = await handler(wrapped({}, STATE), lambdaContext(clock, 900_000));
    expect(first.result.QueueEmpty).toBe(false);
    expect(first.result.Progress).toEqual(progressNow(clock));
    expect(
      cognito
        .commandCalls(AdminAddUserToGroupCommand)
        .filter((c) => c.args[0].input.Username === 'user1@example.com'),
    ).toHaveLength(8);
    // Released at once (visibility 0), nothing else lost.
    expect(queue.visibilityChanges).toContainEqual(expect.objectContaining({ id: throttled, seconds: 0 }));
    expect(queue.deletedIds.sort()).toEqual(ids.sort());
    expect(queue.depth()).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    expect(logs.entries().at(-1)).toEqual(
      expect.objectContaining({ released: 1, releasedAfter: 'TooManyRequestsException' }),
    );

    throttle = false;
    const second = await handler(wrapped(first.result, STATE), lambdaContext(clock, 900_000));
    expect(second.result.QueueEmpty).toBe(true);
    expect(queue.size).toBe(0);
    expect(queue.deletedIds).toContain(throttled);
  });

  it('fails only after no progress for 15 minutes, saying so and how to finish', async () => {
    const { handler, clock } = setup();
    const queue = new FakeQueue(clock, UPDATES_QUEUE_URL).serve(sqs);
    queue.send(membershipItem('g', 1));
    cognito.on(AdminAddUserToGroupCommand).rejects(awsError('TooManyRequestsException'));
    const fiveMinutesAgo = { Step: 'UpdateNewUsers', LastProgressTime: clock.now() - 5 * 60_000 };
    const output = await handler(wrapped({ Progress: fiveMinutesAgo }, STATE), lambdaContext(clock, 900_000));
    expect(output.result).toEqual(expect.objectContaining({ QueueEmpty: false, Progress: fiveMinutesAgo }));

    clock.advance(11 * 60_000);
    const error = await handler(wrapped(output.result, STATE), lambdaContext(clock, 900_000)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.name).toBe('NoProgressError');
    expect(error?.message).toMatch(
      /^UpdateNewUsers made no progress for 16 minutes \(the limit is 15 minutes/,
    );
    expect(error?.message).toContain('the last calls ran out of retries on TooManyRequestsException');
    expect(error?.message).toContain(
      `start the ImportWorkflow again with {"NewUserPoolId": "${POOL_ID}", "Resume": true}`,
    );
    // Nothing lost: the message is back in the queue for the resumed run.
    expect(queue.depth()).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
  });

  it('releases a message whose retries would outlast the time budget and reports the queue not empty', async () => {
    const { handler, clock, logs } = setup();
    const stuck = message(membershipItem('g', 1));
    const fine = message(membershipItem('g', 2));
    queueServes(clock, [stuck, fine]);
    cognito.on(AdminAddUserToGroupCommand).callsFake(async (input: { Username?: string }) => {
      if (input.Username === 'user1@example.com') {
        clock.advance(5_000);
        throw awsError('TooManyRequestsException');
      }
      return {};
    });
    await expect(handler(wrapped({}, STATE), lambdaContext(clock, 70_000))).resolves.toEqual({
      result: expect.objectContaining({ QueueEmpty: false, StateName: 'UpdateNewUsers' }),
    });
    expect(deleted()).toEqual([fine.ReceiptHandle]);
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityBatchCommand, {
      QueueUrl: UPDATES_QUEUE_URL,
      Entries: [{ Id: stuck.MessageId, ReceiptHandle: stuck.ReceiptHandle, VisibilityTimeout: 0 }],
    });
    expect(logs.entries().at(-1)).toEqual(expect.objectContaining({ released: 1, added: 1 }));
  });

  it('stops receiving when the time budget is spent', async () => {
    const { handler, clock } = setup();
    sqs.on(ReceiveMessageCommand).callsFake(async () => {
      clock.advance(6_000);
      return { Messages: [message(membershipItem('g', 1))] };
    });
    await expect(handler(wrapped({}, STATE), lambdaContext(clock, 70_000))).resolves.toEqual({
      result: expect.objectContaining({ QueueEmpty: false, StateName: 'UpdateNewUsers' }),
    });
    expect(sqs).toHaveReceivedCommandTimes(ReceiveMessageCommand, 2);
  });

  it('drops an update whose user is not in the new pool, with a log line naming the message only', async () => {
    const missing = message(membershipItem('g', 1));
    queueServes(undefined, [missing]);
    cognito.on(AdminAddUserToGroupCommand).rejects(awsError('UserNotFoundException'));
    const { handler, logs } = setup();
    await expect(handler(wrapped({}, STATE))).resolves.toEqual({
      result: expect.objectContaining({ QueueEmpty: true, StateName: 'UpdateNewUsers' }),
    });
    expect(deleted()).toEqual([missing.ReceiptHandle]);
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        messageId: missing.MessageId,
        operation: 'AdminAddUserToGroup',
      }),
    );
    expect(logs.text()).not.toContain('example.com');
  });

  it('fails on any other error, naming the operation and message, after deleting what succeeded', async () => {
    const good = message(membershipItem('g', 1));
    const bad = message(membershipItem('missing-group', 2), 'mid-bad');
    queueServes(undefined, [good, bad]);
    cognito.on(AdminAddUserToGroupCommand).callsFake(async (input: { GroupName?: string }) => {
      if (input.GroupName === 'missing-group') throw awsError('ResourceNotFoundException');
      return {};
    });
    await expect(setup().handler(wrapped({}, STATE))).rejects.toThrow(
      'AdminAddUserToGroup failed for the update message mid-bad: ResourceNotFoundException: ResourceNotFoundException happened',
    );
    expect(deleted()).toEqual([good.ReceiptHandle]);
  });

  it('gives its messages back at once when it fails, and logs (without failing otherwise) a release that fails', async () => {
    const { handler, clock, logs } = setup();
    const queue = new FakeQueue(clock, UPDATES_QUEUE_URL).serve(sqs);
    queue.send(membershipItem('missing-group', 1), 'mid-bad');
    queue.send(membershipItem('g', 2), 'mid-later');
    let calls = 0;
    cognito.on(AdminAddUserToGroupCommand).callsFake(async (input: { GroupName?: string }) => {
      calls += 1;
      if (input.GroupName === 'missing-group') throw awsError('ResourceNotFoundException');
      return {};
    });
    await expect(handler(wrapped({}, STATE), lambdaContext(clock, 900_000))).rejects.toThrow(
      'AdminAddUserToGroup failed for the update message mid-bad',
    );
    // Whatever was not done is visible again at once, for the retry.
    expect(queue.depth().inFlight).toBe(0);
    expect(calls).toBeGreaterThan(0);

    sqs.on(ChangeMessageVisibilityBatchCommand).rejects(new Error('SQS is down'));
    await expect(handler(wrapped({}, STATE), lambdaContext(clock, 900_000))).rejects.toThrow(
      'AdminAddUserToGroup failed for the update message mid-bad',
    );
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'Could not release the held messages; they come back when their hold ends',
      }),
    );
  });

  it('does not delete a done message whose hold ended and that another consumer received: it is done again, then deleted', async () => {
    const { handler, clock, logs } = setup();
    const queue = new FakeQueue(clock, UPDATES_QUEUE_URL).serve(sqs);
    const slow = queue.send(membershipItem('g', 1));
    // One call answers after 130 s, past the two-minute hold; meanwhile another consumer takes the message.
    let calls = 0;
    cognito.on(AdminAddUserToGroupCommand).callsFake(async () => {
      calls += 1;
      if (calls === 1) {
        clock.advance(130_000);
        expect(queue.receive(10, 60).map((m) => m.MessageId)).toEqual([slow]);
      }
      return {};
    });
    const output = await handler(wrapped({}, STATE), lambdaContext(clock, 900_000));
    expect(output.result.QueueEmpty).toBe(true);
    expect(queue.size).toBe(0);
    // Received once by the other consumer, and once more by this invocation when that hold ended.
    expect(queue.receivesOf(slow)).toBe(3);
    expect(calls).toBe(2);
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'Messages were no longer held when their hold was to be extended',
      }),
    );
  });

  it('goes on working when a hold cannot be extended (the update is idempotent if seen again)', async () => {
    const { handler, clock, logs } = setup();
    const queue = new FakeQueue(clock, UPDATES_QUEUE_URL).serve(sqs);
    const slow = queue.send(membershipItem('g', 1));
    sqs.on(ChangeMessageVisibilityBatchCommand).rejects(new Error('SQS is down'));
    let throttles = 0;
    cognito.on(AdminAddUserToGroupCommand).callsFake(async () => {
      if (throttles < 3) {
        throttles += 1;
        clock.advance(30_000);
        throw awsError('TooManyRequestsException');
      }
      return {};
    });
    const output = await handler(wrapped({}, STATE), lambdaContext(clock, 900_000));
    expect(output.result.QueueEmpty).toBe(true);
    expect(queue.deletedIds).toEqual([slow]);
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'Could not extend the hold of the messages being worked on',
      }),
    );
  });

  it('masks e-mail addresses and phone numbers in the error message', async () => {
    queueServes(undefined, [message(membershipItem('g', 1), 'mid-x')]);
    cognito.on(AdminAddUserToGroupCommand).rejects(
      new CognitoIdentityProviderServiceException({
        name: 'InvalidParameterException',
        $fault: 'client',
        message: "Value 'user1@example.com' at 'username' failed, call +1 415 555 0100",
        $metadata: {},
      }),
    );
    await expect(setup().handler(wrapped({}, STATE))).rejects.toThrow(
      "AdminAddUserToGroup failed for the update message mid-x: InvalidParameterException: Value '[email]' at 'username' failed, call [phone]",
    );
  });

  it('checks the pool id before COGNITO_TPS, then COGNITO_TPS', async () => {
    await expect(
      setup({ ...ENV, COGNITO_TPS: 'invalid' }).handler(wrapped({}, { poolId: '' })),
    ).rejects.toThrow('Unable to determine the new user pool ID');
    await expect(setup({ ...ENV, COGNITO_TPS: 'invalid' }).handler(wrapped({}, STATE))).rejects.toThrow(
      'Unable to parse a number from the COGNITO_TPS value (invalid)',
    );
  });

  it('logs counts only', async () => {
    queueServes(undefined, [
      message(membershipItem('admins', 1)),
      message(userItem(2, { userEnabled: false })),
    ]);
    const { handler, logs } = setup();
    await handler(wrapped({}, STATE));
    expect(logs.text()).not.toMatch(/example\.com|admins/);
    expect(logs.entries().at(-1)).toEqual(
      expect.objectContaining({ message: 'Updates applied', added: 1, disabled: 1 }),
    );
  });

  describe('beside the import (the Parallel: UpdateNewUsers state)', () => {
    const BESIDE = { stateName: 'Parallel: UpdateNewUsers' };
    const PROGRESS = `import-progress/${POOL_ID}/run-1/`;
    let bucket: Map<string, string>;
    beforeEach(() => {
      s3.reset();
      bucket = new Map();
      serveBucket(s3, bucket, { list: true });
    });
    const ready = (name: string, ...users: number[]) =>
      bucket.set(`${PROGRESS}ready-${name}.json`, JSON.stringify({ Subs: users.map(subOf) }));
    const importEnds = () => bucket.set(`${PROGRESS}ended.json`, '{}');
    const disabledUser = (n: number) =>
      userItem(n, { userEnabled: false, userAttributes: [{ Name: 'sub', Value: subOf(n) }] });
    /** Serves the batches, then empty long polls that take their wait; `at(seconds)` runs once the clock got there. */
    function queueOverTime(
      clock: FakeClock,
      batches: Message[][],
      at?: { seconds: number; run: () => void },
    ) {
      const start = clock.now();
      let next = 0;
      sqs.on(ReceiveMessageCommand).callsFake(async (input: { WaitTimeSeconds?: number }) => {
        if (at && clock.now() - start >= at.seconds * 1000) at.run();
        const batch = batches[next] ?? [];
        next += 1;
        if (batch.length === 0) clock.advance((input.WaitTimeSeconds ?? 0) * 1000);
        return { Messages: batch };
      });
      // What was given back is away: the queue is not drained.
      sqs.on(GetQueueAttributesCommand).resolves({
        Attributes: { ...EMPTY_QUEUE, ApproximateNumberOfMessagesNotVisible: '1' },
      });
    }
    const givenBack = () =>
      sqs
        .commandCalls(ChangeMessageVisibilityBatchCommand)
        .flatMap((call) =>
          (call.args[0].input.Entries ?? []).map((entry) => [entry.ReceiptHandle, entry.VisibilityTimeout]),
        );

    it('applies the updates of users known to exist, gives the others back for 30 s without a Cognito call, and stops when the import ends', async () => {
      const member1 = message(membershipItem('g', 1));
      const member2 = message(membershipItem('g', 2));
      const disabled3 = message(disabledUser(3));
      const disabled4 = message(disabledUser(4));
      ready('import-1', 1, 3);
      const { handler, clock, logs } = setup();
      queueOverTime(clock, [[member1, member2, disabled3, disabled4]], { seconds: 20, run: importEnds });
      await expect(handler(wrapped({ Carried: 1 }, BESIDE), lambdaContext(clock, 900_000))).resolves.toEqual({
        result: expect.objectContaining({
          Carried: 1,
          StateName: 'Parallel: UpdateNewUsers',
          QueueEmpty: false,
          UpdatesCaughtUp: true,
        }),
      });
      expect(
        cognito.commandCalls(AdminAddUserToGroupCommand).map((call) => call.args[0].input.Username),
      ).toEqual(['user1@example.com']);
      expect(
        cognito.commandCalls(AdminDisableUserCommand).map((call) => call.args[0].input.Username),
      ).toEqual(['user3@example.com']);
      expect(deleted().sort()).toEqual([member1.ReceiptHandle, disabled3.ReceiptHandle].sort());
      // Given back for later; once the import has ended, visible again at once for the loop after it.
      expect(givenBack().sort()).toEqual(
        [
          [member2.ReceiptHandle, 30],
          [disabled4.ReceiptHandle, 30],
          [member2.ReceiptHandle, 0],
          [disabled4.ReceiptHandle, 0],
        ].sort(),
      );
      expect(logs.entries()).toContainEqual(
        expect.objectContaining({
          message: 'Updates applied',
          notReady: 2,
          stoppedBesideImport: 'import-ended',
        }),
      );
    });

    it('makes an update given back visible again as soon as its user is recorded, and applies it', async () => {
      const member2 = message(membershipItem('g', 2));
      const { handler, clock, logs } = setup();
      // The queue: member2 first, then whatever is made visible again (a delay of 30 s keeps it away).
      const visible: Message[] = [member2];
      const start = clock.now();
      sqs.on(ReceiveMessageCommand).callsFake(async (input: { WaitTimeSeconds?: number }) => {
        // User 2 is created with the fallback users, recorded after 12 s; the import ends after 60 s.
        if (clock.now() - start >= 12_000) ready('admin-create-x', 2);
        if (clock.now() - start >= 60_000) importEnds();
        const batch = visible.splice(0, 10);
        if (batch.length === 0) clock.advance((input.WaitTimeSeconds ?? 0) * 1000);
        return { Messages: batch };
      });
      sqs
        .on(ChangeMessageVisibilityBatchCommand)
        .callsFake(async (input: { Entries?: { ReceiptHandle?: string; VisibilityTimeout?: number }[] }) => {
          for (const entry of input.Entries ?? [])
            if (entry.VisibilityTimeout === 0 && entry.ReceiptHandle === member2.ReceiptHandle)
              visible.push(member2);
          return { Successful: [], Failed: [] };
        });
      sqs.on(GetQueueAttributesCommand).resolves({
        Attributes: { ...EMPTY_QUEUE, ApproximateNumberOfMessagesNotVisible: '1' },
      });
      await handler(wrapped({}, BESIDE), lambdaContext(clock, 900_000));
      expect(
        cognito.commandCalls(AdminAddUserToGroupCommand).map((call) => call.args[0].input.Username),
      ).toEqual(['user2@example.com']);
      expect(givenBack()).toEqual([
        [member2.ReceiptHandle, 30],
        [member2.ReceiptHandle, 0],
      ]);
      expect(deleted()).toEqual([member2.ReceiptHandle]);
      expect(logs.entries()).toContainEqual(
        expect.objectContaining({ message: 'Updates applied', recalled: 1 }),
      );
    });

    it('ends at once, receiving nothing, once the import has ended', async () => {
      importEnds();
      ready('import-1', 1);
      const { handler, clock } = setup();
      await expect(handler(wrapped({}, BESIDE), lambdaContext(clock, 900_000))).resolves.toEqual({
        result: expect.objectContaining({ QueueEmpty: false, UpdatesCaughtUp: true }),
      });
      expect(sqs).toHaveReceivedCommandTimes(ReceiveMessageCommand, 0);
    });

    it('ends when the queue is drained', async () => {
      ready('import-1', 1);
      queueServes(undefined, [message(membershipItem('g', 1))]);
      const { handler, clock } = setup();
      await expect(handler(wrapped({}, BESIDE), lambdaContext(clock, 900_000))).resolves.toEqual({
        result: expect.objectContaining({ QueueEmpty: true, UpdatesCaughtUp: true }),
      });
    });

    it('goes on in the next invocation when time runs out before the import ends, without the no-progress bound', async () => {
      const { handler, clock } = setup();
      queueOverTime(clock, [[message(membershipItem('g', 1))]]);
      const old = { Step: 'UpdateNewUsers', LastProgressTime: clock.now() - 60 * 60_000 };
      await expect(
        handler(wrapped({ Progress: old }, BESIDE), lambdaContext(clock, 120_000)),
      ).resolves.toEqual({
        result: expect.objectContaining({ QueueEmpty: false, UpdatesCaughtUp: false }),
      });
      expect(cognito.commandCalls(AdminAddUserToGroupCommand)).toHaveLength(0);
    });

    it('leaves the updates to the loop after the import when the progress cannot be read or has no bucket', async () => {
      s3.on(ListObjectsV2Command).rejects(new Error('AccessDenied'));
      const { handler, clock } = setup();
      await expect(handler(wrapped({}, BESIDE), lambdaContext(clock, 900_000))).resolves.toEqual({
        result: expect.objectContaining({ UpdatesCaughtUp: true }),
      });
      const noBucket = setup({ ...ENV, USER_IMPORT_JOB_MAPPING_FILES_BUCKET: undefined });
      await expect(noBucket.handler(wrapped({}, BESIDE))).resolves.toEqual({
        result: expect.objectContaining({ UpdatesCaughtUp: true }),
      });
      expect(sqs).toHaveReceivedCommandTimes(ReceiveMessageCommand, 0);
    });

    it('answers no UpdatesCaughtUp after the import (UpdateNewUsers)', async () => {
      queueServes(undefined);
      const { handler } = setup();
      const { result } = await handler(wrapped({}, STATE));
      expect(result).not.toHaveProperty('UpdatesCaughtUp');
    });
  });
});
