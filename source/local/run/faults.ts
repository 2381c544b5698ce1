// SPDX-License-Identifier: Apache-2.0
/**
 * Fault injection for the local run (`--fault <spec>`, repeatable). Each spec names one fault:
 *
 *   cognito-throttle=<scale>       Cognito's request quotas multiplied by <scale> (0.25: a quarter)
 *   cognito-500=<share>            that share of Cognito calls answered HTTP 500 InternalErrorException
 *                                  before the operation runs
 *   cognito-drop=<share>           that share of Cognito calls has its connection dropped after the
 *                                  operation took effect
 *   ddb-unprocessed=<share>        that share of BatchWriteItem calls writes half its items and returns
 *                                  the other half in UnprocessedItems
 *   ddb-throughput=<share>         that share of DynamoDB item calls answered
 *                                  ProvisionedThroughputExceededException
 *   crash=<target>:<point>[:<n>]   an invocation of <target> crashes at <point>, once per run and spec,
 *                                  surfaced as Lambda.SdkClientException. <target> is a Lambda function's
 *                                  logical id or the name of a Task state that invokes one (the
 *                                  invocations that state makes: "ReconcileNewUserPool", or
 *                                  "BackupTableCleanup: Remove Items"). Without <n>, the first invocation
 *                                  of <target> that reaches <point> crashes; with <n>, only the n-th
 *                                  invocation of <target> (1-based, retries included) and only if it
 *                                  reaches <point>. Points:
 *                                    after-receive     after an SQS ReceiveMessage returned messages
 *                                                      (they stay in flight, nothing is released)
 *                                    after-job-start   after StartUserImportJob returned (the job runs,
 *                                                      nothing is deleted)
 *                                    after-work        after the handler returned (all done, result lost)
 *   import-job-ms-per-kb=<n>       Cognito import jobs take <n> ms per KiB of CSV
 *   lose-users=<n>                 just before the reconciliation lists the new pool, <n> restored users
 *                                  are deleted from it (first those whose sign-in name another user
 *                                  holds as Username, e-mail or phone); the run then resumes the
 *                                  restore once with "Resume": true
 *   tamper-attribute=<share>       just before the reconciliation lists the new pool, that share of the
 *                                  restored users is changed behind the import's back: an attribute
 *                                  value changed, removed or added, and every fourth one's enabled
 *                                  flag flipped, and one group's description changed; the
 *                                  reconciliation must set them right
 *   export-fail[=<n>|=<prefix>]    the n-th table export of the run (ExportTableToPointInTime, 1-based,
 *                                  default 1), or the first whose S3Prefix starts with <prefix> (e.g.
 *                                  point-in-time-exports/: an AsOf restore's), ends FAILED (FailureCode
 *                                  S3AccessDenied) after writing `_started` and one data file, without
 *                                  manifests, as an export whose permissions are revoked while it
 *                                  runs; repeatable
 *   short-timeouts                 every Lambda that returns continuations gets the shortest timeout
 *                                  that still lets it progress (its reserve plus SHORT_TIMEOUT_PROGRESS_SECONDS)
 *   timeout=<LogicalId>:<seconds>  that Lambda function runs with this Timeout; at its reserve (60), a
 *                                  function that works in slices starts one slice per invocation (the
 *                                  first slice is always finished), so its continuations are exercised
 *                                  whatever the machine's speed
 *   repair-change-before-apply     `--scenario repair` only: between the plan and its apply, one user the
 *                                  plan sets back is changed again in the pool (a custom attribute), as
 *                                  an administrator could; the apply must refuse the plan without a
 *                                  write, and the run then plans again and applies the new plan
 *
 * The product code knows nothing of this: Cognito faults are injected by the Cognito emulator,
 * DynamoDB faults by a proxy in front of dynalite (ddb-fault-front.ts), failed exports by the export
 * emulator behind that proxy (ddb-exports.ts), crashes by the Lambda host
 * through a hook on the AWS SDK clients' `send` (lambda-scope.ts).
 */
import { MIN_REMAINING_MS } from '../../utils/constants';
import { FINALIZE_RESERVE_MS } from '../../workflow-import/lib/import-new-users';
import type { ExportCursor } from '../../utils/table-export';
import type { InvocationHooks, LocalFunction } from '../aws/lambda-host';

