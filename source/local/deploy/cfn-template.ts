// SPDX-License-Identifier: Apache-2.0
/**
 * Reads a CloudFormation template (YAML with the short-form tags) and evaluates its intrinsic
 * functions the way CloudFormation would for one stack: parameters with defaults, pseudo parameters,
 * mappings, conditions, `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::If`, ... Resources are
 * "provisioned" lazily by a callback the caller supplies (creating a queue in the emulator, for
 * example), so a `Ref` returns what the local resource really is (a queue URL, a topic ARN).
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface CfnResource {
  Type: string;
  Properties?: JsonObject;
  Condition?: string;
  DependsOn?: string | string[];
  [other: string]: unknown;
}

export interface CfnTemplate {
  Parameters?: Record<string, { Type?: string; Default?: Json; AllowedValues?: Json[] }>;
  Mappings?: Record<string, Record<string, Record<string, Json>>>;
  Conditions?: Record<string, Json>;
  Resources: Record<string, CfnResource>;
  [other: string]: unknown;
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

const INTRINSICS: Record<string, string> = {
  Ref: 'Ref',
  Condition: 'Condition',
  Sub: 'Fn::Sub',
  GetAtt: 'Fn::GetAtt',
  If: 'Fn::If',
  Join: 'Fn::Join',
  Select: 'Fn::Select',
  Split: 'Fn::Split',
  Equals: 'Fn::Equals',
  Not: 'Fn::Not',
  And: 'Fn::And',
  Or: 'Fn::Or',
  FindInMap: 'Fn::FindInMap',
  Base64: 'Fn::Base64',
  GetAZs: 'Fn::GetAZs',
  ImportValue: 'Fn::ImportValue',
  Cidr: 'Fn::Cidr',
  Length: 'Fn::Length',
  ToJsonString: 'Fn::ToJsonString',
};

/** `!GetAtt A.B.C` means resource `A`, attribute `B.C`. */
function splitGetAtt(text: string): string[] {
  const dot = text.indexOf('.');
  return dot < 0 ? [text] : [text.slice(0, dot), text.slice(dot + 1)];
}

function cloudFormationTags(): YAML.Tags {
  const tags: YAML.Tags = [];
  for (const [short, long] of Object.entries(INTRINSICS)) {
    tags.push({
      tag: `!${short}`,
      resolve: (text: string) => ({ [long]: short === 'GetAtt' ? splitGetAtt(text) : text }),
    });
    tags.push({
      tag: `!${short}`,
      collection: 'seq',
      // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- the yaml library hands a `collection: 'seq'` tag its sequence node
      resolve: (node) => ({ [long]: (node as YAML.YAMLSeq).toJSON() as Json }),
    });
    tags.push({
      tag: `!${short}`,
      collection: 'map',
      resolve: (node) => ({ [long]: (node as YAML.YAMLMap).toJSON() as Json }),
    });
  }
  return tags;
}

export function parseTemplate(text: string, source = 'template'): CfnTemplate {
  let parsed: unknown;
  try {
    parsed = YAML.parse(text, { customTags: cloudFormationTags(), maxAliasCount: -1 });
  } catch (error) {
    throw new TemplateError(`${source}: not valid YAML: ${(error as Error).message}`);
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof (parsed as CfnTemplate).Resources !== 'object'
  ) {
    throw new TemplateError(`${source}: no Resources section`);
  }
  return parsed as CfnTemplate;
}

export function loadTemplate(path: string): CfnTemplate {
  return parseTemplate(readFileSync(path, 'utf8'), path);
}

/** What a provisioned resource answers to `Ref` and `Fn::GetAtt`. */
export interface ResourceValue {
  ref: string;
  attributes: Record<string, Json>;
}

export interface PseudoParameters {
  region: string;
  accountId: string;
  partition: string;
  stackName: string;
  stackId?: string;
  urlSuffix?: string;
}

export type Provisioner = (
  logicalId: string,
  resource: CfnResource,
  stack: TemplateStack,
) => Promise<ResourceValue | undefined>;

