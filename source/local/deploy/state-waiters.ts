// SPDX-License-Identifier: Apache-2.0
/** Which states each execution has entered, for callers that wait for a state (crash and resume tests). */
import type { ExecutionRecord } from '../aws/step-functions';

export class StateWaiters {
  /** States entered so far, per execution, and who waits for which. */
  private readonly states = new Map<string, Set<string>>();
  private readonly waiters: { arn: string; state: string; resolve: () => void }[] = [];

  /** Records that the execution entered the state; resolves whoever waits for it. */
  entered(execution: ExecutionRecord, stateName: string): void {
    let states = this.states.get(execution.executionArn);
    if (states === undefined) {
      states = new Set();
      this.states.set(execution.executionArn, states);
    }
    states.add(stateName);
    for (let i = this.waiters.length - 1; i >= 0; i -= 1) {
      const waiter = this.waiters[i];
      if (waiter?.arn === execution.executionArn && waiter.state === stateName) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  /** Resolves once the execution has entered the state (at once if it already did). */
  waitFor(executionArn: string, stateName: string): Promise<void> {
    if (this.states.get(executionArn)?.has(stateName)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ arn: executionArn, state: stateName, resolve }));
  }
}
