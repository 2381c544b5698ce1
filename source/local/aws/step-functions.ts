// SPDX-License-Identifier: Apache-2.0
/**
 * Runs the state machines of the template on aws-local-stepfunctions, with what the library lacks:
 * every Task runs its Lambda in process (LambdaHost), the context object each task receives through
 * `"Context.$": "$$"` carries `State.Name`/`State.EnteredTime` and the execution's real input (the
 * library has no `$$.State` and resets `$$.Execution.Input` inside Map iterations), Task states get the
 * function's timeout instead of the library's 60 s default, and Wait states and Retry intervals are
 * shortened. A Retry on a Lambda error (e.g. `Lambda.SdkClientException` of a crashed invocation) runs
 * the Task again, as Step Functions does.
 * It also keeps the execution table that the fake Step Functions API answers from.
 */
import './polyfills';
import { randomUUID } from 'node:crypto';
import type * as LocalStepFunctionsLibrary from 'aws-local-stepfunctions' with {
  'resolution-mode': 'import',
};
import { isJsonObject, type Json, type JsonObject } from '../deploy/cfn-template';
import { distributedChildStates, HistoryCounter, type HistoryLimitError } from './step-functions-history';
import type { LambdaHost, LocalFunction } from './lambda-host';

export interface StateMachineInfo {
  logicalId: string;
  name: string;
  arn: string;
  roleArn?: string;
  definition: JsonObject;
  /** The template's `Tags` (ListTagsForResource answers them). */
  tags?: Record<string, string>;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  /** The Task state whose Lambda error ended the execution (set when it stopped other than SUCCEEDED). */
  failedTask?: FailedTask;
  /** The first state that failed with the execution's final error (a Fail state, or a Task without Catch). */
  failedState?: string;
  /** History events of the execution as Step Functions counts them (`step-functions-history.ts`). */
  historyEvents: number;
  /**
   * The states entered, in order, with their time and input: what GetExecutionHistory answers (the restore drill
   * measures its import's phases from it).
   */
  entered: { stateName: string; timestamp: Date; input: string }[];
  /** The largest state input or output of the execution, in UTF-8 bytes. */
  maxStatePayloadBytes: number;
}

/** A Task state that failed (after its retries), with the error its Lambda function threw. */
export interface FailedTask {
  stateName: string;
  /** Logical id of the function the state invokes. */
  functionId: string;
  error: string;
  cause: string;
}

export interface ExecutionEvent {
  type: string;
  stateName?: string;
  /** Map iteration index, when the event comes from inside a Map. */
  index?: number;
  error?: string;
  cause?: string;
}

export interface LocalStepFunctionsOptions {
  region: string;
  accountId: string;
  machines: StateMachineInfo[];
  lambdas: LambdaHost;
  /** Milliseconds a Wait state really waits, given its name and `Seconds`. Default: at most 250 ms. */
  waitMs?: (stateName: string, seconds: number | undefined) => number;
  onEvent?: (execution: ExecutionRecord, event: ExecutionEvent) => void;
}

export class StateMachineError extends Error {
  override readonly name = 'StateMachineError';
}

interface TaskBinding {
  fn: LocalFunction;
  /** `lambda:invoke` integration (payload under `Payload`) rather than a function ARN as Resource. */
  invokeIntegration: boolean;
  /** Keys of the Lambda payload that receive the whole context object (`"Context.$": "$$"`). */
  contextKeys: string[];
}

interface PreparedMachine {
  info: StateMachineInfo;
  definition: JsonObject;
  tasks: Map<string, TaskBinding>;
  /** Task states that start another state machine and wait for it (`states:startExecution.sync:2`). */
  startExecutionSync: Set<string>;
  /** `IntervalSeconds` of each retrier, per state with a `Retry`. */
  retries: Map<string, number[]>;
  waits: Map<string, number | undefined>;
}

