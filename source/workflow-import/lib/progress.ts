// SPDX-License-Identifier: Apache-2.0
/**
 * The no-progress bound of the import's long steps. Throttling or messages held elsewhere may slow
 * a step down: every invocation that cannot finish gives its work back and returns a continuation.
 * The step fails only when no invocation made progress for `NO_PROGRESS_LIMIT_MS`. The time of the
 * last progress travels in the state output (`Progress`), so it survives from one invocation to the
 * next.
 */

/** How long an import step may go without progress before the workflow fails. */
export const NO_PROGRESS_LIMIT_MS = 15 * 60_000;

/** Carried in the state output as `Progress`. */
export interface Progress {
  /** `ImportNewUsers` (both states of that name and the job checks) or `UpdateNewUsers`. */
  Step: string;
  /** Epoch ms of the last invocation that made progress (or of the step's first invocation). */
  LastProgressTime: number;
}

function isProgress(value: unknown): value is Progress {
  const candidate = value as Partial<Progress> | undefined;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.Step === 'string' &&
    typeof candidate.LastProgressTime === 'number' &&
    Number.isFinite(candidate.LastProgressTime)
  );
}

/**
 * The step's progress carried in the state input, or a fresh one starting now. After the Parallel
 * state the input is the array of branch outputs; the import branch carries it there.
 */
export function carriedProgress(input: unknown, step: string, now: number): Progress {
  const candidates = Array.isArray(input) ? input : [input];
  for (const candidate of candidates) {
    const progress = (candidate as { Progress?: unknown } | undefined)?.Progress;
    if (isProgress(progress) && progress.Step === step && progress.LastProgressTime <= now) return progress;
  }
  return { Step: step, LastProgressTime: now };
}

export class NoProgressError extends Error {
  override readonly name = 'NoProgressError';
}

/** The sentence that tells the operator how to finish an import that stopped. */
export function resumeAdvice(userPoolId: string): string {
  return `To finish the restore, start the ImportWorkflow again with {"NewUserPoolId": "${userPoolId}", "Resume": true}`;
}

/**
 * The progress to hand on: now if this invocation made progress, else the carried one, unless that
 * is older than the bound, in which case the step fails with a message naming what is left.
 */
export function nextProgress(
  progress: Progress,
  madeProgress: boolean,
  now: number,
  failure: { userPoolId: string; whatIsLeft: () => string },
): Progress {
  if (madeProgress) return { Step: progress.Step, LastProgressTime: now };
  const idleMs = now - progress.LastProgressTime;
  if (idleMs < NO_PROGRESS_LIMIT_MS) return progress;
  throw new NoProgressError(
    `${progress.Step} made no progress for ${Math.floor(idleMs / 60_000)} minutes ` +
      `(the limit is ${NO_PROGRESS_LIMIT_MS / 60_000} minutes, last progress at ${new Date(progress.LastProgressTime).toISOString()}): ` +
      `${failure.whatIsLeft()}. ${resumeAdvice(failure.userPoolId)}`,
  );
}
