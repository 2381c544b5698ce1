// SPDX-License-Identifier: Apache-2.0
/**
 * The fault matrix: both workflows on small pools with one fault each (docs/local-run.md, "Fault injection").
 * For every case: the restore ends with parity, or the ImportWorkflow FAILED with an error notification
 * that says what is missing; a SUCCEEDED restore never lacks parity and never leaves a disabled user
 * enabled; an export either succeeds or fails with an error notification. The repair cases
 * (`--scenario repair`) end with the pool back at the recovery point: parity, every sub and password
 * kept, one recreation per missing user; a plan whose pool changed is refused first, loudly and without
 * a write.
 */
import { templateFunctionIds, templateTaskStateNames } from '../run/cli';
import { LocalEnvironment } from '../aws/environment';
import { type FaultPlan, hasEnvironmentFaults, parseFaults } from '../run/faults';
import { type LocalRunReport, runLocal, type Scenario } from '../run/local-run';
import type { RepairScenarioReport } from '../run/repair-scenario';
import { generateSeed, type SeedFile } from '../run/seed';
import { ROOT } from './support';

jest.setTimeout(240_000);

interface MatrixCase {
  name: string;
  users: number;
  groups: number;
  tps: number;
  faults: string[];
  scenario?: Scenario;
  /**
   * Runs at the same time as the other `together` cases (listed first): these wait for messages a
   * crashed invocation held to come back, which takes the hold's real time.
   */
  together?: boolean;
  /** The crash must hit an invocation that started from an export cursor inside a data file. */
  crashMidFile?: boolean;
}

/** What an error notification of a failed restore must say: what is missing, and how to finish (Resume). */
const NAMES_WHAT_IS_MISSING = /missing|not restored|not (yet )?in the new (user )?pool/i;
const SAYS_HOW_TO_FINISH = /"Resume":\s*true/;

const CASES: MatrixCase[] = [
  {
    name: 'crash after-receive in ImportNewUsers (1,000 users)',
    users: 1000,
    groups: 5,
    tps: 25,
    faults: ['crash=ImportNewUsersLambda:after-receive'],
    together: true,
  },
  {
    name: 'crash after-receive in ImportNewUsers (3,000 users)',
    users: 3000,
    groups: 5,
    tps: 25,
    faults: ['crash=ImportNewUsersLambda:after-receive'],
    together: true,
  },
  {
    name: 'crash after-receive in UpdateNewUsers',
    users: 300,
    groups: 3,
    tps: 25,
    faults: ['crash=ImportUpdateNewUsersLambda:after-receive'],
    together: true,
  },
  {
    name: 'retried crash after-job-start in ImportNewUsers, slow job',
    users: 300,
    groups: 3,
    tps: 25,
    faults: ['crash=ImportNewUsersLambda:after-job-start', 'import-job-ms-per-kb=50'],
    together: true,
  },
  {
    name: 'crash after receive mid-cleanup (Remove Items) of an export deleting departed users',
    users: 200,
    groups: 3,
    tps: 25,
    faults: ['crash=BackupTableCleanup: Remove Items:after-receive'],
    scenario: 'departed-users',
    together: true,
  },
  {
    // The invocations of RepairUserPool: 1 is the plan's, 2 verifies, 3 sets the groups and the users
    // back; its result is lost, so the groups' and users' phases run again before the memberships'.
    name: 'repair: crash after the users of the apply, before its memberships, and its retry',
    users: 100,
    groups: 5,
    tps: 25,
    faults: ['crash=RepairUserPool:after-work:3'],
    scenario: 'repair',
    together: true,
  },
  {
    name: 'repair: a planned user changed between plan and apply (refused, planned again)',
    users: 100,
    groups: 5,
    tps: 25,
    faults: ['repair-change-before-apply'],
    scenario: 'repair',
    together: true,
  },
  {
    name: 'quotas at a quarter, CognitoTPS 10',
    users: 300,
    groups: 3,
    tps: 10,
    faults: ['cognito-throttle=0.25'],
  },
  { name: 'cognito-500', users: 200, groups: 3, tps: 25, faults: ['cognito-500=0.05'] },
  { name: 'cognito-drop', users: 200, groups: 3, tps: 25, faults: ['cognito-drop=0.05'] },
  { name: 'ddb-unprocessed', users: 200, groups: 3, tps: 25, faults: ['ddb-unprocessed=0.3'] },
  { name: 'ddb-throughput', users: 200, groups: 3, tps: 25, faults: ['ddb-throughput=0.05'] },
  {
    name: 'crash after-work in ImportNewUsers',
    users: 200,
    groups: 3,
    tps: 25,
    faults: ['crash=ImportNewUsersLambda:after-work'],
  },
  {
    name: 'crash after-work in the reconciliation (ReconcileNewUserPool)',
    users: 200,
    groups: 3,
    tps: 25,
    faults: ['crash=ReconcileNewUserPool:after-work'],
  },
  {
    name: 'ImportScanTable retried twice after its work',
    users: 200,
    groups: 3,
    tps: 25,
    faults: ['crash=ImportScanTableLambda:after-work:1', 'crash=ImportScanTableLambda:after-work:2'],
  },
  { name: 'short timeouts', users: 300, groups: 3, tps: 25, faults: ['short-timeouts'] },
  { name: 'emptied pool', users: 200, groups: 3, tps: 25, faults: [], scenario: 'emptied-pool' },
  {
    name: 'repair: quotas at a quarter during the apply, CognitoTPS 10',
    users: 60,
    groups: 5,
    tps: 10,
    faults: ['cognito-throttle=0.25'],
    scenario: 'repair',
  },
  {
    name: 'AsOf restore whose point-in-time export ends FAILED',
    users: 200,
    groups: 3,
    tps: 25,
    faults: ['export-fail=point-in-time-exports/'],
    scenario: 'point-in-time',
  },
  {
    // At a timeout of its one-minute reserve, each ImportScanTable reads one page (200 items) of the
    // export: the second invocation starts mid-file, crashes, and its retry starts from the same cursor.
    name: 'AsOf restore, crash of the export reader that started mid-file, retried from its cursor',
    users: 150,
    groups: 3,
    tps: 25,
    faults: ['timeout=ImportScanTableLambda:60', 'crash=ImportScanTableLambda:after-work:2'],
    scenario: 'point-in-time',
    crashMidFile: true,
  },
];

