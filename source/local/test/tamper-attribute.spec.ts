// SPDX-License-Identifier: Apache-2.0
/**
 * `--fault tamper-attribute=<share>`: restored users (and one group) changed in the new pool after the
 * import, before the reconciliation lists it. The reconciliation must set every one of them right, so
 * that the run ends SUCCEEDED with parity; never SUCCEEDED with a difference left.
 */
import { templateFunctionIds } from '../run/cli';
import { LocalEnvironment } from '../aws/environment';
import { parseFaults, seededRandom, tamperUsers, type TamperableUser } from '../run/faults';
import { runLocal } from '../run/local-run';
import { generateSeed } from '../run/seed';
import { ROOT } from './support';

jest.setTimeout(60_000);

describe('tamper-attribute', () => {
  it('is read from --fault as a share above 0 and at most 1', () => {
    expect(parseFaults(['tamper-attribute=0.1'], templateFunctionIds()).tamperAttributes).toBe(0.1);
    expect(() => parseFaults(['tamper-attribute=0'], [])).toThrow('the share must be a number above 0');
  });

  it('changes, removes or adds an attribute of the chosen users and flips every fourth one', () => {
    const users: TamperableUser[] = Array.from({ length: 8 }, () => ({
      attributes: { sub: 's', email: 'e@example.com', given_name: 'Ana', family_name: 'Lee' },
      enabled: true,
    }));
    expect(tamperUsers(users, 1, seededRandom(1))).toBe(8);
    expect(users[0]?.attributes).toMatchObject({
      given_name: 'Ana-tampered',
      email: 'e@example.com',
      sub: 's',
    });
    expect(users[1]?.attributes).not.toHaveProperty('family_name');
    expect(users[2]?.attributes).toMatchObject({ nickname: 'tampered' });
    expect(users.map((user) => user.enabled)).toEqual([true, true, true, false, true, true, true, false]);
  });

  it('a restore whose users were changed behind its back ends with every one set right', async () => {
    const environment = await LocalEnvironment.start({ maxReceiveWaitMs: 100 });
    try {
      const report = await runLocal({
        root: ROOT,
        seed: generateSeed({ users: 60, groups: 3, usernameAttribute: 'none', randomSeed: 3 }),
        seedSource: 'generated',
        tps: 25,
        maxWaitMs: 50,
        environment,
        stackName: 'tamper-attribute',
        faults: parseFaults(['tamper-attribute=0.2'], templateFunctionIds()),
      });
      expect(report.faults?.tamperedUsers).toBeGreaterThan(5);
      expect(report.import).toMatchObject({ status: 'SUCCEEDED' });
      expect(report.import?.cognitoCalls).toMatchObject({
        AdminGetUser: report.faults?.tamperedUsers,
        UpdateGroup: 1,
      });
      expect(report.parity).toMatchObject({ ok: true, mismatches: [] });
      // No verification message went out while the reconciliation set addresses right.
      expect(environment.cognito.store.verificationMessages).toBe(0);
      expect(report.ok).toBe(true);
    } finally {
      await environment.stop();
    }
  });
});
