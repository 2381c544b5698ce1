// SPDX-License-Identifier: Apache-2.0
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { BatchGetCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { buildTableExport, memoryExportObjects, serveExportBucket } from '../../test-support/table-export';
import { documentClient } from '../clients';
import { configurationItems, PoolConfigurationItemError } from '../pool-configuration-item';
import { storedConfigurationKey } from '../stored-pool-configuration';
import {
  InvalidRecoveryPointError,
  openRecoveryPoint,
  recoveryPointRequest,
  RecoveryPointUnavailableError,
  requestInput,
  tableSource,
  type OpenSourceDeps,
  type RecoveryPointSource,
  type SourceCursor,
} from '../recovery-point';

const ddbMock = mockAws(DynamoDBDocumentClient);
const s3Mock = mockAws(S3Client);
beforeEach(() => {
  ddbMock.reset();
  s3Mock.reset();
});

const TYPE_USER = 'USER-x';
const user = (n: number, name = `user${n}`) => ({
  id: `USER-sub${n}`,
  type: TYPE_USER,
  pseudoUsername: name,
});
const group = (name: string) => ({ id: `GROUP-${name}`, type: 'GROUP-x', groupName: name });

const deps = (overrides: Partial<OpenSourceDeps> = {}): OpenSourceDeps => ({
  ddb: documentClient(),
  s3: new S3Client({}),
  tableName: 'backup-table',
  typeUser: TYPE_USER,
  importBucket: 'mapping-bucket',
  snapshotBucket: 'snapshot-bucket',
  execution: 'run-1',
  ...overrides,
});

async function everyPage(source: RecoveryPointSource, start: SourceCursor | undefined, limit: number) {
  const pages = [];
  for await (const page of source.pages(start, limit)) pages.push(page);
  return pages;
}

describe('recoveryPointRequest', () => {
  it.each([
    [undefined, { kind: 'table' }],
    [{ NewUserPoolId: 'p', AsOf: '' }, { kind: 'table' }],
    [
      { AsOf: '2026-12-01T09:30:00Z' },
      { kind: 'as-of', asOf: '2026-12-01T09:30:00.000Z', time: Date.UTC(2026, 11, 1, 9, 30) },
    ],
    [
      { AsOf: '2026-12-01T10:30:00.5+01:00' },
      { kind: 'as-of', asOf: '2026-12-01T09:30:00.500Z', time: Date.UTC(2026, 11, 1, 9, 30, 0, 500) },
    ],
    [{ Snapshot: ' 20261207T223000Z ' }, { kind: 'snapshot', snapshotId: '20261207T223000Z' }],
    [{ Sample: 'restore-drill-scheduled-1' }, { kind: 'sample', sampleId: 'restore-drill-scheduled-1' }],
  ])('reads %j', (input, expected) => {
    expect(recoveryPointRequest(input)).toEqual(expected);
  });

  it.each([
    [{ AsOf: '2026-12-01 09:30' }, /AsOf must be an ISO 8601 time with its offset/],
    [{ AsOf: '2026-12-01T09:30:00' }, /AsOf must be an ISO 8601 time with its offset/],
    [{ AsOf: 1_733_045_400_000 }, /AsOf must be an ISO 8601 time/],
    [{ AsOf: '2026-13-45T09:30:00Z' }, /AsOf must be an ISO 8601 time/],
    [{ Snapshot: '2026-12-07' }, /Snapshot must be a snapshot id .* "20261207T223000Z"/],
    [{ Snapshot: '20261207T223000Z', AsOf: '2026-12-01T09:30:00Z' }, /names 2 recovery points/],
    [{ Snapshot: '20261207T223000Z', Sample: 'restore-drill-x' }, /names 2 recovery points/],
    [{ Sample: 'snapshots/../x' }, /Sample names the sample a restore drill wrote/],
  ])('refuses %j', (input, message) => {
    expect(() => recoveryPointRequest(input)).toThrow(InvalidRecoveryPointError);
    expect(() => recoveryPointRequest(input)).toThrow(message);
  });

  it('gives back the input fields that name the same point for a Resume', () => {
    for (const input of [
      { AsOf: '2026-12-01T09:30:00.000Z' },
      { Snapshot: '20261207T223000Z' },
      { Sample: 'restore-drill-x' },
      {},
    ])
      expect(recoveryPointRequest(requestInput(recoveryPointRequest(input)))).toEqual(
        recoveryPointRequest(input),
      );
  });
});

describe('the live table', () => {
  const source = () => tableSource({ ddb: documentClient(), tableName: 'backup-table', typeUser: TYPE_USER });

  it('scans page by page from a key, each page with the key after it', async () => {
    ddbMock
      .on(ScanCommand)
      .resolvesOnce({ Items: [user(1)], LastEvaluatedKey: { id: 'k2', type: 't' } })
      .resolvesOnce({ Items: [user(2)] });
    const pages = await everyPage(source(), { LastEvaluatedKey: { id: 'k1', type: 't' } }, 40);
    expect(pages).toEqual([
      { items: [user(1)], next: { LastEvaluatedKey: { id: 'k2', type: 't' } } },
      { items: [user(2)] },
    ]);
    expect(ddbMock.commandCalls(ScanCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: 'backup-table', Limit: 40, ExclusiveStartKey: { id: 'k1', type: 't' } },
      { TableName: 'backup-table', Limit: 40, ExclusiveStartKey: { id: 'k2', type: 't' } },
    ]);
  });

  it('reads sign-in names by key and refuses the cursor of an export', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { 'backup-table': [user(1), { id: 'USER-sub2' }] } });
    expect(await source().signInNames(['sub1', 'sub2', 'sub1'])).toEqual(new Map([['sub1', 'user1']]));
    expect(ddbMock).toHaveReceivedCommandWith(BatchGetCommand, {
      RequestItems: {
        'backup-table': {
          Keys: [
            { id: 'USER-sub1', type: TYPE_USER },
            { id: 'USER-sub2', type: TYPE_USER },
          ],
          ProjectionExpression: 'id, pseudoUsername',
        },
      },
    });
    await expect(everyPage(source(), { ExportCursor: { File: 0, Line: 0 } }, 10)).rejects.toThrow(
      InvalidRecoveryPointError,
    );
  });
});

