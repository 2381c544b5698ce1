// SPDX-License-Identifier: Apache-2.0
/**
 * The Cognito rate limiter: a sliding-window log. A call may start only when fewer than
 * `callsPerSecond` calls started in the preceding `windowMs`. Unlike a token bucket (which allows
 * a burst of 2N across a refill) or a fixed window (2N across a window edge), this guarantees that
 * no one-second window, wherever it is placed, holds more than N call starts. Callers are served
 * first come, first served, so concurrent work shares the budget fairly.
 *
 * `CognitoQuotaLimiter` layers Cognito's own quotas on top of `COGNITO_TPS`: an operation whose
 * quota (per operation and pool, or per category) is below `COGNITO_TPS` gets its own window in front
 * of the shared one, so a high `COGNITO_TPS` never sends more CreateGroup or ListGroups calls than
 * Cognito accepts.
 */

import { realSleep, type Now, type Sleep } from './time';

export interface RateLimiter {
  /**
   * Resolves when one more call may start now; the start is recorded. `operation` (a Cognito
   * operation name) lets a limiter apply that operation's own quota; plain limiters ignore it.
   */
  acquire(operation?: string): Promise<void>;
}

export class SlidingWindowLimiter implements RateLimiter {
  /** Start times of the most recent calls, oldest first; never longer than `callsPerSecond`. */
  private readonly starts: number[] = [];
  private queue: Promise<void> = Promise.resolve();
  private waited = 0;
  private granted = 0;

  /**
   * `inner`, when given, is acquired once this window has room and before the start is recorded:
   * the call starts only when both windows allow it, and this window records the real start time.
   */
  constructor(
    readonly callsPerSecond: number,
    private readonly now: Now = Date.now,
    private readonly sleep: Sleep = realSleep,
    private readonly windowMs = 1000,
    private readonly inner?: RateLimiter,
  ) {
    if (!Number.isInteger(callsPerSecond) || callsPerSecond < 1) {
      throw new RangeError(`callsPerSecond must be a whole number of at least 1 (found ${callsPerSecond})`);
    }
  }

  acquire(operation?: string): Promise<void> {
    const turn = this.queue.then(() => this.take(operation));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Total milliseconds callers spent waiting for this window (not counting `inner`). */
  get waitedMs(): number {
    return this.waited;
  }

  /** Calls admitted so far. */
  get admitted(): number {
    return this.granted;
  }

  private async take(operation: string | undefined): Promise<void> {
    for (;;) {
      const now = this.now();
      while (this.starts.length > 0 && (this.starts[0] as number) <= now - this.windowMs) this.starts.shift();
      if (this.starts.length < this.callsPerSecond) {
        // Only this queue adds starts, so the room found here is still there after `inner`.
        if (this.inner) await this.inner.acquire(operation);
        this.starts.push(this.now());
        this.granted += 1;
        return;
      }
      const wait = (this.starts[0] as number) + this.windowMs - now;
      this.waited += wait;
      await this.sleep(wait);
    }
  }
}

/** Cognito's request-rate quota categories, as its quotas page names them. */
export type CognitoQuotaCategory =
  | 'UserList'
  | 'UserRead'
  | 'UserResourceRead'
  | 'UserResourceUpdate'
  | 'UserUpdate'
  | 'UserCreation'
  | 'UserPoolRead'
  | 'UserPoolResourceRead'
  | 'UserPoolResourceUpdate'
  | 'UserPoolClientRead'
  | 'UserPoolUpdate'
  | 'UserPoolClientUpdate';

/** Default requests per second of each category (per account and Region, all pools together). */
export const CATEGORY_RPS: Readonly<Record<CognitoQuotaCategory, number>> = {
  UserList: 30,
  UserRead: 120,
  UserResourceRead: 50,
  UserResourceUpdate: 25,
  UserUpdate: 25,
  UserCreation: 50,
  UserPoolRead: 15,
  UserPoolResourceRead: 20,
  UserPoolResourceUpdate: 15,
  UserPoolClientRead: 15,
  UserPoolUpdate: 15,
  UserPoolClientUpdate: 15,
};

/** Categories whose every operation is also capped per user pool. */
export const PER_POOL_OPERATION_RPS: Readonly<Partial<Record<CognitoQuotaCategory, number>>> = {
  UserPoolResourceRead: 5,
  UserPoolResourceUpdate: 5,
  UserPoolClientRead: 5,
  UserPoolClientUpdate: 5,
};

/** The category of each Cognito operation the workflows call. */
export const OPERATION_CATEGORY: Readonly<Record<string, CognitoQuotaCategory>> = {
  ListUsers: 'UserList',
  ListUsersInGroup: 'UserList',
  ListGroups: 'UserPoolResourceRead',
  GetGroup: 'UserPoolResourceRead',
  GetCSVHeader: 'UserPoolResourceRead',
  DescribeUserImportJob: 'UserPoolResourceRead',
  ListUserImportJobs: 'UserPoolResourceRead',
  CreateGroup: 'UserPoolResourceUpdate',
  CreateUserImportJob: 'UserPoolResourceUpdate',
  StartUserImportJob: 'UserPoolResourceUpdate',
  DescribeUserPool: 'UserPoolRead',
  GetUserPoolMfaConfig: 'UserPoolRead',
  // The export's configuration record; categories by the quota page's descriptions.
  ListUserPoolClients: 'UserPoolClientRead',
  DescribeUserPoolClient: 'UserPoolClientRead',
  ListResourceServers: 'UserPoolResourceRead',
  ListIdentityProviders: 'UserPoolResourceRead',
  DescribeIdentityProvider: 'UserPoolResourceRead',
  // A restore target created from the backup (CreateUserPool in the ImportWorkflow's input).
  ListUserPools: 'UserPoolRead',
  CreateUserPool: 'UserPoolUpdate',
  SetUserPoolMfaConfig: 'UserPoolUpdate',
  CreateResourceServer: 'UserPoolResourceUpdate',
  CreateIdentityProvider: 'UserPoolResourceUpdate',
  CreateUserPoolDomain: 'UserPoolResourceUpdate',
  CreateUserPoolClient: 'UserPoolClientUpdate',
  AdminAddUserToGroup: 'UserResourceUpdate',
  AdminDisableUser: 'UserUpdate',
  AdminSetUserPassword: 'UserUpdate',
  AdminGetUser: 'UserRead',
  AdminCreateUser: 'UserCreation',
};

/**
 * The shared `COGNITO_TPS` window plus, for each operation whose quota is lower, a window at that
 * quota in front of it: per operation (the per-pool cap; an invocation works on one pool) and per
 * category (shared by the category's operations). Every window is a `SlidingWindowLimiter`, so no
 * one-second window holds more starts than any of the bounds.
 */
export class CognitoQuotaLimiter implements RateLimiter {
  readonly shared: SlidingWindowLimiter;
  private readonly categories = new Map<CognitoQuotaCategory, RateLimiter>();
  private readonly operations = new Map<string, RateLimiter>();

