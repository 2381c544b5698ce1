// SPDX-License-Identifier: Apache-2.0
/**
 * Progress of a long phase: counters with their known totals, and for the counter that is moving, its
 * rate over the last seconds and the time left at that rate; the phase in the operator's words; and a
 * renderer that fits it all on one terminal line. Pure: the caller passes the clock and the width.
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
/** A counter that has not moved for this long is waiting, not moving slowly. */
export const STALLED_AFTER_MS = 10_000;
/**
 * A time left is an estimate only from steady progress: a counter that has moved for a whole window,
 * with at least this many increments in it, none above this share of the total. A counter that moves
 * in a few jumps, or speeds up as it starts (an import job that creates its users in batches), shows
 * its rate but no time left.
 */
const STEADY_INCREMENTS = 3;
const LARGEST_STEADY_STEP = 0.2;

const number = (value: number): string => value.toLocaleString('en-US');

export function duration(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** What a workflow is doing while in a state, and, when nothing moves, what it waits for. */
export interface Phase {
  doing: string;
  waitsFor: string;
}

/** Messages an invocation that stopped still holds come back when their 2-minute hold ends. */
const HELD_MESSAGES = 'held messages (2-min hold) or throttling';

/** Task and Wait states by name (a `Parallel: ` prefix aside); Choice and Pass states keep the phase. */
const PHASES: Record<string, Phase> = {
  CheckExecutionsLambda: { doing: 'checking for other runs', waitsFor: 'Step Functions' },
  CheckUserPoolConfigLambda: { doing: 'checking the user pool', waitsFor: 'Cognito' },
  ExportUsersLambda: { doing: 'exporting users', waitsFor: 'Cognito ListUsers pages' },
  'Wait 1 sec - ListUsers': { doing: 'exporting users', waitsFor: 'Cognito ListUsers pages' },
  ListGroupsLambda: { doing: 'exporting groups', waitsFor: 'Cognito ListGroups pages' },
  ExportUsersInGroupLambda: { doing: 'exporting memberships', waitsFor: 'Cognito ListUsersInGroup pages' },
  'Wait 1 second': { doing: 'exporting memberships', waitsFor: 'Cognito ListUsersInGroup pages' },
  'BackupTableCleanup: Find Items': { doing: 'finding deleted users', waitsFor: 'the backup table scan' },
  'BackupTableCleanup: Remove Items': { doing: 'removing deleted users', waitsFor: 'the backup table' },
  'Snapshot: Wait for the Replica': { doing: 'taking the snapshot', waitsFor: 'the replica (1 minute)' },
  'Snapshot: Start Exports': { doing: 'taking the snapshot', waitsFor: 'DynamoDB ExportTableToPointInTime' },
  'Snapshot: Wait to Start': { doing: 'taking the snapshot', waitsFor: 'the point-in-time window' },
  'Snapshot: Wait for the Exports': { doing: 'taking the snapshot', waitsFor: 'the exports to S3' },
  'Snapshot: Check Exports': { doing: 'taking the snapshot', waitsFor: 'DynamoDB DescribeExport' },
  PrepareRecoveryPoint: { doing: 'preparing the recovery point', waitsFor: 'DynamoDB' },
  'Wait for the point-in-time export': {
    doing: 'preparing the recovery point',
    waitsFor: 'the point-in-time export to S3',
  },
  CheckRecoveryPoint: { doing: 'checking the recovery point', waitsFor: 'DynamoDB DescribeExport and S3' },
  RepairUserPool: { doing: 'repairing the pool', waitsFor: 'Cognito' },
  PurgeImportQueues: { doing: 'checking the import queues', waitsFor: 'SQS' },
  'Wait 1 minute': { doing: 'checking the import queues', waitsFor: 'the queues to settle (1 minute)' },
  CheckWorkflowQueuesLambda: { doing: 'checking the import queues', waitsFor: 'SQS' },
  ImportCheckNewUserPoolLambda: { doing: 'checking the new pool', waitsFor: 'Cognito' },
  ListNewUserPool: { doing: 'listing users already restored', waitsFor: 'Cognito ListUsers pages' },
  ImportScanTableLambda: { doing: 'creating groups', waitsFor: 'Cognito CreateGroup (5 a second)' },
  ImportNewUsers: { doing: 'importing users', waitsFor: HELD_MESSAGES },
  'Wait 60 seconds': { doing: 'importing users', waitsFor: HELD_MESSAGES },
  'Wait 30 seconds': { doing: 'importing users', waitsFor: 'the Cognito import job' },
  CheckUserImportJob: { doing: 'importing users', waitsFor: 'the Cognito import job' },
  UpdateNewUsers: { doing: 'restoring memberships', waitsFor: HELD_MESSAGES },
  ReconcileNewUserPool: { doing: 'checking the restore', waitsFor: 'Cognito listings of the new pool' },
  WorkflowCleanupLambda: { doing: 'sending the notification', waitsFor: 'SNS' },
  WorkflowErrorHandlerLambda: { doing: 'reporting the failure', waitsFor: 'SNS' },
};

/** The phase a state belongs to, or undefined for a Choice or Pass state (the phase goes on). */
export function phaseOf(stateName: string): Phase | undefined {
  return PHASES[stateName.replace(/^Parallel: /, '')];
}

const DROPPABLE_RANK = 2;

/** One part of the progress line; the renderer drops the least important parts first. */
export interface Segment {
  text: string;
  /** 0 is kept longest. */
  rank: number;
}

export class ProgressMeter {
  private readonly samples = new Map<string, { at: number; done: number }[]>();
  /** When each counter started moving (first change seen), and when it last changed. */
  private readonly movingSince = new Map<string, number>();
  private readonly changedAt = new Map<string, number>();

  /** The counters as one line: `importing users · users 20/70 (12/s, ~4 s left) · groups 2/2`. */
  line(counters: Counter[], now: number, phase?: Phase): string {
    return this.segments(counters, now, phase)
      .map((segment) => segment.text)
      .join(' · ');
  }

  /**
   * The line's parts, in display order: the phase, each counter (the moving one with its rate and, from
   * steady progress, the time left), and when the counters have stopped short of their totals, what the
   * phase waits for.
   */
  segments(counters: Counter[], now: number, phase?: Phase): Segment[] {
    let moving: { counter: Counter; rate: number; steady: boolean } | undefined;
    let stalledMs: number | undefined;
    for (const counter of counters) {
      const observed = this.observe(counter, now);
      if (observed !== undefined && (moving === undefined || observed.rate > 0)) {
        moving = { counter, ...observed };
      }
      const since = this.changedAt.get(counter.label);
      const unfinished = counter.total === undefined || counter.done < counter.total;
      if (since !== undefined && unfinished && this.movingSince.has(counter.label)) {
        stalledMs = Math.min(stalledMs ?? Infinity, now - since);
      }
    }
    const out: Segment[] = [];
    if (phase !== undefined) out.push({ text: phase.doing, rank: 2 });
    for (const counter of counters) {
      let text = `${counter.label} ${number(counter.done)}${counter.total !== undefined ? `/${number(counter.total)}` : ''}`;
      let rank = 3;
      if (moving?.counter === counter && moving.rate > 0 && (stalledMs ?? 0) < STALLED_AFTER_MS) {
        const { rate, steady } = moving;
        const perSecond = rate >= 10 ? rate.toFixed(0) : rate.toFixed(1);
        const left =
          steady && counter.total !== undefined && counter.total > counter.done
            ? `, ~${duration(((counter.total - counter.done) / rate) * 1000)} left`
            : '';
        text += ` (${perSecond}/s${left})`;
        rank = 1;
      }
      out.push({ text, rank });
    }
    if (stalledMs !== undefined && stalledMs >= STALLED_AFTER_MS && phase !== undefined) {
      out.push({ text: `waiting ${duration(stalledMs)}: ${phase.waitsFor}`, rank: 0 });
    }
    return out;
  }

  /** Records a sample; the rate per second once the counter has moved for a while, else undefined. */
  private observe(counter: Counter, now: number): { rate: number; steady: boolean } | undefined {
    const samples = this.samples.get(counter.label) ?? [];
    this.samples.set(counter.label, samples);
    const last = samples[samples.length - 1];
    if (last !== undefined && counter.done !== last.done) {
      if (!this.movingSince.has(counter.label)) this.movingSince.set(counter.label, last.at);
      this.changedAt.set(counter.label, now);
    }
    samples.push({ at: now, done: counter.done });
    while (samples.length > 2 && (samples[0]?.at ?? now) < now - RATE_WINDOW_MS) samples.shift();
    const since = this.movingSince.get(counter.label);
    if (since === undefined || now - since < SHOW_RATE_AFTER_MS) return undefined;
    if (counter.total !== undefined && counter.done >= counter.total) return undefined;
    // From when it started moving: the idle time before would understate the rate.
    const from = samples.findIndex((sample) => sample.at >= since);
    const window = samples.slice(Math.max(0, from));
    const first = window[0];
    if (first === undefined || now <= first.at) return undefined;
    const steps = window.slice(1).map((sample, i) => sample.done - (window[i]?.done ?? sample.done));
    const increments = steps.filter((step) => step > 0);
    const largest = Math.max(0, ...increments);
    const steady =
      now - since >= RATE_WINDOW_MS &&
      increments.length >= STEADY_INCREMENTS &&
      (counter.total === undefined || largest <= counter.total * LARGEST_STEADY_STEP);
    return { rate: ((counter.done - first.done) / (now - first.at)) * 1000, steady };
  }
}

/**
 * The segments joined on one line of at most `width` characters: the least important parts are left
 * out first (the counters that do not move, then the phase), then the rest (the moving counter, or what
 * a stalled phase waits for) is cut.
 */
export function fitLine(segments: Segment[], width: number): string {
  const kept = [...segments];
  const text = (): string => kept.map((segment) => segment.text).join(' · ');
  // The moving counter and the waiting note are cut rather than left out.
  while (text().length > width && kept.some((segment) => segment.rank >= DROPPABLE_RANK)) {
    const worst = kept.reduce((a, b) => (b.rank >= a.rank ? b : a));
    kept.splice(kept.indexOf(worst), 1);
  }
  const line = text();
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`;
}
