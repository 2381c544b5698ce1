// SPDX-License-Identifier: Apache-2.0
import {
  AdminCreateUserCommand,
  CognitoIdentityProviderClient,
  CreateUserImportJobCommand,
  DescribeUserImportJobCommand,
  DescribeUserPoolCommand,
  GetCSVHeaderCommand,
  StartUserImportJobCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { PutObjectCommand, S3Client, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs } from '../../test-support/capture-logs';
import { fakeClock } from '../../test-support/fake-clock';
import { RateLimitedCognito } from '../../utils/cognito';
import { SlidingWindowLimiter } from '../../utils/limiter';
import { TimeBudget } from '../../utils/time-budget';
import {
  importNewUsers,
  MAX_HELD_MESSAGES,
  MAX_USERS_PER_FILE,
  type DrainLimits,
} from '../lib/import-new-users';
import { NEW_USERS_QUEUE_URL, POOL_ID, TARGET_POOL } from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const s3 = mockAws(S3Client);

/** One execution's import step after the table scan. */
const INPUT = { userPoolId: POOL_ID, execution: 'run-1', scanEnded: true };

const HEADER = ['cognito:username', 'email_verified', 'cognito:mfa_enabled'];

/**
 * A cheap in-memory standard queue: bodies are made on receive from a number, so half a million
 * messages cost little. Receives return up to the requested count of visible messages and hide them;
 * deletes remove them; a visibility of 0 makes them visible again. As on SQS, a message's latest
 * receipt handle deletes it even after it was made visible again, until it is received again.
 */
class FakeQueue {
  private readonly visible: number[] = [];
  private readonly inFlight = new Map<string, number>();
  /** Receipt handles of released messages, still valid for a delete until the next receive. */
  private readonly releasedHandles = new Map<string, number>();
  private readonly releasedHandleOf = new Map<number, string>();
  readonly receiveSizes: number[] = [];
  readonly receiveVisibility: number[] = [];
  receives = 0;
  deleted = 0;
  released = 0;
  private handle = 0;

  constructor(
    count: number,
    private readonly body: (n: number) => string,
  ) {
    for (let n = 1; n <= count; n += 1) this.visible.push(n);
  }

  get size(): number {
    return this.visible.length + this.inFlight.size;
  }

  visibleCount(): number {
    return this.visible.length;
  }

  readonly client = {
    send: async (command: unknown): Promise<unknown> => {
      if (command instanceof ReceiveMessageCommand) {
        this.receives += 1;
        const max = command.input.MaxNumberOfMessages ?? 1;
        this.receiveSizes.push(max);
        this.receiveVisibility.push(command.input.VisibilityTimeout ?? -1);
        const taken = this.visible.splice(0, max);
        const messages: Message[] = taken.map((n) => {
          this.releasedHandles.delete(this.releasedHandleOf.get(n) ?? '');
          this.releasedHandleOf.delete(n);
          this.handle += 1;
          const receiptHandle = `rh-${this.handle}`;
          this.inFlight.set(receiptHandle, n);
          return { MessageId: `id-${n}`, ReceiptHandle: receiptHandle, Body: this.body(n) };
        });
        return { Messages: messages };
      }
      if (command instanceof DeleteMessageBatchCommand) {
        for (const entry of command.input.Entries ?? []) {
          const handle = entry.ReceiptHandle ?? '';
          const released = this.releasedHandles.get(handle);
          if (released !== undefined) {
            this.visible.splice(this.visible.indexOf(released), 1);
            this.releasedHandles.delete(handle);
            this.releasedHandleOf.delete(released);
            this.deleted += 1;
          } else if (this.inFlight.delete(handle)) this.deleted += 1;
        }
        return { Successful: [], Failed: [] };
      }
      if (command instanceof ChangeMessageVisibilityBatchCommand) {
        for (const entry of command.input.Entries ?? []) {
          const n = this.inFlight.get(entry.ReceiptHandle ?? '');
          if (n !== undefined && entry.VisibilityTimeout === 0) {
            this.inFlight.delete(entry.ReceiptHandle ?? '');
            this.visible.unshift(n);
            this.releasedHandles.set(entry.ReceiptHandle ?? '', n);
            this.releasedHandleOf.set(n, entry.ReceiptHandle ?? '');
            this.released += 1;
          }
        }
        return { Successful: [], Failed: [] };
      }
      if (command instanceof GetQueueAttributesCommand) {
        return {
          Attributes: {
            ApproximateNumberOfMessages: String(this.visible.length),
            ApproximateNumberOfMessagesNotVisible: String(this.inFlight.size),
            ApproximateNumberOfMessagesDelayed: '0',
          },
        };
      }
      throw new Error(`unexpected command ${String(command)}`);
    },
  };
}

const userBody = (n: number) =>
  JSON.stringify({
    id: `USER-sub-${n}`,
    type: 'USER-x',
    pseudoUsername: `u${n}`,
    userAttributes: [
      { Name: 'sub', Value: `sub-${n}` },
      { Name: 'email', Value: `u${n}@example.com` },
      { Name: 'email_verified', Value: 'true' },
    ],
    userEnabled: true,
  });

function deps(queue: FakeQueue, limits: Partial<DrainLimits> = {}) {
  const clock = fakeClock();
  const logs = captureLogs();
  const uploads: { lines: number; bytes: number; firstLine: string; lastLine: string }[] = [];
  const fetchImpl = (async (_url: unknown, init?: RequestInit) => {
    let text = '';
    for await (const part of init?.body as AsyncIterable<Uint8Array>) text += Buffer.from(part).toString();
    const lines = text.split('\n');
    lines.pop();
    uploads.push({
      lines: lines.length - 1,
      bytes: Buffer.byteLength(text),
      firstLine: lines[1] ?? '',
      lastLine: lines.at(-1) ?? '',
    });
    return new Response('', { status: 200 });
  }) as typeof fetch;
  return {
    uploads,
    logs,
    deps: {
      cognito: new RateLimitedCognito(
        new CognitoIdentityProviderClient({}),
        new SlidingWindowLimiter(10, clock.now, clock.sleep),
        {
          now: clock.now,
          sleep: clock.sleep,
        },
      ),
      sqs: queue.client as unknown as SQSClient,
      s3: new S3Client({}),
      fetch: fetchImpl,
      logger: logs.logger(),
      drainBudget: new TimeBudget(undefined),
      now: clock.now,
      sleep: clock.sleep,
      retry: { now: clock.now, sleep: clock.sleep },
      config: {
        userPoolId: POOL_ID,
        region: 'us-east-2',
        bucket: 'mapping-bucket',
        cloudWatchLogsRoleArn: 'arn:aws:iam::111122223333:role/logs',
        queueUrl: NEW_USERS_QUEUE_URL,
      },
      limits,
    },
  };
}

describe('importNewUsers', () => {
  let jobs = 0;
  beforeEach(() => {
    cognito.reset();
    s3.reset();
    jobs = 0;
    cognito.on(GetCSVHeaderCommand).resolves({ CSVHeader: HEADER });
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: TARGET_POOL });
    cognito.on(CreateUserImportJobCommand).callsFake(async () => {
      jobs += 1;
      return { UserImportJob: { JobId: `import-${jobs}`, PreSignedUrl: `https://upload/${jobs}` } };
    });
    cognito.on(StartUserImportJobCommand).resolves({ UserImportJob: { Status: 'Pending' } });
    s3.on(PutObjectCommand).resolves({});
  });

  it('puts 500,000 users in the first file and starts a second file for user 500,001', async () => {
    expect(MAX_USERS_PER_FILE).toBe(500_000);
    const queue = new FakeQueue(500_001, userBody);
    // Cognito's limit is under test here, not the held-message limit of a file.
    const run = deps(queue, { maxHeld: 600_000 });

    await expect(importNewUsers(INPUT, run.deps).then((r) => r.output)).resolves.toEqual({
      ImportJobStatus: 'Pending',
      ImportJobId: 'import-1',
      QueueEmpty: false,
    });
    expect(run.uploads[0]).toEqual(
      expect.objectContaining({ lines: 500_000, firstLine: 'u1,true,false', lastLine: 'u500000,true,false' }),
    );
    // Receives never asked for more than the file could take, so nothing was received in vain.
    expect(queue.released).toBe(0);
    expect(queue.deleted).toBe(500_000);
    expect(queue.size).toBe(1);

    await expect(importNewUsers(INPUT, run.deps).then((r) => r.output)).resolves.toEqual({
      ImportJobStatus: 'Pending',
      ImportJobId: 'import-2',
      QueueEmpty: false,
    });
    expect(run.uploads[1]).toEqual(expect.objectContaining({ lines: 1, firstLine: 'u500001,true,false' }));
    expect(queue.size).toBe(0);

    await expect(importNewUsers(INPUT, run.deps).then((r) => r.output)).resolves.toEqual({
      ImportJobStatus: '',
      QueueEmpty: true,
    });
    expect(run.uploads).toHaveLength(2);
    const keys = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key);
    expect(keys).toEqual([
      'import-1-user-mapping.csv',
      `import-manifests/${POOL_ID}/import-1.json`,
      'import-2-user-mapping.csv',
      `import-manifests/${POOL_ID}/import-2.json`,
    ]);
    const secondMapping = s3.commandCalls(PutObjectCommand)[2]!.args[0].input.Body as Buffer;
    expect(secondMapping.toString()).toBe('userImportCsvLineNumber,userSub\n1,sub-500001\n');
  }, 300_000);

  it('keeps each file under the byte limit and gives back what did not fit (visibility 0)', async () => {
    const queue = new FakeQueue(100, userBody);
    const headerBytes = Buffer.byteLength(`${HEADER.join(',')}\n`);
    // Room for about 30 lines of 'uNN,true,false\n' (15 bytes; u1..u9 are 14).
    const run = deps(queue, { maxBytes: headerBytes + 30 * 15 });
    const { output: result } = await importNewUsers(INPUT, run.deps);
    expect(result).toEqual(expect.objectContaining({ QueueEmpty: false, ImportJobId: 'import-1' }));
    const first = run.uploads[0]!;
    expect(first.bytes).toBeLessThan(headerBytes + 30 * 15);
    expect(queue.deleted).toBe(first.lines);
    expect(queue.size).toBe(100 - first.lines);
    expect(queue.visibleCount()).toBe(100 - first.lines);

    // The rest follows in later files, each user exactly once.
    let imported = first.lines;
    for (let i = 0; i < 10 && queue.size > 0; i += 1) {
      await importNewUsers(INPUT, run.deps);
      imported += run.uploads.at(-1)!.lines;
    }
    expect(imported).toBe(100);
    expect(queue.deleted).toBe(100);
  });

  it('counts the byte limit in UTF-8 bytes, not characters, for non-ASCII values', async () => {
    // 'éééééééééé042,true,false\n': 25 characters but 35 bytes (each é is 2 bytes).
    const wideBody = (n: number) =>
      userBody(n).replaceAll(`"u${n}"`, `"${'é'.repeat(10)}${String(n).padStart(3, '0')}"`);
    const queue = new FakeQueue(40, wideBody);
    const headerBytes = Buffer.byteLength(`${HEADER.join(',')}\n`);
    const run = deps(queue, { maxBytes: headerBytes + 10 * 35 });
    await importNewUsers(INPUT, run.deps);
    const first = run.uploads[0]!;
    expect(first.firstLine).toMatch(/^é{10}\d{3},/);
    // Counting characters would let 13 lines (455 bytes) in; bytes allow 9 (a tenth reaches the limit).
    expect(first.bytes).toBeLessThan(headerBytes + 10 * 35);
    expect(first.lines).toBe(9);
    expect(queue.deleted).toBe(9);
  });

  it('asks for no more messages than the file can take while several receives run at once', async () => {
    const queue = new FakeQueue(57, userBody);
    const run = deps(queue, { maxUsers: 25, receiveConcurrency: 4 });
    await importNewUsers(INPUT, run.deps);
    expect(run.uploads[0]!.lines).toBe(25);
    expect(queue.released).toBe(0);
    expect(queue.receiveSizes.every((size) => size >= 1 && size <= 10)).toBe(true);
    expect(queue.receiveVisibility.every((seconds) => seconds === 120)).toBe(true);
    expect(queue.size).toBe(32);
  });

  it('holds no more messages than a file may (SQS limits the messages in flight)', async () => {
    expect(MAX_HELD_MESSAGES).toBeLessThan(120_000);
    const queue = new FakeQueue(40, userBody);
    const run = deps(queue, { maxHeld: 25, receiveConcurrency: 3 });
    await importNewUsers(INPUT, run.deps);
    expect(run.uploads[0]!.lines).toBe(25);
    expect(queue.released).toBe(0);
    expect(queue.size).toBe(15);
  });

  it('logs the drain in counts only', async () => {
    const queue = new FakeQueue(3, userBody);
    const run = deps(queue);
    await importNewUsers(INPUT, run.deps);
    const drained = run.logs.entries().find((entry) => entry.message === 'New users queue drained');
    expect(drained).toEqual(
      expect.objectContaining({ userCount: 3, duplicates: 0, rejected: 0, released: 0, queueEmpty: true }),
    );
    expect(run.logs.text()).not.toMatch(/"u\d/);
  });

  it('creates at most maxFallbackUsers with AdminCreateUser per invocation and gives the rest back', async () => {
    // Odd users never verified their e-mail: the target pool auto-verifies e-mail, so the CSV would refuse them.
    const body = (n: number) =>
      JSON.stringify({
        pseudoUsername: n % 2 === 0 ? `u${n}` : n,
        userAttributes: [
          { Name: 'sub', Value: `sub-${n}` },
          { Name: 'email', Value: `u${n}@example.com` },
          { Name: 'email_verified', Value: n % 2 === 0 ? 'true' : 'false' },
        ],
      });
    cognito.on(AdminCreateUserCommand).resolves({});
    const queue = new FakeQueue(10, body);
    const run = deps(queue, { maxFallbackUsers: 2 });
    const { output: result } = await importNewUsers(INPUT, run.deps);
    expect(result.QueueEmpty).toBe(false);
    // A numeric pseudoUsername is the username as text.
    expect(cognito.commandCalls(AdminCreateUserCommand).map((call) => call.args[0].input.Username)).toEqual([
      '1',
      '3',
    ]);
    expect(run.uploads[0]?.lines).toBe(5);
    expect(queue.released).toBe(3);
    expect(queue.deleted).toBe(7);
  });

  it('never reports the queue empty while it gives back fallback users, even with no job to start', async () => {
    // Every user needs AdminCreateUser (e-mail never verified, the target pool auto-verifies e-mail).
    const body = (n: number) =>
      JSON.stringify({
        pseudoUsername: `u${n}`,
        userAttributes: [
          { Name: 'sub', Value: `sub-${n}` },
          { Name: 'email', Value: `u${n}@example.com` },
          { Name: 'email_verified', Value: 'false' },
        ],
      });
    cognito.on(AdminCreateUserCommand).resolves({});
    const queue = new FakeQueue(3, body);
    const run = deps(queue, { maxFallbackUsers: 2 });
    const created = () =>
      cognito.commandCalls(AdminCreateUserCommand).map((call) => call.args[0].input.Username);

    const first = await importNewUsers(INPUT, run.deps);
    expect(first.output).toEqual({ ImportJobStatus: '', QueueEmpty: false });
    expect(created()).toEqual(['u1', 'u2']);
    expect(queue.size).toBe(1);
    expect(queue.visibleCount()).toBe(1);

    const second = await importNewUsers({ ...INPUT, progress: first.progress }, run.deps);
    expect(second.output).toEqual({ ImportJobStatus: '', QueueEmpty: true });
    expect(created()).toEqual(['u1', 'u2', 'u3']);
    expect(queue.size).toBe(0);
    expect(run.uploads).toHaveLength(0);
  });

  describe('for the updates beside the import (the Parallel state)', () => {
    const DURING_SCAN = { ...INPUT, scanEnded: false };
    const PROGRESS = `import-progress/${POOL_ID}/run-1/`;
    /** Even users go into the CSV, odd ones to AdminCreateUser (e-mail never verified, auto-verified pool). */
    const mixedBody = (n: number) =>
      JSON.stringify({
        pseudoUsername: `u${n}`,
        userAttributes: [
          { Name: 'sub', Value: `sub-${n}` },
          { Name: 'email', Value: `u${n}@example.com` },
          { Name: 'email_verified', Value: n % 2 === 0 ? 'true' : 'false' },
        ],
      });
    const progressObjects = () =>
      s3
        .commandCalls(PutObjectCommand)
        .map((call) => call.args[0].input as PutObjectCommandInput)
        .filter((input) => input.Key?.startsWith(PROGRESS))
        .map((input) => ({
          name: (input.Key ?? '').slice(PROGRESS.length),
          subs: (JSON.parse(String(input.Body)) as { Subs?: string[] }).Subs,
        }));

    it('starts the job before it creates the fallback users, and records each group of users once they exist', async () => {
      const order: string[] = [];
      cognito.on(StartUserImportJobCommand).callsFake(async () => {
        order.push('StartUserImportJob');
        return { UserImportJob: { Status: 'Pending' } };
      });
      cognito.on(AdminCreateUserCommand).callsFake(async () => {
        order.push('AdminCreateUser');
        return {};
      });
      cognito.on(DescribeUserImportJobCommand).callsFake(async () => {
        // Still running at the first look, then done.
        const looks = cognito.commandCalls(DescribeUserImportJobCommand).length;
        return { UserImportJob: { Status: looks === 1 ? 'InProgress' : 'Succeeded' } };
      });
      const queue = new FakeQueue(6, mixedBody);
      const run = deps(queue);
      const { output } = await importNewUsers(DURING_SCAN, run.deps);
      expect(output).toEqual(expect.objectContaining({ ImportJobId: 'import-1', QueueEmpty: false }));
      expect(order[0]).toBe('StartUserImportJob');
      expect(order.filter((call) => call === 'AdminCreateUser')).toHaveLength(3);
      const objects = progressObjects();
      expect(objects).toEqual(
        expect.arrayContaining([
          { name: 'ready-import-1.json', subs: ['sub-2', 'sub-4', 'sub-6'] },
          {
            name: expect.stringMatching(/^ready-admin-create-[0-9a-f]{32}\.json$/),
            subs: ['sub-1', 'sub-3', 'sub-5'],
          },
        ]),
      );
      expect(objects).toHaveLength(2);
      expect(queue.deleted).toBe(6);
    });

    it('records the job only once it has succeeded, and no user AdminCreateUser refused', async () => {
      cognito.on(AdminCreateUserCommand).resolves({});
      cognito
        .on(AdminCreateUserCommand, { Username: 'u3' })
        .rejects(Object.assign(new Error('refused'), { name: 'InvalidParameterException', $metadata: {} }));
      cognito.on(DescribeUserImportJobCommand).resolves({ UserImportJob: { Status: 'InProgress' } });
      const queue = new FakeQueue(4, mixedBody);
      const run = deps(queue);
      await importNewUsers(DURING_SCAN, run.deps);
      expect(progressObjects()).toEqual([
        { name: expect.stringMatching(/^ready-admin-create-/), subs: ['sub-1'] },
      ]);
    });

    it("records the end of the import when the Parallel state's invocation finds the queue drained", async () => {
      const run = deps(new FakeQueue(0, userBody));
      await expect(importNewUsers(DURING_SCAN, run.deps).then((r) => r.output)).resolves.toEqual({
        ImportJobStatus: '',
        QueueEmpty: true,
      });
      expect(progressObjects()).toEqual([{ name: 'ended.json', subs: undefined }]);
    });

    it('records no end after the Parallel state, nor while users are left', async () => {
      const run = deps(new FakeQueue(0, userBody));
      await importNewUsers(INPUT, run.deps);
      const busy = deps(new FakeQueue(3, userBody));
      await importNewUsers(DURING_SCAN, busy.deps);
      expect(progressObjects()).toEqual([]);
    });

    it('does not call the queue drained while the end of the import cannot be recorded', async () => {
      s3.on(PutObjectCommand, { Key: `${PROGRESS}ended.json` }).rejects(
        Object.assign(new Error('slow down'), { name: 'SlowDown', $retryable: {}, $metadata: {} }),
      );
      const run = deps(new FakeQueue(0, userBody));
      await expect(importNewUsers(DURING_SCAN, run.deps).then((r) => r.output)).resolves.toEqual({
        ImportJobStatus: '',
        QueueEmpty: false,
      });
    });
  });
});
