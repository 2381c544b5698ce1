// SPDX-License-Identifier: Apache-2.0
/**
 * One local run end to end: seed a primary pool, deploy the solution from the templates onto the
 * emulators, run the ExportWorkflow, create an empty pool with the same configuration, run the
 * ImportWorkflow into it, compare the pools and collect what the summary and the JSON report show.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { JsonObject } from '../deploy/cfn-template';
import type { CognitoEmulator } from '../cognito';
import type { UserPoolConfig } from '../cognito/types';
import { RESTORE_TARGET_TAGS } from '../../workflow-import/lib/create-plan';
import { POINT_IN_TIME_PREFIX } from '../../utils/recovery-point';
import { DRILL_PREFIX, type DrillOutcome } from '../../workflow-common/lib/restore-drill';
import type { AlarmState } from '../aws/alarms';
import type { SampleSummary } from '../../workflow-common/lib/drill-sample';
import { compareConfiguration } from './configuration-parity';
import { Deployment, type Notification } from '../deploy/deployment';
import { DEFAULT_MAX_RECEIVE_WAIT_MS, LocalEnvironment, type EnvironmentOptions } from '../aws/environment';
import { processPeakRssMb } from '../aws/emulators/processes';
import { explainFailure, type WorkflowFailure } from './failure';
import {
  CrashInjector,
  type FaultPlan,
  type FiredCrash,
  hasEnvironmentFaults,
  shortTimeoutSeconds,
  bothHooks,
  seededRandom,
  TamperInjector,
  tamperUsers,
  UserLossInjector,
  usersToLose,
} from './faults';
import type { InvocationEvent, LocalFunction } from '../aws/lambda-host';
import {
  checkRestoreReport,
  comparePools,
  exclusionReason,
  type ParityResult,
  type PoolContent,
} from './parity';
import { type Counter, type Phase, phaseOf, ProgressMeter, type Segment } from './progress';
import { writeOriginalMemberships } from './original-table';
import {
  repairScenarioOk,
  runRepairScenario,
  type PlanFile,
  type RepairDamage,
  type RepairScenarioReport,
} from './repair-scenario';
import { damagePool } from './damage';
import { type ItemTypes, uploadAsSnapshot } from './restore-export';
import {
  differencesOf,
  EXPORT_STAMPS,
  localS3,
  pointInTimeParameters,
  type RecoveryPointRestore,
  type RecoveryPointsReport,
  recoveryPointsOk,
  snapshotIds,
  timeBetweenExports,
} from './point-in-time';
import type { SeedFile } from './seed';
import { DEFAULT_MAX_WAIT_MS, type ExecutionEvent, type ExecutionRecord } from '../aws/step-functions';
import {
  RESTORE_TARGET_TAG_KEY,
  RESTORE_TARGET_TAG_VALUE,
} from '../../workflow-import/lib/check-new-user-pool';

export type WorkflowName = 'export' | 'import' | 'repair';

/** The StackSet template's bucket that holds the restore reports and ledger. */
const RESTORE_BUCKET = 'UserImportJobMappingFiles';

export interface RestoreExportPlan {
  /** The directory the export's keys are relative to, and the export's directory key. */
  root: string;
  directory: string;
  snapshotId: string;
  types: ItemTypes;
  /** The pool the export's items describe. */
  pool: PoolContent;
  /** The seed's pool, when one was given (its users are compared too). */
  seedPool?: PoolContent;
}

export interface WorkflowReport {
  status: string;
  executionArn: string;
  wallMs: number;
  error?: string;
  cause?: string;
  /** Why the execution did not succeed: the failed state and its Lambda's error, or a refusal. */
  failure?: WorkflowFailure;
  /** Requests the Cognito emulator received during the workflow, by operation (throttled ones included). */
  cognitoCalls: Record<string, number>;
  /** Requests answered with TooManyRequestsException, by operation. */
  throttled: Record<string, number>;
  cognitoErrors: Record<string, number>;
  /** Step Functions history events of the execution, counted as Step Functions does (limit 25,000). */
  historyEvents: number;
  /** The largest state input or output of the execution in bytes (limit 262,144). */
  maxStatePayloadBytes: number;
  lambdaInvocations: Record<string, number>;
  lambdaErrors: Record<string, number>;
  importJobs?: {
    jobId: string;
    status: string;
    imported: number;
    skipped: number;
    failed: number;
    message?: string;
  }[];
}

export interface SeedSummary {
  source: string;
  usernameAttributes: string[];
  customAttributes: string[];
  users: number;
  disabledUsers: number;
  federatedUsers: number;
  groups: number;
  memberships: number;
}

export interface LocalRunReport {
  ok: boolean;
  parity: ParityResult | SkippedParity;
  export: WorkflowReport;
  import?: WorkflowReport;
  /** `lose-users`: the ImportWorkflow that ran before the Resume (then `import` is the resumed one). */
  importBeforeResume?: WorkflowReport;
  seed: SeedSummary;
  notifications: NotificationSummary;
  primaryUserPoolId: string;
  restoredUserPoolId?: string;
  settings: {
    tps: number;
    latency: string;
    throttling: boolean;
    maxWaitMs: number;
    maxReceiveWaitMs: number;
  };
  /** What the restored pool holds, compared with the source, whatever the ImportWorkflow's status. */
  restoredPool?: RestoredPoolSummary;
  /** The injected faults (`--fault`) and what they hit. */
  faults?: FaultReport;
  /**
   * `exportOnly`: the backup table's user, group and membership items after the export, against the
   * pool's restorable users, its groups and their restorable memberships.
   */
  exportParity?: {
    ok: boolean;
    userItems: number;
    expectedUsers: number;
    groupItems: number;
    expectedGroups: number;
    membershipItems: number;
    expectedMemberships: number;
  };
  /** `--scenario emptied-pool`: the backup's user items before and after the export of the emptied pool. */
  emptiedPool?: EmptiedPoolReport;
  /** `--scenario v1-table`: the membership items written again as v1.0.10 writes them. */
  v1Table?: { memberships: number; namedByUsername: number };
  /** `--scenario departed-users`: the backup's user items before and after the second export. */
  departedUsers?: DepartedUsersReport;
  /** `--scenario repair`: the plan against the damage, and the pool after the apply. */
  repair?: RepairScenarioReport;
  /** `--scenario drill`: the RestoreDrillWorkflow's outcome (its ImportWorkflow is `import`). */
  drill?: DrillReport;
  /** `--scenario point-in-time`: the damage that reached the backup and the restores from two recovery points. */
  recoveryPoints?: RecoveryPointsReport;
  /** `--restore-export` with `--seed`: the restored pool against the seed's users. */
  seedParity?: { ok: boolean } & NonNullable<RecoveryPointRestore['differences']>;
  totalWallMs: number;
  peakRssMb: { harness: number; dynalite?: number; fauxqs?: number };
}

export interface RestoredPoolSummary {
  users: number;
  missingUsers: number;
  missingGroups: number;
  missingMemberships: number;
  /** Users disabled in the source pool and enabled in the restored one. */
  disabledLeftEnabled: number;
}

