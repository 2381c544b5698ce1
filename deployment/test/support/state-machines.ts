// SPDX-License-Identifier: Apache-2.0
/**
 * The state machines of the templates: `DefinitionString` (`Fn::Sub`) with every `${X.Arn}` replaced
 * by a Lambda ARN that names the logical id and every `${Parameter}` by its default, so the definitions can
 * be validated and walked.
 */
import { loadTemplates, resourcesOfType, subText, type Template } from './cfn';

export interface AslState {
  Type: string;
  Resource?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: AslChoiceRule[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string | null }[];
  Retry?: { ErrorEquals: string[] }[];
  InputPath?: string | null;
  OutputPath?: string | null;
  ResultPath?: string | null;
  ResultSelector?: Record<string, unknown>;
  Parameters?: Record<string, unknown>;
  Result?: unknown;
  Branches?: AslScope[];
  Iterator?: AslScope;
  ItemProcessor?: AslScope;
  [field: string]: unknown;
}

export interface AslChoiceRule {
  Variable?: string;
  Next?: string;
  And?: AslChoiceRule[];
  Or?: AslChoiceRule[];
  Not?: AslChoiceRule;
  [field: string]: unknown;
}

export interface AslScope {
  StartAt: string;
  States: Record<string, AslState>;
}

export interface AslDefinition extends AslScope {
  Comment?: string;
  TimeoutSeconds?: number;
}

export interface StateMachine {
  template: string;
  logicalId: string;
  /** The `${X.Arn}` references, in order of appearance. */
  arnReferences: string[];
  definition: AslDefinition;
}

export const FAKE_ACCOUNT = '123456789012';
export const FAKE_REGION = 'us-east-1';
export const lambdaArn = (logicalId: string): string =>
  `arn:aws:lambda:${FAKE_REGION}:${FAKE_ACCOUNT}:function:${logicalId}`;

/** The logical id of the function behind a Task's `Resource`, or undefined for other resources. */
export function functionOf(state: AslState): string | undefined {
  const match = /^arn:aws:lambda:[^:]+:\d+:function:(.+)$/.exec(state.Resource ?? '');
  return match?.[1];
}

export function stateMachines(templates: Template[] = loadTemplates()): StateMachine[] {
  return templates.flatMap((template) =>
    resourcesOfType(template, 'AWS::StepFunctions::StateMachine').map(([logicalId, resource]) => {
      const text = subText(resource.Properties?.DefinitionString);
      if (text === undefined)
        throw new Error(`${template.file} ${logicalId}: DefinitionString is not a Fn::Sub`);
      const arnReferences: string[] = [];
      const substituted = text.replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
        // A template parameter (SnapshotRetentionDays) takes its default, as a stack created with defaults has it.
        const byDefault = template.Parameters[name]?.Default;
        if (typeof byDefault === 'number' || typeof byDefault === 'string') return String(byDefault);
        const arn = /^([A-Za-z0-9]+)\.Arn$/.exec(name);
        if (!arn?.[1]) throw new Error(`${template.file} ${logicalId}: unexpected substitution \${${name}}`);
        arnReferences.push(arn[1]);
        return lambdaArn(arn[1]);
      });
      return {
        template: template.file,
        logicalId,
        arnReferences,
        definition: JSON.parse(substituted) as AslDefinition,
      };
    }),
  );
}

export interface ScopedState {
  name: string;
  state: AslState;
  /** The `States` object the state belongs to (top level, a Parallel branch or a Map iterator). */
  scope: AslScope;
  /** The Map state whose iterator holds this scope, if any. */
  mapState?: AslState;
}

/** Every state of a definition, including those inside Parallel branches and Map iterators. */
export function allStates(scope: AslScope, mapState?: AslState): ScopedState[] {
  return Object.entries(scope.States).flatMap(([name, state]) => {
    const own: ScopedState = { name, state, scope, ...(mapState ? { mapState } : {}) };
    const nested = [
      ...(state.Branches ?? []).flatMap((branch) => allStates(branch)),
      ...[state.Iterator, state.ItemProcessor]
        .filter((inner): inner is AslScope => inner !== undefined)
        .flatMap((inner) => allStates(inner, state)),
    ];
    return [own, ...nested];
  });
}

/** The top-level fields (`$.Field...`) that a Choice state's rules read. */
export function choiceFields(state: AslState): string[] {
  const fields = new Set<string>();
  const visit = (rule: AslChoiceRule): void => {
    if (typeof rule.Variable === 'string') {
      const match = /^\$\.([^.[]+)/.exec(rule.Variable);
      if (!match?.[1]) throw new Error(`Choice variable ${rule.Variable} is not a path into the state data`);
      fields.add(match[1]);
    }
    for (const inner of [...(rule.And ?? []), ...(rule.Or ?? []), ...(rule.Not ? [rule.Not] : [])])
      visit(inner);
  };
  for (const rule of state.Choices ?? []) visit(rule);
  return [...fields];
}

/** Edges `from → to` of one scope (Next, Default, Choice rules, Catch). */
export function edges(scope: AslScope): { from: string; to: string; viaCatch: boolean }[] {
  return Object.entries(scope.States).flatMap(([from, state]) => [
    ...(state.Next ? [{ from, to: state.Next, viaCatch: false }] : []),
    ...(state.Default ? [{ from, to: state.Default, viaCatch: false }] : []),
    ...(state.Choices ?? []).map((rule) => ({ from, to: String(rule.Next), viaCatch: false })),
    ...(state.Catch ?? []).map((clause) => ({ from, to: clause.Next, viaCatch: true })),
  ]);
}