const LAMBDA_ARN = /^arn:[^:]+:lambda:[^:]+:[^:]+:function:.+$/;
const INVOKE_INTEGRATION = /^arn:[^:]+:states:::lambda:invoke$/;
const START_EXECUTION_SYNC = /^arn:[^:]+:states:::states:startExecution\.sync:2$/;
const SYNC_TIMEOUT_SECONDS = 2_000_000;
/** Extra seconds on top of a function's timeout, so that the Lambda's own timeout fires first. */
const TASK_TIMEOUT_MARGIN_SECONDS = 5;
export const DEFAULT_MAX_WAIT_MS = 250;

// The package is ESM-typed but ships a CommonJS build, which the harness (CommonJS) loads.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StateMachine } = require('aws-local-stepfunctions') as typeof LocalStepFunctionsLibrary;

function contextKeysOf(parameters: Json | undefined): string[] {
  if (!isJsonObject(parameters)) return [];
  return Object.entries(parameters)
    .filter(([key, value]) => key.endsWith('.$') && value === '$$')
    .map(([key]) => key.slice(0, -2));
}

/** Every `States` map of a definition: top level, Map iterators and Parallel branches. */
function* stateMaps(definition: JsonObject): Generator<JsonObject> {
  const states = definition.States;
  if (!isJsonObject(states)) return;
  yield states;
  for (const state of Object.values(states)) {
    if (!isJsonObject(state)) continue;
    for (const nested of [state.Iterator, state.ItemProcessor])
      if (isJsonObject(nested)) yield* stateMaps(nested);
    if (Array.isArray(state.Branches))
      for (const branch of state.Branches) if (isJsonObject(branch)) yield* stateMaps(branch);
  }
}

export function prepareMachine(info: StateMachineInfo, lambdas: LambdaHost): PreparedMachine {
  const definition = JSON.parse(JSON.stringify(info.definition)) as JsonObject;
  const tasks = new Map<string, TaskBinding>();
  const startExecutionSync = new Set<string>();
  const waits = new Map<string, number | undefined>();
  const retries = new Map<string, number[]>();
  for (const states of stateMaps(definition)) {
    for (const [stateName, state] of Object.entries(states)) {
      if (!isJsonObject(state)) continue;
      if (Array.isArray(state.Retry)) {
        retries.set(
          stateName,
          state.Retry.map((retrier) =>
            isJsonObject(retrier) && typeof retrier.IntervalSeconds === 'number'
              ? retrier.IntervalSeconds
              : 1,
          ),
        );
      }
      if (state.Type === 'Wait')
        waits.set(stateName, typeof state.Seconds === 'number' ? state.Seconds : undefined);
      if (state.Type !== 'Task') continue;
      const resource = typeof state.Resource === 'string' ? state.Resource : JSON.stringify(state.Resource);
      if (START_EXECUTION_SYNC.test(resource)) {
        startExecutionSync.add(stateName);
        // Step Functions gives a Task without TimeoutSeconds no timeout (the library: 60 s); the longest a timer
        // here can wait (2^31 ms) is far beyond any local child execution.
        if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined)
          state.TimeoutSeconds = SYNC_TIMEOUT_SECONDS;
        continue;
      }
      let binding: TaskBinding;
      if (LAMBDA_ARN.test(resource)) {
        const fn = lambdas.find(resource);
        if (fn === undefined)
          throw new StateMachineError(`${info.logicalId} / ${stateName}: no function ${resource}`);
        binding = { fn, invokeIntegration: false, contextKeys: contextKeysOf(state.Parameters) };
      } else if (INVOKE_INTEGRATION.test(resource) && isJsonObject(state.Parameters)) {
        const target = state.Parameters.FunctionName;
        const fn = typeof target === 'string' ? lambdas.find(target) : undefined;
        if (fn === undefined) {
          throw new StateMachineError(
            `${info.logicalId} / ${stateName}: no function ${JSON.stringify(target)}`,
          );
        }
        binding = { fn, invokeIntegration: true, contextKeys: contextKeysOf(state.Parameters.Payload) };
      } else {
        throw new StateMachineError(
          `${info.logicalId} / ${stateName}: resource ${resource} is not a Lambda function; the local run only emulates Lambda tasks`,
        );
      }
      const previous = tasks.get(stateName);
      if (previous !== undefined && previous.fn.logicalId !== binding.fn.logicalId) {
        throw new StateMachineError(
          `${info.logicalId}: two Task states named "${stateName}" call different functions`,
        );
      }
      tasks.set(stateName, binding);
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
        state.TimeoutSeconds = binding.fn.timeoutSeconds + TASK_TIMEOUT_MARGIN_SECONDS;
      }
    }
  }
  return { info, definition, tasks, startExecutionSync, waits, retries };
}