export const CRASH_POINTS = ['after-receive', 'after-job-start', 'after-work'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export interface CrashSpec {
  /** A Lambda function's logical id, or the name of a Task state that invokes a function. */
  target: string;
  by: 'function' | 'state';
  point: CrashPoint;
  /** Only the n-th invocation of the target (1-based) may crash; absent: the first that reaches the point. */
  invocation?: number;
}

/** Every fault of one run. */
export interface FaultPlan {
  /** The specs as given (for the report). */
  specs: string[];
  cognitoThrottleScale?: number;
  cognito500?: number;
  cognitoDrop?: number;
  ddbUnprocessed?: number;
  ddbThroughput?: number;
  crashes: CrashSpec[];
  importJobMsPerKb?: number;
  shortTimeouts: boolean;
  /** `timeout=`: Timeout seconds by function logical id. */
  functionTimeouts?: Record<string, number>;
  /** `lose-users`: restored users deleted before the reconciliation. */
  loseUsers?: number;
  /** `tamper-attribute`: share of restored users changed before the reconciliation. */
  tamperAttributes?: number;
  /** `repair-change-before-apply`: a planned user changed between the plan and its apply. */
  repairChangeBeforeApply?: boolean;
  /**
   * `export-fail`: which table exports of the run end FAILED: the n-th (a number, 1-based), or the
   * first whose S3Prefix starts with a prefix (a string).
   */
  exportFail?: (number | string)[];
}

export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
}

export const FAULT_NAMES = [
  'cognito-throttle',
  'cognito-500',
  'cognito-drop',
  'ddb-unprocessed',
  'ddb-throughput',
  'crash',
  'import-job-ms-per-kb',
  'short-timeouts',
  'timeout',
  'lose-users',
  'tamper-attribute',
  'export-fail',
  'repair-change-before-apply',
] as const;

export const emptyFaultPlan = (): FaultPlan => ({ specs: [], crashes: [], shortTimeouts: false });

function share(spec: string, value: string): number {
  const parsed = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed > 0 && parsed <= 1))
    throw new FaultSpecError(`--fault ${spec}: the share must be a number above 0 and at most 1`);
  return parsed;
}

function positive(spec: string, value: string, what: string): number {
  const parsed = /^\d+(\.\d+)?$|^\.\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed > 0)) throw new FaultSpecError(`--fault ${spec}: ${what} must be a number above 0`);
  return parsed;
}

const CRASH_FORM = 'crash=<LogicalId or state name>:<point>[:<n>]';

/** Lambda's own bounds of a function's Timeout (seconds). */
const MAX_TIMEOUT_SECONDS = 900;

/** `timeout=` value: `<LogicalId>:<seconds>`. */
function parseTimeout(spec: string, value: string, functionIds: readonly string[]): [string, number] {
  const colon = value.lastIndexOf(':');
  const target = colon < 0 ? '' : value.slice(0, colon);
  const seconds = colon < 0 ? '' : value.slice(colon + 1);
  if (target === '' || !/^[1-9]\d{0,2}$/.test(seconds) || Number(seconds) > MAX_TIMEOUT_SECONDS)
    throw new FaultSpecError(
      `--fault ${spec}: expected timeout=<LogicalId>:<seconds> with whole seconds from 1 to ${MAX_TIMEOUT_SECONDS}`,
    );
  if (!functionIds.includes(target))
    throw new FaultSpecError(
      `--fault ${spec}: "${target}" is not a Lambda function of the templates (${[...functionIds].sort().join(', ')})`,
    );
  return [target, Number(seconds)];
}

/**
 * `crash=` value: `<target>:<point>` or `<target>:<point>:<n>`. State names may hold colons
 * ("BackupTableCleanup: Remove Items"), so the point and the invocation are read from the right.
 */