export interface FaultReport {
  specs: string[];
  /** Crashes that fired, in order. */
  crashes: FiredCrash[];
  /** Cognito calls answered HTTP 500 / dropped after the operation, by operation. */
  cognito: { internalError: Record<string, number>; dropped: Record<string, number> };
  dynamodb?: {
    throughputExceeded: Record<string, number>;
    unprocessedCalls: number;
    unprocessedItems: number;
  };
  /** `short-timeouts`, `timeout=`: the timeouts (s) the functions ran with, where changed. */
  timeouts?: Record<string, number>;
  /** `lose-users`: restored users deleted before the reconciliation. */
  lostUsers?: number;
  /** `tamper-attribute`: restored users changed before the reconciliation. */
  tamperedUsers?: number;
  /** `export-fail`: table exports of the run that ended FAILED. */
  exportsFailed?: number;
}

export interface EmptiedPoolReport {
  userItemsBefore: number;
  userItemsAfter: number;
  /** An error notification was sent during the export of the emptied pool. */
  errorNotified: boolean;
  /** The export of the emptied pool. */
  export: WorkflowReport;
}

export interface DepartedUsersReport {
  /** Users deleted from the source pool between the two exports. */
  departed: number;
  userItemsBefore: number;
  userItemsAfter: number;
  /** The second export, whose cleanup deletes the departed users' items. */
  export: WorkflowReport;
}

export const SCENARIOS = [
  'emptied-pool',
  'v1-table',
  'departed-users',
  'repair',
  'drill',
  'point-in-time',
] as const;
/** `--scenario drill`: what the RestoreDrillWorkflow reported, and whether its scratch pool is gone. */
export interface DrillReport {
  status: string;
  /** Whether the drill restored a sample (the backup holds more users than RestoreDrillMaxUsers). */
  sampled: boolean;
  /** What the sample held: counts, restore paths, groups with a sampled member (a sampled drill only). */
  sample?: SampleSummary;
  usersRestored: number;
  /** The drill succeeded and its restore report counts the seed's restorable users, groups and memberships. */
  parityOk: boolean;
  projectedRestoreMinutes?: number;
  scratchPoolDeleted: boolean;
  /** The drill's failure or refusal, as its outcome gives it. */
  failure?: string;
  /**
   * Each alarm of the template on the solution's metrics (alarm logical id → OK, ALARM or
   * INSUFFICIENT_DATA), evaluated by the harness against what the run put with PutMetricData.
   */
  alarms: Record<string, AlarmState>;
}
/** `departed-users`: one restorable user in this many leaves the pool (5%, under the default guard of 10%). */
export const DEPARTED_EVERY = 20;
export type Scenario = (typeof SCENARIOS)[number];

export interface ProgressEvent {
  workflow: WorkflowName;
  elapsedMs: number;
  kind: 'state' | 'counts' | 'failed';
  text: string;
  /** The counts line's parts, for a terminal that shows only what fits its width. */
  segments?: Segment[];
}

/** Parity when a workflow failed: nothing compared. */
export interface SkippedParity {
  ok: false;
  skipped: string;
  missingUsers: [];
  mismatches: [];
}

const skipped = (reason: string): SkippedParity => ({
  ok: false,
  skipped: reason,
  missingUsers: [],
  mismatches: [],
});

export interface NotificationSummary {
  sent: number;
  success: number;
  error: number;
  /** The error notifications' messages, whole: the `Resume` input is at the end of a long one. */
  errorMessages?: string[];
}

/** The run report's account of the SNS notifications. */
export function summariseNotifications(notifications: readonly Notification[]): NotificationSummary {
  const summary: NotificationSummary = {
    sent: notifications.length,
    success: notifications.filter((n) => n.kind === 'success').length,
    error: notifications.filter((n) => n.kind === 'error').length,
  };
  const errorMessages = notifications.filter((n) => n.kind === 'error').map((n) => n.message);
  if (errorMessages.length > 0) summary.errorMessages = errorMessages;
  return summary;
}

export interface LocalRunOptions {
  root: string;
  seed: SeedFile;
  seedSource: string;
  tps: number;
  latency?: 'none' | 'aws';
  throttling?: boolean;
  /** Cap of every Wait state, ms. */
  maxWaitMs?: number;
  /** Cap of an empty SQS long poll, ms. */
  maxReceiveWaitMs?: number;
  snsPreference?: 'INFO_AND_ERRORS' | 'ERRORS_ONLY';
  /** Main-template parameters (`--parameter Name=Value`), e.g. `{ AllowMfaUserPools: 'Yes' }`. */
  parameters?: Record<string, string>;
  /** MFA configuration of the restore target (default: the source pool's). */
  targetMfa?: 'OFF' | 'ON' | 'OPTIONAL';
  /** Fields added to the ImportWorkflow's input besides `NewUserPoolId` (`--import-input`), e.g. `DropAttributes`. */
  importInput?: Record<string, unknown>;
  /**
   * `--create-target-pool`: the ImportWorkflow creates the restore target from the backup
   * (`CreateUserPool` in its input) instead of the harness; parity then also compares the configuration.
   */
  createTargetPool?: boolean;
  onProgress?: (event: ProgressEvent) => void;
  /** Log lines of the Lambda functions (JSON lines, as CloudWatch would hold them). */
  onLambdaLog?: (fn: LocalFunction, line: string) => void;
  /**
   * What the run produced that an operator reads on AWS: the restore report CSV (`restore-report.csv`)
   * and each notification's text (`notification-<n>-<kind>.txt`), by file name.
   */
  onArtifact?: (name: string, text: string) => void;
  /** How often the users/groups counters are reported, ms. Default 2000. */
  countsEveryMs?: number;
  /** Reuse running emulators (tests); otherwise the run starts and stops its own. */
  environment?: LocalEnvironment;
  stackName?: string;
  /** Faults to inject (`--fault`). */
  faults?: FaultPlan;
  /** Seed of the faults' random choices (default 1). */
  faultSeed?: number;
  /**
   * `emptied-pool`: export, delete every user of the source pool, export again, then restore (and
   * compare with the pool as it was before it was emptied).
   * `v1-table`: export, write the table's memberships again as v1.0.10 writes them (members of the
   * groups after the first ListGroups page named by their Cognito Username), then restore.
   * `departed-users`: export, delete one restorable user in `DEPARTED_EVERY` from the source pool, export
   * again (its cleanup deletes their items), then restore and compare with the pool as it is now.
   * `repair` (deploys with `AllowRepair=Yes`): export, damage the source pool, export again, plan a repair
   * against the first export's recovery point (`AsOf`), apply it, and compare the pool with the pool as
   * first exported (repair-scenario.ts); no restore.
   * `point-in-time`: export (with a snapshot), damage the pool (damage.ts, seeded by `faultSeed`),
   * export again, then restore `AsOf` a time between the exports into one new pool and from the first
   * export's snapshot into another; both compared with the pool as it was before the damage.
   */
  scenario?: Scenario;
  /** `repair` scenario: shares of the damage other than the scenario's (the benchmark's 1% case). */
  repairDamage?: RepairDamage;
  /**
   * `--restore-export`: no ExportWorkflow; a table export (restore-export.ts) is put in the snapshot
   * bucket as a snapshot, the functions get the export's item types, and the ImportWorkflow restores
   * the snapshot; parity is against the export's items (and the seed's users when given).
   */
  restoreExport?: RestoreExportPlan;
  /**
   * Runs the ExportWorkflow only (the benchmark's export cases): no restore; the parity verdict is
   * the backup table's user items against the pool's restorable users (`exportParity`).
   */
  exportOnly?: boolean;
  /**
   * Runs between the deployment and the ExportWorkflow (tests: switch MFA on, break a resource), so
   * that a workflow meets a refusal or a fault it cannot meet from a valid seed.
   */
  afterDeploy?: (context: {
    deployment: Deployment;
    environment: LocalEnvironment;
    primaryUserPoolId: string;
  }) => Promise<void>;
}

