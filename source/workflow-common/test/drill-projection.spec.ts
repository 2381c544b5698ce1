// SPDX-License-Identifier: Apache-2.0
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { phaseTimes, projectRestore, type RestoreCounts } from '../lib/drill-projection';

const S = 1000;
let id = 0;
const entered = (name: string, at: number): HistoryEvent => ({
  id: (id += 1),
  type: 'TaskStateEntered',
  timestamp: new Date(at),
  stateEnteredEventDetails: { name },
});
const exited = (name: string, at: number): HistoryEvent => ({
  id: (id += 1),
  type: 'TaskStateExited',
  timestamp: new Date(at),
  stateExitedEventDetails: { name },
});

/** An ImportWorkflow history: checks 20 s, users 60 s wait + `users` s, memberships, reconcile, 5 s to the end. */
function history(users: number, memberships: number, reconcile: number): HistoryEvent[] {
  let t = 0;
  const events = [entered('CheckExecutionsLambda', t)];
  t += 20 * S;
  events.push(entered('Parallel: Scan table and import users', t), entered('Parallel: Wait 60 seconds', t));
  t += 60 * S;
  events.push(exited('Parallel: Wait 60 seconds', t), entered('Parallel: ImportNewUsers', t));
  t += users * S;
  events.push(entered('UpdateNewUsers', t));
  t += (memberships / 2) * S;
  events.push(entered('UpdateNewUsers', t));
  t += (memberships / 2) * S;
  events.push(
    entered('Yes - New Users Updates Queue has been drained', t),
    entered('ReconcileNewUserPool', t),
  );
  t += reconcile * S;
  events.push(entered('Is the restore complete?', t));
  t += 5 * S;
  events.push(entered('WorkflowCleanupLambda', t));
  return events;
}

const counts = (users: number, groups: number, memberships: number): RestoreCounts => ({
  users,
  groups,
  memberships,
});

describe('phaseTimes', () => {
  it('measures each phase from the history, without the fixed one-minute wait', () => {
    expect(phaseTimes(history(100, 40, 30))).toEqual({
      phases: { users: 100 * S, memberships: 40 * S, reconcile: 30 * S },
      totalMs: (20 + 60 + 100 + 40 + 30 + 5) * S,
    });
  });

  it('gives 0 for a phase the execution never reached (a failed restore)', () => {
    const failed = history(100, 40, 30).filter(
      (event) => !event.stateEnteredEventDetails?.name?.includes('Recon'),
    );
    expect(phaseTimes(failed).phases.reconcile).toBe(0);
  });
});

describe('projectRestore', () => {
  it('is the measured time when the drill restored everything', () => {
    const times = phaseTimes(history(100, 40, 30));
    const all = counts(1000, 10, 400);
    expect(projectRestore(times, all, all).projectedRestoreMinutes).toBe(Math.round((255 / 60) * 10) / 10);
  });

  it('scales each phase by its own items and keeps the fixed time once', () => {
    // Drill: 1,000 users + 10 groups in 100 s, 400 memberships in 40 s, 1,410 items reconciled in 30 s.
    const times = phaseTimes(history(100, 40, 30));
    const projection = projectRestore(times, counts(1000, 10, 400), counts(10_000, 100, 4_000));
    // Each phase ten times longer; checks, waits and the end (85 s) once.
    expect(projection.projectedRestoreMinutes).toBe(Math.round(((1000 + 400 + 300 + 85) / 60) * 10) / 10);
    expect(projection.rates).toEqual({ users: 10.1, memberships: 10, reconcile: 47 });
    expect(projection.measuredMinutes).toEqual({ users: 1.7, memberships: 0.7, reconcile: 0.5, other: 1.4 });
  });

  it('projects a phase the drill had nothing for at the slowest measured rate, not as free', () => {
    const times = phaseTimes(history(100, 0, 30));
    const projection = projectRestore(times, counts(1000, 0, 0), counts(1000, 0, 500));
    // Fixed 85 s; users as measured (100 s); 500 memberships at the users' 10 items/s (50 s), not free; the
    // reconciliation's 1,500 items at its measured 1,000 per 30 s (45 s).
    expect(projection.projectedRestoreMinutes).toBe(Math.round(((85 + 100 + 50 + 45) / 60) * 10) / 10);
  });
});
