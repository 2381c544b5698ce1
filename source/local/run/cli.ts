// SPDX-License-Identifier: Apache-2.0
/**
 * `npm start` / `npm run local -- <options>`: both workflows end to end on the local emulators.
 * Exit code 0 only when both workflows succeeded and the restored pool matches the source.
 */
import { accessSync, appendFileSync, constants, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stopAllEmulatorProcesses } from '../aws/emulators/processes';
import { type CfnTemplate, loadTemplate } from '../deploy/cfn-template';
import { MAIN_TEMPLATE, STACKSET_TEMPLATE } from '../deploy/deployment';
import { DEFAULT_MAX_RECEIVE_WAIT_MS } from '../aws/environment';
import { FaultSpecError, type FaultPlan, parseFaults } from './faults';
import {
  type LocalRunOptions,
  type LocalRunReport,
  type RestoreExportPlan,
  type ProgressEvent,
  runLocal,
  type Scenario,
  SCENARIOS,
} from './local-run';
import { firstLine, formatSummary, plural } from './report';
import { prepareRestoreExport, RestoreExportError, TableExportError } from './restore-export';
import { fitLine } from './progress';
import { refusalHint } from './failure';
import { generateSeed, importWarnings, loadSeedFile, SeedError, type SeedFile } from './seed';
import { DEFAULT_MAX_WAIT_MS } from '../aws/step-functions';

