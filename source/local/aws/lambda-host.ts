// SPDX-License-Identifier: Apache-2.0
/**
 * Runs the Lambda handlers in this process as the Lambda service would: the module the function's
 * `Handler` names, a context whose `getRemainingTimeInMillis` counts down from the function's
 * `Timeout`, the function's own environment, JSON in and out, and errors shaped as Step Functions
 * sees them (`Error` = errorType, `Cause` = the runtime's JSON error document).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../deploy/cfn-template';
import { scrub } from '../../utils/logger';
import { installLambdaScopes, type InvocationScope, runInScope } from './lambda-scope';

export interface LocalFunction {
  logicalId: string;
  name: string;
  arn: string;
  /** `<package>/<file>.<export>`, as in the template. */
  handler: string;
  timeoutSeconds: number;
  memoryMb: number;
  environment: Record<string, string>;
}

export interface LambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

type Handler = (event: unknown, context: LambdaContext) => unknown;

/** A function error as Step Functions reports it: `Error` is the name, `Cause` the JSON document. */
export class LambdaFunctionError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    trace: string[] = [],
  ) {
    super(JSON.stringify({ errorType, errorMessage, trace }));
    this.name = errorType;
  }
}

export interface InvocationEvent {
  fn: LocalFunction;
  requestId: string;
  durationMs: number;
  error?: LambdaFunctionError;
  /** The handler's raw return value (before JSON serialisation), for progress reporting. */
  result?: unknown;
}

/**
 * Crash points an invocation can meet (the local run's `crash=` faults). Each returns the message of
 * the crash, or `undefined` to go on. A crash fails the invocation with `Lambda.SdkClientException`,
 * as when Step Functions loses the invocation's result, and freezes it: its AWS SDK calls from then on
 * never complete.
 */
export interface InvocationHooks {
  /** After each AWS SDK call of the invocation that succeeded (the caller never sees a crashed call's output). */
  afterSdkCall?(commandName: string, output: unknown): string | undefined;
  /** After the handler returned `result` (which a crash then loses). */
  afterHandler?(result: unknown): string | undefined;
}

/** The error Step Functions reports when the Lambda service fails an invocation. */
export const CRASH_ERROR_TYPE = 'Lambda.SdkClientException';

export interface LambdaHostOptions {
  /** Directory holding `<package>/<file>.ts`. */
  sourceRoot: string;
  region: string;
  functions: LocalFunction[];
  /** Receives each log line an invocation writes to stdout. */
  onLog?: (fn: LocalFunction, line: string) => void;
  onInvocation?: (event: InvocationEvent) => void;
  /** Crash points for an invocation of `fn` with `event` (fault injection); called once per invocation. */
  hooks?: (fn: LocalFunction, event: unknown) => InvocationHooks | undefined;
  /** Loads a handler module (tests inject fakes). Default: `require`. */
  loadModule?: (path: string) => Record<string, unknown>;
  now?: () => number;
}

/** Step Functions' limit on a state's input or output. */
export const MAX_PAYLOAD_BYTES = 262_144;

function defaultLoad(path: string): Record<string, unknown> {
  // The handlers are TypeScript modules loaded on demand (tsx in the CLI, ts-jest in the tests).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path) as Record<string, unknown>;
}

/**
 * The line the Lambda runtime writes to the function's log when an invocation fails ("Invoke Error"),
 * as a JSON line like the functions' own, with the message scrubbed as the logger scrubs it.
 */
export function invokeErrorLine(requestId: string, error: LambdaFunctionError, now: number): string {
  return JSON.stringify({
    level: 'error',
    time: new Date(now).toISOString(),
    message: 'Invoke Error',
    requestId,
    errorType: error.errorType,
    errorMessage: scrub(error.errorMessage),
  });
}

function toFunctionError(error: unknown): LambdaFunctionError {
  if (error instanceof LambdaFunctionError) return error;
  if (error instanceof Error) {
    const trace = (error.stack ?? '').split('\n').filter((line) => line.trim() !== '');
    return new LambdaFunctionError(error.name || 'Error', error.message, trace);
  }
  return new LambdaFunctionError('Error', typeof error === 'string' ? error : JSON.stringify(error));
}

export class LambdaHost {
  private readonly byKey = new Map<string, LocalFunction>();
  private readonly handlers = new Map<string, Handler>();
  private readonly now: () => number;

  constructor(private readonly options: LambdaHostOptions) {
    this.now = options.now ?? Date.now;
    for (const fn of options.functions) this.register(fn);
    installLambdaScopes();
  }

  /** Adds a function (as CloudFormation creates them, one by one). */
  register(fn: LocalFunction): void {
    this.byKey.set(fn.arn, fn);
    this.byKey.set(fn.name, fn);
    this.byKey.set(fn.logicalId, fn);
  }

  /** Every function registered, once each. */
  all(): LocalFunction[] {
    return [...new Set(this.byKey.values())];
  }

  /** A function by ARN (qualified or not), name or logical id. */
  find(target: string): LocalFunction | undefined {
    const unqualified = target.replace(/^(arn:[^:]+:lambda:[^:]+:[^:]+:function:[^:]+):[^:]+$/, '$1');
    return this.byKey.get(target) ?? this.byKey.get(unqualified);
  }

