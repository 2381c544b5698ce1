// SPDX-License-Identifier: Apache-2.0
/**
 * `--scenario repair`: after the first export, every user gets a password (the emulator keeps its
 * digest), the source pool is damaged (damage.ts: 30% of the users' custom attribute overwritten, 5%
 * deleted, 2% disabled, a group deleted, another changed, 3 users created after), the ExportWorkflow
 * runs again (the live backup table now holds the damage), then the RepairWorkflow plans against the
 * first export's recovery point (`AsOf`, a time between the two exports: DynamoDB exports the table as
 * it was then), applies the plan, and the pool is checked:
 *
 * - the plan's counts equal the damage, counted from the pool before and after it (the users the
 *   solution does not back up aside);
 * - the pool equals the pool as exported (parity), apart from the users created since, which are
 *   still there and untouched;
 * - every user present throughout keeps its `sub` and password; no verification message was sent.
 *
 * With the fault `repair-change-before-apply`, one user the plan sets back is changed again between
 * the plan and its apply (as an administrator could): the apply must refuse the plan before any write
 * and say so in its notification, counts only; the scenario then does what the notification says
 * (plans again) and applies the new plan.
 *
 * The emulated point-in-time window ends now (local-emulation: no 5-minute lag), so an `AsOf` a second
 * after the first export is restorable at once; export times are in whole seconds on the wire, so the
 * scenario waits until that second has passed before the damage reaches the table.
 */
import type { CognitoEmulator } from '../cognito';
import { damagePool, type DamageOptions, type DamageReport } from './damage';
import { comparePools, exclusionReason, userKey, type PoolContent, type SnapshotUser } from './parity';

export interface RepairPlanCounts {
  usersToCreate: number;
  usersToUpdate: number;
  flagsToChange: number;
  groupsToCreate: number;
  groupsToUpdate: number;
  membershipsToAdd: number;
  addedSince: number;
}

export interface RepairScenarioReport {
  /** The plan's counts, as the plan in the bucket has them. */
  plan: RepairPlanCounts;
  /** What the damage did, counted from the pool before and after it. */
  expected: RepairPlanCounts;
  damage: DamageReport;
  planId: string;
  /** The planning execution's status. */
  planStatus: string;
  /** The apply's status. */
  status: string;
  parityOk: boolean;
  /** What parity found, when not ok (keys and field names; the local pool's made-up values). */
  parityProblems?: string[];
  /** Users present before the damage and not deleted by it. */
  presentThroughout: number;
  subsKept: number;
  passwordsKept: number;
  /** The users created since the backup are still there, unchanged. */
  createdSinceUntouched: boolean;
  verificationMessages: number;
  /** What the plan compared the pool with: the `AsOf` between the two exports. */
  recoveryPoint: string;
  /** The second export's status (after the damage). */
  secondExportStatus: string;
  /** Users of the pool before the damage and after the apply (the users created since included). */
  poolUsers: { before: number; after: number };
  /** The final repair report's rows, counted by `<action>:<outcome>` (e.g. `create:done`). */
  reportRows: Record<string, number>;
  /** The apply's RepairWorkflow execution: wall time, and calls Cognito answered TooManyRequests. */
  apply: { wallMs: number; throttled: number };
  /** `repair-change-before-apply`: the apply of the first plan, after one planned user changed. */
  refused?: RefusedApply;
  /** The planning and the applying executions: wall time and Cognito calls (the benchmark's rates). */
  runs: { plan?: RepairRunFigures; apply?: RepairRunFigures };
}

export interface RefusedApply {
  status: string;
  error?: string;
  /** The error notifications the refused apply sent (the operator's message). */
  notifications: string[];
  /** The pool after the refused apply equals the pool before it: nothing was written. */
  poolUnchanged: boolean;
  /** The plan the run made again, as the notification says to. */
  replannedId: string;
}

/** One RepairWorkflow execution as the harness saw it. */
export interface RepairRunFigures {
  status: string;
  executionArn: string;
  error?: string;
  wallMs: number;
  /** Cognito calls by operation, throttled ones included. */
  cognitoCalls: Record<string, number>;
  /** Calls Cognito answered TooManyRequestsException, by operation. */
  throttled: Record<string, number>;
}

