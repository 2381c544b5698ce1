// SPDX-License-Identifier: Apache-2.0
/**
 * `--restore-export DIR`: checks a real snapshot offline. DIR is a table export as
 * `aws s3 cp --recursive` downloads it (a snapshot's `snapshots/<SnapshotId>/` or any directory that
 * holds one `AWSDynamoDB/<ExportId>/`). The export is read and verified with the product's reader
 * (manifests against their checksums, data files against their MD5 and counts), its installation's
 * item types are read from its own items, and it is put in the local snapshot bucket as a snapshot;
 * the real ImportWorkflow then restores it (`Snapshot`) into a new pool created from the export's
 * pool configuration item (`id=user-pool-configuration`), or from the seed's `userPool` for a backup
 * without one (v1.0.10 records none). The restored pool is compared with the export's users, groups
 * and memberships, and with the seed's users when a seed is given.
 */
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  type ExportObjects,
  openTableExport,
  readTableExport,
  SUMMARY_FILE,
  TableExportError,
} from '../../utils/table-export';
import { decodePoolConfiguration, POOL_CONFIGURATION_ID } from '../../utils/pool-configuration-item';
import type { SeedFile } from './seed';
import type { PoolContent, SnapshotGroup, SnapshotUser } from './parity';
import type { RestoreExportPlan } from './local-run';

/** The directory holds no usable export (the message says why). */
export class RestoreExportError extends Error {
  override readonly name = 'RestoreExportError';
}

