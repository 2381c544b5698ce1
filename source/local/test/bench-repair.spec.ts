// SPDX-License-Identifier: Apache-2.0
/**
 * The repair case's figures (bench/run.ts): the planning rate counts only the comparison (from the
 * first RepairUserPool state to the plan written), the apply rate only the calls Cognito answered.
 */
import { repairFigures, repairRates, withUsers } from '../bench/run';
import { CASES } from '../bench/cases';
import type { LocalRunReport } from '../run/local-run';
import type { RepairScenarioReport } from '../run/repair-scenario';

const counts = {
  usersToCreate: 20,
  usersToUpdate: 60,
  flagsToChange: 20,
  groupsToCreate: 0,
  groupsToUpdate: 0,
  membershipsToAdd: 6,
  addedSince: 3,
};

function report(overrides: Partial<RepairScenarioReport> = {}): LocalRunReport {
  const repair: RepairScenarioReport = {
    plan: counts,
    expected: counts,
    damage: {
      usersBefore: 10_000,
      attribute: 'custom:tenant',
      overwritten: 60,
      deleted: 20,
      disabled: 20,
      groupsDeleted: 0,
      groupsChanged: 0,
      created: 3,
    },
    planId: 'plan',
    planStatus: 'SUCCEEDED',
    status: 'SUCCEEDED',
    parityOk: true,
    presentThroughout: 9_980,
    subsKept: 9_980,
    passwordsKept: 9_980,
    createdSinceUntouched: true,
    verificationMessages: 0,
    recoveryPoint: 'AsOf 2026-12-08T00:00:00.000Z',
    secondExportStatus: 'SUCCEEDED',
    poolUsers: { before: 10_000, after: 10_003 },
    reportRows: { 'create:done': 20 },
    apply: { wallMs: 50_000, throttled: 10 },
    runs: {
      plan: {
        status: 'SUCCEEDED',
        executionArn: 'arn:plan',
        wallMs: 25_000,
        cognitoCalls: { ListUsers: 170, ListUsersInGroup: 50 },
        throttled: {},
      },
      apply: {
        status: 'SUCCEEDED',
        executionArn: 'arn:apply',
        wallMs: 50_000,
        cognitoCalls: { AdminGetUser: 300, ListUsers: 170, AdminUpdateUserAttributes: 40 },
        throttled: { AdminGetUser: 10 },
      },
    },
    ...overrides,
  };
  return { repair } as LocalRunReport;
}

describe('the repair bench case', () => {
  it('is 100,000 users with 1% of them damaged and the groups left alone', () => {
    const repair = CASES.find((c) => c.name === 'repair-100k');
    expect(repair).toMatchObject({ users: 100_000, tps: 10 });
    const damage = repair?.repair;
    expect(
      (damage?.overwriteShare ?? 0) + (damage?.deleteShare ?? 0) + (damage?.disableShare ?? 0),
    ).toBeCloseTo(0.01);
    expect(damage?.groups).toBe(false);
    expect(withUsers(repair ?? CASES[0]!, 20_000)).toMatchObject({
      name: 'repair-100k-20000-users',
      users: 20_000,
    });
  });

  it('rates the planning from the comparison on, and the apply by the calls Cognito answered', () => {
    // The comparison opened 5 s into a 25 s planning execution: 20 s for 10,000 users and 3,000 members.
    const figures = repairFigures(
      report(),
      new Map([
        ['PrepareRecoveryPoint', 100],
        ['RepairUserPool', 5_000],
      ]),
    );
    expect(figures?.planMs).toEqual({ recoveryPoint: 5_000, compare: 20_000, wall: 25_000 });
    expect(figures?.throttled).toEqual({ plan: 0, apply: 10 });
    const rates = repairRates(figures!, 10_000, 3_000, 10);
    expect(rates.map((rate) => [rate.metric, rate.achieved, rate.bound, rate.ratio])).toEqual([
      ['repair: planning, users compared', 500, 600, 500 / 600],
      ['repair: planning, users and members listed', 650, 600, 650 / 600],
      // 510 calls, 10 of them throttled, in 50 s.
      ['repair: apply, Cognito calls', 10, 10, 1],
    ]);
  });

  it('gives no rate for an execution that failed, and none without a repair', () => {
    const failed = report({ planStatus: 'FAILED', status: 'NOT_STARTED', runs: {} });
    const figures = repairFigures(failed, undefined);
    expect(figures?.planMs).toEqual({ recoveryPoint: 0, compare: 0, wall: 0 });
    expect(repairRates(figures!, 10_000, 3_000, 10)).toEqual([]);
    expect(repairFigures({} as LocalRunReport, undefined)).toBeUndefined();
  });
});
