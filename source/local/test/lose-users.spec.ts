// SPDX-License-Identifier: Apache-2.0
/**
 * `--fault lose-users=<n>` on a pool where users sign in with names that other users hold as e-mail or
 * phone values (examples/sign-in-collision.json): the users deleted before the reconciliation are
 * counted missing, never taken for the users who hold their names; the ImportWorkflow fails
 * RestoreIncomplete, and the Resume it tells the operator to run brings them back.
 */
import { join } from 'node:path';
import { templateFunctionIds } from '../run/cli';
import { LocalEnvironment } from '../aws/environment';
import { type LosableUser, parseFaults, usersToLose } from '../run/faults';
import { runLocal } from '../run/local-run';
import { loadSeedFile } from '../run/seed';
import { ROOT } from './support';

jest.setTimeout(60_000);

const SEED = join(__dirname, '..', 'run', 'examples', 'sign-in-collision.json');

describe('lose-users', () => {
  it('is read from --fault and refuses a count that is not a whole number above 0', () => {
    expect(parseFaults(['lose-users=2'], templateFunctionIds()).loseUsers).toBe(2);
    expect(() => parseFaults(['lose-users=0'], [])).toThrow(
      '--fault lose-users=0: the count must be a whole number above 0',
    );
    expect(() => parseFaults(['lose-users=1.5'], [])).toThrow('the count must be a whole number');
  });

  it('deletes first the users whose sign-in name another user holds', () => {
    const users: LosableUser[] = [
      { username: 'erin', attributes: { email: 'erin@example.com' } },
      { username: 'alice@example.com', attributes: { email: 'alice@example.org' } },
      { username: 'bob', attributes: { email: 'alice@example.com' } },
      { username: 'u-1', attributes: { email: 'carol@example.com', phone_number: '+14155550100' } },
      { username: 'u-2', attributes: { email: 'dave@example.com', phone_number: '+14155550199' } },
      { username: '+14155550199', attributes: {} },
    ];
    expect(usersToLose(users, [], 3).map((user) => user.username)).toEqual([
      'alice@example.com',
      '+14155550199',
      'erin',
    ]);
    // In a pool that signs in with e-mail, bob's e-mail is alice's Username.
    expect(usersToLose(users, ['email'], 1).map((user) => user.username)).toEqual(['bob']);
    expect(usersToLose(users, ['phone_number'], 1).map((user) => user.username)).toEqual(['u-2']);
  });

  it('a restore that lost users before its check fails RestoreIncomplete, and Resume brings them back with one row per new sub', async () => {
    const environment = await LocalEnvironment.start({ maxReceiveWaitMs: 100 });
    try {
      const report = await runLocal({
        root: ROOT,
        seed: loadSeedFile(SEED),
        seedSource: SEED,
        tps: 25,
        maxWaitMs: 50,
        environment,
        stackName: 'lose-users',
        faults: parseFaults(['lose-users=2'], templateFunctionIds()),
      });
      expect(report.faults?.lostUsers).toBe(2);
      expect(report.importBeforeResume).toMatchObject({ status: 'FAILED', error: 'RestoreIncomplete' });
      // Counted missing, not taken for bob and dave, who hold their Usernames as e-mail and phone.
      expect(report.notifications.errorMessages?.[0]).toMatch(
        /The restore into the user pool \S+ is incomplete: 2 of 5 backed-up users missing, 2 of 5 group memberships missing\./,
      );
      expect(report.import).toMatchObject({ status: 'SUCCEEDED' });
      expect(report.parity).toMatchObject({
        ok: true,
        missingUsers: [],
        missingMemberships: [],
        mismatches: [],
      });
      // One row per backed-up user, each with the new sub of her own account (parity's report check).
      expect(report.parity).toMatchObject({
        restoreReport: { ok: true, rows: 5, missingRows: [], wrongSubs: [], duplicateRows: [] },
      });
      expect(report.ok).toBe(true);
    } finally {
      await environment.stop();
    }
  });
});