/** The damage's shares (damage.ts); the scenario's defaults when absent. */
export type RepairDamage = Pick<DamageOptions, 'overwriteShare' | 'deleteShare' | 'disableShare' | 'groups'>;

const CREATED_AFTER = 3;

const keyOf = (user: SnapshotUser): string => user.username;

/** The plan's expected counts: the difference between the pool before and after the damage. */
export function expectedPlan(before: PoolContent, after: PoolContent): RepairPlanCounts {
  const backedUp = before.users.filter((user) => exclusionReason(user) === undefined);
  const afterByKey = new Map(after.users.map((user) => [keyOf(user), user]));
  const beforeKeys = new Set(before.users.map(keyOf));
  let usersToCreate = 0;
  let usersToUpdate = 0;
  let flagsToChange = 0;
  for (const user of backedUp) {
    const now = afterByKey.get(keyOf(user));
    if (now === undefined) {
      usersToCreate += 1;
      continue;
    }
    if (now.enabled !== user.enabled) flagsToChange += 1;
    if (
      JSON.stringify(Object.entries(now.attributes).sort()) !==
      JSON.stringify(Object.entries(user.attributes).sort())
    )
      usersToUpdate += 1;
  }
  const excluded = new Set(before.users.filter((user) => exclusionReason(user) !== undefined).map(keyOf));
  const afterGroups = new Map(after.groups.map((group) => [group.name, group]));
  let groupsToCreate = 0;
  let groupsToUpdate = 0;
  let membershipsToAdd = 0;
  for (const group of before.groups) {
    const now = afterGroups.get(group.name);
    if (now === undefined) groupsToCreate += 1;
    else if ((now.description ?? '') !== (group.description ?? '') || now.precedence !== group.precedence)
      groupsToUpdate += 1;
    const members = new Set(now?.members ?? []);
    membershipsToAdd += group.members.filter(
      (member) => !excluded.has(member) && !members.has(member),
    ).length;
  }
  return {
    usersToCreate,
    usersToUpdate,
    flagsToChange,
    groupsToCreate,
    groupsToUpdate,
    membershipsToAdd,
    addedSince: after.users.filter((user) => !beforeKeys.has(keyOf(user))).length,
  };
}

export interface RepairScenarioContext {
  cognito: CognitoEmulator;
  userPoolId: string;
  seed: number;
  usernameAttribute: string | readonly string[] | undefined;
  poolContent: () => PoolContent;
  /** Runs the RepairWorkflow with `input`; its status, execution ARN, error, wall time and throttled calls. */
  runRepair: (input: Record<string, unknown>) => Promise<RepairExecution>;
  /** Shares of the damage other than the scenario's (the benchmark damages 1% of the users). */
  damage?: RepairDamage;
  /** Runs the ExportWorkflow again; its status. */
  runExport: () => Promise<{ status: string }>;
  /** The plan object the planning execution wrote. */
  readPlan: (planId: string) => Promise<PlanFile | undefined>;
  /** The repair report CSV an apply of this plan wrote (the last, when several did). */
  readReport: (planId: string) => Promise<string | undefined>;
  /** The messages of the error notifications sent so far. */
  errorNotifications: () => Promise<string[]>;
  /** `repair-change-before-apply`: change a planned user between the plan and the apply. */
  changeBeforeApply?: boolean;
}

export type RepairExecution = RepairRunFigures;

/** What the scenario reads of a plan. */
export interface PlanFile {
  Counts?: Partial<RepairPlanCounts>;
  Users?: { Username: string; PoolUsername?: string; Actions?: string[] }[];
}

/** Rows of a repair report counted by `<action>:<outcome>`. */
export function countReportRows(csv: string | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  // oldSub,newSub,username,action,outcome,reason: subs and actions hold no comma, nor do the generated usernames.
  for (const line of (csv ?? '').split('\n').slice(1)) {
    const [, , , action, outcome] = line.split(',');
    if (action === undefined || outcome === undefined) continue;
    counts[`${action}:${outcome}`] = (counts[`${action}:${outcome}`] ?? 0) + 1;
  }
  return counts;
}