export function summariseSeed(seed: SeedFile, source: string): SeedSummary {
  return {
    source,
    usernameAttributes: seed.userPool.usernameAttributes,
    customAttributes: seed.userPool.customAttributes,
    users: seed.users.length,
    disabledUsers: seed.users.filter((user) => !user.enabled).length,
    federatedUsers: seed.users.filter((user) => user.status === 'EXTERNAL_PROVIDER').length,
    groups: seed.groups.length,
    memberships: seed.groups.reduce((sum, group) => sum + group.members.length, 0),
  };
}

/** A seed's pool configuration (username attributes, custom attributes, MFA) under a pool name. */
function poolConfig(pool: SeedFile['userPool'], name: string): SeedFile['userPool'] & { name: string } {
  return {
    name,
    usernameAttributes: pool.usernameAttributes,
    customAttributes: pool.customAttributes,
    mfaConfiguration: pool.mfaConfiguration,
    ...(pool.autoVerifiedAttributes !== undefined
      ? { autoVerifiedAttributes: pool.autoVerifiedAttributes }
      : {}),
    ...(pool.aliasAttributes !== undefined ? { aliasAttributes: pool.aliasAttributes } : {}),
    ...(pool.customAttributeTypes !== undefined ? { customAttributeTypes: pool.customAttributeTypes } : {}),
    ...(pool.configuration !== undefined ? { configuration: pool.configuration } : {}),
  };
}

/** The emulator's pool configuration for a seed's pool (typed custom attributes, the API-shaped details). */
function emulatorPool(pool: SeedFile['userPool'], name: string): UserPoolConfig {
  const { customAttributeTypes, configuration, customAttributes, ...rest } = poolConfig(pool, name);
  const typed = new Map((customAttributeTypes ?? []).map((definition) => [definition.name, definition]));
  return {
    ...rest,
    customAttributes: customAttributes.map((attribute) => typed.get(attribute) ?? attribute),
    ...(configuration !== undefined ? { details: configuration } : {}),
  };
}

/** The custom attributes the import input says to restore without (`DropAttributes`), for parity. */
function droppedAttributes(importInput: Record<string, unknown> | undefined): ReadonlySet<string> {
  const raw = importInput?.DropAttributes;
  return new Set(Array.isArray(raw) ? raw.filter((name): name is string => typeof name === 'string') : []);
}

/** Creates the primary pool from a validated seed through the emulator's bulk path. */
export function seedPrimaryPool(cognito: CognitoEmulator, seed: SeedFile): string {
  return cognito.seed({
    userPool: emulatorPool(seed.userPool, 'local-primary'),
    users: seed.users.map((user) => ({
      username: user.username,
      enabled: user.enabled,
      attributes: user.attributes,
      ...(user.status !== undefined ? { status: user.status as never } : {}),
      ...(user.smsMfa === true ? { smsMfa: true } : {}),
    })),
    groups: seed.groups.map((group) => ({
      name: group.name,
      ...(group.description !== undefined ? { description: group.description } : {}),
      ...(group.precedence !== undefined ? { precedence: group.precedence } : {}),
      ...(group.roleArn !== undefined ? { roleArn: group.roleArn } : {}),
      members: group.members,
    })),
  }).poolId;
}

/**
 * An empty pool with the same configuration as the source (username attributes, custom attributes, MFA),
 * tagged as a restore target the way the README tells operators to tag theirs.
 */
export function createRestorePool(
  cognito: CognitoEmulator,
  seed: SeedFile,
  targetMfa?: SeedFile['userPool']['mfaConfiguration'],
): string {
  return cognito.createUserPool({
    ...emulatorPool(seed.targetUserPool ?? seed.userPool, 'local-restored'),
    ...(targetMfa !== undefined ? { mfaConfiguration: targetMfa } : {}),
    tags: { [RESTORE_TARGET_TAG_KEY]: RESTORE_TARGET_TAG_VALUE },
  });
}

/**
 * On AWS the import roles act only on a pool tagged as a restore target (their IAM condition); the
 * emulator does not evaluate IAM, so the harness refuses an untagged pool itself.
 */
export function assertRestoreTarget(cognito: CognitoEmulator, poolId: string): void {
  const tags = cognito.store.getPool(poolId)?.tags ?? {};
  if (tags[RESTORE_TARGET_TAG_KEY] !== RESTORE_TARGET_TAG_VALUE) {
    throw new Error(
      `The user pool ${poolId} is not tagged ${RESTORE_TARGET_TAG_KEY}=${RESTORE_TARGET_TAG_VALUE}: ` +
        'the import roles would be denied every call on it',
    );
  }
}

export function poolContent(cognito: CognitoEmulator, poolId: string): PoolContent {
  const snapshot = cognito.snapshot(poolId);
  return {
    poolId,
    users: snapshot.users.map((user) => ({ ...user, status: user.status as string })),
    groups: snapshot.groups,
  };
}

