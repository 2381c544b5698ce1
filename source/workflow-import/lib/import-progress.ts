// SPDX-License-Identifier: Apache-2.0
/**
 * What the import has done so far in this execution, for the memberships and disabled flags applied
 * beside it (`Parallel: UpdateNewUsers`, after the table scan, while the import branch still runs).
 *
 * Objects in the solution's import bucket, under `import-progress/<NewUserPoolId>/<execution>/` (the
 * bucket's `import-` lifecycle rule expires them with the import files; nothing else reads them):
 * - `ready-<name>.json`, `{"Subs": [...]}`: users that exist in the new pool. ImportNewUsers writes one
 *   for each import job of the execution once it has *succeeded* (`ready-<job id>.json`), and one for
 *   the users it created with AdminCreateUser, after they were created (`ready-admin-create-<digest>.json`).
 *   Old `sub`s only, as in the job manifests: no attribute value.
 * - `ended.json`: the import branch has ended (its ImportNewUsers found the queue drained and started no
 *   job). It is written before that invocation returns, and nothing after it creates a user in the
 *   Parallel state.
 *
 * The readiness rule: an update (a membership, or a disabled flag) is applied beside the import only
 * when the `sub` of its user is in a `ready-` object, so no Cognito call is spent on a user that may not
 * exist yet; any other update is given back. The groups exist: the branch runs after the table scan,
 * which creates them. Once `ended.json` exists, the branch stops and the UpdateNewUsers loop after the
 * Parallel state applies whatever is left, as it always did. Writing or reading these objects only
 * changes how early an update is applied, never whether: a write that fails leaves the users to that
 * loop, and a read that fails ends the branch.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { memberSub } from './member-names';
import type { BackupMembershipItem, BackupUserItem } from './types';

type UpdateItem = BackupUserItem & BackupMembershipItem;
import { userSub } from './user-csv';

export const PROGRESS_PREFIX = 'import-progress/';
/**
 * The most `ready-` bytes a reader takes (about 200,000 users): ImportUpdateNewUsersLambda has 128 MB. Beyond it
 * the reader fails, and the branch beside the import leaves the updates to the loop after the import.
 */
export const MAX_READY_BYTES = 8_000_000;
const ENDED = 'ended.json';
const READY = 'ready-';

export const progressPrefix = (userPoolId: string, execution: string): string =>
  `${PROGRESS_PREFIX}${userPoolId}/${execution}/`;

/** What the branch beside the import knows: the users that exist, and whether the import has ended. */
export interface ImportProgressView {
  ended: boolean;
  ready: ReadonlySet<string>;
}

/** A view with the `ready-` objects it was built from. */
export interface ImportProgressReading extends ImportProgressView {
  read: ReadonlySet<string>;
}

/**
 * The old `sub` of the user an update applies to: the user item's `sub` attribute for a disabled flag,
 * the `GROUP_MEMBER-<sub>` type for a membership; undefined when the item names none.
 */
export function updateSubject(item: UpdateItem, typeUser: string): string | undefined {
  if (item.type === typeUser) return userSub(item);
  return memberSub({ type: item.type });
}

/** The readiness rule (see above). */
export function isReady(item: UpdateItem, typeUser: string, view: ImportProgressView): boolean {
  const sub = updateSubject(item, typeUser);
  return sub !== undefined && view.ready.has(sub);
}

export interface ProgressStore {
  s3: S3Client;
  bucket: string;
  userPoolId: string;
  execution: string;
}

/** A name for a set of users that is the same whenever the same users are recorded again. */
export const subsDigest = (subs: readonly string[]): string =>
  createHash('sha256')
    .update([...subs].sort().join('\n'))
    .digest('hex')
    .slice(0, 32);

/** Records users that exist in the new pool; `name` makes a retried writer rewrite its own object. */
export async function writeReady(store: ProgressStore, name: string, subs: readonly string[]): Promise<void> {
  if (subs.length === 0) return;
  await store.s3.send(
    new PutObjectCommand({
      Bucket: store.bucket,
      Key: `${progressPrefix(store.userPoolId, store.execution)}${READY}${name}.json`,
      ContentType: 'application/json',
      Body: JSON.stringify({ Subs: subs }),
    }),
  );
}

/** Records that the import branch has ended. */
export async function writeImportEnded(store: ProgressStore): Promise<void> {
  await store.s3.send(
    new PutObjectCommand({
      Bucket: store.bucket,
      Key: `${progressPrefix(store.userPoolId, store.execution)}${ENDED}`,
      ContentType: 'application/json',
      Body: '{}',
    }),
  );
}

/**
 * Reads the execution's progress objects. `ready-` objects never change their users: a reader that
 * refreshes passes the view it had and reads only the objects it has not read yet.
 */
export async function readImportProgress(
  store: ProgressStore,
  previous?: ImportProgressReading,
): Promise<ImportProgressReading> {
  const prefix = progressPrefix(store.userPoolId, store.execution);
  const keys: string[] = [];
  let readyBytes = 0;
  let token: string | undefined;
  do {
    const page = await store.s3.send(
      new ListObjectsV2Command({
        Bucket: store.bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of page?.Contents ?? []) {
      if (!object.Key) continue;
      keys.push(object.Key);
      if (object.Key.slice(prefix.length).startsWith(READY)) readyBytes += object.Size ?? 0;
    }
    token = page?.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  if (readyBytes > MAX_READY_BYTES)
    throw new Error(`The import progress holds ${readyBytes} bytes of users, more than one reader takes`);
  const read = new Set(previous?.read);
  const ready = new Set(previous?.ready);
  let ended = false;
  for (const key of keys) {
    const name = key.slice(prefix.length);
    if (name === ENDED) ended = true;
    if (!name.startsWith(READY) || read.has(key)) continue;
    const object = await store.s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
    const value = JSON.parse((await object?.Body?.transformToString('utf-8')) ?? '') as { Subs?: unknown };
    if (!Array.isArray(value.Subs) || !value.Subs.every((sub) => typeof sub === 'string'))
      throw new Error(`The import progress object ${key} is not readable`);
    for (const sub of value.Subs as string[]) ready.add(sub);
    read.add(key);
  }
  return { ended, ready, read };
}
