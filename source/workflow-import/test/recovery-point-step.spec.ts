// SPDX-License-Identifier: Apache-2.0
import {
  DescribeContinuousBackupsCommand,
  DescribeExportCommand,
  DynamoDBClient,
  ExportTableToPointInTimeCommand,
  GetItemCommand,
  type ExportTableToPointInTimeCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockAws } from '../../test-support/aws-mock';
import { buildTableExport, serveExportBucket } from '../../test-support/table-export';
import { dynamoDbClient, s3Client } from '../../utils/clients';
import { createLogger } from '../../utils/logger';
import { recoveryPointRequest, RecoveryPointUnavailableError } from '../../utils/recovery-point';
import {
  checkRecoveryPoint,
  clientTokenOf,
  prepareRecoveryPoint,
  RecoveryPointRefusedError,
  type RecoveryPointState,
  type RecoveryPointStepDeps,
} from '../lib/recovery-point-step';
import { configurationItems } from '../../utils/pool-configuration-item';
import {
  readStoredConfiguration,
  storedConfigurationKey,
  storedItemKey,
} from '../../utils/stored-pool-configuration';
import { groupItem, timestampItem, TYPE_TIMESTAMP, userItem } from './support';

const ddb = mockAws(DynamoDBClient);
const s3 = mockAws(S3Client);

const NOW = Date.parse('2026-12-07T23:00:00Z');
const EARLIEST = new Date('2026-11-02T23:00:00Z');
const LATEST = new Date('2026-12-07T22:55:00Z');
const EXECUTION_ARN = 'arn:aws:states:us-east-2:111122223333:execution:ImportWorkflow-abc:run-1';
const EXPORT_ARN =
  'arn:aws:dynamodb:us-east-2:111122223333:table/backup-table/export/01733600000000-a1b2c3d4';

function deps(
  overrides: Partial<RecoveryPointStepDeps['config']> = {},
  hasTime = () => true,
): RecoveryPointStepDeps {
  return {
    ddb: dynamoDbClient(),
    s3: s3Client(),
    logger: createLogger({}, { write: () => undefined }),
    config: {
      tableName: 'backup-table',
      tableArn: 'arn:aws:dynamodb:us-east-2:111122223333:table/backup-table',
      importBucket: 'mapping-bucket',
      snapshotBucket: 'snapshot-bucket',
      kmsKeyArn: '',
      typeTimestamp: TYPE_TIMESTAMP,
      ...overrides,
    },
    execution: { name: 'run-1', id: EXECUTION_ARN },
    now: () => NOW,
    hasTime,
  };
}

const asOf = (time: string) => recoveryPointRequest({ AsOf: time });
const items = [timestampItem(), groupItem('admins'), userItem(1), userItem(2)];

beforeEach(() => {
  ddb.reset();
  s3.reset();
  ddb.on(DescribeContinuousBackupsCommand).resolves({
    ContinuousBackupsDescription: {
      ContinuousBackupsStatus: 'ENABLED',
      PointInTimeRecoveryDescription: {
        PointInTimeRecoveryStatus: 'ENABLED',
        EarliestRestorableDateTime: EARLIEST,
        LatestRestorableDateTime: LATEST,
      },
    },
  });
  ddb.on(ExportTableToPointInTimeCommand).resolves({
    ExportDescription: { ExportArn: EXPORT_ARN, ExportStatus: 'IN_PROGRESS' },
  });
});

