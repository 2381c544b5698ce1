/**
 * What a handler needs from its surroundings besides AWS clients: the HTTP client for the
 * CloudFormation response and metrics, the clock, the environment and the logger. Tests pass
 * fakes; Lambda uses the defaults.
 */
import { randomUUID } from 'node:crypto';
import type { Env } from '../../utils/config';
import type { SendResponseDeps } from '../../utils/custom-resource';
import { realSleep, type Now, type Sleep } from '../../utils/limiter';
import { createLogger, type Logger } from '../../utils/logger';

export interface Runtime {
  fetch?: typeof fetch;
  sleep?: Sleep;
  now?: Now;
  env?: Env;
  logger?: Logger;
  randomUUID?: () => string;
}

export interface ResolvedRuntime {
  fetch: typeof fetch | undefined;
  sleep: Sleep;
  now: Now;
  env: Env;
  logger: Logger;
  randomUUID: () => string;
  /** Dependencies of `sendCfnResponse` / `routeCustomResource`. */
  responder: SendResponseDeps;
}

export function resolveRuntime(runtime: Runtime, component: string): ResolvedRuntime {
  const sleep = runtime.sleep ?? realSleep;
  const logger = runtime.logger ?? createLogger({ component });
  return {
    fetch: runtime.fetch,
    sleep,
    now: runtime.now ?? Date.now,
    env: runtime.env ?? process.env,
    logger,
    randomUUID: runtime.randomUUID ?? randomUUID,
    responder: { fetch: runtime.fetch, sleep, logger },
  };
}
