// SPDX-License-Identifier: Apache-2.0
/**
 * The listing of a pool keeps e-mail addresses and phone numbers only as hashes keyed by a random key
 * of the listing: a plain hash of an address can be reversed by hashing guesses.
 */
import { createHash } from 'node:crypto';
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { S3Client } from '@aws-sdk/client-s3';
import { mockAws } from '../../test-support/aws-mock';
import { serveBucket } from './support';
import { fakeClock } from '../../test-support/fake-clock';
import { RateLimitedCognito } from '../../utils/cognito';
import { SlidingWindowLimiter } from '../../utils/limiter';
import { TimeBudget } from '../../utils/time-budget';
import { hashKeyObject, listUsersStep, newUsersCursor, PoolIndex } from '../lib/pool-index';

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
