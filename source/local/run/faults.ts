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
 *   crash=<LogicalId>:<point>      the first invocation of the function that reaches <point> crashes
 *                                  (once per run and function), surfaced as Lambda.SdkClientException:
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
 *   short-timeouts                 every Lambda that returns continuations gets the shortest timeout
 *                                  that still lets it progress (its reserve plus SHORT_TIMEOUT_PROGRESS_SECONDS)
 *
 * The product code knows nothing of this: Cognito faults are injected by the Cognito emulator,
 * DynamoDB faults by a proxy in front of dynalite (ddb-fault-front.ts), crashes by the Lambda host
 * through a hook on the AWS SDK clients' `send` (lambda-scope.ts).
 */
import { MIN_REMAINING_MS } from '../../utils/constants';
import { FINALIZE_RESERVE_MS } from '../../workflow-import/lib/import-new-users';
import type { InvocationHooks, LocalFunction } from '../aws/lambda-host';

export const CRASH_POINTS = ['after-receive', 'after-job-start', 'after-work'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export interface CrashSpec {
  logicalId: string;
  point: CrashPoint;
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
  /** `lose-users`: restored users deleted before the reconciliation. */
  loseUsers?: number;
  /** `tamper-attribute`: share of restored users changed before the reconciliation. */
  tamperAttributes?: number;
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
  'lose-users',
  'tamper-attribute',
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

/**
 * Parses the `--fault` specs into one plan. `functionIds` are the logical ids `crash=` may name (the
 * template's Lambda functions); unknown names, bad values and repeated faults are errors that name
 * the spec.
 */
export function parseFaults(specs: readonly string[], functionIds: readonly string[]): FaultPlan {
  const plan = emptyFaultPlan();
  const seen = new Set<string>();
  for (const spec of specs) {
    const equals = spec.indexOf('=');
    const name = equals < 0 ? spec : spec.slice(0, equals);
    const value = equals < 0 ? undefined : spec.slice(equals + 1);
    if (!(FAULT_NAMES as readonly string[]).includes(name)) {
      throw new FaultSpecError(`--fault ${spec}: unknown fault "${name}" (one of ${FAULT_NAMES.join(', ')})`);
    }
    const key = name === 'crash' ? `crash=${value?.split(':')[0] ?? ''}` : name;
    if (seen.has(key)) throw new FaultSpecError(`--fault ${spec}: ${key} is given twice`);
    seen.add(key);
    if (name === 'short-timeouts') {
      if (value !== undefined) throw new FaultSpecError(`--fault ${spec}: short-timeouts takes no value`);
      plan.shortTimeouts = true;
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
      case 'crash': {
        const [logicalId = '', point = '', ...rest] = value.split(':');
        if (rest.length > 0 || !(CRASH_POINTS as readonly string[]).includes(point)) {
          throw new FaultSpecError(
            `--fault ${spec}: expected crash=<LogicalId>:<point> with <point> one of ${CRASH_POINTS.join(', ')}`,
          );
        }
        if (!functionIds.includes(logicalId)) {
          throw new FaultSpecError(
            `--fault ${spec}: "${logicalId}" is not a Lambda function of the templates (${[...functionIds].sort().join(', ')})`,
          );
        }
        plan.crashes.push({ logicalId, point: point as CrashPoint });
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
    plan.importJobMsPerKb !== undefined
  );
}

/** A crash that happened. */
export interface FiredCrash extends CrashSpec {
  /** Milliseconds since the injector was created. */
  atMs: number;
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

/** Arms the plan's crash points on the Lambda host; each fires once per run. */
export class CrashInjector {
  readonly fired: FiredCrash[] = [];
  private readonly started = Date.now();

  constructor(private readonly crashes: readonly CrashSpec[]) {}

  private armed(fn: LocalFunction): CrashSpec[] {
    return this.crashes.filter(
      (crash) =>
        crash.logicalId === fn.logicalId &&
        !this.fired.some((done) => done.logicalId === crash.logicalId && done.point === crash.point),
    );
  }

  private fire(crash: CrashSpec): string {
    this.fired.push({ ...crash, atMs: Date.now() - this.started });
    return `${crash.logicalId} crashed ${crash.point.replace('-', ' ')}`;
  }

  /** The hooks of one invocation (LambdaHostOptions.hooks). */
  hooks(fn: LocalFunction): InvocationHooks | undefined {
    if (this.armed(fn).length === 0) return undefined;
    return {
      afterSdkCall: (commandName, output) => {
        const crash = this.armed(fn).find((c) => triggers(c.point, commandName, output));
        return crash === undefined ? undefined : this.fire(crash);
      },
      afterHandler: () => {
        const crash = this.armed(fn).find((c) => c.point === 'after-work');
        return crash === undefined ? undefined : this.fire(crash);
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
    afterHandler: () => first.afterHandler?.() ?? second.afterHandler?.(),
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
