// SPDX-License-Identifier: Apache-2.0
/**
 * Every Cognito call of an invocation goes through one `RateLimitedCognito`: each attempt (retries
 * included) first takes a slot from the shared limiter, named by its operation, so `COGNITO_TPS` and
 * the operation's own Cognito quota bound what Cognito sees.
 */
import type {
  CognitoIdentityProviderClient,
  ServiceInputTypes,
  ServiceOutputTypes,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Command } from '@smithy/types';
import type { RateLimiter } from './limiter';
import { withRetry, type RetryOptions } from './retry';

type CognitoCommand<I extends ServiceInputTypes, O extends ServiceOutputTypes> = Command<
  ServiceInputTypes,
  I,
  ServiceOutputTypes,
  O,
  CognitoIdentityProviderClient['config']
>;

export class RateLimitedCognito {
  private readonly counts = new Map<string, number>();

  constructor(
    readonly client: CognitoIdentityProviderClient,
    readonly limiter: RateLimiter,
    private readonly retry: RetryOptions = {},
  ) {}

  async send<I extends ServiceInputTypes, O extends ServiceOutputTypes>(
    command: CognitoCommand<I, O>,
    retry: RetryOptions = {},
  ): Promise<O> {
    const operation = command.constructor.name.replace(/Command$/, '');
    return withRetry(
      async () => {
        await this.limiter.acquire(operation);
        this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
        return this.client.send(command);
      },
      { ...this.retry, ...retry },
    );
  }

  /** The same client and retries through another limiter (a lane in front of this one's). */
  through(limiter: RateLimiter): RateLimitedCognito {
    return new RateLimitedCognito(this.client, limiter, this.retry);
  }

  /** Attempts sent per Cognito operation in this invocation. */
  callCounts(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
