// SPDX-License-Identifier: Apache-2.0
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDirectory } from '../../test-support/temp-dirs';
import {
  main,
  parseCliArgs,
  resolvePaths,
  seedFromOptions,
  templateAllowedValues,
  UsageError,
} from '../run/cli';
import { LocalEnvironment } from '../aws/environment';
import type { LocalRunReport } from '../run/local-run';
import { failureLines, formatSummary } from '../run/report';

const ROOT = join(__dirname, '..', '..', '..');

describe('parseCliArgs --parameter and --target-mfa', () => {
  it('takes main-template parameters as an operator sets them, repeatable', () => {
    const options = parseCliArgs([
      '--parameter',
      'AllowMfaUserPools=Yes',
      '--parameter',
      'CognitoTPS=5',
      '--target-mfa',
      'ON',
    ]);
    expect(options.parameters).toEqual({ AllowMfaUserPools: 'Yes', CognitoTPS: '5' });
    expect(options.tps).toBe(5);
    expect(options.targetMfa).toBe('ON');
  });

  it.each([
    [['--parameter', 'NoSuchThing=1'], /the main template has no such parameter/],
    [['--parameter', 'AllowMfaUserPools=Maybe'], /AllowMfaUserPools: No, Yes/],
    [['--parameter', 'AllowMfaUserPools'], /must be <Name>=<Value>/],
    [['--parameter', 'CognitoTPS=5', '--parameter', 'CognitoTPS=1'], /given twice/],
    [['--parameter', 'PrimaryUserPoolId=us-east-1_x'], /backs up the pool it seeds/],
    [['--target-mfa', 'SOMETIMES'], /--target-mfa must be one of OFF, ON, OPTIONAL/],
    [['--import-input', '{"DropAttributes":'], /--import-input must be a JSON object/],
    [['--import-input', '["custom:plan"]'], /--import-input must be a JSON object/],
    [['--import-input', '{"NewUserPoolId":"x"}'], /cannot set NewUserPoolId/],
    [['--create-target-pool', '--target-mfa', 'ON'], /with --create-target-pool the workflow creates it/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});

describe('parseCliArgs --create-target-pool', () => {
  it('asks the ImportWorkflow to create the restore target', () => {
    expect(parseCliArgs(['--create-target-pool']).createTargetPool).toBe(true);
    expect(parseCliArgs([]).createTargetPool).toBeUndefined();
  });
});

describe('parseCliArgs --import-input', () => {
  it('takes the fields to add to the ImportWorkflow input', () => {
    expect(parseCliArgs(['--import-input', '{"DropAttributes":["custom:plan"]}']).importInput).toEqual({
      DropAttributes: ['custom:plan'],
    });
  });
});

describe('parseCliArgs', () => {
  it('has the documented defaults', () => {
    expect(parseCliArgs([])).toEqual({
      parameters: {},
      users: 1000,
      groups: 10,
      usernameAttribute: 'none',
      federatedUsers: 2,
      randomSeed: 1,
      tps: 10,
      latency: 'none',
      throttling: true,
      snsPreference: 'INFO_AND_ERRORS',
      maxWaitMs: 250,
      maxReceiveWaitMs: 200,
      quiet: false,
      help: false,
    });
  });

  it('reads every option', () => {
    const options = parseCliArgs(
      '--users 20000 --groups 50 --username-attributes email --tps 5 --latency aws --no-throttling --report r.json --quiet --lambda-logs l.log'.split(
        ' ',
      ),
    );
    expect(options).toMatchObject({
      users: 20000,
      groups: 50,
      usernameAttribute: 'email',
      tps: 5,
      latency: 'aws',
      throttling: false,
      report: 'r.json',
      lambdaLogs: 'l.log',
      quiet: true,
    });
  });

  it.each([
    [['--tps', '0'], '--tps must be 1 or more (found 0)'],
    [
      ['--tps', '1000'],
      `--tps must be one of the values the template allows for CognitoTPS: ${templateAllowedValues('CognitoTPS')?.join(', ')} (found "1000")`,
    ],
    [['--users', 'many'], '--users must be a whole number from 0 to 2000000 (found "many")'],
    [['--users', '-5'], '--users must be a whole number from 0 to 2000000 (found "-5")'],
    [['--random-seed', '-1'], '--random-seed must be a whole number 0 or more (found "-1")'],
    [['--latency', 'slow'], '--latency must be one of none, aws (found "slow")'],
    [
      ['--username-attributes', 'both'],
      '--username-attributes must be one of none, email, phone_number (found "both")',
    ],
    [['--seed', 'a.json', '--users', '5'], '--users cannot be combined with --seed'],
    [['--colour'], 'Unknown option --colour'],
    [['--usrs', '5'], 'Unknown option --usrs (did you mean --users?)'],
    [['--lamda-logs', 'x'], 'Unknown option --lamda-logs (did you mean --lambda-logs?)'],
    [['--latancy=aws'], 'Unknown option --latancy (did you mean --latency?)'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(UsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });

  it('builds the seed from the generator options', () => {
    const { seed, source } = seedFromOptions(
      parseCliArgs(['--users', '12', '--groups', '2', '--random-seed', '9']),
    );
    expect(seed.users).toHaveLength(14);
    expect(seed.groups).toHaveLength(2);
    expect(source).toBe('generated (random seed 9)');
  });
});

describe('the MFA refusal', () => {
  it('says which parameter allows a pool with MFA', () => {
    expect(
      failureLines({
        state: 'CheckUserPoolConfigLambda',
        lambda: 'CheckUserPoolConfigLambda',
        error: 'UnsupportedUserPoolError',
        message:
          "User Pools with MFA enabled are not supported. The user pool's MFA configuration is set to ON",
        refusal: true,
      }),
    ).toEqual([
      expect.stringContaining('refused by design'),
      '  to back up a pool with MFA, set the stack parameter AllowMfaUserPools to Yes (locally: --parameter AllowMfaUserPools=Yes)',
    ]);
  });
});

describe('main', () => {
  /** Runs `main` with `console[method]` captured: the exit code and the lines written. */
  async function mainCapturing(
    method: 'log' | 'error',
    argv: string[],
  ): Promise<{ code: number; output: string }> {
    const lines: string[] = [];
    const spy = jest.spyOn(console, method).mockImplementation((...args) => void lines.push(String(args[0])));
    try {
      return { code: await main(argv), output: lines.join('\n') };
    } finally {
      spy.mockRestore();
    }
  }

  it('exits 2 and names the bad entry of an invalid seed file, before starting anything', async () => {
    const file = join(tempDirectory('cli-'), 'seed.json');
    writeFileSync(file, JSON.stringify({ users: [{ username: 'a' }, { username: 'a' }] }));
    const { code, output } = await mainCapturing('error', ['--seed', file]);
    expect(code).toBe(2);
    expect(output).toContain('users[1] (username "a"): same username as users[0]');
  });

  it('exits 2 for an output directory that does not exist, before any emulator starts', async () => {
    const start = jest.spyOn(LocalEnvironment, 'start');
    try {
      for (const option of ['--report', '--lambda-logs']) {
        const { code, output } = await mainCapturing('error', [option, '/nonexistent/dir/out.json']);
        expect(code).toBe(2);
        expect(output).toContain(
          `${option} /nonexistent/dir/out.json: the directory /nonexistent/dir does not exist`,
        );
      }
      expect(start).not.toHaveBeenCalled();
    } finally {
      start.mockRestore();
    }
  });

  it('answers a bad option with the error and one line pointing to --help, not the whole help', async () => {
    const { code, output } = await mainCapturing('error', ['--usrs', '5']);
    expect(code).toBe(2);
    expect(output).toBe(
      'Unknown option --usrs (did you mean --users?)\nRun `npm start -- --help` for the options.',
    );
  });

  it('names the line and column of a JSON syntax error in a seed file', async () => {
    const file = join(tempDirectory('cli-'), 'seed.json');
    writeFileSync(file, '{\n  "users": [\n    { "username": "a" }\n    { "username": "b" }\n  ]\n}\n');
    const { code, output } = await mainCapturing('error', ['--seed', file]);
    expect(code).toBe(2);
    expect(output).toMatch(/not valid JSON: .*\(line 4, column 5\)/);
  });

  it('prints the usage for --help and exits 0', async () => {
    const { code, output } = await mainCapturing('log', ['--help']);
    expect(code).toBe(0);
    expect(output).toContain('--username-attributes <a>');
    expect(output).toContain('--scenario point-in-time');
    expect(output).toContain('--restore-export <dir>');
    expect(output).toContain('export-fail[=<n>|=<prefix>]');
  });

  it('reads --scenario point-in-time and --restore-export', () => {
    expect(parseCliArgs(['--scenario', 'point-in-time', '--users', '50'])).toMatchObject({
      scenario: 'point-in-time',
      users: 50,
    });
    expect(parseCliArgs(['--restore-export', 'snapshot', '--seed', 'pool.json'])).toMatchObject({
      restoreExport: 'snapshot',
      seedFile: 'pool.json',
    });
  });

  it('exits 2 before anything starts for a --restore-export directory without an export, or with --scenario', async () => {
    const start = jest.spyOn(LocalEnvironment, 'start');
    try {
      const empty = tempDirectory('cli-export-');
      const none = await mainCapturing('error', ['--restore-export', empty]);
      expect(none.code).toBe(2);
      expect(none.output).toMatch(
        /no table export in it \(no AWSDynamoDB\/<ExportId>\/manifest-summary\.json\)/,
      );
      const missing = await mainCapturing('error', ['--restore-export', join(empty, 'nowhere')]);
      expect(missing.code).toBe(2);
      expect(missing.output).toMatch(/no such directory/);
      const both = await mainCapturing('error', ['--restore-export', empty, '--scenario', 'point-in-time']);
      expect(both.code).toBe(2);
      expect(both.output).toMatch(/--restore-export cannot be combined with --scenario/);
      expect(start).not.toHaveBeenCalled();
    } finally {
      start.mockRestore();
    }
  });
});

describe('paths', () => {
  let base: string;
  beforeAll(() => {
    base = tempDirectory('cli-paths-');
    mkdirSync(join(base, 'sub'));
    writeFileSync(join(base, 'sub', 'seed.json'), '{}');
  });

  it('resolves relative paths against the given directory', () => {
    const options = resolvePaths(
      parseCliArgs(['--seed', 'seed.json', '--report', 'r.json', '--lambda-logs', '../l.log']),
      join(base, 'sub'),
    );
    expect(options).toMatchObject({
      seedFile: join(base, 'sub', 'seed.json'),
      report: join(base, 'sub', 'r.json'),
      lambdaLogs: join(base, 'l.log'),
    });
  });

  it.each([
    [
      ['--seed', 'missing.json'],
      `--seed missing.json (resolved against BASE: BASE/missing.json): no such file`,
    ],
    [['--seed', '.'], `--seed . (resolved against BASE: BASE): not a file`],
    [
      ['--report', 'seed.json/r.json'],
      `--report seed.json/r.json (resolved against BASE: BASE/seed.json/r.json): BASE/seed.json is not a directory`,
    ],
    [['--lambda-logs', '.'], `--lambda-logs . (resolved against BASE: BASE): BASE is a directory`],
    [
      ['--report', 'x.json', '--lambda-logs', './x.json'],
      '--report and --lambda-logs name the same file (BASE/x.json)',
    ],
  ])('refuses %j, saying where the path resolved', (argv, message) => {
    const sub = join(base, 'sub');
    expect(() => resolvePaths(parseCliArgs(argv), sub)).toThrow(message.replaceAll('BASE', sub));
  });

  it('resolves them against the directory scripts/local-run.sh (npm start) was run from', () => {
    const sub = join(base, 'sub');
    writeFileSync(
      join(sub, 'seed.json'),
      JSON.stringify({
        users: [{ username: 'ana', attributes: { email: 'ana@example.com', email_verified: 'true' } }],
        groups: [{ name: 'g', members: ['ana'] }],
      }),
    );
    const env = { ...process.env };
    delete env.INIT_CWD;
    const run = spawnSync(
      'bash',
      [join(ROOT, 'scripts', 'local-run.sh'), '--seed', 'seed.json', '--report', 'r.json', '--quiet'],
      {
        cwd: sub,
        env,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(run.stdout).toContain('Result: OK');
    expect(run.status).toBe(0);
    expect(existsSync(join(sub, 'r.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(sub, 'r.json'), 'utf8'))).toMatchObject({ ok: true });
  }, 120_000);
});

describe('formatSummary', () => {
  const workflow = {
    status: 'SUCCEEDED',
    executionArn: 'arn',
    wallMs: 4200,
    cognitoCalls: { ListUsers: 17 },
    throttled: {},
    cognitoErrors: {},
    lambdaInvocations: {},
    lambdaErrors: {},
    historyEvents: 57,
    maxStatePayloadBytes: 1_234,
  };
  const report: LocalRunReport = {
    ok: false,
    parity: {
      ok: false,
      counts: { users: 3, groups: 1, memberships: 2, excludedUsers: 0, excludedMemberships: 0 },
      missingUsers: ['bo'],
      unexpectedUsers: [],
      missingGroups: [],
      unexpectedGroups: [],
      missingMemberships: [{ group: 'g', user: 'bo' }],
      unexpectedMemberships: [],
      mismatches: [{ item: 'user ana', field: 'enabled', expected: false, actual: true }],
      excluded: [],
      notes: [],
    },
    export: workflow,
    import: {
      ...workflow,
      wallMs: 12_000,
      cognitoCalls: { AdminAddUserToGroup: 2 },
      throttled: { AdminAddUserToGroup: 1 },
    },
    seed: {
      source: 'seed.json',
      usernameAttributes: [],
      customAttributes: [],
      users: 3,
      disabledUsers: 1,
      federatedUsers: 0,
      groups: 1,
      memberships: 2,
    },
    notifications: { sent: 2, success: 2, error: 0 },
    primaryUserPoolId: 'p',
    settings: { tps: 10, latency: 'none', throttling: true, maxWaitMs: 250, maxReceiveWaitMs: 200 },
    totalWallMs: 20_000,
    peakRssMb: { harness: 150, dynalite: 100 },
  };

  it('shows the verdict, the differences, the calls per workflow and the notifications', () => {
    const text = formatSummary(report);
    expect(text).toMatch(/ExportWorkflow +SUCCEEDED +4.2 s/);
    expect(text).toContain('Parity           FAILED   3 users, 1 group, 2 memberships compared\n');
    expect(text).toContain('missing users: 1');
    expect(text).toContain('g ← bo');
    expect(text).toContain('user ana enabled: expected false, found true');
    expect(text).toMatch(/AdminAddUserToGroup\s+0\s+1 of 2\n/);
    expect(text).toMatch(/ListUsers\s+17\s+0\n/);
    expect(text).toMatch(/throttled \(TooManyRequestsException\)\s+0\s+1\n/);
    expect(text).toMatch(/failed \(other errors\)\s+0\s+0\n/);
    expect(text).toContain('Users restored: 0 (0 by the CSV import job, 0 by AdminCreateUser)');
    expect(text).toContain('SNS notifications sent: 2 (2 success, 0 errors)');
    expect(text).toContain('Result: FAILED');
  });

  it('says what its counts count: excluded users and memberships apart, singular and plural', () => {
    const text = formatSummary({
      ...report,
      seed: { ...report.seed, users: 4, federatedUsers: 1, groups: 1, memberships: 3 },
      parity: {
        ...report.parity,
        counts: { users: 3, groups: 1, memberships: 2, excludedUsers: 1, excludedMemberships: 1 },
      } as LocalRunReport['parity'],
      import: {
        ...workflow,
        cognitoCalls: { AdminCreateUser: 1 },
        importJobs: [{ jobId: 'j', status: 'Succeeded', imported: 2, skipped: 0, failed: 0 }],
      },
      notifications: { sent: 2, success: 1, error: 1 },
    });
    expect(text).toContain('4 users (1 disabled, 1 federated), 1 group, 3 memberships;');
    expect(text).toContain(
      '3 users, 1 group, 2 memberships compared; 1 user and 1 membership excluded by design',
    );
    expect(text).toContain('Users restored: 3 (2 by the CSV import job, 1 by AdminCreateUser)');
    expect(text).toContain('SNS notifications sent: 2 (1 success, 1 error)');
  });
});
