// SPDX-License-Identifier: Apache-2.0
/**
 * Both workflows end to end on the local emulators, from the real templates and handlers. One set of
 * emulators serves every scenario; each scenario deploys its own stack (own table, queues, topic).
 */
import {
  AdminDeleteUserCommand,
  AdminRemoveUserFromGroupCommand,
  SetUserPoolMfaConfigCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { chunk } from '../../utils/batch';
import type { JsonObject } from '../deploy/cfn-template';
import { LocalEnvironment } from '../aws/environment';
import { explainFailure } from '../run/failure';
import { failureLines as formatFailure } from '../run/report';
import type { ExecutionRecord } from '../aws/step-functions';
import {
  createRestorePool,
  poolContent,
  type ProgressEvent,
  restoreReportCheck,
  runLocal,
  scheduledEvent,
  seedPrimaryPool,
} from '../run/local-run';
import { comparePools, type PoolContent } from '../run/parity';
import { generateSeed, type SeedFile } from '../run/seed';
import { deployWith, keyOf, ROOT, scanTable, type TestDeployment, withDeployment } from './support';

jest.setTimeout(120_000);

let environment: LocalEnvironment;

beforeAll(async () => {
  environment = await LocalEnvironment.start({ maxReceiveWaitMs: 100 });
});

afterAll(async () => {
  await environment?.stop();
});

function smallPool(usernameAttribute: 'none' | 'email'): SeedFile {
  return generateSeed({ users: 250, groups: 5, usernameAttribute, federatedUsers: 1, randomSeed: 7 });
}

function describePool(seed: SeedFile): {
  largestGroup: number;
  disabled: number;
  comma: boolean;
  nonAscii: boolean;
} {
  const values = seed.users.flatMap((user) => Object.values(user.attributes));
  return {
    largestGroup: Math.max(...seed.groups.map((group) => group.members.length)),
    disabled: seed.users.filter((user) => !user.enabled).length,
    comma: values.some((value) => value.includes(',')),
    nonAscii: values.some((value) => /[^\p{ASCII}]/u.test(value)),
  };
}

/**
 * What a run ended with, plus the error notifications (from the `since`-th on) and logs that explain
 * a failure.
 */
async function outcome(
  scenario: TestDeployment,
  run: { status: string; cause?: string },
  since = 0,
): Promise<{ status: string; cause?: string; errorLogs: string[]; errorNotifications: string[] }> {
  const notifications = (await scenario.deployment.notifications()).slice(since);
  return {
    status: run.status,
    cause: run.cause,
    errorLogs: scenario.errors,
    errorNotifications: notifications.filter((n) => n.kind === 'error').map((n) => n.message.slice(0, 2000)),
  };
}

const SUCCEEDED = { status: 'SUCCEEDED', cause: undefined, errorLogs: [], errorNotifications: [] };

/** The input the schedule gives the ExportWorkflow. */
const scheduledExport = (): JsonObject => scheduledEvent('us-east-1', '000000000000');

async function exportAndRestore(
  scenario: TestDeployment,
  seed: SeedFile,
): Promise<{ restoredUserPoolId: string; source: PoolContent }> {
  const since = (await scenario.deployment.notifications()).length;
  const exported = await scenario.deployment.run('ExportWorkflow', scheduledExport());
  expect(await outcome(scenario, exported, since)).toEqual(SUCCEEDED);
  const restoredUserPoolId = createRestorePool(environment.cognito, seed);
  const imported = await scenario.deployment.run('ImportWorkflow', { NewUserPoolId: restoredUserPoolId });
  expect(await outcome(scenario, imported, since)).toEqual(SUCCEEDED);
  return { restoredUserPoolId, source: poolContent(environment.cognito, scenario.primaryUserPoolId) };
}

describe('a pool without a username attribute (250 users, 5 groups)', () => {
  const seed = smallPool('none');
  let scenario: TestDeployment;
  let exportArn = '';

  beforeAll(async () => {
    scenario = await deployWith(environment, seed);
  });

  afterAll(async () => {
    await scenario?.deployment.teardown();
  });

  it('has what the scenario needs: pages beyond 60, a group beyond 60, disabled users, commas and non-ASCII', () => {
    const shape = describePool(seed);
    expect(seed.users.length).toBeGreaterThan(120);
    expect(shape.largestGroup).toBeGreaterThan(60);
    expect(shape.disabled).toBeGreaterThan(0);
    expect(shape.comma && shape.nonAscii).toBe(true);
    expect(seed.userPool.customAttributes.length).toBeGreaterThan(0);
  });

  it('refuses a second ExportWorkflow while one runs', async () => {
    const { deployment } = scenario;
    exportArn = await deployment.start('ExportWorkflow', scheduledExport());
    // The first execution has passed its own check when the second one starts.
    await deployment.waitForState(exportArn, 'CheckUserPoolConfigLambda');
    const second = await deployment.run('ExportWorkflow', scheduledExport());
    expect(second.status).toBe('FAILED');
    expect(second.error).toBe('AnotherExecutionRunning');
    // The refused scheduled run is notified as what it is.
    const notifications = await deployment.notifications();
    expect(notifications.map((n) => [n.kind, n.message.split('\n')[0]])).toEqual([
      ['error', `The ${deployment.machine('ExportWorkflow').name} stopped: another execution is running.`],
    ]);
    expect(explainFailure(second)).toMatchObject({
      state: 'No - at least one other execution is running',
      error: 'AnotherExecutionRunning',
      refusal: true,
    });
    const first = await deployment.wait(exportArn);
    expect(first.status).toBe('SUCCEEDED');
  });

  it('restores every user, group and membership into a new pool, and notifies both successes', async () => {
    const before = (await scenario.deployment.notifications()).length;
    const { restoredUserPoolId, source } = await exportAndRestore(scenario, seed);
    const parity = comparePools(source, poolContent(environment.cognito, restoredUserPoolId), undefined);
    expect(parity).toMatchObject({
      ok: true,
      missingUsers: [],
      mismatches: [],
      missingMemberships: [],
      unexpectedUsers: [],
    });
    expect(parity.counts).toEqual({
      users: 250,
      groups: 5,
      memberships: expect.any(Number),
      excludedUsers: 1,
      // The federated user's membership: excluded with the user.
      excludedMemberships: 1,
    });
    // The restore report: one row per backed-up user, its old sub and its new one.
    const restored = poolContent(environment.cognito, restoredUserPoolId);
    const report = await restoreReportCheck(
      scenario.deployment,
      restoredUserPoolId,
      source,
      restored,
      undefined,
    );
    // The generator makes some users the CSV rules refuse (unconfirmed, e-mail not verified): they come
    // back through AdminCreateUser, and every user is one or the other.
    const viaAdminCreate = source.users.filter(
      (user) => user.status !== 'EXTERNAL_PROVIDER' && !csvCarries(user),
    ).length;
    expect(viaAdminCreate).toBeGreaterThan(0);
    expect(report).toMatchObject({
      ok: true,
      rows: 250,
      expectedRows: 250,
      outcomes: { 'csv-import': 250 - viaAdminCreate, 'admin-create': viaAdminCreate },
      missingRows: [],
      wrongSubs: [],
    });
    expect(report.key).toMatch(new RegExp(`^restore-reports/${restoredUserPoolId}/[0-9T.Z-]+\\.csv$`));
    const notifications = (await scenario.deployment.notifications()).slice(before);
    expect(notifications.map((n) => n.kind)).toEqual(['success', 'success']);
    expect(notifications[0]?.message).toMatch(/^Workflow \(ExportWorkflow-[^)]+\) completed successfully/);
    expect(notifications[1]?.message).toMatch(/^Workflow \(ImportWorkflow-[^)]+\) completed successfully/);
    expect(notifications[1]?.message).toContain(
      `Users: 250 backed up: ${250 - viaAdminCreate} csv-import, ${viaAdminCreate} admin-create, 0 skipped, 0 missing\n`,
    );
    expect(notifications[1]?.message).toContain(`/${report.key}\n`);
  });

  it('removes exactly a deleted user and a removed membership from the backup table at the next export', async () => {
    const { deployment, primaryUserPoolId } = scenario;
    const cognito = environment.cognito;
    const pool = poolContent(cognito, primaryUserPoolId);
    const loner = pool.users.find((user) => user.groups.length === 0 && user.status !== 'EXTERNAL_PROVIDER');
    const member = pool.users.find((user) => user.groups.length === 1 && user.status !== 'EXTERNAL_PROVIDER');
    if (loner === undefined || member === undefined) throw new Error('the seed has no user without groups');
    const group = member.groups[0] as string;
    const client = environment.cognitoClient();
    await client.send(
      new AdminDeleteUserCommand({ UserPoolId: primaryUserPoolId, Username: loner.username }),
    );
    await client.send(
      new AdminRemoveUserFromGroupCommand({
        UserPoolId: primaryUserPoolId,
        Username: member.username,
        GroupName: group,
      }),
    );
    const before = new Set((await scanTable(environment, deployment.tableName)).map(keyOf));

    const rerun = await deployment.run('ExportWorkflow', scheduledExport());
    expect(rerun.status).toBe('SUCCEEDED');

    const after = new Set((await scanTable(environment, deployment.tableName)).map(keyOf));
    const removed = [...before].filter((key) => !after.has(key)).sort();
    const added = [...after].filter((key) => !before.has(key));
    const typeUser = `USER-${String(deployment.constants.SolutionInstanceUUID)}`;
    expect(removed).toEqual(
      [`USER-${loner.sub} | ${typeUser}`, `GROUP_MEMBER-${group} | GROUP_MEMBER-${member.sub}`].sort(),
    );
    expect(added).toEqual([]);
  });

  describe('an ImportWorkflow into a pool that is not empty', () => {
    let run: ExecutionRecord;
    let notifications: { kind: string; message: string }[] = [];

    beforeAll(async () => {
      const { deployment } = scenario;
      const notEmpty = seedPrimaryPool(environment.cognito, {
        userPool: {
          usernameAttributes: [],
          customAttributes: seed.userPool.customAttributes,
          mfaConfiguration: 'OFF',
        },
        users: [
          {
            username: 'already-here',
            enabled: true,
            attributes: { email: 'here@example.com', email_verified: 'true' },
          },
        ],
        groups: [],
      });
      const before = (await deployment.notifications()).length;
      run = await deployment.run('ImportWorkflow', { NewUserPoolId: notEmpty });
      notifications = (await deployment.notifications()).slice(before);
    });

    it('fails at the empty-pool check with its message', () => {
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe('NewUserPoolNotEmpty');
      expect(run.cause).toMatch(/must have no users and no groups/);
    });

    it('reads as a refusal at the Fail state, with its cause', () => {
      expect(explainFailure(run)).toEqual({
        state: 'No - the new user pool is not empty',
        error: 'NewUserPoolNotEmpty',
        message:
          'The new user pool must have no users and no groups. See the ImportCheckNewUserPoolLambda logs for details.',
        refusal: true,
      });
      expect(formatFailure(explainFailure(run))).toEqual([
        '  refused by design at state "No - the new user pool is not empty": The new user pool must have no users and no groups. See the ImportCheckNewUserPoolLambda logs for details.',
      ]);
    });

    it('sends an error notification', () => {
      expect(notifications.map((n) => n.kind)).toEqual(['error']);
    });
  });

  describe('an ImportWorkflow into a pool that would lose data of the backup', () => {
    const lacking = (pool: Partial<SeedFile['userPool']>) =>
      createRestorePool(environment.cognito, {
        ...seed,
        targetUserPool: {
          ...seed.userPool,
          customAttributes: seed.userPool.customAttributes.filter((name) => name !== 'plan'),
          ...pool,
        },
      });
    const untouched = (poolId: string) => {
      const pool = environment.cognito.store.getPool(poolId);
      return { users: pool?.users.size, groups: pool?.groups.size, importJobs: pool?.importJobs.size };
    };

    it('refuses, before any write, a pool without a custom attribute users carry, naming it', async () => {
      const poolId = lacking({});
      const run = await scenario.deployment.run('ImportWorkflow', { NewUserPoolId: poolId });
      expect(run.status).toBe('FAILED');
      const failure = explainFailure(run);
      expect(failure).toMatchObject({
        state: 'ImportCheckNewUserPoolLambda',
        error: 'TargetPoolRefusedError',
        refusal: true,
      });
      expect(failure?.message).toMatch(/1 difference: \(1\) custom:plan: \d+ backed-up users carry it/);
      expect(failure?.message).not.toContain('custom:tenant');
      expect(untouched(poolId)).toEqual({ users: 0, groups: 0, importJobs: 0 });
    });

    it('refuses, before any write, a pool with other username attributes', async () => {
      const poolId = lacking({
        customAttributes: seed.userPool.customAttributes,
        usernameAttributes: ['email'],
      });
      const run = await scenario.deployment.run('ImportWorkflow', { NewUserPoolId: poolId });
      expect(run.status).toBe('FAILED');
      expect(explainFailure(run)?.message).toMatch(
        /username attributes: \d+ backed-up users sign in with a username/,
      );
      expect(untouched(poolId)).toEqual({ users: 0, groups: 0, importJobs: 0 });
    });

    it('restores without it when DropAttributes names it, and the notification says so', async () => {
      const poolId = lacking({});
      const since = (await scenario.deployment.notifications()).length;
      const run = await scenario.deployment.run('ImportWorkflow', {
        NewUserPoolId: poolId,
        DropAttributes: ['custom:plan'],
      });
      expect(run.status).toBe('SUCCEEDED');
      const [success, ...others] = (await scenario.deployment.notifications()).slice(since);
      expect(others).toEqual([]);
      expect(success?.kind).toBe('success');
      expect(success?.message).toContain('Restored without these custom attributes');
      expect(success?.message).toContain('custom:plan');
      const source = poolContent(environment.cognito, scenario.primaryUserPoolId);
      const restored = poolContent(environment.cognito, poolId);
      expect(comparePools(source, restored, undefined).mismatches.map((m) => m.field)).toContain(
        'attributes.custom:plan',
      );
      const parity = comparePools(source, restored, undefined, undefined, {
        dropped: new Set(['custom:plan']),
      });
      expect(parity).toMatchObject({ ok: true, missingUsers: [], mismatches: [] });
      expect(parity.notes).toContainEqual(expect.stringMatching(/lack custom:plan, left out knowingly/));
    });
  });
});

