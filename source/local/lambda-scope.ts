/**
 * Gives each in-process Lambda invocation what its own container would have: its own environment
 * variables and its own log stream. Several handlers run at the same time in this process (the two
 * branches of the ImportWorkflow's Parallel state), so `process.env` becomes a view that follows the
 * async context of the invocation, and stdout writes made inside an invocation go to its log sink.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface InvocationScope {
  /** The function's environment, layered over the process's base environment. */
  env: Record<string, string>;
  /** Receives the invocation's stdout writes (the handlers' JSON log lines). */
  log(text: string): void;
}

const storage = new AsyncLocalStorage<InvocationScope>();

export function runInScope<T>(scope: InvocationScope, work: () => Promise<T>): Promise<T> {
  return storage.run(scope, work);
}

let installed = false;

/**
 * Replaces `process.env` with a view that reads the current invocation's variables first, and routes
 * stdout writes made inside an invocation to its sink. Idempotent.
 */
export function installLambdaScopes(): void {
  if (installed) return;
  installed = true;
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
