// SPDX-License-Identifier: Apache-2.0
/** The Lambda functions and IAM roles of the templates, in the shapes the template tests compare. */
import {
  isObject,
  loadTemplates,
  referencedResource,
  resourcesOfType,
  subText,
  type Json,
  type JsonObject,
  type Template,
} from './cfn';

export interface LambdaFunction {
  template: string;
  logicalId: string;
  /** `<package>/<file>`, from `Handler: <package>/<file>.handler`. */
  handler: string;
  handlerExport: string;
  /** The zip the function's code comes from, e.g. `workflow-export.zip`. */
  zip: string;
  roleId: string;
  environment: Record<string, Json>;
  condition?: string;
}

export function lambdaFunctions(templates: Template[] = loadTemplates()): LambdaFunction[] {
  return templates.flatMap((template) =>
    resourcesOfType(template, 'AWS::Lambda::Function').map(([logicalId, resource]) => {
      const properties = resource.Properties ?? {};
      const handlerString = String(properties.Handler);
      const lastDot = handlerString.lastIndexOf('.');
      const code = isObject(properties.Code) ? properties.Code : {};
      const key = subText(code.S3Key) ?? '';
      const roleId = referencedResource(properties.Role);
      if (!roleId)
        throw new Error(`${template.file} ${logicalId}: Role is not a GetAtt of a role of the template`);
      const environment = isObject(properties.Environment) ? properties.Environment.Variables : undefined;
      return {
        template: template.file,
        logicalId,
        handler: handlerString.slice(0, lastDot),
        handlerExport: handlerString.slice(lastDot + 1),
        zip: key.slice(key.lastIndexOf('/') + 1),
        roleId,
        environment: isObject(environment) ? environment : {},
        ...(resource.Condition ? { condition: resource.Condition } : {}),
      };
    }),
  );
}

export interface PolicyStatement {
  Effect: string;
  Action: string[];
  Resource: Json[];
  Condition?: JsonObject;
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** The inline policy statements of a role. */
export function roleStatements(template: Template, roleId: string): PolicyStatement[] {
  const role = template.Resources[roleId];
  if (!role || role.Type !== 'AWS::IAM::Role')
    throw new Error(`${template.file}: ${roleId} is not an IAM role`);
  const policies = asList(role.Properties?.Policies as Json[] | undefined);
  return policies.flatMap((policy) => {
    const document = isObject(policy) && isObject(policy.PolicyDocument) ? policy.PolicyDocument : {};
    return asList(document.Statement as Json[] | undefined).map((statement) => {
      if (!isObject(statement)) throw new Error(`${template.file} ${roleId}: a statement is not an object`);
      return {
        Effect: String(statement.Effect),
        Action: asList(statement.Action as string | string[]),
        Resource: asList(statement.Resource as Json | Json[]),
        ...(isObject(statement.Condition) ? { Condition: statement.Condition } : {}),
      };
    });
  });
}

/** `true` when the IAM action pattern (which may contain `*` and `?`) covers `action`. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    'i',
  );
  return regex.test(action);
}