/**
 * Whether the import CSV carries this generated user: it needs a verified e-mail or phone number (the
 * generator's unconfirmed users and those who never verified their e-mail have neither).
 */
function csvCarries(user: { status: string; attributes: Record<string, string> }): boolean {
  return user.attributes.email_verified === 'true' || user.attributes.phone_number_verified === 'true';
}

describe('an interrupted restore resumed with "Resume": true (120 users, 4 groups)', () => {
  const seed = generateSeed({
    users: 120,
    groups: 4,
    usernameAttribute: 'none',
    federatedUsers: 0,
    randomSeed: 5,
  });
  let scenario: TestDeployment;

  beforeAll(async () => {
    scenario = await deployWith(environment, seed);
  });

  afterAll(async () => {
    await scenario?.deployment.teardown();
  });

  it('ends with parity, a complete report, no duplicate user and an import job for the missing users only', async () => {
    const { deployment } = scenario;
    const cognito = environment.cognito;
    const exported = await deployment.run('ExportWorkflow', scheduledExport());
    expect(exported.status).toBe('SUCCEEDED');
    const restoredUserPoolId = createRestorePool(cognito, seed);
    const input = { NewUserPoolId: restoredUserPoolId };

    // The first run is stopped once its users are in, before memberships and disabled flags.
    const first = await deployment.start('ImportWorkflow', input);
    await deployment.waitForState(first, 'UpdateNewUsers');
    deployment.sfn.stop(first);
    expect((await deployment.wait(first)).status).toBe('ABORTED');
    // And part of the users never arrived (as when a run dies before its last import job).
    const client = environment.cognitoClient();
    // Users the CSV carries, so that the resumed run needs an import job for exactly them.
    const carried = new Set(
      poolContent(cognito, scenario.primaryUserPoolId)
        .users.filter(csvCarries)
        .map((user) => user.username),
    );
    const removed = poolContent(cognito, restoredUserPoolId)
      .users.filter((user) => carried.has(user.username))
      .slice(0, 20);
    expect(removed).toHaveLength(20);
    for (const user of removed) {
      await client.send(
        new AdminDeleteUserCommand({ UserPoolId: restoredUserPoolId, Username: user.username }),
      );
    }
    const jobsBefore = cognito.store.getPool(restoredUserPoolId)?.importJobs.size ?? 0;

    // Without Resume the run is refused (the interrupted run's messages are still queued, and the pool
    // is not empty) and changes nothing.
    const refused = await deployment.run('ImportWorkflow', input);
    expect(refused.status).toBe('FAILED');
    expect(poolContent(cognito, restoredUserPoolId).users).toHaveLength(100);

    const errorsBefore = scenario.errors.length;
    const resumed = await deployment.run('ImportWorkflow', { ...input, Resume: true });
    expect(resumed.status).toBe('SUCCEEDED');
    expect(scenario.errors.slice(errorsBefore)).toEqual([]);

    const source = poolContent(cognito, scenario.primaryUserPoolId);
    const restored = poolContent(cognito, restoredUserPoolId);
    expect(comparePools(source, restored, undefined)).toMatchObject({
      ok: true,
      missingUsers: [],
      unexpectedUsers: [],
      missingMemberships: [],
      mismatches: [],
    });
    expect(restored.users).toHaveLength(120);
    expect(new Set(restored.users.map((user) => user.username)).size).toBe(120);
    // New import jobs holding exactly the users that were missing: one, or two when the first ImportNewUsers
    // ran before the scan had queued them all (the loop after the Parallel state takes the rest).
    const jobs = [...(cognito.store.getPool(restoredUserPoolId)?.importJobs.values() ?? [])].slice(
      jobsBefore,
    );
    expect(jobs.length).toBeGreaterThanOrEqual(1);
    expect(jobs.every((job) => job.status === 'Succeeded' && job.failed === 0)).toBe(true);
    expect(jobs.reduce((sum, job) => sum + job.imported, 0)).toBe(removed.length);
    const report = await restoreReportCheck(deployment, restoredUserPoolId, source, restored, undefined);
    expect(report).toMatchObject({ ok: true, rows: 120, missingRows: [], wrongSubs: [], duplicateRows: [] });
  });
});