/** What an error notification of a restore whose recovery point could not be exported must say. */
const NAMES_THE_FAILED_EXPORT = /export/i;

let environment: LocalEnvironment;
const outcomes: string[] = [];

beforeAll(async () => {
  environment = await LocalEnvironment.start({ maxReceiveWaitMs: 100 });
});

afterAll(async () => {
  await environment?.stop();
  // The matrix as it ran, for the log of the test run.
  console.log(`Fault matrix:\n${outcomes.join('\n')}`);
});

function outcome(matrixCase: MatrixCase, report: LocalRunReport): string {
  const restored = report.restoredPool;
  return [
    matrixCase.name.padEnd(58),
    `export ${report.export.status}`,
    `import ${report.import?.status ?? '-'}`,
    report.import === undefined ? '' : `parity ${report.parity.ok ? 'ok' : 'no'}`,
    restored === undefined
      ? ''
      : `restored ${restored.users} (missing ${restored.missingUsers} users, ${restored.missingMemberships} memberships, ${restored.disabledLeftEnabled} disabled left enabled)`,
    report.departedUsers === undefined
      ? ''
      : `departed ${report.departedUsers.departed}, backup user items ${report.departedUsers.userItemsBefore} → ${report.departedUsers.userItemsAfter}`,
    report.emptiedPool === undefined
      ? ''
      : `backup user items ${report.emptiedPool.userItemsBefore} → ${report.emptiedPool.userItemsAfter}, error notified ${report.emptiedPool.errorNotified}`,
    ...(report.faults?.crashes ?? []).flatMap((crash) =>
      crash.exportCursor === undefined
        ? []
        : [
            `crash from export cursor file ${crash.exportCursor.File} line ${crash.exportCursor.Line} (files of ${(report.recoveryPoints?.asOf.exportFileItems ?? []).join('/')} items)`,
          ],
    ),
    report.repair === undefined
      ? ''
      : `repair ${report.repair.status}${report.repair.refused !== undefined ? ` (after a refused apply: ${report.repair.refused.error ?? report.repair.refused.status})` : ''}, ` +
        `parity ${report.repair.parityOk ? 'ok' : 'no'}, apply ${(report.repair.apply.wallMs / 1000).toFixed(1)} s, ${report.repair.apply.throttled} throttled`,
    `${(report.totalWallMs / 1000).toFixed(1)} s`,
  ]
    .filter((part) => part !== '')
    .join('; ');
}

const total = (counts: Record<string, number> | undefined): number =>
  Object.values(counts ?? {}).reduce((a, b) => a + b, 0);