interface RunningExecution {
  record: ExecutionRecord;
  abort(): void;
  done: Promise<ExecutionRecord>;
}

export class LocalStepFunctions {
  private readonly machines = new Map<string, PreparedMachine>();
  private readonly executions = new Map<string, RunningExecution>();

  constructor(private readonly options: LocalStepFunctionsOptions) {
    for (const info of options.machines) this.machines.set(info.arn, prepareMachine(info, options.lambdas));
  }

  machine(arnOrLogicalId: string): StateMachineInfo | undefined {
    const direct = this.machines.get(arnOrLogicalId);
    if (direct !== undefined) return direct.info;
    for (const prepared of this.machines.values()) {
      if (prepared.info.logicalId === arnOrLogicalId || prepared.info.name === arnOrLogicalId)
        return prepared.info;
    }
    return undefined;
  }

  private waitMs(stateName: string, seconds: number | undefined): number {
    if (this.options.waitMs !== undefined) return this.options.waitMs(stateName, seconds);
    return Math.min((seconds ?? 0) * 1000, DEFAULT_MAX_WAIT_MS);
  }

  /** Every state machine of the deployment (ListStateMachines). */
  machineInfos(): StateMachineInfo[] {
    return [...this.machines.values()].map((prepared) => prepared.info);
  }

