// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run bench`: runs the benchmark cases on the local emulators with AWS-like latency
 * (`--latency aws`) and Cognito's quotas on, writes one JSON file per case and a chart of each
 * achieved rate as a share of its bound.
 *
 *   npm run bench -- [--case <name>]... [--quick] [--out <dir>] [--list]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stopAllEmulatorProcesses } from '../aws/emulators/processes';
import { runLocal, type LocalRunReport, type ProgressEvent } from '../run/local-run';
import {
  CASES,
  CREATE_GROUP_PER_SECOND,
  PAGE_CHAIN_PER_SECOND,
  SMOKE_CASE,
  seedOf,
  type BenchCase,
} from './cases';
import { renderChart } from './chart';

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
  export: WorkflowFigures;
  import?: WorkflowFigures;
  rates: Rate[];
  cognitoCalls: number;
  throttledCalls: number;
  peakRssMb: LocalRunReport['peakRssMb'];
  totalWallMs: number;
}

export interface WorkflowFigures {
  status: string;
  error?: string;
  cause?: string;
  failure?: LocalRunReport['export']['failure'];
  wallMs: number;
  /** Milliseconds of each phase, from the first entry of the state that opens it. */
  phasesMs: Record<string, number>;
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
    ['memberships and disabled flags', 'UpdateNewUsers'],
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

function rate(metric: string, count: number, ms: number | undefined, bound: number, unit: string): Rate[] {
  if (ms === undefined || ms <= 0 || count === 0) return [];
  const achieved = count / (ms / 1000);
  return [{ metric, achieved, bound, ratio: achieved / bound, unit }];
}

export async function runCase(
  benchCase: BenchCase,
  log: (line: string) => void = () => undefined,
): Promise<BenchResult> {
  const seed = seedOf(benchCase);
  const memberships = seed.groups.reduce((n, group) => n + group.members.length, 0);
  const entered = { export: new Map<string, number>(), import: new Map<string, number>() };
  const onProgress = (event: ProgressEvent): void => {
    if (event.kind !== 'state') return;
    const states = entered[event.workflow];
    if (!states.has(event.text)) states.set(event.text, event.elapsedMs);
  };
  const report = await runLocal({
    root: ROOT,
    seed,
    seedSource: `bench case ${benchCase.name}`,
    tps: benchCase.tps,
    latency: 'aws',
    throttling: true,
    onProgress,
    countsEveryMs: 60_000,
  });
  const figures = (workflow: 'export' | 'import'): WorkflowFigures | undefined => {
    const w = report[workflow];
    if (w === undefined) return undefined;
    return {
      status: w.status,
      ...(w.error !== undefined ? { error: w.error, cause: w.cause, failure: w.failure } : {}),
      wallMs: w.wallMs,
      phasesMs: phases(workflow, entered[workflow], w.wallMs),
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
    ...rate('export: users listed', users, exported.phasesMs.users, benchCase.tps * 60, 'users/s'),
    ...(benchCase.oneGroup
      ? rate(
          'export: members of one group',
          memberships,
          exported.phasesMs.groups,
          PAGE_CHAIN_PER_SECOND,
          'memberships/s',
        )
      : benchCase.groups >= 1000
        ? rate('export: groups', benchCase.groups, exported.phasesMs.groups, benchCase.tps, 'groups/s')
        : []),
    ...(benchCase.groups >= 1000
      ? rate(
          'import: groups created',
          succeeded(imported, 'CreateGroup'),
          imported?.phasesMs['groups and CSV import'],
          CREATE_GROUP_PER_SECOND,
          'groups/s',
        )
      : []),
    ...rate(
      'import: memberships and disabled flags',
      succeeded(imported, 'AdminAddUserToGroup') + succeeded(imported, 'AdminDisableUser'),
      imported?.phasesMs['memberships and disabled flags'],
      benchCase.tps,
      'calls/s',
    ),
  ];
  const calls = sum(report.export.cognitoCalls) + sum(report.import?.cognitoCalls ?? {});
  const throttled = sum(report.export.throttled) + sum(report.import?.throttled ?? {});
  const result: BenchResult = {
    case: benchCase.name,
    description: benchCase.description,
    tps: benchCase.tps,
    users,
    groups: seed.groups.length,
    memberships,
    ok: report.ok,
    parityOk: report.parity.ok,
    export: exported,
    ...(imported ? { import: imported } : {}),
    rates,
    cognitoCalls: calls,
    throttledCalls: throttled,
    peakRssMb: report.peakRssMb,
    totalWallMs: report.totalWallMs,
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
    `(${result.import?.historyEvents ?? 0} events); ${rates}; throttled ${result.throttledCalls}/${result.cognitoCalls}`
  );
}

/** The Markdown table of the README's Performance section. */
export function markdownTable(results: BenchResult[]): string {
  const rows = results.flatMap((r) =>
    r.rates.map(
      (rate) =>
        `| ${r.case} | ${r.tps} | ${rate.metric} | ${rate.achieved.toFixed(1)} ${rate.unit} | ${rate.bound} | ${pct(rate.ratio)} | ${(r.export.wallMs / 1000).toFixed(0)} s / ${((r.import?.wallMs ?? 0) / 1000).toFixed(0)} s | ${r.export.historyEvents} / ${r.import?.historyEvents ?? 0} | ${r.throttledCalls} of ${r.cognitoCalls} |`,
    ),
  );
  return [
    '| Case | TPS | Rate | Achieved | Bound | Share | Export / import wall | History events | Throttled |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      case: { type: 'string', multiple: true },
      quick: { type: 'boolean' },
      smoke: { type: 'boolean' },
      out: { type: 'string' },
      list: { type: 'boolean' },
      'chart-only': { type: 'boolean' },
    },
  });
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
    for (const benchCase of selected) {
      console.log(`${benchCase.name}: ${benchCase.description}, TPS ${benchCase.tps}, latency aws ...`);
      const result = await runCase(benchCase, console.log);
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
