// SPDX-License-Identifier: Apache-2.0
/** WorkflowMessageBrokerLambda: error and success notifications of both workflows. */
import { cloudWatchClient, documentClient, snsClient } from '../utils/clients';
import { putBackupMetrics } from '../utils/backup-metrics';
import { env, METRICS_ENV, parseConfig, type EnvSpec } from '../utils/config';
import { metricsSettings, sendAnonymousMetric } from '../utils/metrics';
import type { LambdaContextLike } from '../utils/time-budget';
import { brokerWorkflowMessage } from './lib/message-broker';
import { defaultRuntime, handlerLogger, runtimeSolution, type Runtime } from '../utils/runtime';
import { CLEANUP_STATE, ERROR_HANDLER_STATES, type MessageBrokerEvent } from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';

/** The states of the current state machines that run this handler, each dispatched on by name. */
export const STATE_NAMES: readonly string[] = [...ERROR_HANDLER_STATES, CLEANUP_STATE];

export const ENVIRONMENT = {
  BACKUP_TABLE_NAME: env.string(),
  TYPE_TIMESTAMP: env.string(),
  SNS_MESSAGE_PREFERENCE: env.oneOf('INFO_AND_ERRORS', 'ERRORS_ONLY'),
  IS_PRIMARY_REGION: env.oneOf('Yes', 'No'),
  NOTIFICATION_TOPIC: env.string(),
  AWS_REGION: env.string(),
  RESTORE_REPORT_RETENTION_DAYS: env.integer(1),
  ...METRICS_ENV,
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(async (event: MessageBrokerEvent, context?: LambdaContextLike): Promise<void> => {
    const config = parseConfig(ENVIRONMENT, runtime.env);
    const logger = handlerLogger(runtime, 'message-broker', context);
    const metrics = metricsSettings(config, runtimeSolution(runtime));
    await brokerWorkflowMessage(event, {
      sns: snsClient(),
      ddb: documentClient(),
      logger,
      now: runtime.now,
      sendMetric: (data) =>
        sendAnonymousMetric(metrics, data, { fetch: runtime.fetch, now: runtime.now, logger }),
      putMetrics: (values) =>
        putBackupMetrics(values, {
          cloudwatch: cloudWatchClient(),
          logger,
          now: runtime.now,
          tableName: config.BACKUP_TABLE_NAME,
        }),
      config: {
        tableName: config.BACKUP_TABLE_NAME,
        typeTimestamp: config.TYPE_TIMESTAMP,
        snsPreference: config.SNS_MESSAGE_PREFERENCE,
        isPrimaryRegion: config.IS_PRIMARY_REGION,
        topicArn: config.NOTIFICATION_TOPIC,
        region: config.AWS_REGION,
        reportRetentionDays: config.RESTORE_REPORT_RETENTION_DAYS,
      },
    });
  });
}

export const handler = createHandler();
