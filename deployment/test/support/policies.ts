// SPDX-License-Identifier: Apache-2.0
/** Every IAM policy statement of a template, with where it is: role inline policies and managed policies. */
import { isObject, resourcesOfType, type Json, type JsonObject, type Template } from './cfn';
import { roleStatements, type PolicyStatement } from './functions';

export interface LocatedStatement extends PolicyStatement {
  template: string;
  /** Logical id of the role or managed policy. */
  owner: string;
  Sid?: string;
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function documentStatements(document: Json | undefined): (PolicyStatement & { Sid?: string })[] {
  const statements = isObject(document) ? asList(document.Statement as Json[] | undefined) : [];
  return statements.filter(isObject).map((statement: JsonObject) => ({
    ...(typeof statement.Sid === 'string' ? { Sid: statement.Sid } : {}),
    Effect: String(statement.Effect),
    Action: asList(statement.Action as string | string[]),
    Resource: asList(statement.Resource as Json | Json[]),
    ...(isObject(statement.Condition) ? { Condition: statement.Condition } : {}),
  }));
}

/** The identity-based statements of a template: inline policies of roles and managed policies. */
export function templateStatements(template: Template): LocatedStatement[] {
  const roles = resourcesOfType(template, 'AWS::IAM::Role').flatMap(([owner]) =>
    roleStatements(template, owner).map((statement) => ({ ...statement, template: template.file, owner })),
  );
  const managed = resourcesOfType(template, 'AWS::IAM::ManagedPolicy').flatMap(([owner, resource]) =>
    documentStatements(resource.Properties?.PolicyDocument).map((statement) => ({
      ...statement,
      template: template.file,
      owner,
    })),
  );
  return [...roles, ...managed];
}

/** The trust policy statements of a role. */
export function trustStatements(
  template: Template,
  roleId: string,
): (PolicyStatement & { Principal: Json })[] {
  const document = template.Resources[roleId]?.Properties?.AssumeRolePolicyDocument;
  const statements = isObject(document) ? asList(document.Statement as Json[] | undefined) : [];
  return statements.filter(isObject).map((statement) => ({
    Effect: String(statement.Effect),
    Action: asList(statement.Action as string | string[]),
    Resource: [],
    Principal: statement.Principal ?? null,
    ...(isObject(statement.Condition) ? { Condition: statement.Condition } : {}),
  }));
}
