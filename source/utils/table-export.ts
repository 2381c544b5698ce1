// SPDX-License-Identifier: Apache-2.0
/**
 * Reads a DynamoDB table export in S3 (a full export, `ExportFormat: DYNAMODB_JSON`): a point-in-time
 * export of the backup table or a kept snapshot. It yields the table's items as the DocumentClient
 * returns them, in pages with a cursor that a later invocation resumes from.
 *
 * The layout and formats are those the DynamoDB developer guide documents ("DynamoDB table export
 * output format"):
 * - `<export prefix>/AWSDynamoDB/<ExportId>/` holds `manifest-summary.json`, `manifest-files.json`,
 *   their `.checksum` files, an empty `_started` (written when the export begins; it may be deleted)
 *   and the data files under `data/`.
 * - `manifest-summary.json` is one JSON object: `version` ("2020-06-30"), `exportArn`, `startTime`,
 *   `endTime`, `tableArn`, `tableId`, `exportTime`, `s3Bucket`, `s3Prefix`, `s3SseAlgorithm`,
 *   `s3SseKmsKeyId`, `manifestFilesS3Key`, `billedSizeBytes`, `itemCount`, `outputFormat`.
 * - `manifest-files.json` is JSON lines, one per data file: `itemCount`, `md5Checksum` (the base64 MD5
 *   of the data file's bytes, as S3's Content-MD5), `etag` (the S3 ETag, `-<parts>` for a multipart
 *   upload, so not an MD5 of the contents) and `dataFileS3Key`.
 * - The export writes at least one data file per table partition, an empty one for an empty partition.
 * - A data file is gzip-compressed JSON lines, one `{"Item": {...}}` per item, each item in DynamoDB's
 *   marshalled JSON (`{"S": "..."}`, `{"N": "..."}`, ...); binary values are base64 strings.
 *
 * A `.checksum` file holds the MD5 of its manifest. The guide names the files without spelling the
 * encoding out, so both the hexadecimal digest (as S3 Inventory's `manifest.checksum`) and the base64
 * one are accepted; anything else, or a digest that does not match, refuses the export.
 *
 * Nothing is taken on trust: the manifests must match their checksums, every data file its MD5 and
 * its item count, the data files' counts the summary's, and every key must lie inside the export's own
 * directory. A truncated, altered or incomplete export is refused with an error that names the file.
 */
import { createGunzip, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export const EXPORT_DIRECTORY = 'AWSDynamoDB/';
export const SUMMARY_FILE = 'manifest-summary.json';
export const FILES_MANIFEST = 'manifest-files.json';
export const checksumFileOf = (manifest: string): string => manifest.replace(/\.json$/, '.checksum');

/** The export is unusable: missing, incomplete, truncated or altered. The message names the file. */
export class TableExportError extends Error {
  override readonly name = 'TableExportError';
}

/** Where the export's objects are read: S3 in AWS, a directory for an export downloaded by the operator. */
export interface ExportObjects {
  /** A name for messages (`s3://bucket`). */
  readonly where: string;
  /** The object's bytes, in chunks. A missing object rejects. */
  read(key: string): AsyncIterable<Uint8Array>;
  /** The keys under `prefix`, every page. */
  list(prefix: string): Promise<string[]>;
}

export function s3ExportObjects(s3: S3Client, bucket: string): ExportObjects {
  return {
    where: `s3://${bucket}`,
    async *read(key) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = object.Body as unknown;
      if (body === undefined || body === null) return;
      if (typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
        yield* body as AsyncIterable<Uint8Array>;
        return;
      }
      // A body that is not a Node stream (a browser-style or test body): read it whole.
      yield await (body as { transformToByteArray: () => Promise<Uint8Array> }).transformToByteArray();
    },
    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
  };
}

export interface ExportSummary {
  exportArn: string;
  exportTime: string;
  tableArn: string;
  itemCount: number;
  outputFormat: string;
}

export interface ExportDataFile {
  key: string;
  itemCount: number;
  md5Checksum: string;
}

export interface TableExport {
  /** The export's directory, `<prefix>AWSDynamoDB/<ExportId>/`. */
  directory: string;
  exportId: string;
  summary: ExportSummary;
  files: ExportDataFile[];
}

/** Where a reader stands: the data file (its index in the files manifest) and the lines already read. */
export interface ExportCursor {
  File: number;
  Line: number;
}

async function readAll(objects: ExportObjects, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of objects.read(key)) chunks.push(Buffer.from(chunk));
  } catch (error) {
    throw new TableExportError(`The table export file ${objects.where}/${key} cannot be read`, {
      cause: error,
    });
  }
  return Buffer.concat(chunks);
}

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest();