describe('an export', () => {
  const items = [user(1), group('g'), user(2), user(3, 'renamed')];

  it('AsOf: reads the export of this execution in the import bucket and names it', async () => {
    const built = buildTableExport([items.slice(0, 2), items.slice(2)], {
      prefix: 'point-in-time-exports/run-1/',
    });
    serveExportBucket(s3Mock, built.objects);
    const source = await openRecoveryPoint(recoveryPointRequest({ AsOf: '2026-12-01T09:30:00Z' }), deps());
    expect(source.description).toMatch(
      /^the backup table as of 2026-12-01T09:30:00.000Z \(export arn:aws:dynamodb:/,
    );
    const pages = await everyPage(source, undefined, 3);
    expect(pages.flatMap((page) => page.items)).toEqual(items);
    expect(pages[0]?.next).toEqual({ ExportCursor: { File: 1, Line: 1 } });
    expect(s3Mock).toHaveReceivedCommandWith(ListObjectsV2Command, {
      Bucket: 'mapping-bucket',
      Prefix: 'point-in-time-exports/run-1/AWSDynamoDB/',
    });
    const rest = await everyPage(source, pages[0]?.next, 3);
    expect(rest.flatMap((page) => page.items)).toEqual([user(3, 'renamed')]);
    await expect(everyPage(source, { LastEvaluatedKey: { id: 'k' } }, 3)).rejects.toThrow(
      InvalidRecoveryPointError,
    );
  });

  it("Sample: reads restore-drill-samples/<id>/ of the import bucket, a restore drill's sample", async () => {
    const built = buildTableExport([items], { prefix: 'restore-drill-samples/restore-drill-d1/' });
    const objects = memoryExportObjects(built.objects);
    const source = await openRecoveryPoint(recoveryPointRequest({ Sample: 'restore-drill-d1' }), {
      ...deps(),
      objects: (bucket) => {
        expect(bucket).toBe('mapping-bucket');
        return objects;
      },
    });
    expect(source.description).toMatch(/^the restore drill's sample restore-drill-d1 of the backup table/);
    expect((await everyPage(source, undefined, 10)).flatMap((page) => page.items)).toEqual(items);
  });

  it('Snapshot: reads snapshots/<id>/ of the snapshot bucket; user items and sign-in names come from it', async () => {
    const built = buildTableExport([items], { prefix: 'snapshots/20261207T223000Z/' });
    const objects = memoryExportObjects(built.objects);
    const source = await openRecoveryPoint(recoveryPointRequest({ Snapshot: '20261207T223000Z' }), {
      ...deps(),
      objects: (bucket) => {
        expect(bucket).toBe('snapshot-bucket');
        return objects;
      },
    });
    expect(source.description).toMatch(
      /^the snapshot 20261207T223000Z \(export .*, exported at 2026-12-01T09:30:00.000Z\)$/,
    );
    const users: unknown[] = [];
    expect(
      await source.userItems(
        (item) => users.push(item),
        () => true,
      ),
    ).toBe(true);
    expect(users).toEqual([user(1), user(2), user(3, 'renamed')]);
    expect(await source.signInNames(['sub3', 'sub9'])).toEqual(new Map([['sub3', 'renamed']]));
    // The index is built once per source.
    const reads = objects.reads.length;
    expect(await source.signInNames(['sub1'])).toEqual(new Map([['sub1', 'user1']]));
    expect(objects.reads).toHaveLength(reads);
  });

  describe('the pool configuration the export recorded', () => {
    const TYPE_TIMESTAMP = 'TIMESTAMP-x';
    const configuration = { UserPool: { PoolName: 'production', MfaConfiguration: 'OPTIONAL' } };
    it('answers what CheckRecoveryPoint kept, reading no data file and never the live table', async () => {
      // The data files hold another configuration: only the kept one counts.
      const [item] = configurationItems({ other: true }, TYPE_TIMESTAMP, '2026-12-07T22:30:00Z');
      const built = buildTableExport([[user(1), item as Record<string, unknown>]], {
        prefix: 'snapshots/20261207T223000Z/',
      });
      const kept = new Map([
        [storedConfigurationKey('run-1'), Buffer.from(JSON.stringify({ Configuration: configuration }))],
      ]);
      serveExportBucket(s3Mock, kept, 'mapping-bucket');
      const objects = memoryExportObjects(built.objects);
      const source = await openRecoveryPoint(recoveryPointRequest({ Snapshot: '20261207T223000Z' }), {
        ...deps(),
        objects: () => objects,
      });
      objects.reads.length = 0;
      await expect(source.poolConfiguration(TYPE_TIMESTAMP)).resolves.toEqual(configuration);
      expect(objects.reads).toEqual([]);
      expect(ddbMock.calls()).toHaveLength(0);
      kept.set(storedConfigurationKey('run-1'), Buffer.from(JSON.stringify({ Configuration: null })));
      await expect(source.poolConfiguration(TYPE_TIMESTAMP)).resolves.toBeUndefined();
      kept.set(storedConfigurationKey('run-1'), Buffer.from(JSON.stringify({ Unreadable: 'digest' })));
      await expect(source.poolConfiguration(TYPE_TIMESTAMP)).rejects.toThrow(
        new PoolConfigurationItemError('digest'),
      );
      kept.clear();
      await expect(source.poolConfiguration(TYPE_TIMESTAMP)).rejects.toThrow(
        /was not kept by CheckRecoveryPoint \(s3:\/\/mapping-bucket\/restore-work\/pool-configurations\/run-1\.json is missing\)/,
      );
    });
  });

  it('stops reading user items between pages once the time is up', async () => {
    const many = Array.from({ length: 2_500 }, (_, index) => user(index));
    const built = buildTableExport([many], { prefix: 'snapshots/20261207T223000Z/' });
    const source = await openRecoveryPoint(recoveryPointRequest({ Snapshot: '20261207T223000Z' }), {
      ...deps(),
      objects: () => memoryExportObjects(built.objects, 4096),
    });
    let seen = 0;
    expect(
      await source.userItems(
        () => (seen += 1),
        () => false,
      ),
    ).toBe(false);
    expect(seen).toBe(1_000);
  });

  it.each([
    [
      'an unknown snapshot',
      () => new Map<string, Buffer>(),
      /The snapshot 20261207T223000Z has no complete export under s3:\/\/snapshot-bucket\/snapshots\/20261207T223000Z\//,
    ],
    [
      'a snapshot without its summary (incomplete)',
      () => {
        const built = buildTableExport([items], { prefix: 'snapshots/20261207T223000Z/' });
        built.objects.delete(`${built.directory}manifest-summary.json`);
        return built.objects;
      },
      /has no complete export/,
    ],
    [
      'a snapshot whose files manifest does not match its checksum',
      () => {
        const built = buildTableExport([items], { prefix: 'snapshots/20261207T223000Z/' });
        built.objects.set(`${built.directory}manifest-files.checksum`, Buffer.from('0'.repeat(32)));
        return built.objects;
      },
      /The snapshot 20261207T223000Z cannot be restored: The table export file .*manifest-files\.json does not match its checksum file/,
    ],
    [
      'two exports under one snapshot',
      () =>
        new Map([
          ...buildTableExport([items], { prefix: 'snapshots/20261207T223000Z/' }).objects,
          ...buildTableExport([items], { prefix: 'snapshots/20261207T223000Z/', exportId: 'other' }).objects,
        ]),
      /has 2 exports under/,
    ],
  ])('refuses %s before reading any item', async (_name, objects, message) => {
    serveExportBucket(s3Mock, objects());
    const opening = openRecoveryPoint(recoveryPointRequest({ Snapshot: '20261207T223000Z' }), deps());
    await expect(opening).rejects.toThrow(RecoveryPointUnavailableError);
    await expect(
      openRecoveryPoint(recoveryPointRequest({ Snapshot: '20261207T223000Z' }), deps()),
    ).rejects.toThrow(message);
  });

  it('refuses a snapshot when the stack keeps none, and an AsOf without the import bucket', async () => {
    await expect(
      openRecoveryPoint(recoveryPointRequest({ Snapshot: '20261207T223000Z' }), deps({ snapshotBucket: '' })),
    ).rejects.toThrow(/this stack keeps no snapshots/);
    await expect(
      openRecoveryPoint(recoveryPointRequest({ AsOf: '2026-12-01T09:30:00Z' }), deps({ importBucket: '' })),
    ).rejects.toThrow(/USER_IMPORT_JOB_MAPPING_FILES_BUCKET is not set/);
  });
});
