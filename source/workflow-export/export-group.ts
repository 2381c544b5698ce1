/** ExportGroupLambda: one group item per Map iteration (spec §4.4). */
import { documentClient } from '../utils/clients';
import { env, parseConfig, type EnvSpec } from '../utils/config';
import type { LambdaContextLike } from '../utils/time-budget';
import { exportGroup } from './lib/export-group';
import { defaultRuntime, handlerLogger, type Runtime } from '../utils/runtime';
import type { ExportGroupEvent, ExportGroupOutput } from './lib/types';

/** The template also sets SOLUTION_INSTANCE_ID, which neither the original nor the port reads. */
export const ENVIRONMENT = {
  BACKUP_TABLE_NAME: env.string(),
  TYPE_GROUP: env.string(),
  AWS_REGION: env.string(),
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return async (
    event: ExportGroupEvent | undefined,
    context?: LambdaContextLike,
  ): Promise<ExportGroupOutput> => {
    const config = parseConfig(ENVIRONMENT, runtime.env);
    // The factory caches the client, so warm invocations reuse its connections (§9.2-7).
    return exportGroup(event ?? {}, {
      ddb: documentClient(),
      logger: handlerLogger(runtime, 'export-group', context),
      config: {
        tableName: config.BACKUP_TABLE_NAME,
        typeGroup: config.TYPE_GROUP,
        region: config.AWS_REGION,
      },
    });
  };
}

export const handler = createHandler();
