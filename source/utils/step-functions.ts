// SPDX-License-Identifier: Apache-2.0
/** Shapes of the Step Functions payloads the workflow Lambdas receive. */

export interface SfnContextObject {
  Execution: {
    Id: string;
    Input: Record<string, unknown>;
    Name?: string;
    RoleArn?: string;
    StartTime: string;
  };
  State?: { Name: string; EnteredTime?: string; RetryCount?: number };
  StateMachine: { Id: string; Name: string };
  Map?: { Item: { Index: number; Value: unknown } };
}

/** A task invoked with `Parameters: { "Input.$": "$", "Context.$": "$$" }`. */
export interface WrappedEvent<I = Record<string, unknown>> {
  Input: I;
  Context: SfnContextObject;
}

/** Wrapped tasks return `{ result }` and the state selects it with `OutputPath: "$.result"`. */
export interface WrappedResult<R> {
  result: R;
}

/** The part of a state machine name before the first `-` (`ExportWorkflow`, `ImportWorkflow`). */
export function workflowName(context: Pick<SfnContextObject, 'StateMachine'>): string {
  return context.StateMachine.Name.split('-')[0] ?? '';
}
