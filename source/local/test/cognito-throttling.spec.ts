// SPDX-License-Identifier: Apache-2.0
/**
 * Request-rate quotas per Cognito category (TooManyRequestsException, HTTP 400), the scale factor,
 * the per-pool cap of the UserPoolResource categories, latency and call statistics. The clock and the
 * latency sleep are injected: nothing here waits for real time except one check of the default sleep.
 */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  CreateGroupCommand,
  DescribeUserPoolCommand,
  GetUserPoolMfaConfigCommand,
  ListGroupsCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { DEFAULT_QUOTAS, startCognitoEmulator, type CognitoEmulatorOptions } from '../cognito';
import { startCognito, type CognitoUnderTest } from '../cognito/testing';

interface Harness extends CognitoUnderTest {
  poolId: string;
  advance(ms: number): void;
}

const running: Harness[] = [];

async function start(options: CognitoEmulatorOptions = {}): Promise<Harness> {
  let clock = Date.UTC(2026, 10, 1);
  const cognito = await startCognito({ now: () => clock, ...options });
  const { poolId } = cognito.emulator.seed({
    users: Array.from({ length: 10 }, (_, i) => ({ username: `u${i}` })),
    groups: [{ name: 'g', members: ['u0'] }],
  });
  const harness = {
    ...cognito,
    poolId,
    advance: (ms: number) => {
      clock += ms;
    },
  };
  running.push(harness);
  return harness;
}

afterEach(async () => {
  for (const h of running.splice(0)) await h.stop();
});

/** Sends `count` calls sequentially; returns how many were throttled (and checks the error shape). */
async function throttledOf(count: number, call: () => Promise<unknown>): Promise<number> {
  let throttled = 0;
  for (let i = 0; i < count; i += 1) {
    try {
      await call();
    } catch (error) {
      const e = error as Error & { $metadata?: { httpStatusCode?: number } };
      expect([e.name, e.message, e.$metadata?.httpStatusCode]).toEqual([
        'TooManyRequestsException',
        'Rate exceeded',
        400,
      ]);
      throttled += 1;
    }
  }
  return throttled;
}

describe('quota categories', () => {
  it('UserList allows 30 requests a second shared by ListUsers and ListUsersInGroup', async () => {
    const h = await start();
    const listUsers = (): Promise<unknown> => h.client.send(new ListUsersCommand({ UserPoolId: h.poolId }));
    const listMembers = (): Promise<unknown> =>
      h.client.send(new ListUsersInGroupCommand({ UserPoolId: h.poolId, GroupName: 'g' }));
    expect(await throttledOf(20, listUsers)).toBe(0);
    expect(await throttledOf(12, listMembers)).toBe(2);
    expect(h.emulator.stats().throttled).toEqual({ ListUsersInGroup: 2 });
    expect(h.emulator.stats().calls).toEqual({ ListUsers: 20, ListUsersInGroup: 12 });

    h.advance(100); // refills 3 tokens
    expect(await throttledOf(4, listUsers)).toBe(1);
    h.advance(1000);
    expect(await throttledOf(30, listUsers)).toBe(0);
  });

  it.each([
    [
      'UserPoolRead',
      15,
      (h: Harness) => h.client.send(new DescribeUserPoolCommand({ UserPoolId: h.poolId })),
    ],
    [
      'UserPoolRead',
      15,
      (h: Harness) => h.client.send(new GetUserPoolMfaConfigCommand({ UserPoolId: h.poolId })),
    ],
    [
      'UserResourceUpdate',
      25,
      (h: Harness) =>
        h.client.send(
          new AdminAddUserToGroupCommand({ UserPoolId: h.poolId, GroupName: 'g', Username: 'u1' }),
        ),
    ],
    [
      'UserUpdate',
      25,
      (h: Harness) => h.client.send(new AdminDisableUserCommand({ UserPoolId: h.poolId, Username: 'u1' })),
    ],
  ])('%s allows %i requests a second', async (category, quota, call) => {
    expect(DEFAULT_QUOTAS[category as keyof typeof DEFAULT_QUOTAS]).toBe(quota);
    const h = await start();
    expect(await throttledOf(quota + 3, () => call(h))).toBe(3);
  });

  it('UserCreation allows 50 AdminCreateUser a second', async () => {
    const h = await start();
    let n = 0;
    const create = (): Promise<unknown> =>
      h.client.send(
        new AdminCreateUserCommand({
          UserPoolId: h.poolId,
          Username: `new-${n++}`,
          MessageAction: 'SUPPRESS',
        }),
      );
    expect(await throttledOf(52, create)).toBe(2);
    expect(h.emulator.store.getPool(h.poolId)?.users.size).toBe(10 + 50);
  });

  it('UserPoolResourceRead is 20 a second, and 5 a second per pool and operation', async () => {
    const h = await start();
    const second = h.emulator.seed({}).poolId;
    const third = h.emulator.seed({}).poolId;
    const listGroups = (pool: string) => () => h.client.send(new ListGroupsCommand({ UserPoolId: pool }));
    expect(await throttledOf(7, listGroups(h.poolId))).toBe(2);
    expect(await throttledOf(5, listGroups(second))).toBe(0);
    expect(await throttledOf(5, listGroups(third))).toBe(0);
    const fourth = h.emulator.seed({}).poolId;
    // 15 tokens of the category used, 5 left; the per-pool cap allows all of them on a new pool.
    expect(await throttledOf(6, listGroups(fourth))).toBe(1);
    expect(await throttledOf(1, listGroups(h.emulator.seed({}).poolId))).toBe(1);
  });

  it('UserPoolResourceUpdate caps CreateGroup at 5 a second per pool', async () => {
    const h = await start();
    let n = 0;
    const create = (): Promise<unknown> =>
      h.client.send(new CreateGroupCommand({ UserPoolId: h.poolId, GroupName: `group-${n++}` }));
    expect(await throttledOf(8, create)).toBe(3);
    h.advance(1000);
    expect(await throttledOf(5, create)).toBe(0);
  });
});