  constructor(
    readonly callsPerSecond: number,
    private readonly now: Now = Date.now,
    private readonly sleep: Sleep = realSleep,
  ) {
    this.shared = new SlidingWindowLimiter(callsPerSecond, now, sleep);
  }

  acquire(operation?: string): Promise<void> {
    return this.limiterFor(operation).acquire(operation);
  }

  /** The lowest bound that applies to `operation`: its own, its category's or `COGNITO_TPS`. */
  effectiveRate(operation: string): number {
    const category = OPERATION_CATEGORY[operation];
    if (category === undefined) return this.callsPerSecond;
    return Math.min(
      this.callsPerSecond,
      CATEGORY_RPS[category],
      PER_POOL_OPERATION_RPS[category] ?? Infinity,
    );
  }

  /** Total milliseconds callers waited for the shared window. */
  get waitedMs(): number {
    return this.shared.waitedMs;
  }

  get admitted(): number {
    return this.shared.admitted;
  }

  private limiterFor(operation: string | undefined): RateLimiter {
    const category = operation === undefined ? undefined : OPERATION_CATEGORY[operation];
    if (operation === undefined || category === undefined) return this.shared;
    let limiter = this.operations.get(operation);
    if (limiter === undefined) {
      limiter = this.categoryLimiter(category);
      const perPool = PER_POOL_OPERATION_RPS[category];
      if (perPool !== undefined && perPool < Math.min(this.callsPerSecond, CATEGORY_RPS[category])) {
        limiter = new SlidingWindowLimiter(perPool, this.now, this.sleep, 1000, limiter);
      }
      this.operations.set(operation, limiter);
    }
    return limiter;
  }

  private categoryLimiter(category: CognitoQuotaCategory): RateLimiter {
    let limiter = this.categories.get(category);
    if (limiter === undefined) {
      const rps = CATEGORY_RPS[category];
      limiter =
        rps < this.callsPerSecond
          ? new SlidingWindowLimiter(rps, this.now, this.sleep, 1000, this.shared)
          : this.shared;
      this.categories.set(category, limiter);
    }
    return limiter;
  }
}

/**
 * A lane in front of `inner` where the calls of `preferred` operations go before every other waiting
 * call. For a listing that runs one page chain beside many parallel ones (a group's members, each page
 * asked for only when the previous one is in, beside the 16 `sub` partitions of ListUsers): first come,
 * first served, each page of the chain waits behind a call of every partition, and the chain, still
 * going once the partitions are done, ends alone at one page a round trip. Served first, it runs at
 * its round trip throughout and the partitions take the rest of `CognitoTPS`. Calls are handed to
 * `inner` one at a time, so `inner`'s bounds are unchanged.
 */
export class PreferringLimiter implements RateLimiter {
  private readonly preferredWaiters: Waiter[] = [];
  private readonly otherWaiters: Waiter[] = [];
  private pumping = false;

  constructor(
    private readonly inner: RateLimiter,
    private readonly preferred: ReadonlySet<string>,
  ) {}

  acquire(operation?: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiters =
        operation !== undefined && this.preferred.has(operation) ? this.preferredWaiters : this.otherWaiters;
      waiters.push({ operation, resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const next = this.preferredWaiters.shift() ?? this.otherWaiters.shift();
        if (next === undefined) return;
        try {
          await this.inner.acquire(next.operation);
          next.resolve();
        } catch (error) {
          next.reject(error);
        }
      }
    } finally {
      this.pumping = false;
    }
  }
}

interface Waiter {
  operation: string | undefined;
  resolve: () => void;
  reject: (error: unknown) => void;
}
