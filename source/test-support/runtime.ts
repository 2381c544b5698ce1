// SPDX-License-Identifier: Apache-2.0
/** The `Runtime` handlers are built from in unit tests. */
import type { Env } from '../utils/config';
import type { Runtime } from '../utils/runtime';
import { rememberEnvironment } from './aws-mock';
import type { FakeClock } from './fake-clock';

/**
 * A runtime on a fake clock, with a fixed "random" (backoff delays in the middle of their range),
 * logs dropped, and whatever `extra` adds or replaces (`write`, `fetch`, ...).
 */
export function fakeRuntime(
  clock: Pick<FakeClock, 'now' | 'sleep'>,
  env: Env = {},
  extra: Partial<Runtime> = {},
): Runtime {
  rememberEnvironment(env);
  return { env, now: clock.now, sleep: clock.sleep, random: () => 0.5, write: () => undefined, ...extra };
}
