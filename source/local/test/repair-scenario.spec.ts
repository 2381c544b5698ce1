// SPDX-License-Identifier: Apache-2.0
/**
 * The repair scenario's verdict (run/repair-scenario.ts): what the plan must count, from the pool
 * before and after the damage, and when a run passes. The whole scenario runs with
 * `npm start -- --scenario repair` (about a minute: too long for this suite).
 */
import type { PoolContent, SnapshotUser } from '../run/parity';
import { expectedPlan, repairScenarioOk, type RepairScenarioReport } from '../run/repair-scenario';

const user = (name: string, overrides: Partial<SnapshotUser> = {}): SnapshotUser => ({
  username: name,
  sub: `sub-${name}`,
  enabled: true,
  status: 'CONFIRMED',
  attributes: { email: `${name}@example.com`, 'custom:tier': 'gold' },
  groups: [],
  ...overrides,
});

const before: PoolContent = {
  poolId: 'p',
  users: [user('a'), user('b'), user('c'), user('d'), user('Google_1', { status: 'EXTERNAL_PROVIDER' })],
  groups: [
    { name: 'admins', description: 'Admins', members: ['a', 'b'] },
    { name: 'staff', description: 'Staff', members: ['c', 'Google_1'] },
  ],
};

describe('expectedPlan', () => {
  it('counts the damage the plan must find, leaving out the users no backup holds', () => {
    const after: PoolContent = {
      poolId: 'p',
      users: [
        user('a', { attributes: { email: 'a@example.com', 'custom:tier': 'damaged-0' } }),
        user('c', { enabled: false }),
        user('d'),
        user('e'),
        // Deleted too, but never backed up: nothing to recreate.
      ],
      groups: [{ name: 'staff', description: 'Changed', members: ['c'] }],
    };
    expect(expectedPlan(before, after)).toEqual({
      usersToCreate: 1,
      usersToUpdate: 1,
      flagsToChange: 1,
      groupsToCreate: 1,
      groupsToUpdate: 1,
      // admins/a and admins/b; staff/Google_1 is of a user no backup holds.
      membershipsToAdd: 2,
      addedSince: 1,
    });
  });
});

describe('repairScenarioOk', () => {
  const counts = {
    usersToCreate: 1,
    usersToUpdate: 1,
    flagsToChange: 1,
    groupsToCreate: 1,
    groupsToUpdate: 1,
    membershipsToAdd: 2,
    addedSince: 3,
  };
  const passing: RepairScenarioReport = {
    plan: counts,
    expected: counts,
    damage: {
      usersBefore: 4,
      attribute: 'custom:tier',
      overwritten: 1,
      deleted: 1,
      disabled: 1,
      groupsDeleted: 1,
      groupsChanged: 1,
      created: 3,
    },
    planId: 'plan',
    planStatus: 'SUCCEEDED',
    status: 'SUCCEEDED',
    parityOk: true,
    presentThroughout: 3,
    subsKept: 3,
    passwordsKept: 3,
    createdSinceUntouched: true,
    verificationMessages: 0,
    recoveryPoint: 'AsOf 2026-12-07T10:00:00.000Z',
    secondExportStatus: 'SUCCEEDED',
    runs: {},
  };

  it.each<[string, Partial<RepairScenarioReport>]>([
    ['a plan count that differs from the damage', { plan: { ...counts, usersToUpdate: 2 } }],
    ['a user whose password changed', { passwordsKept: 2 }],
    ['a user whose sub changed', { subsKept: 2 }],
    ['a verification message sent', { verificationMessages: 1 }],
    ['a user created since touched', { createdSinceUntouched: false }],
    ['parity lost', { parityOk: false }],
    ['a failed apply', { status: 'FAILED' }],
    ['a failed second export', { secondExportStatus: 'FAILED' }],
  ])('fails on %s', (_label, change) => {
    expect(repairScenarioOk(passing)).toBe(true);
    expect(repairScenarioOk({ ...passing, ...change })).toBe(false);
  });
});