/** Every file under `root`, as keys relative to it with `/` separators. */
function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) out.push(relative(root, path).split(sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

/** The export's objects read from a directory, keys relative to `root`. */
export function directoryExportObjects(root: string): ExportObjects {
  return {
    where: root,
    read: (key) => createReadStream(join(root, ...key.split('/'))) as AsyncIterable<Uint8Array>,
    list: (prefix) => Promise.resolve(filesUnder(root).filter((key) => key.startsWith(prefix))),
  };
}

/**
 * The export in `given`: the one `AWSDynamoDB/<ExportId>/manifest-summary.json` under it (or `given`
 * is that export's own directory). Returns the root the keys are relative to and the export's directory key.
 */
export function locateExport(given: string): { root: string; directory: string } {
  const stat = statSync(given, { throwIfNoEntry: false });
  if (stat === undefined) throw new RestoreExportError(`--restore-export ${given}: no such directory`);
  if (!stat.isDirectory()) throw new RestoreExportError(`--restore-export ${given}: not a directory`);
  const summaries = filesUnder(given).filter((key) =>
    new RegExp(`(^|/)AWSDynamoDB/[^/]+/${SUMMARY_FILE.replace('.', '\\.')}$`).test(key),
  );
  if (summaries.length === 0) {
    // The export's own directory (…/AWSDynamoDB/<ExportId>) given.
    const own = join(given, SUMMARY_FILE);
    const parent = dirname(given);
    if (statSync(own, { throwIfNoEntry: false })?.isFile() === true && parent.endsWith('AWSDynamoDB')) {
      const exportId = relative(parent, given);
      return { root: dirname(parent), directory: `AWSDynamoDB/${exportId}/` };
    }
    throw new RestoreExportError(
      `--restore-export ${given}: no table export in it (no AWSDynamoDB/<ExportId>/${SUMMARY_FILE}); ` +
        'download a snapshot with: aws s3 cp --recursive s3://<SnapshotBucket>/snapshots/<SnapshotId>/ <dir>',
    );
  }
  if (summaries.length > 1) {
    throw new RestoreExportError(
      `--restore-export ${given}: ${summaries.length} exports in it (${summaries
        .map((key) => key.slice(0, -SUMMARY_FILE.length))
        .join(', ')}); give the directory of one`,
    );
  }
  const summary = summaries[0] ?? '';
  const start = summary.lastIndexOf('AWSDynamoDB/');
  return {
    root: join(
      given,
      ...summary
        .slice(0, start)
        .split('/')
        .filter((part) => part !== ''),
    ),
    directory: summary.slice(start, -SUMMARY_FILE.length),
  };
}

/** The item types of the installation that wrote the backup (`USER-<id>`, `GROUP-<id>`, `SYNC_TIMESTAMP-<id>`). */
export interface ItemTypes {
  TYPE_USER: string;
  TYPE_GROUP: string;
  TYPE_TIMESTAMP: string;
}

/**
 * The item types, read from the items: the `latest-export-timestamp` item's type is
 * `SYNC_TIMESTAMP-<SolutionInstanceUUID>` (every version writes it), else the user items' `USER-<id>`.
 */
export function itemTypesOf(items: readonly Record<string, unknown>[]): ItemTypes {
  const marker = items.find((item) => item.id === 'latest-export-timestamp');
  let instance =
    typeof marker?.type === 'string' ? /^SYNC_TIMESTAMP-(.+)$/.exec(marker.type)?.[1] : undefined;
  if (instance === undefined) {
    const user = items.find((item) => typeof item.type === 'string' && item.type.startsWith('USER-'));
    instance = typeof user?.type === 'string' ? user.type.slice('USER-'.length) : undefined;
  }
  if (instance === undefined)
    throw new RestoreExportError(
      'The export holds neither a latest-export-timestamp item nor a user item: it is not a backup table of this solution',
    );
  return {
    TYPE_USER: `USER-${instance}`,
    TYPE_GROUP: `GROUP-${instance}`,
    TYPE_TIMESTAMP: `SYNC_TIMESTAMP-${instance}`,
  };
}

/** Every item of the export, verified file by file. */
export async function exportItems(
  objects: ExportObjects,
  directory: string,
): Promise<{ items: Record<string, unknown>[]; exportTime: string; exportId: string }> {
  const table = await openTableExport(objects, directory);
  const items: Record<string, unknown>[] = [];
  for await (const page of readTableExport(objects, table, undefined, 1000)) items.push(...page.items);
  return { items, exportTime: table.summary.exportTime, exportId: table.exportId };
}

/**
 * The recorded pool configuration of the export, read by the product's reader of the item (parts and
 * digest checked) from the export's items; undefined when the backup has none.
 */
export async function recordedConfiguration(
  items: readonly Record<string, unknown>[],
  typeTimestamp: string,
): Promise<unknown> {
  const byId = new Map(
    items.filter((item) => item.type === typeTimestamp).map((item) => [String(item.id), item]),
  );
  if (!byId.has(POOL_CONFIGURATION_ID)) return undefined;
  return decodePoolConfiguration((id) => Promise.resolve(byId.get(id)));
}

/** The seed's `userPool` terms of a recorded configuration (what the local pool is created with). */
export function poolFromConfiguration(configuration: unknown): SeedFile['userPool'] {
  const pool = (configuration as { UserPool?: Record<string, unknown> } | undefined)?.UserPool ?? {};
  const schema = (pool.Schema ?? []) as {
    Name?: string;
    AttributeDataType?: string;
    Mutable?: boolean;
  }[];
  // The seed's terms: custom attributes by name (the local pool makes them mutable strings).
  const customAttributes = schema
    .filter((attribute) => attribute.Name?.startsWith('custom:') === true)
    .map((attribute) => (attribute.Name ?? '').slice('custom:'.length));
  const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
  const mfa = (configuration as { Mfa?: { MfaConfiguration?: string } }).Mfa?.MfaConfiguration;
  return {
    usernameAttributes: list(pool.UsernameAttributes) as SeedFile['userPool']['usernameAttributes'],
    customAttributes,
    mfaConfiguration: (mfa ?? pool.MfaConfiguration ?? 'OFF') as SeedFile['userPool']['mfaConfiguration'],
    autoVerifiedAttributes: list(pool.AutoVerifiedAttributes) as SeedFile['userPool']['usernameAttributes'],
    ...(pool.AliasAttributes !== undefined ? { aliasAttributes: list(pool.AliasAttributes) } : {}),
  } as SeedFile['userPool'];
}

/** The pool the export's items describe, for the parity check (members by their Cognito Username). */
export function poolOfItems(items: readonly Record<string, unknown>[], types: ItemTypes): PoolContent {
  const users: SnapshotUser[] = items
    .filter((item) => item.type === types.TYPE_USER)
    .map((item) => {
      const attributes: Record<string, string> = {};
      for (const attribute of (item.userAttributes ?? []) as { Name?: string; Value?: string }[]) {
        if (attribute.Name !== undefined && attribute.Value !== undefined)
          attributes[attribute.Name] = attribute.Value;
      }
      return {
        username: String(item.username),
        sub: attributes.sub ?? '',
        enabled: item.userEnabled !== false,
        status: typeof item.userStatus === 'string' ? item.userStatus : 'CONFIRMED',
        attributes,
        groups: [],
      };
    });
  const groups = new Map<string, SnapshotGroup>();
  for (const item of items.filter((entry) => entry.type === types.TYPE_GROUP)) {
    const name = String(item.groupName);
    groups.set(name, {
      name,
      ...(typeof item.groupDescription === 'string' ? { description: item.groupDescription } : {}),
      // A group without precedence is written with -1 (the import restores it without one).
      ...(typeof item.groupPrecedence === 'number' && item.groupPrecedence >= 0
        ? { precedence: item.groupPrecedence }
        : {}),
      ...(typeof item.groupRoleArn === 'string' ? { roleArn: item.groupRoleArn } : {}),
      members: [],
    });
  }
  const byName = new Map(users.map((user) => [user.username, user]));
  for (const item of items) {
    if (typeof item.groupUser !== 'string' || typeof item.groupName !== 'string') continue;
    const group = groups.get(item.groupName);
    const user = byName.get(item.groupUser);
    if (group === undefined || user === undefined) continue;
    group.members.push(user.username);
    user.groups.push(group.name);
  }
  return { poolId: 'export', users, groups: [...groups.values()] };
}

/** The pool a seed file describes, for the parity check against its users. */
export function poolOfSeed(seed: SeedFile): PoolContent {
  return {
    poolId: 'seed',
    users: seed.users.map((user) => ({
      username: user.username,
      sub: user.attributes.sub ?? '',
      enabled: user.enabled,
      status: user.status ?? 'CONFIRMED',
      attributes: { ...user.attributes },
      groups: seed.groups.filter((group) => group.members.includes(user.username)).map((group) => group.name),
    })),
    groups: seed.groups.map((group) => ({
      name: group.name,
      ...(group.description !== undefined ? { description: group.description } : {}),
      ...(group.precedence !== undefined ? { precedence: group.precedence } : {}),
      ...(group.roleArn !== undefined ? { roleArn: group.roleArn } : {}),
      members: [...group.members],
    })),
  };
}

/**
 * Everything `--restore-export` needs before the run: the export found and read whole (its checks
 * done), its item types, and the pool to create (recorded configuration, else the seed's).
 */
export async function prepareRestoreExport(
  directoryGiven: string,
  seed: SeedFile | undefined,
): Promise<{ plan: RestoreExportPlan; seed: SeedFile; configurationFrom: 'export' | 'seed' }> {
  const { root, directory } = locateExport(directoryGiven);
  const { items, exportTime } = await exportItems(directoryExportObjects(root), directory);
  const types = itemTypesOf(items);
  const configuration = await recordedConfiguration(items, types.TYPE_TIMESTAMP);
  if (configuration === undefined && seed === undefined) {
    throw new RestoreExportError(
      'The export records no pool configuration (a backup written by v1.0.10 has none): give --seed <file> ' +
        'whose userPool describes the pool (username attributes, custom attributes, MFA)',
    );
  }
  const userPool =
    configuration !== undefined ? poolFromConfiguration(configuration) : (seed as SeedFile).userPool;
  return {
    plan: {
      root,
      directory,
      snapshotId: snapshotIdOf(exportTime),
      types,
      pool: poolOfItems(items, types),
      ...(seed !== undefined ? { seedPool: poolOfSeed(seed) } : {}),
    },
    seed: { userPool, users: [], groups: [] },
    configurationFrom: configuration !== undefined ? 'export' : 'seed',
  };
}

/** Writes the export's files into the snapshot bucket as `snapshots/<SnapshotId>/AWSDynamoDB/<ExportId>/...`. */
export async function uploadAsSnapshot(
  s3: { send: (command: PutObjectCommand) => Promise<unknown> },
  bucket: string,
  root: string,
  directory: string,
  snapshotId: string,
): Promise<number> {
  const keys = filesUnder(root).filter((key) => key.startsWith(directory));
  for (const key of keys) {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `snapshots/${snapshotId}/${key}`,
        Body: readFileSync(join(root, ...key.split('/'))),
      }),
    );
  }
  return keys.length;
}

/** `20261207T223000Z` of an export time (the snapshot naming: the time in UTC to the second). */
export const snapshotIdOf = (exportTime: string): string =>
  new Date(exportTime)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');

export { TableExportError };
