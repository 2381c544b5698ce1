import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, parseCliArgs, seedFromOptions, UsageError } from '../cli';
import type { LocalRunReport } from '../local-run';
import { formatSummary } from '../report';

describe('parseCliArgs', () => {
  it('has the documented defaults', () => {
    expect(parseCliArgs([])).toEqual({
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
    [['--tps', '0'], '--tps must be between 1 and 1000 (found 0)'],
    [['--users', 'many'], '--users must be a whole number (found "many")'],
    [['--latency', 'slow'], '--latency must be one of none, aws (found "slow")'],
    [
      ['--username-attributes', 'both'],
      '--username-attributes must be one of none, email, phone_number (found "both")',
    ],
    [['--seed', 'a.json', '--users', '5'], '--users cannot be combined with --seed'],
    [['--colour'], "Unknown option '--colour'"],
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
    const file = join(mkdtempSync(join(tmpdir(), 'cli-')), 'seed.json');
    writeFileSync(file, JSON.stringify({ users: [{ username: 'a' }, { username: 'a' }] }));
    const { code, output } = await mainCapturing('error', ['--seed', file]);
    expect(code).toBe(2);
    expect(output).toContain('users[1] (username "a"): same username as users[0]');
  });

  it('prints the usage for --help and exits 0', async () => {
    const { code, output } = await mainCapturing('log', ['--help']);
    expect(code).toBe(0);
    expect(output).toContain('--username-attributes <a>');
  });
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
  };
  const report: LocalRunReport = {
    ok: false,
    parity: {
      ok: false,
      counts: { users: 3, groups: 1, memberships: 2, excludedUsers: 0 },
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
    expect(text).toContain('Parity           FAILED   3 users, 1 groups, 2 memberships compared');
    expect(text).toContain('missing users: 1');
    expect(text).toContain('g ← bo');
    expect(text).toContain('user ana enabled: expected false, found true');
    expect(text).toMatch(/AdminAddUserToGroup\s+0\s+2/);
    expect(text).toMatch(/ListUsers\s+17\s+0/);
    expect(text).toMatch(/throttled \(TooManyRequestsException\)\s+0\s+1/);
    expect(text).toContain('SNS notifications sent: 2 (2 success, 0 error)');
    expect(text).toContain('Result: FAILED');
  });
});