export async function runRepairScenario(context: RepairScenarioContext): Promise<RepairScenarioReport> {
  const { cognito, userPoolId } = context;
  const store = cognito.store;
  const pool = store.requirePool(userPoolId);
  for (const user of pool.users.values()) store.setUserPassword(user, `password-of-${user.sub}`);
  const identity = () =>
    new Map(
      [...pool.users.values()].map((user) => [
        user.username,
        { sub: user.sub, password: user.passwordDigest },
      ]),
    );
  const before = context.poolContent();
  const messagesBefore = store.verificationMessages;
  // The first export is finished: the recovery point is the next whole second, once it has passed.
  const asOf = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000).toISOString();
  while (Date.now() <= Date.parse(asOf) + 10) await new Promise((resolve) => setTimeout(resolve, 50));

  const damage = damagePool(store, userPoolId, {
    ...context.damage,
    seed: context.seed,
    createdAfter: CREATED_AFTER,
  });
  const afterDamage = context.poolContent();
  const survivors = identity();
  const beforeKeys = new Set(before.users.map(keyOf));
  const created = afterDamage.users.filter((user) => !beforeKeys.has(keyOf(user)));
  const expected = expectedPlan(before, afterDamage);

  const second = await context.runExport();
  const notStarted: RepairExecution = {
    status: 'NOT_STARTED',
    executionArn: '',
    wallMs: 0,
    cognitoCalls: {},
    throttled: {},
  };
  const planRepair = (): Promise<RepairExecution> =>
    second.status === 'SUCCEEDED'
      ? context.runRepair({ UserPoolId: userPoolId, AsOf: asOf })
      : Promise.resolve(notStarted);
  let planned = await planRepair();
  let planId = planned.executionArn.split(':').pop() ?? '';
  let plan = planned.status === 'SUCCEEDED' ? await context.readPlan(planId) : undefined;
  let refused: RefusedApply | undefined;
  if (context.changeBeforeApply === true && plan !== undefined) {
    refused = await applyChangedPlan(context, plan, planId, damage.attribute);
    planned = await planRepair();
    planId = planned.executionArn.split(':').pop() ?? '';
    refused.replannedId = planId;
    plan = planned.status === 'SUCCEEDED' ? await context.readPlan(planId) : undefined;
  }
  const counts: RepairPlanCounts = {
    usersToCreate: plan?.Counts?.usersToCreate ?? -1,
    usersToUpdate: plan?.Counts?.usersToUpdate ?? -1,
    flagsToChange: plan?.Counts?.flagsToChange ?? -1,
    groupsToCreate: plan?.Counts?.groupsToCreate ?? -1,
    groupsToUpdate: plan?.Counts?.groupsToUpdate ?? -1,
    membershipsToAdd: plan?.Counts?.membershipsToAdd ?? -1,
    addedSince: plan?.Counts?.addedSince ?? -1,
  };
  const applied =
    planned?.status === 'SUCCEEDED'
      ? await context.runRepair({ UserPoolId: userPoolId, Apply: planId })
      : notStarted;

  const after = context.poolContent();
  const parity = comparePools(before, after, context.usernameAttribute);
  // Parity names users as people know them (the e-mail address or phone number in such pools).
  const parityKey = (user: SnapshotUser): string => userKey(user, context.usernameAttribute);
  const createdKeys = new Set(created.map(parityKey));
  const beforeParityKeys = new Set(before.users.map(parityKey));
  const problems = [
    ...parity.missingUsers.map((key) => `missing user ${key}`),
    // Users created since, and users the backup leaves out by design (federated), are expected there.
    ...parity.unexpectedUsers
      .filter((key) => !createdKeys.has(key) && !beforeParityKeys.has(key))
      .map((key) => `unexpected user ${key}`),
    ...parity.missingGroups.map((name) => `missing group ${name}`),
    ...parity.missingMemberships.map((m) => `missing membership ${m.group}/${m.user}`),
    ...parity.mismatches.map((m) => `${m.item}: ${m.field}`),
  ];
  const now = identity();
  let presentThroughout = 0;
  let subsKept = 0;
  let passwordsKept = 0;
  for (const user of before.users) {
    const survived = survivors.get(user.username);
    if (survived === undefined) continue;
    presentThroughout += 1;
    const current = now.get(user.username);
    if (current?.sub === user.sub) subsKept += 1;
    if (current?.password !== undefined && current.password === survived.password) passwordsKept += 1;
  }
  const afterByKey = new Map(after.users.map((user) => [keyOf(user), user]));
  const createdSinceUntouched = created.every(
    (user) => JSON.stringify(afterByKey.get(keyOf(user))) === JSON.stringify(user),
  );
  return {
    plan: counts,
    expected,
    damage,
    planId,
    planStatus: planned?.status ?? 'NOT_STARTED',
    status: applied?.status ?? 'NOT_STARTED',
    parityOk: problems.length === 0,
    ...(problems.length > 0 ? { parityProblems: problems.slice(0, 20) } : {}),
    presentThroughout,
    subsKept,
    passwordsKept,
    createdSinceUntouched,
    verificationMessages: store.verificationMessages - messagesBefore,
    recoveryPoint: `AsOf ${asOf} (between the first export and the second, which holds the damage)`,
    secondExportStatus: second.status,
    poolUsers: { before: before.users.length, after: after.users.length },
    reportRows: countReportRows(
      applied.status === 'NOT_STARTED' ? undefined : await context.readReport(planId),
    ),
    apply: {
      wallMs: applied.wallMs,
      throttled: Object.values(applied.throttled).reduce((sum, count) => sum + count, 0),
    },
    ...(refused !== undefined ? { refused } : {}),
    runs: {
      ...(planned.status !== 'NOT_STARTED' ? { plan: planned } : {}),
      ...(applied.status !== 'NOT_STARTED' ? { apply: applied } : {}),
    },
  };
}