describe('throttling options', () => {
  it('scale multiplies every quota', async () => {
    const h = await start({ throttling: { scale: 2 } });
    expect(await throttledOf(62, () => h.client.send(new ListUsersCommand({ UserPoolId: h.poolId })))).toBe(
      2,
    );
  });

  it('quotas override a category and perPoolOperationRps: false drops the per-pool cap', async () => {
    const h = await start({
      throttling: { quotas: { UserPoolResourceUpdate: 8 }, perPoolOperationRps: false },
    });
    let n = 0;
    const create = (): Promise<unknown> =>
      h.client.send(new CreateGroupCommand({ UserPoolId: h.poolId, GroupName: `group-${n++}` }));
    expect(await throttledOf(10, create)).toBe(2);
  });

  it("'off' never throttles", async () => {
    const h = await start({ throttling: 'off' });
    expect(await throttledOf(45, () => h.client.send(new ListUsersCommand({ UserPoolId: h.poolId })))).toBe(
      0,
    );
    expect(h.emulator.stats()).toEqual({
      calls: { ListUsers: 45 },
      throttled: {},
      errors: {},
      usersListed: expect.any(Number),
    });
  });

  it('refuses a scale that is not positive', async () => {
    await expect(startCognitoEmulator({ throttling: { scale: 0 } })).rejects.toThrow(
      'throttling.scale must be a positive number',
    );
  });
});

describe('latency', () => {
  it("'aws' waits 400 ms per user-list page and 100 ms for other calls", async () => {
    const waits: number[] = [];
    const h = await start({
      latency: 'aws',
      throttling: 'off',
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    await h.client.send(new ListUsersCommand({ UserPoolId: h.poolId }));
    await h.client.send(new ListUsersInGroupCommand({ UserPoolId: h.poolId, GroupName: 'g' }));
    await h.client.send(new DescribeUserPoolCommand({ UserPoolId: h.poolId }));
    await expect(
      h.client.send(new DescribeUserPoolCommand({ UserPoolId: 'us-east-1_missing' })),
    ).rejects.toThrow();
    expect(waits).toEqual([400, 400, 100, 100]);
  });

  it("'none' adds no wait; throttled answers are immediate", async () => {
    const waits: number[] = [];
    const h = await start({
      latency: { ListUsers: 7 },
      throttling: { quotas: { UserList: 1 } },
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    await h.client.send(new ListUsersCommand({ UserPoolId: h.poolId }));
    await expect(h.client.send(new ListUsersCommand({ UserPoolId: h.poolId }))).rejects.toThrow(
      'Rate exceeded',
    );
    await h.client.send(new DescribeUserPoolCommand({ UserPoolId: h.poolId }));
    expect(waits).toEqual([7]);
  });

  it('the default sleep really delays the answer', async () => {
    const h = await start({ latency: { DescribeUserPool: 120 }, throttling: 'off' });
    const started = performance.now();
    await h.client.send(new DescribeUserPoolCommand({ UserPoolId: h.poolId }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });
});

describe('request log', () => {
  it('reports operation, outcome and duration, never request data', async () => {
    const entries: unknown[] = [];
    const h = await start({ throttling: 'off', onRequest: (entry) => entries.push(entry) });
    await h.client.send(new ListUsersCommand({ UserPoolId: h.poolId, Filter: 'username = "u1"' }));
    await expect(h.client.send(new ListUsersCommand({ UserPoolId: h.poolId, Limit: 61 }))).rejects.toThrow();
    expect(entries).toEqual([
      { operation: 'ListUsers', outcome: 'ok', durationMs: expect.any(Number) },
      { operation: 'ListUsers', outcome: 'InvalidParameterException', durationMs: expect.any(Number) },
    ]);
    expect(JSON.stringify(entries)).not.toContain('u1');
  });
});