function parseCrash(
  spec: string,
  value: string,
  functionIds: readonly string[],
  stateNames: readonly string[],
): CrashSpec {
  const parts = value.split(':');
  const last = parts.at(-1) ?? '';
  const numbered = parts.length >= 3 && /^[-+.\d]+$/.test(last);
  const point = parts.at(numbered ? -2 : -1) ?? '';
  const target = parts.slice(0, numbered ? -2 : -1).join(':');
  if (parts.length < 2 || target === '') {
    throw new FaultSpecError(
      `--fault ${spec}: expected ${CRASH_FORM} with <point> one of ${CRASH_POINTS.join(', ')}`,
    );
  }
  if (!(CRASH_POINTS as readonly string[]).includes(point)) {
    throw new FaultSpecError(
      `--fault ${spec}: "${point}" is not a crash point (one of ${CRASH_POINTS.join(', ')}); expected ${CRASH_FORM}`,
    );
  }
  let invocation: number | undefined;
  if (numbered) {
    if (!/^[1-9]\d*$/.test(last)) {
      throw new FaultSpecError(
        `--fault ${spec}: the invocation must be a whole number from 1 (found "${last}")`,
      );
    }
    invocation = Number(last);
  }
  const by = functionIds.includes(target) ? 'function' : stateNames.includes(target) ? 'state' : undefined;
  if (by === undefined) {
    throw new FaultSpecError(
      `--fault ${spec}: "${target}" is neither a Lambda function of the templates (${[...functionIds].sort().join(', ')})` +
        ` nor a Task state of their state machines${stateNames.length > 0 ? ` (${[...stateNames].sort().join(', ')})` : ''}`,
    );
  }
  return { target, by, point: point as CrashPoint, ...(invocation !== undefined ? { invocation } : {}) };
}

/**
 * Parses the `--fault` specs into one plan. `functionIds` and `stateNames` are what `crash=` may name
 * (the template's Lambda functions, the Task states of its state machines); unknown names, bad values
 * and repeated faults are errors that name the spec.
 */
export function parseFaults(
  specs: readonly string[],
  functionIds: readonly string[],
  stateNames: readonly string[] = [],
): FaultPlan {
  const plan = emptyFaultPlan();
  const seen = new Set<string>();
  for (const spec of specs) {
    const equals = spec.indexOf('=');
    const name = equals < 0 ? spec : spec.slice(0, equals);
    const value = equals < 0 ? undefined : spec.slice(equals + 1);
    if (!(FAULT_NAMES as readonly string[]).includes(name)) {
      throw new FaultSpecError(`--fault ${spec}: unknown fault "${name}" (one of ${FAULT_NAMES.join(', ')})`);
    }
    // Several crashes are allowed (other targets, points or invocations), never the same one twice.
    const key =
      name === 'crash' || name === 'export-fail'
        ? `${name}=${value ?? '1'}`
        : name === 'timeout'
          ? `timeout=${(value ?? '').split(':')[0] ?? ''}`
          : name;
    if (seen.has(key)) throw new FaultSpecError(`--fault ${spec}: ${key} is given twice`);
    seen.add(key);
    if (name === 'export-fail') {
      (plan.exportFail ??= []).push(
        value === undefined ? 1 : /^\d+$/.test(value) ? wholeNumber(spec, value) : value,
      );
      plan.specs.push(spec);
      continue;
    }
    if (name === 'short-timeouts' || name === 'repair-change-before-apply') {
      if (value !== undefined) throw new FaultSpecError(`--fault ${spec}: ${name} takes no value`);
      if (name === 'short-timeouts') plan.shortTimeouts = true;
      else plan.repairChangeBeforeApply = true;
      plan.specs.push(spec);
      continue;
    }
    if (value === undefined || value === '') {
      throw new FaultSpecError(`--fault ${spec}: ${name} needs a value (${name}=...)`);
    }
    switch (name) {
      case 'cognito-throttle':
        plan.cognitoThrottleScale = positive(spec, value, 'the scale');
        break;
      case 'cognito-500':
        plan.cognito500 = share(spec, value);
        break;
      case 'cognito-drop':
        plan.cognitoDrop = share(spec, value);
        break;
      case 'ddb-unprocessed':
        plan.ddbUnprocessed = share(spec, value);
        break;
      case 'ddb-throughput':
        plan.ddbThroughput = share(spec, value);
        break;
      case 'import-job-ms-per-kb':
        plan.importJobMsPerKb = positive(spec, value, 'the milliseconds per KiB');
        break;
      case 'lose-users':
        plan.loseUsers = wholeNumber(spec, value);
        break;
      case 'tamper-attribute':
        plan.tamperAttributes = share(spec, value);
        break;
      case 'crash':
        plan.crashes.push(parseCrash(spec, value, functionIds, stateNames));
        break;
      case 'timeout': {
        const [target, seconds] = parseTimeout(spec, value, functionIds);
        (plan.functionTimeouts ??= {})[target] = seconds;
        break;
      }
    }
    plan.specs.push(spec);
  }
  return plan;
}

