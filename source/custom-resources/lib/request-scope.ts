// SPDX-License-Identifier: Apache-2.0
/**
 * What a custom-resource request adds to the shared runtime: a logger named after the component and
 * the dependencies of the CloudFormation response sender.
 */
import type { SendResponseDeps } from '../../utils/custom-resource';
import type { Logger } from '../../utils/logger';
import { runtimeLogger, type Runtime } from '../../utils/runtime';

export interface RequestScope {
  logger: Logger;
  /** Dependencies of `sendCfnResponse` / `routeCustomResource`. */
  responder: SendResponseDeps;
}

export function requestScope(runtime: Runtime, component: string): RequestScope {
  const logger = runtimeLogger(runtime, { component });
  return { logger, responder: { fetch: runtime.fetch, sleep: runtime.sleep, logger } };
}