describe('AsOf: the window', () => {
  it.each([
    ['the earliest restorable time', EARLIEST.toISOString()],
    ['the latest restorable time', LATEST.toISOString()],
    ['a time between', '2026-12-01T09:30:00Z'],
  ])('accepts %s and starts one export of the table as it was then', async (_name, time) => {
    await expect(prepareRecoveryPoint(asOf(time), deps())).resolves.toEqual({
      RecoveryPointReady: false,
      RecoveryPointWait: true,
      RecoveryPoint: {
        Kind: 'AsOf',
        AsOf: new Date(time).toISOString(),
        ExportArn: EXPORT_ARN,
        CheckedFiles: 0,
      },
    });
    expect(ddb).toHaveReceivedCommandWith(DescribeContinuousBackupsCommand, { TableName: 'backup-table' });
    expect(ddb.commandCalls(ExportTableToPointInTimeCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableArn: 'arn:aws:dynamodb:us-east-2:111122223333:table/backup-table',
        ExportTime: new Date(time),
        ClientToken: clientTokenOf(EXECUTION_ARN),
        S3Bucket: 'mapping-bucket',
        S3Prefix: 'point-in-time-exports/run-1',
        S3SseAlgorithm: 'AES256',
        ExportFormat: 'DYNAMODB_JSON',
        ExportType: 'FULL_EXPORT',
      },
    ]);
  });

  it.each([
    [
      'a time in the future',
      '2026-12-07T23:00:00.001Z',
      'AsOf (2026-12-07T23:00:00.001Z) is in the future (it is now 2026-12-07T23:00:00.000Z)',
    ],
    [
      'a time before the earliest restorable time',
      '2026-11-02T22:59:59.999Z',
      'AsOf (2026-11-02T22:59:59.999Z) is before the earliest time the backup table can be restored to. ' +
        'The available window is 2026-11-02T23:00:00.000Z to 2026-12-07T22:55:00.000Z (UTC).',
    ],
    [
      'a time after the latest restorable time',
      '2026-12-07T22:55:00.001Z',
      'AsOf (2026-12-07T22:55:00.001Z) is after the latest time the backup table can be restored to (typically ' +
        '5 minutes ago). The available window is 2026-11-02T23:00:00.000Z to 2026-12-07T22:55:00.000Z (UTC).',
    ],
  ])('refuses %s at once, with the window, and exports nothing', async (_name, time, message) => {
    const preparing = prepareRecoveryPoint(asOf(time), deps());
    await expect(preparing).rejects.toThrow(RecoveryPointRefusedError);
    await expect(prepareRecoveryPoint(asOf(time), deps())).rejects.toThrow(message);
    expect(ddb).not.toHaveReceivedCommand(ExportTableToPointInTimeCommand);
  });

  it('refuses when point-in-time recovery is off', async () => {
    ddb.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'DISABLED',
        PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' },
      },
    });
    await expect(prepareRecoveryPoint(asOf('2026-12-01T09:30:00Z'), deps())).rejects.toThrow(
      /Point-in-time recovery of the backup table backup-table is not enabled \(DISABLED\)/,
    );
  });

  it('encrypts the export with the stack key when there is one, and the token is the same on a retry', async () => {
    const kms = 'arn:aws:kms:us-east-2:111122223333:key/1234';
    await prepareRecoveryPoint(asOf('2026-12-01T09:30:00Z'), deps({ kmsKeyArn: kms }));
    await prepareRecoveryPoint(asOf('2026-12-01T09:30:00Z'), deps({ kmsKeyArn: kms }));
    const inputs = ddb.commandCalls(ExportTableToPointInTimeCommand).map((call) => call.args[0].input);
    expect(inputs[0]).toMatchObject({ S3SseAlgorithm: 'KMS', S3SseKmsKeyId: kms });
    expect(inputs[1]?.ClientToken).toBe(inputs[0]?.ClientToken);
    expect(clientTokenOf(`${EXECUTION_ARN}-2`)).not.toBe(inputs[0]?.ClientToken);
  });
});

