// SPDX-License-Identifier: Apache-2.0
/**
 * The recovery point a restore reads: one interface that yields the backup's items in pages with a
 * cursor that Step Functions carries between invocations, whatever holds them:
 * - the live backup table (a Scan, as every restore did before recovery points existed);
 * - a DynamoDB export in S3 (table-export.ts): the point-in-time export an `AsOf` restore starts, in
 *   `point-in-time-exports/<execution name>/` of the Region's import bucket, or a kept snapshot,
 *   `snapshots/<SnapshotId>/` of the snapshot bucket, or the sample a restore drill wrote for its own
 *   import, `restore-drill-samples/<drill name>/` of the import bucket (drill-sample.ts).
 *
 * A workflow input names its recovery point the same way everywhere: `"AsOf": "<ISO 8601 time>"`,
 * `"Snapshot": "<SnapshotId>"`, `"Sample": "<drill name>"`, or none of them (the live table). Every reader of an execution derives the
 * same source from its input and its name, so no state needs to carry it.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGet, chunk, DYNAMODB_GET_BATCH_SIZE } from './batch';
import type { RetryOptions } from './retry';
import { readPoolConfiguration } from './pool-configuration-item';
import { readStoredConfiguration } from './stored-pool-configuration';
import {
  findTableExports,
  openTableExport,
  readTableExport,
  s3ExportObjects,
  TableExportError,
  type ExportCursor,
  type ExportObjects,
  type TableExport,
} from './table-export';

export type Item = Record<string, unknown>;

/** Where a point-in-time export of an execution is written in the import bucket. */
export const POINT_IN_TIME_PREFIX = 'point-in-time-exports/';
/** Where snapshots are kept in the snapshot bucket. */
export const SNAPSHOT_PREFIX = 'snapshots/';
/** Where a restore drill writes its sample in the import bucket. */
export const SAMPLE_PREFIX = 'restore-drill-samples/';

export const pointInTimePrefix = (execution: string): string => `${POINT_IN_TIME_PREFIX}${execution}/`;
export const snapshotPrefix = (snapshotId: string): string => `${SNAPSHOT_PREFIX}${snapshotId}/`;
export const samplePrefix = (sampleId: string): string => `${SAMPLE_PREFIX}${sampleId}/`;

/** The recovery point an execution input names. */
export type RecoveryPointRequest =
  | { kind: 'table' }
  | { kind: 'as-of'; asOf: string; time: number }
  | { kind: 'snapshot'; snapshotId: string }
  | { kind: 'sample'; sampleId: string };

/** The execution input is not a recovery point (the message says what is expected). */
export class InvalidRecoveryPointError extends Error {
  override readonly name = 'InvalidRecoveryPointError';
}

/** An ISO 8601 time with its offset (`Z` or `±hh:mm`): a time without one would depend on a Region's clock. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
/** A snapshot id: the export time in UTC, `YYYYMMDDTHHMMSSZ`. */
export const SNAPSHOT_ID = /^\d{8}T\d{6}Z$/;
/** A sample id: the restore drill's name (`restore-drill-<drill execution name>`, at most 80 characters). */
export const SAMPLE_ID = /^restore-drill-[\w-]{1,66}$/;

/** `AsOf` / `Snapshot` of the execution input (at most one of them). */
export function recoveryPointRequest(input: Record<string, unknown> | undefined): RecoveryPointRequest {
  const asOf = input?.AsOf;
  const snapshot = input?.Snapshot;
  const sample = input?.Sample;
  const given = (value: unknown) => value !== undefined && value !== null && value !== '';
  const named = (['AsOf', 'Snapshot', 'Sample'] as const).filter((field) => given(input?.[field]));
  if (named.length > 1)
    throw new InvalidRecoveryPointError(
      `The execution input names ${named.length} recovery points (${named.join(' and ')}): give one of them, ` +
        'or none to restore the backup table as it is now.',
    );
  if (given(asOf)) {
    const time = typeof asOf === 'string' && ISO_TIME.test(asOf.trim()) ? Date.parse(asOf.trim()) : NaN;
    if (Number.isNaN(time))
      throw new InvalidRecoveryPointError(
        `AsOf must be an ISO 8601 time with its offset, for example "2026-12-01T09:30:00Z" (found ${JSON.stringify(asOf).slice(0, 60)}).`,
      );
    return { kind: 'as-of', asOf: new Date(time).toISOString(), time };
  }
  if (given(snapshot)) {
    if (typeof snapshot !== 'string' || !SNAPSHOT_ID.test(snapshot.trim()))
      throw new InvalidRecoveryPointError(
        'Snapshot must be a snapshot id as the export notification names it, the export time in UTC as ' +
          `YYYYMMDDTHHMMSSZ, for example "20261207T223000Z" (found ${JSON.stringify(snapshot).slice(0, 60)}).`,
      );
    return { kind: 'snapshot', snapshotId: snapshot.trim() };
  }
  if (given(sample)) {
    if (typeof sample !== 'string' || !SAMPLE_ID.test(sample))
      throw new InvalidRecoveryPointError(
        'Sample names the sample a restore drill wrote for its import, "restore-drill-<drill name>" ' +
          `(found ${JSON.stringify(sample).slice(0, 60)}).`,
      );
    return { kind: 'sample', sampleId: sample };
  }
  return { kind: 'table' };
}