export const USAGE = `Usage: npm start -- [options]      (or: npm run local -- [options])

Runs the real ExportWorkflow and ImportWorkflow (from deployment/*.yaml) on local emulators, with no
AWS account: seeds a user pool, exports it, restores it into a new empty pool and compares the two.

Check a real snapshot offline:
  --restore-export <dir>             restore a table export downloaded with
                                     aws s3 cp --recursive s3://<SnapshotBucket>/snapshots/<id>/ <dir>
                                     into a new local pool (from the export's recorded pool
                                     configuration, else the --seed file's userPool) and compare it
                                     with the export's items (and the --seed file's users if given)

Seed (one of):
  --seed <file.json>                 a seed file (format in docs/local-run.md)
  --users <n>                        generated users (default 1000)
  --groups <n>                       generated groups (default 10)
  --username-attributes <a>          none | email | phone_number (default none)
  --federated-users <n>              generated federated users, excluded by design (default 2;
                                     pools without a username attribute only)
  --random-seed <n>                  generator seed (default 1)

Run:
  --tps <n>                          COGNITO_TPS of the Lambdas: a CognitoTPS value the template
                                     allows (default 10, as the template)
  --latency <none|aws>               Cognito latency per call (aws: ListUsers ~400 ms, others ~100 ms)
  --no-throttling                    turn off the emulated Cognito request quotas
  --sns-preference <p>               INFO_AND_ERRORS (default) | ERRORS_ONLY
  --parameter <Name>=<Value>         a main-template parameter, as an operator sets it (repeatable),
                                     e.g. --parameter AllowMfaUserPools=Yes
  --target-mfa <m>                   MFA of the restore target: OFF | ON | OPTIONAL (default: the source's)
                                     (the seed's targetUserPool describes the whole restore target)
  --create-target-pool               the ImportWorkflow creates the restore target from the backup
                                     (CreateUserPool) instead of the run; parity also compares the
                                     configuration (settings, schema, MFA, app clients, resource
                                     servers, identity providers) and the client id map
  --import-input <json>              fields added to the ImportWorkflow's input (the run sets
                                     NewUserPoolId), e.g. '{"DropAttributes":["custom:plan"]}'
  --max-wait-ms <n>                  longest real wait of a Wait state (default ${DEFAULT_MAX_WAIT_MS})
  --max-receive-wait-ms <n>          longest wait of an empty SQS long poll (default ${DEFAULT_MAX_RECEIVE_WAIT_MS})

Output (relative paths resolve against the directory you ran the command from):
  --report <path>                    write the JSON report
  --lambda-logs <path>               write the Lambda functions' log lines (JSON) to a file
  --quiet                            only the summary
  -h, --help                         this help

Faults (docs/local-run.md, "Fault injection"):
  --fault <spec>                     repeatable: cognito-throttle=<scale>, cognito-500=<share>,
                                     cognito-drop=<share>, ddb-unprocessed=<share>,
                                     ddb-throughput=<share>, crash=<target>:<point>[:<n>],
                                     import-job-ms-per-kb=<n>, short-timeouts,
                                     crash: <target> is a Lambda logical id or a Task state name
                                     (e.g. ReconcileNewUserPool); <point> is after-receive |
                                     after-job-start | after-work; <n> crashes only the n-th
                                     invocation of <target> (1-based, retries count), otherwise
                                     the first that reaches <point>;
                                     lose-users=<n> (deleted from the new pool before the
                                     reconciliation; the run then resumes the restore once),
                                     tamper-attribute=<share> (users changed in the new pool
                                     before the reconciliation, which must set them right),
                                     export-fail[=<n>|=<prefix>] (the n-th table export of the
                                     run, 1 by default, or the first whose S3 prefix starts with
                                     <prefix>, ends FAILED after writing part of its files),
                                     timeout=<LogicalId>:<seconds> (that function's Timeout; at 60,
                                     its reserve, a function that works in slices does one an
                                     invocation)
                                     repair-change-before-apply (--scenario repair: a user the
                                     plan sets back is changed between the plan and the apply,
                                     which must refuse the plan; the run then plans again)
  --scenario emptied-pool            export, delete every user of the source pool, export again,
                                     then restore
  --scenario departed-users          export, delete one user in 20 from the source pool, export
                                     again (its cleanup deletes their items), then restore
  --scenario repair                  export, damage the source pool (30% of the users' custom
                                     attribute overwritten, 5% deleted, 2% disabled, a group deleted,
                                     another changed, 3 users created after), export again, plan a
                                     repair against the first export's recovery point (AsOf) with the
                                     RepairWorkflow (AllowRepair=Yes), apply it, and check the pool:
                                     sub and password kept, parity
  --scenario point-in-time           export (with a snapshot), damage the pool (one custom attribute
                                     of 30% of the users overwritten, 5% deleted, 2% disabled, a
                                     group deleted, another changed; drawn with --random-seed),
                                     export again, then restore AsOf a time between the exports
                                     into one new pool and from the first snapshot into another;
                                     both must match the pool before the damage
  --scenario v1-table                export, write the table's memberships again as v1.0.10 does
                                     (groups after the first 60 name members by their Cognito
                                     Username in e-mail and phone pools), then restore; e.g.
                                     --username-attributes email --groups 65 --users 200
  --scenario drill                   export, then run the RestoreDrillWorkflow (RestoreDrillRegion
                                     PRIMARY): the ImportWorkflow restores into a scratch pool it
                                     creates from the backup, which the drill then deletes; the
                                     report gets drill: { status, sampled, usersRestored, parityOk,
                                     projectedRestoreMinutes, scratchPoolDeleted, alarms }
                                     (alarms: each drill and backup alarm's state, evaluated
                                     locally; --fault lose-users=3 fails the drill's restore)

Exit code: 0 when both workflows succeeded and parity holds; 1 otherwise; 2 for bad options or seed.`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Printed under a usage error instead of the whole help. */
export const HELP_POINTER = 'Run `npm start -- --help` for the options.';

/** Edit distance, for "did you mean" on a mistyped option. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The known option nearest to an unknown one, when it is near enough to be a typo. */
export function nearestOption(unknown: string, known: readonly string[]): string | undefined {
  const name = unknown.replace(/^-+/, '').split('=')[0] ?? '';
  let best: { option: string; cost: number } | undefined;
  for (const option of known) {
    const cost = option.startsWith(name) && name.length >= 3 ? 0 : distance(name, option);
    if (best === undefined || cost < best.cost) best = { option, cost };
  }
  return best !== undefined && best.cost <= Math.max(2, Math.floor(name.length / 3))
    ? best.option
    : undefined;
}

