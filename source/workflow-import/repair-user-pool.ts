// SPDX-License-Identifier: Apache-2.0
/**
 * RepairUserPoolLambda, the loop of the RepairWorkflow (deployed only with `AllowRepair` = `Yes`):
 * - PrepareRecoveryPoint, CheckRecoveryPoint: the recovery point a plan names (`AsOf`, `Snapshot`, or
 *   neither: the live backup table) is made ready and checked by the ImportWorkflow's own steps
 *   (lib/recovery-point-step.ts: the window check, the point-in-time export under
 *   `point-in-time-exports/<plan id>/`, the check of every file). An apply is ready at once: its plan
 *   names the recovery point, checked when the plan was made.
 * - `{"UserPoolId": "..."}` (optionally `AsOf` or `Snapshot`, `Scope`, `RemoveAdded`): compares the
 *   recovery point with the live pool and writes a plan that records it (lib/repair-plan.ts). Changes
 *   nothing.
 * - `{"UserPoolId": "...", "Apply": "<planId>"}` (optionally `"Resume": true`): applies that plan, checks
 *   the pool against the plan's recovery point again and writes the repair report (lib/repair-apply.ts).
 * Each invocation returns the cursor the next one continues from (`RepairDone: false`).
 */
import { documentClient, dynamoDbClient, s3Client } from '../utils/clients';
import { cognitoTps, env, parseConfig } from '../utils/config';
import {
  defaultRuntime,
  handlerLogger,
  rateLimitedCognito,
  timeBudget,
  type Runtime,
} from '../utils/runtime';
import { openRecoveryPoint, type RecoveryPointRequest } from '../utils/recovery-point';
import { scrubErrors } from '../utils/scrub-errors';
import type { LambdaContextLike } from '../utils/time-budget';
import { executionRun, stateName } from './lib/invocation';
import { runRecoveryPointStep, type RecoveryPointState } from './lib/recovery-point-step';
import { applyStep, newApplyCursor, type ApplyCursor, type ApplyOutput } from './lib/repair-apply';
import { parseRepairInput, type RepairInput } from './lib/repair-input';
import {
  assemblePlan,
  compareStep,
  listingSecret,
  newCompareCursor,
  planRecoveryPoint,
  readPlan,
  requestOfPlan,
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
  /** The backup table's ARN: an `AsOf` plan exports it (ExportTableToPointInTime takes the ARN). */
  BACKUP_TABLE_ARN: env.optionalString(),
  /** The stack's customer managed key, which encrypts a point-in-time export; absent: SSE-S3. */
  KMS_KEY_ARN: env.optionalString(),
  /** The bucket of kept snapshots (`Snapshot` plans); absent when the stack keeps none. */
  SNAPSHOT_BUCKET: env.optionalString(),
};

const PREPARE_STATE = 'PrepareRecoveryPoint';
const CHECK_STATE = 'CheckRecoveryPoint';

export type RepairEvent = ImportEvent<
  { Plan?: CompareCursor; Apply?: ApplyCursor } & Partial<RecoveryPointState> & Record<string, unknown>
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
    async (
      event: RepairEvent,
      context?: LambdaContextLike,
    ): Promise<Wrapped<PlanOutput | ApplyOutput | RecoveryPointState>> => {
      const config = parseConfig(ENVIRONMENT, runtime.env);
      const input: RepairInput = parseRepairInput(
        event?.Context?.Execution?.Input,
        config.PRIMARY_USER_POOL_ID,
      );
      const run = executionRun(event?.Context);
      const logger = handlerLogger(runtime, 'repair-user-pool', context);
      const budget = timeBudget(runtime, context);
      const name = stateName(event?.Context);
      if (name === PREPARE_STATE || name === CHECK_STATE) {
        if (input.apply !== undefined)
          return {
            result: {
              RecoveryPointReady: true,
              RecoveryPointWait: false,
              RecoveryPoint: { Kind: 'BackupTable' },
            },
          };
        const state = await runRecoveryPointStep(
          { prepare: name === PREPARE_STATE, request: input.recoveryPoint, input: event?.Input },
          config,
          {
            ddb: dynamoDbClient(),
            s3: s3Client(),
            logger,
            execution: { name: run.execution, id: event?.Context?.Execution?.Id ?? run.execution },
            now: () => runtime.now(),
            hasTime: () => budget.hasTime(),
          },
        );
        return { result: state };
      }
      const ddb = documentClient();
      const s3 = s3Client();
      // The apply and its check read the recovery point of the plan; a point-in-time export is the
      // planning execution's (its prefix is the plan id).
      const planned =
        input.apply === undefined
          ? undefined
          : await readPlan(
              { s3, bucket: config.USER_IMPORT_JOB_MAPPING_FILES_BUCKET },
              input.userPoolId,
              input.apply,
            );
      const request: RecoveryPointRequest = planned
        ? requestOfPlan(planned.plan.RecoveryPoint)
        : input.recoveryPoint;
      const source = await openRecoveryPoint(request, {
        ddb,
        s3,
        tableName: config.BACKUP_TABLE_NAME,
        typeUser: config.TYPE_USER,
        importBucket: config.USER_IMPORT_JOB_MAPPING_FILES_BUCKET,
        snapshotBucket: config.SNAPSHOT_BUCKET ?? '',
        execution: planned ? planned.plan.PlanId : run.execution,
        retry: { deadline: budget.deadline() },
      });
      const deps: CompareDeps = {
        cognito: rateLimitedCognito(runtime, config.COGNITO_TPS, logger, budget.deadline()),
        ddb,
        source,
        byKey: request.kind === 'table',
        work: { s3, bucket: config.USER_IMPORT_JOB_MAPPING_FILES_BUCKET },
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
      if (planned !== undefined) {
        const { plan, secret } = planned;
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
        RecoveryPoint: planRecoveryPoint(request),
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
