// SPDX-License-Identifier: Apache-2.0
/**
 * Faults the Cognito emulator injects for the local run's `--fault` options: HTTP 500 before the
 * operation, a connection dropped after it, quotas changed while it runs, and slow import jobs.
 */
import {
  type CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserImportJobCommand,
  GetCSVHeaderCommand,
  ListGroupsCommand,
  ListUsersCommand,
  StartUserImportJobCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { errorName, withCognito } from '../cognito/testing';

const groupNames = async (client: CognitoIdentityProviderClient, poolId: string): Promise<string[]> =>
  ((await client.send(new ListGroupsCommand({ UserPoolId: poolId }))).Groups ?? []).map(
    (g) => g.GroupName ?? '',
  );

it('cognito-500: answers InternalErrorException (HTTP 500) before the operation runs', async () => {
  await withCognito({ throttling: 'off' }, async ({ emulator, client }) => {
    const { poolId } = emulator.seed({});
    emulator.setFaults({ internalErrorShare: 1 });
    let status = 0;
    try {
      await client.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'g1' }));
    } catch (error) {
      status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
      expect((error as Error).name).toBe('InternalErrorException');
    }
    expect(status).toBe(500);
    emulator.setFaults(undefined);
    expect(await groupNames(client, poolId)).toEqual([]);
    expect(emulator.faultCounts().internalError).toEqual({ CreateGroup: 1 });
  });
});

it('cognito-drop: drops the connection after the operation took effect', async () => {
  await withCognito({ throttling: 'off' }, async ({ emulator, client }) => {
    const { poolId } = emulator.seed({});
    emulator.setFaults({ dropShare: 1 });
    const failure = await errorName(
      client.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'g1' })),
    );
    expect(failure).not.toBe('no error');
    emulator.setFaults(undefined);
    expect(await groupNames(client, poolId)).toEqual(['g1']);
    expect(emulator.faultCounts().dropped).toEqual({ CreateGroup: 1 });
  });
});

it('hits about the given share of requests', async () => {
  await withCognito({ throttling: 'off' }, async ({ emulator, client }) => {
    const { poolId } = emulator.seed({});
    let draws = 0;
    // Every fourth draw is below 0.25.
    emulator.setFaults({ internalErrorShare: 0.25, random: () => ((draws += 1) % 4 === 0 ? 0.1 : 0.9) });
    const outcomes = [];
    for (let i = 0; i < 8; i += 1)
      outcomes.push(await errorName(client.send(new ListUsersCommand({ UserPoolId: poolId }))));
    expect(outcomes.filter((name) => name === 'InternalErrorException')).toHaveLength(2);
  });
});

it('cognito-throttle: setThrottling scales the quotas for the requests that follow', async () => {
  await withCognito({ throttling: 'off' }, async ({ emulator, client }) => {
    const { poolId } = emulator.seed({});
    const burst = async (): Promise<number> => {
      const names = await Promise.all(
        Array.from({ length: 20 }, () =>
          errorName(client.send(new ListUsersCommand({ UserPoolId: poolId }))),
        ),
      );
      return names.filter((name) => name === 'TooManyRequestsException').length;
    };
    expect(await burst()).toBe(0);
    // UserList: 30 RPS at scale 1, so a bucket of 7.5 tokens at a quarter.
    emulator.setThrottling({ scale: 0.25 });
    const throttled = await burst();
    expect(throttled).toBeGreaterThanOrEqual(12);
    expect(throttled).toBeLessThan(20);
  });
});

it('import-job-ms-per-kb: a slowed import job stays InProgress and creates its users over its time', async () => {
  await withCognito({ throttling: 'off' }, async ({ emulator, client }) => {
    const { poolId } = emulator.seed({});
    const header = (await client.send(new GetCSVHeaderCommand({ UserPoolId: poolId }))).CSVHeader ?? [];
    const rows = Array.from({ length: 100 }, (_, i) =>
      header
        .map((column) =>
          column === 'cognito:username'
            ? `slow-${i}`
            : column === 'cognito:mfa_enabled'
              ? 'false'
              : column === 'email'
                ? `slow-${i}@example.com`
                : column === 'email_verified'
                  ? 'true'
                  : '',
        )
        .join(','),
    );
    const csv = `${header.join(',')}\n${rows.join('\n')}\n`;
    const kib = Buffer.byteLength(csv) / 1024;
    const job =
      (
        await client.send(
          new CreateUserImportJobCommand({
            UserPoolId: poolId,
            JobName: 'slow',
            CloudWatchLogsRoleArn: 'arn:aws:iam::000000000000:role/CognitoImportLogs',
          }),
        )
      ).UserImportJob ?? {};
    await fetch(job.PreSignedUrl ?? '', { method: 'PUT', body: csv });
    emulator.setFaults({ importJobMsPerKb: Math.ceil(800 / kib) });
    const started = Date.now();
    await client.send(new StartUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const pool = emulator.store.getPool(poolId);
    expect(emulator.store.getPool(poolId)?.importJobs.get(job.JobId ?? '')?.status).toBe('InProgress');
    const partial = pool?.users.size ?? 0;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(100);
    const finished = await emulator.waitForImportJob(job.JobId ?? '');
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect([finished.status, finished.imported]).toEqual(['Succeeded', 100]);
  });
});
