// SPDX-License-Identifier: Apache-2.0
import { duration, ProgressMeter } from '../run/progress';
import { ProgressPrinter, shortenedWaitsNote } from '../run/cli';

describe('ProgressMeter', () => {
  it('shows totals at once, then the rate and time left of the moving counter once it moved for 5 s', () => {
    const meter = new ProgressMeter();
    const at = (seconds: number, done: number): string =>
      meter.line(
        [
          { label: 'users restored', done: 100, total: 100 },
          { label: 'memberships added', done, total: 1_000 },
        ],
        seconds * 1000,
      );
    expect(at(0, 0)).toBe('users restored: 100 of 100, memberships added: 0 of 1,000');
    expect(at(10, 0)).toBe('users restored: 100 of 100, memberships added: 0 of 1,000');
    expect(at(12, 20)).toBe('users restored: 100 of 100, memberships added: 20 of 1,000');
    // Moving since t=10 s at 10 a second: the idle time before does not count.
    expect(at(16, 60)).toBe(
      'users restored: 100 of 100, memberships added: 60 of 1,000 (memberships: 10/s, about 2 min left)',
    );
    expect(at(20, 100)).toContain('(memberships: 10/s, about 2 min left)');
    expect(at(120, 1_000)).toBe('users restored: 100 of 100, memberships added: 1,000 of 1,000');
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

  it('notes once that waits are shortened locally', () => {
    expect(shortenedWaitsNote({ maxWaitMs: 250, maxReceiveWaitMs: 200 })).toContain(
      'a Wait state waits at most 250 ms (--max-wait-ms)',
    );
  });
});