describe('AsOf: waiting for the export and checking it', () => {
  const started = (extra: Partial<RecoveryPointState['RecoveryPoint']> = {}): RecoveryPointState => ({
    RecoveryPointReady: false,
    RecoveryPointWait: true,
    RecoveryPoint: {
      Kind: 'AsOf',
      AsOf: '2026-12-01T09:30:00.000Z',
      ExportArn: EXPORT_ARN,
      CheckedFiles: 0,
      ...extra,
    },
  });
  const request = asOf('2026-12-01T09:30:00Z');

  it('asks for another wait while the export runs', async () => {
    ddb.on(DescribeExportCommand).resolves({ ExportDescription: { ExportStatus: 'IN_PROGRESS' } });
    await expect(checkRecoveryPoint(request, started(), deps())).resolves.toEqual(started());
    expect(ddb).toHaveReceivedCommandWith(DescribeExportCommand, { ExportArn: EXPORT_ARN });
  });

  it('fails loudly, saying what to do, when the export ends FAILED', async () => {
    ddb.on(DescribeExportCommand).resolves({
      ExportDescription: {
        ExportStatus: 'FAILED',
        FailureCode: 'S3AccessDenied',
        FailureMessage: 'Access Denied',
      },
    });
    const checking = checkRecoveryPoint(request, started(), deps());
    await expect(checking).rejects.toThrow(RecoveryPointUnavailableError);
    await expect(checkRecoveryPoint(request, started(), deps())).rejects.toThrow(
      'The point-in-time export of the backup table as of 2026-12-01T09:30:00.000Z failed (S3AccessDenied: ' +
        'Access Denied); nothing was written to the new user pool.',
    );
  });

  it('checks a completed export file by file across invocations, then says ready', async () => {
    ddb.on(DescribeExportCommand).resolves({ ExportDescription: { ExportStatus: 'COMPLETED' } });
    const built = buildTableExport([[items[0]!], [items[1]!], items.slice(2)], {
      prefix: 'point-in-time-exports/run-1/',
    });
    serveExportBucket(s3, built.objects, 'mapping-bucket');
    let calls = 0;
    const once = () => calls++ < 0;
    const first = await checkRecoveryPoint(request, started(), deps({}, once));
    expect(first).toEqual({
      RecoveryPointReady: false,
      RecoveryPointWait: false,
      RecoveryPoint: { ...started().RecoveryPoint, CheckedFiles: 1, TimestampFound: true },
    });
    const second = await checkRecoveryPoint(request, first, deps());
    expect(second).toEqual({
      RecoveryPointReady: true,
      RecoveryPointWait: false,
      RecoveryPoint: { ...first.RecoveryPoint, CheckedFiles: 3, Items: 4 },
    });
  });

  it('refuses an export without the latest-export timestamp (a time before the first export)', async () => {
    ddb.on(DescribeExportCommand).resolves({ ExportDescription: { ExportStatus: 'COMPLETED' } });
    serveExportBucket(s3, buildTableExport([[]], { prefix: 'point-in-time-exports/run-1/' }).objects);
    await expect(checkRecoveryPoint(request, started(), deps())).rejects.toThrow(
      /The backup table held no finished export at 2026-12-01T09:30:00.000Z/,
    );
  });

  it('refuses an export whose data file was altered, naming it', async () => {
    ddb.on(DescribeExportCommand).resolves({ ExportDescription: { ExportStatus: 'COMPLETED' } });
    const built = buildTableExport([items], { prefix: 'point-in-time-exports/run-1/' });
    const key = built.dataKeys[0] ?? '';
    built.objects.set(key, Buffer.from('garbage'));
    serveExportBucket(s3, built.objects);
    await expect(checkRecoveryPoint(request, started(), deps())).rejects.toThrow(
      `The point-in-time export of the backup table as of 2026-12-01T09:30:00.000Z cannot be restored: The table ` +
        `export file s3://mapping-bucket/${key} cannot be read (truncated or not gzip)`,
    );
  });
});

