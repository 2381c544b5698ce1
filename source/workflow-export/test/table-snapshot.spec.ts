// SPDX-License-Identifier: Apache-2.0
import {
  DescribeExportCommand,
  DynamoDBClient,
  ExportTableToPointInTimeCommand,
  InvalidExportTimeException,
  PointInTimeRecoveryUnavailableException,
  type ExportDescription,
  type ExportTableToPointInTimeCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs } from '../../test-support/capture-logs';
import { fakeRuntime } from '../../test-support/runtime';
import type { Env } from '../../utils/config';
import { createHandler, ENVIRONMENT } from '../table-snapshot';
import {
  EXPORT_DEADLINE_MS,
  InvalidTableArnError,
  SnapshotFailedError,
  START_DEADLINE_MS,
  UnknownSnapshotStateError,
} from '../lib/table-snapshot';
import {
  CHECK_EXPORTS_STATE,
  START_EXPORTS_STATE,
  type SnapshotProgress,
  type TableSnapshotEvent,
  type TableSnapshotInput,
} from '../lib/types';
import { fakeClock, T0 } from './support';

const ddb = mockAws(DynamoDBClient);

const PRIMARY_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/backup-table';
const REPLICA_ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/backup-table';
const ENV: Env = {
  BACKUP_TABLE_ARN: PRIMARY_ARN,
  REPLICA_TABLE_ARN: REPLICA_ARN,
  SNAPSHOT_BUCKET: 'prefix-import-jobs-0123-us-east-1-snap',
  SNAPSHOT_REPLICA_BUCKET: 'prefix-import-jobs-0123-eu-west-1-snap',
  SNAPSHOT_RETENTION_DAYS: '90',
  SNAPSHOT_LOCK_MODE: 'GOVERNANCE',
};
const KEYS: Env = {
  SNAPSHOT_KMS_KEY_ARN: 'arn:aws:kms:us-east-1:123456789012:key/primary',
  SNAPSHOT_REPLICA_KMS_KEY_ARN: 'arn:aws:kms:eu-west-1:123456789012:key/replica',
};
/** The state was entered 0.75 s into 03:10:07 UTC; the snapshot is the table at 03:10:07. */
const ENTERED = '2024-01-15T03:10:07.750Z';
const SNAPSHOT_ID = '20240115T031008Z';
const EXECUTION_NAME = 'scheduled-export-2024-01-15';

const event = (state: string, input: TableSnapshotInput = {}): TableSnapshotEvent => ({
  Input: input,
  Context: {
    Execution: {
      Id: `arn:aws:states:us-east-1:123456789012:execution:ExportWorkflow-abc:${EXECUTION_NAME}`,
      Name: EXECUTION_NAME,
      Input: {},
      StartTime: '2024-01-15T03:00:00.000Z',
    },
    State: { Name: state, EnteredTime: ENTERED },
    StateMachine: {
      Id: 'arn:aws:states:us-east-1:123456789012:stateMachine:ExportWorkflow-abc',
      Name: 'ExportWorkflow-abc',
    },
  },
});

const exportArn = (region: string, id: string) =>
  `arn:aws:dynamodb:${region}:123456789012:table/backup-table/export/${id}`;

const regionOf = (arn: string | undefined): string => arn?.split(':')[3] ?? '';

/** DynamoDB accepts each export and answers with its ARN in the table's Region. */
function acceptExports(): void {
  ddb.on(ExportTableToPointInTimeCommand).callsFake((input: ExportTableToPointInTimeCommandInput) => ({
    ExportDescription: {
      ExportArn: exportArn(regionOf(input.TableArn), `0170${regionOf(input.TableArn)}`),
      ExportStatus: 'IN_PROGRESS',
    },
  }));
}

/** DescribeExport answers per Region. */
function describeExports(byRegion: Record<string, Partial<ExportDescription>>): void {
  ddb.on(DescribeExportCommand).callsFake((input: { ExportArn?: string }) => ({
    ExportDescription: { ExportArn: input.ExportArn, ...byRegion[regionOf(input.ExportArn)] },
  }));
}

const started = (overrides: Partial<SnapshotProgress> = {}): SnapshotProgress => ({
  SnapshotId: SNAPSHOT_ID,
  ExportTime: '2024-01-15T03:10:08.000Z',
  Status: 'IN_PROGRESS',
  RetentionDays: 90,
  LockMode: 'GOVERNANCE',
  Exports: [
    {
      Region: 'us-east-1',
      Bucket: ENV.SNAPSHOT_BUCKET ?? '',
      Prefix: `snapshots/${SNAPSHOT_ID}`,
      ExportArn: exportArn('us-east-1', 'a'),
      Status: 'IN_PROGRESS',
    },
    {
      Region: 'eu-west-1',
      Bucket: ENV.SNAPSHOT_REPLICA_BUCKET ?? '',
      Prefix: `snapshots/${SNAPSHOT_ID}`,
      ExportArn: exportArn('eu-west-1', 'b'),
      Status: 'IN_PROGRESS',
    },
  ],
  ...overrides,
});