/** The input EventBridge passes when the schedule starts the ExportWorkflow. */
export function scheduledEvent(region: string, accountId: string): JsonObject {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: accountId,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:${accountId}:rule/export-workflow-schedule`],
    detail: {},
  };
}

/** Collects per-workflow counters from the Lambda and execution callbacks. */
class WorkflowTracker {
  current: WorkflowName = 'export';
  started = Date.now();
  invocations: Record<string, number> = {};
  errors: Record<string, number> = {};
  usersExported = 0;
  groupsExported = 0;
  /** The state entered last. */
  currentState = '';
  /** What the workflow is doing, in the operator's words (from the last Task or Wait state). */
  phase: Phase | undefined;
  private readonly seenStates = new Set<string>();

  constructor(private readonly onProgress?: (event: ProgressEvent) => void) {}

  begin(workflow: WorkflowName): void {
    this.current = workflow;
    this.started = Date.now();
    this.invocations = {};
    this.errors = {};
    this.currentState = '';
    this.phase = undefined;
    this.seenStates.clear();
  }

  elapsed(): number {
    return Date.now() - this.started;
  }

  emit(kind: ProgressEvent['kind'], text: string, segments?: Segment[]): void {
    this.onProgress?.({
      workflow: this.current,
      elapsedMs: this.elapsed(),
      kind,
      text,
      ...(segments !== undefined ? { segments } : {}),
    });
  }

  invocation(event: InvocationEvent): void {
    const id = event.fn.logicalId;
    this.invocations[id] = (this.invocations[id] ?? 0) + 1;
    if (event.error !== undefined) {
      this.errors[id] = (this.errors[id] ?? 0) + 1;
      return;
    }
    const result = event.result as { totalUserProcessedCount?: unknown } | null | undefined;
    if (id === 'ExportUsersLambda' && typeof result?.totalUserProcessedCount === 'number') {
      this.usersExported += result.totalUserProcessedCount;
    }
    if (id === 'ListGroupsLambda') {
      // The ExportWorkflow's ListGroupsLambda writes a page of group items (NumGroupsToProcess).
      const page = (result as { result?: { NumGroupsToProcess?: unknown } } | null | undefined)?.result;
      if (typeof page?.NumGroupsToProcess === 'number') this.groupsExported += page.NumGroupsToProcess;
    }
  }

  execution(execution: ExecutionRecord, event: ExecutionEvent): void {
    if (event.type === 'StateEntered' && event.stateName !== undefined) {
      this.currentState = event.stateName;
      this.phase = phaseOf(event.stateName) ?? this.phase;
      // Loops and Map iterations re-enter the same states many times: show the path once; the
      // periodic counters show where the execution is.
      if (this.seenStates.has(event.stateName)) return;
      this.seenStates.add(event.stateName);
      this.emit('state', event.stateName);
    } else if (event.type === 'ExecutionFailed') {
      this.emit('failed', `${execution.name}: ${event.error ?? 'failed'}: ${event.cause ?? ''}`);
    }
  }
}

/** Users and memberships the restore should bring back: the seed's, less those excluded by design. */
export function restorableTotals(seed: SeedFile): { users: number; memberships: number } {
  const excluded = new Set(
    seed.users.filter((user) => exclusionReason(user) !== undefined).map((user) => user.username),
  );
  return {
    users: seed.users.length - excluded.size,
    memberships: seed.groups.reduce(
      (sum, group) => sum + group.members.filter((member) => !excluded.has(member)).length,
      0,
    ),
  };
}

function difference(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const delta = value - (before[key] ?? 0);
    if (delta > 0) out[key] = delta;
  }
  return out;
}

export async function runLocal(options: LocalRunOptions): Promise<LocalRunReport> {
  const started = Date.now();
  const settings = {
    tps: options.tps,
    latency: options.latency ?? 'none',
    throttling: options.throttling ?? true,
    maxWaitMs: options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS,
    maxReceiveWaitMs: options.maxReceiveWaitMs ?? DEFAULT_MAX_RECEIVE_WAIT_MS,
  };
  const environmentOptions: EnvironmentOptions = {
    latency: settings.latency,
    maxReceiveWaitMs: settings.maxReceiveWaitMs,
    ...(settings.throttling ? {} : { throttling: false }),
  };
  const environment = options.environment ?? (await LocalEnvironment.start(environmentOptions));
  const ownsEnvironment = options.environment === undefined;
  let deployment: Deployment | undefined;
  const tracker = new WorkflowTracker(options.onProgress);
  const faults = options.faults;
  const crashes = new CrashInjector(faults?.crashes ?? []);
  const shortened: Record<string, number> = {};
  const userLoss =
    faults?.loseUsers === undefined
      ? undefined
      : new UserLossInjector(faults.loseUsers, (userPoolId, count) => {
          const pool = environment.cognito.store.requirePool(userPoolId);
          const users = [...pool.users.values()];
          const lost = usersToLose(users, pool.usernameAttributes, count);
          for (const user of lost) environment.cognito.store.deleteUser(pool, user);
          return lost.length;
        });
  const tamperShare = faults?.tamperAttributes;
  /** The restore target, once created (tamper-attribute changes one of its groups). */
  const restoreTarget: { id?: string } = {};
  const tamper =
    tamperShare === undefined
      ? undefined
      : new TamperInjector(
          (userPoolId) =>
            tamperUsers(
              [...environment.cognito.store.requirePool(userPoolId).users.values()],
              tamperShare,
              seededRandom(21),
            ),
          () => {
            // One group's description too: the reconciliation compares groups' settings as well.
            const id = restoreTarget.id;
            const pool = id === undefined ? undefined : environment.cognito.store.getPool(id);
            const group = pool === undefined ? undefined : [...pool.groups.values()][0];
            if (group !== undefined) group.record.description = `${group.record.description ?? ''}-tampered`;
          },
        );
  try {
    const cognito = environment.cognito;
    const primaryUserPoolId = seedPrimaryPool(cognito, options.seed);
    deployment = await Deployment.deploy(environment.endpoints(), {
      root: options.root,
      primaryUserPoolId,
      stackName: options.stackName ?? 'cupera-local',
      cognitoTps: options.tps,
      ...(options.snsPreference ? { snsPreference: options.snsPreference } : {}),
      ...(options.scenario === 'point-in-time' || options.restoreExport !== undefined
        ? { parameters: pointInTimeParameters(options.root, options.parameters) }
        : options.parameters || options.scenario === 'repair' || options.scenario === 'drill'
          ? {
              parameters: {
                // One Region locally: the drill runs in the primary Region.
                ...(options.scenario === 'drill' ? { RestoreDrillRegion: 'PRIMARY' } : {}),
                ...options.parameters,
                ...(options.scenario === 'repair' ? { AllowRepair: 'Yes' } : {}),
              },
            }
          : {}),
      waitMs: (_state, seconds) => Math.min((seconds ?? 0) * 1000, settings.maxWaitMs),
      onInvocation: (event) => tracker.invocation(event),
      onExecutionEvent: (execution, event) => tracker.execution(execution, event),
      ...(options.onLambdaLog ? { onLambdaLog: options.onLambdaLog } : {}),
      ...(faults !== undefined && faults.crashes.length > 0
        ? { invocationHooks: (fn: LocalFunction, event: unknown) => crashes.hooks(fn, event) }
        : {}),
      ...(userLoss !== undefined || tamper !== undefined
        ? {
            invocationHooks: (fn: LocalFunction, event: unknown) =>
              bothHooks(bothHooks(crashes.hooks(fn, event), userLoss?.hooks(fn)), tamper?.hooks(fn)),
          }
        : {}),
      ...(faults?.shortTimeouts === true || faults?.functionTimeouts !== undefined
        ? {
            functionTimeout: (fn: LocalFunction) => {
              const seconds =
                faults.functionTimeouts?.[fn.logicalId] ??
                (faults.shortTimeouts ? shortTimeoutSeconds(fn) : fn.timeoutSeconds);
              if (seconds !== fn.timeoutSeconds) shortened[fn.logicalId] = seconds;
              return seconds;
            },
          }
        : {}),
    });
    const active = deployment;
    // After the deployment: its custom resources run without faults.
    // Only a plan with emulator faults touches the shared emulators (runs of crashes alone can share them).
    const environmentFaults = faults !== undefined && hasEnvironmentFaults(faults);
    const faultsBefore = environment.faultCounts();
    const exportsBefore = environment.pointInTime.list().length;
    if (environmentFaults) await environment.applyFaults(faults, options.faultSeed ?? 1);
    await options.afterDeploy?.({ deployment, environment, primaryUserPoolId });

    const runWorkflow = async (
      workflow: WorkflowName,
      logicalId: string,
      input: JsonObject,
      counts: (succeeded: (operation: string) => number) => Counter[],
      jobsOf?: () => WorkflowReport['importJobs'],
      onRecord?: (record: ExecutionRecord) => void,
    ): Promise<WorkflowReport> => {
      tracker.begin(workflow);
      const statsBefore = cognito.stats();
      /** Cognito calls of an operation answered without error since the workflow started. */
      const succeeded = (operation: string): number => {
        const now = cognito.stats();
        const count = (stats: typeof now): number =>
          (stats.calls[operation] ?? 0) - (stats.throttled[operation] ?? 0) - (stats.errors[operation] ?? 0);
        return count(now) - count(statsBefore);
      };
      const meter = new ProgressMeter();
      const emitCounts = (): void => {
        const segments = meter.segments(counts(succeeded), Date.now(), tracker.phase);
        tracker.emit('counts', segments.map((segment) => segment.text).join(' · '), segments);
      };
      const ticker = setInterval(emitCounts, options.countsEveryMs ?? 2000);
      let record: ExecutionRecord;
      try {
        record = await active.run(logicalId, input);
      } finally {
        clearInterval(ticker);
      }
      onRecord?.(record);
      const wallMs = tracker.elapsed();
      tracker.currentState = '';
      tracker.phase = undefined;
      emitCounts();
      const statsAfter = cognito.stats();
      const failure = explainFailure(record);
      return {
        status: record.status,
        executionArn: record.executionArn,
        wallMs,
        ...(record.error !== undefined ? { error: record.error } : {}),
        ...(record.cause !== undefined ? { cause: record.cause } : {}),
        ...(failure !== undefined ? { failure } : {}),
        cognitoCalls: difference(statsAfter.calls, statsBefore.calls),
        throttled: difference(statsAfter.throttled, statsBefore.throttled),
        cognitoErrors: difference(statsAfter.errors, statsBefore.errors),
        historyEvents: record.historyEvents,
        maxStatePayloadBytes: record.maxStatePayloadBytes,
        lambdaInvocations: { ...tracker.invocations },
        lambdaErrors: { ...tracker.errors },
        ...(jobsOf ? { importJobs: jobsOf() } : {}),
      };
    };

    const totals = restorableTotals(options.seed);
    const runExport = (input?: JsonObject): Promise<WorkflowReport> =>
      runWorkflow(
        'export',
        'ExportWorkflow',
        input ?? scheduledEvent(environment.region, environment.accountId),
        (() => {
          const listedBefore = cognito.stats().usersListed;
          return () => [
            {
              label: 'users listed',
              done: cognito.stats().usersListed - listedBefore,
              total: options.seed.users.length,
            },
            { label: 'users exported', done: tracker.usersExported, total: totals.users },
            { label: 'groups exported', done: tracker.groupsExported, total: options.seed.groups.length },
          ];
        })(),
      );
    const plan = options.restoreExport;
    if (plan !== undefined) {
      // The export's installation named its items: the functions read them under those types.
      // A copy: the loop below changes that function's environment too.
      const deployed = { ...active.lambdas.find('ImportScanTableLambda')?.environment };
      for (const fn of active.lambdas.all()) {
        for (const name of ['TYPE_USER', 'TYPE_GROUP', 'TYPE_TIMESTAMP'] as const) {
          if (fn.environment[name] !== undefined && fn.environment[name] === deployed[name])
            fn.environment[name] = plan.types[name];
        }
      }
      const bucket = active.buckets.get('SnapshotBucket');
      if (bucket === undefined)
        throw new Error('The templates have no SnapshotBucket to restore an export from');
      await uploadAsSnapshot(
        localS3(environment.region, environment.fauxqs.endpoint),
        bucket,
        plan.root,
        plan.directory,
        plan.snapshotId,
      );
    }
    const exportReport: WorkflowReport =
      plan !== undefined
        ? {
            status: 'NOT_RUN',
            executionArn: '',
            wallMs: 0,
            cognitoCalls: {},
            throttled: {},
            cognitoErrors: {},
            historyEvents: 0,
            maxStatePayloadBytes: 0,
            lambdaInvocations: {},
            lambdaErrors: {},
          }
        : await runExport();
    /** The source as it was exported (before the emptied-pool scenario empties it). */
    let source = plan?.pool ?? poolContent(cognito, primaryUserPoolId);
    let emptiedPool: EmptiedPoolReport | undefined;
    if (options.scenario === 'emptied-pool' && exportReport.status === 'SUCCEEDED') {
      const counter = backupItemCounter(environment, active);
      const userItems = async () => (await counter()).users;
      const userItemsBefore = await userItems();
      source = poolContent(cognito, primaryUserPoolId);
      const pool = cognito.store.requirePool(primaryUserPoolId);
      for (const user of [...pool.users.values()]) cognito.store.deleteUser(pool, user);
      const notifiedBefore = (await active.notifications()).length;
      const second = await runExport();
      const during = (await active.notifications()).slice(notifiedBefore);
      emptiedPool = {
        userItemsBefore,
        userItemsAfter: await userItems(),
        errorNotified: during.some((notification) => notification.kind === 'error'),
        export: second,
      };
    }
    let v1Table: LocalRunReport['v1Table'];
    if (options.scenario === 'v1-table' && exportReport.status === 'SUCCEEDED') {
      const variables = active.lambdas.find('ImportScanTableLambda')?.environment ?? {};
      const marker = await environment.documentClient().send(
        new GetCommand({
          TableName: active.tableName,
          Key: { id: 'latest-export-timestamp', type: variables.TYPE_TIMESTAMP ?? '' },
        }),
      );
      const attributes = options.seed.userPool.usernameAttributes;
      v1Table = await writeOriginalMemberships({
        cognito: environment.cognitoClient(),
        ddb: environment.documentClient(),
        tableName: active.tableName,
        userPoolId: primaryUserPoolId,
        usernameAttributes: typeof attributes === 'string' ? [attributes] : (attributes ?? []),
        exportTimestamp: Number(marker.Item?.latestExportTimestamp ?? Date.now()),
        region: environment.region,
      });
    }
    let recoveryPoints: RecoveryPointsReport | undefined;
    if (options.scenario === 'point-in-time' && exportReport.status === 'SUCCEEDED') {
      source = poolContent(cognito, primaryUserPoolId);
      const asOf = await timeBetweenExports(Date.now());
      const damage = damagePool(cognito.store, primaryUserPoolId, { seed: options.faultSeed ?? 1 });
      const second = await runExport();
      const changes = environment.ddbFront.journal
        .table(active.tableName)
        ?.changesBetween(Date.parse(asOf), Date.now(), EXPORT_STAMPS);
      const notRun = { status: 'NOT_RUN', parityOk: false };
      recoveryPoints = {
        damagedItems: changes === undefined ? 0 : changes.changed + changes.deleted,
        damage,
        secondExport: second.status,
        asOf: { ...notRun, recoveryPoint: asOf },
        snapshot: notRun,
      };
    }
    let departedUsers: DepartedUsersReport | undefined;
    if (options.scenario === 'departed-users' && exportReport.status === 'SUCCEEDED') {
      const counter = backupItemCounter(environment, active);
      const userItemsBefore = (await counter()).users;
      const pool = cognito.store.requirePool(primaryUserPoolId);
      const leaving = options.seed.users
        .filter((user) => exclusionReason(user) === undefined)
        .filter((_, index) => index % DEPARTED_EVERY === DEPARTED_EVERY - 1)
        .flatMap((user) => {
          const record = cognito.store.findUser(pool, user.username);
          return record === undefined ? [] : [record];
        });
      for (const user of leaving) cognito.store.deleteUser(pool, user);
      source = poolContent(cognito, primaryUserPoolId);
      const second = await runExport();
      departedUsers = {
        departed: leaving.length,
        userItemsBefore,
        userItemsAfter: (await counter()).users,
        export: second,
      };
    }
    const report: LocalRunReport = {
      ok: false,
      parity: skipped('the ExportWorkflow did not succeed'),
      export: exportReport,
      seed: summariseSeed(options.seed, options.seedSource),
      notifications: { sent: 0, success: 0, error: 0 },
      primaryUserPoolId,
      settings,
      totalWallMs: 0,
      peakRssMb: { harness: 0 },
    };
    let repair: RepairScenarioReport | undefined;
    if (options.scenario === 'repair' && exportReport.status === 'SUCCEEDED') {
      repair = await runRepairScenario({
        cognito,
        userPoolId: primaryUserPoolId,
        seed: options.faultSeed ?? 1,
        usernameAttribute: options.seed.userPool.usernameAttributes,
        poolContent: () => poolContent(cognito, primaryUserPoolId),
        runRepair: async (input) => {
          const run = await runWorkflow('repair', 'RepairWorkflow', input as JsonObject, () => [
            {
              label: 'users',
              done: cognito.store.requirePool(primaryUserPoolId).users.size,
              total: totals.users,
            },
          ]);
          return {
            status: run.status,
            executionArn: run.executionArn,
            ...(run.error !== undefined ? { error: run.error } : {}),
            wallMs: run.wallMs,
            cognitoCalls: run.cognitoCalls,
            throttled: run.throttled,
          };
        },
        readReport: async (planId) => {
          const reports = await active.objects(
            RESTORE_BUCKET,
            `repair-reports/${primaryUserPoolId}/${planId}-`,
          );
          const key = [...reports.keys()]
            .filter((name) => name.endsWith('.csv'))
            .sort()
            .pop();
          return key === undefined ? undefined : reports.get(key);
        },
        errorNotifications: async () =>
          (await active.notifications()).filter((n) => n.kind === 'error').map((n) => n.message),
        ...(faults?.repairChangeBeforeApply === true ? { changeBeforeApply: true } : {}),
        ...(options.repairDamage !== undefined ? { damage: options.repairDamage } : {}),
        // The scheduled export as it is: the guard counts the memberships of the deleted users and group
        // with them, so the damage reaches the backup without an override.
        runExport: () => runExport(),
        readPlan: async (planId) => {
          const plans = await active.objects(
            RESTORE_BUCKET,
            `repair-plans/${primaryUserPoolId}/${planId}.json`,
          );
          const text = [...plans.values()][0];
          return text === undefined ? undefined : (JSON.parse(text) as PlanFile);
        },
      });
      report.repair = repair;
      report.parity = skipped('the repair scenario compares the repaired pool instead (repair.parityOk)');
    } else if (exportReport.status === 'SUCCEEDED' && options.exportOnly === true) {
      const items = await backupItemCounter(environment, active)();
      const expected = {
        users: totals.users,
        groups: options.seed.groups.length,
        memberships: totals.memberships,
      };
      report.exportParity = {
        ok:
          items.users === expected.users &&
          items.groups === expected.groups &&
          items.memberships === expected.memberships,
        userItems: items.users,
        expectedUsers: expected.users,
        groupItems: items.groups,
        expectedGroups: expected.groups,
        membershipItems: items.memberships,
        expectedMemberships: expected.memberships,
      };
    } else if (exportReport.status === 'SUCCEEDED' && options.scenario === 'drill') {
      // The drill runs the ImportWorkflow itself, into a scratch pool it creates from the backup and deletes.
      const scratchPools = () =>
        cognito.store
          .poolIds()
          .filter((id) => cognito.store.getPool(id)?.name.startsWith(DRILL_PREFIX) === true);
      let drillRecord: ExecutionRecord | undefined;
      report.import = await runWorkflow(
        'import',
        'RestoreDrillWorkflow',
        {},
        () => {
          const pool = cognito.store.getPool(scratchPools()[0] ?? '');
          return [
            { label: 'users', done: pool?.users.size ?? 0, total: totals.users },
            { label: 'groups', done: pool?.groups.size ?? 0, total: options.seed.groups.length },
          ];
        },
        undefined,
        (record) => {
          drillRecord = record;
        },
      );
      // A failed drill has no output: its outcome is in the input of the Fail state it ended in.
      const finalState =
        drillRecord?.output ??
        [...(drillRecord?.entered ?? [])]
          .reverse()
          .find((entry) => entry.stateName === 'Restore drill failed')?.input;
      const output =
        finalState === undefined
          ? {}
          : (JSON.parse(finalState) as {
              Outcome?: DrillOutcome;
              Drill?: { Sample?: SampleSummary };
            });
      const outcome = output.Outcome;
      const counts = outcome?.Counts;
      const sample = output.Drill?.Sample;
      // A sampled drill restores the sample: its restore report counts what the sample held.
      const expected =
        sample === undefined
          ? { users: totals.users, groups: options.seed.groups.length, memberships: totals.memberships }
          : sample;
      report.drill = {
        status: report.import.status,
        sampled: outcome?.Sampled === true,
        ...(sample !== undefined ? { sample } : {}),
        usersRestored: outcome?.UsersRestored ?? 0,
        parityOk:
          outcome?.Succeeded === true &&
          counts?.users === expected.users &&
          counts.groups === expected.groups &&
          counts.memberships === expected.memberships,
        ...(outcome?.ProjectedRestoreMinutes !== undefined
          ? { projectedRestoreMinutes: outcome.ProjectedRestoreMinutes }
          : {}),
        scratchPoolDeleted: scratchPools().length === 0,
        ...(outcome?.Failure !== undefined ? { failure: outcome.Failure } : {}),
        alarms: active.alarmStates(),
      };
      report.parity = skipped(
        'the drill checks its restore with the ImportWorkflow reconciliation (drill.parityOk)',
      );
    } else if (exportReport.status === 'SUCCEEDED' || plan !== undefined) {
      const createTarget = options.createTargetPool === true;
      if (!createTarget) {
        restoreTarget.id = createRestorePool(cognito, options.seed, options.targetMfa);
        assertRestoreTarget(cognito, restoreTarget.id);
      }
      /** The pool the running ImportWorkflow restores into (point-in-time: a second one for the snapshot). */
      let importTarget = restoreTarget.id;
      // A pool the ImportWorkflow creates carries the backed-up pool's id in its source tag.
      const restoredPool = () => {
        importTarget ??= createTarget ? createdTargetOf(cognito, primaryUserPoolId) : undefined;
        restoreTarget.id ??= importTarget;
        return importTarget === undefined ? undefined : cognito.store.getPool(importTarget);
      };
      const runImport = (input: JsonObject): Promise<WorkflowReport> =>
        runWorkflow(
          'import',
          'ImportWorkflow',
          input,
          (succeeded) => {
            const pool = restoredPool();
            return [
              { label: 'users', done: pool?.users.size ?? 0, total: totals.users },
              { label: 'groups', done: pool?.groups.size ?? 0, total: options.seed.groups.length },
              { label: 'memberships', done: succeeded('AdminAddUserToGroup'), total: totals.memberships },
            ];
          },
          () =>
            [...(restoredPool()?.importJobs.values() ?? [])].map((job) => ({
              jobId: job.jobId,
              status: job.status,
              imported: job.imported,
              skipped: job.skipped,
              failed: job.failed,
              ...(job.completionMessage !== undefined ? { message: job.completionMessage } : {}),
            })),
        );
      const sourceDomain = options.seed.userPool.configuration?.domain;
      const asOf = recoveryPoints?.asOf.recoveryPoint;
      report.import = await runImport({
        ...options.importInput,
        ...(createTarget
          ? {
              CreateUserPool: {
                PoolName: 'local-restored',
                ...(sourceDomain !== undefined ? { DomainPrefix: `${sourceDomain}-restored` } : {}),
              },
            }
          : { NewUserPoolId: restoreTarget.id ?? '' }),
        ...(asOf !== undefined ? { AsOf: asOf } : {}),
        ...(plan !== undefined ? { Snapshot: plan.snapshotId } : {}),
      });
      const restoredUserPoolId = restoredPool()?.id ?? '(not created)';
      report.restoredUserPoolId = restoredUserPoolId;
      if (userLoss !== undefined && userLoss.lost > 0 && report.import.error === 'RestoreIncomplete') {
        // What the failure notification tells the operator to do.
        report.importBeforeResume = report.import;
        report.import = await runImport({
          ...options.importInput,
          NewUserPoolId: restoredUserPoolId,
          Resume: true,
        });
      }
      const target = poolContent(cognito, restoredUserPoolId);
      const usernameAttribute = options.seed.userPool.usernameAttributes;
      const compared = comparePools(source, target, usernameAttribute, undefined, {
        dropped: droppedAttributes(options.importInput),
      });
      report.restoredPool = {
        users: restoredPool()?.users.size ?? 0,
        missingUsers: compared.missingUsers.length,
        missingGroups: compared.missingGroups.length,
        missingMemberships: compared.missingMemberships.length,
        disabledLeftEnabled: compared.mismatches.filter(
          (m) => m.field === 'enabled' && m.expected === false && m.actual === true,
        ).length,
      };
      if (report.import.status === 'SUCCEEDED') {
        compared.restoreReport = await restoreReportCheck(
          active,
          restoredUserPoolId,
          source,
          target,
          usernameAttribute,
        );
        compared.ok = compared.ok && compared.restoreReport.ok;
        if (createTarget) {
          compared.configuration = await compareConfiguration(
            environment.cognitoClient(),
            primaryUserPoolId,
            restoredUserPoolId,
            await createdClientIds(active, restoredUserPoolId),
          );
          compared.ok = compared.ok && compared.configuration.ok;
        }
        report.parity = compared;
      } else {
        report.parity = skipped('the ImportWorkflow did not succeed');
      }
      if (recoveryPoints !== undefined) {
        const asOfExport = environment.pointInTime
          .list()
          .filter(
            (exported) =>
              exported.tableName === active.tableName &&
              exported.s3Prefix?.startsWith(POINT_IN_TIME_PREFIX) === true,
          )
          .at(-1);
        recoveryPoints.asOf = {
          status: report.import.status,
          parityOk: report.import.status === 'SUCCEEDED' && report.parity.ok,
          userPoolId: restoredUserPoolId,
          ...(asOf !== undefined ? { recoveryPoint: asOf } : {}),
          ...(asOfExport?.fileItemCounts !== undefined ? { exportFileItems: asOfExport.fileItemCounts } : {}),
          ...(report.import.status === 'SUCCEEDED'
            ? { differences: differencesOf(compared, compared.restoreReport?.ok === true) }
            : {}),
        };
        const snapshotBucket = active.buckets.get('SnapshotBucket');
        const [snapshotId] =
          snapshotBucket === undefined
            ? []
            : await snapshotIds(localS3(environment.region, environment.fauxqs.endpoint), snapshotBucket);
        if (snapshotId === undefined) {
          recoveryPoints.snapshot = {
            status: 'NOT_RUN',
            parityOk: false,
            skipped:
              snapshotBucket === undefined
                ? 'the templates have no SnapshotBucket'
                : 'the first export took no snapshot',
          };
        } else {
          const snapshotPoolId = createRestorePool(cognito, options.seed, options.targetMfa);
          assertRestoreTarget(cognito, snapshotPoolId);
          importTarget = snapshotPoolId;
          const restored = await runImport({
            ...options.importInput,
            NewUserPoolId: snapshotPoolId,
            Snapshot: snapshotId,
          });
          let parityOk = false;
          let differences: RecoveryPointRestore['differences'];
          if (restored.status === 'SUCCEEDED') {
            const snapshotTarget = poolContent(cognito, snapshotPoolId);
            const compared = comparePools(source, snapshotTarget, usernameAttribute, undefined, {
              dropped: droppedAttributes(options.importInput),
            });
            const reportCheck = await restoreReportCheck(
              active,
              snapshotPoolId,
              source,
              snapshotTarget,
              usernameAttribute,
            );
            parityOk = compared.ok && reportCheck.ok;
            differences = differencesOf(compared, reportCheck.ok);
          }
          recoveryPoints.snapshot = {
            status: restored.status,
            parityOk,
            userPoolId: snapshotPoolId,
            recoveryPoint: snapshotId,
            ...(differences !== undefined ? { differences } : {}),
          };
        }
      }
    }
    const notifications: Notification[] = await deployment.notifications();
    if (options.onArtifact !== undefined) {
      const restored = report.restoredUserPoolId;
      if (restored !== undefined) {
        const reports = await deployment.objects(RESTORE_BUCKET, `restore-reports/${restored}/`);
        const key = [...reports.keys()]
          .filter((name) => name.endsWith('.csv'))
          .sort()
          .pop();
        if (key !== undefined) options.onArtifact('restore-report.csv', reports.get(key) ?? '');
        // Beside the report when the workflow created the pool: the client id map and the template.
        for (const [name, text] of reports) {
          if (name.endsWith('-created-pool.json')) options.onArtifact('created-pool.json', text);
          if (name.endsWith('-user-pool.template.json')) options.onArtifact('user-pool.template.json', text);
        }
      }
      notifications.forEach((notification, index) =>
        options.onArtifact?.(`notification-${index + 1}-${notification.kind}.txt`, notification.message),
      );
    }
    report.notifications = summariseNotifications(notifications);
    if (emptiedPool !== undefined) report.emptiedPool = emptiedPool;
    if (v1Table !== undefined) report.v1Table = v1Table;
    if (departedUsers !== undefined) report.departedUsers = departedUsers;
    if (recoveryPoints !== undefined) report.recoveryPoints = recoveryPoints;
    if (faults !== undefined) {
      const counts = environment.faultCounts();
      const ddbBefore = faultsBefore.dynamodb;
      report.faults = {
        specs: faults.specs,
        crashes: [...crashes.fired],
        cognito: {
          internalError: difference(counts.cognito.internalError, faultsBefore.cognito.internalError),
          dropped: difference(counts.cognito.dropped, faultsBefore.cognito.dropped),
        },
        ...(counts.dynamodb !== undefined
          ? {
              dynamodb: {
                throughputExceeded: difference(
                  counts.dynamodb.throughputExceeded,
                  ddbBefore?.throughputExceeded ?? {},
                ),
                unprocessedCalls: counts.dynamodb.unprocessedCalls - (ddbBefore?.unprocessedCalls ?? 0),
                unprocessedItems: counts.dynamodb.unprocessedItems - (ddbBefore?.unprocessedItems ?? 0),
              },
            }
          : {}),
        ...(faults.shortTimeouts || faults.functionTimeouts !== undefined ? { timeouts: shortened } : {}),
        ...(userLoss !== undefined ? { lostUsers: userLoss.lost } : {}),
        ...(tamper !== undefined ? { tamperedUsers: tamper.tampered } : {}),
        ...(faults.exportFail !== undefined
          ? {
              exportsFailed: environment.pointInTime
                .list()
                .slice(exportsBefore)
                .filter((exported) => exported.status === 'FAILED').length,
            }
          : {}),
      };
    }
    const drillOk =
      report.drill !== undefined &&
      report.drill.status === 'SUCCEEDED' &&
      report.drill.parityOk &&
      report.drill.scratchPoolDeleted &&
      Object.values(report.drill.alarms).every((state) => state === 'OK');
    report.ok =
      (report.export.status === 'SUCCEEDED' || plan !== undefined) &&
      (plan?.seedPool === undefined || report.seedParity?.ok === true) &&
      (options.scenario === 'repair'
        ? repair !== undefined && repairScenarioOk(repair)
        : options.exportOnly === true
          ? report.exportParity?.ok === true
          : options.scenario === 'drill'
            ? drillOk
            : report.import?.status === 'SUCCEEDED' && report.parity.ok) &&
      (options.scenario !== 'emptied-pool' ||
        (emptiedPool !== undefined &&
          emptiedPool.errorNotified &&
          emptiedPool.userItemsAfter === emptiedPool.userItemsBefore)) &&
      (options.scenario !== 'point-in-time' ||
        (recoveryPoints !== undefined && recoveryPointsOk(recoveryPoints))) &&
      (options.scenario !== 'departed-users' ||
        (departedUsers !== undefined &&
          departedUsers.export.status === 'SUCCEEDED' &&
          departedUsers.userItemsAfter === departedUsers.userItemsBefore - departedUsers.departed));
    report.totalWallMs = Date.now() - started;
    report.peakRssMb = {
      harness: Math.round(process.resourceUsage().maxRSS / 1024),
      ...peaks(environment),
    };
    return report;
  } finally {
    await deployment?.teardown().catch(() => undefined);
    if (faults !== undefined && hasEnvironmentFaults(faults) && !ownsEnvironment)
      await environment.applyFaults(undefined);
    if (ownsEnvironment) await environment.stop();
  }
}

/** The pool an ImportWorkflow created from the backup of `sourcePoolId` (its restore-source tag). */
function createdTargetOf(cognito: CognitoEmulator, sourcePoolId: string): string | undefined {
  return cognito.store
    .poolIds()
    .find((id) => cognito.store.getPool(id)?.tags[RESTORE_TARGET_TAGS.source] === sourcePoolId);
}

/** The old → new app client ids that the creation wrote beside the restore report. */
async function createdClientIds(
  deployment: Deployment,
  restoredUserPoolId: string,
): Promise<Record<string, string> | undefined> {
  const objects = await deployment.objects(RESTORE_BUCKET, `restore-reports/${restoredUserPoolId}/`);
  const key = [...objects.keys()]
    .filter((name) => name.endsWith('-created-pool.json'))
    .sort()
    .pop();
  if (key === undefined) return undefined;
  return (JSON.parse(objects.get(key) ?? '{}') as { ClientIds?: Record<string, string> }).ClientIds;
}

/** Counts the backup table's user items (the `TYPE_USER` the ExportUsers function writes). */
/** Counts the backup table's items by kind; a membership is any item that is no user, group or timestamp. */
function backupItemCounter(
  environment: LocalEnvironment,
  deployment: Deployment,
): () => Promise<{ users: number; groups: number; memberships: number }> {
  const variables = deployment.lambdas.find('ImportScanTableLambda')?.environment ?? {};
  const { TYPE_USER: typeUser, TYPE_GROUP: typeGroup, TYPE_TIMESTAMP: typeTimestamp } = variables;
  if (typeUser === undefined || typeGroup === undefined || typeTimestamp === undefined)
    throw new Error('The ImportScanTableLambda function lacks TYPE_USER, TYPE_GROUP or TYPE_TIMESTAMP');
  return async () => {
    const ddb = environment.documentClient();
    const counts = { users: 0, groups: 0, memberships: 0 };
    let start: Record<string, unknown> | undefined;
    do {
      const page = await ddb.send(
        new ScanCommand({
          TableName: deployment.tableName,
          ProjectionExpression: '#type',
          ExpressionAttributeNames: { '#type': 'type' },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        if (item.type === typeUser) counts.users += 1;
        else if (item.type === typeGroup) counts.groups += 1;
        else if (item.type !== typeTimestamp) counts.memberships += 1;
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return counts;
  };
}

/** The latest restore report of the restored pool (from the local S3), checked against both pools. */
export async function restoreReportCheck(
  deployment: Deployment,
  restoredUserPoolId: string,
  source: PoolContent,
  target: PoolContent,
  usernameAttribute: string | readonly string[] | undefined,
): Promise<NonNullable<ParityResult['restoreReport']>> {
  const reports = await deployment.objects(RESTORE_BUCKET, `restore-reports/${restoredUserPoolId}/`);
  const key = [...reports.keys()]
    .filter((name) => name.endsWith('.csv'))
    .sort()
    .pop();
  if (key === undefined) {
    return {
      ...checkRestoreReport('(none)', '', source, target, usernameAttribute),
      ok: false,
    };
  }
  return checkRestoreReport(key, reports.get(key) ?? '', source, target, usernameAttribute);
}

function peaks(environment: LocalEnvironment): { dynalite?: number; fauxqs?: number } {
  const out: { dynalite?: number; fauxqs?: number } = {};
  const dynalite = processPeakRssMb(environment.dynalite.pid);
  const fauxqs = processPeakRssMb(environment.fauxqs.pid);
  if (dynalite !== undefined) out.dynalite = dynalite;
  if (fauxqs !== undefined) out.fauxqs = fauxqs;
  return out;
}
