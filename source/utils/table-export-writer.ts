// SPDX-License-Identifier: Apache-2.0
/**
 * Writes items as a DynamoDB table export in S3, in the layout and formats that table-export.ts reads
 * (a full export in DynamoDB JSON): `<prefix>AWSDynamoDB/<ExportId>/` with `_started`, gzipped data files
 * of `{"Item": ...}` lines under `data/`, `manifest-files.json` (one line per data file with its item
 * count and base64 MD5), `manifest-summary.json`, and each manifest's `.checksum` (its hexadecimal MD5).
 * The restore drill writes its sample so, and the ImportWorkflow reads it as any other recovery point.
 * The manifests are written last: a reader finds no summary, so no export, until every data file is there.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { checksumFileOf, EXPORT_DIRECTORY, FILES_MANIFEST, SUMMARY_FILE } from './table-export';

export type Put = (key: string, body: Uint8Array) => Promise<unknown>;

export function s3Put(s3: S3Client, bucket: string): Put {
  return (key, body) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** Items per data file: an export writes one file per table partition; any split reads the same. */
export const ITEMS_PER_FILE = 5_000;

const isBytes = (value: unknown): value is Uint8Array => value instanceof Uint8Array;

/** A DocumentClient value → DynamoDB JSON as an export writes it (binary as base64); undefined is left out. */
export function exportValue(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (isBytes(value)) return { B: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return { L: value.map((entry) => exportValue(entry) ?? { NULL: true }) };
  if (value instanceof Set) {
    const entries = [...(value as Set<unknown>)];
    if (entries.every((entry) => typeof entry === 'number')) return { NS: entries.map(String) };
    if (entries.every(isBytes)) return { BS: entries.map((entry) => Buffer.from(entry).toString('base64')) };
    return { SS: entries.map(String) };
  }
  if (typeof value === 'object') return { M: exportItem(value as Record<string, unknown>) };
  throw new TypeError(`A value of type ${typeof value} cannot be written to a table export`);
}

export function exportItem(item: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    const written = exportValue(value);
    if (written !== undefined) out[name] = written;
  }
  return out;
}

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest();

export interface WrittenExport {
  /** `<prefix>AWSDynamoDB/<ExportId>/` */
  directory: string;
  itemCount: number;
  files: number;
}

/** Writes `items` as one export under `prefix` (which ends with `/`). */
export async function writeTableExport(
  put: Put,
  prefix: string,
  items: readonly Record<string, unknown>[],
  about: { exportId: string; exportTime: string; tableArn: string; bucket: string },
): Promise<WrittenExport> {
  const directory = `${prefix}${EXPORT_DIRECTORY}${about.exportId}/`;
  await put(`${directory}_started`, new Uint8Array());
  const manifestLines: string[] = [];
  for (let start = 0, index = 0; start < items.length || index === 0; start += ITEMS_PER_FILE, index += 1) {
    const slice = items.slice(start, start + ITEMS_PER_FILE);
    const body = gzipSync(
      Buffer.from(slice.map((item) => `${JSON.stringify({ Item: exportItem(item) })}\n`).join(''), 'utf8'),
    );
    const key = `${directory}data/${String(index).padStart(5, '0')}.json.gz`;
    await put(key, body);
    manifestLines.push(
      JSON.stringify({
        itemCount: slice.length,
        md5Checksum: md5(body).toString('base64'),
        etag: md5(body).toString('hex'),
        dataFileS3Key: key,
      }),
    );
  }
  const manifest = async (name: string, text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    // The checksum first: a reader that finds a manifest finds its checksum.
    await put(checksumFileOf(`${directory}${name}`), Buffer.from(md5(bytes).toString('hex'), 'utf8'));
    await put(`${directory}${name}`, bytes);
  };
  await manifest(FILES_MANIFEST, `${manifestLines.join('\n')}\n`);
  const now = about.exportTime;
  await manifest(
    SUMMARY_FILE,
    JSON.stringify({
      version: '2020-06-30',
      exportArn: '',
      startTime: now,
      endTime: now,
      tableArn: about.tableArn,
      tableId: '',
      exportTime: now,
      s3Bucket: about.bucket,
      s3Prefix: prefix.replace(/\/$/, ''),
      s3SseAlgorithm: 'AES256',
      s3SseKmsKeyId: null,
      manifestFilesS3Key: `${directory}${FILES_MANIFEST}`,
      billedSizeBytes: 0,
      itemCount: items.length,
      outputFormat: 'DYNAMODB_JSON',
    }),
  );
  return { directory, itemCount: items.length, files: manifestLines.length };
}
