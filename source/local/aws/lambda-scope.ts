// SPDX-License-Identifier: Apache-2.0
/**
 * Gives each in-process Lambda invocation what its own container would have: its own environment
 * variables and its own log stream. Several handlers run at the same time in this process (the two
 * branches of the ImportWorkflow's Parallel state), so `process.env` becomes a view that follows the
 * async context of the invocation, and stdout writes made inside an invocation go to its log sink. An
 * invocation that timed out or crashed is frozen: its AWS SDK calls never complete.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface InvocationScope {
  /** The function's environment, layered over the process's base environment. */
  env: Record<string, string>;
  /** Receives the invocation's stdout writes (the handlers' JSON log lines). */
  log(text: string): void;
  /**
   * Set once the invocation is over for the Lambda service (timed out or crashed): like a frozen
   * container, its AWS SDK calls from then on never complete, so it can change nothing any more.
   */
  frozen?: boolean;
  /**
   * Called after each AWS SDK call of the invocation that succeeded, with the command's name (e.g.
   * `ReceiveMessageCommand`) and its output; it may freeze the invocation, and the caller then never
   * sees the output (crash points of the fault injection).
   */
  afterSdkCall?: (commandName: string, output: unknown) => void;
}

const storage = new AsyncLocalStorage<InvocationScope>();

export function runInScope<T>(scope: InvocationScope, work: () => Promise<T>): Promise<T> {
  return storage.run(scope, work);
}

let installed = false;

/** A promise that never settles: what an SDK call of a frozen invocation returns. */
const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

interface SendableClient {
  send(command: { constructor: { name: string } }, ...rest: unknown[]): unknown;
}

/**
 * Wraps the `send` of every AWS SDK v3 client (they all extend the one smithy `Client` class) so that
 * a frozen invocation's calls never complete and `afterSdkCall` sees each call's output. Calls made
 * outside an invocation (the harness's own) pass through untouched.
 */
function installSdkHook(): void {
  // The clients' base class; loaded at run time from the same package the clients use.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require('@smithy/core/client') as { Client: { prototype: SendableClient } };
  const original = Client.prototype.send;
  Client.prototype.send = function (this: SendableClient, command, ...rest: unknown[]): unknown {
    const scope = storage.getStore();
    const callback = rest.some((arg) => typeof arg === 'function');
    if (scope === undefined || callback) return original.call(this, command, ...rest);
    if (scope.frozen) return never();
    const result = original.call(this, command, ...rest) as Promise<unknown>;
    return result.then(
      (output) => {
        if (scope.frozen) return never();
        scope.afterSdkCall?.(command.constructor.name, output);
        return scope.frozen ? never() : output;
      },
      (error: unknown) => (scope.frozen ? never() : Promise.reject(error)),
    );
  };
}

/**
 * Replaces `process.env` with a view that reads the current invocation's variables first, routes
 * stdout writes made inside an invocation to its sink, and hooks the AWS SDK clients' `send` (frozen
 * invocations, `afterSdkCall`). Idempotent.
 */
export function installLambdaScopes(): void {
  if (installed) return;
  installed = true;
  installSdkHook();
  process.env = new Proxy(process.env, {
    get(target, key) {
      const scope = storage.getStore();
      if (typeof key === 'string' && scope !== undefined && Object.hasOwn(scope.env, key))
        return scope.env[key];
      return Reflect.get(target, key);
    },
    set(target, key, value) {
      const scope = storage.getStore();
      if (typeof key === 'string' && scope !== undefined) {
        scope.env[key] = String(value);
        return true;
      }
      return Reflect.set(target, key, String(value));
    },
    deleteProperty(target, key) {
      const scope = storage.getStore();
      if (typeof key === 'string' && scope !== undefined && Object.hasOwn(scope.env, key)) {
        return delete scope.env[key];
      }
      return Reflect.deleteProperty(target, key);
    },
    has(target, key) {
      const scope = storage.getStore();
      return (
        (typeof key === 'string' && scope !== undefined && Object.hasOwn(scope.env, key)) || key in target
      );
    },
    ownKeys(target) {
      const scope = storage.getStore();
      const keys = new Set<string | symbol>(Reflect.ownKeys(target));
      if (scope !== undefined) for (const key of Object.keys(scope.env)) keys.add(key);
      return [...keys];
    },
    getOwnPropertyDescriptor(target, key) {
      const scope = storage.getStore();
      if (typeof key === 'string' && scope !== undefined && Object.hasOwn(scope.env, key)) {
        return { value: scope.env[key], writable: true, enumerable: true, configurable: true };
      }
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  });

  const stdout = process.stdout;
  const originalWrite = stdout.write;
  const scopedWrite = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    const scope = storage.getStore();
    if (scope === undefined) {
      return (originalWrite as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    }
    scope.log(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  };
  stdout.write = scopedWrite as typeof stdout.write;
}
