// SPDX-License-Identifier: Apache-2.0
import { duration, fitLine, phaseOf, ProgressMeter, type Counter } from '../run/progress';
import { ProgressPrinter, shortenedWaitsNote } from '../run/cli';

const importing = phaseOf('Parallel: ImportNewUsers');

describe('ProgressMeter', () => {
  const memberships = (done: number): Counter[] => [
    { label: 'users', done: 100, total: 100 },
    { label: 'memberships', done, total: 1_000 },
  ];

  it('shows totals at once, then the rate once the counter moved for 5 s, and the time left once it moved steadily for 15 s', () => {
    const meter = new ProgressMeter();
    const at = (seconds: number, done: number): string => meter.line(memberships(done), seconds * 1000);
    expect(at(0, 0)).toBe('users 100/100 · memberships 0/1,000');
    expect(at(10, 0)).toBe('users 100/100 · memberships 0/1,000');
    expect(at(12, 20)).toBe('users 100/100 · memberships 20/1,000');
    expect(at(14, 40)).toBe('users 100/100 · memberships 40/1,000');
    // Moving since t=10 s at 10 a second: the idle time before does not count.
    expect(at(16, 60)).toBe('users 100/100 · memberships 60/1,000 (10/s)');
    for (let second = 18; second < 25; second += 2) at(second, (second - 10) * 10);
    expect(at(25, 150)).toBe('users 100/100 · memberships 150/1,000 (10/s, ~85 s left)');
    expect(at(120, 1_000)).toBe('users 100/100 · memberships 1,000/1,000');
  });

  it('gives no time left for a counter that moves in jumps (an import job creating users in batches)', () => {
    const meter = new ProgressMeter();
    const users = (done: number): Counter[] => [{ label: 'users', done, total: 1_000 }];
    meter.line(users(0), 0);
    meter.line(users(0), 2_000);
    meter.line(users(500), 4_000);
    meter.line(users(500), 6_000);
    // 500 in one step: a rate, but no promise of when the rest comes.
    expect(meter.line(users(500), 9_000)).toBe('users 500/1,000 (71/s)');
  });

  it('says what it waits for when the counters stop short of their totals, instead of a time left', () => {
    const meter = new ProgressMeter();
    for (let second = 0; second <= 20; second += 2)
      meter.line(memberships(second * 45), second * 1000, importing);
    expect(meter.line(memberships(900), 20_000, importing)).toContain('(45/s, ~2 s left)');
    // A crashed invocation holds the last messages: nothing moves for 100 s (shown as 2 min).
    const stalled = meter.line(memberships(900), 120_000, importing);
    expect(stalled).not.toContain('left');
    expect(stalled).toBe(
      'importing users · users 100/100 · memberships 900/1,000 · waiting 2 min: held messages (2-min hold) or throttling',
    );
  });

  it('names phases in the operator words, not Choice states', () => {
    expect(phaseOf('Yes')).toBeUndefined();
    expect(phaseOf('UpdateNewUsers')?.doing).toBe('restoring memberships');
    expect(phaseOf('Parallel: ImportNewUsers')?.doing).toBe('importing users');
    expect(phaseOf('ExportUsersLambda')?.doing).toBe('exporting users');
  });

  it('formats durations', () => {
    expect([duration(400), duration(59_000), duration(600_000), duration(7_500_000)]).toEqual([
      '1 s',
      '59 s',
      '10 min',
      '2 h 5 min',
    ]);
  });
});

describe('fitLine', () => {
  const segments = [
    { text: 'importing users', rank: 2 },
    { text: 'users 700/1,000 (12/s, ~25 s left)', rank: 1 },
    { text: 'groups 10/10', rank: 3 },
    { text: 'memberships 0/1,200', rank: 3 },
  ];

  it('keeps every part when they fit', () => {
    expect(fitLine(segments, 200)).toBe(segments.map((s) => s.text).join(' · '));
  });

  it('drops the least important parts first, then cuts', () => {
    expect(fitLine(segments, 60)).toBe('importing users · users 700/1,000 (12/s, ~25 s left)');
    expect(fitLine(segments, 70)).toBe('importing users · users 700/1,000 (12/s, ~25 s left) · groups 10/10');
    expect(fitLine(segments, 40)).toBe('users 700/1,000 (12/s, ~25 s left)');
    expect(fitLine(segments, 20)).toBe('users 700/1,000 (12…');
  });
});

describe('ProgressPrinter', () => {
  const event = (kind: 'state' | 'counts', text: string) =>
    ({ workflow: 'import', elapsedMs: 1500, kind, text }) as const;

  it('writes plain lines when the output is not a terminal', () => {
    let written = '';
    const printer = new ProgressPrinter({ write: (text: string) => (written += text), isTTY: false });
    printer.print(event('counts', 'users restored: 1 of 2'));
    printer.print(event('state', 'UpdateNewUsers'));
    printer.finish();
    expect(written).toBe('[import    1.5s] · users restored: 1 of 2\n[import    1.5s] ▸ UpdateNewUsers\n');
  });

  it('redraws the counters line in place on a terminal, with state lines above it', () => {
    let written = '';
    const printer = new ProgressPrinter({ write: (text: string) => (written += text), isTTY: true });
    printer.print(event('counts', 'a'));
    printer.print(event('state', 'S'));
    printer.print(event('counts', 'b'));
    printer.finish();
    expect(written).toBe(
      '\r\x1b[2K[import    1.5s] · a' +
        '\r\x1b[2K[import    1.5s] ▸ S\n[import    1.5s] · a' +
        '\r\x1b[2K[import    1.5s] · b\n',
    );
  });

  it('fits every line it redraws into the terminal width (80 columns), the phase and the moving counter first', () => {
    let written = '';
    const printer = new ProgressPrinter({
      write: (text: string) => (written += text),
      isTTY: true,
      columns: 80,
    });
    const meter = new ProgressMeter();
    const counters = (done: number): Counter[] => [
      { label: 'users', done, total: 1_000 },
      { label: 'groups', done: 10, total: 10 },
      { label: 'memberships', done: 0, total: 1_200 },
    ];
    for (let second = 0; second <= 16; second += 1) {
      const segments = meter.segments(counters(second * 40), second * 1000, importing);
      printer.print({ ...event('counts', segments.map((s) => s.text).join(' · ')), segments });
    }
    printer.print(
      event('state', 'Parallel: Yes - New Users Queue has been drained, a long Choice state name'),
    );
    printer.finish();
    const lines = written
      .replaceAll('\r\x1b[2K', '\n')
      .split('\n')
      .filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(16);
    for (const line of lines) expect(line.length).toBeLessThan(80);
    expect(lines[16]).toBe('[import    1.5s] · importing users · users 640/1,000 (40/s, ~9 s left)');
  });

  it('notes once that waits are shortened locally', () => {
    expect(shortenedWaitsNote({ maxWaitMs: 250, maxReceiveWaitMs: 200 })).toContain(
      'a Wait state waits at most 250 ms (--max-wait-ms)',
    );
  });
});