/** Whether `recorded` (hexadecimal or base64) is the MD5 `digest`. */
export function sameDigest(recorded: string, digest: Buffer): boolean {
  const text = recorded.trim();
  if (/^[0-9a-fA-F]{32}$/.test(text)) return text.toLowerCase() === digest.toString('hex');
  return text === digest.toString('base64');
}

async function verifiedManifest(objects: ExportObjects, key: string): Promise<string> {
  const [bytes, checksum] = await Promise.all([readAll(objects, key), readAll(objects, checksumFileOf(key))]);
  if (!sameDigest(checksum.toString('utf8'), md5(bytes)))
    throw new TableExportError(
      `The table export file ${objects.where}/${key} does not match its checksum file ` +
        `(${checksumFileOf(key)}): it is incomplete or was altered`,
    );
  return bytes.toString('utf8');
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * The key of a manifest's `manifestFilesS3Key` or `dataFileS3Key` in this export. The guide's example
 * gives them from `AWSDynamoDB/` on; S3 exports give them with the export prefix. Either way the part
 * from `AWSDynamoDB/<ExportId>/` on must lie in this export's directory: a manifest that points
 * elsewhere is refused.
 */
function keyInExport(table: { directory: string; exportId: string }, key: unknown, file: string): string {
  const own = `${EXPORT_DIRECTORY}${table.exportId}/`;
  const at = typeof key === 'string' ? key.lastIndexOf(own) : -1;
  const relative = at < 0 ? '' : (key as string).slice(at + own.length);
  if (relative === '' || relative.split('/').includes('..'))
    throw new TableExportError(
      `The table export file ${file} names a key outside its export (${String(key).slice(0, 200)})`,
    );
  return table.directory + relative;
}

/**
 * Opens the export whose directory is `directory` (`<prefix>AWSDynamoDB/<ExportId>/`): reads and
 * verifies both manifests. Data files are verified as they are read (`verifyTableExport` reads them all).
 */
export async function openTableExport(objects: ExportObjects, directory: string): Promise<TableExport> {
  const base = directory.endsWith('/') ? directory : `${directory}/`;
  const match = /(?:^|\/)AWSDynamoDB\/([^/]+)\/$/.exec(base);
  if (match?.[1] === undefined)
    throw new TableExportError(
      `${objects.where}/${base} is not a table export directory (AWSDynamoDB/<ExportId>/)`,
    );
  const table = { directory: base, exportId: match[1] };
  const summaryKey = base + SUMMARY_FILE;
  const summaryText = await verifiedManifest(objects, summaryKey);
  let raw: unknown;
  try {
    raw = JSON.parse(summaryText);
  } catch (error) {
    throw new TableExportError(`The table export file ${objects.where}/${summaryKey} is not JSON`, {
      cause: error,
    });
  }
  if (!isRecord(raw) || !isCount(raw.itemCount) || typeof raw.exportTime !== 'string')
    throw new TableExportError(
      `The table export file ${objects.where}/${summaryKey} lacks the summary's itemCount or exportTime`,
    );
  // Only a full DynamoDB JSON export has the `{"Item": ...}` lines read here (an incremental export
  // writes `NewImage`/`OldImage`, an ION one another syntax).
  const outputFormat = typeof raw.outputFormat === 'string' ? raw.outputFormat : 'DYNAMODB_JSON';
  const exportType = typeof raw.exportType === 'string' ? raw.exportType : 'FULL_EXPORT';
  if (outputFormat !== 'DYNAMODB_JSON' || exportType !== 'FULL_EXPORT')
    throw new TableExportError(
      `The table export ${objects.where}/${base} is a ${exportType} in ${outputFormat}: only a FULL_EXPORT in ` +
        'DYNAMODB_JSON can be restored',
    );
  const summary: ExportSummary = {
    exportArn: typeof raw.exportArn === 'string' ? raw.exportArn : '',
    exportTime: raw.exportTime,
    tableArn: typeof raw.tableArn === 'string' ? raw.tableArn : '',
    itemCount: raw.itemCount,
    outputFormat,
  };
  const filesKey = keyInExport(table, raw.manifestFilesS3Key ?? `${base}${FILES_MANIFEST}`, summaryKey);
  const files: ExportDataFile[] = [];
  const lines = (await verifiedManifest(objects, filesKey)).split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch (error) {
      throw new TableExportError(`Line ${index + 1} of ${objects.where}/${filesKey} is not JSON`, {
        cause: error,
      });
    }
    if (!isRecord(entry) || !isCount(entry.itemCount) || typeof entry.md5Checksum !== 'string')
      throw new TableExportError(
        `Line ${index + 1} of ${objects.where}/${filesKey} lacks itemCount, md5Checksum or dataFileS3Key`,
      );
    files.push({
      key: keyInExport(table, entry.dataFileS3Key, filesKey),
      itemCount: entry.itemCount,
      md5Checksum: entry.md5Checksum,
    });
  });
  const counted = files.reduce((sum, file) => sum + file.itemCount, 0);
  if (counted !== summary.itemCount)
    throw new TableExportError(
      `The table export ${objects.where}/${base} is incomplete: its data files hold ${counted} items and ` +
        `its summary counts ${summary.itemCount}`,
    );
  return { ...table, summary, files };
}