export interface StackOptions {
  parameters?: Record<string, string>;
  pseudo: PseudoParameters;
  /** Creates the local counterpart of a resource; `undefined` falls back to a plausible identifier. */
  provision?: Provisioner;
  /** Random suffix for generated physical names (deterministic in tests). */
  randomSuffix?: (logicalId: string) => string;
}

/** Removes a property, like `Ref: AWS::NoValue`. */
const NO_VALUE: unique symbol = Symbol('AWS::NoValue');
type Resolved = Json | typeof NO_VALUE;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function singleKey(value: JsonObject): string | undefined {
  const keys = Object.keys(value);
  return keys.length === 1 ? keys[0] : undefined;
}

function asString(value: Resolved, what: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TemplateError(`${what}: expected a string, found ${JSON.stringify(value)}`);
}

function asList(value: Resolved, what: string): Json[] {
  if (Array.isArray(value)) return value;
  throw new TemplateError(`${what}: expected a list, found ${JSON.stringify(value)}`);
}

function randomName(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet.charAt(Math.floor(Math.random() * alphabet.length));
  return out;
}

/**
 * The physical identifiers CloudFormation would assign when a template leaves names out, and the
 * attributes each resource type exposes. Types the harness does not provision get these.
 */
export function defaultResourceValue(
  logicalId: string,
  resource: CfnResource,
  props: JsonObject,
  stack: TemplateStack,
): ResourceValue {
  const { region, accountId, partition } = stack.pseudo;
  const generated = stack.generatedName(logicalId);
  const named = (key: string): string =>
    typeof props[key] === 'string' ? (props[key] as string) : generated;
  switch (resource.Type) {
    case 'AWS::Lambda::Function': {
      const name = named('FunctionName');
      const arn = `arn:${partition}:lambda:${region}:${accountId}:function:${name}`;
      return { ref: name, attributes: { Arn: arn } };
    }
    case 'AWS::IAM::Role': {
      const name = named('RoleName');
      const path = typeof props.Path === 'string' ? props.Path : '/';
      return {
        ref: name,
        attributes: { Arn: `arn:${partition}:iam::${accountId}:role${path}${name}`, RoleId: `AROA${name}` },
      };
    }
    case 'AWS::StepFunctions::StateMachine': {
      const name =
        typeof props.StateMachineName === 'string'
          ? props.StateMachineName
          : `${logicalId}-${stack.suffix(logicalId)}`;
      const arn = `arn:${partition}:states:${region}:${accountId}:stateMachine:${name}`;
      return { ref: arn, attributes: { Arn: arn, Name: name } };
    }
    case 'AWS::SQS::Queue': {
      const name = named('QueueName');
      const url = `https://sqs.${region}.amazonaws.com/${accountId}/${name}`;
      return {
        ref: url,
        attributes: {
          Arn: `arn:${partition}:sqs:${region}:${accountId}:${name}`,
          QueueName: name,
          QueueUrl: url,
        },
      };
    }
    case 'AWS::SNS::Topic': {
      const name = named('TopicName');
      const arn = `arn:${partition}:sns:${region}:${accountId}:${name}`;
      return { ref: arn, attributes: { TopicArn: arn, TopicName: name } };
    }
    case 'AWS::S3::Bucket': {
      const name = named('BucketName').toLowerCase();
      return {
        ref: name,
        attributes: {
          Arn: `arn:${partition}:s3:::${name}`,
          DomainName: `${name}.s3.amazonaws.com`,
          RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
        },
      };
    }
    case 'AWS::DynamoDB::Table': {
      const name = named('TableName');
      const arn = `arn:${partition}:dynamodb:${region}:${accountId}:table/${name}`;
      return { ref: name, attributes: { Arn: arn, StreamArn: `${arn}/stream/1970-01-01T00:00:00.000` } };
    }
    case 'AWS::Events::Rule': {
      const name = named('Name');
      return {
        ref: name,
        attributes: { Arn: `arn:${partition}:events:${region}:${accountId}:rule/${name}` },
      };
    }
    case 'AWS::Logs::LogGroup': {
      const name = named('LogGroupName');
      return {
        ref: name,
        attributes: { Arn: `arn:${partition}:logs:${region}:${accountId}:log-group:${name}:*` },
      };
    }
    default:
      return { ref: generated, attributes: {} };
  }
}

