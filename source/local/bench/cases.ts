// SPDX-License-Identifier: Apache-2.0
/**
 * The benchmark's cases and what each measures: the seed, `COGNITO_TPS`, and the rates compared with
 * the bound that Cognito's quotas (through `COGNITO_TPS`) or the latency of one page chain set.
 */
import type { RepairDamage } from '../run/repair-scenario';
import { generateSeed, type SeedFile } from '../run/seed';
import { AWS_LATENCY_MS } from '../cognito/server';

export interface BenchCase {
  name: string;
  description: string;
  users: number;
  groups: number;
  /** All users in one group (the huge-group case). */
  oneGroup?: boolean;
  tps: number;
  /** Part of the small matrix (`--quick`). */
  quick?: boolean;
  /** The ExportWorkflow alone (the listing cases): parity is the backup table's users against the pool's. */
  exportOnly?: boolean;
  /** Not a workflow run: the Cognito emulator's own ListUsers speed (`emulator-listing.ts`). */
  emulatorOnly?: boolean;
  /** Report the restore's end-to-end rate against RESTORE_GOAL_PER_SECOND. */
  restoreRate?: boolean;
  /**
   * The repair scenario instead of a restore (export, this damage, export, plan, apply, check): the
   * planning rate against the listing bound and the apply's Cognito calls a second against CognitoTPS.
   */
  repair?: RepairDamage;
}

/** The repair's goal: planning and applying at 90% of their bounds. */
export const REPAIR_GOAL_SHARE = 0.9;

/**
 * The end-to-end restore rate to reach at TPS 25: 1.5 times the 38 users a second of a peer tool
 * (`cognito-backup --concurrency 5`, which checks nothing) on the same emulator, 10,000 users.
 */
export const RESTORE_GOAL_PER_SECOND = 57;

export const CASES: readonly BenchCase[] = [
  {
    name: 'users-10k-groups-10',
    description: '10,000 users in 10 groups',
    users: 10_000,
    groups: 10,
    tps: 10,
    quick: true,
  },
  // The restore end to end (users/s from the ImportWorkflow's start to its end, everything restored and
  // checked), and the restore check's listing of the new pool against CognitoTPS pages of 60.
  {
    name: 'restore-10k',
    description: '10,000 users in 10 groups, restore end to end',
    users: 10_000,
    groups: 10,
    tps: 25,
    restoreRate: true,
  },
  {
    name: 'restore-10k-tps10',
    description: '10,000 users in 10 groups, restore end to end at TPS 10',
    users: 10_000,
    groups: 10,
    tps: 10,
    restoreRate: true,
  },
  {
    name: 'users-100k',
    description: '100,000 users, no groups, export only',
    users: 100_000,
    groups: 0,
    tps: 10,
    exportOnly: true,
  },
  // TPS 25: the export needs a ListUsersInGroup call per group (10,000 calls); the restore's bound is
  // CreateGroup's own quota of 5 a second whatever CognitoTPS allows.
  {
    name: 'groups-10k',
    description: '2,000 users in 10,000 groups',
    users: 2_000,
    groups: 10_000,
    tps: 25,
  },
  {
    name: 'groups-10k-export',
    description: '2,000 users in 10,000 groups, export only',
    users: 2_000,
    groups: 10_000,
    tps: 25,
    exportOnly: true,
  },
  {
    name: 'one-group-20k',
    description: 'one group of 20,000 members',
    users: 20_000,
    groups: 1,
    oneGroup: true,
    tps: 10,
  },
  {
    name: 'users-20k-tps5',
    description: '20,000 users at TPS 5, export only',
    users: 20_000,
    groups: 0,
    tps: 5,
    quick: true,
    exportOnly: true,
  },
  {
    name: 'users-20k-tps10',
    description: '20,000 users at TPS 10, export only',
    users: 20_000,
    groups: 0,
    tps: 10,
    quick: true,
    exportOnly: true,
  },
  {
    name: 'users-20k-tps25',
    description: '20,000 users at TPS 25, export only',
    users: 20_000,
    groups: 0,
    tps: 25,
    quick: true,
    exportOnly: true,
  },
  // 1% of the users damaged as the repair scenario damages them (attributes overwritten, users deleted,
  // users disabled), the groups left alone: a repair of a bad script's morning, not of a lost pool.
  {
    name: 'repair-100k',
    description: '100,000 users in 10 groups, 1% damaged, repair planned and applied',
    users: 100_000,
    groups: 10,
    tps: 10,
    repair: { overwriteShare: 0.006, deleteShare: 0.002, disableShare: 0.002, groups: false },
  },
  {
    name: 'emulator-listing-100k',
    description: 'the Cognito emulator listing 100,000 users, no latency, no quotas',
    users: 100_000,
    groups: 0,
    tps: 25,
    quick: true,
    emulatorOnly: true,
  },
];

/** A few hundred users: the smoke case the test command runs. */
export const SMOKE_CASE: BenchCase = {
  name: 'smoke',
  description: '600 users in 3 groups',
  users: 600,
  groups: 3,
  tps: 25,
};

export function seedOf(benchCase: BenchCase): SeedFile {
  if (!benchCase.oneGroup) {
    return generateSeed({ users: benchCase.users, groups: benchCase.groups, usernameAttribute: 'none' });
  }
  const seed = generateSeed({ users: benchCase.users, groups: 0, usernameAttribute: 'none' });
  return { ...seed, groups: [{ name: 'everyone', members: seed.users.map((user) => user.username) }] };
}

/** Users (or members) per second of one page chain: a page of 60 per ListUsersInGroup round trip. */
export const PAGE_CHAIN_PER_SECOND = 60 / ((AWS_LATENCY_MS.ListUsersInGroup ?? 400) / 1000);

/** The per-pool quota of CreateGroup (UserPoolResourceUpdate, per pool and operation). */
export const CREATE_GROUP_PER_SECOND = 5;