/** A case proves nothing unless its fault hit the run. */
function expectFaultsHit(matrixCase: MatrixCase, report: LocalRunReport): void {
  const faults = report.faults;
  const names = matrixCase.faults.map((spec) => spec.split('=')[0]);
  const throttled = total(report.export.throttled) + total(report.import?.throttled);
  if (names.includes('cognito-throttle')) expect(throttled).toBeGreaterThan(0);
  // A repair's quotas are met by its apply, not only by the exports before it.
  if (names.includes('cognito-throttle') && matrixCase.scenario === 'repair')
    expect(report.repair?.apply.throttled).toBeGreaterThan(0);
  if (names.includes('repair-change-before-apply')) expect(report.repair?.refused).toBeDefined();
  if (names.includes('cognito-500')) expect(total(faults?.cognito.internalError)).toBeGreaterThan(0);
  if (names.includes('cognito-drop')) expect(total(faults?.cognito.dropped)).toBeGreaterThan(0);
  if (names.includes('ddb-unprocessed')) expect(faults?.dynamodb?.unprocessedItems).toBeGreaterThan(0);
  if (names.includes('ddb-throughput'))
    expect(total(faults?.dynamodb?.throughputExceeded)).toBeGreaterThan(0);
  if (names.includes('short-timeouts')) expect(Object.keys(faults?.timeouts ?? {})).not.toEqual([]);
  if (names.includes('export-fail')) expect(faults?.exportsFailed).toBeGreaterThan(0);
  for (const spec of matrixCase.faults.filter((given) => given.startsWith('timeout='))) {
    const [target, seconds] = spec.slice('timeout='.length).split(':');
    expect(faults?.timeouts?.[target ?? '']).toBe(Number(seconds));
  }
  if (matrixCase.crashMidFile === true) {
    // Past the data file's first line and before its last: a reader that reads whole files fails this.
    const cursor = faults?.crashes[0]?.exportCursor;
    const files = report.recoveryPoints?.asOf.exportFileItems ?? [];
    expect(cursor?.Line).toBeGreaterThan(0);
    expect(cursor?.Line).toBeLessThan(files[cursor?.File ?? files.length] ?? 0);
  }
  expect(faults?.crashes ?? []).toHaveLength(names.filter((name) => name === 'crash').length);
}

const seedOf = (matrixCase: MatrixCase): SeedFile =>
  generateSeed({
    users: matrixCase.users,
    groups: matrixCase.groups,
    usernameAttribute: 'none',
    federatedUsers: 0,
    randomSeed: 11,
  });

/**
 * A repair case: the apply ended with the pool at the recovery point (parity, subs and passwords of
 * everyone present throughout, the plan's counts the damage's, each missing user recreated once and
 * reported once); a crash hit after part of the apply; a plan whose pool changed was refused first,
 * without a write, saying in counts what changed and how to plan again.
 */
function expectRepaired(matrixCase: MatrixCase, report: LocalRunReport): void {
  const repair = report.repair as RepairScenarioReport;
  expect(repair).toMatchObject({
    planStatus: 'SUCCEEDED',
    status: 'SUCCEEDED',
    parityOk: true,
    plan: repair.expected,
    subsKept: repair.presentThroughout,
    passwordsKept: repair.presentThroughout,
    createdSinceUntouched: true,
    verificationMessages: 0,
  });
  expect(repair.presentThroughout).toBeGreaterThan(0);
  expect(repair.plan.usersToCreate).toBeGreaterThan(0);
  expect(repair.poolUsers.after).toBe(repair.poolUsers.before + repair.expected.addedSince);
  expect(repair.reportRows['create:done']).toBe(repair.plan.usersToCreate);
  expect(Object.keys(repair.reportRows).filter((row) => row.endsWith(':failed'))).toEqual([]);
  expect(report.ok).toBe(true);

  const crash = report.faults?.crashes.find((fired) => fired.target === 'RepairUserPool');
  if (crash !== undefined) {
    // The lost result is the cursor after the users' phase: groups and users were set back, the
    // memberships (some to add) not yet.
    expect(crash.lostResult).toMatchObject({
      result: { RepairDone: false, Apply: { Phase: 'Memberships' } },
    });
    expect(repair.plan.membershipsToAdd).toBeGreaterThan(0);
  }

  if (matrixCase.faults.includes('repair-change-before-apply')) {
    const refused = repair.refused;
    expect(refused).toMatchObject({ status: 'FAILED', error: 'PlanOutdatedError', poolUnchanged: true });
    // The plan applied is the one made again, as the notification says.
    expect(refused?.replannedId).toBe(repair.planId);
    expect(repair.planId).not.toBe('');
    const message = refused?.notifications.join('\n') ?? '';
    expect(message).toMatch(
      /changed since the repair plan \S+ was written: 1 of its \d+ users and 0 of its \d+ groups/,
    );
    expect(message).toMatch(
      /Plan again \(start the RepairWorkflow with \{"UserPoolId":"[^"]+","AsOf":"[^"]+"\}\)/,
    );
    // Counts, never a username or a value.
    const usernames = seedOf(matrixCase).users.map((user) => user.username);
    expect(usernames.filter((username) => message.includes(username))).toEqual([]);
    expect(message).not.toContain('changed-after-the-plan');
  }
}

