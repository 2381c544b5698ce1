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

/**
 * An ImportWorkflow history: checks 20 s; the Parallel state (a 60 s wait, then `users` s, the updates beside
 * the import and the update branch's `stop` s after the import branch ended); the memberships left for after
 * the import; reconcile; 5 s to the end.
 */
function history(users: number, memberships: number, reconcile: number, stop = 0): HistoryEvent[] {
  let t = 0;
  const events = [entered('CheckExecutionsLambda', t)];
  t += 20 * S;
  events.push(
    entered('Parallel: Scan table and import users', t),
    entered('ImportScanTableLambda', t),
    entered('Parallel: Wait 60 seconds', t),
  );
  t += 60 * S;
  events.push(exited('Parallel: Wait 60 seconds', t), entered('Parallel: ImportNewUsers', t));
  events.push(entered('Parallel: UpdateNewUsers', t + (users / 2) * S));
  t += users * S;
  events.push(entered('Parallel: Yes - New Users Queue has been drained', t));
  t += stop * S;
  events.push(
    entered('Parallel: Have the updates caught up?', t),
    entered('Parallel: Yes - the rest is applied after the import', t),
    entered('Wait 60 seconds', t),
    entered('ImportNewUsers', t),
    entered('UpdateNewUsers', t),
  );
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

  it('counts the updates beside the import in the users phase and the update branch stop in neither', () => {
    // "Parallel: UpdateNewUsers" (beside the import) does not open the memberships phase; the 7 s between the
    // import branch's end and the Parallel state's next state are left out of the users phase.
    expect(phaseTimes(history(100, 40, 30, 7))).toEqual({
      phases: { users: 100 * S, memberships: 40 * S, reconcile: 30 * S },
      totalMs: (20 + 60 + 100 + 7 + 40 + 30 + 5) * S,
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
  const minutes = (seconds: number): number => Math.round((seconds / 60) * 10) / 10;

  it('is the measured time when the drill restored everything', () => {
    const times = phaseTimes(history(100, 40, 30, 7));
    const all = counts(1000, 10, 400);
    expect(projectRestore(times, all, all).projectedRestoreMinutes).toBe(minutes(262));
  });

  it('scales the restore and the reconciliation by their items and keeps the fixed time once', () => {
    // Drill: 1,000 users, 10 groups and 400 memberships restored in 100 + 40 s and reconciled in 30 s.
    const times = phaseTimes(history(100, 40, 30, 7));
    const projection = projectRestore(times, counts(1000, 10, 400), counts(10_000, 100, 4_000));
    // Both spans ten times longer; checks, waits, the update branch's stop and the end (92 s) once.
    expect(projection.projectedRestoreMinutes).toBe(minutes(1400 + 300 + 92));
    expect(projection.rates).toEqual({ restore: 10.1, reconcile: 47 });
    expect(projection.measuredMinutes).toEqual({ users: 1.7, memberships: 0.7, reconcile: 0.5, other: 1.5 });
  });

  it('scales the memberships applied beside the import as memberships, not as users', () => {
    // Drill: 1,000 users and 1,000 memberships, most of them applied beside the import (users phase 200 s),
    // 10 s of them after it. Full: 10 times the users, the same memberships. The 2,000 items restored in
    // 210 s project 11,000 items in 1,155 s; scaling the users phase by the users alone (2,000 s) would count
    // the memberships done beside the import ten times.
    const times = phaseTimes(history(200, 10, 20));
    const projection = projectRestore(times, counts(1000, 0, 1000), counts(10_000, 0, 1000));
    expect(projection.projectedRestoreMinutes).toBe(minutes(85 + 1155 + 110));
  });

  it('projects a span the drill measured no time for at the slowest measured rate, not as free', () => {
    // A history without the reconciliation's start: its 1,500 items are not free.
    const times = phaseTimes(
      history(100, 40, 30).filter((event) => event.stateEnteredEventDetails?.name !== 'ReconcileNewUserPool'),
    );
    const projection = projectRestore(times, counts(1000, 0, 0), counts(1000, 0, 500));
    // Fixed 85 s and the unmeasured 30 s; the restore's 1,500 items at 1,000 per 140 s (210 s), and the
    // reconciliation's 1,500 items at that rate too.
    expect(projection.projectedRestoreMinutes).toBe(minutes(115 + 210 + 210));
  });
});