describe('a pool with email as username (250 users, 5 groups)', () => {
  const seed = smallPool('email');
  let scenario: TestDeployment;

  beforeAll(async () => {
    scenario = await deployWith(environment, seed);
  });

  afterAll(async () => {
    await scenario?.deployment.teardown();
  });

  it('restores with parity (users matched by email, new Usernames) and notifies both successes', async () => {
    expect(describePool(seed).largestGroup).toBeGreaterThan(60);
    const { restoredUserPoolId, source } = await exportAndRestore(scenario, seed);
    const restored = poolContent(environment.cognito, restoredUserPoolId);
    const parity = comparePools(source, restored, 'email');
    expect(parity).toMatchObject({ ok: true, missingUsers: [], mismatches: [], missingMemberships: [] });
    expect(parity.counts.users).toBe(250);
    // Cognito generated new Usernames: matching by email is what makes the comparison meaningful.
    const sourceUsernames = new Set(source.users.map((user) => user.username));
    expect(restored.users.some((user) => sourceUsernames.has(user.username))).toBe(false);
    const report = await restoreReportCheck(
      scenario.deployment,
      restoredUserPoolId,
      source,
      restored,
      'email',
    );
    expect(report).toMatchObject({ ok: true, rows: 250, missingRows: [], wrongSubs: [] });
    expect((await scenario.deployment.notifications()).map((n) => n.kind)).toEqual(['success', 'success']);
  });
});

