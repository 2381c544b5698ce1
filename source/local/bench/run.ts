// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run bench`: runs the benchmark cases on the local emulators with AWS-like latency
 * (`--latency aws`) and Cognito's quotas on, writes one JSON file per case and a chart of each
 * achieved rate as a share of its bound.
 *
 *   npm run bench -- [--case <name>]... [--quick] [--smoke] [--out <dir>] [--list] [--chart-only] [--help]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stopAllEmulatorProcesses } from '../aws/emulators/processes';
import { DEFAULT_MAX_RECEIVE_WAIT_MS, LocalEnvironment } from '../aws/environment';
import { runLocal, type LocalRunReport, type ProgressEvent } from '../run/local-run';
import type { RepairPlanCounts } from '../run/repair-scenario';
import { coresUsed, loadAverage, sampleCpu, type CpuSample } from './cpu';
import {
  CASES,
  CREATE_GROUP_PER_SECOND,
  PAGE_CHAIN_PER_SECOND,
  REPAIR_GOAL_SHARE,
  RESTORE_GOAL_PER_SECOND,
  SMOKE_CASE,
  seedOf,
  type BenchCase,
} from './cases';
import { renderChart } from './chart';
import { runEmulatorListing } from './emulator-listing';

const ROOT = resolve(__dirname, '..', '..', '..');

export interface Rate {
  metric: string;
  achieved: number;
  bound: number;
  /** achieved / bound */
  ratio: number;
  unit: string;
}

export interface BenchResult {
  case: string;
  description: string;
  tps: number;
  users: number;
  groups: number;
  memberships: number;
  ok: boolean;
  parityOk: boolean;
  /** Why parity failed (counts of what differs), when it did. */
  parityDetail?: string;
  /** The ExportWorkflow alone: parity is the backup table's user items against the pool's users. */
  exportOnly?: boolean;
  /** The machine's 1-minute load average when the case started and when it ended. */
  loadAverage: { start: number; end: number };
  export: WorkflowFigures;
  import?: WorkflowFigures;
  rates: Rate[];
  cognitoCalls: number;
  throttledCalls: number;
  peakRssMb: LocalRunReport['peakRssMb'];
  totalWallMs: number;
  /** The repair case: the plan and the apply (their rates are in `rates`). */
  repair?: RepairFigures;
}

export interface RepairFigures {
  /** The plan's counts (what the 1% damage left to do). */
  plan: RepairPlanCounts;
  /** Users present before and after the damage; those that kept their sub and password after the apply. */
  presentThroughout: number;
  subsKept: number;
  passwordsKept: number;
  parityOk: boolean;
  parityProblems?: string[];
  /** Milliseconds: the recovery point made ready (the point-in-time export), the comparison, the whole execution. */
  planMs: { recoveryPoint: number; compare: number; wall: number };
  applyMs: number;
  planCalls: Record<string, number>;
  applyCalls: Record<string, number>;
  throttled: { plan: number; apply: number };
  status: { plan: string; apply: string };
  goal: number;
}

export interface WorkflowFigures {
  status: string;
  error?: string;
  cause?: string;
  failure?: LocalRunReport['export']['failure'];
  wallMs: number;
  /** Milliseconds of each phase, from the first entry of the state that opens it. */
  phasesMs: Record<string, number>;
  /**
   * Cores each process used during each phase (1.0: one core busy throughout) and the load average
   * when the phase opened. The harness is one Node.js process (Cognito emulator, Step Functions runner,
   * every Lambda): near 1.0 it is CPU-bound whatever the quotas allow.
   */
  phasesCpu: Record<string, { cores: Record<string, number>; loadAverage: number }>;
  historyEvents: number;
  maxStatePayloadBytes: number;
  cognitoCalls: Record<string, number>;
  throttled: Record<string, number>;
}

/** Phases by the state that opens them; a phase lasts until the next one opens (or the workflow ends). */
const PHASES: Record<'export' | 'import', [phase: string, state: string][]> = {
  export: [
    ['users', 'ExportUsersLambda'],
    ['groups', 'ListGroupsLambda'],
    ['cleanup', 'BackupTableCleanup: Find Items'],
  ],
  import: [
    ['groups and CSV import', 'Parallel: Scan table and import users'],
    // They start beside the import once the table scan is over (`Parallel: UpdateNewUsers`); the loop after the
    // import applies the rest.
    ['memberships and disabled flags', 'Parallel: UpdateNewUsers'],
    // The last check lists the whole new pool (one ListUsersInGroup call per group at least): its own phase,
    // so that the membership rate counts only the time the memberships and flags took.
    ['restore check', 'ReconcileNewUserPool'],
    ['notification', 'WorkflowCleanupLambda'],
  ],
};

