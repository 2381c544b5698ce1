// SPDX-License-Identifier: Apache-2.0
/**
 * Step Functions history events and state payload sizes, counted the way Step Functions counts them
 * for a Standard execution, from the events the local runner sees:
 * - the execution: started, and succeeded or failed (2);
 * - a Lambda Task state: entered, scheduled, started, succeeded or failed, exited (5), and each retry
 *   adds the new attempt's scheduled, started and outcome (3);
 * - Choice, Pass, Wait and Succeed states: entered and exited (2); a Fail state: entered (1);
 * - Map and Parallel states: entered, started, succeeded, exited (4), and 2 per iteration or branch;
 * - the children of a Distributed Map run as child executions with their own history: they do not
 *   count here.
 * Step Functions fails an execution whose history would pass 25,000 events, and a state whose input
 * or output is larger than 256 KiB (UTF-8).
 */

export const MAX_HISTORY_EVENTS = 25_000;
export const MAX_STATE_PAYLOAD_BYTES = 262_144;

const STATE_EVENTS: Readonly<Record<string, number>> = {
  Task: 5,
  Map: 4,
  Parallel: 4,
  Choice: 2,
  Pass: 2,
  Wait: 2,
  Succeed: 2,
  Fail: 1,
};

/** What the counter needs of a runner event. */
export interface HistorySource {
  type: string;
  stateName?: string;
  stateType?: string;
  /** The state's input (StateEntered) or output (StateExited), when the event carries it. */
  payload?: unknown;
}

export class HistoryLimitError extends Error {
  override readonly name: string;
  constructor(name: 'States.Runtime' | 'States.DataLimitExceeded', message: string) {
    super(message);
    this.name = name;
  }
}

export class HistoryCounter {
  private count = 0;
  private maxPayload = 0;
  private maxPayloadState = '';

  /** `excluded`: names of the states that run in Distributed Map child executions. */
  constructor(private readonly excluded: ReadonlySet<string> = new Set()) {}

  get events(): number {
    return this.count;
  }

  get maxStatePayloadBytes(): number {
    return this.maxPayload;
  }

  /** Counts one runner event; returns the limit it breaks, if any. */
  add(event: HistorySource): HistoryLimitError | undefined {
    if (event.stateName !== undefined && this.excluded.has(event.stateName)) return undefined;
    switch (event.type) {
      case 'ExecutionStarted':
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
      case 'ExecutionAborted':
      case 'ExecutionTimeout':
        this.count += 1;
        break;
      case 'StateEntered':
        this.count += STATE_EVENTS[event.stateType ?? ''] ?? 2;
        break;
      case 'StateRetried':
        this.count += 3;
        break;
      case 'MapIterationStarted':
      case 'ParallelBranchStarted':
        this.count += 2;
        break;
      default:
        break;
    }
    if (event.payload !== undefined && (event.type === 'StateEntered' || event.type === 'StateExited')) {
      const bytes = Buffer.byteLength(JSON.stringify(event.payload) ?? '', 'utf8');
      if (bytes > this.maxPayload) {
        this.maxPayload = bytes;
        this.maxPayloadState = event.stateName ?? '';
      }
      if (bytes > MAX_STATE_PAYLOAD_BYTES) {
        return new HistoryLimitError(
          'States.DataLimitExceeded',
          `The state/task '${this.maxPayloadState}' returned a result with a size exceeding the maximum number of bytes service limit (${bytes} > ${MAX_STATE_PAYLOAD_BYTES}).`,
        );
      }
    }
    if (this.count > MAX_HISTORY_EVENTS) {
      return new HistoryLimitError(
        'States.Runtime',
        `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`,
      );
    }
    return undefined;
  }
}

/** Names of the states inside Distributed Map item processors of a definition (any depth). */
export function distributedChildStates(definition: unknown): Set<string> {
  const names = new Set<string>();
  const walk = (states: unknown, inDistributed: boolean): void => {
    if (typeof states !== 'object' || states === null) return;
    for (const [name, state] of Object.entries(states as Record<string, unknown>)) {
      if (inDistributed) names.add(name);
      if (typeof state !== 'object' || state === null) continue;
      const s = state as Record<string, unknown>;
      const processor = (s.ItemProcessor ?? s.Iterator) as Record<string, unknown> | undefined;
      if (processor !== undefined) {
        const config = processor.ProcessorConfig as Record<string, unknown> | undefined;
        walk(processor.States, inDistributed || config?.Mode === 'DISTRIBUTED');
      }
      if (Array.isArray(s.Branches))
        for (const branch of s.Branches) walk((branch as Record<string, unknown>).States, inDistributed);
    }
  };
  walk((definition as Record<string, unknown> | undefined)?.States, false);
  return names;
}
