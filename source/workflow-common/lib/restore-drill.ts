// SPDX-License-Identifier: Apache-2.0
/**
 * The RestoreDrillWorkflow's steps around the ImportWorkflow it runs as it is (CreateUserPool in its input):
 * - prepare: refuses while an ExportWorkflow, an ImportWorkflow, a RepairWorkflow or another drill of this
 *   installation runs,
 *   and names the scratch pool and the import execution after the drill (`restore-drill-<drill name>`);
 *   above RestoreDrillMaxUsers users it writes a sample of the backup (drill-sample.ts) as a table export
 *   into the import bucket, which the import reads as its recovery point (`"Sample": "<drill name>"`);
 * - cleanup: deletes the scratch pool, always, and only if it is the one this drill's import created (its
 *   restore-target tag and execution tag, as the ImportWorkflow sets them);
 * - finish: measures the restore (drill-projection.ts), records the outcome where BackupHealthLambda reads it,
 *   puts the metrics and notifies, counts only.
 */
import {
  DeleteUserPoolCommand,
  DeleteUserPoolDomainCommand,
  DescribeUserPoolCommand,
  UpdateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  ListTagsForResourceCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BackupMetricValues } from '../../utils/backup-metrics';
import { readPoolConfiguration } from '../../utils/pool-configuration-item';
import { samplePrefix, tableSource } from '../../utils/recovery-point';
import { writeTableExport, type Put } from '../../utils/table-export-writer';
import type { RateLimitedCognito } from '../../utils/cognito';
import { errorName } from '../../utils/errors';
import type { Logger } from '../../utils/logger';
import type { Now } from '../../utils/time';
import { RESTORE_TARGET_TAGS } from '../../workflow-import/lib/create-plan';
import { readCreationRecord } from '../../workflow-import/lib/create-user-pool';
import type { S3Work } from '../../workflow-import/lib/pool-index';
import { LATEST_DRILL_ID, type DrillRecord } from './backup-health';
import { LATEST_EXPORT_TIMESTAMP_ID } from './message-broker';
import { phaseTimes, projectRestore, type Projection, type RestoreCounts } from './drill-projection';
import { rulesOfConfiguration, SampleSelector, type SampleSummary } from './drill-sample';

/** The scratch pool and the drill's ImportWorkflow execution are both named so; nobody takes them for real. */
export const DRILL_PREFIX = 'restore-drill-';
/** Execution names are at most 80 characters. */
const EXECUTION_NAME_MAX = 80;
export const SOLUTION_TAG = 'solution-id-SO0126';

export const drillName = (drillExecutionName: string): string =>
  `${DRILL_PREFIX}${drillExecutionName.replace(/[^\w-]/g, '-')}`.slice(0, EXECUTION_NAME_MAX);

export interface DrillConfig {
  /** This Region's ImportWorkflow. */
  importWorkflowArn: string;
  /**
   * The installation's RepairWorkflow (primary Region; its name is fixed). It exists only with AllowRepair=Yes:
   * a state machine that does not exist runs nothing.
   */
  repairWorkflowArn: string;
  primaryRegion: string;
  /** The installation's `solution-id-SO0126` tag value, which tells its ExportWorkflow apart. */
  solutionTag: string;
  tableName: string;
  typeTimestamp: string;
  topicArn: string;
  snsPreference: 'INFO_AND_ERRORS' | 'ERRORS_ONLY';
  cognitoTps: number;
  /** The most users a drill restores (RestoreDrillMaxUsers); above, it restores a sample. */
  maxUsers: number;
  typeUser: string;
  typeGroup: string;
  /** The Region's import bucket, where the sample is written. */
  importBucket: string;
}

/** Items a page of the sample's scans reads. */
const SAMPLE_SCAN_PAGE = 1_000;

export interface PrepareResult {
  /** Why the drill does not run: something else of this backup runs. */
  Refused?: string;
  PoolName: string;
  ImportExecutionName: string;
  /**
   * The ImportWorkflow's input: the scratch pool to create (`RestoreDrill`: without the recorded Lambda
   * triggers, and the import's own notifications left to the drill's), and the sample to read when the
   * drill restores one.
   */
  ImportInput: { CreateUserPool: { PoolName: string; RestoreDrill: true }; Sample?: string };
  /** What the sample holds (counts), when the backup is larger than RestoreDrillMaxUsers. */
  Sample?: SampleSummary;
}

