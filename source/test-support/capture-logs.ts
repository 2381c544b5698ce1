// SPDX-License-Identifier: Apache-2.0
/** Log capture for unit tests: pass `write` as the runtime's (or a logger's) log sink. */
import { createLogger, type LogFields, type Logger, type LogLevel } from '../utils/logger';

export function captureLogs() {
  const lines: string[] = [];
  const write = (line: string): void => {
    lines.push(line);
  };
  return {
    write,
    lines,
    /** Every line, for "no personal data" assertions. */
    text: () => lines.join('\n'),
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    /** A logger writing here (for core modules tested without a handler). */
    logger: (fields: LogFields = {}, level?: LogLevel): Logger =>
      createLogger(fields, level ? { write, level } : { write }),
  };
}

export type CapturedLogs = ReturnType<typeof captureLogs>;

/** A logger that drops everything. */
export const quietLogger = (): Logger => createLogger({}, { write: () => undefined });