/** `--import-input`: a JSON object of ImportWorkflow input fields; the pool id is the run's own. */
function importInputFields(json: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new UsageError('--import-input must be a JSON object, e.g. \'{"DropAttributes":["custom:plan"]}\'');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError('--import-input must be a JSON object, e.g. \'{"DropAttributes":["custom:plan"]}\'');
  if ('NewUserPoolId' in parsed)
    throw new UsageError(
      '--import-input cannot set NewUserPoolId: the run restores into the pool it creates',
    );
  return parsed as Record<string, unknown>;
}

export interface CliOptions {
  seedFile?: string;
  users: number;
  groups: number;
  usernameAttribute: 'none' | 'email' | 'phone_number';
  federatedUsers: number;
  randomSeed: number;
  tps: number;
  latency: 'none' | 'aws';
  throttling: boolean;
  snsPreference: 'INFO_AND_ERRORS' | 'ERRORS_ONLY';
  /** `--parameter Name=Value`, checked against the main template. */
  parameters: Record<string, string>;
  targetMfa?: 'OFF' | 'ON' | 'OPTIONAL';
  /** `--import-input`: fields added to the ImportWorkflow's input. */
  importInput?: Record<string, unknown>;
  /** `--create-target-pool`: the ImportWorkflow creates the restore target from the backup. */
  createTargetPool?: boolean;
  maxWaitMs: number;
  maxReceiveWaitMs: number;
  report?: string;
  lambdaLogs?: string;
  quiet: boolean;
  help: boolean;
  /** The `--fault` specs, parsed. */
  faults?: FaultPlan;
  scenario?: Scenario;
  /** `--restore-export`: a downloaded table export to restore. */
  restoreExport?: string;
}

function integer(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
  if (!/^\d+$/.test(value))
    throw new UsageError(`--${name} must be a whole number ${range} (found "${value}")`);
  const parsed = Number(value);
  if (parsed < min || parsed > max) throw new UsageError(`--${name} must be ${range} (found ${parsed})`);
  return parsed;
}

function oneOf<T extends string>(
  value: string | undefined,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (found "${value}")`);
  }
  return value as T;
}

const ROOT = resolve(__dirname, '..', '..', '..');

/** The `AllowedValues` of a parameter of the main template, as strings (none: any value). */
const templates = new Map<string, CfnTemplate>();

export function templateAllowedValues(parameter: string, root = ROOT): string[] | undefined {
  const path = join(root, MAIN_TEMPLATE);
  const template = templates.get(path) ?? loadTemplate(path);
  templates.set(path, template);
  const spec = template.Parameters?.[parameter];
  return spec?.AllowedValues?.map((value) => (typeof value === 'string' ? value : JSON.stringify(value)));
}

/** A value the template restricts with `AllowedValues`, refused with the allowed values. */
function templateValue(value: string, option: string, parameter: string): string {
  const allowed = templateAllowedValues(parameter);
  if (allowed !== undefined && !allowed.includes(value)) {
    throw new UsageError(
      `--${option} must be one of the values the template allows for ${parameter}: ${allowed.join(', ')} (found "${value}")`,
    );
  }
  return value;
}

/**
 * `--parameter Name=Value` entries: each name a parameter of the main template, each value one it
 * allows (`AllowedValues`, `AllowedPattern`); a name given twice is refused.
 */
export function templateParameters(entries: readonly string[], root = ROOT): Record<string, string> {
  const path = join(root, MAIN_TEMPLATE);
  const template = templates.get(path) ?? loadTemplate(path);
  templates.set(path, template);
  const parameters: Record<string, string> = {};
  for (const entry of entries) {
    const match = /^([A-Za-z0-9]+)=(.*)$/s.exec(entry);
    if (!match) throw new UsageError(`--parameter must be <Name>=<Value> (found "${entry}")`);
    const [, name = '', value = ''] = match;
    const spec = template.Parameters?.[name];
    if (spec === undefined) {
      throw new UsageError(
        `--parameter ${name}: the main template has no such parameter (it has ${Object.keys(template.Parameters ?? {}).join(', ')})`,
      );
    }
    if (name in parameters) throw new UsageError(`--parameter ${name} is given twice`);
    if (name === 'PrimaryUserPoolId') {
      throw new UsageError('--parameter PrimaryUserPoolId: the local run backs up the pool it seeds');
    }
    templateValue(value, `parameter ${name}`, name);
    const pattern = (spec as { AllowedPattern?: string }).AllowedPattern;
    if (pattern !== undefined && !new RegExp(pattern).test(value)) {
      throw new UsageError(
        `--parameter ${name} must match the template's pattern ${pattern} (found "${value}")`,
      );
    }
    parameters[name] = value;
  }
  return parameters;
}