describe('a pool with MFA ON', () => {
  it('cannot be deployed against: the StackChecker custom resource answers FAILED with the MFA message', async () => {
    const seed = generateSeed({ users: 2, groups: 0, usernameAttribute: 'none' });
    seed.userPool.mfaConfiguration = 'ON';
    await expect(deployWith(environment, seed)).rejects.toThrow(
      "StackCheckerCustomResource (Custom::StackChecker) failed: User Pools with MFA enabled are not supported. The user pool's MFA configuration is set to ON",
    );
  });
});

describe('a pool whose MFA is switched ON after deployment', () => {
  it('fails the ExportWorkflow with the MFA message and notifies the error', async () => {
    const seed = generateSeed({ users: 5, groups: 1, usernameAttribute: 'none' });
    await withDeployment(environment, seed, async (scenario) => {
      await environment.cognitoClient().send(
        new SetUserPoolMfaConfigCommand({
          UserPoolId: scenario.primaryUserPoolId,
          MfaConfiguration: 'ON',
          SoftwareTokenMfaConfiguration: { Enabled: true },
        }),
      );
      const run = await scenario.deployment.run('ExportWorkflow', scheduledExport());
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe('UnsupportedUserPool');
      const notifications = await scenario.deployment.notifications();
      expect(notifications).toHaveLength(1);
      expect(notifications[0]?.kind).toBe('error');
      expect(notifications[0]?.message).toMatch(/^The ExportWorkflow-\S+ stopped: unsupported user pool\./);
      expect(notifications[0]?.message).toContain(
        "User Pools with MFA enabled are not supported. The user pool's MFA configuration is set to ON",
      );
    });
  });
});

