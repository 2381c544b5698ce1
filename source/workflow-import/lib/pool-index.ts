// SPDX-License-Identifier: Apache-2.0
/**
 * What the new user pool holds, listed once and kept as chunk objects in the solution's import bucket
 * (`restore-work/<NewUserPoolId>/<execution>/<part>/<n>.json`), so that a step that runs over several
 * invocations needs only a small cursor in its state.
 *
 * - Users: `[Username, sub, enabled, ...keys]`, where the keys are keyed hashes (HMAC-SHA256) of what
 *   the user signs in with (`h:` prefix) and, for the reconciliation, one of the user's canonical
 *   attribute set (`a:` prefix, user-contents.ts) and, for the repair plan, one of each attribute
 *   (`p:` prefix); no value is written in clear. The key is
 *   random, made for each listing when it starts and kept in one object beside it (`<part>.key`): a
 *   plain hash of an e-mail address or phone number can be reversed by hashing guesses, a keyed one
 *   cannot be without that object, which ends with the execution's work objects.
 * - Groups: the group names listed, `[groupName, Username]` for every member and, for the
 *   reconciliation's comparison, `[groupName, description, precedence, roleArn]` of every group listed
 *   (`null` for what the group does not have; absent in chunks of an earlier version).
 *
 * A backed-up user (or membership) is matched by its pseudoUsername against the sign-in identity of
 * the new pool's users, as the pool defines it, and against nothing else: the Username in a pool
 * without username attributes; the value of each username attribute (`email`, `phone_number`) in a
 * pool whose users sign in with them (Cognito gives restored users new Usernames there). An e-mail
 * address or phone number that is not a sign-in identity is not unique in a pool: matching it would
 * take one user for another (a backed-up user missing from the pool counted as present, her sub
 * mapped to somebody else's account).
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  DescribeUserPoolCommand,
  ListGroupsCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { RateLimitedCognito } from '../../utils/cognito';
import { pagedExportStreams, type StreamCursor } from '../../utils/page-streams';
import { SUB_PREFIXES, subPrefixFilter } from '../../utils/sub-partitions';
import type { TimeBudget } from '../../utils/time-budget';
import { attributeHashesOf, attributesKeyOf, canonicalAttributes, type Attributes } from './user-contents';

export const WORK_PREFIX = 'restore-work/';
/** Attributes a pool may use as username attributes; their values identify restored users. */
const SIGN_IN_ATTRIBUTES: readonly string[] = ['email', 'phone_number'];
const LIST_LIMIT = 60;
/**
 * Users per chunk object of a listing: about 4 MB of rows with the hash of each attribute, so that a
 * listing of 100,000 users in one invocation is not one object of 35 MB, read and written whole.
 */
export const LISTING_CHUNK_ROWS = 10_000;

export interface PoolUser {
  username: string;
  sub: string;
  enabled: boolean;
  /** The keyed hash of the user's canonical attributes; absent when the listing did not hash them. */
  attributesKey?: string;
  /** One keyed hash per attribute (`attributeHashesOf`); absent when the listing did not hash each. */
  attributeHashes?: string;
  /** A user of an external identity provider (`EXTERNAL_PROVIDER`): never backed up, by design. */
  external?: true;
}

export interface S3Work {
  s3: S3Client;
  bucket: string;
}

const KEYED = 'h:';
/** The row key of a user's per-attribute hashes. */
const EACH = 'p:';
/** The row key that marks a federated user (no value: the status says it). */
const EXTERNAL = 'x:external';

/** The keyed hash under which a listing stores a sign-in identity, and under which it is looked up. */
export const keyedKeyOf = (secret: Buffer, value: string): string =>
  `${KEYED}${createHmac('sha256', secret).update(`i\u0000${value}`).digest('base64url').slice(0, 22)}`;

/** The object that holds the hash key of the listing under `prefix` (outside the chunks' prefix). */
export const hashKeyObject = (prefix: string): string => `${prefix.replace(/\/$/, '')}.key`;

/** `restore-work/<pool>/<execution name>/<part>/`: one place per execution and purpose. */
export function workPrefix(userPoolId: string, executionName: string, part: string): string {
  return `${WORK_PREFIX}${userPoolId}/${executionName}/${part}/`;
}

export const chunkKey = (prefix: string, index: number): string =>
  `${prefix}${String(index).padStart(6, '0')}.json`;