/**
 * Chooses the sample in two scans of the backup table and writes it, as a table export, under
 * `restore-drill-samples/<name>/` of the import bucket. The seed is the drill's name: the same drill
 * (a retried invocation) writes the same sample, and the next drill another one.
 */
export async function writeSample(
  name: string,
  deps: { ddb: DynamoDBDocumentClient; put: Put; logger: Logger; now: Now; config: DrillConfig },
): Promise<SampleSummary> {
  const { config } = deps;
  const table = { tableName: config.tableName, typeTimestamp: config.typeTimestamp };
  const recorded = (await readPoolConfiguration(deps.ddb, table)) as
    { UserPool?: Record<string, unknown> } | undefined;
  const selector = new SampleSelector({
    typeUser: config.typeUser,
    typeGroup: config.typeGroup,
    typeTimestamp: config.typeTimestamp,
    maxUsers: config.maxUsers,
    seed: name,
    ...rulesOfConfiguration(recorded?.UserPool),
  });
  const source = tableSource({ ddb: deps.ddb, tableName: config.tableName, typeUser: config.typeUser });
  for await (const page of source.pages(undefined, SAMPLE_SCAN_PAGE))
    for (const item of page.items) selector.observe(item);
  selector.choose();
  const kept: Record<string, unknown>[] = [];
  for await (const page of source.pages(undefined, SAMPLE_SCAN_PAGE))
    for (const item of page.items) if (selector.keep(item)) kept.push(item);
  const exportTime = new Date(deps.now()).toISOString();
  const written = await writeTableExport(deps.put, samplePrefix(name), kept, {
    exportId: `${exportTime.replace(/\D/g, '').slice(0, 17)}-sample`,
    exportTime,
    tableArn: config.tableName,
    bucket: config.importBucket,
  });
  const summary = selector.summarize(kept);
  deps.logger.info('Wrote the restore drill sample', {
    ...summary,
    items: written.itemCount,
    files: written.files,
  });
  return summary;
}

async function isRunning(sfn: SFNClient, stateMachineArn: string): Promise<number> {
  const response = await sfn.send(
    new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 2 }),
  );
  return response.executions?.length ?? 0;
}

/** Like isRunning, for a state machine that may not exist (the RepairWorkflow without AllowRepair). */
async function isRunningIfExists(sfn: SFNClient, stateMachineArn: string): Promise<number> {
  try {
    return await isRunning(sfn, stateMachineArn);
  } catch (error) {
    if (errorName(error) === 'StateMachineDoesNotExist') return 0;
    throw error;
  }
}