function run(matrixCase: MatrixCase): Promise<LocalRunReport> {
  return runLocal({
    root: ROOT,
    seed: seedOf(matrixCase),
    seedSource: matrixCase.name,
    tps: matrixCase.tps,
    maxWaitMs: 100,
    environment,
    stackName: `matrix-${CASES.indexOf(matrixCase) + 1}`,
    faults: plan(matrixCase),
    ...(matrixCase.scenario !== undefined ? { scenario: matrixCase.scenario } : {}),
  });
}

const runs = new Map<MatrixCase, Promise<LocalRunReport>>();

/**
 * How many cases run at once. A run spends most of its time waiting (Step Functions waits, message
 * holds), not computing, so overlapping runs shortens the matrix without changing what a case does.
 */
const OVERLAP = 3;

function plan(matrixCase: MatrixCase): FaultPlan {
  return parseFaults(matrixCase.faults, templateFunctionIds(), templateTaskStateNames());
}

/** Faults set on the shared emulators hit every run at the time: such a case runs alone. */
const runsAlone = (matrixCase: MatrixCase): boolean =>
  matrixCase.together !== true && hasEnvironmentFaults(plan(matrixCase));

function start(matrixCase: MatrixCase): void {
  if (runs.has(matrixCase)) return;
  const report = run(matrixCase);
  report.catch(() => undefined);
  runs.set(matrixCase, report);
}

/**
 * The case's run. The first `together` case starts all of them; a case whose faults are the emulators'
 * waits for every run started before it and runs alone; any other case starts itself and the next such
 * cases, up to OVERLAP runs at once (the tests run in order, so the cases before it have ended).
 */
async function reportOf(matrixCase: MatrixCase): Promise<LocalRunReport> {
  if (matrixCase.together === true) CASES.filter((c) => c.together).forEach(start);
  else if (runsAlone(matrixCase)) {
    await Promise.allSettled(runs.values());
    start(matrixCase);
  } else
    CASES.slice(CASES.indexOf(matrixCase))
      .filter((c) => c.together !== true && !runsAlone(c))
      .slice(0, OVERLAP)
      .forEach(start);
  return runs.get(matrixCase) as Promise<LocalRunReport>;
}

it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, matrixCase) => {
  const report = await reportOf(matrixCase);
  outcomes.push(outcome(matrixCase, report));
  const errors = report.notifications.errorMessages ?? [];
  expectFaultsHit(matrixCase, report);

  // The export: succeeded, or failed and said so.
  if (report.export.status !== 'SUCCEEDED') expect(errors).not.toEqual([]);
  if (matrixCase.scenario === 'emptied-pool') {
    expect(report.emptiedPool).toMatchObject({
      userItemsAfter: report.emptiedPool?.userItemsBefore,
      errorNotified: true,
    });
  }
  if (matrixCase.scenario === 'departed-users') {
    // The second export removed exactly the departed users' items, or failed and said so.
    const departed = report.departedUsers;
    expect(departed).toBeDefined();
    if (departed?.export.status === 'SUCCEEDED')
      expect(departed.userItemsAfter).toBe(departed.userItemsBefore - departed.departed);
    else expect(errors).not.toEqual([]);
  }
  if (matrixCase.scenario === 'repair') expectRepaired(matrixCase, report);
  if (report.import === undefined) return;
  if (report.import.status === 'SUCCEEDED') {
    // Never "completed successfully" with data missing or a disabled user enabled.
    expect(report.parity).toMatchObject({ ok: true, missingUsers: [], missingMemberships: [] });
    expect(report.restoredPool?.disabledLeftEnabled).toBe(0);
  } else if (matrixCase.faults.some((spec) => spec.startsWith('export-fail'))) {
    // Nothing was written: the failure names the export and its reason.
    expect(report.import.status).toBe('FAILED');
    expect(
      errors.some(
        (message) => NAMES_THE_FAILED_EXPORT.test(message) && /S3AccessDenied|FAILED/.test(message),
      ),
    ).toBe(true);
  } else {
    expect(report.import.status).toBe('FAILED');
    expect(
      errors.some((message) => NAMES_WHAT_IS_MISSING.test(message) && SAYS_HOW_TO_FINISH.test(message)),
    ).toBe(true);
  }
});
