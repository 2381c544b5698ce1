// SPDX-License-Identifier: Apache-2.0
/**
 * Cognito Identity Provider emulator for the local run and the integration tests.
 *
 *   const cognito = await startCognitoEmulator({ throttling: { scale: 10 }, latency: 'none' });
 *   const { poolId } = cognito.seed({ userPool: { usernameAttributes: ['email'] }, users, groups });
 *   new CognitoIdentityProviderClient({ endpoint: cognito.endpoint, region: 'us-east-1', credentials });
 *   ...
 *   await cognito.stop();
 */
export { startCognitoEmulator, AWS_LATENCY_MS, type CognitoEmulator } from './server';
export { createPoolFromSeed } from './seed';
export { CognitoStore, type PoolState, type GroupState } from './store';
export { DEFAULT_QUOTAS } from './throttle';
export { DEFAULT_LIMITS, OPERATIONS } from './operations';
export { COMPLETION_MESSAGES, type ImportJob } from './import-jobs';
export {
  DEFAULT_IMPORT_FAILURE_THRESHOLD,
  ROW_RULES,
  refusal,
  type ImportRow,
  type RowRule,
} from './row-rules';
export { splitCsvLine } from './csv';
export { csvHeader } from './schema';
export { CognitoServiceError } from './errors';
export type * from './types';
