// SPDX-License-Identifier: Apache-2.0
/**
 * ImportScanTable retried by Step Functions (a crash after its work, mid-page, after its last page,
 * twice) while ImportNewUsers imports what it queued: the real scan and import handlers on one fake
 * backup table, one fake new-users queue, one fake bucket and fake import jobs. Every user must be
 * imported by exactly one job, and no job may hold a user that an earlier job imported (Cognito fails
 * such a job).
 */
import {
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserImportJobCommand,
  DescribeUserImportJobCommand,
  DescribeUserPoolCommand,
  GetCSVHeaderCommand,
  ListUserImportJobsCommand,
  StartUserImportJobCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs } from '../../test-support/capture-logs';
import { fakeClock, type FakeClock } from '../../test-support/fake-clock';
import { lambdaContext } from '../../test-support/lambda-context';
import { fakeRuntime } from '../../test-support/runtime';
import { createHandler as createImportHandler } from '../import-users';
import { IMPORT_JOB_NAME } from '../lib/import-job';
import type { ScanTableResult, TableKey } from '../lib/types';
import { createHandler as createScanHandler } from '../scan-table';
import { FakeQueue } from './fake-queue';
import {
  BACKUP_READER_ENV_VALUES,
  groupItem,
  MAPPING_BUCKET,
  membershipItem,
  NEW_USERS_QUEUE_URL,
  POOL_ID,
  TARGET_POOL,
  userItem,
  wrapped,
} from './support';

const ddb = mockAws(DynamoDBDocumentClient);
const sqs = mockAws(SQSClient);
const cognito = mockAws(CognitoIdentityProviderClient);
const s3 = mockAws(S3Client);

const IMPORT_ENV = {
  NEW_USERS_QUEUE_URL,
  USER_IMPORT_CLOUDWATCH_ROLE_ARN: 'arn:aws:iam::111122223333:role/import-logs',
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: MAPPING_BUCKET,
  COGNITO_TPS: '10',
  AWS_REGION: 'us-east-2',
};
const HEADER = ['cognito:username', 'cognito:mfa_enabled', 'email', 'email_verified'];
const PRESIGNED = 'https://cognito-import.s3.amazonaws.com/import-abc?X-Amz-Security-Token=SECRET';
const USERS = 45;
/** Items per Scan page of the fake table (the real page size does not matter here). */
const PAGE = 20;
const DURING_SCAN = 'Parallel: ImportNewUsers';
const AFTER_SCAN = 'ImportNewUsers';
/** A scan invocation with less than the one-minute reserve left processes one page and stops. */
const ONE_PAGE_MS = 30_000;

/** The backup table: users (one disabled in ten), two groups and a membership per user. */
function tableItems(): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [groupItem('admins'), groupItem('readers')];
  for (let n = 1; n <= USERS; n += 1) {
    items.push(userItem(n, { userEnabled: n % 10 !== 0 }));
    items.push(membershipItem(n % 2 === 0 ? 'admins' : 'readers', n));
  }
  return items;
}

interface World {
  clock: FakeClock;
  queue: FakeQueue;
  objects: Map<string, string>;
  jobs: { JobId: string; JobName: string; Status: string }[];
  /** The usernames of each uploaded import file, in upload order. */
  files: string[][];
  /** The next SendMessageBatch calls to the new-users queue that fail (a crash mid-page). */
  failSendsAfter: (sends: number) => void;
  scan: (startKey?: TableKey, remainingMs?: number) => Promise<ScanTableResult>;
  /** Runs ImportNewUsers in `state` until the queue is drained; jobs succeed between invocations. */
  importUntilDrained: (state: string) => Promise<void>;
}

