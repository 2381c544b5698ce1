// SPDX-License-Identifier: Apache-2.0
/**
 * Snapshots of the backup table by name: a snapshot id is the export time in UTC, `YYYYMMDDTHHMMSSZ`, and each
 * Region's snapshot bucket keeps that snapshot's DynamoDB export under `snapshots/<SnapshotId>/`. DynamoDB writes
 * an export to `<S3Prefix>/AWSDynamoDB/<ExportId>/`: an empty `_started` when it begins, the data files under
 * `data/`, and last `manifest-summary.json`, `manifest-files.json` and their `.checksum` files (DynamoDB developer
 * guide, "DynamoDB table export output format"). This module names snapshots and lists them; a restore finds a
 * snapshot's export and verifies it with `findExport` (recovery-point.ts) and the export reader (table-export.ts).
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** The key prefix of every snapshot in a snapshot bucket. */
export const SNAPSHOTS_PREFIX = 'snapshots/';

const SNAPSHOT_ID = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export class InvalidSnapshotIdError extends Error {
  override readonly name = 'InvalidSnapshotIdError';
}

/** `20261207T223000Z`: a time in UTC, to the second (milliseconds dropped). */
export function snapshotId(time: Date): string {
  return time
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** The time a snapshot id names; InvalidSnapshotIdError when it is not one (format or calendar). */
export function snapshotTime(id: string): Date {
  const parts = SNAPSHOT_ID.exec(id);
  if (parts) {
    const [year, month, day, hour, minute, second] = parts.slice(1).map(Number) as number[];
    const time = new Date(Date.UTC(year ?? 0, (month ?? 0) - 1, day, hour, minute, second));
    if (snapshotId(time) === id) return time;
  }
  throw new InvalidSnapshotIdError(
    `"${id}" is not a snapshot id: a snapshot is named after its time in UTC, YYYYMMDDTHHMMSSZ ` +
      '(for example 20261207T223000Z), as the export notification names it',
  );
}

/** `snapshots/<SnapshotId>`: the S3Prefix a snapshot's export is requested with. */
export const snapshotPrefix = (id: string): string => `${SNAPSHOTS_PREFIX}${id}`;

/** The snapshot ids a bucket holds, oldest first (ids sort as their times do). */
export async function listSnapshots(s3: S3Client, bucket: string): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: SNAPSHOTS_PREFIX,
        Delimiter: '/',
        ContinuationToken: token,
      }),
    );
    for (const common of page.CommonPrefixes ?? []) {
      const id = (common.Prefix ?? '').slice(SNAPSHOTS_PREFIX.length).replace(/\/$/, '');
      if (SNAPSHOT_ID.test(id)) ids.push(id);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return ids.sort();
}
