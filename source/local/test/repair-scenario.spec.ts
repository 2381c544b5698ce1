// SPDX-License-Identifier: Apache-2.0
/**
 * The repair scenario's verdict (run/repair-scenario.ts): what the plan must count, from the pool
 * before and after the damage, and when a run passes. The whole scenario runs with
 * `npm start -- --scenario repair` (about a minute: too long for this suite).
 */
import type { PoolContent, SnapshotUser } from '../run/parity';
import {
  countReportRows,
  expectedPlan,
  repairScenarioOk,
  type RefusedApply,
  type RepairScenarioReport,
} from '../run/repair-scenario';

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
    poolUsers: { before: 4, after: 7 },
    reportRows: { 'create:done': 1 },
    apply: { wallMs: 1000, throttled: 0 },
    runs: {},
  };
  const refused: RefusedApply = {
    status: 'FAILED',
    error: 'PlanOutdatedError',
    notifications: [
      'The user pool p changed since the repair plan plan was written: 1 of its 30 users and 0 of its 2 groups to set back are no longer as planned. Nothing was changed. Plan again (start the RepairWorkflow with {"UserPoolId":"p","AsOf":"2026-12-07T10:00:00.000Z"}), check the new plan, then apply it.',
    ],
    poolUnchanged: true,
    replannedId: 'plan-2',
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
    ['a changed plan applied', { refused: { ...refused, status: 'SUCCEEDED', error: undefined } }],
    ['a refused apply that wrote', { refused: { ...refused, poolUnchanged: false } }],
    ['a refusal nobody was told of', { refused: { ...refused, notifications: [] } }],
    [
      'a refusal that does not say to plan again',
      { refused: { ...refused, notifications: ['The user pool p changed since the plan.'] } },
    ],
  ])('fails on %s', (_label, change) => {
    expect(repairScenarioOk(passing)).toBe(true);
    expect(repairScenarioOk({ ...passing, refused })).toBe(true);
    expect(repairScenarioOk({ ...passing, ...change })).toBe(false);
  });
});

describe('countReportRows', () => {
  it('counts the rows of a repair report by action and outcome, the header aside', () => {
    const csv = [
      'oldSub,newSub,username,action,outcome,reason',
      's1,s9,user1,create,done,',
      's2,,user2,create,failed,not-in-recovery-point',
      's3,s3,user3,set-attributes delete-attributes,done,',
      ',s4,user4,none,left-alone,added-since',
      's5,s10,user5,create,done,',
      '',
    ].join('\n');
    expect(countReportRows(csv)).toEqual({
      'create:done': 2,
      'create:failed': 1,
      'set-attributes delete-attributes:done': 1,
      'none:left-alone': 1,
    });
    expect(countReportRows(undefined)).toEqual({});
  });
});
