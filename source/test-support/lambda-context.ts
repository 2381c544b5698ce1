// SPDX-License-Identifier: Apache-2.0
/** Lambda contexts for unit tests. */
import type { LambdaContextLike } from '../utils/time-budget';

type ContextFields = Omit<LambdaContextLike, 'getRemainingTimeInMillis'>;

/**
 * A Lambda context whose remaining time follows `clock` (a fake clock, so that sleeping and working
 * use up the invocation). `fields` adds or overrides the request id, log stream name, ...
 */
export function lambdaContext<F extends ContextFields = ContextFields>(
  clock: { now: () => number },
  remainingMs: number,
  fields: F = {} as F,
): LambdaContextLike & F {
  const endsAt = clock.now() + remainingMs;
  return { awsRequestId: 'request-1', ...fields, getRemainingTimeInMillis: () => endsAt - clock.now() };
}