const NAME_PROPERTIES = [
  'FunctionName',
  'RoleName',
  'StateMachineName',
  'QueueName',
  'TopicName',
  'BucketName',
  'TableName',
  'Name',
  'LogGroupName',
];

/** One stack built from a template: resolves intrinsics and provisions resources on demand. */
export class TemplateStack {
  readonly pseudo: PseudoParameters;
  private readonly parameters: Record<string, Json> = {};
  private readonly resources = new Map<string, Promise<ResourceValue>>();
  private readonly conditions = new Map<string, Promise<boolean>>();
  private readonly suffixes = new Map<string, string>();

  constructor(
    readonly template: CfnTemplate,
    private readonly options: StackOptions,
  ) {
    this.pseudo = options.pseudo;
    for (const [name, spec] of Object.entries(template.Parameters ?? {})) {
      const given = options.parameters?.[name];
      const value = given ?? (spec.Default === undefined ? undefined : String(spec.Default));
      if (value === undefined) throw new TemplateError(`Parameter ${name} has no value and no Default`);
      this.parameters[name] = /List/.test(spec.Type ?? '') ? value.split(',').map((v) => v.trim()) : value;
    }
    for (const name of Object.keys(options.parameters ?? {})) {
      if (!(name in this.parameters)) throw new TemplateError(`Unknown parameter ${name}`);
    }
  }

  suffix(logicalId: string): string {
    let value = this.suffixes.get(logicalId);
    if (value === undefined) {
      value = this.options.randomSuffix?.(logicalId) ?? randomName(12);
      this.suffixes.set(logicalId, value);
    }
    return value;
  }

  /**
   * The name CloudFormation gives a resource that has none: `<stack>-<LogicalId>-<RANDOM>`, with the
   * stack and logical-id parts shortened so that the whole fits `max` characters.
   */
  generatedName(logicalId: string, max = 64): string {
    const suffix = this.suffix(logicalId);
    const room = Math.max(2, max - suffix.length - 2);
    const stackPart = this.pseudo.stackName.slice(
      0,
      Math.min(this.pseudo.stackName.length, Math.floor(room / 2)),
    );
    const idPart = logicalId.slice(0, room - stackPart.length);
    return `${stackPart}-${idPart}-${suffix}`;
  }

  /** Logical ids of the resources that exist (their Condition, if any, holds). */
  async resourceIds(type?: string): Promise<string[]> {
    const ids: string[] = [];
    for (const [id, resource] of Object.entries(this.template.Resources)) {
      if (type !== undefined && resource.Type !== type) continue;
      if (resource.Condition === undefined || (await this.condition(resource.Condition))) ids.push(id);
    }
    return ids;
  }

  definition(logicalId: string): CfnResource {
    const resource = this.template.Resources[logicalId];
    if (resource === undefined) throw new TemplateError(`Unknown resource ${logicalId}`);
    return resource;
  }

  /** The resource's Properties with every intrinsic evaluated. */
  async properties(logicalId: string): Promise<JsonObject> {
    const resolved = await this.resolve(this.definition(logicalId).Properties ?? {});
    if (!isJsonObject(resolved)) throw new TemplateError(`${logicalId}: Properties is not an object`);
    return resolved;
  }

  async resource(logicalId: string): Promise<ResourceValue> {
    let value = this.resources.get(logicalId);
    if (value === undefined) {
      value = this.provision(logicalId);
      this.resources.set(logicalId, value);
    }
    return value;
  }

