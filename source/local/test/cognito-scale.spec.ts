// SPDX-License-Identifier: Apache-2.0
/**
 * Scale: 100,000 users seeded through the bulk path and listed completely with the SDK, 60 a page.
 * Asserts what does not depend on the machine's load: every user exactly once, the exact page counts.
 * How fast the emulator serves them is a benchmark figure (`npm run bench -- --case emulator-listing-100k`).
 */
import { CognitoIdentityProviderClient, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import { startCognitoEmulator, type CognitoEmulator, type NewUser } from '../cognito';
import { cognitoClientFor } from '../cognito/testing';

const COUNT = 100_000;
let emulator: CognitoEmulator;
let client: CognitoIdentityProviderClient;
let poolId: string;

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
  poolId = emulator.seed({ userPool: { customAttributes: ['tenant'] }, users: users() }).poolId;
}, 300_000);

afterAll(async () => {
  client.destroy();
  await emulator.stop();
});

async function pageThrough(filter?: string): Promise<{ pages: number; users: Set<string> }> {
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
  return { pages, users: seen };
}

it('seeds 100,000 users through the bulk path', () => {
  expect(emulator.store.getPool(poolId)?.users.size).toBe(COUNT);
});

it('lists all 100,000 users with ListUsers, 60 a page, each exactly once', async () => {
  const { pages, users: seen } = await pageThrough();
  expect(pages).toBe(Math.ceil(COUNT / 60));
  expect(seen.size).toBe(COUNT);
}, 300_000);

it('lists one of 16 sub shards with a prefix filter', async () => {
  const { pages, users: seen } = await pageThrough('sub ^= "a"');
  const expected = emulator.snapshot(poolId).users.filter((u) => u.sub.startsWith('a')).length;
  expect(seen.size).toBe(expected);
  expect(pages).toBe(Math.ceil(expected / 60));
}, 300_000);