describe('Snapshot', () => {
  const request = recoveryPointRequest({ Snapshot: '20261207T223000Z' });

  it('is checked whole before it is ready (no wait, no export started)', async () => {
    serveExportBucket(s3, buildTableExport([items], { prefix: 'snapshots/20261207T223000Z/' }).objects);
    const prepared = await prepareRecoveryPoint(request, deps());
    expect(prepared).toEqual({
      RecoveryPointReady: false,
      RecoveryPointWait: false,
      RecoveryPoint: { Kind: 'Snapshot', Snapshot: '20261207T223000Z', CheckedFiles: 0 },
    });
    await expect(checkRecoveryPoint(request, prepared, deps())).resolves.toMatchObject({
      RecoveryPointReady: true,
      RecoveryPoint: {
        Kind: 'Snapshot',
        CheckedFiles: 1,
        Items: 4,
        ExportArn: expect.stringContaining('export/'),
      },
    });
    expect(ddb).not.toHaveReceivedCommand(ExportTableToPointInTimeCommand);
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, { Bucket: 'snapshot-bucket' });
  });

  it('refuses an unknown snapshot, and a stack without snapshots', async () => {
    serveExportBucket(s3, new Map());
    await expect(checkRecoveryPoint(request, undefined, deps())).rejects.toThrow(
      'The snapshot 20261207T223000Z has no complete export under s3://snapshot-bucket/snapshots/20261207T223000Z/',
    );
    await expect(prepareRecoveryPoint(request, deps({ snapshotBucket: '' }))).rejects.toThrow(
      /this stack keeps no snapshots/,
    );
  });
});