describe("an emptied source pool (the export cleanup's mass-deletion guard)", () => {
  it('deletes nothing and notifies; a manual run with AllowMassDeletion deletes exactly the stale items', async () => {
    const seed = generateSeed({ users: 40, groups: 3, usernameAttribute: 'none', randomSeed: 11 });
    await withDeployment(environment, seed, async (scenario) => {
      const { deployment, primaryUserPoolId } = scenario;
      const first = await deployment.run('ExportWorkflow', scheduledExport());
      expect(await outcome(scenario, first)).toEqual(SUCCEEDED);
      const backedUp = await scanTable(environment, deployment.tableName);
      const users = backedUp.filter((item) => String(item.id).startsWith('USER-'));
      const memberships = backedUp.filter((item) => String(item.id).startsWith('GROUP_MEMBER-'));
      expect(users.length).toBeGreaterThan(0);
      expect(memberships.length).toBeGreaterThan(0);

      const client = environment.cognitoClient();
      for (const user of poolContent(environment.cognito, primaryUserPoolId).users) {
        await client.send(
          new AdminDeleteUserCommand({ UserPoolId: primaryUserPoolId, Username: user.username }),
        );
      }
      expect(poolContent(environment.cognito, primaryUserPoolId).users).toEqual([]);
      const notified = (await deployment.notifications()).length;

      const refused = await deployment.run('ExportWorkflow', scheduledExport());
      expect(refused.status).toBe('FAILED');
      expect(refused.error).toBe('MassDeletionRefused');
      const afterRefusal = await scanTable(environment, deployment.tableName);
      expect(afterRefusal.map(keyOf).sort()).toEqual(backedUp.map(keyOf).sort());
      const refusal = (await deployment.notifications()).slice(notified);
      expect(refusal.map((n) => n.kind)).toEqual(['error']);
      const text = refusal[0]?.message ?? '';
      expect(text).toMatch(/^The ExportWorkflow-\S+ stopped: mass deletion refused\./);
      expect(text).toContain(`the user pool listed no user while the backup holds ${users.length}`);
      expect(text).toContain(`${users.length} of ${users.length} users (100%)`);
      // Every membership belongs to a stale user: counted with the users, and said so.
      expect(text).toContain(
        `${memberships.length} of ${memberships.length} group memberships (100%; ${memberships.length} of them ` +
          'belong to stale users or groups',
      );
      expect(text).toContain(
        'One export may delete, of the users, of the groups and of the memberships each, 5 or 10%, whichever is more',
      );
      expect(text).toContain('{"AllowMassDeletion": true}');
      expect(text).not.toContain('An unexpected error occurred');
      for (const user of seed.users) {
        for (const value of Object.values(user.attributes).filter((v) => v.length > 5)) {
          expect(text).not.toContain(value);
        }
      }

      const beforeOverride = (await deployment.notifications()).length;
      const errorLogsBefore = scenario.errors.length;
      const allowed = await deployment.run('ExportWorkflow', { AllowMassDeletion: true });
      const errorLogs = scenario.errors.slice(errorLogsBefore);
      expect({ status: allowed.status, cause: allowed.cause, errorLogs }).toEqual({
        status: 'SUCCEEDED',
        cause: undefined,
        errorLogs: [],
      });
      const afterOverride = (await deployment.notifications()).slice(beforeOverride);
      expect(afterOverride.map((n) => n.kind)).toEqual(['success']);
      expect(afterOverride[0]?.message).toContain(
        `The backup cleanup removed ${users.length} users (100%), 0 groups (0%) and ` +
          `${memberships.length} group memberships (100%) that are no longer in the user pool`,
      );
      expect(afterOverride[0]?.message).toContain('(AllowMassDeletion)');
      const after = new Set((await scanTable(environment, deployment.tableName)).map(keyOf));
      const removed = backedUp.map(keyOf).filter((key) => !after.has(key));
      expect(removed.sort()).toEqual([...users, ...memberships].map(keyOf).sort());
      expect([...after].sort()).toEqual(
        backedUp
          .filter((item) => !users.includes(item) && !memberships.includes(item))
          .map(keyOf)
          .sort(),
      );
    });
  });
});