function phases(
  workflow: 'export' | 'import',
  entered: Map<string, number>,
  wallMs: number,
): Record<string, number> {
  const opened = PHASES[workflow]
    .map(([phase, state]) => ({ phase, at: entered.get(state) }))
    .filter((entry): entry is { phase: string; at: number } => entry.at !== undefined);
  const result: Record<string, number> = {};
  opened.forEach((entry, i) => {
    result[entry.phase] = (opened[i + 1]?.at ?? wallMs) - entry.at;
  });
  return result;
}

const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

function rate(
  metric: string,
  count: number,
  ms: number | undefined,
  bound: number,
  unit: string,
  workflow: WorkflowFigures | undefined,
): Rate[] {
  // A failed workflow's phases end early: no rate.
  if (workflow?.status !== 'SUCCEEDED' || ms === undefined || ms <= 0 || count === 0) return [];
  const achieved = count / (ms / 1000);
  return [{ metric, achieved, bound, ratio: achieved / bound, unit }];
}

/** CPU per phase: from the sample at the state that opens it to the one that opens the next phase (or `end`). */
function phasesCpu(
  workflow: 'export' | 'import',
  samples: Map<string, { cpu: CpuSample; load: number }>,
  end: CpuSample | undefined,
): WorkflowFigures['phasesCpu'] {
  const opened = PHASES[workflow]
    .map(([phase, state]) => ({ phase, sample: samples.get(state) }))
    .filter((entry): entry is { phase: string; sample: { cpu: CpuSample; load: number } } => !!entry.sample);
  const result: WorkflowFigures['phasesCpu'] = {};
  opened.forEach((entry, i) => {
    const to = opened[i + 1]?.sample.cpu ?? end;
    if (to !== undefined)
      result[entry.phase] = { cores: coresUsed(entry.sample.cpu, to), loadAverage: entry.sample.load };
  });
  return result;
}

/** What differs, in counts (the bench's pools are generated: no personal data). */
function parityDetail(report: LocalRunReport): string | undefined {
  if (report.exportParity !== undefined) {
    const e = report.exportParity;
    return e.ok
      ? undefined
      : `backup table holds ${e.userItems} user, ${e.groupItems} group and ${e.membershipItems} membership items; ` +
          `the pool ${e.expectedUsers} users, ${e.expectedGroups} groups and ${e.expectedMemberships} memberships`;
  }
  if (report.repair !== undefined)
    return report.repair.parityOk
      ? undefined
      : `the repaired pool differs: ${(report.repair.parityProblems ?? []).length} problems (first: ${report.repair.parityProblems?.[0] ?? 'none'})`;
  const parity = report.parity;
  if (parity.ok) return undefined;
  if ('skipped' in parity) return `not compared: ${parity.skipped}`;
  const mismatches = parity.mismatches
    .slice(0, 5)
    .map((m) => m.field)
    .join(', ');
  return (
    `missing users ${parity.missingUsers.length}, unexpected users ${parity.unexpectedUsers.length}, ` +
    `missing groups ${parity.missingGroups.length}, missing memberships ${parity.missingMemberships.length}, ` +
    `unexpected memberships ${parity.unexpectedMemberships.length}, mismatches ${parity.mismatches.length}` +
    (mismatches ? ` (${mismatches})` : '') +
    (parity.restoreReport && !parity.restoreReport.ok ? '; the restore report does not match' : '')
  );
}

/** The state whose first entry in the planning execution opens the comparison (after the recovery point). */
const REPAIR_COMPARE_STATE = 'RepairUserPool';

