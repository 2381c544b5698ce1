// SPDX-License-Identifier: Apache-2.0
/**
 * The benchmark's smoke case, run as `npm run bench -- --smoke` runs it: a small pool through both
 * workflows with AWS-like latency, one JSON result, the Markdown table and the chart. The benchmark
 * itself (minutes per case) is not part of the test command.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { BenchResult } from '../bench/run';

const ROOT = resolve(__dirname, '..', '..', '..');

it('runs the smoke case and writes its JSON, the table and the chart', async () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  try {
    await promisify(execFile)(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        'source/local/bench/run.ts',
        '--smoke',
        '--out',
        out,
      ],
      { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1', INIT_CWD: ROOT }, timeout: 240_000 },
    );
    const result = JSON.parse(readFileSync(join(out, 'smoke.json'), 'utf8')) as BenchResult;
    expect(result).toMatchObject({ case: 'smoke', ok: true, parityOk: true, tps: 25, users: 600 });
    expect(result.export.historyEvents).toBeGreaterThan(0);
    expect(result.export.historyEvents).toBeLessThan(25_000);
    expect(result.export.phasesMs.users).toBeGreaterThan(0);
    const restore = result.rates.find((rate) => rate.metric === 'import: memberships and disabled flags');
    expect(restore?.bound).toBe(25);
    expect(restore?.achieved).toBeGreaterThan(0);
    expect(result.throttledCalls).toBeLessThanOrEqual(result.cognitoCalls * 0.01);
    // Load figures beside the rates: the machine's load average and the cores each process used.
    expect(result.loadAverage.start).toBeGreaterThanOrEqual(0);
    expect(result.export.phasesCpu.users?.cores.harness).toBeGreaterThan(0);
    expect(Object.keys(result.import?.phasesCpu ?? {})).toContain('memberships and disabled flags');
    // The restore check is a phase of its own, after the memberships.
    expect(result.import?.phasesMs['restore check']).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'bench.md'), 'utf8')).toContain('| smoke | 25 |');
    const svg = readFileSync(join(out, 'bench.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('smoke');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 300_000);

it('answers --help with its options, as npm run bench -- --help does', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'source/local/bench/run.ts', '--help'],
    { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1', INIT_CWD: ROOT }, timeout: 60_000 },
  );
  expect(stdout).toContain('Usage: npm run bench -- [options]');
  for (const option of ['--list', '--case <name>', '--quick', '--smoke', '--out <dir>', '--chart-only']) {
    expect(stdout).toContain(option);
  }
}, 60_000);
