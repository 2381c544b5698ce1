// SPDX-License-Identifier: Apache-2.0
/**
 * Whether an identity-based statement of a template reaches a given existing resource: one of its actions is of
 * the resource's service and acts on an existing resource, one of its `Resource` patterns matches the resource's
 * ARN (IAM wildcards), and its conditions on the resource's tags hold. Conditions on the request (the service a
 * role is passed to, the tags of a new resource, a boundary) are taken as satisfiable: a caller shapes the request.
 * The template's values (`${AWS::StackName}`, the installation's constants) are filled in from `values`; a name
 * that is missing there fails the evaluation rather than silently matching nothing.
 */
import { isObject, type Json, type JsonObject } from './cfn';
import type { LocatedStatement } from './policies';

export interface ExistingResource {
  /** e.g. `iam`, `lambda`, `logs`, `cloudformation`, `events`. */
  service: string;
  arn: string;
  tags: Record<string, string>;
}

/** Actions that only create a resource named in the request: they fail on a resource that exists already. */
const CREATE_ONLY = new Set([
  'iam:CreateRole',
  'lambda:CreateFunction',
  'logs:CreateLogGroup',
  'cloudformation:CreateStack',
]);

/** IAM's wildcard match: `*` any run of characters (`/` and `:` included), `?` exactly one. */
export function wildcardMatches(pattern: string, value: string): boolean {
  const regex = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${regex}$`, 's').test(value);
}

/** A policy value with the template's names filled in; a resource of the template becomes a name of its own. */
export function render(value: Json, values: Record<string, string>): string {
  const lookup = (name: string): string => {
    const found = values[name];
    if (found === undefined) throw new Error(`No value for \${${name}}: add it to the installation's values`);
    return found;
  };
  const fill = (text: string): string => text.replace(/\$\{([^}]+)\}/g, (_m, name: string) => lookup(name));
  if (typeof value === 'string') return value;
  if (isObject(value)) {
    const sub = value['Fn::Sub'];
    if (typeof sub === 'string') return fill(sub);
    if (typeof value.Ref === 'string') return lookup(value.Ref);
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<this stack's ${getAtt.join('.')}>`;
  }
  throw new Error(`Cannot render ${JSON.stringify(value)}`);
}

const asList = (value: Json): Json[] => (Array.isArray(value) ? value : [value]);

function tagKey(conditionKey: string): string | undefined {
  return /^(?:aws|iam):ResourceTag\/(.+)$/.exec(conditionKey)?.[1];
}

/** Whether the statement's conditions on the resource's tags hold for `resource`. */
function tagConditionsHold(
  condition: JsonObject,
  resource: ExistingResource,
  values: Record<string, string>,
) {
  for (const [operator, entries] of Object.entries(condition)) {
    if (!isObject(entries)) throw new Error(`Condition ${operator} is not an object`);
    for (const [key, expected] of Object.entries(entries)) {
      const tag = tagKey(key);
      if (tag === undefined) continue;
      const actual = resource.tags[tag];
      const wanted = asList(expected).map((item) => render(item, values));
      switch (operator) {
        case 'StringEquals':
          if (actual === undefined || !wanted.includes(actual)) return false;
          break;
        case 'StringLike':
          if (actual === undefined || !wanted.some((pattern) => wildcardMatches(pattern, actual)))
            return false;
          break;
        case 'Null':
          if (wanted.includes('true') !== (actual === undefined)) return false;
          break;
        default:
          throw new Error(`The test does not evaluate ${operator} on ${key}`);
      }
    }
  }
  return true;
}

/** The actions of `statement` through which it reaches `resource`, or [] when it does not reach it. */
export function reachingActions(
  statement: LocatedStatement,
  resource: ExistingResource,
  values: Record<string, string>,
): string[] {
  if (statement.Effect !== 'Allow') return [];
  const actions = statement.Action.filter(
    (action) => action.split(':')[0] === resource.service && !CREATE_ONLY.has(action),
  );
  if (actions.length === 0) return [];
  const matches = statement.Resource.some((pattern) =>
    wildcardMatches(render(pattern, values), resource.arn),
  );
  if (!matches) return [];
  if (statement.Condition && !tagConditionsHold(statement.Condition, resource, values)) return [];
  return actions;
}