/** The plan and the apply of a repair run, from the scenario's report and the planning execution's states. */
export function repairFigures(
  report: LocalRunReport,
  planStates: ReadonlyMap<string, number> | undefined,
): RepairFigures | undefined {
  const repair = report.repair;
  if (repair === undefined) return undefined;
  const { plan, apply } = repair.runs;
  const planWall = plan?.wallMs ?? 0;
  const compareFrom = planStates?.get(REPAIR_COMPARE_STATE);
  return {
    plan: repair.plan,
    presentThroughout: repair.presentThroughout,
    subsKept: repair.subsKept,
    passwordsKept: repair.passwordsKept,
    parityOk: repair.parityOk,
    ...(repair.parityProblems ? { parityProblems: repair.parityProblems } : {}),
    planMs: {
      recoveryPoint: compareFrom ?? planWall,
      compare: compareFrom === undefined ? 0 : planWall - compareFrom,
      wall: planWall,
    },
    applyMs: apply?.wallMs ?? 0,
    planCalls: plan?.cognitoCalls ?? {},
    applyCalls: apply?.cognitoCalls ?? {},
    throttled: { plan: sum(plan?.throttled ?? {}), apply: sum(apply?.throttled ?? {}) },
    status: { plan: repair.planStatus, apply: repair.status },
    goal: REPAIR_GOAL_SHARE,
  };
}

/**
 * The repair's rates. Planning: the users of the recovery point compared a second, from the first
 * comparison step to the plan written (the point-in-time export before it takes minutes on AWS whatever
 * the pool's size), against the listing bound of CognitoTPS pages of 60 users; and the users and group
 * members listed a second against the same bound. Applying: the Cognito
 * calls answered a second over the whole apply (its verification, the writes and the final check's
 * listing), against CognitoTPS.
 */
export function repairRates(repair: RepairFigures, users: number, memberships: number, tps: number): Rate[] {
  const rates: Rate[] = [];
  if (repair.status.plan === 'SUCCEEDED' && repair.planMs.compare > 0) {
    const seconds = repair.planMs.compare / 1000;
    rates.push({
      metric: 'repair: planning, users compared',
      achieved: users / seconds,
      bound: tps * 60,
      ratio: users / seconds / (tps * 60),
      unit: 'users/s',
    });
    // The plan lists the groups' members too (ListUsersInGroup, 60 a page, the same limiter): the
    // listing's own bound counts both.
    rates.push({
      metric: 'repair: planning, users and members listed',
      achieved: (users + memberships) / seconds,
      bound: tps * 60,
      ratio: (users + memberships) / seconds / (tps * 60),
      unit: 'users and members/s',
    });
  }
  const answered = sum(repair.applyCalls) - repair.throttled.apply;
  if (repair.status.apply === 'SUCCEEDED' && repair.applyMs > 0 && answered > 0) {
    const achieved = answered / (repair.applyMs / 1000);
    rates.push({
      metric: 'repair: apply, Cognito calls',
      achieved,
      bound: tps,
      ratio: achieved / tps,
      unit: 'calls/s',
    });
  }
  return rates;
}