/** Options that take a value, so that `--users -5` reads -5 as the value (parseArgs would call it ambiguous). */
const VALUE_OPTIONS = new Set([
  '--users',
  '--groups',
  '--federated-users',
  '--random-seed',
  '--tps',
  '--max-wait-ms',
  '--max-receive-wait-ms',
]);

function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] ?? '';
    const next = argv[index + 1];
    if (VALUE_OPTIONS.has(arg) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      index += 1;
    } else out.push(arg);
  }
  return out;
}

const OPTIONS = {
  seed: { type: 'string' },
  users: { type: 'string' },
  groups: { type: 'string' },
  'username-attributes': { type: 'string' },
  'federated-users': { type: 'string' },
  'random-seed': { type: 'string' },
  tps: { type: 'string' },
  latency: { type: 'string' },
  'no-throttling': { type: 'boolean' },
  'sns-preference': { type: 'string' },
  parameter: { type: 'string', multiple: true },
  'target-mfa': { type: 'string' },
  'import-input': { type: 'string' },
  'create-target-pool': { type: 'boolean' },
  'max-wait-ms': { type: 'string' },
  'max-receive-wait-ms': { type: 'string' },
  report: { type: 'string' },
  'lambda-logs': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  fault: { type: 'string', multiple: true },
  scenario: { type: 'string' },
  'restore-export': { type: 'string' },
} as const;

