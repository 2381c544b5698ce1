// SPDX-License-Identifier: Apache-2.0
/** Solution identity used in the user agent and the operational metrics. */
export const SOLUTION_ID = 'SO0126';
export const DEFAULT_SOLUTION_VERSION = 'v2.0.0';
/** The `service` field of every handler's log lines. */
export const SERVICE_NAME = 'cognito-user-profiles-export';

/**
 * Long-running handlers stop starting new work when the Lambda has this much time left or less,
 * and hand a continuation back to the state machine (the original's one-minute rule).
 */
export const MIN_REMAINING_MS = 60_000;