/** The fields of an execution input that name `request` (so that a Resume reads the same point). */
export function requestInput(request: RecoveryPointRequest): Record<string, string> {
  if (request.kind === 'as-of') return { AsOf: request.asOf };
  if (request.kind === 'snapshot') return { Snapshot: request.snapshotId };
  if (request.kind === 'sample') return { Sample: request.sampleId };
  return {};
}

/** A reader's position, as a state's output carries it: a table key, or a place in an export. */
export type SourceCursor = { LastEvaluatedKey: Item } | { ExportCursor: ExportCursor };

export interface RecoveryPointPage {
  items: Item[];
  /** Where the next page starts; absent after the last page. */
  next?: SourceCursor;
}

export interface RecoveryPointSource {
  /** Names the recovery point in logs and in the restore report. */
  readonly description: string;
  /**
   * The items from `start` on, in pages of about `limit` items. Pull the next page while working on
   * the current one; leave the loop to stop (what is open is closed).
   */
  pages(start: SourceCursor | undefined, limit: number): AsyncGenerator<RecoveryPointPage>;
  /**
   * Every user item (`type` = `typeUser`), for the target check; stops between pages once `hasTime`
   * says no. Whether every user item was read.
   */
  userItems(visit: (item: Item) => void, hasTime: () => boolean): Promise<boolean>;
  /** The sign-in name (`pseudoUsername`) of the user items of these old subs, where the backup has one. */
  signInNames(subs: readonly string[]): Promise<Map<string, string>>;
  /**
   * The pool's configuration as this recovery point recorded it (the configuration item of type
   * `typeTimestamp`), or undefined when it has none (a backup of v1.0.10). Refused
   * (PoolConfigurationItemError) when it is unreadable. The live table answers by key (GetItem); an
   * export answers what CheckRecoveryPoint kept of it while checking every file, never by a search.
   */
  poolConfiguration(typeTimestamp: string): Promise<unknown>;
}

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
const USER_ID_PREFIX = 'USER-';

// ---------------------------------------------------------------------------------------------------
// The live table

export interface TableSourceDeps {
  ddb: DynamoDBDocumentClient;
  tableName: string;
  typeUser: string;
  retry?: RetryOptions;
}

/** Segments of the target check's parallel scan: enough to read a few million user items in its time. */
export const SCAN_SEGMENTS = 4;

