// SPDX-License-Identifier: Apache-2.0
/**
 * RepairUserPoolLambda, the loop of the RepairWorkflow (deployed only with `AllowRepair` = `Yes`):
 * - `{"UserPoolId": "..."}` (optionally `Scope`, `RemoveAdded`): compares the backup table with the
 *   live pool and writes a plan (lib/repair-plan.ts). Changes nothing.
 * - `{"UserPoolId": "...", "Apply": "<planId>"}` (optionally `"Resume": true`): applies that plan, checks
 *   the pool against the backup again and writes the repair report (lib/repair-apply.ts).
 * Each invocation returns the cursor the next one continues from (`RepairDone: false`).
 */
import { documentClient, s3Client } from '../utils/clients';
import { cognitoTps, env, parseConfig } from '../utils/config';
import {
  defaultRuntime,
  handlerLogger,
  rateLimitedCognito,
  timeBudget,
  type Runtime,
} from '../utils/runtime';
import { scrubErrors } from '../utils/scrub-errors';
import type { LambdaContextLike } from '../utils/time-budget';
import { executionRun } from './lib/invocation';
import { applyStep, newApplyCursor, type ApplyCursor, type ApplyOutput } from './lib/repair-apply';
import { parseRepairInput, type RepairInput } from './lib/repair-input';
import {
  assemblePlan,
  compareStep,
  listingSecret,
  newCompareCursor,
  readPlan,
  writePlan,
  type CompareCursor,
  type CompareDeps,
  type PlanCounts,
} from './lib/repair-plan';
import type { ImportEvent, Wrapped } from './lib/types';

export const ENVIRONMENT = {
  COGNITO_TPS: cognitoTps(),
  BACKUP_TABLE_NAME: env.string(),
  TYPE_USER: env.string(),
  TYPE_GROUP: env.string(),
  TYPE_TIMESTAMP: env.string(),
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: env.string(),
  PRIMARY_USER_POOL_ID: env.string(),
};

export type RepairEvent = ImportEvent<
  { Plan?: CompareCursor; Apply?: ApplyCursor } & Record<string, unknown>
>;

export type PlanOutput =
  | { RepairDone: false; Plan: CompareCursor }
  | {
      RepairDone: true;
      RepairComplete: true;
      Planned: { PlanId: string; Bucket: string; Key: string; Counts: PlanCounts };
    };

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (event: RepairEvent, context?: LambdaContextLike): Promise<Wrapped<PlanOutput | ApplyOutput>> => {
      const config = parseConfig(ENVIRONMENT, runtime.env);
      const input: RepairInput = parseRepairInput(
        event?.Context?.Execution?.Input,
        config.PRIMARY_USER_POOL_ID,
      );
      const run = executionRun(event?.Context);
      const logger = handlerLogger(runtime, 'repair-user-pool', context);
      const budget = timeBudget(runtime, context);
      const deps: CompareDeps = {
        cognito: rateLimitedCognito(runtime, config.COGNITO_TPS, logger, budget.deadline()),
        ddb: documentClient(),
        work: { s3: s3Client(), bucket: config.USER_IMPORT_JOB_MAPPING_FILES_BUCKET },
        logger,
        budget,
        config: {
          tableName: config.BACKUP_TABLE_NAME,
          typeUser: config.TYPE_USER,
          typeGroup: config.TYPE_GROUP,
          typeTimestamp: config.TYPE_TIMESTAMP,
          cognitoTps: config.COGNITO_TPS,
        },
      };
      if (input.apply !== undefined) {
        const { plan, secret } = await readPlan(deps.work, input.userPoolId, input.apply);
        const result = await applyStep(deps, {
          userPoolId: input.userPoolId,
          execution: run.execution,
          plan,
          secret,
          start: event?.Input?.Apply ?? newApplyCursor(input.resume),
          now: runtime.now(),
        });
        return { result };
      }
      const compareRun = {
        userPoolId: input.userPoolId,
        execution: run.execution,
        part: 'repair-plan',
        scope: input.scope,
      };
      const cursor = await compareStep(deps, compareRun, event?.Input?.Plan ?? newCompareCursor());
      logger.info('Repair plan: comparing', { phase: cursor.Phase, pages: cursor.Pages });
      if (cursor.Phase !== 'Done') return { result: { RepairDone: false, Plan: cursor } };
      const plan = await assemblePlan(deps.work, compareRun, cursor, {
        PlanId: run.execution,
        UserPoolId: input.userPoolId,
        CreatedAt: new Date(runtime.now()).toISOString(),
        RecoveryPoint: { Source: 'backup-table' },
        RemoveAdded: input.removeAdded,
      });
      const key = await writePlan(deps.work, plan, await listingSecret(deps.work, compareRun));
      logger.info('Repair plan written', { key, counts: plan.Counts });
      return {
        result: {
          RepairDone: true,
          RepairComplete: true,
          Planned: { PlanId: plan.PlanId, Bucket: deps.work.bucket, Key: key, Counts: plan.Counts },
        },
      };
    },
  );
}

export const handler = createHandler();