describe("a small pool that loses a user (the mass-deletion guard's count allowance)", () => {
  it('the next scheduled export removes her and says so in its notification', async () => {
    const seed = generateSeed({
      users: 9,
      groups: 2,
      usernameAttribute: 'none',
      federatedUsers: 0,
      randomSeed: 5,
    });
    await withDeployment(environment, seed, async (scenario) => {
      const { deployment, primaryUserPoolId } = scenario;
      expect(await outcome(scenario, await deployment.run('ExportWorkflow', scheduledExport()))).toEqual(
        SUCCEEDED,
      );
      const backedUp = await scanTable(environment, deployment.tableName);
      const [leaving] = poolContent(environment.cognito, primaryUserPoolId).users;
      if (leaving === undefined) throw new Error('the seeded pool has no user');
      await environment
        .cognitoClient()
        .send(new AdminDeleteUserCommand({ UserPoolId: primaryUserPoolId, Username: leaving.username }));
      const notified = (await deployment.notifications()).length;

      // 1 of 9 users is 11.1%, over MaxDeletionPercent (10): only MaxDeletionCount (5) allows it.
      const second = await deployment.run('ExportWorkflow', scheduledExport());
      expect(await outcome(scenario, second, notified)).toEqual(SUCCEEDED);
      const after = new Set((await scanTable(environment, deployment.tableName)).map(keyOf));
      const removed = backedUp.filter((item) => !after.has(keyOf(item)));
      const removedOf = (prefix: string) =>
        removed.filter((item) => String(item.id).startsWith(prefix)).length;
      expect(removedOf('USER-')).toBe(1);
      const memberships = removedOf('GROUP_MEMBER-');
      const notifications = (await deployment.notifications()).slice(notified);
      expect(notifications.map((n) => n.kind)).toEqual(['success']);
      expect(notifications[0]?.message).toContain(
        `The backup cleanup removed 1 user (11.1%), 0 groups (0%) and ${memberships} group membership`,
      );
    });
  });
});