function run(tableEvent: TableSnapshotEvent, env: Env = ENV, start = Date.parse(ENTERED) + 50) {
  const clock = fakeClock(start);
  const logs = captureLogs();
  const handler = createHandler(fakeRuntime(clock, env, { write: logs.write }));
  return { result: handler(tableEvent), logs };
}

beforeEach(() => {
  ddb.reset();
});

describe('Snapshot: Start Exports', () => {
  it('exports the table and its replica at the first whole second after the state was entered (no earlier write is left out), each into its Region’s bucket', async () => {
    acceptExports();
    const { result } = run(event(START_EXPORTS_STATE, { ExportTimestamp: T0, CleanupCounts: { Users: 3 } }));
    const output = (await result).result;

    const common = {
      ExportTime: new Date('2024-01-15T03:10:08.000Z'),
      S3Prefix: `snapshots/${SNAPSHOT_ID}`,
      ExportFormat: 'DYNAMODB_JSON',
      ExportType: 'FULL_EXPORT',
    };
    expect(ddb).toHaveReceivedCommandTimes(ExportTableToPointInTimeCommand, 2);
    expect(ddb).toHaveReceivedNthCommandWith(1, ExportTableToPointInTimeCommand, {
      ...common,
      TableArn: PRIMARY_ARN,
      S3Bucket: ENV.SNAPSHOT_BUCKET,
      ClientToken: `snapshot-${EXECUTION_NAME}-us-east-1`,
    });
    expect(ddb).toHaveReceivedNthCommandWith(2, ExportTableToPointInTimeCommand, {
      ...common,
      TableArn: REPLICA_ARN,
      S3Bucket: ENV.SNAPSHOT_REPLICA_BUCKET,
      ClientToken: `snapshot-${EXECUTION_NAME}-eu-west-1`,
    });
    // Without a customer managed key, the bucket's default encryption applies (no AES256 override).
    const sent = ddb.commandCalls(ExportTableToPointInTimeCommand).map((call) => call.args[0].input);
    expect(sent.map((input) => [input.S3SseAlgorithm, input.S3SseKmsKeyId])).toEqual([
      [undefined, undefined],
      [undefined, undefined],
    ]);

    expect(output.Snapshot).toEqual({
      SnapshotId: SNAPSHOT_ID,
      ExportTime: '2024-01-15T03:10:08.000Z',
      Status: 'IN_PROGRESS',
      RetentionDays: 90,
      LockMode: 'GOVERNANCE',
      Exports: [
        expect.objectContaining({ Region: 'us-east-1', ExportArn: exportArn('us-east-1', '0170us-east-1') }),
        expect.objectContaining({ Region: 'eu-west-1', ExportArn: exportArn('eu-west-1', '0170eu-west-1') }),
      ],
    });
    // The notification still gets the cleanup's counts and the export timestamp.
    expect(output.ExportTimestamp).toBe(T0);
    expect(output.CleanupCounts).toEqual({ Users: 3 });
  });

  it("encrypts each export with its Region's customer managed key when there is one", async () => {
    acceptExports();
    await run(event(START_EXPORTS_STATE), { ...ENV, ...KEYS }).result;
    expect(ddb).toHaveReceivedCommandWith(ExportTableToPointInTimeCommand, {
      TableArn: PRIMARY_ARN,
      S3SseAlgorithm: 'KMS',
      S3SseKmsKeyId: KEYS.SNAPSHOT_KMS_KEY_ARN,
    });
    expect(ddb).toHaveReceivedCommandWith(ExportTableToPointInTimeCommand, {
      TableArn: REPLICA_ARN,
      S3SseAlgorithm: 'KMS',
      S3SseKmsKeyId: KEYS.SNAPSHOT_REPLICA_KMS_KEY_ARN,
    });
  });

  it('waits while DynamoDB cannot export the snapshot time yet, then starts only what is missing, at the same time', async () => {
    ddb
      .on(ExportTableToPointInTimeCommand, { TableArn: PRIMARY_ARN })
      .resolves({
        ExportDescription: { ExportArn: exportArn('us-east-1', 'a'), ExportStatus: 'IN_PROGRESS' },
      })
      .on(ExportTableToPointInTimeCommand, { TableArn: REPLICA_ARN })
      .rejects(new InvalidExportTimeException({ message: 'outside the window', $metadata: {} }));
    const first = (await run(event(START_EXPORTS_STATE)).result).result.Snapshot;
    expect(first.Status).toBe('WAITING');
    expect(first.Exports.map((entry) => entry.Status)).toEqual(['IN_PROGRESS', 'WAITING']);

    ddb.reset();
    acceptExports();
    // Two minutes later (after "Snapshot: Wait to Start"), entered again: the time comes from the state.
    const later = event(START_EXPORTS_STATE, { Snapshot: first });
    later.Context.State = { Name: START_EXPORTS_STATE, EnteredTime: '2024-01-15T03:12:30.000Z' };
    const second = (await run(later, ENV, Date.parse('2024-01-15T03:12:30.000Z')).result).result.Snapshot;
    expect(ddb).toHaveReceivedCommandTimes(ExportTableToPointInTimeCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(ExportTableToPointInTimeCommand, {
      TableArn: REPLICA_ARN,
      ExportTime: new Date('2024-01-15T03:10:08.000Z'),
      ClientToken: `snapshot-${EXECUTION_NAME}-eu-west-1`,
    });
    expect(second).toEqual(
      expect.objectContaining({ SnapshotId: SNAPSHOT_ID, Status: 'IN_PROGRESS' }) as SnapshotProgress,
    );
  });

  it('fails loudly once DynamoDB has refused the snapshot time for longer than the start deadline', async () => {
    ddb
      .on(ExportTableToPointInTimeCommand)
      .rejects(new InvalidExportTimeException({ message: 'outside the window', $metadata: {} }));
    const late = Date.parse('2024-01-15T03:10:08.000Z') + START_DEADLINE_MS + 1;
    await expect(run(event(START_EXPORTS_STATE), ENV, late).result).rejects.toThrow(SnapshotFailedError);
  });

  it('turns a refused export into SnapshotFailedError that says the backup is fine and what to do', async () => {
    ddb
      .on(ExportTableToPointInTimeCommand)
      .rejects(
        new PointInTimeRecoveryUnavailableException({ message: 'PITR is not enabled', $metadata: {} }),
      );
    const failure = run(event(START_EXPORTS_STATE)).result;
    await expect(failure).rejects.toThrow(SnapshotFailedError);
    await expect(failure).rejects.toThrow(
      /could not be started in us-east-1 \(PointInTimeRecoveryUnavailableException.*Point-in-time recovery must be on.*The backup table itself is up to date.*start the ExportWorkflow again/,
    );
  });
  it.each([
    [
      'AccessDeniedException',
      /Check the snapshot function's role and, with a customer managed key, the key policy/,
    ],
    ['LimitExceededException', /Too many exports were running in the Region at once/],
  ])('says what to check when the export is refused with %s', async (name, advice) => {
    ddb.on(ExportTableToPointInTimeCommand).rejects(Object.assign(new Error('refused'), { name }));
    await expect(run(event(START_EXPORTS_STATE)).result).rejects.toThrow(
      new RegExp(`\\(${name}: refused\\)\\. ${advice.source}.*start the ExportWorkflow again`),
    );
  });

  it('still says the backup is fine and what to do for an error it has no advice for', async () => {
    ddb
      .on(ExportTableToPointInTimeCommand)
      .rejects(Object.assign(new Error('boom'), { name: 'InternalServerError' }));
    await expect(run(event(START_EXPORTS_STATE)).result).rejects.toThrow(
      /\(InternalServerError: boom\)\. The backup table itself is up to date/,
    );
  });

  it('fails loudly when DynamoDB accepts an export without naming it (nothing to follow)', async () => {
    ddb.on(ExportTableToPointInTimeCommand).resolves({ ExportDescription: { ExportStatus: 'IN_PROGRESS' } });
    await expect(run(event(START_EXPORTS_STATE)).result).rejects.toThrow(
      /DynamoDB did not name the export it started in us-east-1/,
    );
  });

  it('refuses a snapshot naming a Region that is neither the table’s nor its replica’s, starting nothing', async () => {
    const foreign = started({ Status: 'WAITING' });
    foreign.Exports = [
      { Region: 'ap-south-1', Bucket: 'elsewhere', Prefix: `snapshots/${SNAPSHOT_ID}`, Status: 'WAITING' },
    ];
    await expect(run(event(START_EXPORTS_STATE, { Snapshot: foreign })).result).rejects.toThrow(
      /names the Region ap-south-1, which is neither the table's nor its replica's/,
    );
    expect(ddb).toHaveReceivedCommandTimes(ExportTableToPointInTimeCommand, 0);
  });

  it('refuses a configured table that is not a DynamoDB table ARN', async () => {
    await expect(
      run(event(START_EXPORTS_STATE), { ...ENV, REPLICA_TABLE_ARN: 'backup-table' }).result,
    ).rejects.toThrow(InvalidTableArnError);
    expect(ddb).toHaveReceivedCommandTimes(ExportTableToPointInTimeCommand, 0);
  });

  it('takes the snapshot time from the clock when the state gives no entered time', async () => {
    acceptExports();
    const bare = event(START_EXPORTS_STATE);
    bare.Context.State = { Name: START_EXPORTS_STATE };
    const snapshot = (await run(bare, ENV, Date.parse('2024-01-15T04:00:00.200Z')).result).result.Snapshot;
    expect(snapshot.ExportTime).toBe('2024-01-15T04:00:01.000Z');
    expect(snapshot.SnapshotId).toBe('20240115T040001Z');
  });
});

describe('Snapshot: Check Exports', () => {
  it('keeps following exports that are still in progress', async () => {
    describeExports({
      'us-east-1': { ExportStatus: 'COMPLETED', ItemCount: 7 },
      'eu-west-1': { ExportStatus: 'IN_PROGRESS' },
    });
    const snapshot = (await run(event(CHECK_EXPORTS_STATE, { Snapshot: started() })).result).result.Snapshot;
    expect(snapshot.Status).toBe('IN_PROGRESS');
    expect(snapshot.Exports.map((entry) => [entry.Status, entry.ItemCount])).toEqual([
      ['COMPLETED', 7],
      ['IN_PROGRESS', undefined],
    ]);
    expect(ddb).toHaveReceivedCommandWith(DescribeExportCommand, { ExportArn: exportArn('eu-west-1', 'b') });
  });

  it('is COMPLETED when both Regions exported the same number of items', async () => {
    describeExports({
      'us-east-1': { ExportStatus: 'COMPLETED', ItemCount: 7 },
      'eu-west-1': { ExportStatus: 'COMPLETED', ItemCount: 7 },
    });
    const { result, logs } = run(event(CHECK_EXPORTS_STATE, { Snapshot: started() }));
    const snapshot = (await result).result.Snapshot;
    expect(snapshot.Status).toBe('COMPLETED');
    expect(snapshot.SnapshotId).toBe(SNAPSHOT_ID);
    expect(logs.text()).not.toMatch(/@/);
  });

  it('fails with the Region and DynamoDB’s failure code when an export failed', async () => {
    describeExports({
      'us-east-1': { ExportStatus: 'COMPLETED', ItemCount: 7 },
      'eu-west-1': { ExportStatus: 'FAILED', FailureCode: 'S3AccessDenied', FailureMessage: 'Access Denied' },
    });
    const failure = run(event(CHECK_EXPORTS_STATE, { Snapshot: started() })).result;
    await expect(failure).rejects.toThrow(SnapshotFailedError);
    await expect(failure).rejects.toThrow(
      new RegExp(
        `snapshot ${SNAPSHOT_ID} failed.*eu-west-1: S3AccessDenied \\(Access Denied\\).*start the ExportWorkflow again`,
      ),
    );
  });

  it("fails when the backup Region's export holds another number of items (the replica had not caught up)", async () => {
    describeExports({
      'us-east-1': { ExportStatus: 'COMPLETED', ItemCount: 7 },
      'eu-west-1': { ExportStatus: 'COMPLETED', ItemCount: 6 },
    });
    await expect(run(event(CHECK_EXPORTS_STATE, { Snapshot: started() })).result).rejects.toThrow(
      /differs between the Regions: 7 items in us-east-1, 6 items in eu-west-1/,
    );
  });

  it('gives up loudly on an export still running after the deadline, naming it', async () => {
    describeExports({
      'us-east-1': { ExportStatus: 'IN_PROGRESS' },
      'eu-west-1': { ExportStatus: 'COMPLETED', ItemCount: 1 },
    });
    const late = Date.parse('2024-01-15T03:10:08.000Z') + EXPORT_DEADLINE_MS + 1;
    await expect(run(event(CHECK_EXPORTS_STATE, { Snapshot: started() }), ENV, late).result).rejects.toThrow(
      new RegExp(`still being exported after 6 hours in us-east-1.*${exportArn('us-east-1', 'a')}`),
    );
  });

  it('refuses to run without a snapshot to check', async () => {
    await expect(run(event(CHECK_EXPORTS_STATE)).result).rejects.toThrow(SnapshotFailedError);
  });
});

describe('handler', () => {
  it('runs only its two states', async () => {
    await expect(run(event('WorkflowCleanupLambda')).result).rejects.toThrow(UnknownSnapshotStateError);
  });

  it('names every missing variable at once', async () => {
    await expect(run(event(START_EXPORTS_STATE), {}).result).rejects.toThrow(
      /BACKUP_TABLE_ARN.*REPLICA_TABLE_ARN.*SNAPSHOT_BUCKET/,
    );
    expect(Object.keys(ENVIRONMENT)).toContain('SNAPSHOT_LOCK_MODE');
  });
});