/** The directories of the exports under `prefix` (`<prefix>AWSDynamoDB/<ExportId>/`) that have a summary. */
export async function findTableExports(objects: ExportObjects, prefix: string): Promise<string[]> {
  const keys = await objects.list(`${prefix}${EXPORT_DIRECTORY}`);
  return keys
    .filter((key) => key.endsWith(`/${SUMMARY_FILE}`))
    .map((key) => key.slice(0, key.length - SUMMARY_FILE.length))
    .filter((directory) => /AWSDynamoDB\/[^/]+\/$/.test(directory.slice(prefix.length)))
    .sort();
}

// ---------------------------------------------------------------------------------------------------
// DynamoDB JSON → the DocumentClient's plain values

/** A marshalled attribute value as an export writes it (binary values base64). */
type ExportValue = Record<string, unknown>;

/**
 * A number as the DocumentClient returns it by default (`wrapNumbers` off): a JavaScript number, and
 * an error for one that a number would not hold exactly.
 */
function numberOf(text: unknown): number {
  const value = Number(text);
  if (typeof text !== 'string' || Number.isNaN(value))
    throw new TableExportError(`An N value of the export is not a number`);
  if (!Number.isSafeInteger(value) && Number.isInteger(value) && Number.isFinite(value))
    throw new TableExportError(`An N value of the export is larger than a JavaScript number holds exactly`);
  return value;
}

const bytesOf = (text: unknown): Uint8Array => new Uint8Array(Buffer.from(String(text), 'base64'));

/**
 * One marshalled value → the plain value the DocumentClient returns for it: `S` string, `N` number,
 * `B` Uint8Array, `BOOL` boolean, `NULL` null, `M` object, `L` array, `SS`/`NS`/`BS` Set.
 */
export function plainValue(value: unknown): unknown {
  if (!isRecord(value)) throw new TableExportError('An attribute value of the export is not an object');
  const [type, inner] = Object.entries(value as ExportValue)[0] ?? [];
  switch (type) {
    case 'S':
      if (typeof inner !== 'string') break;
      return inner;
    case 'N':
      return numberOf(inner);
    case 'B':
      return bytesOf(inner);
    case 'BOOL':
      if (typeof inner !== 'boolean') break;
      return inner;
    case 'NULL':
      return null;
    case 'M':
      if (!isRecord(inner)) break;
      return plainItem(inner);
    case 'L':
      if (!Array.isArray(inner)) break;
      return inner.map(plainValue);
    case 'SS':
      if (!Array.isArray(inner)) break;
      return new Set(inner.map(String));
    case 'NS':
      if (!Array.isArray(inner)) break;
      return new Set(inner.map(numberOf));
    case 'BS':
      if (!Array.isArray(inner)) break;
      return new Set(inner.map(bytesOf));
    default:
      break;
  }
  throw new TableExportError(
    `An attribute value of the export has an unknown or malformed type (${String(type)})`,
  );
}

export function plainItem(item: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) out[name] = plainValue(value);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Data files

/** An empty partition's data file may be an object of no bytes, which gunzip refuses: it reads as this. */
const EMPTY_GZIP = gzipSync(Buffer.alloc(0));

/** The lines of a gzip stream (split on the byte `\n`, which never occurs inside a UTF-8 character). */
async function* gzipLines(
  objects: ExportObjects,
  key: string,
  hash: ReturnType<typeof createHash>,
): AsyncGenerator<string> {
  const gunzip = createGunzip();
  // The compressed bytes are hashed as they arrive and fed to gunzip; its output is read below.
  const feeding = (async () => {
    let bytes = 0;
    try {
      for await (const chunk of objects.read(key)) {
        if (gunzip.destroyed) return;
        bytes += chunk.length;
        hash.update(chunk);
        if (!gunzip.write(chunk))
          await new Promise((resolve) => {
            gunzip.once('drain', resolve);
            gunzip.once('close', resolve);
          });
      }
      if (!gunzip.destroyed) gunzip.end(bytes === 0 ? EMPTY_GZIP : undefined);
    } catch (error) {
      gunzip.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  })();
  let rest = Buffer.alloc(0);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      let data = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
      let newline = data.indexOf(0x0a);
      while (newline >= 0) {
        const line = data.subarray(0, newline).toString('utf8');
        data = data.subarray(newline + 1);
        if (line.trim() !== '') yield line;
        newline = data.indexOf(0x0a);
      }
      rest = Buffer.from(data);
    }
    const last = rest.toString('utf8');
    if (last.trim() !== '') yield last;
  } finally {
    // Leaving early (a page that ends mid-file) closes the object's stream too: nothing outlives the reader.
    gunzip.destroy();
    await feeding;
  }
}

