// SPDX-License-Identifier: Apache-2.0
/**
 * Cognito's request-rate quotas: one token bucket per quota category (shared by every pool, as the
 * quotas are per account and Region), plus the 5 RPS per pool and per operation cap of the
 * UserPoolResource categories. A bucket holds one second of its rate; a request that finds no token
 * is answered with TooManyRequestsException and consumes nothing.
 */
import type { QuotaCategory, ThrottlingOptions } from './types';

/** Default RPS per category (Cognito's quotas page). */
export const DEFAULT_QUOTAS: Readonly<Record<QuotaCategory, number>> = {
  UserList: 30,
  UserRead: 120,
  UserResourceRead: 50,
  UserResourceUpdate: 25,
  UserUpdate: 25,
  UserCreation: 50,
  UserPoolRead: 15,
  UserPoolUpdate: 15,
  UserPoolResourceRead: 20,
  UserPoolResourceUpdate: 15,
  UserPoolClientRead: 15,
  UserPoolClientUpdate: 15,
};

const PER_POOL_CATEGORIES: ReadonlySet<QuotaCategory> = new Set([
  'UserPoolResourceRead',
  'UserPoolResourceUpdate',
  'UserPoolClientRead',
  'UserPoolClientUpdate',
]);
const DEFAULT_PER_POOL_RPS = 5;

class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    now: number,
  ) {
    this.tokens = this.capacity;
    this.last = now;
  }

  private get capacity(): number {
    return Math.max(1, this.ratePerSecond);
  }

  available(now: number): boolean {
    const elapsed = Math.max(0, now - this.last);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    this.last = now;
    return this.tokens >= 1;
  }

  take(): void {
    this.tokens -= 1;
  }
}

export class QuotaThrottle {
  private readonly categories = new Map<QuotaCategory, TokenBucket>();
  private readonly perPool = new Map<string, TokenBucket>();
  private readonly rates: Record<QuotaCategory, number>;
  private readonly perPoolRps: number | undefined;

  constructor(
    options: ThrottlingOptions,
    private readonly now: () => number,
  ) {
    const scale = options.scale ?? 1;
    if (!(scale > 0)) throw new Error(`throttling.scale must be a positive number (got ${scale})`);
    const rates = { ...DEFAULT_QUOTAS, ...options.quotas };
    this.rates = Object.fromEntries(
      Object.entries(rates).map(([category, rps]) => [category, rps * scale]),
    ) as Record<QuotaCategory, number>;
    const perPool = options.perPoolOperationRps ?? DEFAULT_PER_POOL_RPS;
    this.perPoolRps = perPool === false ? undefined : perPool * scale;
  }

  /** True when the request may proceed (and consumes its tokens); false when it is throttled. */
  tryAcquire(category: QuotaCategory, operation: string, poolId: string | undefined): boolean {
    const now = this.now();
    const shared = this.bucket(this.categories, category, this.rates[category], now);
    let pool: TokenBucket | undefined;
    if (this.perPoolRps !== undefined && poolId !== undefined && PER_POOL_CATEGORIES.has(category)) {
      pool = this.bucket(this.perPool, `${poolId}|${operation}`, this.perPoolRps, now);
    }
    const sharedOk = shared.available(now);
    const poolOk = pool ? pool.available(now) : true;
    if (!sharedOk || !poolOk) return false;
    shared.take();
    pool?.take();
    return true;
  }

  private bucket<K>(map: Map<K, TokenBucket>, key: K, rate: number, now: number): TokenBucket {
    let bucket = map.get(key);
    if (!bucket) {
      bucket = new TokenBucket(rate, now);
      map.set(key, bucket);
    }
    return bucket;
  }
}
