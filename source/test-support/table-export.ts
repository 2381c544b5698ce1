// SPDX-License-Identifier: Apache-2.0
/**
 * Table exports for the specs, written in the layout and formats of a DynamoDB export to S3: the two
 * manifests with their `.checksum` files (hexadecimal MD5), `_started`, and gzipped data files of
 * `{"Item": ...}` lines whose MD5 (base64) and item count the files manifest records.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { ExportObjects } from '../utils/table-export';

export const EXPORT_ID = '01733600000000-a1b2c3d4';
export const EXPORT_TIME = '2026-12-01T09:30:00.000Z';

/**
 * DynamoDB JSON of a plain item, binary values in base64 as an export writes them. The replacer looks at
 * the value before its `toJSON` (a Buffer's turns it into `{"type":"Buffer",...}`).
 */
export function exportLine(item: Record<string, unknown>): string {
  return JSON.stringify(
    { Item: marshall(item, { removeUndefinedValues: true }) },
    function (this: Record<string, unknown>, key, value: unknown) {
      const raw = this[key];
      return raw instanceof Uint8Array ? Buffer.from(raw).toString('base64') : value;
    },
  );
}

const md5 = (bytes: Buffer) => createHash('md5').update(bytes);

export interface BuiltExport {
  /** Every object of the export, by key. */
  objects: Map<string, Buffer>;
  /** `<prefix>AWSDynamoDB/<ExportId>/`. */
  directory: string;
  dataKeys: string[];
}

/**
 * An export under `prefix` whose data files hold `files` (one array of items per file; a file given as
 * `null` is an empty partition's object of no bytes). Manifest keys carry the prefix, as S3 exports do.
 */
export function buildTableExport(
  files: (Record<string, unknown>[] | null)[],
  options: { prefix?: string; exportId?: string; summary?: Record<string, unknown> } = {},
): BuiltExport {
  const prefix = options.prefix ?? 'point-in-time-exports/run-1/';
  const exportId = options.exportId ?? EXPORT_ID;
  const directory = `${prefix}AWSDynamoDB/${exportId}/`;
  const objects = new Map<string, Buffer>();
  const manifestLines: string[] = [];
  const dataKeys: string[] = [];
  files.forEach((items, index) => {
    const key = `${directory}data/file${index.toString().padStart(3, '0')}.json.gz`;
    const body =
      items === null ? Buffer.alloc(0) : gzipSync(items.map((item) => `${exportLine(item)}\n`).join(''));
    objects.set(key, body);
    dataKeys.push(key);
    manifestLines.push(
      JSON.stringify({
        itemCount: items?.length ?? 0,
        md5Checksum: md5(body).digest('base64'),
        etag: `${md5(body).digest('hex')}-1`,
        dataFileS3Key: key,
      }),
    );
  });
  const put = (name: string, text: string) => {
    const bytes = Buffer.from(text);
    objects.set(directory + name, bytes);
    if (name.endsWith('.json'))
      objects.set(directory + name.replace(/\.json$/, '.checksum'), Buffer.from(md5(bytes).digest('hex')));
  };
  put('_started', '');
  put('manifest-files.json', manifestLines.map((line) => `${line}\n`).join(''));
  put(
    'manifest-summary.json',
    JSON.stringify({
      version: '2020-06-30',
      exportArn: `arn:aws:dynamodb:us-east-2:111122223333:table/backup-table/export/${exportId}`,
      startTime: EXPORT_TIME,
      endTime: EXPORT_TIME,
      tableArn: 'arn:aws:dynamodb:us-east-2:111122223333:table/backup-table',
      tableId: '12345a12-abcd-123a-ab12-1234abc12345',
      exportTime: EXPORT_TIME,
      s3Bucket: 'mapping-bucket',
      s3Prefix: prefix.replace(/\/$/, ''),
      s3SseAlgorithm: 'AES256',
      s3SseKmsKeyId: null,
      manifestFilesS3Key: `${directory}manifest-files.json`,
      billedSizeBytes: 0,
      itemCount: files.reduce((sum, items) => sum + (items?.length ?? 0), 0),
      outputFormat: 'DYNAMODB_JSON',
      exportType: 'FULL_EXPORT',
      ...options.summary,
    }),
  );
  return { objects, directory, dataKeys };
}

/** Rewrites a manifest and its checksum file (a consistent manifest with other contents). */
export function rewriteManifest(built: BuiltExport, name: string, text: string): void {
  const bytes = Buffer.from(text);
  built.objects.set(built.directory + name, bytes);
  built.objects.set(
    built.directory + name.replace(/\.json$/, '.checksum'),
    Buffer.from(md5(bytes).digest('hex')),
  );
}

/** Reads `objects` in chunks of `chunkSize` bytes (so that lines and gzip blocks straddle chunks). */
export function memoryExportObjects(
  objects: Map<string, Buffer>,
  chunkSize = 7,
): ExportObjects & {
  reads: string[];
} {
  const reads: string[] = [];
  return {
    where: 's3://mapping-bucket',
    reads,
    async *read(key) {
      reads.push(key);
      const bytes = objects.get(key);
      if (bytes === undefined) throw Object.assign(new Error(`NoSuchKey ${key}`), { name: 'NoSuchKey' });
      for (let at = 0; at < bytes.length; at += chunkSize) {
        await Promise.resolve();
        yield bytes.subarray(at, at + chunkSize);
      }
    },
    list: async (prefix) => [...objects.keys()].filter((key) => key.startsWith(prefix)).sort(),
  };
}

/** Serves `objects` from a mocked S3 client: GetObject streams the bytes, ListObjectsV2 lists in one page. */
export function serveExportBucket(
  s3: AwsClientStub<S3Client>,
  objects: Map<string, Buffer>,
  /** Only this bucket's requests (another bucket may be served otherwise). */
  bucket?: string,
): void {
  const only = bucket === undefined ? undefined : { Bucket: bucket };
  s3.on(GetObjectCommand, only).callsFake((input: { Key: string }) => {
    const bytes = objects.get(input.Key);
    if (bytes === undefined) throw Object.assign(new Error(`NoSuchKey ${input.Key}`), { name: 'NoSuchKey' });
    const Body = Object.assign(Readable.from([bytes]), {
      transformToString: (encoding?: BufferEncoding) => Promise.resolve(bytes.toString(encoding)),
    });
    return { Body } as never;
  });
  s3.on(ListObjectsV2Command, only).callsFake((input: { Prefix: string }) => ({
    Contents: [...objects.keys()].filter((key) => key.startsWith(input.Prefix)).map((Key) => ({ Key })),
  }));
}
