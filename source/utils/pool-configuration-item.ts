// SPDX-License-Identifier: Apache-2.0
/**
 * The backup table's configuration item: the source pool's configuration, written by every
 * ExportWorkflow and read by the ImportWorkflow's target check.
 *
 * - Key `id = "user-pool-configuration"`, `type = TYPE_TIMESTAMP`: the type of the table's bookkeeping
 *   items, which every reader of users and groups skips (the original solution's import included), and
 *   without `lastConfirmedInUserPool`, so that the export cleanup never takes it for stale.
 * - The JSON is gzip-compressed (`configuration`, binary). DynamoDB items are at most 400 KB: a
 *   configuration larger than one part (hundreds of app clients) is split into part items
 *   (`user-pool-configuration#1`, ...) written before the head item, which names their number and the
 *   digest of the whole; a reader checks the digest, so parts of another export are never mixed in.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const POOL_CONFIGURATION_ID = 'user-pool-configuration';

/** Compressed bytes per item: well under DynamoDB's 400 KB item limit, with room for the other attributes. */
export const PART_BYTES = 350_000;

export class PoolConfigurationItemError extends Error {
  override readonly name = 'PoolConfigurationItemError';
}

const partId = (index: number): string => `${POOL_CONFIGURATION_ID}#${index}`;
const digestOf = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The items that hold `configuration`, parts first and the head last (the order to write them in). */
export function configurationItems(
  configuration: unknown,
  typeTimestamp: string,
  recordedAt: string,
  partBytes = PART_BYTES,
): Record<string, unknown>[] {
  const compressed = gzipSync(Buffer.from(JSON.stringify(configuration), 'utf8'));
  const digest = digestOf(compressed);
  const head: Record<string, unknown> = {
    id: POOL_CONFIGURATION_ID,
    type: typeTimestamp,
    encoding: 'gzip-json',
    recordedAt,
    sha256: digest,
  };
  if (compressed.byteLength <= partBytes) return [{ ...head, configuration: compressed }];
  const parts: Record<string, unknown>[] = [];
  for (let offset = 0; offset < compressed.byteLength; offset += partBytes) {
    parts.push({
      id: partId(parts.length + 1),
      type: typeTimestamp,
      sha256: digest,
      chunk: compressed.subarray(offset, offset + partBytes),
    });
  }
  return [...parts, { ...head, parts: parts.length }];
}

export async function writePoolConfiguration(
  ddb: DynamoDBDocumentClient,
  table: { tableName: string; typeTimestamp: string },
  configuration: unknown,
  recordedAt: string,
): Promise<{ bytes: number; items: number }> {
  const items = configurationItems(configuration, table.typeTimestamp, recordedAt);
  let bytes = 0;
  // One at a time, head last: a reader never finds a head whose parts are not all written.
  for (const Item of items) {
    const data = (Item.configuration ?? Item.chunk) as Uint8Array | undefined;
    bytes += data?.byteLength ?? 0;
    await ddb.send(new PutCommand({ TableName: table.tableName, Item }));
  }
  return { bytes, items: items.length };
}

const asBytes = (value: unknown): Uint8Array | undefined => (value instanceof Uint8Array ? value : undefined);

/** Whether `id` is the configuration item's or one of its parts'. */
export const isPoolConfigurationId = (id: unknown): boolean =>
  id === POOL_CONFIGURATION_ID || (typeof id === 'string' && id.startsWith(`${POOL_CONFIGURATION_ID}#`));

/** The recorded configuration, or undefined when the table has none (a backup of the original solution). */
export function readPoolConfiguration(
  ddb: DynamoDBDocumentClient,
  table: { tableName: string; typeTimestamp: string },
): Promise<unknown> {
  return decodePoolConfiguration(
    async (id) =>
      (await ddb.send(new GetCommand({ TableName: table.tableName, Key: { id, type: table.typeTimestamp } })))
        .Item,
  );
}

/**
 * The configuration the items that `get` answers by id hold (the head, then its parts), or undefined
 * without a head: the live table answers with GetItem, an export with the items it holds.
 */
export async function decodePoolConfiguration(
  get: (id: string) => Promise<Record<string, unknown> | undefined>,
): Promise<unknown> {
  const head = await get(POOL_CONFIGURATION_ID);
  if (head === undefined) return undefined;
  if (head.encoding !== 'gzip-json') {
    throw new PoolConfigurationItemError(
      `The backup's configuration item has an encoding this version cannot read (${String(head.encoding)})`,
    );
  }
  let compressed = asBytes(head.configuration);
  if (compressed === undefined) {
    const count = typeof head.parts === 'number' ? head.parts : 0;
    const chunks: Uint8Array[] = [];
    for (let index = 1; index <= count; index += 1) {
      const part = await get(partId(index));
      const chunk = asBytes(part?.chunk);
      if (chunk === undefined || part?.sha256 !== head.sha256) {
        throw new PoolConfigurationItemError(
          `Part ${index} of ${count} of the backup's configuration item is missing or belongs to another export`,
        );
      }
      chunks.push(chunk);
    }
    compressed = Buffer.concat(chunks);
  }
  if (digestOf(compressed) !== head.sha256) {
    throw new PoolConfigurationItemError("The backup's configuration item does not match its digest");
  }
  return JSON.parse(gunzipSync(compressed).toString('utf8')) as unknown;
}