export async function runCase(
  benchCase: BenchCase,
  log: (line: string) => void = () => undefined,
): Promise<BenchResult> {
  const seed = seedOf(benchCase);
  const memberships = seed.groups.reduce((n, group) => n + group.members.length, 0);
  const loadAtStart = loadAverage();
  // The bench starts the emulators itself, to sample their CPU time.
  const environment = await LocalEnvironment.start({
    latency: 'aws',
    maxReceiveWaitMs: DEFAULT_MAX_RECEIVE_WAIT_MS,
  });
  const pids = { dynalite: environment.dynalite.pid, fauxqs: environment.fauxqs.pid };
  const entered = {
    export: new Map<string, number>(),
    import: new Map<string, number>(),
    repair: new Map<string, number>(),
  };
  const samples = {
    export: new Map<string, { cpu: CpuSample; load: number }>(),
    import: new Map<string, { cpu: CpuSample; load: number }>(),
    repair: new Map<string, { cpu: CpuSample; load: number }>(),
  };
  let exportEnd: CpuSample | undefined;
  // The restore check's listing of the new pool's users: from its first invocation to the log line
  // that says the users are listed (epoch ms).
  const checkListing: { from?: number; to?: number } = {};
  const onLambdaLog = (_fn: unknown, line: string): void => {
    if (checkListing.from === undefined || checkListing.to !== undefined) return;
    if (/"message":"New user pool users listed"/.test(line) && /"usersDone":true/.test(line))
      checkListing.to = Date.now();
  };
  // The RepairWorkflow runs twice (plan, then apply): each state is reported once per execution, so a
  // state seen again opens the next one.
  const repairRuns: Map<string, number>[] = [];
  const onProgress = (event: ProgressEvent): void => {
    if (event.kind !== 'state') return;
    if (event.workflow === 'repair') {
      const current = repairRuns.at(-1);
      if (current === undefined || current.has(event.text))
        repairRuns.push(new Map([[event.text, event.elapsedMs]]));
      else current.set(event.text, event.elapsedMs);
    }
    if (event.workflow === 'import' && event.text === 'ReconcileNewUserPool')
      checkListing.from ??= Date.now();
    const states = entered[event.workflow];
    if (states.has(event.text)) return;
    states.set(event.text, event.elapsedMs);
    const cpu = sampleCpu(Date.now(), pids);
    samples[event.workflow].set(event.text, { cpu, load: loadAverage() });
    if (event.workflow === 'import' && exportEnd === undefined) exportEnd = cpu;
  };
  let report: LocalRunReport;
  let end: CpuSample;
  try {
    report = await runLocal({
      root: ROOT,
      seed,
      seedSource: `bench case ${benchCase.name}`,
      tps: benchCase.tps,
      latency: 'aws',
      throttling: true,
      environment,
      onProgress,
      onLambdaLog,
      countsEveryMs: 60_000,
      ...(benchCase.exportOnly ? { exportOnly: true } : {}),
      ...(benchCase.repair ? { scenario: 'repair' as const, repairDamage: benchCase.repair } : {}),
    });
    end = sampleCpu(Date.now(), pids);
  } finally {
    await environment.stop();
  }
  const figures = (workflow: 'export' | 'import'): WorkflowFigures | undefined => {
    const w = report[workflow];
    if (w === undefined) return undefined;
    return {
      status: w.status,
      ...(w.error !== undefined ? { error: w.error, cause: w.cause, failure: w.failure } : {}),
      wallMs: w.wallMs,
      phasesMs: phases(workflow, entered[workflow], w.wallMs),
      phasesCpu: phasesCpu(workflow, samples[workflow], workflow === 'export' ? (exportEnd ?? end) : end),
      historyEvents: w.historyEvents,
      maxStatePayloadBytes: w.maxStatePayloadBytes,
      cognitoCalls: w.cognitoCalls,
      throttled: w.throttled,
    };
  };
  const exported = figures('export') as WorkflowFigures;
  const imported = figures('import');
  const users = seed.users.length;
  /** Calls of an operation Cognito answered without throttling. */
  const succeeded = (w: WorkflowFigures | undefined, operation: string): number =>
    (w?.cognitoCalls[operation] ?? 0) - (w?.throttled[operation] ?? 0);
  const rates: Rate[] = [
    ...rate('export: users listed', users, exported.phasesMs.users, benchCase.tps * 60, 'users/s', exported),
    ...(benchCase.oneGroup
      ? rate(
          'export: members of one group',
          memberships,
          exported.phasesMs.groups,
          PAGE_CHAIN_PER_SECOND,
          'memberships/s',
          exported,
        )
      : benchCase.groups >= 1000
        ? rate(
            'export: groups',
            benchCase.groups,
            exported.phasesMs.groups,
            benchCase.tps,
            'groups/s',
            exported,
          )
        : []),
    ...(benchCase.groups >= 1000
      ? rate(
          'import: groups created',
          succeeded(imported, 'CreateGroup'),
          imported?.phasesMs['groups and CSV import'],
          CREATE_GROUP_PER_SECOND,
          'groups/s',
          imported,
        )
      : []),
    ...(benchCase.restoreRate
      ? [
          ...rate(
            'import: users restored end to end',
            users,
            imported?.wallMs,
            RESTORE_GOAL_PER_SECOND,
            'users/s',
            imported,
          ),
          // The 16 sub partitions at once: CognitoTPS pages of 60 users a second (the groups' members are
          // listed meanwhile through the same limiter).
          ...rate(
            'import: restore check, users listed',
            users,
            checkListing.to !== undefined && checkListing.from !== undefined
              ? checkListing.to - checkListing.from
              : undefined,
            benchCase.tps * 60,
            'users/s',
            imported,
          ),
        ]
      : []),
    ...rate(
      'import: memberships and disabled flags',
      succeeded(imported, 'AdminAddUserToGroup') + succeeded(imported, 'AdminDisableUser'),
      imported?.phasesMs['memberships and disabled flags'],
      benchCase.tps,
      'calls/s',
      imported,
    ),
  ];
  const repair = repairFigures(report, repairRuns[0]);
  if (repair !== undefined) rates.push(...repairRates(repair, users, memberships, benchCase.tps));
  const calls =
    sum(report.export.cognitoCalls) +
    sum(report.import?.cognitoCalls ?? {}) +
    sum(repair?.planCalls ?? {}) +
    sum(repair?.applyCalls ?? {});
  const throttled =
    sum(report.export.throttled) +
    sum(report.import?.throttled ?? {}) +
    (repair ? repair.throttled.plan + repair.throttled.apply : 0);
  const result: BenchResult = {
    case: benchCase.name,
    description: benchCase.description,
    tps: benchCase.tps,
    users,
    groups: seed.groups.length,
    memberships,
    ok: report.ok,
    parityOk: report.exportParity?.ok ?? report.repair?.parityOk ?? report.parity.ok,
    ...(parityDetail(report) !== undefined ? { parityDetail: parityDetail(report) } : {}),
    ...(benchCase.exportOnly ? { exportOnly: true } : {}),
    loadAverage: { start: loadAtStart, end: loadAverage() },
    export: exported,
    ...(imported ? { import: imported } : {}),
    rates,
    cognitoCalls: calls,
    throttledCalls: throttled,
    peakRssMb: report.peakRssMb,
    totalWallMs: report.totalWallMs,
    ...(repair ? { repair } : {}),
  };
  log(summaryLine(result));
  return result;
}

