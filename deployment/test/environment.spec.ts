// SPDX-License-Identifier: Apache-2.0
/**
 * The environment each function sets is exactly what its handler declares in `ENVIRONMENT`:
 * every required variable is set (or provided by the Lambda runtime) and nothing else is set,
 * apart from the optional variables that shared utils read (SHARED_OPTIONAL_ENV).
 */
import { SHARED_OPTIONAL_ENV } from '../../source/utils/config';
import { lambdaFunctions } from './support/functions';
import { handlerEnvironment } from './support/handlers';

/** Set by the Lambda runtime itself; a template cannot set them. */
const RUNTIME_ENV = new Set([
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_LAMBDA_LOG_LEVEL',
  'AWS_EXECUTION_ENV',
]);

const cases = lambdaFunctions().map((fn) => [`${fn.logicalId} (${fn.handler})`, fn] as const);

describe('function environment', () => {
  it.each(cases)('%s: sets every variable the handler requires', (_name, fn) => {
    const spec = handlerEnvironment(fn.handler);
    const missing = Object.entries(spec)
      .filter(([name, variable]) => variable.required && !RUNTIME_ENV.has(name) && !(name in fn.environment))
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it.each(cases)('%s: sets no variable the handler does not read', (_name, fn) => {
    const spec = handlerEnvironment(fn.handler);
    const shared = new Set<string>(SHARED_OPTIONAL_ENV);
    const unread = Object.keys(fn.environment).filter((name) => !(name in spec) && !shared.has(name));
    expect(unread).toEqual([]);
  });

  it.each(cases)('%s: does not try to set a variable of the Lambda runtime', (_name, fn) => {
    expect(Object.keys(fn.environment).filter((name) => RUNTIME_ENV.has(name))).toEqual([]);
  });
});