/** The items the original solution (v1.0.10) writes for a pool. */
function originalBackupItems(
  source: PoolContent,
  uuid: string,
  exportTimestamp: number,
): Record<string, unknown>[] {
  const region = 'us-east-1';
  const items: Record<string, unknown>[] = [];
  const subOf = new Map(source.users.map((user) => [user.username, user.sub]));
  for (const user of source.users) {
    if (user.status === 'EXTERNAL_PROVIDER') continue;
    const attributes = [
      { Name: 'sub', Value: user.sub },
      ...Object.entries(user.attributes)
        .filter(([name]) => name !== 'sub')
        .map(([Name, Value]) => ({ Name, Value })),
    ];
    items.push({
      id: `USER-${user.sub}`,
      type: `USER-${uuid}`,
      username: user.username,
      pseudoUsername: user.username,
      userAttributes: attributes,
      userEnabled: user.enabled,
      userStatus: user.status,
      lastConfirmedInUserPool: exportTimestamp,
      lastUpdatedRegion: region,
    });
  }
  for (const group of source.groups) {
    items.push({
      id: `GROUP-${group.name}`,
      type: `GROUP-${uuid}`,
      groupName: group.name,
      groupDescription: group.description ?? '',
      groupPrecedence: group.precedence ?? -1,
      groupLastModifiedDate: new Date(exportTimestamp).toISOString(),
      lastConfirmedInUserPool: exportTimestamp,
      lastUpdatedRegion: region,
    });
    for (const member of group.members) {
      const sub = subOf.get(member);
      if (sub === undefined || member.startsWith('Google_')) continue;
      items.push({
        id: `GROUP_MEMBER-${group.name}`,
        type: `GROUP_MEMBER-${sub}`,
        groupUser: member,
        groupPseudoUsername: member,
        groupName: group.name,
        lastConfirmedInUserPool: exportTimestamp,
        lastUpdatedRegion: region,
      });
    }
  }
  items.push({
    id: 'latest-export-timestamp',
    type: `SYNC_TIMESTAMP-${uuid}`,
    latestExportTimestamp: exportTimestamp,
  });
  return items;
}

describe('a backup table written in the original format', () => {
  it('restores into a new pool with parity', async () => {
    const seed = generateSeed({
      users: 150,
      groups: 4,
      usernameAttribute: 'none',
      federatedUsers: 1,
      randomSeed: 3,
    });
    await withDeployment(environment, seed, async (scenario) => {
      const source = poolContent(environment.cognito, scenario.primaryUserPoolId);
      const items = originalBackupItems(
        source,
        String(scenario.deployment.constants.SolutionInstanceUUID),
        Date.now(),
      );
      const ddb = environment.documentClient();
      const table = scenario.deployment.tableName;
      await Promise.all(
        chunk(items, 25).map((batch) =>
          ddb.send(
            new BatchWriteCommand({
              RequestItems: { [table]: batch.map((Item) => ({ PutRequest: { Item } })) },
            }),
          ),
        ),
      );
      const restoredUserPoolId = createRestorePool(environment.cognito, seed);
      const run = await scenario.deployment.run('ImportWorkflow', { NewUserPoolId: restoredUserPoolId });
      expect(await outcome(scenario, run)).toEqual(SUCCEEDED);
      const parity = comparePools(source, poolContent(environment.cognito, restoredUserPoolId), undefined);
      expect(parity).toMatchObject({ ok: true, missingUsers: [], mismatches: [], missingMemberships: [] });
      expect(parity.counts.users).toBe(150);
    });
  });
});

describe('groups with the longest descriptions Cognito allows (61 groups, two ListGroups pages)', () => {
  it('exports and restores them with parity, no state above 256 KB', async () => {
    const seed = generateSeed({ users: 20, groups: 0, usernameAttribute: 'none', randomSeed: 5 });
    // 2,048 characters of 3 bytes each: one page of 60 such groups is about 370 KB of descriptions.
    seed.groups = Array.from({ length: 61 }, (_, i) => ({
      name: `tenant-${String(i).padStart(2, '0')}`,
      description: `${i} ${'€'.repeat(2048 - String(i).length - 1)}`,
      members: [seed.users[i % 20]?.username ?? ''],
    }));
    const report = await runLocal({
      root: ROOT,
      seed,
      seedSource: 'test',
      tps: 25,
      maxWaitMs: 50,
      environment,
      stackName: 'cupera-test-long-descriptions',
    });
    expect(report).toMatchObject({
      ok: true,
      parity: { ok: true, mismatches: [], missingGroups: [], counts: { groups: 61, memberships: 61 } },
      export: { status: 'SUCCEEDED', cognitoCalls: { ListGroups: 2 } },
      import: { status: 'SUCCEEDED' },
    });
    expect(report.export.maxStatePayloadBytes).toBeLessThan(20_000);
    expect(report.import?.maxStatePayloadBytes).toBeLessThan(262_144);
  });
});

