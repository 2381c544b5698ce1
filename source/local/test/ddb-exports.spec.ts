// SPDX-License-Identifier: Apache-2.0
/**
 * The emulated point-in-time recovery and export to S3 (ddb-exports.ts, ddb-journal.ts): the window,
 * the documented validations, and the layout of an export as the DynamoDB developer guide describes
 * it ("DynamoDB table export output format"). In memory, with an injected clock; then once through
 * the DynamoDB front with the SDK and the local S3.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeContinuousBackupsCommand,
  DescribeExportCommand,
  DynamoDBClient,
  ExportTableToPointInTimeCommand,
  ListExportsCommand,
  PutItemCommand,
  UpdateContinuousBackupsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { WriteJournal } from '../aws/ddb-journal';
import { DynamoDbError, MemoryObjectWriter, PointInTimeExports } from '../aws/ddb-exports';
import { LocalEnvironment } from '../aws/environment';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const TABLE = 'backup';
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE}`;
const T0 = Date.parse('2026-12-07T22:00:00Z');

const user = (id: string, plan: string): Record<string, unknown> => ({
  id: { S: id },
  type: { S: 'user' },
  plan: { S: plan },
  groups: { SS: ['a', 'b'] },
  n: { N: '12.5' },
  on: { BOOL: true },
  none: { NULL: true },
  list: { L: [{ S: 'x' }, { N: '1' }] },
  map: { M: { k: { S: 'v' } } },
  bin: { B: Buffer.from('raw').toString('base64') },
});

function setUp(options: { lag?: number; partitions?: number } = {}) {
  let now = T0;
  const journal = new WriteJournal();
  const table = journal.open(TABLE, ['id', 'type'], now, 'table-id-1');
  const writer = new MemoryObjectWriter(['exports']);
  const emulator = new PointInTimeExports({
    journal,
    writer,
    region: REGION,
    accountId: ACCOUNT,
    now: () => now,
    restorableLagMs: options.lag ?? 0,
    exportDurationMs: 0,
    partitions: options.partitions ?? 4,
    sleep: () => Promise.resolve(),
  });
  return {
    journal,
    table,
    writer,
    emulator,
    at: (ms: number) => {
      now = T0 + ms;
    },
    objects: () => writer.buckets.get('exports') ?? new Map<string, Buffer>(),
  };
}

const md5 = (body: Buffer): Buffer => createHash('md5').update(body).digest();

async function rejection(promise: Promise<unknown> | undefined): Promise<DynamoDbError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DynamoDbError) return error;
    throw error;
  }
  throw new Error('expected a DynamoDB error');
}

describe('the write journal', () => {
  it('gives the table as it was at any time, and what changed between two times', () => {
    const journal = new WriteJournal();
    const table = journal.open(TABLE, ['id', 'type'], T0, 'id');
    table.record(T0 + 1, user('a', 'free'), false);
    table.record(T0 + 2, user('b', 'free'), false);
    table.record(T0 + 3, { ...user('a', 'gold') }, false);
    table.record(T0 + 4, { id: { S: 'b' }, type: { S: 'user' } }, true);
    table.record(T0 + 5, user('c', 'free'), false);
    expect([...table.itemsAt(T0 + 2).keys()]).toEqual([
      JSON.stringify([{ S: 'a' }, { S: 'user' }]),
      JSON.stringify([{ S: 'b' }, { S: 'user' }]),
    ]);
    expect(JSON.parse(table.itemsAt(T0 + 3).get(table.keyOf(user('a', ''))) ?? '{}')).toEqual(
      user('a', 'gold'),
    );
    expect(table.itemsAt(T0 + 4).size).toBe(1);
    expect(table.changesBetween(T0 + 2, T0 + 5)).toEqual({ added: 1, changed: 1, deleted: 1 });
    // The same attributes in another order are the same item.
    table.record(T0 + 6, Object.fromEntries(Object.entries(user('c', 'free')).reverse()), false);
    expect(table.changesBetween(T0 + 5, T0 + 6)).toEqual({ added: 0, changed: 0, deleted: 0 });
    // An attribute left out of the comparison: a change to it alone is no change.
    table.record(T0 + 7, { ...user('c', 'free'), n: { N: '13' } }, false);
    expect(table.changesBetween(T0 + 6, T0 + 7)).toEqual({ added: 0, changed: 1, deleted: 0 });
    expect(table.changesBetween(T0 + 6, T0 + 7, ['n'])).toEqual({ added: 0, changed: 0, deleted: 0 });
  });
});

describe('DescribeContinuousBackups and UpdateContinuousBackups', () => {
  it('has the window from when point-in-time recovery was enabled to now minus the lag', async () => {
    const { emulator, at } = setUp({ lag: 300_000 });
    const before = (await emulator.handle('DescribeContinuousBackups', { TableName: TABLE })) as {
      ContinuousBackupsDescription: Record<string, unknown>;
    };
    expect(before.ContinuousBackupsDescription).toEqual({
      ContinuousBackupsStatus: 'ENABLED',
      PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' },
    });
    at(1000);
    await emulator.handle('UpdateContinuousBackups', {
      TableName: TABLE_ARN,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    at(3_600_000);
    expect(await emulator.handle('DescribeContinuousBackups', { TableName: TABLE_ARN })).toEqual({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: {
          PointInTimeRecoveryStatus: 'ENABLED',
          RecoveryPeriodInDays: 35,
          EarliestRestorableDateTime: (T0 + 1000) / 1000,
          LatestRestorableDateTime: (T0 + 3_600_000 - 300_000) / 1000,
        },
      },
    });
    // After the recovery period, the window starts that many days ago.
    at(40 * 86_400_000);
    const later = (await emulator.handle('DescribeContinuousBackups', { TableName: TABLE })) as {
      ContinuousBackupsDescription: {
        PointInTimeRecoveryDescription: { EarliestRestorableDateTime: number };
      };
    };
    expect(later.ContinuousBackupsDescription.PointInTimeRecoveryDescription.EarliestRestorableDateTime).toBe(
      (T0 + 5 * 86_400_000) / 1000,
    );
    expect((await rejection(emulator.handle('DescribeContinuousBackups', { TableName: 'other' }))).type).toBe(
      'TableNotFoundException',
    );
  });
});

describe('ExportTableToPointInTime', () => {
  const enable = async (emulator: PointInTimeExports) =>
    emulator.handle('UpdateContinuousBackups', {
      TableName: TABLE,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });

  it('refuses a table without point-in-time recovery, a time outside the window, and what it does not emulate', async () => {
    const { emulator, at } = setUp({ lag: 60_000 });
    const request = { TableArn: TABLE_ARN, S3Bucket: 'exports' };
    expect((await rejection(emulator.handle('ExportTableToPointInTime', request))).type).toBe(
      'PointInTimeRecoveryUnavailableException',
    );
    at(10_000);
    await enable(emulator);
    at(600_000);
    const outside = [T0 + 9_999, T0 + 540_001, T0 + 700_000];
    for (const time of outside) {
      const error = await rejection(
        emulator.handle('ExportTableToPointInTime', { ...request, ExportTime: time / 1000 }),
      );
      expect(error.type).toBe('InvalidExportTimeException');
    }
    // Both bounds are inside.
    for (const time of [T0 + 10_000, T0 + 540_000]) {
      await expect(
        emulator.handle('ExportTableToPointInTime', { ...request, ExportTime: time / 1000 }),
      ).resolves.toMatchObject({
        ExportDescription: { ExportStatus: 'IN_PROGRESS', ExportTime: time / 1000 },
      });
    }
    for (const bad of [
      { ExportFormat: 'ION' },
      { ExportType: 'INCREMENTAL_EXPORT' },
      { S3Bucket: '-bad-' },
      { S3Bucket: undefined },
      { ClientToken: 'a$b' },
    ]) {
      expect(
        (await rejection(emulator.handle('ExportTableToPointInTime', { ...request, ...bad }))).type,
      ).toBe('ValidationException');
    }
    expect(
      (
        await rejection(
          emulator.handle('ExportTableToPointInTime', {
            ...request,
            TableArn: `arn:aws:dynamodb:${REGION}:111111111111:table/${TABLE}`,
          }),
        )
      ).type,
    ).toBe('TableNotFoundException');
    // A Region with no replica: not found. The replica (its Region registered, the same name) is the
    // same table locally; its ARN names the Region.
    const westArn = `arn:aws:dynamodb:us-west-2:${ACCOUNT}:table/${TABLE}`;
    expect(
      (await rejection(emulator.handle('ExportTableToPointInTime', { ...request, TableArn: westArn }))).type,
    ).toBe('TableNotFoundException');
    emulator.addReplicaRegion('us-west-2');
    const replica = (await emulator.handle('ExportTableToPointInTime', {
      ...request,
      TableArn: `arn:aws:dynamodb:us-west-2:${ACCOUNT}:table/${TABLE}`,
    })) as { ExportDescription: { ExportArn: string } };
    expect(replica.ExportDescription.ExportArn).toMatch(
      /^arn:aws:dynamodb:us-west-2:\d{12}:table\/backup\/export\//,
    );
    await emulator.idle();
  });

  it('is idempotent with a ClientToken, and refuses the token with other parameters', async () => {
    const { emulator, at } = setUp();
    await enable(emulator);
    at(5000);
    const request = { TableArn: TABLE_ARN, S3Bucket: 'exports', S3Prefix: 'p', ClientToken: 'token-1' };
    const first = (await emulator.handle('ExportTableToPointInTime', request)) as {
      ExportDescription: { ExportArn: string };
    };
    at(6000);
    const again = (await emulator.handle('ExportTableToPointInTime', request)) as {
      ExportDescription: { ExportArn: string };
    };
    expect(again.ExportDescription.ExportArn).toBe(first.ExportDescription.ExportArn);
    expect(emulator.list()).toHaveLength(1);
    const error = await rejection(emulator.handle('ExportTableToPointInTime', { ...request, S3Prefix: 'q' }));
    expect(error.type).toBe('ExportConflictException');
    await emulator.idle();
    // Eight hours after the first export completed, the token starts a new export.
    at(6000 + 8 * 3_600_000 + 1);
    const later = (await emulator.handle('ExportTableToPointInTime', { ...request, S3Prefix: 'q' })) as {
      ExportDescription: { ExportArn: string };
    };
    expect(later.ExportDescription.ExportArn).not.toBe(first.ExportDescription.ExportArn);
    await emulator.idle();
  });

  it('writes the documented layout: _started, gzip data files of Item lines, manifests and their checksums', async () => {
    const { emulator, table, at, objects } = setUp({ partitions: 4 });
    await enable(emulator);
    const items = Array.from({ length: 30 }, (_, index) => user(`user-${index}`, 'free'));
    at(1000);
    for (const item of items) table.record(T0 + 1000, item, false);
    at(2000);
    // After the export time: neither may reach the export.
    table.record(T0 + 2001, user('late', 'free'), false);
    table.record(T0 + 2001, { id: { S: 'user-0' }, type: { S: 'user' } }, true);
    at(3000);
    const started = (await emulator.handle('ExportTableToPointInTime', {
      TableArn: TABLE_ARN,
      S3Bucket: 'exports',
      S3Prefix: 'point-in-time-exports/run-1',
      ExportTime: (T0 + 2000) / 1000,
      ExportFormat: 'DYNAMODB_JSON',
    })) as { ExportDescription: Record<string, unknown> };
    const arn = String(started.ExportDescription.ExportArn);
    expect(arn).toMatch(new RegExp(`^${TABLE_ARN}/export/\\d{14}-[0-9a-f]{8}$`));
    const exportId = arn.split('/export/')[1] ?? '';
    expect(exportId.slice(0, 14)).toBe(String(T0 + 3000).padStart(14, '0'));
    await emulator.idle();

    const base = `point-in-time-exports/run-1/AWSDynamoDB/${exportId}`;
    const all = objects();
    expect(all.get(`${base}/_started`)?.length).toBe(0);
    const summaryBody = all.get(`${base}/manifest-summary.json`) ?? Buffer.alloc(0);
    const filesBody = all.get(`${base}/manifest-files.json`) ?? Buffer.alloc(0);
    expect(all.get(`${base}/manifest-summary.checksum`)?.toString()).toBe(
      md5(summaryBody).toString('base64'),
    );
    expect(all.get(`${base}/manifest-files.checksum`)?.toString()).toBe(md5(filesBody).toString('base64'));
    const summary = JSON.parse(summaryBody.toString()) as Record<string, unknown>;
    expect(summary).toEqual({
      version: '2020-06-30',
      exportArn: arn,
      startTime: new Date(T0 + 3000).toISOString(),
      endTime: new Date(T0 + 3000).toISOString(),
      tableArn: TABLE_ARN,
      tableId: 'table-id-1',
      exportTime: new Date(T0 + 2000).toISOString(),
      s3Bucket: 'exports',
      s3Prefix: 'point-in-time-exports/run-1',
      s3SseAlgorithm: 'AES256',
      s3SseKmsKeyId: null,
      manifestFilesS3Key: `${base}/manifest-files.json`,
      billedSizeBytes: expect.any(Number) as number,
      itemCount: 30,
      outputFormat: 'DYNAMODB_JSON',
      exportType: 'FULL_EXPORT',
    });
    expect(summary.billedSizeBytes).toBeGreaterThan(30 * 40);

    // JSON lines, one a data file, each line ending with a newline.
    expect(filesBody.toString().endsWith('\n')).toBe(true);
    const files = filesBody
      .toString()
      .trimEnd()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as { itemCount: number; md5Checksum: string; etag: string; dataFileS3Key: string },
      );
    expect(files).toHaveLength(4);
    const exported: unknown[] = [];
    for (const file of files) {
      expect(file.dataFileS3Key).toMatch(new RegExp(`^${base}/data/[a-z2-7]{26}\\.json\\.gz$`));
      const body = all.get(file.dataFileS3Key) ?? Buffer.alloc(0);
      expect(file.md5Checksum).toBe(md5(body).toString('base64'));
      expect(file.etag).toBe(`${createHash('md5').update(md5(body)).digest('hex')}-1`);
      const text = gunzipSync(body).toString();
      const lines = text === '' ? [] : text.trimEnd().split('\n');
      expect(lines).toHaveLength(file.itemCount);
      for (const line of lines) exported.push((JSON.parse(line) as { Item: unknown }).Item);
    }
    expect(files.filter((file) => file.itemCount === 0)).toHaveLength(1);
    expect(exported).toHaveLength(30);
    expect(new Set(exported.map((item) => JSON.stringify(item)))).toEqual(
      new Set(items.map((item) => JSON.stringify(item))),
    );

    expect(await emulator.handle('DescribeExport', { ExportArn: arn })).toEqual({
      ExportDescription: expect.objectContaining({
        ExportArn: arn,
        ExportStatus: 'COMPLETED',
        ExportManifest: `${base}/manifest-summary.json`,
        ItemCount: 30,
        ExportFormat: 'DYNAMODB_JSON',
        ExportType: 'FULL_EXPORT',
        S3Bucket: 'exports',
        S3Prefix: 'point-in-time-exports/run-1',
        ExportTime: (T0 + 2000) / 1000,
        StartTime: (T0 + 3000) / 1000,
        EndTime: (T0 + 3000) / 1000,
      }) as unknown,
    });
  });

  it('stays IN_PROGRESS until the export is written', async () => {
    const { journal, writer } = setUp();
    let release: () => void = () => undefined;
    const sleeping = new Promise<void>((resolve) => {
      release = resolve;
    });
    let asleep = false;
    const emulator = new PointInTimeExports({
      journal,
      writer,
      region: REGION,
      accountId: ACCOUNT,
      exportDurationMs: 1_000_000,
      sleep: () => {
        asleep = true;
        return sleeping;
      },
    });
    await emulator.handle('UpdateContinuousBackups', {
      TableName: TABLE,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    const started = (await emulator.handle('ExportTableToPointInTime', {
      TableArn: TABLE_ARN,
      S3Bucket: 'exports',
    })) as {
      ExportDescription: { ExportArn: string };
    };
    const describe = async () =>
      (
        (await emulator.handle('DescribeExport', { ExportArn: started.ExportDescription.ExportArn })) as {
          ExportDescription: Record<string, unknown>;
        }
      ).ExportDescription;
    while (!asleep) await new Promise((resolve) => setImmediate(resolve));
    const during = await describe();
    expect(during.ExportStatus).toBe('IN_PROGRESS');
    expect(during.ExportManifest).toBeUndefined();
    expect(during.EndTime).toBeUndefined();
    release();
    await emulator.idle();
    expect((await describe()).ExportStatus).toBe('COMPLETED');
  });

  it('ends FAILED with partial files and no manifest when told to fail, or when the bucket does not exist', async () => {
    const { emulator, objects } = setUp();
    await emulator.handle('UpdateContinuousBackups', {
      TableName: TABLE,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    emulator.setFault({ fails: (n) => n === 2 });
    const request = { TableArn: TABLE_ARN, S3Bucket: 'exports' };
    const first = (await emulator.handle('ExportTableToPointInTime', request)) as {
      ExportDescription: { ExportArn: string };
    };
    const second = (await emulator.handle('ExportTableToPointInTime', request)) as {
      ExportDescription: { ExportArn: string };
    };
    const missing = (await emulator.handle('ExportTableToPointInTime', {
      ...request,
      S3Bucket: 'nowhere',
    })) as {
      ExportDescription: { ExportArn: string };
    };
    await emulator.idle();
    const status = async (arn: string) =>
      (
        (await emulator.handle('DescribeExport', { ExportArn: arn })) as {
          ExportDescription: Record<string, unknown>;
        }
      ).ExportDescription;
    expect((await status(first.ExportDescription.ExportArn)).ExportStatus).toBe('COMPLETED');
    const failed = await status(second.ExportDescription.ExportArn);
    expect(failed).toMatchObject({ ExportStatus: 'FAILED', FailureCode: 'S3AccessDenied' });
    expect(failed.ExportManifest).toBeUndefined();
    const id = second.ExportDescription.ExportArn.split('/export/')[1] ?? '';
    const keys = [...objects().keys()].filter((key) => key.includes(id));
    expect(keys).toContain(`AWSDynamoDB/${id}/_started`);
    expect(keys.filter((key) => key.includes('/data/'))).toHaveLength(1);
    expect(keys.filter((key) => key.includes('manifest'))).toEqual([]);
    expect(await status(missing.ExportDescription.ExportArn)).toMatchObject({
      ExportStatus: 'FAILED',
      FailureCode: 'S3NoSuchBucket',
    });
    expect(
      (await rejection(emulator.handle('DescribeExport', { ExportArn: `${TABLE_ARN}/export/none` }))).type,
    ).toBe('ExportNotFoundException');
  });

  it('ListExports pages in reverse order of ExportArn, by table', async () => {
    const { emulator, journal, at } = setUp();
    journal.open('other', ['id'], T0, 'other-id');
    for (const name of [TABLE, 'other']) {
      await emulator.handle('UpdateContinuousBackups', {
        TableName: name,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    }
    for (let index = 1; index <= 4; index += 1) {
      at(index * 1000);
      await emulator.handle('ExportTableToPointInTime', { TableArn: TABLE_ARN, S3Bucket: 'exports' });
    }
    await emulator.handle('ExportTableToPointInTime', {
      TableArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/other`,
      S3Bucket: 'exports',
    });
    await emulator.idle();
    const first = (await emulator.handle('ListExports', { TableArn: TABLE_ARN, MaxResults: 3 })) as {
      ExportSummaries: { ExportArn: string; ExportStatus: string; ExportType: string }[];
      NextToken?: string;
    };
    expect(first.ExportSummaries).toHaveLength(3);
    expect(first.ExportSummaries[0]).toMatchObject({ ExportStatus: 'COMPLETED', ExportType: 'FULL_EXPORT' });
    const second = (await emulator.handle('ListExports', {
      TableArn: TABLE_ARN,
      MaxResults: 3,
      NextToken: first.NextToken,
    })) as { ExportSummaries: { ExportArn: string }[]; NextToken?: string };
    expect(second.NextToken).toBeUndefined();
    const arns = [...first.ExportSummaries, ...second.ExportSummaries].map((summary) => summary.ExportArn);
    expect(arns).toHaveLength(4);
    expect(arns).toEqual([...arns].sort().reverse());
    expect((await rejection(emulator.handle('ListExports', { MaxResults: 26 }))).type).toBe(
      'ValidationException',
    );
  });
});

describe('through the DynamoDB front, with the SDK and the local S3', () => {
  let environment: LocalEnvironment;
  beforeAll(async () => {
    environment = await LocalEnvironment.start({ exportDurationMs: 50 });
  });
  afterAll(async () => {
    await environment.stop();
  });

  it('journals PutItem, UpdateItem, BatchWriteItem and DeleteItem and exports the table as it was', async () => {
    const endpoint = environment.endpoints().dynamodb;
    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    const ddb = new DynamoDBClient({ region: environment.region, endpoint, credentials });
    const s3 = new S3Client({
      region: environment.region,
      endpoint: environment.fauxqs.endpoint,
      credentials,
      forcePathStyle: true,
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'export-bucket' }));
    await ddb.send(
      new CreateTableCommand({
        TableName: 'journaled',
        AttributeDefinitions: [
          { AttributeName: 'id', AttributeType: 'S' },
          { AttributeName: 'type', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'id', KeyType: 'HASH' },
          { AttributeName: 'type', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await ddb.send(
      new UpdateContinuousBackupsCommand({
        TableName: 'journaled',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    );
    const key = (id: string) => ({ id: { S: id }, type: { S: 'user' } });
    await ddb.send(
      new PutItemCommand({ TableName: 'journaled', Item: { ...key('a'), plan: { S: 'free' } } }),
    );
    const updated = await ddb.send(
      new UpdateItemCommand({
        TableName: 'journaled',
        Key: key('a'),
        UpdateExpression: 'SET #plan = :p',
        ExpressionAttributeNames: { '#plan': 'plan' },
        ExpressionAttributeValues: { ':p': { S: 'gold' } },
      }),
    );
    // The front asked for ALL_NEW to journal the item; the caller, who did not, gets no Attributes.
    expect(updated.Attributes).toBeUndefined();
    await ddb.send(
      new BatchWriteItemCommand({
        RequestItems: {
          journaled: [
            { PutRequest: { Item: { ...key('b'), plan: { S: 'free' } } } },
            { PutRequest: { Item: { ...key('c'), plan: { S: 'free' } } } },
          ],
        },
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const between = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await ddb.send(new DeleteItemCommand({ TableName: 'journaled', Key: key('b') }));
    await ddb.send(
      new PutItemCommand({ TableName: 'journaled', Item: { ...key('c'), plan: { S: 'damaged' } } }),
    );

    const backups = await ddb.send(new DescribeContinuousBackupsCommand({ TableName: 'journaled' }));
    const window = backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription;
    expect(window?.PointInTimeRecoveryStatus).toBe('ENABLED');
    expect(window?.EarliestRestorableDateTime?.getTime()).toBeLessThanOrEqual(between.getTime());

    const tableArn = `arn:aws:dynamodb:${environment.region}:${environment.accountId}:table/journaled`;
    const started = await ddb.send(
      new ExportTableToPointInTimeCommand({
        TableArn: tableArn,
        S3Bucket: 'export-bucket',
        S3Prefix: 'pitr',
        ExportTime: between,
        ExportFormat: 'DYNAMODB_JSON',
      }),
    );
    const arn = started.ExportDescription?.ExportArn ?? '';
    expect(started.ExportDescription?.ExportStatus).toBe('IN_PROGRESS');
    await environment.pointInTime.idle();
    const described = await ddb.send(new DescribeExportCommand({ ExportArn: arn }));
    expect(described.ExportDescription?.ExportStatus).toBe('COMPLETED');
    expect(described.ExportDescription?.ExportTime?.getTime()).toBe(between.getTime());
    const listed = await ddb.send(new ListExportsCommand({ TableArn: tableArn }));
    expect(listed.ExportSummaries?.map((summary) => summary.ExportArn)).toEqual([arn]);

    const read = async (objectKey: string) => {
      const object = await s3.send(new GetObjectCommand({ Bucket: 'export-bucket', Key: objectKey }));
      return Buffer.from(await (object.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array())));
    };
    const files = (await read(`pitr/AWSDynamoDB/${arn.split('/export/')[1] ?? ''}/manifest-files.json`))
      .toString()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { etag: string; dataFileS3Key: string });
    const items: unknown[] = [];
    for (const file of files) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'export-bucket', Key: file.dataFileS3Key }));
      // The manifest's etag is the object's ETag in S3.
      expect(head.ETag?.replaceAll('"', '')).toBe(file.etag);
      const text = gunzipSync(await read(file.dataFileS3Key)).toString();
      for (const line of text.split('\n').filter((entry) => entry !== '')) {
        items.push((JSON.parse(line) as { Item: unknown }).Item);
      }
    }
    expect(items).toHaveLength(3);
    expect(items).toEqual(
      expect.arrayContaining([
        { ...key('a'), plan: { S: 'gold' } },
        { ...key('b'), plan: { S: 'free' } },
        { ...key('c'), plan: { S: 'free' } },
      ]),
    );
    const listing = await s3.send(new ListObjectsV2Command({ Bucket: 'export-bucket', Prefix: 'pitr/' }));
    expect(listing.Contents?.map((object) => object.Key?.split('/').slice(3).join('/')).sort()).toEqual(
      expect.arrayContaining([
        '_started',
        'manifest-files.checksum',
        'manifest-files.json',
        'manifest-summary.checksum',
        'manifest-summary.json',
      ]),
    );
    expect(
      environment.ddbFront.journal.table('journaled')?.changesBetween(between.getTime(), Date.now()),
    ).toEqual({
      added: 0,
      changed: 1,
      deleted: 1,
    });
  });
});
