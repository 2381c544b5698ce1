// SPDX-License-Identifier: Apache-2.0
/**
 * How long a full restore would take, from a restore drill's ImportWorkflow execution: its history says
 * when each phase began and ended, its restore report's counts how much each phase restored. The drill ran
 * the ImportWorkflow at the configured CognitoTPS, so each phase's measured rate is the rate a real restore
 * gets; a phase of the full backup takes its item count divided by that rate. What is not a phase (the
 * checks, the pool's creation, the waits between steps) is taken as it was measured.
 *
 * Phases, by the ImportWorkflow's state names (the contract's):
 * - users: the table scan (which also creates the groups), the CSV import jobs and the AdminCreateUser calls
 *   run side by side in "Parallel: Scan table and import users", then the import drains its queue; it scales
 *   with users and groups together, but for its two fixed one-minute waits;
 * - memberships: the UpdateNewUsers loop (AdminAddUserToGroup, the disabled flags);
 * - reconcile: the reconciliation loop, which lists the new pool and compares it with every backed-up item.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';

export const PHASES = {
  users: { from: 'Parallel: Scan table and import users', to: 'UpdateNewUsers' },
  memberships: { from: 'UpdateNewUsers', to: 'Yes - New Users Updates Queue has been drained' },
  reconcile: { from: 'ReconcileNewUserPool', to: 'Is the restore complete?' },
} as const;
export type Phase = keyof typeof PHASES;

/** What a restore holds, as the restore report counts it. */
export interface RestoreCounts {
  users: number;
  groups: number;
  memberships: number;
}

export interface PhaseTimes {
  /** Milliseconds in each phase. */
  phases: Record<Phase, number>;
  /** The whole execution, in milliseconds. */
  totalMs: number;
}

const enteredName = (event: HistoryEvent): string | undefined => event.stateEnteredEventDetails?.name;
const time = (event: HistoryEvent): number => new Date(event.timestamp ?? 0).getTime();

/** Waits of a fixed length inside the users phase: they do not grow with the backup. */
export const FIXED_WAITS: readonly string[] = ['Parallel: Wait 60 seconds', 'Wait 60 seconds'];

/**
 * Each phase from the first time its first state was entered to the first time its end state was entered;
 * a phase the execution never reached is 0. The fixed waits are taken out of the users phase.
 */
export function phaseTimes(events: readonly HistoryEvent[]): PhaseTimes {
  const first = new Map<string, number>();
  let waitStart: number | undefined;
  let waitsMs = 0;
  for (const event of events) {
    const entered = enteredName(event);
    if (entered !== undefined && !first.has(entered)) first.set(entered, time(event));
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
  phases.users = Math.max(0, phases.users - waitsMs);
  const times = events.filter((event) => event.timestamp !== undefined).map(time);
  const totalMs = times.length === 0 ? 0 : Math.max(...times) - Math.min(...times);
  return { phases, totalMs };
}

/** The items each phase restores. */
function phaseItems(counts: RestoreCounts): Record<Phase, number> {
  return {
    users: counts.users + counts.groups,
    memberships: counts.memberships,
    reconcile: counts.users + counts.groups + counts.memberships,
  };
}

export interface Projection {
  projectedRestoreMinutes: number;
  /** Measured minutes per phase and outside the phases, for the notification. */
  measuredMinutes: Record<Phase | 'other', number>;
  /** Items per second each phase reached (absent when the phase restored nothing). */
  rates: Partial<Record<Phase, number>>;
}

const minutes = (ms: number): number => Math.round((ms / 60_000) * 10) / 10;

/**
 * The projected duration of a full restore of `full`, from the drill's measured `times` restoring `drill`.
 * A phase that restored nothing in the drill but has items in the full backup has no measured rate: it is
 * projected at the slowest measured rate, which is pessimistic rather than zero.
 */
export function projectRestore(times: PhaseTimes, drill: RestoreCounts, full: RestoreCounts): Projection {
  const drillItems = phaseItems(drill);
  const fullItems = phaseItems(full);
  const rates: Partial<Record<Phase, number>> = {};
  for (const phase of Object.keys(PHASES) as Phase[]) {
    if (drillItems[phase] > 0 && times.phases[phase] > 0) {
      rates[phase] = drillItems[phase] / (times.phases[phase] / 1000);
    }
  }
  const slowest = Math.min(...Object.values(rates), Number.POSITIVE_INFINITY);
  const phaseSum = Object.values(times.phases).reduce((sum, ms) => sum + ms, 0);
  const otherMs = Math.max(0, times.totalMs - phaseSum);
  let projectedMs = otherMs;
  for (const phase of Object.keys(PHASES) as Phase[]) {
    if (drillItems[phase] === fullItems[phase]) {
      projectedMs += times.phases[phase];
      continue;
    }
    const rate = rates[phase] ?? slowest;
    projectedMs += Number.isFinite(rate) ? (fullItems[phase] / rate) * 1000 : times.phases[phase];
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
      Object.entries(rates).map(([phase, rate]) => [phase, Math.round(rate * 10) / 10]),
    ) as Partial<Record<Phase, number>>,
  };
}
