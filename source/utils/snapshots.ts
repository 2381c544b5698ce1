// SPDX-License-Identifier: Apache-2.0
/**
 * Snapshots of the backup table by name: a snapshot id is the export time in UTC, `YYYYMMDDTHHMMSSZ`, and each
 * Region's snapshot bucket keeps that snapshot's DynamoDB export under `snapshots/<SnapshotId>/`. DynamoDB writes
 * an export to `<S3Prefix>/AWSDynamoDB/<ExportId>/`: an empty `_started` when it begins, the data files under
 * `data/`, and last `manifest-summary.json`, `manifest-files.json` and their `.checksum` files (DynamoDB developer
 * guide, "DynamoDB table export output format"). This module finds a snapshot's export and says, from the listing
 * alone, whether it is complete; reading and verifying the files is the export reader's job.
 */
import { ListObjectsV2Command, type _Object, type S3Client } from '@aws-sdk/client-s3';

/** The key prefix of every snapshot in a snapshot bucket. */
export const SNAPSHOTS_PREFIX = 'snapshots/';

const SNAPSHOT_ID = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** The files DynamoDB writes last, when the export is complete. */
export const MANIFEST_FILES = [
  'manifest-summary.json',
  'manifest-summary.checksum',
  'manifest-files.json',
  'manifest-files.checksum',
] as const;

export class InvalidSnapshotIdError extends Error {
  override readonly name = 'InvalidSnapshotIdError';
}

export class SnapshotNotFoundError extends Error {
  override readonly name = 'SnapshotNotFoundError';
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

/** `snapshots/<SnapshotId>/AWSDynamoDB/`: where DynamoDB puts the snapshot's export(s). */
export const snapshotExportsPrefix = (id: string): string => `${snapshotPrefix(id)}/AWSDynamoDB/`;

/** A snapshot's export in one bucket, from the bucket's listing. */
export interface SnapshotExportLocation {
  snapshotId: string;
  bucket: string;
  exportId: string;
  /** `snapshots/<SnapshotId>/AWSDynamoDB/<ExportId>/`: the export's manifests and `data/`. */
  exportPrefix: string;
  /** Every manifest and checksum file is there (DynamoDB writes them once the data is written). */
  complete: boolean;
  /** The manifest files that are not there (empty when complete). */
  missing: string[];
  /** Objects under `data/`. */
  dataFiles: number;
}

async function listAll(s3: S3Client, bucket: string, prefix: string): Promise<_Object[]> {
  const objects: _Object[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    objects.push(...(page.Contents ?? []));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

/**
 * The export of snapshot `id` in `bucket`. A snapshot has one export per bucket; should there be more (an
 * export started again by hand into the same prefix), the complete one whose summary manifest is newest is
 * chosen, else the newest incomplete one, so that a locked extra export never makes a snapshot unusable.
 * SnapshotNotFoundError when the bucket holds nothing under the snapshot's prefix.
 */
export async function findSnapshot(
  s3: S3Client,
  bucket: string,
  id: string,
): Promise<SnapshotExportLocation> {
  snapshotTime(id);
  const base = snapshotExportsPrefix(id);
  const byExport = new Map<string, Map<string, _Object>>();
  for (const object of await listAll(s3, bucket, base)) {
    const rest = (object.Key ?? '').slice(base.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) continue;
    const exportId = rest.slice(0, slash);
    const files = byExport.get(exportId) ?? new Map<string, _Object>();
    files.set(rest.slice(slash + 1), object);
    byExport.set(exportId, files);
  }
  const locations = [...byExport].map(([exportId, files]) => {
    const missing = MANIFEST_FILES.filter((name) => !files.has(name));
    const location: SnapshotExportLocation = {
      snapshotId: id,
      bucket,
      exportId,
      exportPrefix: `${base}${exportId}/`,
      complete: missing.length === 0,
      missing,
      dataFiles: [...files.keys()].filter((name) => name.startsWith('data/')).length,
    };
    const written = files.get('manifest-summary.json')?.LastModified ?? files.get('_started')?.LastModified;
    return { location, written: written?.getTime() ?? 0 };
  });
  locations.sort(
    (a, b) =>
      Number(b.location.complete) - Number(a.location.complete) ||
      b.written - a.written ||
      b.location.exportId.localeCompare(a.location.exportId),
  );
  const chosen = locations[0]?.location;
  if (chosen === undefined) {
    throw new SnapshotNotFoundError(
      `The bucket ${bucket} holds no snapshot ${id} (nothing under ${base}). List the snapshots it holds with ` +
        `"aws s3 ls s3://${bucket}/${SNAPSHOTS_PREFIX}"; each Region's bucket keeps its own copy.`,
    );
  }
  return chosen;
}

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