  private async provision(logicalId: string): Promise<ResourceValue> {
    const resource = this.definition(logicalId);
    if (resource.Condition !== undefined && !(await this.condition(resource.Condition))) {
      throw new TemplateError(`${logicalId} is referenced but its condition ${resource.Condition} is false`);
    }
    const provided = await this.options.provision?.(logicalId, resource, this);
    if (provided !== undefined) return provided;
    // Only the properties that name the resource: the others may reference the resource itself.
    const names: JsonObject = {};
    for (const key of NAME_PROPERTIES) {
      const value = resource.Properties?.[key];
      if (value !== undefined) names[key] = await this.resolve(value);
    }
    if (typeof resource.Properties?.Path === 'string') names.Path = resource.Properties.Path;
    return defaultResourceValue(logicalId, resource, names, this);
  }

  async condition(name: string): Promise<boolean> {
    let value = this.conditions.get(name);
    if (value === undefined) {
      const expression = this.template.Conditions?.[name];
      if (expression === undefined) throw new TemplateError(`Unknown condition ${name}`);
      value = this.resolve(expression).then((result) => {
        if (typeof result !== 'boolean') throw new TemplateError(`Condition ${name} is not a boolean`);
        return result;
      });
      this.conditions.set(name, value);
    }
    return value;
  }

  async resolve(value: Json): Promise<Json> {
    const resolved = await this.evaluate(value);
    return resolved === NO_VALUE ? null : resolved;
  }

  private async evaluate(value: Json): Promise<Resolved> {
    if (Array.isArray(value)) {
      const items = await Promise.all(value.map((item) => this.evaluate(item)));
      return items.filter((item): item is Json => item !== NO_VALUE);
    }
    if (!isJsonObject(value)) return value;
    const key = singleKey(value);
    if (key !== undefined && (key === 'Ref' || key.startsWith('Fn::') || key === 'Condition')) {
      return this.intrinsic(key, value[key] as Json);
    }
    const out: JsonObject = {};
    for (const [name, entry] of Object.entries(value)) {
      const resolved = await this.evaluate(entry);
      if (resolved !== NO_VALUE) out[name] = resolved;
    }
    return out;
  }

  private async ref(name: string): Promise<Resolved> {
    switch (name) {
      case 'AWS::Region':
        return this.pseudo.region;
      case 'AWS::AccountId':
        return this.pseudo.accountId;
      case 'AWS::Partition':
        return this.pseudo.partition;
      case 'AWS::StackName':
        return this.pseudo.stackName;
      case 'AWS::StackId':
        return (
          this.pseudo.stackId ??
          `arn:${this.pseudo.partition}:cloudformation:${this.pseudo.region}:${this.pseudo.accountId}:stack/${this.pseudo.stackName}/local`
        );
      case 'AWS::URLSuffix':
        return this.pseudo.urlSuffix ?? 'amazonaws.com';
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::NotificationARNs':
        return [];
    }
    if (name in this.parameters) return this.parameters[name] as Json;
    if (name in this.template.Resources) return (await this.resource(name)).ref;
    throw new TemplateError(`Ref to unknown name ${name}`);
  }

  async getAtt(logicalId: string, attribute: string): Promise<Json> {
    const value = (await this.resource(logicalId)).attributes[attribute];
    if (value === undefined) throw new TemplateError(`${logicalId} has no attribute ${attribute} here`);
    return value;
  }

