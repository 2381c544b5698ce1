// SPDX-License-Identifier: Apache-2.0
/**
 * The listing of a pool keeps e-mail addresses and phone numbers only as hashes keyed by a random key
 * of the listing: a plain hash of an address can be reversed by hashing guesses.
 */
import { createHash } from 'node:crypto';
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  ListGroupsCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockAws } from '../../test-support/aws-mock';
import { serveBucket } from './support';
import { fakeClock } from '../../test-support/fake-clock';
import { RateLimitedCognito } from '../../utils/cognito';
import { SlidingWindowLimiter } from '../../utils/limiter';
import { TimeBudget } from '../../utils/time-budget';
import { parseAttributeHashes } from '../lib/user-contents';
import {
  hashKeyObject,
  listGroupsStep,
  listUsersStep,
  newGroupsCursor,
  newUsersCursor,
  PoolIndex,
  signInIdentities,
} from '../lib/pool-index';

/** What a plain (unkeyed) hash of a value looks like, as the previous version stored it. */
const plainHashes = (value: string): string[] =>
  ['a', 'i'].map((kind) =>
    createHash('sha256').update(`${kind}\u0000${value}`).digest('base64url').slice(0, 22),
  );

const cognito = mockAws(CognitoIdentityProviderClient);
const s3 = mockAws(S3Client);
const store = new Map<string, string>();
const work = { s3: new S3Client({}), bucket: 'bucket' };

const USERS = [1, 2, 3].map((n) => ({
  Username: `uuid-${n}`,
  Enabled: true,
  Attributes: [
    { Name: 'sub', Value: `sub-${n}` },
    { Name: 'email', Value: `user${n}@example.com` },
    { Name: 'phone_number', Value: `+1415555010${n}` },
  ],
}));

function deps() {
  const clock = fakeClock();
  return {
    cognito: new RateLimitedCognito(
      new CognitoIdentityProviderClient({}),
      new SlidingWindowLimiter(10, clock.now, clock.sleep),
      { now: clock.now, sleep: clock.sleep },
    ),
    work,
    budget: new TimeBudget(undefined, clock.now),
  };
}

beforeEach(() => {
  cognito.reset();
  s3.reset();
  store.clear();
  serveBucket(s3, store);
  cognito.on(ListUsersCommand).resolves({ Users: USERS });
  // Users sign in with their e-mail address or phone number: those are their identities.
  cognito
    .on(DescribeUserPoolCommand)
    .resolves({ UserPool: { UsernameAttributes: ['email', 'phone_number'] } });
});

async function listOnce(prefix: string): Promise<PoolIndex> {
  const cursor = await listUsersStep(deps(), 'pool', prefix, newUsersCursor());
  return PoolIndex.load(work, { prefix, chunks: cursor.Chunks });
}