export function parseCliArgs(argv: string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv),
      strict: true,
      allowPositionals: false,
      options: OPTIONS,
    });
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
    const suggestion = unknown !== undefined ? nearestOption(unknown, Object.keys(OPTIONS)) : undefined;
    throw new UsageError(
      unknown !== undefined
        ? `Unknown option ${unknown}${suggestion !== undefined ? ` (did you mean --${suggestion}?)` : ''}`
        : message,
    );
  }
  const v = parsed.values;
  if (v.seed !== undefined) {
    for (const generatorOption of [
      'users',
      'groups',
      'username-attributes',
      'federated-users',
      'random-seed',
    ] as const) {
      if (v[generatorOption] !== undefined)
        throw new UsageError(`--${generatorOption} cannot be combined with --seed`);
    }
  }
  const parameters = templateParameters(v.parameter ?? []);
  const targetMfa = v['target-mfa'];
  const importInput = v['import-input'];
  if (v.fault?.includes('repair-change-before-apply') === true && v.scenario !== 'repair')
    throw new UsageError(
      '--fault repair-change-before-apply changes the pool between the plan and the apply of a repair: add --scenario repair',
    );
  if (v['create-target-pool'] === true && targetMfa !== undefined)
    throw new UsageError(
      '--target-mfa describes a pool the run creates; with --create-target-pool the workflow creates it',
    );
  return {
    ...(v['create-target-pool'] === true ? { createTargetPool: true } : {}),
    ...(importInput !== undefined ? { importInput: importInputFields(importInput) } : {}),
    ...(v.seed !== undefined ? { seedFile: v.seed } : {}),
    parameters,
    ...(targetMfa !== undefined
      ? { targetMfa: oneOf(targetMfa, 'target-mfa', ['OFF', 'ON', 'OPTIONAL'] as const, 'OFF') }
      : {}),
    users: integer(v.users, 'users', 1000, 0, 2_000_000),
    groups: integer(v.groups, 'groups', 10, 0, 10_000),
    usernameAttribute: oneOf(
      v['username-attributes'],
      'username-attributes',
      ['none', 'email', 'phone_number'],
      'none',
    ),
    federatedUsers: integer(v['federated-users'], 'federated-users', 2, 0, 1000),
    randomSeed: integer(v['random-seed'], 'random-seed', 1, 0),
    tps: Number(
      parameters.CognitoTPS ?? templateValue(String(integer(v.tps, 'tps', 10, 1)), 'tps', 'CognitoTPS'),
    ),
    latency: oneOf(v.latency, 'latency', ['none', 'aws'], 'none'),
    throttling: v['no-throttling'] !== true,
    snsPreference: (parameters.SnsPreference ??
      templateValue(
        oneOf(v['sns-preference'], 'sns-preference', ['INFO_AND_ERRORS', 'ERRORS_ONLY'], 'INFO_AND_ERRORS'),
        'sns-preference',
        'SnsPreference',
      )) as CliOptions['snsPreference'],
    maxWaitMs: integer(v['max-wait-ms'], 'max-wait-ms', DEFAULT_MAX_WAIT_MS, 0, 3_600_000),
    maxReceiveWaitMs: integer(
      v['max-receive-wait-ms'],
      'max-receive-wait-ms',
      DEFAULT_MAX_RECEIVE_WAIT_MS,
      0,
      20_000,
    ),
    ...(v.report !== undefined ? { report: v.report } : {}),
    ...(v['lambda-logs'] !== undefined ? { lambdaLogs: v['lambda-logs'] } : {}),
    quiet: v.quiet === true,
    help: v.help === true,
    ...(v.fault !== undefined ? { faults: faultPlan(v.fault) } : {}),
    ...(v['restore-export'] !== undefined ? { restoreExport: v['restore-export'] } : {}),
    ...(v.scenario !== undefined ? { scenario: oneOf(v.scenario, 'scenario', SCENARIOS, SCENARIOS[0]) } : {}),
  };
}

/** The Lambda functions of the StackSet template: what `crash=<LogicalId>:...` may name. */
export function templateFunctionIds(root = ROOT): string[] {
  const path = join(root, STACKSET_TEMPLATE);
  const template = templates.get(path) ?? loadTemplate(path);
  templates.set(path, template);
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([id]) => id);
}

/** The names of the Task states of a state machine definition, Parallel branches included. */
export function taskStateNames(definition: unknown): string[] {
  const states = (definition as { States?: Record<string, unknown> } | undefined)?.States ?? {};
  return Object.entries(states).flatMap(([name, state]) => {
    const typed = state as { Type?: unknown; Branches?: unknown[] };
    return [
      ...(typed.Type === 'Task' ? [name] : []),
      ...(typed.Branches ?? []).flatMap((branch) => taskStateNames(branch)),
    ];
  });
}

/** The Task states of the StackSet template's state machines: what `crash=<state name>:...` may name. */
export function templateTaskStateNames(root = ROOT): string[] {
  const path = join(root, STACKSET_TEMPLATE);
  const template = templates.get(path) ?? loadTemplate(path);
  templates.set(path, template);
  return Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::StepFunctions::StateMachine')
    .flatMap((resource) => {
      const raw = (resource.Properties as { DefinitionString?: unknown } | undefined)?.DefinitionString;
      const sub = (raw as { 'Fn::Sub'?: unknown } | undefined)?.['Fn::Sub'] ?? raw;
      const text: unknown = Array.isArray(sub) ? (sub as unknown[])[0] : sub;
      // Substitutions inside JSON strings ("${X.Arn}") parse as they are; one that stands for a
      // number or a boolean ("Days": ${SnapshotRetentionDays}) is read as 0, which names no state.
      return typeof text === 'string'
        ? taskStateNames(JSON.parse(text.replace(/(:\s*)\$\{[^}]+\}/g, '$10')))
        : [];
    });
}

