// SPDX-License-Identifier: Apache-2.0
/**
 * Scale: 100,000 users seeded through the bulk path and listed completely with the SDK, 60 a page.
 * Prints the measured times (seed, full paging, one sub shard) for the report; the bounds asserted are
 * loose so a busy CI machine does not fail them, the page counts are exact.
 */
import { CognitoIdentityProviderClient, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import { startCognitoEmulator, type CognitoEmulator, type NewUser } from '../cognito';
import { cognitoClientFor } from '../cognito/testing';

const COUNT = 100_000;
let emulator: CognitoEmulator;
let client: CognitoIdentityProviderClient;
let poolId: string;
let seedMs: number;

function users(): NewUser[] {
  return Array.from({ length: COUNT }, (_, i) => ({
    username: `user-${i}`,
    enabled: i % 13 !== 0,
    attributes: {
      email: `user-${i}@example.com`,
      email_verified: 'true',
      given_name: `Given ${i % 100}`,
      family_name: `Family ${i % 1000}`,
      'custom:tenant': `tenant-${i % 50}`,
    },
  }));
}

beforeAll(async () => {
  emulator = await startCognitoEmulator({ throttling: 'off' });
  client = cognitoClientFor(emulator.endpoint);
  const input = users();
  const started = performance.now();
  poolId = emulator.seed({ userPool: { customAttributes: ['tenant'] }, users: input }).poolId;
  seedMs = performance.now() - started;
});

afterAll(async () => {
  client.destroy();
  await emulator.stop();
});

async function pageThrough(filter?: string): Promise<{ pages: number; users: Set<string>; ms: number }> {
  const started = performance.now();
  const seen = new Set<string>();
  let pages = 0;
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListUsersCommand({ UserPoolId: poolId, Limit: 60, PaginationToken: token, Filter: filter }),
    );
    pages += 1;
    for (const user of page.Users ?? []) seen.add(user.Username ?? '');
    token = page.PaginationToken;
  } while (token);
  return { pages, users: seen, ms: performance.now() - started };
}

it('seeds 100,000 users through the bulk path', () => {
  console.log(`cognito emulator: seeded ${COUNT} users in ${seedMs.toFixed(0)} ms`);
  expect(emulator.store.getPool(poolId)?.users.size).toBe(COUNT);
  expect(seedMs).toBeLessThan(3000);
});

it('lists all 100,000 users with ListUsers, 60 a page, each exactly once', async () => {
  const { pages, users: seen, ms } = await pageThrough();
  console.log(`cognito emulator: ListUsers paged ${COUNT} users in ${pages} pages, ${ms.toFixed(0)} ms`);
  expect(pages).toBe(Math.ceil(COUNT / 60));
  expect(seen.size).toBe(COUNT);
  expect(ms).toBeLessThan(30_000);
}, 60_000);

it('lists one of 16 sub shards with a prefix filter', async () => {
  const { pages, users: seen, ms } = await pageThrough('sub ^= "a"');
  const expected = emulator.snapshot(poolId).users.filter((u) => u.sub.startsWith('a')).length;
  console.log(
    `cognito emulator: sub ^= "a" shard of ${expected} users in ${pages} pages, ${ms.toFixed(0)} ms`,
  );
  expect(seen.size).toBe(expected);
  expect(pages).toBe(Math.ceil(expected / 60));
}, 60_000);