/**
 * `repair-change-before-apply`: changes the damaged attribute of the first user the plan sets back, as
 * an administrator could after the plan, then applies the plan: it must be refused without a write.
 */
async function applyChangedPlan(
  context: RepairScenarioContext,
  plan: PlanFile,
  planId: string,
  attribute: string,
): Promise<RefusedApply> {
  const store = context.cognito.store;
  const pool = store.requirePool(context.userPoolId);
  const entry = plan.Users?.find((user) => user.Actions?.includes('set-attributes') === true);
  const user = store.findUser(pool, entry?.PoolUsername ?? entry?.Username ?? '');
  if (user === undefined)
    throw new Error('repair-change-before-apply: the plan sets back no user of the pool');
  user.attributes[attribute] = `${user.attributes[attribute] ?? ''}-changed-after-the-plan`;
  const before = JSON.stringify(context.poolContent());
  const notified = (await context.errorNotifications()).length;
  const applied = await context.runRepair({ UserPoolId: context.userPoolId, Apply: planId });
  return {
    status: applied.status,
    ...(applied.error !== undefined ? { error: applied.error } : {}),
    notifications: (await context.errorNotifications()).slice(notified),
    poolUnchanged: JSON.stringify(context.poolContent()) === before,
    replannedId: '',
  };
}

/** The refused apply of `repair-change-before-apply`: FAILED, refused by name, notified, nothing written. */
export function refusalOk(refused: RefusedApply | undefined): boolean {
  return (
    refused !== undefined &&
    refused.status === 'FAILED' &&
    refused.error === 'PlanOutdatedError' &&
    refused.poolUnchanged &&
    refused.notifications.some((message) => /changed since/.test(message) && /[Pp]lan again/.test(message))
  );
}

/** Result OK: the plan counted exactly the damage, and the apply undid it without touching anyone else. */
export function repairScenarioOk(report: RepairScenarioReport): boolean {
  return (
    report.secondExportStatus === 'SUCCEEDED' &&
    report.planStatus === 'SUCCEEDED' &&
    report.status === 'SUCCEEDED' &&
    JSON.stringify(report.plan) === JSON.stringify(report.expected) &&
    report.expected.addedSince === CREATED_AFTER &&
    report.parityOk &&
    report.subsKept === report.presentThroughout &&
    report.passwordsKept === report.presentThroughout &&
    report.createdSinceUntouched &&
    report.verificationMessages === 0 &&
    (report.refused === undefined || refusalOk(report.refused))
  );
}
