/**
 * `npm start` / `npm run local -- <options>`: both workflows end to end on the local emulators.
 * Exit code 0 only when both workflows succeeded and the restored pool matches the source.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stopAllEmulatorProcesses } from './emulators/processes';
import { DEFAULT_MAX_RECEIVE_WAIT_MS } from './environment';
import { type LocalRunOptions, type LocalRunReport, type ProgressEvent, runLocal } from './local-run';
import { firstLine, formatSummary } from './report';
import { generateSeed, importWarnings, loadSeedFile, SeedError, type SeedFile } from './seed';
import { DEFAULT_MAX_WAIT_MS } from './step-functions';

export const USAGE = `Usage: npm start -- [options]      (or: npm run local -- [options])

Runs the real ExportWorkflow and ImportWorkflow (from deployment/*.yaml) on local emulators, with no
AWS account: seeds a user pool, exports it, restores it into a new empty pool and compares the two.

Seed (one of):
  --seed <file.json>                 a seed file (format in the README)
  --users <n>                        generated users (default 1000)
  --groups <n>                       generated groups (default 10)
  --username-attributes <a>          none | email | phone_number (default none)
  --federated-users <n>              generated federated users, excluded by design (default 2;
                                     pools without a username attribute only)
  --random-seed <n>                  generator seed (default 1)

Run:
  --tps <n>                          COGNITO_TPS of the Lambdas (default 10, as the template)
  --latency <none|aws>               Cognito latency per call (aws: ListUsers ~400 ms, others ~100 ms)
  --no-throttling                    turn off the emulated Cognito request quotas
  --sns-preference <p>               INFO_AND_ERRORS (default) | ERRORS_ONLY
  --max-wait-ms <n>                  longest real wait of a Wait state (default ${DEFAULT_MAX_WAIT_MS})
  --max-receive-wait-ms <n>          longest wait of an empty SQS long poll (default ${DEFAULT_MAX_RECEIVE_WAIT_MS})

Output:
  --report <path>                    write the JSON report
  --lambda-logs <path>               write the Lambda functions' log lines (JSON) to a file
  --quiet                            only the summary
  -h, --help                         this help

Exit code: 0 when both workflows succeeded and parity holds; 1 otherwise; 2 for bad options or seed.`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
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
  maxWaitMs: number;
  maxReceiveWaitMs: number;
  report?: string;
  lambdaLogs?: string;
  quiet: boolean;
  help: boolean;
}

function integer(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number (found "${value}")`);
  const parsed = Number(value);
  if (parsed < min || parsed > max)
    throw new UsageError(`--${name} must be between ${min} and ${max} (found ${parsed})`);
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

export function parseCliArgs(argv: string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
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
        'max-wait-ms': { type: 'string' },
        'max-receive-wait-ms': { type: 'string' },
        report: { type: 'string' },
        'lambda-logs': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
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
  return {
    ...(v.seed !== undefined ? { seedFile: v.seed } : {}),
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
    tps: integer(v.tps, 'tps', 10, 1, 1000),
    latency: oneOf(v.latency, 'latency', ['none', 'aws'], 'none'),
    throttling: v['no-throttling'] !== true,
    snsPreference: oneOf(
      v['sns-preference'],
      'sns-preference',
      ['INFO_AND_ERRORS', 'ERRORS_ONLY'],
      'INFO_AND_ERRORS',
    ),
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
  };
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

function progressPrinter(write: (line: string) => void): (event: ProgressEvent) => void {
  return (event) => {
    const clock = `${(event.elapsedMs / 1000).toFixed(1)}s`.padStart(7);
    const label = event.workflow === 'export' ? 'export' : 'import';
    const marker = event.kind === 'state' ? '▸' : event.kind === 'counts' ? '·' : '✗';
    write(`[${label} ${clock}] ${marker} ${event.text}`);
  };
}

/**
 * Runs the CLI; `extra` reaches `runLocal` as is (tests: a fault injected after the deployment).
 */
export async function main(argv: string[], extra: Partial<LocalRunOptions> = {}): Promise<number> {
  let options: CliOptions;
  let seed: SeedFile;
  let source: string;
  try {
    options = parseCliArgs(argv);
    if (options.help) {
      console.log(USAGE);
      return 0;
    }
    ({ seed, source } = seedFromOptions(options));
  } catch (error) {
    if (error instanceof UsageError || error instanceof SeedError) {
      console.error(`${error.message}\n`);
      if (error instanceof UsageError) console.error(USAGE);
      return 2;
    }
    throw error;
  }
  const say = (line: string): void => {
    if (!options.quiet) console.log(line);
  };
  for (const warning of importWarnings(seed)) say(`note: ${warning}`);
  const lambdaLogs = options.lambdaLogs === undefined ? undefined : resolve(options.lambdaLogs);
  if (lambdaLogs !== undefined) writeFileSync(lambdaLogs, '');
  const recentErrors: string[] = [];
  say(
    `Starting the emulators and deploying the templates (${seed.users.length} users, ${seed.groups.length} groups)...`,
  );

  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) return;
    interrupted = true;
    console.error('\nInterrupted: stopping the emulators...');
    void stopAllEmulatorProcesses().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let report: LocalRunReport;
  try {
    report = await runLocal({
      root: resolve(__dirname, '..', '..'),
      seed,
      seedSource: source,
      tps: options.tps,
      latency: options.latency,
      throttling: options.throttling,
      snsPreference: options.snsPreference,
      maxWaitMs: options.maxWaitMs,
      maxReceiveWaitMs: options.maxReceiveWaitMs,
      ...(options.quiet ? {} : { onProgress: progressPrinter(say) }),
      onLambdaLog: (fn, line) => {
        if (lambdaLogs !== undefined) appendFileSync(lambdaLogs, `${fn.logicalId} ${line}\n`);
        if (/"level":"error"/.test(line)) recentErrors.push(`${fn.logicalId}: ${line.slice(0, 500)}`);
        if (recentErrors.length > 20) recentErrors.shift();
      },
      ...extra,
    });
  } catch (error) {
    console.error(
      `The local run could not complete: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  } finally {
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
    writeFileSync(resolve(options.report), `${JSON.stringify(report, null, 2)}\n`);
    say(`JSON report: ${resolve(options.report)}`);
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
