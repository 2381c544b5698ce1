// SPDX-License-Identifier: Apache-2.0
/**
 * Progress of a long phase: counters with their known totals, and for the counter that is moving, its
 * rate over the last seconds and the time left at that rate. Pure: the caller passes the clock.
 */

export interface Counter {
  label: string;
  done: number;
  /** Known total (from the seed), when there is one. */
  total?: number;
}

/** The rate is measured over this window, and shown once a counter has moved for this long. */
export const RATE_WINDOW_MS = 15_000;
export const SHOW_RATE_AFTER_MS = 5_000;

const number = (value: number): string => value.toLocaleString('en-US');

export function duration(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export class ProgressMeter {
  private readonly samples = new Map<string, { at: number; done: number }[]>();
  /** When each counter started moving (first change seen). */
  private readonly movingSince = new Map<string, number>();

  /** The counters as one line: `users restored: 20 of 70, ... (12.0/s, about 4 s left)`. */
  line(counters: Counter[], now: number): string {
    let moving: { counter: Counter; rate: number } | undefined;
    for (const counter of counters) {
      const rate = this.observe(counter, now);
      if (rate !== undefined && (moving === undefined || rate > 0)) moving = { counter, rate };
    }
    const text = counters
      .map((c) => `${c.label}: ${number(c.done)}${c.total !== undefined ? ` of ${number(c.total)}` : ''}`)
      .join(', ');
    if (moving === undefined || moving.rate <= 0) return text;
    const { counter, rate } = moving;
    const perSecond = rate >= 10 ? rate.toFixed(0) : rate.toFixed(1);
    const left =
      counter.total !== undefined && counter.total > counter.done
        ? `, about ${duration(((counter.total - counter.done) / rate) * 1000)} left`
        : '';
    return `${text} (${counter.label.split(' ')[0] ?? ''}: ${perSecond}/s${left})`;
  }

  /** Records a sample; the rate per second once the counter has moved for a while, else undefined. */
  private observe(counter: Counter, now: number): number | undefined {
    const samples = this.samples.get(counter.label) ?? [];
    this.samples.set(counter.label, samples);
    const last = samples[samples.length - 1];
    if (last !== undefined && counter.done !== last.done && !this.movingSince.has(counter.label))
      this.movingSince.set(counter.label, last.at);
    samples.push({ at: now, done: counter.done });
    while (samples.length > 2 && (samples[0]?.at ?? now) < now - RATE_WINDOW_MS) samples.shift();
    const since = this.movingSince.get(counter.label);
    if (since === undefined || now - since < SHOW_RATE_AFTER_MS) return undefined;
    if (counter.total !== undefined && counter.done >= counter.total) return undefined;
    // From when it started moving: the idle time before would understate the rate.
    const first = samples.find((sample) => sample.at >= since) ?? samples[0];
    if (first === undefined || now <= first.at) return undefined;
    return ((counter.done - first.done) / (now - first.at)) * 1000;
  }
}
