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
  /** The planning and the applying executions: wall time and Cognito calls (the benchmark's rates). */
  runs: { plan?: RepairRunFigures; apply?: RepairRunFigures };
}

/** One RepairWorkflow execution as the harness saw it. */
export interface RepairRunFigures {
  status: string;
  executionArn: string;
  wallMs: number;
  /** Cognito calls by operation, throttled ones included. */
  cognitoCalls: Record<string, number>;
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
  /** Runs the RepairWorkflow with `input`: its status, execution ARN, wall time and Cognito calls. */
  runRepair: (input: Record<string, unknown>) => Promise<RepairRunFigures>;
  /** Shares of the damage other than the scenario's (the benchmark damages 1% of the users). */
  damage?: RepairDamage;
  /** Runs the ExportWorkflow again; its status. */
  runExport: () => Promise<{ status: string }>;
  /** The plan object the planning execution wrote. */
  readPlan: (planId: string) => Promise<{ Counts?: Partial<RepairPlanCounts> } | undefined>;
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
  const planned =
    second.status === 'SUCCEEDED'
      ? await context.runRepair({ UserPoolId: userPoolId, AsOf: asOf })
      : undefined;
  const planId = planned?.executionArn.split(':').pop() ?? '';
  const plan = planned?.status === 'SUCCEEDED' ? await context.readPlan(planId) : undefined;
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
      : undefined;

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
    runs: { ...(planned ? { plan: planned } : {}), ...(applied ? { apply: applied } : {}) },
  };
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
    report.verificationMessages === 0
  );
}
