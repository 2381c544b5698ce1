// SPDX-License-Identifier: Apache-2.0
/**
 * The emulator's own listing speed (bench case `emulator-listing-100k`): 100,000 users seeded, then
 * listed with ListUsers 60 a page without latency or quotas, once as one page chain and once as the
 * export lists them (16 `sub` prefixes at once). The bound is the fastest listing a bench case asks
 * of it (`CognitoTPS` 25 × 60 = 1,500 users a second): below it, the emulator, not the code under test,
 * would limit the export cases.
 */
import {
  ListUsersCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { startCognitoEmulator, type NewUser } from '../cognito';
import { cognitoClientFor } from '../cognito/testing';
import { coresUsed, loadAverage, sampleCpu } from './cpu';
import type { BenchResult, Rate } from './run';

const COUNT = 100_000;
/** The fastest listing a bench case asks for: `CognitoTPS` 25, 60 users a page. */
export const EMULATOR_LISTING_BOUND = 25 * 60;

function users(): NewUser[] {
  return Array.from({ length: COUNT }, (_, i) => ({
    username: `user-${i}`,
    enabled: i % 13 !== 0,
    attributes: {
      email: `user-${i}@example.com`,
      email_verified: 'true',
      given_name: `Given ${i % 100}`,
      family_name: `Family ${i % 1000}`,
    },
  }));
}

async function pageThrough(
  client: CognitoIdentityProviderClient,
  poolId: string,
  filter?: string,
): Promise<{ pages: number; users: number }> {
  let pages = 0;
  let listed = 0;
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListUsersCommand({ UserPoolId: poolId, Limit: 60, PaginationToken: token, Filter: filter }),
    );
    pages += 1;
    listed += page.Users?.length ?? 0;
    token = page.PaginationToken;
  } while (token);
  return { pages, users: listed };
}

export async function runEmulatorListing(name: string, description: string): Promise<BenchResult> {
  const loadAtStart = loadAverage();
  const started = Date.now();
  const emulator = await startCognitoEmulator({ throttling: 'off' });
  const client = cognitoClientFor(emulator.endpoint);
  try {
    const { poolId } = emulator.seed({ userPool: {}, users: users() });
    const measure = async (run: () => Promise<{ pages: number; users: number }[]>) => {
      const from = sampleCpu(Date.now(), {});
      const results = await run();
      const to = sampleCpu(Date.now(), {});
      const pages = results.reduce((n, r) => n + r.pages, 0);
      const listed = results.reduce((n, r) => n + r.users, 0);
      return { ms: to.atMs - from.atMs, pages, listed, cores: coresUsed(from, to) };
    };
    const chain = await measure(async () => [await pageThrough(client, poolId)]);
    const partitions = await measure(() =>
      Promise.all([...'0123456789abcdef'].map((hex) => pageThrough(client, poolId, `sub ^= "${hex}"`))),
    );
    if (chain.listed !== COUNT || partitions.listed !== COUNT)
      throw new Error(`listed ${chain.listed} and ${partitions.listed} users of ${COUNT}`);
    const rate = (metric: string, m: typeof chain): Rate => {
      const achieved = m.listed / (m.ms / 1000);
      return {
        metric,
        achieved,
        bound: EMULATOR_LISTING_BOUND,
        ratio: achieved / EMULATOR_LISTING_BOUND,
        unit: 'users/s',
      };
    };
    return {
      case: name,
      description,
      tps: 25,
      users: COUNT,
      groups: 0,
      memberships: 0,
      ok: true,
      parityOk: true,
      loadAverage: { start: loadAtStart, end: loadAverage() },
      export: {
        status: 'SUCCEEDED',
        wallMs: chain.ms + partitions.ms,
        phasesMs: { 'one page chain': chain.ms, '16 sub partitions': partitions.ms },
        phasesCpu: {
          'one page chain': { cores: chain.cores, loadAverage: loadAtStart },
          '16 sub partitions': { cores: partitions.cores, loadAverage: loadAverage() },
        },
        historyEvents: 0,
        maxStatePayloadBytes: 0,
        cognitoCalls: { ListUsers: chain.pages + partitions.pages },
        throttled: {},
      },
      rates: [
        rate('emulator: ListUsers, one page chain', chain),
        rate('emulator: ListUsers, 16 sub partitions', partitions),
      ],
      cognitoCalls: chain.pages + partitions.pages,
      throttledCalls: 0,
      peakRssMb: { harness: Math.round(process.resourceUsage().maxRSS / 1024) },
      totalWallMs: Date.now() - started,
    };
  } finally {
    client.destroy();
    await emulator.stop();
  }
}