/** The installation's ExportWorkflow in the primary Region (its name is generated: found by prefix and tag). */
async function exportWorkflowArns(sfn: SFNClient, solutionTag: string): Promise<string[]> {
  const found: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListStateMachinesCommand({ nextToken }));
    for (const machine of page.stateMachines ?? []) {
      if (!machine.name?.startsWith('ExportWorkflow-') || machine.stateMachineArn === undefined) continue;
      const tags = await sfn.send(new ListTagsForResourceCommand({ resourceArn: machine.stateMachineArn }));
      if (tags.tags?.some((tag) => tag.key === SOLUTION_TAG && tag.value === solutionTag)) {
        found.push(machine.stateMachineArn);
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}

/** What the latest export counted (absent in an item written before this version). */
async function backedUp(ddb: DynamoDBDocumentClient, config: DrillConfig): Promise<Partial<RestoreCounts>> {
  const item = (
    await ddb.send(
      new GetCommand({
        TableName: config.tableName,
        Key: { id: LATEST_EXPORT_TIMESTAMP_ID, type: config.typeTimestamp },
      }),
    )
  ).Item;
  const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  const counts: Partial<RestoreCounts> = {};
  const users = count(item?.usersBackedUp);
  const groups = count(item?.groupsBackedUp);
  const memberships = count(item?.membershipsBackedUp);
  if (users !== undefined) counts.users = users;
  if (groups !== undefined) counts.groups = groups;
  if (memberships !== undefined) counts.memberships = memberships;
  return counts;
}

async function usersBackedUp(ddb: DynamoDBDocumentClient, config: DrillConfig): Promise<number | undefined> {
  return (await backedUp(ddb, config)).users;
}

/** A refusal is always announced: a drill that does not run is what the overdue alarm is about. */
async function announceRefusal(
  message: string,
  why: string,
  deps: { sns: SNSClient; config: DrillConfig },
): Promise<void> {
  await deps.sns.send(
    new PublishCommand({
      TopicArn: deps.config.topicArn,
      Subject: `RestoreDrillWorkflow did not run: ${why}`,
      Message: message,
    }),
  );
}

export async function prepareDrill(
  drill: { executionName: string; stateMachineArn: string },
  deps: {
    sfn: SFNClient;
    primarySfn: SFNClient;
    sns: SNSClient;
    ddb: DynamoDBDocumentClient;
    put: Put;
    logger: Logger;
    now: Now;
    config: DrillConfig;
  },
): Promise<PrepareResult> {
  const name = drillName(drill.executionName);
  const result: PrepareResult = {
    PoolName: name,
    ImportExecutionName: name,
    ImportInput: { CreateUserPool: { PoolName: name, RestoreDrill: true } },
  };
  const running: string[] = [];
  if ((await isRunning(deps.sfn, drill.stateMachineArn)) > 1) running.push('another RestoreDrillWorkflow');
  if ((await isRunning(deps.sfn, deps.config.importWorkflowArn)) > 0) running.push('an ImportWorkflow');
  for (const arn of await exportWorkflowArns(deps.primarySfn, deps.config.solutionTag)) {
    if ((await isRunning(deps.primarySfn, arn)) > 0) running.push('the ExportWorkflow');
  }
  // A repair writes to the backed-up pool and then exports it again: the backup is changing under the drill.
  if ((await isRunningIfExists(deps.primarySfn, deps.config.repairWorkflowArn)) > 0)
    running.push('the RepairWorkflow');
  if (running.length > 0) {
    result.Refused =
      `The restore drill did not run: ${running.join(' and ')} of this backup is running, and a drill must ` +
      'not compete with it for the Cognito quota or the import queues. Nothing was created. The next scheduled ' +
      'drill runs as usual; to drill now, start the RestoreDrillWorkflow again once it has ended.';
    await announceRefusal(result.Refused, 'another workflow of this backup is running', deps);
    deps.logger.info('Prepared the restore drill', { refused: true, running });
    return result;
  }
  const users = await usersBackedUp(deps.ddb, deps.config);
  if (users !== undefined && users > deps.config.maxUsers) {
    result.Sample = await writeSample(name, deps);
    result.ImportInput.Sample = name;
  }
  deps.logger.info('Prepared the restore drill', {
    refused: false,
    users,
    sampled: result.Sample !== undefined,
  });
  return result;
}

export interface CleanupResult {
  ScratchPoolDeleted: boolean;
  /** The scratch pool's id, when the import created one. */
  ScratchPoolId?: string;
  /** The recorded Lambda triggers the scratch pool was created without (none of them ran in the drill). */
  TriggersLeftOut?: number;
}

export class ScratchPoolRefusedError extends Error {
  override readonly name = 'ScratchPoolRefusedError';
}

/**
 * Deletes the pool the drill's import created, found through the import's own record of it (the work file
 * the creation writes before it creates anything). A pool without both tags of this drill is never
 * deleted: the error says so and the drill fails.
 */
export async function deleteScratchPool(
  importExecutionName: string,
  deps: { cognito: RateLimitedCognito; work: S3Work; logger: Logger },
): Promise<CleanupResult> {
  const record = await readCreationRecord(deps.work, importExecutionName);
  const userPoolId = record?.UserPoolId;
  const triggers = record?.TriggersLeftOut !== undefined ? { TriggersLeftOut: record.TriggersLeftOut } : {};
  if (userPoolId === undefined) {
    deps.logger.info('The drill created no scratch pool', { recorded: record !== undefined });
    return { ScratchPoolDeleted: true, ...triggers };
  }
  let pool;
  try {
    pool = (await deps.cognito.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }))).UserPool;
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException')
      return { ScratchPoolDeleted: true, ScratchPoolId: userPoolId, ...triggers };
    throw error;
  }
  const tags = pool?.UserPoolTags ?? {};
  if (
    tags[RESTORE_TARGET_TAGS.target] !== 'true' ||
    tags[RESTORE_TARGET_TAGS.execution] !== importExecutionName
  ) {
    throw new ScratchPoolRefusedError(
      `The user pool ${userPoolId} recorded for this drill does not carry the drill's restore-target and ` +
        'execution tags, so the drill did not delete it. Check the pool and delete it by hand if it is a scratch pool.',
    );
  }
  if (pool?.Domain) {
    await deps.cognito.send(new DeleteUserPoolDomainCommand({ UserPoolId: userPoolId, Domain: pool.Domain }));
  }
  if (pool?.DeletionProtection === 'ACTIVE') {
    // UpdateUserPool sets every setting it is not given to its default: the tags are given back, so that the
    // delete below is still allowed on the tagged pool.
    await deps.cognito.send(
      new UpdateUserPoolCommand({
        UserPoolId: userPoolId,
        DeletionProtection: 'INACTIVE',
        UserPoolTags: tags,
      }),
    );
  }
  await deps.cognito.send(new DeleteUserPoolCommand({ UserPoolId: userPoolId }));
  deps.logger.info('Deleted the scratch pool', { userPoolId });
  return { ScratchPoolDeleted: true, ScratchPoolId: userPoolId, ...triggers };
}

