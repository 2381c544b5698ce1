// SPDX-License-Identifier: Apache-2.0
import { MIN_REMAINING_MS } from './constants';
import type { Now } from './time';

/** The part of the Lambda context the workflow handlers use. */
export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
  logStreamName?: string;
  awsRequestId?: string;
  functionName?: string;
}

/**
 * The time a handler may still spend starting new work: everything but the last minute of the
 * Lambda's remaining time. Without a context (direct calls, some tests) the budget is unlimited.
 */
export class TimeBudget {
  constructor(
    private readonly context: LambdaContextLike | undefined,
    private readonly now: Now = Date.now,
    private readonly reserveMs = MIN_REMAINING_MS,
  ) {}

  /** The original's rule: continue only while strictly more than one minute remains. */
  hasTime(): boolean {
    return this.context === undefined || this.context.getRemainingTimeInMillis() > this.reserveMs;
  }

  /** Epoch ms by which new work must have finished (for retry deadlines). */
  deadline(): number {
    if (this.context === undefined) return Number.POSITIVE_INFINITY;
    return this.now() + this.context.getRemainingTimeInMillis() - this.reserveMs;
  }
}