export function tableSource(deps: TableSourceDeps): RecoveryPointSource {
  const { ddb, tableName } = deps;
  return {
    description: `the backup table ${tableName} as it is now`,
    async *pages(start, limit) {
      if (start !== undefined && !('LastEvaluatedKey' in start))
        throw new InvalidRecoveryPointError(
          'A cursor of a table export was given to a reader of the backup table',
        );
      let key = start?.LastEvaluatedKey;
      do {
        const page = await ddb.send(
          new ScanCommand({ TableName: tableName, Limit: limit, ...(key ? { ExclusiveStartKey: key } : {}) }),
        );
        key = page.LastEvaluatedKey;
        yield { items: page.Items ?? [], ...(key ? { next: { LastEvaluatedKey: key } } : {}) };
      } while (key);
    },
    async userItems(visit, hasTime) {
      const segment = async (index: number): Promise<boolean> => {
        let startKey: Item | undefined;
        do {
          if (!hasTime()) return false;
          const page = await ddb.send(
            new ScanCommand({
              TableName: tableName,
              Segment: index,
              TotalSegments: SCAN_SEGMENTS,
              ProjectionExpression: '#type, username, pseudoUsername, userAttributes',
              FilterExpression: '#type = :typeUser',
              ExpressionAttributeNames: { '#type': 'type' },
              ExpressionAttributeValues: { ':typeUser': deps.typeUser },
              ExclusiveStartKey: startKey,
            }),
          );
          for (const item of page.Items ?? []) visit(item);
          startKey = page.LastEvaluatedKey;
        } while (startKey !== undefined);
        return true;
      };
      // Every segment settles before the answer, even when one fails: no read outlives the invocation.
      const outcomes = await Promise.allSettled(
        Array.from({ length: SCAN_SEGMENTS }, (_, index) => segment(index)),
      );
      let complete = true;
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') throw outcome.reason;
        complete &&= outcome.value;
      }
      return complete;
    },
    async signInNames(subs) {
      const names = new Map<string, string>();
      for (const batch of chunk([...new Set(subs)], DYNAMODB_GET_BATCH_SIZE)) {
        const users = await batchGet(
          ddb,
          tableName,
          batch.map((sub) => ({ id: `${USER_ID_PREFIX}${sub}`, type: deps.typeUser })),
          { ProjectionExpression: 'id, pseudoUsername' },
          deps.retry,
        );
        for (const user of users) {
          if (typeof user.id === 'string' && nonEmpty(user.pseudoUsername))
            names.set(user.id.slice(USER_ID_PREFIX.length), user.pseudoUsername);
        }
      }
      return names;
    },
    poolConfiguration(typeTimestamp) {
      return readPoolConfiguration(ddb, { tableName, typeTimestamp });
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// A table export

export interface ExportSourceDeps {
  objects: ExportObjects;
  table: TableExport;
  typeUser: string;
  /** What the export is, for the report ("the backup table as of ...", "snapshot ..."). */
  description: string;
  /** Its configuration item, as CheckRecoveryPoint kept it (stored-pool-configuration.ts). */
  configuration: () => Promise<unknown>;
}

/** Items a page of the sign-in index's pass reads at a time. */
const INDEX_PAGE = 1_000;

export function exportSource(deps: ExportSourceDeps): RecoveryPointSource {
  const { objects, table, typeUser } = deps;
  /**
   * Sign-in names by old sub, built on first use by one pass over the export's user items. An export
   * cannot be read by key, and only the memberships that name their user by a name the new pool does
   * not know ask for it (tables written by v1.0.10 for pools with more than 60 groups): the invocation
   * that needs it holds one sub and one name per backed-up user, about 150 bytes each (150 MB for
   * 1,000,000 users, within the reconciliation function's 1,024 MB).
   */
  let index: Promise<Map<string, string>> | undefined;
  const buildIndex = async (): Promise<Map<string, string>> => {
    const names = new Map<string, string>();
    for await (const page of readTableExport(objects, table, undefined, INDEX_PAGE)) {
      for (const item of page.items) {
        if (item.type === typeUser && typeof item.id === 'string' && nonEmpty(item.pseudoUsername))
          names.set(item.id.slice(USER_ID_PREFIX.length), item.pseudoUsername);
      }
    }
    return names;
  };
  return {
    description: deps.description,
    async *pages(start, limit) {
      if (start !== undefined && !('ExportCursor' in start))
        throw new InvalidRecoveryPointError(
          'A cursor of the backup table was given to a reader of a table export',
        );
      for await (const page of readTableExport(objects, table, start?.ExportCursor, limit))
        yield { items: page.items, ...(page.next ? { next: { ExportCursor: page.next } } : {}) };
    },
    async userItems(visit, hasTime) {
      for await (const page of readTableExport(objects, table, undefined, INDEX_PAGE)) {
        for (const item of page.items) if (item.type === typeUser) visit(item);
        if (page.next !== undefined && !hasTime()) return false;
      }
      return true;
    },
    async signInNames(subs) {
      index ??= buildIndex();
      const all = await index;
      const names = new Map<string, string>();
      for (const sub of subs) {
        const name = all.get(sub);
        if (name !== undefined) names.set(sub, name);
      }
      return names;
    },
    poolConfiguration() {
      return deps.configuration();
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Opening the source an execution names

/** The recovery point cannot be read: no such snapshot, an export missing or incomplete. */
export class RecoveryPointUnavailableError extends Error {
  override readonly name = 'RecoveryPointUnavailableError';
}

export interface OpenSourceDeps {
  ddb: DynamoDBDocumentClient;
  s3: S3Client;
  tableName: string;
  typeUser: string;
  /** The Region's import bucket (`USER_IMPORT_JOB_MAPPING_FILES_BUCKET`), where `AsOf` exports go. */
  importBucket: string;
  /** The snapshot bucket (`SNAPSHOT_BUCKET`); empty when snapshots are off. */
  snapshotBucket: string;
  /** The execution's name: its point-in-time export's prefix. */
  execution: string;
  retry?: RetryOptions;
  /** Tests and the offline check read an export elsewhere. */
  objects?: (bucket: string) => ExportObjects;
}

/** The one export under `prefix`: refused when there is none, or more than one. */
export async function findExport(objects: ExportObjects, prefix: string, what: string): Promise<TableExport> {
  const directories = await findTableExports(objects, prefix);
  if (directories.length !== 1 || directories[0] === undefined)
    throw new RecoveryPointUnavailableError(
      directories.length === 0
        ? `${what} has no complete export under ${objects.where}/${prefix} (no manifest-summary.json): it is ` +
            'unknown, still being written, or incomplete'
        : `${what} has ${directories.length} exports under ${objects.where}/${prefix}: keep one of them`,
    );
  try {
    return await openTableExport(objects, directories[0]);
  } catch (error) {
    if (error instanceof TableExportError)
      throw new RecoveryPointUnavailableError(`${what} cannot be restored: ${error.message}`, {
        cause: error,
      });
    throw error;
  }
}

export function snapshotWhat(snapshotId: string): string {
  return `The snapshot ${snapshotId}`;
}

export function sampleWhat(sampleId: string): string {
  return `The restore drill's sample ${sampleId}`;
}

export function asOfWhat(asOf: string): string {
  return `The point-in-time export of the backup table as of ${asOf}`;
}

/** The export that holds `request`'s items: where it is looked for, and by what name it is refused. */
export function exportPlace(
  request: Exclude<RecoveryPointRequest, { kind: 'table' }>,
  deps: Pick<OpenSourceDeps, 'importBucket' | 'snapshotBucket' | 'execution'>,
): { bucket: string; prefix: string; what: string } {
  if (request.kind !== 'snapshot' && deps.importBucket === '')
    throw new RecoveryPointUnavailableError(
      `${request.kind === 'as-of' ? asOfWhat(request.asOf) : sampleWhat(request.sampleId)} cannot be read: ` +
        'USER_IMPORT_JOB_MAPPING_FILES_BUCKET is not set.',
    );
  if (request.kind === 'as-of')
    return {
      bucket: deps.importBucket,
      prefix: pointInTimePrefix(deps.execution),
      what: asOfWhat(request.asOf),
    };
  if (request.kind === 'sample')
    return {
      bucket: deps.importBucket,
      prefix: samplePrefix(request.sampleId),
      what: sampleWhat(request.sampleId),
    };
  if (deps.snapshotBucket === '')
    throw new RecoveryPointUnavailableError(
      `${snapshotWhat(request.snapshotId)} cannot be read: this stack keeps no snapshots (SNAPSHOT_BUCKET is not set).`,
    );
  return {
    bucket: deps.snapshotBucket,
    prefix: snapshotPrefix(request.snapshotId),
    what: snapshotWhat(request.snapshotId),
  };
}

/** The source of `request` for this execution. */
export async function openRecoveryPoint(
  request: RecoveryPointRequest,
  deps: OpenSourceDeps,
): Promise<RecoveryPointSource> {
  if (request.kind === 'table')
    return tableSource({
      ddb: deps.ddb,
      tableName: deps.tableName,
      typeUser: deps.typeUser,
      ...(deps.retry ? { retry: deps.retry } : {}),
    });
  const place = exportPlace(request, deps);
  const objects = deps.objects ? deps.objects(place.bucket) : s3ExportObjects(deps.s3, place.bucket);
  const table = await findExport(objects, place.prefix, place.what);
  const description =
    request.kind === 'as-of'
      ? `the backup table as of ${request.asOf} (export ${table.summary.exportArn || table.exportId})`
      : request.kind === 'sample'
        ? `the restore drill's sample ${request.sampleId} of the backup table (written at ${table.summary.exportTime})`
        : `the snapshot ${request.snapshotId} (export ${table.summary.exportArn || table.exportId}, exported at ${table.summary.exportTime})`;
  const store = { s3: deps.s3, bucket: deps.importBucket, execution: deps.execution };
  return exportSource({
    objects,
    table,
    typeUser: deps.typeUser,
    description,
    configuration: () => readStoredConfiguration(store, description),
  });
}