function faultPlan(specs: string[]): FaultPlan {
  try {
    return parseFaults(specs, templateFunctionIds(), templateTaskStateNames());
  } catch (error) {
    if (error instanceof FaultSpecError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * The directory relative paths resolve against: where the user ran the command (npm sets INIT_CWD to
 * it; scripts/local-run.sh sets it too before changing to the repository root).
 */
export function userDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env.INIT_CWD !== undefined && env.INIT_CWD !== '' ? env.INIT_CWD : process.cwd();
}

function describeResolution(option: string, given: string, path: string, base: string): string {
  return isAbsolute(given)
    ? `--${option} ${given}`
    : `--${option} ${given} (resolved against ${base}: ${path})`;
}

/** A file the run will write: its directory exists and is writable, and it is not a directory. */
function outputPath(option: string, given: string, base: string): string {
  const path = resolve(base, given);
  const what = describeResolution(option, given, path, base);
  const directory = dirname(path);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(directory).isDirectory();
  } catch {
    throw new UsageError(`${what}: the directory ${directory} does not exist`);
  }
  if (!isDirectory) throw new UsageError(`${what}: ${directory} is not a directory`);
  try {
    accessSync(directory, constants.W_OK);
  } catch {
    throw new UsageError(`${what}: the directory ${directory} is not writable`);
  }
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`${what}: ${path} is a directory`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // does not exist yet: fine
  }
  return path;
}

/** A file the run will read: it exists and is a readable file. */
function inputPath(option: string, given: string, base: string): string {
  const path = resolve(base, given);
  const what = describeResolution(option, given, path, base);
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new UsageError(`${what}: no such file`);
  }
  if (!isFile) throw new UsageError(`${what}: not a file`);
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new UsageError(`${what}: the file is not readable`);
  }
  return path;
}

/**
 * Resolves `--seed`, `--report` and `--lambda-logs` against `base` and checks them, so that a path
 * the run could not use is refused before anything starts rather than after the workflows ran.
 */
export function resolvePaths(options: CliOptions, base: string): CliOptions {
  const out: CliOptions = { ...options };
  if (options.seedFile !== undefined) out.seedFile = inputPath('seed', options.seedFile, base);
  if (options.report !== undefined) out.report = outputPath('report', options.report, base);
  if (options.lambdaLogs !== undefined) out.lambdaLogs = outputPath('lambda-logs', options.lambdaLogs, base);
  if (out.report !== undefined && out.report === out.lambdaLogs)
    throw new UsageError(`--report and --lambda-logs name the same file (${out.report})`);
  return out;
}

export function seedFromOptions(options: CliOptions): { seed: SeedFile; source: string } {
  if (options.seedFile !== undefined)
    return { seed: loadSeedFile(options.seedFile), source: options.seedFile };
  return {
    seed: generateSeed({
      users: options.users,
      groups: options.groups,
      usernameAttribute: options.usernameAttribute,
      federatedUsers: options.federatedUsers,
      randomSeed: options.randomSeed,
    }),
    source: `generated (random seed ${options.randomSeed})`,
  };
}

/**
 * Prints progress events. On a terminal the counters line is redrawn in place (the state lines scroll
 * above it); otherwise (a file, a pipe, CI) every event is a plain line.
 */
export class ProgressPrinter {
  private pending = '';

  constructor(
    private readonly out: {
      write(text: string): unknown;
      isTTY?: boolean;
      columns?: number;
    } = process.stdout,
  ) {}

