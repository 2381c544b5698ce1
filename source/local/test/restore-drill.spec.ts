// SPDX-License-Identifier: Apache-2.0
/**
 * A restore drill whose restore fails (`--fault lose-users`: users deleted from the scratch pool before the
 * reconciliation, so the drill's ImportWorkflow fails RestoreIncomplete) ends FAILED with one error
 * notification, the drill's, naming the drill and what to do; the template's drill alarm, evaluated by the
 * harness against the metrics the drill put, is in ALARM; and the scratch pool is deleted.
 */
import { templateFunctionIds } from '../run/cli';
import { LocalEnvironment } from '../aws/environment';
import { parseFaults } from '../run/faults';
import { runLocal } from '../run/local-run';
import { generateSeed } from '../run/seed';
import { ROOT } from './support';

jest.setTimeout(60_000);

it('a drill whose restore fails notifies what to do, sets the drill alarm and deletes its scratch pool', async () => {
  const environment = await LocalEnvironment.start({ maxReceiveWaitMs: 100 });
  try {
    const report = await runLocal({
      root: ROOT,
      seed: generateSeed({
        users: 100,
        groups: 3,
        usernameAttribute: 'none',
        federatedUsers: 0,
        randomSeed: 7,
      }),
      seedSource: 'drill-failure',
      tps: 25,
      maxWaitMs: 50,
      environment,
      stackName: 'drill-failure',
      scenario: 'drill',
      faults: parseFaults(['lose-users=3'], templateFunctionIds()),
    });
    expect(report.faults?.lostUsers).toBe(3);
    expect(report.drill).toMatchObject({
      status: 'FAILED',
      failure: 'the ImportWorkflow failed (RestoreIncomplete)',
      scratchPoolDeleted: true,
      alarms: { RestoreDrillFailedAlarm: 'ALARM', RestoreDrillOverdueAlarm: 'OK', BackupAgeAlarm: 'OK' },
    });
    // One error notification: the drill's. Its ImportWorkflow leaves its own to the drill.
    const errors = report.notifications.errorMessages ?? [];
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^The restore drill failed: the ImportWorkflow failed \(RestoreIncomplete\)/);
    expect(errors[0]).toMatch(/Restore drill: restore-drill-\S+/);
    expect(errors[0]).toContain('What to do:');
    expect(errors[0]).toContain('start the RestoreDrillWorkflow again');
    expect(errors[0]).not.toContain('"Resume":true');
    expect(report.ok).toBe(false);
  } finally {
    await environment.stop();
  }
});