/** The state when the drill ends: what happened to the import and to the cleanup. */
export interface FinishInput {
  /** Absent when the drill could not even prepare (`PrepareError`): nothing was created. */
  Drill?: Pick<PrepareResult, 'PoolName' | 'ImportExecutionName' | 'Sample'>;
  PrepareError?: { Error?: string; Cause?: string };
  /** The `startExecution.sync:2` result when the import succeeded. */
  Import?: { ExecutionArn?: string };
  /** The Catch payload when the import failed. */
  ImportError?: { Error?: string; Cause?: string };
  Cleanup?: CleanupResult;
  CleanupError?: { Error?: string; Cause?: string };
}

export interface DrillOutcome {
  Succeeded: boolean;
  ScratchPoolDeleted: boolean;
  UsersRestored: number;
  /** The drill restored a sample (the backup holds more users than RestoreDrillMaxUsers). */
  Sampled: boolean;
  Counts?: RestoreCounts;
  ProjectedRestoreMinutes?: number;
  /** What failed, by step name; no personal data. */
  Failure?: string;
  /** The recorded Lambda triggers the scratch pool was created without (none of them ran in the drill). */
  TriggersLeftOut?: number;
}

/** The restore report's counts, from the input of the import's WorkflowCleanupLambda (counts only). */
export function reportCounts(
  events: readonly HistoryEvent[],
): (RestoreCounts & { raw: Record<string, number> }) | undefined {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const details = events[i]?.stateEnteredEventDetails;
    if (details?.name !== 'WorkflowCleanupLambda' || details.input === undefined) continue;
    try {
      const input = JSON.parse(details.input) as { RestoreReport?: { Counts?: Record<string, unknown> } };
      const counts = input.RestoreReport?.Counts ?? {};
      const raw = Object.fromEntries(
        Object.entries(counts).filter((entry): entry is [string, number] => typeof entry[1] === 'number'),
      );
      return { users: raw.users ?? 0, groups: raw.groups ?? 0, memberships: raw.memberships ?? 0, raw };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

async function history(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

export interface FinishDeps {
  sfn: SFNClient;
  sns: SNSClient;
  ddb: DynamoDBDocumentClient;
  logger: Logger;
  now: Now;
  config: DrillConfig;
  putMetrics(values: BackupMetricValues): Promise<unknown>;
}

function drillMessage(
  outcome: DrillOutcome,
  projection: Projection | undefined,
  input: FinishInput,
  tps: number,
): string {
  const lines = [
    outcome.Succeeded
      ? 'The restore drill restored the backup into a scratch user pool with the ImportWorkflow, the reconciliation found nothing missing, and the scratch pool was deleted.'
      : `The restore drill failed: ${outcome.Failure ?? 'see the execution'}.`,
    '',
  ];
  if (input.Drill !== undefined) {
    lines.push(
      `Restore drill: ${input.Drill.PoolName}`,
      `Scratch pool: ${input.Drill.PoolName}${input.Cleanup?.ScratchPoolId !== undefined ? ` (${input.Cleanup.ScratchPoolId})` : ''} ` +
        `(${outcome.ScratchPoolDeleted ? 'deleted' : 'NOT DELETED: delete it by hand'})`,
      `ImportWorkflow execution: ${input.Drill.ImportExecutionName}`,
    );
  }
  if (outcome.TriggersLeftOut !== undefined) {
    lines.push(
      outcome.TriggersLeftOut === 0
        ? 'Lambda triggers: the backed-up pool has none.'
        : `Lambda triggers: the scratch pool was created without the backed-up pool's ${outcome.TriggersLeftOut} ` +
            'Lambda triggers, so the drill invoked none of them (no custom message, sender or sign-up function ran).',
    );
  }
  if (outcome.Counts !== undefined) {
    lines.push(
      `Restored: ${outcome.Counts.users} users, ${outcome.Counts.groups} groups, ${outcome.Counts.memberships} group memberships`,
    );
  }
  const sample = input.Drill?.Sample;
  if (sample !== undefined) {
    lines.push(
      `Sampled: the backup holds more users than RestoreDrillMaxUsers, so the drill restored a sample of ` +
        `${sample.users} users: ${sample.groupsWithSampledMember} of the ${sample.groupsWithMembers} groups with ` +
        `members with a member, ${sample.pathsInSample} of the ${sample.pathsInBackup} restore paths ` +
        `(${Object.entries(sample.paths)
          .map(([path, users]) => `${path} ${users}`)
          .join(', ')}), ${sample.disabled} disabled users. The projection scales by the full backup.`,
    );
  }
  if (projection !== undefined) {
    lines.push(
      `Projected full restore at CognitoTPS ${tps}: ${projection.projectedRestoreMinutes} minutes ` +
        `(measured: users and groups ${projection.measuredMinutes.users} min, memberships ${projection.measuredMinutes.memberships} min, ` +
        `reconciliation ${projection.measuredMinutes.reconcile} min, checks and waits ${projection.measuredMinutes.other} min)`,
    );
  }
  if (!outcome.Succeeded) lines.push('', ...whatToDo(outcome, input));
  return lines.join('\n');
}

/** The import's own error: a failed `startExecution.sync:2` task's Cause describes the child execution. */
export function importErrorName(error: FinishInput['ImportError']): string {
  try {
    const cause = JSON.parse(error?.Cause ?? '') as { Error?: unknown; error?: unknown };
    const name = cause.Error ?? cause.error;
    if (typeof name === 'string' && name !== '') return name;
  } catch {
    // Not the child's description: the task's own error name says what failed.
  }
  return error?.Error ?? 'unknown error';
}

/** The steps for the operator, by what failed. */
function whatToDo(outcome: DrillOutcome, input: FinishInput): string[] {
  const steps = ['What to do:'];
  if (input.PrepareError !== undefined) {
    steps.push(
      '- The drill could not start: the RestoreDrillWorkflow execution\'s step "Restore drill: prepare" and the ' +
        'RestoreDrillLambda log say why. Nothing was created.',
    );
  }
  if (input.ImportError !== undefined) {
    const pool = input.Cleanup?.ScratchPoolId;
    steps.push(
      `- The restore failed: the ImportWorkflow execution ` +
        `${input.Drill?.ImportExecutionName ?? '(see the drill execution)'} says which state failed and why` +
        (pool !== undefined
          ? `, and its restore report (restore-reports/${pool}/ in the import bucket) lists each user's outcome`
          : '') +
        '. Fix the cause (README, "Troubleshoot").',
    );
  }
  if (!outcome.ScratchPoolDeleted) {
    steps.push(
      `- Delete the scratch pool by hand: the user pool tagged cognito-backup-restore-execution=` +
        `${input.Drill?.ImportExecutionName ?? 'restore-drill-...'} (its id is in restore-work/created-user-pools/ ` +
        'of the import bucket).',
    );
  }
  steps.push(
    '- There is nothing to resume: the scratch pool is deleted after every drill. Once fixed, start the ' +
      'RestoreDrillWorkflow again by hand; the restore-drill-failed alarm stays in ALARM until a drill succeeds.',
  );
  return steps;
}

/** Records, measures and notifies; the state machine fails afterwards when `Succeeded` is false. */
export async function finishDrill(input: FinishInput, deps: FinishDeps): Promise<DrillOutcome> {
  const failures: string[] = [];
  // Nothing was created when the drill could not prepare: there is no scratch pool to delete.
  const prepared = input.PrepareError === undefined;
  if (!prepared) failures.push(`the drill could not start (${input.PrepareError?.Error ?? 'unknown error'})`);
  if (input.ImportError !== undefined)
    failures.push(`the ImportWorkflow failed (${importErrorName(input.ImportError)})`);
  if (prepared && (input.CleanupError !== undefined || input.Cleanup?.ScratchPoolDeleted !== true)) {
    failures.push(`the scratch pool was not deleted (${input.CleanupError?.Error ?? 'unknown error'})`);
  }
  const sampled = input.Drill?.Sample !== undefined;
  let counts: RestoreCounts | undefined;
  let projection: Projection | undefined;
  const executionArn = input.Import?.ExecutionArn;
  if (executionArn !== undefined) {
    const events = await history(deps.sfn, executionArn);
    const found = reportCounts(events);
    if (found !== undefined) {
      counts = { users: found.users, groups: found.groups, memberships: found.memberships };
      // A sample's rates project the whole backup: its full counts, from the latest export.
      const full = sampled ? { ...counts, ...(await backedUp(deps.ddb, deps.config)) } : counts;
      projection = projectRestore(phaseTimes(events), counts, full);
    }
  }
  const outcome: DrillOutcome = {
    Succeeded: failures.length === 0,
    ScratchPoolDeleted: !prepared || input.Cleanup?.ScratchPoolDeleted === true,
    UsersRestored: counts?.users ?? 0,
    Sampled: sampled,
    ...(counts !== undefined ? { Counts: counts } : {}),
    ...(projection !== undefined ? { ProjectedRestoreMinutes: projection.projectedRestoreMinutes } : {}),
    ...(failures.length > 0 ? { Failure: failures.join('; ') } : {}),
    ...(input.Cleanup?.TriggersLeftOut !== undefined
      ? { TriggersLeftOut: input.Cleanup.TriggersLeftOut }
      : {}),
  };
  const record: DrillRecord = {
    drillEndedAt: deps.now(),
    succeeded: outcome.Succeeded,
    ...(projection !== undefined ? { projectedRestoreMinutes: projection.projectedRestoreMinutes } : {}),
  };
  await deps.ddb.send(
    new PutCommand({
      TableName: deps.config.tableName,
      Item: { id: LATEST_DRILL_ID, type: deps.config.typeTimestamp, ...record },
    }),
  );
  await deps.putMetrics({
    LastDrillSucceeded: outcome.Succeeded ? 1 : 0,
    DrillAgeHours: 0,
    ...(projection !== undefined ? { ProjectedRestoreMinutes: projection.projectedRestoreMinutes } : {}),
  });
  if (!outcome.Succeeded || deps.config.snsPreference === 'INFO_AND_ERRORS') {
    await deps.sns.send(
      new PublishCommand({
        TopicArn: deps.config.topicArn,
        Subject: outcome.Succeeded
          ? 'RestoreDrillWorkflow: the backup restores'
          : outcome.ScratchPoolDeleted
            ? 'RestoreDrillWorkflow failed: the backup did not restore'
            : 'RestoreDrillWorkflow failed: a scratch pool was left behind',
        Message: drillMessage(outcome, projection, input, deps.config.cognitoTps),
      }),
    );
  }
  deps.logger.info('Finished the restore drill', {
    succeeded: outcome.Succeeded,
    scratchPoolDeleted: outcome.ScratchPoolDeleted,
    usersRestored: outcome.UsersRestored,
    sampled,
    projectedRestoreMinutes: outcome.ProjectedRestoreMinutes,
  });
  return outcome;
}