export async function putChunk(work: S3Work, key: string, body: unknown): Promise<void> {
  await work.s3.send(
    new PutObjectCommand({
      Bucket: work.bucket,
      Key: key,
      Body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

/** The keys under `prefix`, in name order. */
export async function listKeys(work: S3Work, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await work.s3.send(
      new ListObjectsV2Command({
        Bucket: work.bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

export async function getText(work: S3Work, key: string): Promise<string> {
  const object = await work.s3.send(new GetObjectCommand({ Bucket: work.bucket, Key: key }));
  return (await object.Body?.transformToString('utf8')) ?? '';
}

/** Reads the chunks `0 .. count-1` under `prefix` (only those: a later run's leftovers are ignored). */
async function readChunks<T>(work: S3Work, prefix: string, count: number): Promise<T[]> {
  const out: T[] = [];
  for (let index = 0; index < count; index += 1) {
    out.push(JSON.parse(await getText(work, chunkKey(prefix, index))) as T);
  }
  return out;
}

/** A new key for the listing under `prefix`, stored before any chunk that uses it. */
async function newHashKey(work: S3Work, prefix: string): Promise<Buffer> {
  const secret = randomBytes(32);
  await putChunk(work, hashKeyObject(prefix), secret.toString('base64'));
  return secret;
}

async function readHashKey(work: S3Work, prefix: string): Promise<Buffer> {
  const secret = Buffer.from(await getText(work, hashKeyObject(prefix)), 'base64');
  if (secret.length !== 32) throw new Error(`The hash key of the listing ${prefix} is missing or damaged`);
  return secret;
}

type UserRow = [string, string, boolean, ...string[]];

/**
 * What a user of the new pool signs in with: its Username in a pool without username attributes,
 * else the value of each username attribute it has.
 */
export function signInIdentities(user: UserType, usernameAttributes: readonly string[]): string[] {
  if (usernameAttributes.length === 0) return user.Username ? [user.Username] : [];
  return (user.Attributes ?? [])
    .filter((attribute) => attribute.Name !== undefined && usernameAttributes.includes(attribute.Name))
    .map((attribute) => attribute.Value ?? '')
    .filter((value) => value !== '');
}

function userRow(
  user: UserType,
  usernameAttributes: readonly string[],
  secret: Buffer,
  contents: ListingContents | undefined,
): UserRow | undefined {
  if (!user.Username) return undefined;
  const sub = (user.Attributes ?? []).find((attribute) => attribute.Name === 'sub')?.Value ?? '';
  const keys = signInIdentities(user, usernameAttributes).map((identity) => keyedKeyOf(secret, identity));
  if (contents !== undefined) {
    const canonical = canonicalAttributes(user.Attributes, contents.ignore);
    keys.push(attributesKeyOf(secret, canonical));
    if (contents.each === true) keys.push(`${EACH}${attributeHashesOf(secret, canonical)}`);
  }
  if (user.UserStatus === 'EXTERNAL_PROVIDER') keys.push(EXTERNAL);
  return [user.Username, sub, user.Enabled !== false, ...keys];
}

export interface UsersCursor {
  /**
   * The `sub` partitions not listed to their end, each with the ListUsers token it resumes from
   * (null: from its start). Absent: every partition, none started.
   */
  Partitions?: [prefix: string, token: string | null][];
  /** Chunks written so far. */
  Chunks: number;
  Done: boolean;
  /**
   * The new pool's username attributes (empty: users sign in with their Username), read when the
   * listing starts. A cursor without it was written by an earlier version (one ListUsers chain, rows
   * with other keys): the listing starts again.
   */
  UsernameAttributes?: string[];
  /**
   * The rows carry the hash of each user's attributes (the reconciliation's listing). A listing that
   * asks for them from a cursor without it (an earlier version's) starts again.
   */
  Contents?: true;
  /** The rows carry one hash per attribute too (the repair's listing); the same rule. */
  Each?: true;
}

/** What a listing hashes of each user's attributes, these names aside: the set, and each one (`each`). */
export interface ListingContents {
  ignore: ReadonlySet<string>;
  each?: true;
}

export const newUsersCursor = (): UsersCursor => ({ Chunks: 0, Done: false });

/** The pool's username attributes that identify users (`email`, `phone_number`). */
export async function usernameAttributesOf(
  deps: { cognito: RateLimitedCognito; budget: TimeBudget },
  userPoolId: string,
): Promise<string[]> {
  const described = await deps.cognito.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }), {
    deadline: deps.budget.deadline(),
  });
  return (described.UserPool?.UsernameAttributes ?? []).filter((name) => SIGN_IN_ATTRIBUTES.includes(name));
}

/**
 * Lists the pool's users from the cursor while the budget allows, the 16 `sub` partitions at once
 * through the invocation's limiter (at `CognitoTPS` pages of 60 users a second, where one chain of
 * pages would wait for each round trip), and writes what it listed as chunks of up to `LISTING_CHUNK_ROWS` rows. A partition's token
 * advances only past a page whose rows are in the chunk; a retried invocation starts again from the
 * same cursor and writes the same chunk number.
 */
export async function listUsersStep(
  deps: {
    cognito: RateLimitedCognito;
    work: S3Work;
    budget: TimeBudget;
    /** Rows per chunk object (default LISTING_CHUNK_ROWS). */
    chunkRows?: number;
  },
  userPoolId: string,
  prefix: string,
  start: UsersCursor,
  /** Hash each user's attributes, these names aside (the reconciliation's listing). */
  contents?: ListingContents,
): Promise<UsersCursor> {
  const cursor: UsersCursor =
    start.UsernameAttributes === undefined ||
    (contents !== undefined && start.Contents !== true) ||
    (contents?.each === true && start.Each !== true)
      ? {
          ...newUsersCursor(),
          UsernameAttributes: await usernameAttributesOf(deps, userPoolId),
          ...(contents ? { Contents: true as const } : {}),
          ...(contents?.each === true ? { Each: true as const } : {}),
        }
      : start;
  const usernameAttributes = cursor.UsernameAttributes ?? [];
  if (cursor.Done) return cursor;
  // A retried first step makes a new key: no chunk used the old one yet.
  const secret =
    cursor.Chunks === 0 ? await newHashKey(deps.work, prefix) : await readHashKey(deps.work, prefix);
  const rows: UserRow[] = [];
  const chunkRows = deps.chunkRows ?? LISTING_CHUNK_ROWS;
  let chunks = cursor.Chunks;
  const streams: StreamCursor[] = (cursor.Partitions ?? SUB_PREFIXES.map((key) => [key, null] as const)).map(
    ([key, token]) => (token === null ? { key } : { key, token }),
  );
  const outcome = await pagedExportStreams<UserRow>({
    streams,
    budget: deps.budget,
    listPage: async (key, token) => {
      const page = await deps.cognito.send(
        new ListUsersCommand({
          UserPoolId: userPoolId,
          Limit: LIST_LIMIT,
          Filter: subPrefixFilter(key),
          PaginationToken: token,
        }),
        { deadline: deps.budget.deadline() },
      );
      const records = (page.Users ?? [])
        .map((user) => userRow(user, usernameAttributes, secret, contents))
        .filter((row): row is UserRow => row !== undefined);
      return { records, nextToken: page.PaginationToken };
    },
    writeRecords: async (records) => {
      rows.push(...records);
      if (rows.length < chunkRows) return;
      // A chunk of its own before the rows outgrow one object: a retried invocation starts from the
      // same cursor and writes the same chunk numbers again, and the index reads only the chunks the
      // cursor counts.
      const full = rows.splice(0);
      const index = chunks;
      chunks += 1;
      await putChunk(deps.work, chunkKey(prefix, index), full);
    },
  });
  if (rows.length > 0 || chunks === cursor.Chunks) {
    await putChunk(deps.work, chunkKey(prefix, chunks), rows);
    chunks += 1;
  }
  const done = outcome.remaining.length === 0;
  return {
    ...(done ? {} : { Partitions: outcome.remaining.map(({ key, token }) => [key, token ?? null]) }),
    Chunks: chunks,
    Done: done,
    UsernameAttributes: usernameAttributes,
    ...(cursor.Contents ? { Contents: true as const } : {}),
    ...(cursor.Each ? { Each: true as const } : {}),
  };
}

export interface GroupsCursor {
  /** ListGroups token of the page being worked on; absent for the first page. */
  PageToken?: string;
  /**
   * The groups of that page not listed to their end, each with the ListUsersInGroup token it
   * resumes from (null: from its start). Absent: the page is listed again and its groups taken
   * from `Offset` on.
   */
  Pending?: [groupName: string, membersToken: string | null][];
  /** With `Pending`: the ListGroups token of the page after it; absent on the last page. */
  NextPageToken?: string;
  /** Without `Pending`: the first group of the page still to list (a cursor of 2.0 also sets `MembersToken`). */
  Offset: number;
  MembersToken?: string;
  Chunks: number;
  Done: boolean;
}

export const newGroupsCursor = (): GroupsCursor => ({ Offset: 0, Chunks: 0, Done: false });

/** A group of the new pool as ListGroups returns it: `[name, description, precedence, roleArn]`. */
export type GroupDetails = [string, string | null, number | null, string | null];

interface GroupsChunk {
  groups: string[];
  members: [string, string][];
  details?: GroupDetails[];
}

interface GroupsPage {
  streams: StreamCursor[];
  nextPageToken?: string;
}

/**
 * Lists the pool's groups and their members from the cursor while the budget allows (one chunk).
 * The members of a page's groups are listed several groups at once (each group's pages one after
 * the other: ListUsersInGroup cannot split a group), and the next ListGroups page is listed while
 * they are. A group is named in the chunk when its listing starts; one listed again after an
 * interruption is named again, and its members too, which the index's sets absorb.
 */
export async function listGroupsStep(
  deps: { cognito: RateLimitedCognito; work: S3Work; budget: TimeBudget },
  userPoolId: string,
  prefix: string,
  cursor: GroupsCursor,
): Promise<GroupsCursor> {
  if (cursor.Done) return cursor;
  const { budget } = deps;
  const chunk: GroupsChunk = { groups: [], members: [], details: [] };
  const listPage = async (token: string | undefined): Promise<GroupsPage> => {
    const page = await deps.cognito.send(
      new ListGroupsCommand({ UserPoolId: userPoolId, Limit: LIST_LIMIT, NextToken: token }),
      { deadline: budget.deadline() },
    );
    const names = (page.Groups ?? [])
      .map((group) => group.GroupName)
      .filter((name): name is string => !!name);
    for (const group of page.Groups ?? []) {
      if (group.GroupName)
        chunk.details?.push([
          group.GroupName,
          group.Description ?? null,
          group.Precedence ?? null,
          group.RoleArn ?? null,
        ]);
    }
    return { streams: names.map((key) => ({ key })), nextPageToken: page.NextToken || undefined };
  };
  const listMembers = async (groupName: string, token: string | undefined) => {
    const page = await deps.cognito.send(
      new ListUsersInGroupCommand({
        UserPoolId: userPoolId,
        GroupName: groupName,
        Limit: LIST_LIMIT,
        NextToken: token,
      }),
      { deadline: budget.deadline() },
    );
    const usernames = (page.Users ?? [])
      .map((user) => user.Username)
      .filter((name): name is string => !!name);
    return { records: usernames, nextToken: page.NextToken };
  };

  let pageToken = cursor.PageToken;
  let page: GroupsPage;
  if (cursor.Pending) {
    page = {
      streams: cursor.Pending.map(([key, token]) => (token === null ? { key } : { key, token })),
      ...(cursor.NextPageToken ? { nextPageToken: cursor.NextPageToken } : {}),
    };
  } else {
    const listed = await listPage(pageToken);
    const streams = listed.streams.slice(cursor.Offset);
    if (cursor.MembersToken !== undefined && streams[0])
      streams[0] = { ...streams[0], token: cursor.MembersToken };
    page = { ...listed, streams };
  }

  let state: Omit<GroupsCursor, 'Chunks'>;
  for (;;) {
    for (const stream of page.streams) if (stream.token === undefined) chunk.groups.push(stream.key);
    // The next page is listed while this one's members are (both settle before anything is decided);
    // a page whose listing ahead failed is listed again by the next step.
    const [streamed, prefetched] = await Promise.allSettled([
      pagedExportStreams<string>({
        streams: page.streams,
        budget,
        listPage: listMembers,
        writeRecords: (usernames, groupName) => {
          for (const username of usernames) chunk.members.push([groupName, username]);
          return Promise.resolve();
        },
      }),
      page.nextPageToken !== undefined && budget.hasTime() ? listPage(page.nextPageToken) : undefined,
    ]);
    if (streamed.status === 'rejected') throw streamed.reason;
    const outcome = streamed.value;
    const next = prefetched.status === 'fulfilled' ? prefetched.value : undefined;
    if (outcome.remaining.length > 0) {
      state = pendingCursor(pageToken, outcome.remaining, page.nextPageToken);
      break;
    }
    if (page.nextPageToken === undefined) {
      state = { ...(pageToken ? { PageToken: pageToken } : {}), Offset: 0, Done: true };
      break;
    }
    pageToken = page.nextPageToken;
    if (next === undefined) {
      // The prefetch failed or was not made: the next step lists the page itself.
      state = { PageToken: pageToken, Offset: 0, Done: false };
      break;
    }
    if (!budget.hasTime()) {
      state = pendingCursor(pageToken, next.streams, next.nextPageToken);
      break;
    }
    page = next;
  }
  await putChunk(deps.work, chunkKey(prefix, cursor.Chunks), chunk);
  return { ...state, Chunks: cursor.Chunks + 1 };
}

function pendingCursor(
  pageToken: string | undefined,
  streams: readonly StreamCursor[],
  nextPageToken: string | undefined,
): Omit<GroupsCursor, 'Chunks'> {
  return {
    ...(pageToken ? { PageToken: pageToken } : {}),
    Pending: streams.map(({ key, token }) => [key, token ?? null]),
    ...(nextPageToken ? { NextPageToken: nextPageToken } : {}),
    Offset: 0,
    Done: false,
  };
}

/** The listed pool in memory: users by sign-in identity, groups and memberships. */
export class PoolIndex {
  private readonly byIdentity = new Map<string, PoolUser>();
  /** Identities that more than one user of the pool holds: they designate nobody. */
  private readonly ambiguous = new Set<string>();
  /** The key of the listing's hashes (absent: nothing was listed, so nobody is found). */
  private secret: Buffer | undefined;
  readonly groups = new Set<string>();
  /** What ListGroups said of each group (empty for a listing of an earlier version). */
  readonly groupDetails = new Map<string, GroupDetails>();
  private readonly memberships = new Set<string>();
  /** Every user listed, in listing order (the repair plan's "added since" needs those nobody matched). */
  readonly listed: PoolUser[] = [];
  users = 0;

  addUser(row: UserRow): void {
    const [username, sub, enabled, ...keys] = row;
    const user: PoolUser = { username, sub, enabled };
    const attributesKey = keys.find((key) => key.startsWith('a:'));
    if (attributesKey !== undefined) user.attributesKey = attributesKey;
    const each = keys.find((key) => key.startsWith(EACH));
    if (each !== undefined) user.attributeHashes = each.slice(EACH.length);
    if (keys.includes(EXTERNAL)) user.external = true;
    this.users += 1;
    this.listed.push(user);
    for (const key of keys) {
      if (!key.startsWith(KEYED)) continue;
      const holder = this.byIdentity.get(key);
      if (holder === undefined) this.byIdentity.set(key, user);
      else if (holder.username !== username) this.ambiguous.add(key);
    }
  }

  addGroups(chunk: GroupsChunk): void {
    for (const name of chunk.groups) this.groups.add(name);
    for (const details of chunk.details ?? []) this.groupDetails.set(details[0], details);
    for (const [group, username] of chunk.members) this.memberships.add(`${group}\u0000${username}`);
  }

  /** The new pool's user who signs in with a backed-up pseudoUsername, if exactly one does. */
  find(pseudoUsername: string): PoolUser | undefined {
    if (this.secret === undefined) return undefined;
    const key = keyedKeyOf(this.secret, pseudoUsername);
    return this.ambiguous.has(key) ? undefined : this.byIdentity.get(key);
  }

  /** The keyed hash of a canonical attribute set under this listing's key (undefined: nothing listed). */
  attributesKey(attributes: Attributes): string | undefined {
    return this.secret === undefined ? undefined : attributesKeyOf(this.secret, attributes);
  }

  isMember(groupName: string, username: string): boolean {
    return this.memberships.has(`${groupName}\u0000${username}`);
  }

  /** Every membership listed, as `[groupName, Username]`. */
  *membershipPairs(): Generator<[string, string]> {
    for (const pair of this.memberships) {
      const [group = '', username = ''] = pair.split('\u0000');
      yield [group, username];
    }
  }

  /** Every user chunk under `prefix` (a listing whose chunk count the caller does not carry). */
  static async loadUsers(work: S3Work, prefix: string): Promise<PoolIndex> {
    const index = new PoolIndex();
    const keys = await listKeys(work, prefix);
    if (keys.length > 0) index.secret = await readHashKey(work, prefix);
    for (const key of keys) {
      for (const row of JSON.parse(await getText(work, key)) as UserRow[]) index.addUser(row);
    }
    return index;
  }

  static async load(
    work: S3Work,
    users: { prefix: string; chunks: number },
    groups?: { prefix: string; chunks: number },
  ): Promise<PoolIndex> {
    const index = new PoolIndex();
    if (users.chunks > 0) index.secret = await readHashKey(work, users.prefix);
    for (const rows of await readChunks<UserRow[]>(work, users.prefix, users.chunks))
      for (const row of rows) index.addUser(row);
    if (groups) {
      for (const chunk of await readChunks<GroupsChunk>(work, groups.prefix, groups.chunks))
        index.addGroups(chunk);
    }
    return index;
  }
}