describe("runLocal with exportOnly (the bench's listing cases)", () => {
  it("checks the backup table's user, group and membership items against the pool", async () => {
    const seed = generateSeed({
      users: 40,
      groups: 3,
      usernameAttribute: 'none',
      federatedUsers: 1,
      randomSeed: 7,
    });
    const report = await runLocal({
      root: ROOT,
      seed,
      seedSource: 'test',
      tps: 25,
      maxWaitMs: 50,
      environment,
      stackName: 'cupera-test-export-only',
      exportOnly: true,
    });
    const federated = new Set(
      seed.users.filter((user) => user.status === 'EXTERNAL_PROVIDER').map((user) => user.username),
    );
    const memberships = seed.groups.flatMap((group) => group.members).filter((m) => !federated.has(m)).length;
    expect(federated.size).toBe(1);
    expect(report.import).toBeUndefined();
    expect(report.exportParity).toEqual({
      ok: true,
      userItems: 40,
      expectedUsers: 40,
      groupItems: 3,
      expectedGroups: 3,
      membershipItems: memberships,
      expectedMemberships: memberships,
    });
    expect(report.ok).toBe(true);
  });
});

describe('runLocal (what npm start runs)', () => {
  it('reports both workflows, the parity verdict, the Cognito calls and the notifications', async () => {
    const seed = generateSeed({
      users: 70,
      groups: 2,
      usernameAttribute: 'none',
      federatedUsers: 1,
      randomSeed: 11,
    });
    const progress: ProgressEvent[] = [];
    const artifacts = new Map<string, string>();
    const report = await runLocal({
      root: ROOT,
      seed,
      seedSource: 'test',
      tps: 20,
      maxWaitMs: 50,
      environment,
      stackName: 'cupera-test-run-local',
      countsEveryMs: 100,
      onProgress: (event) => progress.push(event),
      onArtifact: (name, text) => artifacts.set(name, text),
    });
    const memberships = seed.groups.reduce((sum, group) => sum + group.members.length, 0) - 1;
    expect(report).toMatchObject({
      ok: true,
      parity: {
        ok: true,
        missingUsers: [],
        mismatches: [],
        counts: { users: 70, groups: 2, memberships },
        restoreReport: { ok: true, rows: 70, expectedRows: 70, wrongSubs: [] },
      },
      // One page for each of the 16 sub partitions (70 users: fewer than 60 in each).
      export: { status: 'SUCCEEDED', cognitoCalls: { ListUsers: 16, DescribeUserPool: 1 } },
      import: {
        status: 'SUCCEEDED',
        cognitoCalls: { AdminAddUserToGroup: expect.any(Number), CreateGroup: expect.any(Number) },
      },
      seed: { users: 71, federatedUsers: 1, groups: 2 },
      notifications: { sent: 2, success: 2, error: 0 },
    });
    // One import job, or more when ImportNewUsers ran before the scan had queued every user (on a loaded
    // machine); every one of them succeeded and none failed a row.
    const importJobs = report.import?.importJobs ?? [];
    expect(importJobs.length).toBeGreaterThanOrEqual(1);
    expect(importJobs).toEqual(
      importJobs.map(() => expect.objectContaining({ status: 'Succeeded', failed: 0 })),
    );
    const added = report.import?.cognitoCalls.AdminAddUserToGroup ?? 0;
    expect(added - (report.import?.throttled.AdminAddUserToGroup ?? 0)).toBe(memberships);
    expect(report.export.wallMs).toBeGreaterThan(0);
    expect(report.peakRssMb.harness).toBeGreaterThan(0);
    const states = progress.filter((event) => event.kind === 'state');
    expect(states.filter((event) => event.workflow === 'export').map((event) => event.text)).toContain(
      'ExportUsersLambda',
    );
    expect(states.filter((event) => event.workflow === 'import').map((event) => event.text)).toContain(
      'UpdateNewUsers',
    );
    // Each state is shown once per workflow, however often the loops re-enter it.
    const importStates = states.filter((event) => event.workflow === 'import').map((event) => event.text);
    expect(new Set(importStates).size).toBe(importStates.length);
    expect(progress.some((event) => event.kind === 'counts' && /users 70\/70/.test(event.text))).toBe(true);
    // What an operator reads on AWS: the restore report and both notifications, whole.
    expect(artifacts.get('restore-report.csv')?.split('\n')[0]).toMatch(
      /^oldSub,newSub,username,outcome,reason/,
    );
    expect(artifacts.get('restore-report.csv')?.trim().split('\n')).toHaveLength(71);
    expect(artifacts.get('notification-1-success.txt')).toMatch(/ExportWorkflow.*completed successfully/);
    expect(artifacts.get('notification-2-success.txt')).toContain('Restore report: s3://');
  });
});