function wholeNumber(spec: string, value: string): number {
  if (!/^[1-9]\d{0,6}$/.test(value))
    throw new FaultSpecError(`--fault ${spec}: the count must be a whole number above 0`);
  return Number(value);
}

/** True when the plan injects faults into the shared emulators (not only crashes and timeouts). */
export function hasEnvironmentFaults(plan: FaultPlan): boolean {
  return (
    plan.cognitoThrottleScale !== undefined ||
    plan.cognito500 !== undefined ||
    plan.cognitoDrop !== undefined ||
    plan.ddbUnprocessed !== undefined ||
    plan.ddbThroughput !== undefined ||
    plan.importJobMsPerKb !== undefined ||
    plan.exportFail !== undefined
  );
}

/** A crash that happened. */
export interface FiredCrash extends CrashSpec {
  /** Milliseconds since the injector was created. */
  atMs: number;
  /**
   * The `ExportCursor` the crashed invocation started from (an ImportScanTable reading a recovery
   * point): tells a crash mid-file from one at the start of the export.
   */
  exportCursor?: ExportCursor;
  /**
   * `after-work`: what the handler returned and the crash lost (a continuation's cursor says how far the
   * invocation got before the crash).
   */
  lostResult?: unknown;
}

const CRASH_COMMAND: Partial<Record<CrashPoint, string>> = {
  'after-receive': 'ReceiveMessageCommand',
  'after-job-start': 'StartUserImportJobCommand',
};

function triggers(point: CrashPoint, commandName: string, output: unknown): boolean {
  if (CRASH_COMMAND[point] !== commandName) return false;
  if (point !== 'after-receive') return true;
  const messages = (output as { Messages?: unknown[] } | undefined)?.Messages;
  return Array.isArray(messages) && messages.length > 0;
}

/** The `Input.ExportCursor` of an invocation's event, when it has one. */
function exportCursorOf(event: unknown): ExportCursor | undefined {
  const cursor = (event as { Input?: { ExportCursor?: unknown } } | null | undefined)?.Input?.ExportCursor;
  if (typeof cursor !== 'object' || cursor === null) return undefined;
  const { File, Line } = cursor as Record<string, unknown>;
  return typeof File === 'number' && typeof Line === 'number' ? { File, Line } : undefined;
}

/** The name of the state that invoked a function, from the `Context.$: $$` its Task passes. */
function invokingState(event: unknown): string | undefined {
  const name = (event as { Context?: { State?: { Name?: unknown } } } | null | undefined)?.Context?.State
    ?.Name;
  return typeof name === 'string' ? name : undefined;
}

/** Arms the plan's crash points on the Lambda host; each spec fires once per run. */
export class CrashInjector {
  readonly fired: FiredCrash[] = [];
  private readonly started = Date.now();
  /** Invocations of each spec's target so far, by spec. */
  private readonly invocations = new Map<CrashSpec, number>();
  private readonly done = new Set<CrashSpec>();

  constructor(private readonly crashes: readonly CrashSpec[]) {}

  private fire(crash: CrashSpec, event: unknown, lostResult?: unknown): string {
    this.done.add(crash);
    const exportCursor = exportCursorOf(event);
    this.fired.push({
      ...crash,
      atMs: Date.now() - this.started,
      ...(exportCursor !== undefined ? { exportCursor } : {}),
      ...(lostResult !== undefined ? { lostResult } : {}),
    });
    return `${crash.target} crashed ${crash.point.replace('-', ' ')}${crash.invocation !== undefined ? ` (invocation ${crash.invocation})` : ''}`;
  }

