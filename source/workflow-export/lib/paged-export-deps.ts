// SPDX-License-Identifier: Apache-2.0
/** Wiring: what export-users and export-users-in-group build from their runtime for `pagedExport`. */
import { documentClient } from '../../utils/clients';
import {
  handlerLogger,
  rateLimitedCognito,
  retryOptions,
  timeBudget,
  type Runtime,
} from '../../utils/runtime';
import type { LambdaContextLike } from '../../utils/time-budget';
import type { PagedExportDeps } from './paged-export';

/** Builds the `PagedExportDeps` of one invocation: Cognito at `cognitoTps`, the backup table's client. */
export function pagedExportDeps(
  runtime: Runtime,
  handler: string,
  cognitoTps: number,
  context?: LambdaContextLike,
): PagedExportDeps {
  const logger = handlerLogger(runtime, handler, context);
  return {
    cognito: rateLimitedCognito(runtime, cognitoTps, logger),
    ddb: documentClient(),
    logger,
    budget: timeBudget(runtime, context),
    batchRetry: retryOptions(runtime),
  };
}