  private async substitute(text: string, variables: JsonObject): Promise<string> {
    const parts: (string | Promise<string>)[] = [];
    let last = 0;
    for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
      const index = match.index ?? 0;
      parts.push(text.slice(last, index));
      last = index + match[0].length;
      const name = (match[1] ?? '').trim();
      if (name.startsWith('!')) {
        parts.push(`\${${name.slice(1)}}`);
        continue;
      }
      parts.push(
        (async () => {
          if (name in variables) return asString(await this.evaluate(variables[name] as Json), `\${${name}}`);
          const dot = name.indexOf('.');
          if (dot > 0 && !name.startsWith('AWS::') && name.slice(0, dot) in this.template.Resources) {
            return asString(await this.getAtt(name.slice(0, dot), name.slice(dot + 1)), `\${${name}}`);
          }
          return asString(await this.ref(name), `\${${name}}`);
        })(),
      );
    }
    parts.push(text.slice(last));
    return (await Promise.all(parts.map((part) => Promise.resolve(part)))).join('');
  }

  private async intrinsic(fn: string, arg: Json): Promise<Resolved> {
    switch (fn) {
      case 'Ref':
        return this.ref(asString(arg, 'Ref'));
      case 'Condition':
        return this.condition(asString(arg, 'Condition'));
      case 'Fn::GetAtt': {
        const list = typeof arg === 'string' ? splitGetAtt(arg) : asList(await this.evaluate(arg), fn);
        const [id, attribute] = list.map((entry) => asString(entry, fn));
        if (id === undefined || attribute === undefined)
          throw new TemplateError(`Bad Fn::GetAtt ${JSON.stringify(arg)}`);
        return this.getAtt(id, attribute);
      }
      case 'Fn::Sub': {
        if (typeof arg === 'string') return this.substitute(arg, {});
        const [text, variables] = asList(arg, fn);
        const vars = variables === undefined ? {} : variables;
        if (!isJsonObject(vars)) throw new TemplateError('Fn::Sub variables must be a map');
        return this.substitute(asString(await this.evaluate(text as Json), fn), vars);
      }
      case 'Fn::Join': {
        const [separator, list] = asList(arg, fn);
        const items = asList(await this.evaluate(list as Json), fn);
        return items.map((item) => asString(item, fn)).join(asString(separator as Json, fn));
      }
      case 'Fn::Select': {
        const [index, list] = asList(arg, fn);
        const items = asList(await this.evaluate(list as Json), fn);
        const position = Number(asString(await this.evaluate(index as Json), fn));
        const item = items[position];
        if (item === undefined) throw new TemplateError(`Fn::Select index ${position} out of range`);
        return item;
      }
      case 'Fn::Split': {
        const [separator, text] = asList(arg, fn);
        return asString(await this.evaluate(text as Json), fn).split(asString(separator as Json, fn));
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = asList(arg, fn);
        const chosen = (await this.condition(asString(condition as Json, fn))) ? whenTrue : whenFalse;
        return this.evaluate(chosen as Json);
      }
      case 'Fn::Equals': {
        const [left, right] = await Promise.all(asList(arg, fn).map((item) => this.evaluate(item)));
        return JSON.stringify(left) === JSON.stringify(right);
      }
      case 'Fn::Not': {
        const [inner] = asList(arg, fn);
        return !(await this.truth(inner as Json));
      }
      case 'Fn::And':
      case 'Fn::Or': {
        const values = await Promise.all(asList(arg, fn).map((item) => this.truth(item)));
        return fn === 'Fn::And' ? values.every(Boolean) : values.some(Boolean);
      }
      case 'Fn::FindInMap': {
        const [map, top, second] = await Promise.all(
          asList(arg, fn).map(async (item) => asString(await this.evaluate(item), fn)),
        );
        const value = this.template.Mappings?.[map ?? '']?.[top ?? '']?.[second ?? ''];
        if (value === undefined) throw new TemplateError(`Fn::FindInMap: no ${map}/${top}/${second}`);
        return value;
      }
      case 'Fn::Base64':
        return Buffer.from(asString(await this.evaluate(arg), fn)).toString('base64');
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((zone) => `${this.pseudo.region}${zone}`);
      case 'Fn::Length':
        return asList(await this.evaluate(arg), fn).length;
      case 'Fn::ToJsonString':
        return JSON.stringify(await this.resolve(arg));
      default:
        throw new TemplateError(`${fn} is not supported locally`);
    }
  }

  private async truth(value: Json): Promise<boolean> {
    const resolved = await this.evaluate(value);
    if (typeof resolved !== 'boolean')
      throw new TemplateError(`Expected a condition, found ${JSON.stringify(value)}`);
    return resolved;
  }
}