  /** The hooks of one invocation of `fn` with `event` (LambdaHostOptions.hooks). */
  hooks(fn: LocalFunction, event?: unknown): InvocationHooks | undefined {
    const state = invokingState(event);
    const armed = this.crashes.filter((crash) => {
      if (crash.target !== (crash.by === 'function' ? fn.logicalId : state)) return false;
      const count = (this.invocations.get(crash) ?? 0) + 1;
      this.invocations.set(crash, count);
      if (this.done.has(crash)) return false;
      return crash.invocation === undefined || crash.invocation === count;
    });
    if (armed.length === 0) return undefined;
    // Two invocations may run at once (Parallel branches): a spec fires in one of them only.
    const live = () => armed.filter((crash) => !this.done.has(crash));
    return {
      afterSdkCall: (commandName, output) => {
        const crash = live().find((c) => triggers(c.point, commandName, output));
        return crash === undefined ? undefined : this.fire(crash, event);
      },
      afterHandler: (result) => {
        const crash = live().find((c) => c.point === 'after-work');
        return crash === undefined ? undefined : this.fire(crash, event, result);
      },
    };
  }
}

/** Seconds of work `short-timeouts` leaves a function beyond the time it keeps in reserve. */
export const SHORT_TIMEOUT_PROGRESS_SECONDS = 2;

/**
 * The time a function keeps in reserve before its timeout (it starts no new work after that): one
 * minute for every function, plus the upload-and-start reserve of the user import (ImportNewUsers,
 * the import-users handler with a timeout long enough to use it).
 */
export function reserveSeconds(fn: Pick<LocalFunction, 'handler' | 'timeoutSeconds'>): number {
  const base = MIN_REMAINING_MS / 1000;
  const importReserve = (MIN_REMAINING_MS + FINALIZE_RESERVE_MS) / 1000;
  if (fn.handler === 'workflow-import/import-users.handler' && fn.timeoutSeconds > importReserve)
    return importReserve;
  return base;
}

/**
 * `short-timeouts`: the function's reserve plus SHORT_TIMEOUT_PROGRESS_SECONDS, for the functions that
 * work in slices and return a continuation (their timeout leaves more than that); others keep theirs.
 */
export function shortTimeoutSeconds(fn: Pick<LocalFunction, 'handler' | 'timeoutSeconds'>): number {
  const shortest = reserveSeconds(fn) + SHORT_TIMEOUT_PROGRESS_SECONDS;
  return fn.timeoutSeconds > shortest ? shortest : fn.timeoutSeconds;
}

/** A small seeded generator (mulberry32), so that a run's faults hit the same calls each time. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A user of the restored pool, as `lose-users` chooses among them. */
export interface LosableUser {
  username: string;
  attributes: Record<string, string>;
}

/** What a user signs in with: the Username, or the username attributes' values. */
function signInNames(user: LosableUser, usernameAttributes: readonly string[]): string[] {
  if (usernameAttributes.length === 0) return [user.username];
  return usernameAttributes.map((name) => user.attributes[name] ?? '').filter((value) => value !== '');
}

/**
 * The `count` users that `lose-users` deletes: first those whose sign-in name another user holds as
 * Username, e-mail or phone (a check that matched those values would take her for him), then the others
 * in the pool's order.
 */
export function usersToLose<U extends LosableUser>(
  users: readonly U[],
  usernameAttributes: readonly string[],
  count: number,
): U[] {
  const heldByOthers = (user: U): boolean =>
    signInNames(user, usernameAttributes).some((name) =>
      users.some(
        (other) =>
          other !== user &&
          [other.username, other.attributes.email, other.attributes.phone_number].includes(name),
      ),
    );
  const first = users.filter(heldByOthers);
  return [...first, ...users.filter((user) => !first.includes(user))].slice(0, count);
}

/**
 * `lose-users`: deletes restored users once per run, after the reconciliation's first DescribeUserPool
 * (it reads the pool's username attributes before it lists the users), through `lose`.
 */
export class UserLossInjector {
  /** The users deleted (0 until the fault fired). */
  lost = 0;
  private fired = false;

  constructor(
    private readonly count: number,
    private readonly lose: (userPoolId: string, count: number) => number,
  ) {}