describe('the live backup table (neither AsOf, Snapshot nor Sample)', () => {
  it('is ready at once, in both steps, without asking DynamoDB or S3 anything', async () => {
    const request = recoveryPointRequest({});
    const ready: RecoveryPointState = {
      RecoveryPointReady: true,
      RecoveryPointWait: false,
      RecoveryPoint: { Kind: 'BackupTable' },
    };
    await expect(prepareRecoveryPoint(request, deps())).resolves.toEqual(ready);
    await expect(checkRecoveryPoint(request, undefined, deps())).resolves.toEqual(ready);
    expect(ddb.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
  });
});

describe('AsOf: what DynamoDB leaves out', () => {
  const request = asOf('2026-12-01T09:30:00Z');

  it('refuses when the table says nothing of point-in-time recovery, calling its status unknown', async () => {
    ddb.on(DescribeContinuousBackupsCommand).resolves({});
    await expect(prepareRecoveryPoint(request, deps())).rejects.toThrow(
      'Point-in-time recovery of the backup table backup-table is not enabled (unknown)',
    );
    expect(ddb).not.toHaveReceivedCommand(ExportTableToPointInTimeCommand);
  });

  it('refuses when the window has no earliest time, and accepts a time when it has no latest time', async () => {
    const recovery = (description: object) =>
      ddb.on(DescribeContinuousBackupsCommand).resolves({
        ContinuousBackupsDescription: {
          ContinuousBackupsStatus: 'ENABLED',
          PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED', ...description },
        },
      });
    recovery({ LatestRestorableDateTime: LATEST });
    await expect(prepareRecoveryPoint(request, deps())).rejects.toThrow(
      'The available window is unknown to 2026-12-07T22:55:00.000Z (UTC).',
    );
    expect(ddb).not.toHaveReceivedCommand(ExportTableToPointInTimeCommand);
    recovery({ EarliestRestorableDateTime: EARLIEST });
    await expect(prepareRecoveryPoint(request, deps())).resolves.toMatchObject({ RecoveryPointWait: true });
    expect(ddb).toHaveReceivedCommandTimes(ExportTableToPointInTimeCommand, 1);
  });

  it.each<[string, ExportTableToPointInTimeCommandOutput, string]>([
    ['no export description', { $metadata: {} }, 'status unknown'],
    [
      'no ExportArn',
      { $metadata: {}, ExportDescription: { ExportStatus: 'IN_PROGRESS' } },
      'status IN_PROGRESS',
    ],
    [
      'an empty ExportArn',
      { $metadata: {}, ExportDescription: { ExportArn: '', ExportStatus: 'IN_PROGRESS' } },
      'status IN_PROGRESS',
    ],
  ])('refuses an export record with %s, saying what to do', async (_what, answer, status) => {
    ddb.on(ExportTableToPointInTimeCommand).resolves(answer);
    const failure = (await prepareRecoveryPoint(request, deps()).catch((error: unknown) => error)) as Error;
    expect(failure).toBeInstanceOf(RecoveryPointUnavailableError);
    expect(failure.message).toBe(
      'DynamoDB answered the point-in-time export of the backup table as of 2026-12-01T09:30:00.000Z without ' +
        `an ExportArn (${status}), so it cannot be followed; nothing was written to any user pool. Start ` +
        'the workflow again with the same input.',
    );
  });

  it('a check without the ExportArn of the step before fails, naming the step', async () => {
    await expect(checkRecoveryPoint(request, undefined, deps())).rejects.toThrow(
      'CheckRecoveryPoint needs the ExportArn that PrepareRecoveryPoint returned',
    );
    expect(ddb).not.toHaveReceivedCommand(DescribeExportCommand);
  });

  it('says so when a FAILED export carries no failure code or message', async () => {
    ddb.on(DescribeExportCommand).resolves({ ExportDescription: { ExportStatus: 'FAILED' } });
    const started: RecoveryPointState = {
      RecoveryPointReady: false,
      RecoveryPointWait: true,
      RecoveryPoint: {
        Kind: 'AsOf',
        AsOf: '2026-12-01T09:30:00.000Z',
        ExportArn: EXPORT_ARN,
        CheckedFiles: 0,
      },
    };
    await expect(checkRecoveryPoint(request, started, deps())).rejects.toThrow(
      'as of 2026-12-01T09:30:00.000Z failed (no code: no message); nothing was written to the new user pool',
    );
  });
});

describe('Sample (a restore drill’s own sample)', () => {
  const SAMPLE = 'restore-drill-nightly-1';
  const request = recoveryPointRequest({ Sample: SAMPLE });

  it('is read from the import bucket and checked whole before it is ready, without the timestamp item', async () => {
    serveExportBucket(
      s3,
      buildTableExport([[items[1]!], items.slice(2)], { prefix: `restore-drill-samples/${SAMPLE}/` }).objects,
    );
    const prepared = await prepareRecoveryPoint(request, deps());
    expect(prepared).toEqual({
      RecoveryPointReady: false,
      RecoveryPointWait: false,
      RecoveryPoint: { Kind: 'Sample', Sample: SAMPLE, CheckedFiles: 0 },
    });
    await expect(checkRecoveryPoint(request, prepared, deps())).resolves.toMatchObject({
      RecoveryPointReady: true,
      RecoveryPoint: { Kind: 'Sample', Sample: SAMPLE, CheckedFiles: 2, Items: 3 },
    });
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, { Bucket: 'mapping-bucket' });
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe("the export's configuration item, kept for the target check and CreateUserPool", () => {
  const request = recoveryPointRequest({ Snapshot: '20261207T223000Z' });
  const configuration = { UserPool: { PoolName: 'production', Schema: [{ Name: 'custom:plan' }] } };
  const SUMMARY = storedConfigurationKey('run-1');
  let work: Map<string, Buffer>;
  const keeping = (hasTime = () => true): RecoveryPointStepDeps => ({
    ...deps({}, hasTime),
    keepConfiguration: true,
  });
  const kept = () => JSON.parse(work.get(SUMMARY)?.toString() ?? 'null') as unknown;

  /** The snapshot in its bucket; the import bucket keeps what is put into it. */
  function serve(files: Record<string, unknown>[][]) {
    serveExportBucket(
      s3,
      buildTableExport(files, { prefix: 'snapshots/20261207T223000Z/' }).objects,
      'snapshot-bucket',
    );
    work = new Map();
    serveExportBucket(s3, work, 'mapping-bucket');
    s3.on(PutObjectCommand, { Bucket: 'mapping-bucket' }).callsFake(
      (input: { Key: string; Body: string }) => {
        work.set(input.Key, Buffer.from(input.Body));
        return {};
      },
    );
  }

  /** Every invocation reads one file, as a large export's check does. */
  async function checkOneFileAtATime(step: RecoveryPointStepDeps['hasTime'] = () => false) {
    let state = await prepareRecoveryPoint(request, keeping());
    const states: RecoveryPointState[] = [];
    do {
      state = await checkRecoveryPoint(request, state, keeping(step));
      states.push(state);
    } while (!state.RecoveryPointReady);
    return states;
  }

  it('keeps the item and its parts that different invocations read, and writes the whole once every file is read', async () => {
    // Parts of 40 bytes, spread over the files with the users; the head in the last file.
    const stored = configurationItems(configuration, TYPE_TIMESTAMP, '2026-12-07T22:30:00Z', 40);
    expect(stored.length).toBeGreaterThan(3);
    const head = stored.at(-1)!;
    serve([
      [userItem(1), ...stored.slice(0, 2)],
      [userItem(2), ...stored.slice(2, -1)],
      [groupItem('g'), head],
    ]);
    const states = await checkOneFileAtATime();
    expect(states.map((state) => state.RecoveryPoint.CheckedFiles)).toEqual([1, 2, 3]);
    // Nothing whole before the last file: the summary is written once, at the end.
    expect(states.at(-1)?.RecoveryPoint.ConfigurationItems).toEqual(stored.map((item) => item.id).sort());
    expect(kept()).toEqual({ Configuration: configuration });
    await expect(
      readStoredConfiguration(
        { s3: s3Client(), bucket: 'mapping-bucket', execution: 'run-1' },
        'the snapshot',
      ),
    ).resolves.toEqual(configuration);
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, stored.length + 1);
    expect(ddb).not.toHaveReceivedCommand(GetItemCommand);
  });

  it('a retried invocation writes the same again, and a crash before the answer reads its files again', async () => {
    const [item] = configurationItems(configuration, TYPE_TIMESTAMP, '2026-12-07T22:30:00Z');
    serve([[userItem(1), item!], [userItem(2)]]);
    const first = await checkRecoveryPoint(
      request,
      await prepareRecoveryPoint(request, keeping()),
      keeping(() => false),
    );
    // The step answered, then was retried from the same input (its answer lost): the same state.
    const again = await checkRecoveryPoint(
      request,
      await prepareRecoveryPoint(request, keeping()),
      keeping(() => false),
    );
    expect(again).toEqual(first);
    const ready = await checkRecoveryPoint(request, first, keeping());
    expect(ready.RecoveryPointReady).toBe(true);
    expect(kept()).toEqual({ Configuration: configuration });
    // CheckRecoveryPoint invoked once more after it kept the item: the same summary.
    await checkRecoveryPoint(request, first, keeping());
    expect(kept()).toEqual({ Configuration: configuration });
  });

  it('an export without one (v1.0.10) is kept as none, whatever an earlier run of the name left', async () => {
    serve([[userItem(1), groupItem('g')]]);
    // A head left under this execution name by an earlier run: not this export's.
    const [left] = configurationItems(configuration, TYPE_TIMESTAMP, '2026-12-07T22:30:00Z');
    work.set(storedItemKey('run-1', 'user-pool-configuration'), Buffer.from(JSON.stringify(left)));
    const [ready] = await checkOneFileAtATime();
    expect(ready?.RecoveryPoint.ConfigurationItems).toBeUndefined();
    expect(kept()).toEqual({ Configuration: null });
  });

  it('an unreadable item is kept as unreadable, saying why, and the check still says ready', async () => {
    const stored = configurationItems(configuration, TYPE_TIMESTAMP, '2026-12-07T22:30:00Z', 40);
    // A part missing.
    serve([[userItem(1), ...stored.slice(1)]]);
    const [ready] = await checkOneFileAtATime();
    expect(ready?.RecoveryPointReady).toBe(true);
    expect(kept()).toEqual({
      Unreadable: expect.stringMatching(
        /^Part 1 of \d+ of the backup's configuration item is missing/,
      ) as unknown,
    });
  });

  it('keeps nothing unless asked (the RepairWorkflow), and never for the live table', async () => {
    const [item] = configurationItems(configuration, TYPE_TIMESTAMP, '2026-12-07T22:30:00Z');
    serve([[userItem(1), item!]]);
    await checkRecoveryPoint(request, await prepareRecoveryPoint(request, deps()), deps());
    await checkRecoveryPoint(recoveryPointRequest({}), undefined, keeping());
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });
});
