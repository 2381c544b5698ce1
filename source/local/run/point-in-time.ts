// SPDX-License-Identifier: Apache-2.0
/**
 * `--scenario point-in-time`: the operator's bad day and its two ways back. The run exports the pool
 * (the ExportWorkflow also takes a snapshot when SnapshotRetentionDays is above 0), remembers the
 * pool, damages it (damage.ts), exports again (the nightly export copies the damage into the backup),
 * then restores into one new pool `AsOf` a time between the two exports and into a second new pool
 * from the first export's snapshot; both must match the pool as it was before the damage.
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { loadTemplate } from '../deploy/cfn-template';
import { MAIN_TEMPLATE } from '../deploy/deployment';
import type { DamageReport } from './damage';
import type { ParityResult } from './parity';

/** A restore from one recovery point: the ImportWorkflow's status and the parity with the pool before the damage. */
export interface RecoveryPointRestore {
  status: string;
  parityOk: boolean;
  /** The new pool restored into. */
  userPoolId?: string;
  /** What the ImportWorkflow input named (the AsOf time or the snapshot id). */
  recoveryPoint?: string;
  /** Why the restore did not run (no snapshot was taken, the second export failed...). */
  skipped?: string;
  /**
   * `AsOf`: the item counts of the data files of the export the restore read, in the files manifest's
   * order (the fault matrix places a crashed reader's cursor with them).
   */
  exportFileItems?: number[];
  /** What differs from the pool before the damage (counts; names stay out of the report). */
  differences?: {
    missingUsers: number;
    unexpectedUsers: number;
    mismatches: number;
    /** The attributes or fields that differ (names of the schema, no values). */
    mismatchedFields: string[];
    missingGroups: number;
    unexpectedGroups: number;
    missingMemberships: number;
    unexpectedMemberships: number;
    restoreReportOk: boolean;
  };
}

/** The counts of a comparison with the pool before the damage. */
export function differencesOf(
  compared: ParityResult,
  restoreReportOk: boolean,
): NonNullable<RecoveryPointRestore['differences']> {
  return {
    missingUsers: compared.missingUsers.length,
    unexpectedUsers: compared.unexpectedUsers.length,
    mismatches: compared.mismatches.length,
    mismatchedFields: [...new Set(compared.mismatches.map((mismatch) => mismatch.field))].sort(),
    missingGroups: compared.missingGroups.length,
    unexpectedGroups: compared.unexpectedGroups.length,
    missingMemberships: compared.missingMemberships.length,
    unexpectedMemberships: compared.unexpectedMemberships.length,
    restoreReportOk,
  };
}

/**
 * What every export writes on every item it exports (when it last saw the item, from which Region): an
 * item whose other attributes are the same was not changed by the damage.
 */
export const EXPORT_STAMPS = ['lastConfirmedInUserPool', 'lastUpdatedRegion'];

export interface RecoveryPointsReport {
  /**
   * Backup table items the second export changed (their export stamps aside, EXPORT_STAMPS) or deleted,
   * from the local write journal.
   */
  damagedItems: number;
  /** What the damage did to the source pool (counts). */
  damage?: DamageReport;
  /** The status of the export that copied the damage into the backup. */
  secondExport?: string;
  asOf: RecoveryPointRestore;
  snapshot: RecoveryPointRestore;
}

/** Days a snapshot is kept in the point-in-time scenario: the smallest retention there is. */
export const SCENARIO_SNAPSHOT_RETENTION_DAYS = '1';

/**
 * The main-template parameters the scenario needs: snapshots on (SnapshotRetentionDays above 0), when
 * the template has the parameter; an operator's own value wins.
 */
export function pointInTimeParameters(
  root: string,
  given: Record<string, string> = {},
): Record<string, string> {
  const template = loadTemplate(join(root, MAIN_TEMPLATE));
  const has = template.Parameters?.SnapshotRetentionDays !== undefined;
  return has && given.SnapshotRetentionDays === undefined
    ? { ...given, SnapshotRetentionDays: SCENARIO_SNAPSHOT_RETENTION_DAYS }
    : given;
}

/**
 * A time between the two exports for `AsOf`: the next whole second at least one second after the first
 * export ended, waited out (and one more second), so that the second export starts after it whatever
 * precision the restore keeps.
 */
export async function timeBetweenExports(
  firstExportEnded: number,
  now: () => number = Date.now,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<string> {
  const asOf = Math.ceil((firstExportEnded + 1000) / 1000) * 1000;
  const wait = asOf + 1000 - now();
  if (wait > 0) await sleep(wait);
  return new Date(asOf).toISOString().replace(/\.000Z$/, 'Z');
}

/** The snapshot ids in a snapshot bucket (`snapshots/<SnapshotId>/...`), oldest first. */
export async function snapshotIds(s3: S3Client, bucket: string): Promise<string[]> {
  const ids = new Set<string>();
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'snapshots/', ContinuationToken: token }),
    );
    for (const { Key: key } of page.Contents ?? []) {
      const id = /^snapshots\/(\d{8}T\d{6}Z)\//.exec(key ?? '')?.[1];
      if (id !== undefined) ids.add(id);
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return [...ids].sort();
}

export function localS3(region: string, endpoint: string): S3Client {
  return new S3Client({
    region,
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** The scenario's verdict: the damage reached the backup, and both restores are at parity. */
export function recoveryPointsOk(report: RecoveryPointsReport): boolean {
  return (
    report.secondExport === 'SUCCEEDED' &&
    report.damagedItems > 0 &&
    report.asOf.status === 'SUCCEEDED' &&
    report.asOf.parityOk &&
    report.snapshot.status === 'SUCCEEDED' &&
    report.snapshot.parityOk
  );
}
