// SPDX-License-Identifier: Apache-2.0
/**
 * The snapshot that ends every export, on the local emulators: the real ExportWorkflow and TableSnapshotLambda
 * against the emulated export to S3 (ddb-exports.ts). Both Regions' snapshot buckets get a complete export under
 * snapshots/<SnapshotId>/, the success notification names the snapshot, and an export that ends FAILED fails the
 * workflow loudly (SnapshotFailed, "snapshot failed") instead of leaving a silent gap.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { LocalEnvironment } from '../aws/environment';
import { generateSeed } from '../run/seed';
import { listSnapshots } from '../../utils/snapshots';
import { findExport, snapshotPrefix, snapshotWhat } from '../../utils/recovery-point';
import { s3ExportObjects, verifyTableExport } from '../../utils/table-export';
import { deployWith, type TestDeployment } from './support';

jest.setTimeout(60_000);

let environment: LocalEnvironment;
let scenario: TestDeployment;
let s3: S3Client;

beforeAll(async () => {
  environment = await LocalEnvironment.start({ maxReceiveWaitMs: 100 });
  scenario = await deployWith(
    environment,
    generateSeed({ users: 40, groups: 2, usernameAttribute: 'none', randomSeed: 3 }),
    {
      parameters: { SnapshotRetentionDays: '90' },
    },
  );
  const { region, fauxqs } = environment.endpoints();
  s3 = new S3Client({
    region,
    endpoint: fauxqs,
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  await scenario?.deployment.teardown();
  await environment?.stop();
});

/** The snapshot buckets of the primary Region and of the backup Region (us-west-2 locally). */
function snapshotBuckets(): [string, string] {
  const primary = scenario.deployment.buckets.get('SnapshotBucket') ?? '';
  return [primary, primary.replace(`-${environment.region}-snap`, '-us-west-2-snap')];
}

it('ends every export with a complete snapshot in both Regions, named by the success notification', async () => {
  const since = (await scenario.deployment.notifications()).length;
  const execution = await scenario.deployment.run('ExportWorkflow', {});
  expect([execution.status, execution.error]).toEqual(['SUCCEEDED', undefined]);

  const [success] = (await scenario.deployment.notifications()).slice(since);
  const id = /Snapshot: (\d{8}T\d{6}Z) /.exec(success?.message ?? '')?.[1];
  expect(id).toBeDefined();
  expect(success?.message).toContain(`"Snapshot": "${id ?? ''}"`);

  for (const bucket of snapshotBuckets()) {
    expect(await listSnapshots(s3, bucket)).toEqual([id]);
    // As a restore from it finds it: exactly one export, both manifests matching their checksums, then
    // every data file its MD5 and count.
    const objects = s3ExportObjects(s3, bucket);
    const found = await findExport(objects, snapshotPrefix(id ?? ''), snapshotWhat(id ?? ''));
    expect(found.files.length).toBeGreaterThan(0);
    await expect(verifyTableExport(objects, found, 0, () => true)).resolves.toBeUndefined();
  }
});

it('fails the export loudly when DynamoDB ends a snapshot export FAILED', async () => {
  await environment.applyFaults({
    specs: ['export-fail'],
    crashes: [],
    shortTimeouts: false,
    exportFail: [1],
  });
  try {
    const since = (await scenario.deployment.notifications()).length;
    const execution = await scenario.deployment.run('ExportWorkflow', {});
    expect([execution.status, execution.error]).toEqual(['FAILED', 'SnapshotFailed']);
    const notifications = (await scenario.deployment.notifications()).slice(since);
    expect(notifications.map((n) => n.kind)).toEqual(['error']);
    expect(notifications[0]?.message).toMatch(/updated the backup table, but could not keep its snapshot/);
    expect(notifications[0]?.message).toContain('start the ExportWorkflow again');
  } finally {
    await environment.applyFaults(undefined);
  }
});