describe('the listing of the new pool', () => {
  it('writes no address in clear nor as a plain hash, and still finds each user by it', async () => {
    const index = await listOnce('restore-work/pool/run-1/users/');
    const chunk = store.get('restore-work/pool/run-1/users/000000.json') ?? '';
    for (const user of USERS) {
      for (const attribute of user.Attributes.slice(1)) {
        expect(chunk).not.toContain(attribute.Value);
        for (const hash of plainHashes(attribute.Value)) expect(chunk).not.toContain(hash);
        expect(index.find(attribute.Value)?.username).toBe(user.Username);
      }
    }
    expect(index.find('nobody@example.com')).toBeUndefined();
    // The key is random and kept beside the listing, not in its chunks.
    expect(
      Buffer.from(store.get(hashKeyObject('restore-work/pool/run-1/users/')) ?? '', 'base64'),
    ).toHaveLength(32);
  });

  it('keeps one keyed hash per attribute when asked (the repair listing), still no value in clear', async () => {
    const prefix = 'restore-work/pool/run-each/users/';
    const cursor = await listUsersStep(deps(), 'pool', prefix, newUsersCursor(), {
      ignore: new Set(),
      each: true,
    });
    expect(cursor).toMatchObject({ Contents: true, Each: true, Done: true });
    const chunk = store.get(`${prefix}000000.json`) ?? '';
    for (const attribute of USERS.flatMap((user) => user.Attributes.slice(1)))
      expect(chunk).not.toContain(attribute.Value);
    const index = await PoolIndex.load(work, { prefix, chunks: cursor.Chunks });
    const user = index.find('user2@example.com');
    expect([...parseAttributeHashes(user?.attributeHashes ?? '').keys()].sort()).toEqual([
      'email',
      'phone_number',
    ]);
    expect(user?.attributesKey).toMatch(/^a:/);
  });

  it('writes a listing larger than a chunk as several chunks, and the index loads every user of them', async () => {
    const prefix = 'restore-work/pool/run-chunks/users/';
    // Each of the 16 partitions lists the 3 users: 48 rows, 5 a chunk.
    const cursor = await listUsersStep({ ...deps(), chunkRows: 5 }, 'pool', prefix, newUsersCursor());
    // Pages of 3: a chunk is written once it holds 5 or more, so 8 chunks of 6.
    expect(cursor.Chunks).toBe(8);
    const sizes = Array.from(
      { length: cursor.Chunks },
      (_, n) =>
        (JSON.parse(store.get(`${prefix}${String(n).padStart(6, '0')}.json`) ?? '[]') as unknown[]).length,
    );
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(48);
    expect(Math.max(...sizes)).toBe(6);
    const index = await PoolIndex.load(work, { prefix, chunks: cursor.Chunks });
    expect(index.users).toBe(48);
    expect(index.find('user3@example.com')?.username).toBe('uuid-3');
  });

  it('lists again from the start a cursor without the hash of each attribute, when asked for them', async () => {
    const prefix = 'restore-work/pool/run-again/users/';
    const first = await listUsersStep(deps(), 'pool', prefix, newUsersCursor(), { ignore: new Set() });
    expect(first.Each).toBeUndefined();
    cognito.resetHistory();
    const again = await listUsersStep(
      deps(),
      'pool',
      prefix,
      { ...first, Done: false },
      { ignore: new Set(), each: true },
    );
    // One chunk again, from the first: the rows of the first listing had no hash of each attribute.
    expect(again).toMatchObject({ Chunks: 1, Each: true, Done: true });
    expect(cognito.commandCalls(ListUsersCommand).length).toBeGreaterThan(0);
    const index = await PoolIndex.load(work, { prefix, chunks: again.Chunks });
    expect(index.find('user1@example.com')?.attributeHashes).toBeDefined();
  });

  it('hashes the same address differently in two listings (no table of guesses serves twice)', async () => {
    await listOnce('restore-work/pool/run-1/users/');
    await listOnce('restore-work/pool/run-2/users/');
    const row = (run: number) =>
      (JSON.parse(store.get(`restore-work/pool/run-${run}/users/000000.json`) ?? '[]') as string[][])[0]?.[3];
    expect(row(1)).toMatch(/^h:/);
    expect(row(1)).not.toBe(row(2));
  });

  it('refuses a keyed listing whose key is gone rather than calling every user missing', async () => {
    const prefix = 'restore-work/pool/run-3/users/';
    const cursor = await listUsersStep(deps(), 'pool', prefix, newUsersCursor());
    store.delete(hashKeyObject(prefix));
    await expect(PoolIndex.load(work, { prefix, chunks: cursor.Chunks })).rejects.toThrow();
  });
});

describe('the listing of the new pool: the edges', () => {
  it('refuses a key that is damaged (not 32 bytes), naming the listing', async () => {
    const prefix = 'restore-work/pool/run-4/users/';
    const cursor = await listUsersStep(deps(), 'pool', prefix, newUsersCursor());
    store.set(hashKeyObject(prefix), Buffer.alloc(16).toString('base64'));
    await expect(PoolIndex.load(work, { prefix, chunks: cursor.Chunks })).rejects.toThrow(
      `The hash key of the listing ${prefix} is missing or damaged`,
    );
  });

  it('in a pool without username attributes, finds a user by its Username only, and skips entries without one', async () => {
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: {} });
    cognito.on(ListUsersCommand).resolves({ Users: [...USERS, { Enabled: true, Attributes: [] }] });
    const index = await listOnce('restore-work/pool/run-5/users/');
    expect(new Set(index.listed.map((user) => user.username))).toEqual(
      new Set(['uuid-1', 'uuid-2', 'uuid-3']),
    );
    expect(index.find('uuid-2')).toEqual({ username: 'uuid-2', sub: 'sub-2', enabled: true });
    expect(index.find('user2@example.com')).toBeUndefined();
  });

  it('a listing of no chunk finds nobody and hashes no attributes (nothing to compare with)', async () => {
    const index = await PoolIndex.load(work, { prefix: 'restore-work/pool/run-6/users/', chunks: 0 });
    expect(index.find('uuid-1')).toBeUndefined();
    expect(index.attributesKey(new Map([['email', 'user1@example.com']]))).toBeUndefined();
    expect(s3.calls()).toHaveLength(0);
  });

  it('loads every chunk of a listing whose S3 listing comes in pages', async () => {
    const prefix = 'restore-work/pool/run-7/users/';
    cognito.on(ListUsersCommand).resolves({ Users: USERS.slice(0, 1) });
    const first = await listUsersStep(deps(), 'pool', prefix, newUsersCursor());
    cognito.on(ListUsersCommand).resolves({ Users: USERS.slice(1) });
    await listUsersStep(deps(), 'pool', prefix, { ...first, Done: false, Partitions: undefined });
    const chunks = [...store.keys()].filter((key) => key.startsWith(prefix)).sort();
    expect(chunks).toHaveLength(2);
    s3.on(ListObjectsV2Command).callsFake((input: { ContinuationToken?: string }) => {
      const index = Number(input.ContinuationToken ?? '0');
      const more = index + 1 < chunks.length;
      return {
        Contents: [{ Key: chunks[index] }, {}],
        IsTruncated: more,
        ...(more ? { NextContinuationToken: String(index + 1) } : {}),
      };
    });
    const index = await PoolIndex.loadUsers(work, prefix);
    expect(new Set(index.listed.map((user) => user.username))).toEqual(
      new Set(['uuid-1', 'uuid-2', 'uuid-3']),
    );
    expect(USERS.map((user) => index.find(user.Attributes[1]?.Value ?? '')?.username)).toEqual(
      USERS.map((user) => user.Username),
    );
  });
});

