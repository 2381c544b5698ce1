// SPDX-License-Identifier: Apache-2.0
/**
 * Anonymous operational metrics. Nothing is sent unless `SEND_METRIC` is `Yes` and an anonymous
 * installation UUID is configured; a failure to send is logged and never reaches the caller.
 */
import { METRICS_ENV, parseConfig, solutionEnvironment, type ConfigOf, type Env } from './config';
import { createLogger, type Logger } from './logger';
import { errorName } from './errors';

export const METRICS_ENDPOINT = 'https://metrics.awssolutionsbuilder.com/generic';

export interface MetricsSettings {
  sendMetric: boolean;
  solutionId?: string;
  solutionVersion?: string;
  uuid?: string;
}

/**
 * The settings from a handler's parsed configuration (its `ENVIRONMENT` includes `METRICS_ENV`) and
 * the solution's identity; absent variables mean metrics are off (ImportNewUsersLambda has none).
 */
export function metricsSettings(
  config: ConfigOf<typeof METRICS_ENV>,
  solution: Pick<MetricsSettings, 'solutionId' | 'solutionVersion'>,
): MetricsSettings {
  return {
    sendMetric: config.SEND_METRIC,
    solutionId: solution.solutionId,
    solutionVersion: solution.solutionVersion,
    uuid: config.METRICS_ANONYMOUS_UUID,
  };
}

/** `metricsSettings` straight from an environment, through the same parser. */
export function metricsSettingsFromEnv(source: Env = process.env): MetricsSettings {
  return metricsSettings(parseConfig(METRICS_ENV, source), solutionEnvironment(source));
}

export interface MetricPayload {
  Solution: string;
  Version: string;
  UUID: string;
  TimeStamp: string;
  Data: Record<string, unknown>;
}

export interface MetricsDeps {
  fetch?: typeof fetch;
  now?: () => number;
  logger?: Logger;
  timeoutMs?: number;
}

/** Returns true when the metric was accepted by the endpoint. Never throws. */
export async function sendAnonymousMetric(
  settings: MetricsSettings,
  data: Record<string, unknown>,
  deps: MetricsDeps = {},
): Promise<boolean> {
  const logger = deps.logger ?? createLogger({ component: 'metrics' });
  if (!settings.sendMetric) return false;
  if (!settings.uuid || !settings.solutionId || !settings.solutionVersion) {
    logger.warn('Metrics are enabled but not fully configured; nothing was sent');
    return false;
  }
  const payload: MetricPayload = {
    Solution: settings.solutionId,
    Version: settings.solutionVersion,
    UUID: settings.uuid,
    TimeStamp: new Date((deps.now ?? Date.now)()).toISOString(),
    Data: data,
  };
  try {
    const response = await (deps.fetch ?? fetch)(METRICS_ENDPOINT, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(deps.timeoutMs ?? 5000),
    });
    if (!response.ok) {
      logger.warn('The metrics endpoint refused the metric', { status: response.status });
      return false;
    }
    return true;
  } catch (error) {
    logger.warn('Could not send the anonymous metric', { error: errorName(error) });
    return false;
  }
}
