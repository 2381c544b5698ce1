// SPDX-License-Identifier: Apache-2.0
/**
 * How long a full restore would take, from a restore drill's ImportWorkflow execution: its history says
 * when each phase began and ended, its restore report's counts how much each phase restored. The drill ran
 * the ImportWorkflow at the configured CognitoTPS, so each phase's measured rate is the rate a real restore
 * gets; a phase of the full backup takes its item count divided by that rate. What does not grow with the
 * backup (the checks, the pool's creation, the fixed waits, the update branch's stop after the import) is
 * taken as it was measured. The projection predicts the ImportWorkflow execution from its start to its end.
 *
 * Phases, by the ImportWorkflow's state names (the contract's):
 * - users: "Parallel: Scan table and import users": the table scan (which also creates the groups) with the
 *   memberships and disabled flags of the users that exist already ("Parallel: UpdateNewUsers") beside the
 *   CSV import jobs and the AdminCreateUser calls, then the import drains its queue;
 * - memberships: the UpdateNewUsers loop after the import, for the updates that had to wait for their users;
 * - reconcile: the reconciliation loop, which lists the new pool and compares it with every backed-up item.
 *
 * The users and memberships phases share their work: how many updates run beside the import and how many
 * after it depends on how long the import takes, so a larger restore leaves a larger share for after it.
 * Each phase scaled by its own items would then under-project the memberships and over-project the users;
 * the two are projected as one span, by all the items restored in it.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';

export const PHASES = {
  users: { from: 'Parallel: Scan table and import users', to: 'UpdateNewUsers' },
  memberships: { from: 'UpdateNewUsers', to: 'Yes - New Users Updates Queue has been drained' },
  reconcile: { from: 'ReconcileNewUserPool', to: 'Is the restore complete?' },
} as const;
export type Phase = keyof typeof PHASES;

/** The spans a projection scales: the users and memberships phases as one, and the reconciliation. */
export const SPANS = {
  restore: ['users', 'memberships'],
  reconcile: ['reconcile'],
} as const satisfies Record<string, readonly Phase[]>;
export type Span = keyof typeof SPANS;

/** What a restore holds, as the restore report counts it. */
export interface RestoreCounts {
  users: number;
  groups: number;
  memberships: number;
}

export interface PhaseTimes {
  /** Milliseconds in each phase, without what does not grow with the backup. */
  phases: Record<Phase, number>;
  /** The whole execution, in milliseconds. */
  totalMs: number;
}

const enteredName = (event: HistoryEvent): string | undefined => event.stateEnteredEventDetails?.name;
const time = (event: HistoryEvent): number => new Date(event.timestamp ?? 0).getTime();

/** Waits of a fixed length inside the users phase: they do not grow with the backup. */
export const FIXED_WAITS: readonly string[] = ['Parallel: Wait 60 seconds', 'Wait 60 seconds'];

/**
 * The import branch's end, and the state after the Parallel state. Between the two, the update branch beside
 * the import notices that the import has ended and gives back what it holds: a few seconds (one read of the
 * import's progress and one receive) however large the backup, during which nothing is imported. The state
 * entered next stands for the Parallel state's exit, which a history does not always carry.
 */
export const IMPORT_BRANCH_END = 'Parallel: Yes - New Users Queue has been drained';
export const AFTER_PARALLEL = 'Wait 60 seconds';

/**
 * Each phase from the first time its first state was entered to the first time its end state was entered;
 * a phase the execution never reached is 0. The fixed waits and the update branch's stop are taken out of
 * the users phase.
 */
export function phaseTimes(events: readonly HistoryEvent[]): PhaseTimes {
  const first = new Map<string, number>();
  let waitStart: number | undefined;
  let waitsMs = 0;
  let branchEnd: number | undefined;
  let stopMs = 0;
  for (const event of events) {
    const entered = enteredName(event);
    if (entered !== undefined && !first.has(entered)) first.set(entered, time(event));
    if (entered === IMPORT_BRANCH_END) branchEnd = time(event);
    if (entered === AFTER_PARALLEL && branchEnd !== undefined) {
      stopMs += Math.max(0, time(event) - branchEnd);
      branchEnd = undefined;
    }
    if (entered !== undefined && FIXED_WAITS.includes(entered)) waitStart = time(event);
    const exited = event.stateExitedEventDetails?.name;
    if (exited !== undefined && FIXED_WAITS.includes(exited) && waitStart !== undefined) {
      waitsMs += time(event) - waitStart;
      waitStart = undefined;
    }
  }
  const phases = {} as Record<Phase, number>;
  for (const [phase, { from, to }] of Object.entries(PHASES) as [Phase, { from: string; to: string }][]) {
    const start = first.get(from);
    const end = first.get(to);
    phases[phase] = start === undefined || end === undefined || end < start ? 0 : end - start;
  }
  phases.users = Math.max(0, phases.users - waitsMs - stopMs);
  const times = events.filter((event) => event.timestamp !== undefined).map(time);
  const totalMs = times.length === 0 ? 0 : Math.max(...times) - Math.min(...times);
  return { phases, totalMs };
}

/** The items each span restores or compares: every user, group and membership, in both. */
function spanItems(counts: RestoreCounts): Record<Span, number> {
  const items = counts.users + counts.groups + counts.memberships;
  return { restore: items, reconcile: items };
}

export interface Projection {
  projectedRestoreMinutes: number;
  /** Measured minutes per phase and outside the phases, for the notification. */
  measuredMinutes: Record<Phase | 'other', number>;
  /** Items per second each span reached (absent when the span restored nothing). */
  rates: Partial<Record<Span, number>>;
}

const minutes = (ms: number): number => Math.round((ms / 60_000) * 10) / 10;

/**
 * The projected duration of a full restore of `full`, from the drill's measured `times` restoring `drill`.
 * A span that the drill measured no time or items for but has items in the full backup has no measured
 * rate: it is projected at the slowest measured rate, which is pessimistic rather than zero.
 */
export function projectRestore(times: PhaseTimes, drill: RestoreCounts, full: RestoreCounts): Projection {
  const drillItems = spanItems(drill);
  const fullItems = spanItems(full);
  const spanMs = (span: Span): number => SPANS[span].reduce((sum, phase) => sum + times.phases[phase], 0);
  const spans = Object.keys(SPANS) as Span[];
  const rates: Partial<Record<Span, number>> = {};
  for (const span of spans) {
    if (drillItems[span] > 0 && spanMs(span) > 0) rates[span] = drillItems[span] / (spanMs(span) / 1000);
  }
  const slowest = Math.min(...Object.values(rates), Number.POSITIVE_INFINITY);
  const phaseSum = Object.values(times.phases).reduce((sum, ms) => sum + ms, 0);
  const otherMs = Math.max(0, times.totalMs - phaseSum);
  let projectedMs = otherMs;
  for (const span of spans) {
    if (drillItems[span] === fullItems[span]) {
      projectedMs += spanMs(span);
      continue;
    }
    const rate = rates[span] ?? slowest;
    projectedMs += Number.isFinite(rate) ? (fullItems[span] / rate) * 1000 : spanMs(span);
  }
  return {
    projectedRestoreMinutes: minutes(projectedMs),
    measuredMinutes: {
      users: minutes(times.phases.users),
      memberships: minutes(times.phases.memberships),
      reconcile: minutes(times.phases.reconcile),
      other: minutes(otherMs),
    },
    rates: Object.fromEntries(
      Object.entries(rates).map(([span, rate]) => [span, Math.round(rate * 10) / 10]),
    ) as Partial<Record<Span, number>>,
  };
}