const pct = (ratio: number): string => `${(ratio * 100).toFixed(1)}%`;

export function summaryLine(result: BenchResult): string {
  const rates = result.rates
    .map((r) => `${r.metric} ${r.achieved.toFixed(1)} ${r.unit} = ${pct(r.ratio)} of ${r.bound}`)
    .join('; ');
  return (
    `${result.case}: ${result.ok ? 'OK' : 'FAILED'}, export ${(result.export.wallMs / 1000).toFixed(1)} s ` +
    `(${result.export.historyEvents} events), import ${((result.import?.wallMs ?? 0) / 1000).toFixed(1)} s ` +
    `(${result.import?.historyEvents ?? 0} events); ${rates}; throttled ${result.throttledCalls}/${result.cognitoCalls}; ` +
    `load average ${result.loadAverage.start} at start, ${result.loadAverage.end} at end` +
    (result.repair !== undefined ? `; ${repairLine(result.repair)}` : '') +
    (result.parityDetail !== undefined ? `; parity: ${result.parityDetail}` : '') +
    (result.export.failure !== undefined
      ? `; export failed at ${result.export.failure.state}: ${result.export.failure.error}: ${result.export.failure.message}`
      : '')
  );
}

function repairLine(repair: RepairFigures): string {
  const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  return (
    `repair: plan ${repair.status.plan} in ${seconds(repair.planMs.wall)} (recovery point ${seconds(repair.planMs.recoveryPoint)}, ` +
    `comparison ${seconds(repair.planMs.compare)}; ${sum(repair.planCalls)} calls), apply ${repair.status.apply} in ` +
    `${seconds(repair.applyMs)} (${sum(repair.applyCalls)} calls); plan ${JSON.stringify(repair.plan)}; ` +
    `parity ${repair.parityOk ? 'OK' : 'FAILED'}; subs kept ${repair.subsKept}/${repair.presentThroughout}, ` +
    `passwords kept ${repair.passwordsKept}/${repair.presentThroughout}; throttled ${repair.throttled.plan} in the plan, ` +
    `${repair.throttled.apply} in the apply; goal ${pct(repair.goal)} of each bound`
  );
}

/** A case with another number of users, named after it so that its result does not replace the case's. */
export function withUsers(benchCase: BenchCase, users: number): BenchCase {
  return {
    ...benchCase,
    name: `${benchCase.name}-${users}-users`,
    description: `${benchCase.description}, with ${users.toLocaleString('en-US')} users instead`,
    users,
  };
}

/** 'OK', or what failed: the failed state and its error, or what parity found. */
export function outcome(r: BenchResult): string {
  if (r.ok) return 'OK';
  const failed = [r.export, r.import].find((w) => w?.failure !== undefined)?.failure;
  if (failed !== undefined) return `failed: ${failed.state} (${failed.error})`;
  return `failed: ${r.parityDetail ?? 'parity'}`;
}