  /** The file a `Handler` string points at; throws when it does not exist. */
  modulePath(fn: LocalFunction): { file: string; exportName: string } {
    const dot = fn.handler.lastIndexOf('.');
    if (dot <= 0) throw new Error(`${fn.logicalId}: Handler "${fn.handler}" is not <file>.<export>`);
    const file = join(this.options.sourceRoot, `${fn.handler.slice(0, dot)}.ts`);
    if (!existsSync(file))
      throw new Error(`${fn.logicalId}: Handler "${fn.handler}" names ${file}, which does not exist`);
    return { file, exportName: fn.handler.slice(dot + 1) };
  }

  private handlerFor(fn: LocalFunction): Handler {
    const cached = this.handlers.get(fn.logicalId);
    if (cached !== undefined) return cached;
    const { file, exportName } = this.modulePath(fn);
    const loaded = (this.options.loadModule ?? defaultLoad)(file)[exportName];
    if (typeof loaded !== 'function') {
      throw new Error(`${fn.logicalId}: ${file} does not export a function named ${exportName}`);
    }
    const handler = loaded as Handler;
    this.handlers.set(fn.logicalId, handler);
    return handler;
  }

  /** The variables the Lambda runtime sets, then the function's own `Environment`. */
  private environment(fn: LocalFunction, requestId: string, logStreamName: string): Record<string, string> {
    return {
      AWS_REGION: this.options.region,
      AWS_DEFAULT_REGION: this.options.region,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
      _HANDLER: fn.handler,
      _X_AMZN_TRACE_ID: `Root=1-${requestId.slice(0, 8)}`,
      ...fn.environment,
    };
  }

  /**
   * Invokes a function synchronously. Resolves with the JSON result; rejects with a
   * `LambdaFunctionError` (handler error, timeout or an oversized result).
   */
  async invoke(target: string, event: unknown): Promise<Json> {
    const fn = this.find(target);
    if (fn === undefined) {
      throw new LambdaFunctionError('Lambda.ResourceNotFoundException', `Function not found: ${target}`);
    }
    const requestId = randomUUID();
    const started = this.now();
    const deadline = started + fn.timeoutSeconds * 1000;
    const logStreamName = `${new Date(started).toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${requestId.replace(/-/g, '')}`;
    const context: LambdaContext = {
      functionName: fn.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: fn.arn,
      memoryLimitInMB: String(fn.memoryMb),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${fn.name}`,
      logStreamName,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - this.now()),
    };
    let timedOut = false;
    const scope: InvocationScope = {
      env: this.environment(fn, requestId, logStreamName),
      log: (text: string) => {
        if (timedOut || scope.frozen === true) return;
        for (const line of text.split('\n')) if (line.trim() !== '') this.options.onLog?.(fn, line);
      },
    };
    const hooks = this.options.hooks?.(fn, event);
    let crash: (message: string) => void = () => undefined;
    const crashed = new Promise<never>((_, reject) => {
      crash = (message) => {
        scope.frozen = true;
        reject(
          new LambdaFunctionError(CRASH_ERROR_TYPE, `${message} (injected crash, RequestId: ${requestId})`),
        );
      };
    });
    crashed.catch(() => undefined);
    const afterSdkCall = hooks?.afterSdkCall;
    if (afterSdkCall !== undefined) {
      scope.afterSdkCall = (commandName, output) => {
        const message = afterSdkCall.call(hooks, commandName, output);
        if (message !== undefined) crash(message);
      };
    }
    // Each invocation gets its own copy of the event, as the service deserialises it for the handler.
    const payload = JSON.parse(JSON.stringify(event ?? null)) as unknown;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        scope.frozen = true;
        reject(
          new LambdaFunctionError(
            'Sandbox.Timedout',
            `RequestId: ${requestId} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
          ),
        );
      }, deadline - started);
    });
    let raw: unknown;
    try {
      raw = await Promise.race([
        runInScope(scope, async () => this.handlerFor(fn)(payload, context)),
        timeout,
        crashed,
      ]);
      const lost = hooks?.afterHandler?.(raw);
      if (lost !== undefined) {
        crash(lost);
        await crashed;
      }
    } catch (error) {
      const failure = toFunctionError(error);
      this.options.onLog?.(fn, invokeErrorLine(requestId, failure, this.now()));
      this.options.onInvocation?.({ fn, requestId, durationMs: this.now() - started, error: failure });
      throw failure;
    } finally {
      clearTimeout(timer);
    }
    const text = raw === undefined ? 'null' : JSON.stringify(raw);
    if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
      const failure = new LambdaFunctionError(
        'States.DataLimitExceeded',
        `The result of ${fn.logicalId} has ${Buffer.byteLength(text)} bytes, more than Step Functions accepts (${MAX_PAYLOAD_BYTES})`,
      );
      this.options.onLog?.(fn, invokeErrorLine(requestId, failure, this.now()));
      this.options.onInvocation?.({ fn, requestId, durationMs: this.now() - started, error: failure });
      throw failure;
    }
    this.options.onInvocation?.({ fn, requestId, durationMs: this.now() - started, result: raw });
    return JSON.parse(text) as Json;
  }
}
