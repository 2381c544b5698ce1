/**
 * What the shared workflow handlers take from their surroundings. Handlers are built from a `Runtime`
 * so that tests pass a fixed clock, a fake `fetch` for metrics and a log sink.
 */
import type { Env } from '../../utils/config';
import type { Now } from '../../utils/limiter';
import { createLogger, type Logger } from '../../utils/logger';
import type { LambdaContextLike } from '../../utils/time-budget';

export interface Runtime {
  env: Env;
  now: Now;
  /** Used for the anonymous metrics; the global fetch when absent. */
  fetch?: typeof fetch;
  write?: (line: string) => void;
}

export const defaultRuntime = (): Runtime => ({ env: process.env, now: Date.now });

export function handlerLogger(runtime: Runtime, handler: string, context?: LambdaContextLike): Logger {
  const fields = context?.awsRequestId ? { handler, requestId: context.awsRequestId } : { handler };
  return createLogger(
    fields,
    runtime.write ? { write: runtime.write, now: runtime.now } : { now: runtime.now },
  );
}