/** The Markdown table of docs/performance.md. */
export function markdownTable(results: BenchResult[]): string {
  const rows = results.flatMap((r) =>
    r.rates.map(
      (rate) =>
        `| ${r.case} | ${r.tps} | ${rate.metric} | ${rate.achieved.toFixed(1)} ${rate.unit} | ${rate.bound} | ${pct(rate.ratio)} | ${(r.export.wallMs / 1000).toFixed(0)} s / ${r.import ? `${(r.import.wallMs / 1000).toFixed(0)} s` : '-'} | ${r.export.historyEvents} / ${r.import?.historyEvents ?? '-'} | ${r.throttledCalls} of ${r.cognitoCalls} | ${r.loadAverage ? `${r.loadAverage.start} / ${r.loadAverage.end}` : '?'} | ${outcome(r)} |`,
    ),
  );
  return [
    '| Case | TPS | Rate | Achieved | Bound | Share | Export / import wall | History events | Throttled | Load average (start / end) | Result |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

export const BENCH_USAGE = `Usage: npm run bench -- [options]

Runs the benchmark cases on the local emulators with AWS-like latency (--latency aws) and Cognito's
quotas on; writes <out>/<case>.json per case, then <out>/bench.md and <out>/bench.svg from every
case result in <out>.

  --list               the cases, with (quick) on those of --quick
  --case <name>        one case (repeatable)
  --quick              the smaller matrix
  --smoke              one small case through both workflows
  --users <n>          run the selected cases with n users instead (same shape; the result is
                       named <case>-<n>-users), to iterate on a long case
  --out <dir>          where to write (default bench-results, relative to where you ran npm)
  --chart-only         only the table and the chart again, from the JSON files in <out>
  -h, --help           this help

With no case option every case runs (hours: 10,000 groups restore at 5 groups a second).`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      case: { type: 'string', multiple: true },
      quick: { type: 'boolean' },
      smoke: { type: 'boolean' },
      users: { type: 'string' },
      out: { type: 'string' },
      list: { type: 'boolean' },
      'chart-only': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(BENCH_USAGE);
    return;
  }
  if (values.list) {
    for (const c of [...CASES, SMOKE_CASE])
      console.log(`${c.name.padEnd(22)} ${c.description}, TPS ${c.tps}${c.quick ? ' (quick)' : ''}`);
    return;
  }
  const out = resolve(process.env.INIT_CWD ?? process.cwd(), values.out ?? 'bench-results');
  mkdirSync(out, { recursive: true });
  if (!values['chart-only']) {
    const known = new Map([...CASES, SMOKE_CASE].map((c) => [c.name, c]));
    const selected = values.case?.length
      ? values.case.map((name) => {
          const found = known.get(name);
          if (found === undefined) throw new Error(`unknown case ${name} (npm run bench -- --list)`);
          return found;
        })
      : values.smoke
        ? [SMOKE_CASE]
        : values.quick
          ? CASES.filter((c) => c.quick)
          : [...CASES];
    const users = values.users === undefined ? undefined : Number(values.users);
    if (users !== undefined && !(Number.isInteger(users) && users > 0))
      throw new Error(`--users takes a whole number of users above zero, not ${values.users}`);
    const cases = users === undefined ? selected : selected.map((c) => withUsers(c, users));
    for (const benchCase of cases) {
      console.log(`${benchCase.name}: ${benchCase.description}, TPS ${benchCase.tps}, latency aws ...`);
      const result = benchCase.emulatorOnly
        ? await runEmulatorListing(benchCase.name, benchCase.description)
        : await runCase(benchCase, console.log);
      if (benchCase.emulatorOnly) console.log(summaryLine(result));
      writeFileSync(join(out, `${benchCase.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    }
  }
  // The table and the chart cover every case result in the directory (earlier runs included).
  const results = readdirSync(out)
    .filter((file) => file.endsWith('.json'))
    .map((file) => JSON.parse(readFileSync(join(out, file), 'utf8')) as BenchResult)
    .sort((a, b) => a.case.localeCompare(b.case));
  writeFileSync(join(out, 'bench.md'), `${markdownTable(results)}\n`);
  writeFileSync(join(out, 'bench.svg'), await renderChart(results));
  console.log(`Wrote ${results.length} case result(s), bench.md and bench.svg to ${out}`);
}

if (require.main === module) {
  main()
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    })
    .finally(() => stopAllEmulatorProcesses());
}
