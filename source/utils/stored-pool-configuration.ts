// SPDX-License-Identifier: Apache-2.0
/**
 * The configuration item of a recovery point that is a table export (`AsOf`, `Snapshot`, a drill's
 * sample), kept by CheckRecoveryPoint while it reads every item of the export anyway: an export cannot
 * be read by key, and searching a large one for the item again would not fit the target check's
 * 60-second step.
 *
 * In the import bucket of the Region (its default encryption, as every work file):
 * - `restore-work/pool-configurations/<execution name>/<item id>.json`: each configuration item (head
 *   and parts) as the export holds it, binary values in base64, written by the invocation that read it
 *   (the item's parts may be in files that different invocations read);
 * - `restore-work/pool-configurations/<execution name>.json`: written last, once every file has been
 *   read: `{"Configuration": ...}`, `{"Configuration": null}` (the export has no configuration item: a
 *   backup of v1.0.10) or `{"Unreadable": "..."}`. The check and CreateUserPool read only this one.
 *
 * The configuration item holds no secret (client and identity-provider secrets are never recorded).
 * A retried invocation writes the same objects again; the summary is rewritten from what this
 * execution's check found, so nothing left by an earlier run of the same name is taken for it.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { errorName } from './errors';
import { decodePoolConfiguration, PoolConfigurationItemError } from './pool-configuration-item';

export const STORED_CONFIGURATION_PREFIX = 'restore-work/pool-configurations/';

export const storedConfigurationKey = (execution: string): string =>
  `${STORED_CONFIGURATION_PREFIX}${execution}.json`;

export const storedItemKey = (execution: string, id: string): string =>
  `${STORED_CONFIGURATION_PREFIX}${execution}/${encodeURIComponent(id)}.json`;

export interface ConfigurationStore {
  s3: S3Client;
  bucket: string;
  execution: string;
}

type Item = Record<string, unknown>;
const BINARY = 'base64';

const encodeItem = (item: Item): string =>
  JSON.stringify(
    Object.fromEntries(
      Object.entries(item).map(([key, value]) => [
        key,
        value instanceof Uint8Array ? { [BINARY]: Buffer.from(value).toString('base64') } : value,
      ]),
    ),
  );

const decodeItem = (text: string): Item =>
  Object.fromEntries(
    Object.entries(JSON.parse(text) as Item).map(([key, value]) => {
      const encoded = (value as Record<string, unknown> | null)?.[BINARY];
      return [key, typeof encoded === 'string' ? Buffer.from(encoded, 'base64') : value];
    }),
  );

async function put(store: ConfigurationStore, key: string, body: string): Promise<void> {
  await store.s3.send(new PutObjectCommand({ Bucket: store.bucket, Key: key, Body: body }));
}

/** The object's text, or undefined when there is none. */
async function get(store: ConfigurationStore, key: string): Promise<string | undefined> {
  try {
    const object = await store.s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
    return await object.Body?.transformToString('utf8');
  } catch (error) {
    if (errorName(error) === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** Keeps the configuration items one invocation of the check read. */
export async function storeConfigurationItems(
  store: ConfigurationStore,
  items: readonly Item[],
): Promise<void> {
  await Promise.all(
    items.map((item) => put(store, storedItemKey(store.execution, String(item.id)), encodeItem(item))),
  );
}

/**
 * Once every file is read: decodes the items the check found (`found`: their ids; those read by this
 * invocation in `fresh`, the others from their objects) and writes the summary.
 */
export async function storeConfiguration(
  store: ConfigurationStore,
  found: ReadonlySet<string>,
  fresh: ReadonlyMap<string, Item>,
): Promise<'recorded' | 'none' | 'unreadable'> {
  let summary: { Configuration: unknown } | { Unreadable: string };
  try {
    const configuration = await decodePoolConfiguration(async (id) => {
      if (!found.has(id)) return undefined;
      const item = fresh.get(id);
      if (item !== undefined) return item;
      const text = await get(store, storedItemKey(store.execution, id));
      return text === undefined ? undefined : decodeItem(text);
    });
    summary = { Configuration: configuration ?? null };
  } catch (error) {
    if (!(error instanceof PoolConfigurationItemError)) throw error;
    summary = { Unreadable: error.message };
  }
  await put(store, storedConfigurationKey(store.execution), JSON.stringify(summary));
  return 'Unreadable' in summary ? 'unreadable' : summary.Configuration === null ? 'none' : 'recorded';
}

/**
 * The configuration CheckRecoveryPoint kept for this execution, or undefined when the export has none.
 * Refused (PoolConfigurationItemError) when the item is unreadable, or when nothing was kept.
 */
export async function readStoredConfiguration(store: ConfigurationStore, what: string): Promise<unknown> {
  const text = await get(store, storedConfigurationKey(store.execution));
  if (text === undefined)
    throw new PoolConfigurationItemError(
      `The configuration item of ${what} was not kept by CheckRecoveryPoint ` +
        `(s3://${store.bucket}/${storedConfigurationKey(store.execution)} is missing): start the restore again`,
    );
  const summary = JSON.parse(text) as { Configuration?: unknown; Unreadable?: unknown };
  if (typeof summary.Unreadable === 'string') throw new PoolConfigurationItemError(summary.Unreadable);
  return summary.Configuration ?? undefined;
}