function parseLine(line: string, where: () => string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw new TableExportError(`${where()} is not a JSON line`, { cause: error });
  }
  if (!isRecord(parsed) || !isRecord(parsed.Item))
    throw new TableExportError(`${where()} is not an {"Item": ...} line`);
  try {
    return plainItem(parsed.Item);
  } catch (error) {
    if (error instanceof TableExportError) throw new TableExportError(`${where()}: ${error.message}`);
    throw error;
  }
}

/**
 * The items of one data file after its first `skip` lines, with their line numbers. The whole file is
 * read (gzip cannot be entered in the middle), so its MD5 and its count are checked at its end, before
 * the generator finishes.
 */
async function* fileItems(
  objects: ExportObjects,
  file: ExportDataFile,
  skip: number,
): AsyncGenerator<[Record<string, unknown>, number]> {
  const name = `${objects.where}/${file.key}`;
  const hash = createHash('md5');
  let line = 0;
  // The file's last item is held back until the file is checked: a page that ends a file is whole.
  let held: [Record<string, unknown>, number] | undefined;
  try {
    for await (const text of gzipLines(objects, file.key, hash)) {
      line += 1;
      if (line > file.itemCount) break;
      if (line <= skip) continue;
      if (held !== undefined) yield held;
      held = [parseLine(text, () => `Line ${line} of ${name}`), line];
    }
  } catch (error) {
    if (error instanceof TableExportError) throw error;
    throw new TableExportError(`The table export file ${name} cannot be read (truncated or not gzip)`, {
      cause: error,
    });
  }
  if (line !== file.itemCount)
    throw new TableExportError(
      `The table export file ${name} holds ${line > file.itemCount ? 'more than ' : ''}${line} items and its ` +
        `manifest counts ${file.itemCount}: it is truncated or was altered`,
    );
  if (!sameDigest(file.md5Checksum, hash.digest()))
    throw new TableExportError(
      `The table export file ${name} does not match its MD5 in the files manifest: it is truncated or was altered`,
    );
  if (held !== undefined) yield held;
}

/**
 * Checks the data files from `fromFile` on (MD5, item count, every line an item), calling `visit`
 * for every item, while `hasTime` allows starting another file. Returns the next file to check, or
 * `undefined` when every file was checked.
 */
export async function verifyTableExport(
  objects: ExportObjects,
  table: TableExport,
  fromFile: number,
  hasTime: () => boolean,
  visit: (item: Record<string, unknown>) => void = () => undefined,
): Promise<number | undefined> {
  for (let index = fromFile; index < table.files.length; index += 1) {
    if (index > fromFile && !hasTime()) return index;
    const file = table.files[index];
    if (file === undefined) continue;
    for await (const [item] of fileItems(objects, file, 0)) visit(item);
  }
  return undefined;
}

export interface ExportPage {
  items: Record<string, unknown>[];
  /** Where the next page starts; absent after the last. */
  next?: ExportCursor;
}

/**
 * The export's items from `start` on, in pages of at most `limit` items (a page may span data files).
 * Each page carries the cursor after its last item: resuming from it yields every later item once.
 * A file resumed mid-way is read again from its first byte and its first lines skipped. Leaving the
 * loop early closes the file being read (the generator's `return`).
 */
export async function* readTableExport(
  objects: ExportObjects,
  table: TableExport,
  start: ExportCursor | undefined,
  limit: number,
): AsyncGenerator<ExportPage> {
  const from = start ?? { File: 0, Line: 0 };
  if (!isCount(from.File) || !isCount(from.Line) || from.File > table.files.length)
    throw new TableExportError(`The export cursor ${JSON.stringify(from)} is not a position in this export`);
  let items: Record<string, unknown>[] = [];
  for (let index = from.File; index < table.files.length; index += 1) {
    const file = table.files[index];
    if (file === undefined) continue;
    const skip = index === from.File ? from.Line : 0;
    // A file read to its end by an earlier page was checked then.
    if (skip > 0 && skip >= file.itemCount) continue;
    for await (const [item, line] of fileItems(objects, file, skip)) {
      items.push(item);
      if (items.length >= Math.max(1, limit)) {
        const page: ExportPage = { items, next: { File: index, Line: line } };
        items = [];
        yield page;
      }
    }
  }
  yield { items };
}