  /** StartExecution: returns as soon as the execution runs. */
  start(stateMachineArn: string, input: Json = {}, name: string = randomUUID()): ExecutionRecord {
    const prepared = this.machines.get(stateMachineArn);
    if (prepared === undefined)
      throw new StateMachineError(`State Machine Does Not Exist: '${stateMachineArn}'`);
    const executionArn = `arn:aws:states:${this.options.region}:${this.options.accountId}:execution:${prepared.info.name}:${name}`;
    if (this.executions.has(executionArn)) {
      throw new StateMachineError(`Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      name,
      status: 'RUNNING',
      startDate: new Date(),
      input: JSON.stringify(input),
      historyEvents: 0,
      maxStatePayloadBytes: 0,
      entered: [],
    };
    const history = new HistoryCounter(distributedChildStates(prepared.definition));
    let limitFailure: HistoryLimitError | undefined;
    const executionContext = {
      Id: executionArn,
      Name: name,
      RoleArn: prepared.info.roleArn ?? '',
      StartTime: record.startDate.toISOString(),
      Input: input,
      RedriveCount: 0,
    };
    const stateMachineContext = { Id: prepared.info.arn, Name: prepared.info.name };

    const withContext = (payload: Json, binding: TaskBinding, stateName: string, entered: string): Json => {
      if (!isJsonObject(payload)) return payload;
      const patched: JsonObject = { ...payload };
      for (const key of binding.contextKeys) {
        const theirs = patched[key];
        patched[key] = {
          ...(isJsonObject(theirs) ? theirs : {}),
          Execution: executionContext,
          StateMachine: stateMachineContext,
          State: { Name: stateName, EnteredTime: entered, RetryCount: 0 },
        } as JsonObject;
      }
      return patched;
    };

    const taskResourceLocalHandlers: Record<string, (input: Json) => Promise<Json>> = {};
    for (const [stateName, binding] of prepared.tasks) {
      taskResourceLocalHandlers[stateName] = async (effectiveInput: Json) => {
        const entered = new Date().toISOString();
        if (!binding.invokeIntegration) {
          return this.options.lambdas.invoke(
            binding.fn.arn,
            withContext(effectiveInput, binding, stateName, entered),
          );
        }
        const request = isJsonObject(effectiveInput) ? effectiveInput : {};
        const payload = withContext(request.Payload ?? null, binding, stateName, entered);
        const result = await this.options.lambdas.invoke(binding.fn.arn, payload);
        return { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
      };
    }
    // As Step Functions runs `startExecution.sync:2`: the child starts under the given name and input, the task
    // ends when it does, with its output parsed (`:2`), and fails with the child's error when it does not succeed.
    for (const stateName of prepared.startExecutionSync) {
      taskResourceLocalHandlers[stateName] = async (effectiveInput: Json) => {
        const request = isJsonObject(effectiveInput) ? effectiveInput : {};
        const child = this.start(
          typeof request.StateMachineArn === 'string' ? request.StateMachineArn : '',
          request.Input ?? {},
          typeof request.Name === 'string' ? request.Name : randomUUID(),
        );
        const ended = await this.wait(child.executionArn);
        if (ended.status !== 'SUCCEEDED') {
          throw Object.assign(
            new Error(
              JSON.stringify({ ExecutionArn: ended.executionArn, Status: ended.status, Error: ended.error }),
            ),
            { name: 'States.TaskFailed' },
          );
        }
        return {
          ExecutionArn: ended.executionArn,
          StateMachineArn: ended.stateMachineArn,
          Name: ended.name,
          Status: ended.status,
          Output: ended.output === undefined ? null : (JSON.parse(ended.output) as Json),
        };
      };
    }
    const waitTimeOverrides: Record<string, number> = {};
    for (const [stateName, seconds] of prepared.waits)
      waitTimeOverrides[stateName] = this.waitMs(stateName, seconds);
    // A Retry waits its IntervalSeconds shortened like a Wait state (no backoff growth locally).
    const retryIntervalOverrides: Record<string, number[]> = {};
    for (const [stateName, intervals] of prepared.retries)
      retryIntervalOverrides[stateName] = intervals.map((seconds) => this.waitMs(stateName, seconds));

    const machine = new StateMachine(prepared.definition as never, {
      validationOptions: { checkArn: false, checkPaths: false },
    });
    const run = machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: taskResourceLocalHandlers as never,
        waitTimeOverrides,
        retryIntervalOverrides,
      },
      context: { Execution: { ...executionContext }, StateMachine: stateMachineContext },
    });

    // The last Task failure not followed by a retry of the same state: what ended the execution
    // when a Catch then leads to a Fail state (the Fail state's Error says only "unexpected error").
    let lastTaskFailure: FailedTask | undefined;
    const failedStates: { stateName: string; error: string }[] = [];
    const events = (async () => {
      for await (const event of run.eventLogs) {
        const entry = event as {
          type: string;
          state?: { name: string; type?: string; input?: unknown; output?: unknown };
          index?: number;
          Error?: string;
          Cause?: unknown;
        };
        const broken = history.add({
          type: entry.type,
          stateName: entry.state?.name,
          stateType: entry.state?.type,
          payload: entry.type === 'StateExited' ? entry.state?.output : entry.state?.input,
        });
        // After a limit is broken the execution is over: what the runner still drains is not history.
        if (limitFailure === undefined) {
          record.historyEvents = history.events;
          record.maxStatePayloadBytes = history.maxStatePayloadBytes;
        }
        if (broken !== undefined && limitFailure === undefined) {
          // Step Functions fails the execution at that point; the local run must not pass where AWS fails.
          limitFailure = broken;
          run.abort();
        }
        const cause =
          entry.Cause === undefined
            ? undefined
            : typeof entry.Cause === 'string'
              ? entry.Cause
              : JSON.stringify(entry.Cause);
        const stateName = entry.state?.name;
        if (entry.type === 'StateEntered' && stateName !== undefined)
          record.entered.push({
            stateName,
            timestamp: new Date(),
            input: JSON.stringify(entry.state?.input ?? null),
          });
        const binding = stateName === undefined ? undefined : prepared.tasks.get(stateName);
        if (entry.type === 'StateFailed' && stateName !== undefined)
          failedStates.push({ stateName, error: entry.Error ?? '' });
        if (entry.type === 'StateFailed' && stateName !== undefined && binding !== undefined) {
          lastTaskFailure = {
            stateName,
            functionId: binding.fn.logicalId,
            error: entry.Error ?? 'Error',
            cause: cause ?? '',
          };
        } else if (entry.type === 'StateRetried' && stateName === lastTaskFailure?.stateName) {
          lastTaskFailure = undefined;
        }
        this.options.onEvent?.(record, {
          type: entry.type,
          stateName,
          index: entry.index,
          error: entry.Error,
          cause,
        });
      }
    })();

    const done = run.result.then(
      (output) => {
        record.status = 'SUCCEEDED';
        record.output = JSON.stringify(output);
        return record;
      },
      (error: unknown) => {
        if (limitFailure !== undefined) {
          record.status = 'FAILED';
          record.error = limitFailure.name;
          record.cause = limitFailure.message;
          return record;
        }
        const cause = (error as { cause?: unknown }).cause;
        const failure =
          cause instanceof Error ? cause : error instanceof Error ? error : new Error(String(error));
        record.status =
          failure.name === 'ExecutionAbortedError'
            ? 'ABORTED'
            : failure.name === 'ExecutionTimeoutError'
              ? 'TIMED_OUT'
              : 'FAILED';
        record.error = failure.name;
        record.cause = failure.message;
        return record;
      },
    );
    const finished = done.then(async (result) => {
      result.stopDate = new Date();
      await events.catch(() => undefined);
      // The events are read after the run: a short execution may end before its limit is seen.
      if (limitFailure !== undefined && result.status !== 'FAILED') {
        result.status = 'FAILED';
        result.error = limitFailure.name;
        result.cause = limitFailure.message;
        delete result.output;
      }
      if (result.status !== 'SUCCEEDED') {
        if (lastTaskFailure !== undefined) result.failedTask = lastTaskFailure;
        const failedState = failedStates.find((state) => state.error === result.error)?.stateName;
        if (failedState !== undefined) result.failedState = failedState;
      }
      return result;
    });
    this.executions.set(executionArn, { record, abort: run.abort, done: finished });
    return record;
  }

  describe(executionArn: string): ExecutionRecord | undefined {
    return this.executions.get(executionArn)?.record;
  }

  /** Resolves when the execution has stopped (never rejects). */
  async wait(executionArn: string): Promise<ExecutionRecord> {
    const running = this.executions.get(executionArn);
    if (running === undefined) throw new StateMachineError(`Execution Does Not Exist: '${executionArn}'`);
    return running.done;
  }

  stop(executionArn: string): ExecutionRecord | undefined {
    const running = this.executions.get(executionArn);
    if (running?.record.status === 'RUNNING') running.abort();
    return running?.record;
  }

  /** Newest first, as ListExecutions answers. */
  list(stateMachineArn: string, statusFilter?: ExecutionStatus): ExecutionRecord[] {
    return [...this.executions.values()]
      .map((running) => running.record)
      .filter((record) => record.stateMachineArn === stateMachineArn)
      .filter((record) => statusFilter === undefined || record.status === statusFilter)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }

  /** Aborts every running execution and waits for them to stop. */
  async stopAll(): Promise<void> {
    const running = [...this.executions.values()].filter((entry) => entry.record.status === 'RUNNING');
    for (const entry of running) entry.abort();
    await Promise.all(running.map((entry) => entry.done));
  }
}
