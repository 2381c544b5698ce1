// SPDX-License-Identifier: Apache-2.0
/**
 * aws-local-stepfunctions 3.0.0 declares Node >= 22 and calls `Promise.withResolvers` (Node 22) in
 * every Task state. Node 20 lacks it; this harness-only polyfill supplies it before the library runs.
 * (Lambda code must not rely on it.)
 */
interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const promiseConstructor = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };

if (typeof promiseConstructor.withResolvers !== 'function') {
  promiseConstructor.withResolvers = <T>(): Resolvers<T> => {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    return { promise, resolve, reject };
  };
}

export {};