  print(event: ProgressEvent): void {
    const clock = `${(event.elapsedMs / 1000).toFixed(1)}s`.padStart(7);
    const label = event.workflow;
    const marker = event.kind === 'state' ? '▸' : event.kind === 'counts' ? '·' : '✗';
    const prefix = `[${label} ${clock}] ${marker} `;
    if (this.out.isTTY !== true) {
      this.out.write(`${prefix}${event.text}\n`);
      return;
    }
    // One character short of the width: a line that reaches the last column wraps on some terminals,
    // and a wrapped line cannot be redrawn in place.
    const width = Math.max(20, (this.out.columns ?? 80) - 1 - prefix.length);
    const line =
      prefix +
      (event.kind === 'counts' && event.segments !== undefined
        ? fitLine(event.segments, width)
        : fitLine([{ text: event.text, rank: 0 }], width));
    if (event.kind === 'counts') {
      this.pending = line;
      this.out.write(`\r\x1b[2K${line}`);
      return;
    }
    // A failure's text is kept whole: it is what the operator reads.
    this.out.write(`\r\x1b[2K${event.kind === 'failed' ? prefix + event.text : line}\n${this.pending}`);
  }

  /** Ends the redrawn line, so that what follows starts on its own line. */
  finish(): void {
    if (this.out.isTTY === true && this.pending !== '') this.out.write('\n');
    this.pending = '';
  }
}

/**
 * One `--lambda-logs` line: the function's log object with the function's logical id first, so that
 * the file is JSON lines (`jq 'select(.function == "ImportNewUsersLambda")'`). A line that is not a
 * JSON object is kept as its `message`.
 */
export function lambdaLogLine(logicalId: string, line: string): string {
  let fields: Record<string, unknown> = { message: line };
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      fields = parsed as Record<string, unknown>;
    }
  } catch {
    // not JSON: kept as the message
  }
  return JSON.stringify({ function: logicalId, ...fields });
}

/** How the summary names a file the run wrote beside its report. */
export function artifactLabel(path: string): string {
  if (path.endsWith('.restore-report.csv')) return 'Restore report (CSV, as in the import bucket)';
  const notification = /\.notification-(\d+)-(\w+)\.txt$/.exec(path);
  if (notification !== null) return `Notification ${notification[1]} (${notification[2]}, as e-mailed)`;
  return 'File';
}

/** Shown once before the run: the local run does not wait as long as AWS would. */
export function shortenedWaitsNote(options: Pick<CliOptions, 'maxWaitMs' | 'maxReceiveWaitMs'>): string {
  return (
    `note: waits are shortened locally: a Wait state waits at most ${options.maxWaitMs} ms (--max-wait-ms) and an ` +
    `empty SQS long poll at most ${options.maxReceiveWaitMs} ms (--max-receive-wait-ms); on AWS, a state such as ` +
    `"Wait 1 minute" waits as written.`
  );
}

/**
 * Runs the CLI; `extra` reaches `runLocal` as is (tests: a fault injected after the deployment).
 */