function world(): World {
  const clock = fakeClock();
  const items = tableItems();
  const queue = new FakeQueue(clock, NEW_USERS_QUEUE_URL).serve(sqs);

  ddb.on(ScanCommand).callsFake(async (input: ScanCommandInput) => {
    const startKey = input.ExclusiveStartKey;
    const start =
      startKey === undefined
        ? 0
        : items.findIndex((item) => item.id === startKey.id && item.type === startKey.type) + 1;
    if (start < 0) throw new Error('unknown ExclusiveStartKey');
    const page = items.slice(start, start + PAGE);
    const last = page.at(-1);
    return {
      Items: page,
      ...(start + PAGE < items.length && last ? { LastEvaluatedKey: { id: last.id, type: last.type } } : {}),
    };
  });

  let sendsLeft = Number.POSITIVE_INFINITY;
  sqs.on(SendMessageBatchCommand).callsFake(async (input: SendMessageBatchCommandInput) => {
    if (input.QueueUrl !== NEW_USERS_QUEUE_URL) return { Successful: [], Failed: [] };
    if (sendsLeft <= 0) throw new Error('the Lambda runtime died');
    sendsLeft -= 1;
    for (const entry of input.Entries ?? []) queue.send(entry.MessageBody ?? '');
    return { Successful: (input.Entries ?? []).map((entry) => ({ Id: entry.Id })), Failed: [] };
  });

  const objects = new Map<string, string>();
  s3.on(PutObjectCommand).callsFake(async (input: { Key?: string; Body?: unknown }) => {
    objects.set(input.Key ?? '', Buffer.isBuffer(input.Body) ? input.Body.toString() : String(input.Body));
    return {};
  });
  s3.on(GetObjectCommand).callsFake(async (input: { Key?: string }) => {
    const text = objects.get(input.Key ?? '') ?? '';
    return { Body: { transformToString: async () => text } };
  });
  s3.on(DeleteObjectCommand).callsFake(async (input: { Key?: string }) => {
    objects.delete(input.Key ?? '');
    return {};
  });
  s3.on(ListObjectsV2Command).callsFake(async (input: { Prefix?: string }) => ({
    Contents: [...objects.keys()].filter((key) => key.startsWith(input.Prefix ?? '')).map((Key) => ({ Key })),
  }));

  const jobs: World['jobs'] = [];
  cognito.on(CreateGroupCommand).resolves({});
  cognito.on(GetCSVHeaderCommand).resolves({ CSVHeader: HEADER, UserPoolId: POOL_ID });
  cognito.on(DescribeUserPoolCommand).resolves({ UserPool: TARGET_POOL });
  cognito
    .on(ListUserImportJobsCommand)
    .callsFake(async () => ({ UserImportJobs: jobs.map((job) => ({ ...job })) }));
  cognito.on(CreateUserImportJobCommand).callsFake(async () => {
    const job = { JobId: `import-job-${jobs.length + 1}`, JobName: IMPORT_JOB_NAME, Status: 'Created' };
    jobs.push(job);
    return { UserImportJob: { ...job, PreSignedUrl: PRESIGNED } };
  });
  cognito.on(StartUserImportJobCommand).callsFake(async (input: { JobId?: string }) => {
    const job = jobs.find((candidate) => candidate.JobId === input.JobId);
    if (job) job.Status = 'Pending';
    return { UserImportJob: { JobId: input.JobId, Status: 'Pending' } };
  });
  cognito.on(DescribeUserImportJobCommand).callsFake(async (input: { JobId?: string }) => ({
    UserImportJob: jobs.find((job) => job.JobId === input.JobId),
  }));

  const files: string[][] = [];
  const fetchImpl = async (_url: string | URL | Request, init?: RequestInit) => {
    const parts: Buffer[] = [];
    for await (const part of init?.body as AsyncIterable<Uint8Array>) parts.push(Buffer.from(part));
    const lines = Buffer.concat(parts).toString().split('\n').slice(1).filter(Boolean);
    files.push(lines.map((line) => line.split(',')[0] ?? ''));
    return new Response('', { status: 200 });
  };
  const logs = captureLogs();
  const scanHandler = createScanHandler(fakeRuntime(clock, BACKUP_READER_ENV_VALUES, { write: logs.write }));
  const importHandler = createImportHandler(
    fakeRuntime(clock, IMPORT_ENV, { write: logs.write, fetch: fetchImpl as typeof fetch }),
  );

  return {
    clock,
    queue,
    objects,
    jobs,
    files,
    failSendsAfter: (sends) => {
      sendsLeft = sends;
    },
    scan: async (startKey, remainingMs = 300_000) => {
      const output = await scanHandler(
        wrapped(startKey === undefined ? {} : { LastEvaluatedKey: startKey }, {
          stateName: 'ImportScanTableLambda',
        }),
        lambdaContext(clock, remainingMs),
      );
      return output.result;
    },
    importUntilDrained: async (state) => {
      let input: Record<string, unknown> = {};
      for (let invocation = 0; invocation < 10; invocation += 1) {
        const { result } = await importHandler(
          wrapped(input, { stateName: state }),
          lambdaContext(clock, 900_000),
        );
        for (const job of jobs) if (job.Status === 'Pending') job.Status = 'Succeeded';
        if (result.QueueEmpty === true) return;
        input = result;
      }
      throw new Error(`ImportNewUsers did not drain the queue in ${state}`);
    },
  };
}

const manifests = (objects: Map<string, string>) =>
  [...objects.keys()].filter((key) => key.startsWith('import-manifests/'));

