// SPDX-License-Identifier: Apache-2.0
/**
 * `--restore-export` before the run (run/restore-export.ts): an export written by the local emulator,
 * laid out on disk as `aws s3 cp --recursive` downloads a snapshot, found, read whole, its item types
 * and pool configuration taken from its own items.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { marshall } from '@aws-sdk/util-dynamodb';
import { tempDirectory } from '../../test-support/temp-dirs';
import { configurationItems } from '../../utils/pool-configuration-item';
import { WriteJournal } from '../aws/ddb-journal';
import { MemoryObjectWriter, PointInTimeExports } from '../aws/ddb-exports';
import { locateExport, prepareRestoreExport, RestoreExportError } from '../run/restore-export';
import type { SeedFile } from '../run/seed';

const INSTANCE = 'd0c5e2a8-1111-4222-8333-944455556666';

/** A backup table of installation INSTANCE exported to `snapshots/<id>/` and written under a directory. */
async function exportedBackup(options: { configuration: boolean }): Promise<string> {
  const journal = new WriteJournal();
  const table = journal.open('backup', ['id', 'type'], 0, 'table-id');
  const written = Date.parse('2026-12-07T22:10:00Z');
  // As DynamoDB JSON travels on the wire (and is journaled): binary values in base64.
  const wire = (item: Record<string, unknown>): Record<string, unknown> =>
    JSON.parse(
      JSON.stringify(
        marshall(item, { removeUndefinedValues: true }),
        function (this: Record<string, unknown>, key: string, value: unknown) {
          const raw = this[key];
          return raw instanceof Uint8Array ? Buffer.from(raw).toString('base64') : value;
        },
      ),
    ) as Record<string, unknown>;
  const put = (item: Record<string, unknown>) => table.record(written, wire(item), false);
  put({
    id: 'USER-sub-1',
    type: `USER-${INSTANCE}`,
    username: 'ana',
    pseudoUsername: 'ana',
    userAttributes: [
      { Name: 'sub', Value: 'sub-1' },
      { Name: 'email', Value: 'ana@example.com' },
      { Name: 'custom:plan', Value: 'gold' },
    ],
    userEnabled: false,
    userStatus: 'CONFIRMED',
  });
  put({ id: 'GROUP-admins', type: `GROUP-${INSTANCE}`, groupName: 'admins', groupPrecedence: -1 });
  put({
    id: 'GROUP_MEMBER-admins',
    type: 'GROUP_MEMBER-sub-1',
    groupUser: 'ana',
    groupPseudoUsername: 'ana',
    groupName: 'admins',
  });
  put({ id: 'latest-export-timestamp', type: `SYNC_TIMESTAMP-${INSTANCE}`, latestExportTimestamp: 1 });
  if (options.configuration) {
    for (const item of configurationItems(
      {
        FormatVersion: 1,
        UserPool: {
          UsernameAttributes: ['email'],
          Schema: [{ Name: 'email' }, { Name: 'custom:plan', AttributeDataType: 'String', Mutable: true }],
        },
        Mfa: { MfaConfiguration: 'OFF' },
      },
      `SYNC_TIMESTAMP-${INSTANCE}`,
      '2026-12-07T00:00:00Z',
    ))
      put(item);
  }
  const writer = new MemoryObjectWriter(['snapshots-bucket']);
  let clock = Date.parse('2026-12-07T22:00:00Z');
  const emulator = new PointInTimeExports({
    journal,
    writer,
    region: 'us-east-1',
    accountId: '000000000000',
    now: () => clock,
    exportDurationMs: 0,
  });
  await emulator.handle('UpdateContinuousBackups', {
    TableName: 'backup',
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
  });
  clock = Date.parse('2026-12-07T22:30:00.500Z');
  await emulator.handle('ExportTableToPointInTime', {
    TableArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/backup',
    S3Bucket: 'snapshots-bucket',
    S3Prefix: 'snapshots/20261207T223000Z',
    ExportTime: Date.parse('2026-12-07T22:30:00Z') / 1000,
  });
  await emulator.idle();
  // As `aws s3 cp --recursive s3://<bucket>/snapshots/<id>/ <dir>` lays it out.
  const directory = tempDirectory('restore-export-');
  for (const [key, body] of writer.buckets.get('snapshots-bucket') ?? []) {
    const path = join(directory, ...key.replace('snapshots/20261207T223000Z/', '').split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body);
  }
  return directory;
}

const SEED: SeedFile = {
  userPool: { usernameAttributes: ['email'], customAttributes: ['plan'], mfaConfiguration: 'OFF' },
  users: [{ username: 'ana@example.com', enabled: false, attributes: { email: 'ana@example.com' } }],
  groups: [],
} as unknown as SeedFile;

describe('--restore-export: preparing the run', () => {
  it('finds the export, reads the item types and the pool configuration from its items', async () => {
    const directory = await exportedBackup({ configuration: true });
    const { plan, seed, configurationFrom } = await prepareRestoreExport(directory, undefined);
    expect(configurationFrom).toBe('export');
    expect(plan.types).toEqual({
      TYPE_USER: `USER-${INSTANCE}`,
      TYPE_GROUP: `GROUP-${INSTANCE}`,
      TYPE_TIMESTAMP: `SYNC_TIMESTAMP-${INSTANCE}`,
    });
    expect(plan.snapshotId).toBe('20261207T223000Z');
    expect(plan.directory).toMatch(/^AWSDynamoDB\/\d{14}-[0-9a-f]{8}\/$/);
    expect(seed).toMatchObject({
      userPool: { usernameAttributes: ['email'], customAttributes: ['plan'], mfaConfiguration: 'OFF' },
      users: [],
      groups: [],
    });
    expect(plan.pool.users).toEqual([
      expect.objectContaining({
        username: 'ana',
        enabled: false,
        attributes: { sub: 'sub-1', email: 'ana@example.com', 'custom:plan': 'gold' },
        groups: ['admins'],
      }),
    ]);
    // A group written without precedence (-1) has none.
    expect(plan.pool.groups).toEqual([{ name: 'admins', members: ['ana'] }]);
    // The export's own directory given works the same.
    expect(locateExport(join(directory, ...plan.directory.split('/')))).toEqual({
      root: directory,
      directory: plan.directory,
    });
  });

  it('takes the pool from the seed for a backup that records no configuration (v1.0.10), and refuses without one', async () => {
    const directory = await exportedBackup({ configuration: false });
    await expect(prepareRestoreExport(directory, undefined)).rejects.toThrow(
      /records no pool configuration .*give --seed/,
    );
    const { seed, configurationFrom, plan } = await prepareRestoreExport(directory, SEED);
    expect(configurationFrom).toBe('seed');
    expect(seed.userPool).toBe(SEED.userPool);
    expect(plan.seedPool?.users.map((user) => user.username)).toEqual(['ana@example.com']);
  });

  it('refuses a directory without an export, and a tampered data file', async () => {
    expect(() => locateExport(tempDirectory('empty-'))).toThrow(RestoreExportError);
    const directory = await exportedBackup({ configuration: false });
    const { plan } = await prepareRestoreExport(directory, SEED);
    const files = readdirSync(join(directory, ...plan.directory.split('/'), 'data'));
    const first = join(directory, ...plan.directory.split('/'), 'data', files[0] ?? '');
    writeFileSync(first, Buffer.from('not gzip'));
    await expect(prepareRestoreExport(directory, SEED)).rejects.toThrow(/data\//);
  });
});