  hooks(fn: LocalFunction): InvocationHooks | undefined {
    if (this.fired || fn.logicalId !== 'ImportReconcileNewUserPoolLambda') return undefined;
    return {
      afterSdkCall: (commandName, output) => {
        const userPoolId = (output as { UserPool?: { Id?: string } } | undefined)?.UserPool?.Id;
        if (this.fired || commandName !== 'DescribeUserPoolCommand' || userPoolId === undefined)
          return undefined;
        this.fired = true;
        this.lost = this.lose(userPoolId, this.count);
        return undefined;
      },
    };
  }
}

/** The hooks of two injectors on one invocation: the first crash message wins. */
export function bothHooks(
  first: InvocationHooks | undefined,
  second: InvocationHooks | undefined,
): InvocationHooks | undefined {
  if (first === undefined || second === undefined) return first ?? second;
  return {
    afterSdkCall: (commandName, output) =>
      first.afterSdkCall?.(commandName, output) ?? second.afterSdkCall?.(commandName, output),
    afterHandler: (result) => first.afterHandler?.(result) ?? second.afterHandler?.(result),
  };
}

// ---- tamper-attribute ------------------------------------------------------------------------------

/** A user of the restored pool as `tamper-attribute` changes it (the emulator's record). */
export interface TamperableUser {
  readonly attributes: Record<string, string>;
  enabled: boolean;
}

/** Attributes a change would not test the contents with: Cognito's own, sign-in and verification ones. */
const UNTAMPERED = new Set([
  'sub',
  'identities',
  'email',
  'phone_number',
  'email_verified',
  'phone_number_verified',
]);

/**
 * Changes `share` of `users` (chosen by `random`) as an operator or a trigger could behind the
 * import's back, cycling through: a value changed, an attribute removed, an attribute added (with a
 * verification-free name the pool has, `nickname`); every fourth changed user also has its enabled
 * flag flipped. Returns how many users it changed.
 */
export function tamperUsers(users: readonly TamperableUser[], share: number, random: () => number): number {
  let changed = 0;
  for (const user of users) {
    if (random() >= share) continue;
    const names = Object.keys(user.attributes).filter((name) => !UNTAMPERED.has(name));
    const kind = changed % 3;
    const name = names[changed % Math.max(1, names.length)];
    if (kind === 0 && name !== undefined) user.attributes[name] = `${user.attributes[name] ?? ''}-tampered`;
    else if (kind === 1 && name !== undefined) Reflect.deleteProperty(user.attributes, name);
    else user.attributes.nickname = user.attributes.nickname === 'tampered' ? 'tampered-again' : 'tampered';
    if (changed % 4 === 3) user.enabled = !user.enabled;
    changed += 1;
  }
  return changed;
}

/**
 * `tamper-attribute`: changes restored users once per run, after the reconciliation's first
 * DescribeUserPool (the import is over, the users' listing has not started), through `tamper`; and a
 * group through `tamperGroup` after the first UpdateNewUsers invocation (the groups exist then, and the
 * reconciliation lists them at once with its DescribeUserPool).
 */
export class TamperInjector {
  /** The users changed (0 until the fault fired). */
  tampered = 0;
  private fired = false;
  private groupFired = false;

  constructor(
    private readonly tamper: (userPoolId: string) => number,
    private readonly tamperGroup: () => void,
  ) {}

  hooks(fn: LocalFunction): InvocationHooks | undefined {
    if (!this.groupFired && fn.logicalId === 'ImportUpdateNewUsersLambda') {
      return {
        afterHandler: () => {
          if (!this.groupFired) this.tamperGroup();
          this.groupFired = true;
          return undefined;
        },
      };
    }
    if (this.fired || fn.logicalId !== 'ImportReconcileNewUserPoolLambda') return undefined;
    return {
      afterSdkCall: (commandName, output) => {
        const userPoolId = (output as { UserPool?: { Id?: string } } | undefined)?.UserPool?.Id;
        if (this.fired || commandName !== 'DescribeUserPoolCommand' || userPoolId === undefined)
          return undefined;
        this.fired = true;
        this.tampered = this.tamper(userPoolId);
        return undefined;
      },
    };
  }
}