describe('the listing of the new pool’s groups', () => {
  it('keeps what ListGroups says of each group (null for a setting it leaves out) and every membership', async () => {
    cognito.on(ListGroupsCommand).resolves({
      Groups: [
        {
          GroupName: 'admins',
          Description: 'Admins',
          Precedence: 1,
          RoleArn: 'arn:aws:iam::111122223333:role/admins',
        },
        { GroupName: 'readers' },
        {},
      ],
    });
    cognito
      .on(ListUsersInGroupCommand, { GroupName: 'admins' })
      .resolves({ Users: [{ Username: 'uuid-1' }, {}] });
    cognito
      .on(ListUsersInGroupCommand, { GroupName: 'readers' })
      .resolves({ Users: [{ Username: 'uuid-2' }] });
    const prefix = 'restore-work/pool/run-8/groups/';
    const users = 'restore-work/pool/run-8/users/';
    const usersCursor = await listUsersStep(deps(), 'pool', users, newUsersCursor());
    const cursor = await listGroupsStep(deps(), 'pool', prefix, newGroupsCursor());
    expect(cursor.Done).toBe(true);
    const index = await PoolIndex.load(
      work,
      { prefix: users, chunks: usersCursor.Chunks },
      { prefix, chunks: cursor.Chunks },
    );
    expect([...index.groups].sort()).toEqual(['admins', 'readers']);
    expect(index.groupDetails.get('admins')).toEqual([
      'admins',
      'Admins',
      1,
      'arn:aws:iam::111122223333:role/admins',
    ]);
    expect(index.groupDetails.get('readers')).toEqual(['readers', null, null, null]);
    expect(index.isMember('admins', 'uuid-1')).toBe(true);
    expect(index.isMember('admins', 'uuid-2')).toBe(false);
    expect([...index.membershipPairs()].sort()).toEqual([
      ['admins', 'uuid-1'],
      ['readers', 'uuid-2'],
    ]);
  });

  it('loads a groups chunk of the previous version (no details): groups and memberships, no settings', async () => {
    const prefix = 'restore-work/pool/run-9/groups/';
    store.set(
      `${prefix}000000.json`,
      JSON.stringify({ groups: ['admins'], members: [['admins', 'uuid-1']] }),
    );
    const index = await PoolIndex.load(
      work,
      { prefix: 'restore-work/pool/run-9/users/', chunks: 0 },
      { prefix, chunks: 1 },
    );
    expect([...index.groups]).toEqual(['admins']);
    expect(index.groupDetails.size).toBe(0);
    expect([...index.membershipPairs()]).toEqual([['admins', 'uuid-1']]);
  });
});

describe('signInIdentities', () => {
  it('is the Username in a pool without username attributes, and nothing for a user without one', () => {
    expect(signInIdentities({ Username: 'uuid-1' }, [])).toEqual(['uuid-1']);
    expect(signInIdentities({}, [])).toEqual([]);
  });

  it('is each username attribute with a value, never another attribute nor an empty value', () => {
    const user = {
      Username: 'uuid-1',
      Attributes: [
        { Name: 'email', Value: 'user1@example.com' },
        { Name: 'phone_number', Value: '' },
        { Name: 'nickname', Value: 'one' },
        { Name: 'phone_number' },
      ],
    };
    expect(signInIdentities(user, ['email', 'phone_number'])).toEqual(['user1@example.com']);
    expect(signInIdentities({ Username: 'uuid-2' }, ['email'])).toEqual([]);
  });

  it('lists a user without attributes nor Enabled as enabled, with an empty sub', async () => {
    cognito.on(ListUsersCommand).resolves({ Users: [{ Username: 'uuid-9' }] });
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: {} });
    const index = await listOnce('restore-work/pool/run-10/users/');
    expect(index.find('uuid-9')).toEqual({ username: 'uuid-9', sub: '', enabled: true });
  });
});