export async function main(argv: string[], extra: Partial<LocalRunOptions> = {}): Promise<number> {
  let options: CliOptions;
  let seed: SeedFile;
  let source: string;
  let restoreExport: RestoreExportPlan | undefined;
  try {
    options = parseCliArgs(argv);
    if (options.help) {
      console.log(USAGE);
      return 0;
    }
    options = resolvePaths(options, userDirectory());
    if (options.restoreExport !== undefined) {
      if (options.scenario !== undefined)
        throw new UsageError('--restore-export cannot be combined with --scenario');
      const given = options.seedFile !== undefined ? loadSeedFile(options.seedFile) : undefined;
      const prepared = await prepareRestoreExport(resolve(userDirectory(), options.restoreExport), given);
      restoreExport = prepared.plan;
      seed = prepared.seed;
      source = `export ${options.restoreExport} (pool configuration from the ${prepared.configurationFrom === 'export' ? "export's configuration item" : 'seed'}${given !== undefined ? `; users checked against ${options.seedFile ?? ''} too` : ''})`;
    } else {
      ({ seed, source } = seedFromOptions(options));
    }
  } catch (error) {
    if (error instanceof RestoreExportError || error instanceof TableExportError) {
      console.error(`--restore-export: ${error.message}`);
      return error instanceof RestoreExportError ? 2 : 1;
    }
    if (error instanceof UsageError || error instanceof SeedError) {
      console.error(error.message);
      if (error instanceof UsageError) console.error(HELP_POINTER);
      return 2;
    }
    throw error;
  }
  const say = (line: string): void => {
    if (!options.quiet) console.log(line);
  };
  for (const note of importWarnings(seed)) say(`note: ${note}`);
  const lambdaLogs = options.lambdaLogs;
  if (lambdaLogs !== undefined) writeFileSync(lambdaLogs, '');
  const recentErrors: string[] = [];
  say(shortenedWaitsNote(options));
  say(
    `Starting the emulators and deploying the templates (${plural(seed.users.length, 'user')}, ${plural(seed.groups.length, 'group')})...`,
  );
  const printer = new ProgressPrinter();

  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) return;
    interrupted = true;
    console.error('\nInterrupted: stopping the emulators...');
    void stopAllEmulatorProcesses().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  /** Files written beside the JSON report: `<report name>.<artifact>`. */
  const artifacts: string[] = [];
  const reportPath = options.report;
  const onArtifact =
    reportPath === undefined
      ? undefined
      : (name: string, text: string): void => {
          const path = `${reportPath.replace(/\.json$/, '')}.${name}`;
          writeFileSync(path, text);
          artifacts.push(path);
        };
  let report: LocalRunReport;
  try {
    report = await runLocal({
      ...(onArtifact !== undefined ? { onArtifact } : {}),
      root: ROOT,
      seed,
      seedSource: source,
      tps: options.tps,
      latency: options.latency,
      throttling: options.throttling,
      snsPreference: options.snsPreference,
      parameters: options.parameters,
      ...(options.targetMfa !== undefined ? { targetMfa: options.targetMfa } : {}),
      ...(options.importInput !== undefined ? { importInput: options.importInput } : {}),
      ...(options.createTargetPool === true ? { createTargetPool: true } : {}),
      maxWaitMs: options.maxWaitMs,
      maxReceiveWaitMs: options.maxReceiveWaitMs,
      ...(options.faults !== undefined ? { faults: options.faults, faultSeed: options.randomSeed } : {}),
      // The damage of the point-in-time scenario draws its users with the same seed.
      ...(options.scenario === 'point-in-time' ? { faultSeed: options.randomSeed } : {}),
      ...(options.scenario !== undefined ? { scenario: options.scenario } : {}),
      ...(restoreExport !== undefined ? { restoreExport } : {}),
      ...(options.quiet ? {} : { onProgress: (event) => printer.print(event) }),
      onLambdaLog: (fn, line) => {
        if (lambdaLogs !== undefined) appendFileSync(lambdaLogs, `${lambdaLogLine(fn.logicalId, line)}\n`);
        if (/"level":"error"/.test(line)) recentErrors.push(`${fn.logicalId}: ${line.slice(0, 500)}`);
        if (recentErrors.length > 20) recentErrors.shift();
      },
      ...extra,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`The local run could not complete: ${message}`);
    const hint = refusalHint(message);
    if (hint !== undefined) console.error(hint);
    return 1;
  } finally {
    printer.finish();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  console.log(formatSummary(report));
  if (!report.ok && recentErrors.length > 0) {
    console.log('\nLast error lines of the Lambda functions:');
    for (const line of recentErrors.slice(-10)) console.log(`  ${line}`);
  }
  for (const workflow of [report.export, report.import]) {
    if (workflow?.error !== undefined && options.quiet) console.log(firstLine(workflow.cause ?? ''));
  }
  if (options.report !== undefined) {
    writeFileSync(options.report, `${JSON.stringify(report, null, 2)}\n`);
    say(`JSON report: ${options.report}`);
    for (const path of artifacts) say(`${artifactLabel(path)}: ${path}`);
  } else {
    say('(--report <file.json> also writes the restore report CSV and each notification beside it)');
  }
  return report.ok ? 0 : 1;
}

if (require.main === module) {
  // Exit explicitly: a workflow that failed can leave a handler's request or timer behind.
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    },
  );
}