/** Every backed-up user imported by exactly one job; nothing left in the queue or the bucket. */
function expectEveryUserImportedOnce(w: World): void {
  const imported = w.files.flat();
  expect(imported).toHaveLength(USERS);
  expect(new Set(imported).size).toBe(USERS);
  expect(w.jobs.every((job) => job.Status === 'Succeeded')).toBe(true);
  expect(w.queue.size).toBe(0);
  expect(manifests(w.objects)).toEqual([]);
}

describe('a retried ImportScanTable imports every user once', () => {
  beforeEach(() => {
    ddb.reset();
    sqs.reset();
    cognito.reset();
    s3.reset();
  });

  it('retried after its work, once ImportNewUsers has imported and deleted every user it queued', async () => {
    const w = world();
    await expect(w.scan()).resolves.toEqual({ AllGroupsProcessed: 'Yes' });
    await w.importUntilDrained(DURING_SCAN);
    expect(w.jobs).toHaveLength(1);
    // The job's manifest stays while the scan may still queue its users again.
    expect(manifests(w.objects)).toEqual([`import-manifests/${POOL_ID}/import-job-1.json`]);

    // The result was lost: Step Functions runs the scan again with the same input.
    await expect(w.scan()).resolves.toEqual({ AllGroupsProcessed: 'Yes' });
    expect(w.queue.size).toBe(USERS);
    await w.importUntilDrained(DURING_SCAN);
    await w.importUntilDrained(AFTER_SCAN);

    expect(w.jobs).toHaveLength(1);
    expectEveryUserImportedOnce(w);
  });

  it('retried twice, the second and third copies queued before ImportNewUsers runs again', async () => {
    const w = world();
    await w.scan();
    await w.importUntilDrained(DURING_SCAN);
    await w.scan();
    // The second copies arrive together with a third while nothing is imported yet.
    await w.scan();
    expect(w.queue.size).toBe(2 * USERS);
    await w.importUntilDrained(DURING_SCAN);
    await w.importUntilDrained(AFTER_SCAN);

    expect(w.jobs).toHaveLength(1);
    expectEveryUserImportedOnce(w);
  });

  it('crashed mid-page: the users queued before the crash are imported, the retry queues them again', async () => {
    const w = world();
    // The first page's users go out in batches of ten: the second batch of the first page fails.
    w.failSendsAfter(1);
    await expect(w.scan()).rejects.toThrow('the Lambda runtime died');
    expect(w.queue.size).toBeGreaterThan(0);
    expect(w.queue.size).toBeLessThan(USERS);
    await w.importUntilDrained(DURING_SCAN);
    expect(w.files).toHaveLength(1);

    w.failSendsAfter(Number.POSITIVE_INFINITY);
    await w.scan();
    await w.importUntilDrained(DURING_SCAN);
    await w.importUntilDrained(AFTER_SCAN);

    expect(w.jobs).toHaveLength(2);
    expectEveryUserImportedOnce(w);
  });

  it('retried after its last page, which a continuation started', async () => {
    const w = world();
    const first = await w.scan(undefined, ONE_PAGE_MS);
    if (!('LastEvaluatedKey' in first)) throw new Error('the first invocation scanned to the end');
    const key = first.LastEvaluatedKey;
    await w.importUntilDrained(DURING_SCAN);

    // The continuation scans to the end, and its result is lost; the retry starts at the same key.
    await expect(w.scan(key)).resolves.toEqual({ AllGroupsProcessed: 'Yes' });
    await w.importUntilDrained(DURING_SCAN);
    await expect(w.scan(key)).resolves.toEqual({ AllGroupsProcessed: 'Yes' });
    await w.importUntilDrained(DURING_SCAN);
    await w.importUntilDrained(AFTER_SCAN);

    expect(w.jobs).toHaveLength(2);
    expectEveryUserImportedOnce(w);
  });

  it("keeps no manifest of an earlier execution: a later restore's users are imported, not taken as covered", async () => {
    const w = world();
    // An earlier execution (its name differs) imported every user into this pool, then they were deleted.
    w.objects.set(
      `import-manifests/${POOL_ID}/import-job-0.json`,
      JSON.stringify({
        JobId: 'import-job-0',
        UserPoolId: POOL_ID,
        Execution: 'an-earlier-run',
        WrittenAt: w.clock.now(),
        Subs: tableItems().flatMap((item) => (typeof item.username === 'string' ? [item.username] : [])),
      }),
    );
    w.jobs.push({ JobId: 'import-job-0', JobName: IMPORT_JOB_NAME, Status: 'Succeeded' });
    await w.scan();
    await w.importUntilDrained(DURING_SCAN);
    await w.importUntilDrained(AFTER_SCAN);

    expect(w.jobs).toHaveLength(2);
    expectEveryUserImportedOnce(w);
  });
});
