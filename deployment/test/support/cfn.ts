// SPDX-License-Identifier: Apache-2.0
/**
 * Loads the CloudFormation templates as plain JSON-shaped objects: the short-form intrinsic tags
 * (`!Ref`, `!Sub`, `!GetAtt`, ...) become their long forms (`Ref`, `Fn::Sub`, `Fn::GetAtt`, ...).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type CollectionTag, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';

export const DEPLOYMENT_DIR = join(__dirname, '..', '..');
export const ROOT_DIR = join(DEPLOYMENT_DIR, '..');
export const MAIN_TEMPLATE = 'cognito-user-profiles-export-reference-architecture.yaml';
export const STACKSET_TEMPLATE = 'stack-set-template.yaml';
export const TEMPLATE_FILES = [MAIN_TEMPLATE, STACKSET_TEMPLATE] as const;

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

const FUNCTIONS = [
  'And',
  'Base64',
  'Cidr',
  'Equals',
  'FindInMap',
  'GetAZs',
  'If',
  'ImportValue',
  'Join',
  'Not',
  'Or',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'GetAtt',
];

function longName(short: string): string {
  return short === 'Ref' || short === 'Condition' ? short : `Fn::${short}`;
}

function scalarValue(short: string, value: string): Json {
  if (short === 'GetAtt') {
    const dot = value.indexOf('.');
    return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [longName(short)]: value };
}

function cfnTags(): (ScalarTag | CollectionTag)[] {
  const tags: (ScalarTag | CollectionTag)[] = [];
  for (const short of [...FUNCTIONS, 'Ref', 'Condition']) {
    const tag = `!${short}`;
    tags.push({ tag, resolve: (value: string) => scalarValue(short, value) } as ScalarTag);
    tags.push({
      tag,
      collection: 'seq',
      resolve: (seq: YAMLSeq) => ({ [longName(short)]: seq.toJSON() as Json }),
    } as unknown as CollectionTag);
    tags.push({
      tag,
      collection: 'map',
      resolve: (map: YAMLMap) => ({ [longName(short)]: map.toJSON() as Json }),
    } as unknown as CollectionTag);
  }
  return tags;
}

export interface Resource {
  Type: string;
  Condition?: string;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: JsonObject;
  Properties?: JsonObject;
}

export interface Template {
  file: string;
  Description: string;
  Metadata?: JsonObject;
  Parameters: Record<string, JsonObject>;
  Mappings: Record<string, Record<string, Record<string, string>>>;
  Conditions?: Record<string, Json>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, JsonObject>;
}

/**
 * The condition that the KmsKeyArn and SecondaryRegionKmsKeyArn parameters turn on, in both templates, and
 * its negation (the StackSet's own notification-topic key).
 */
export const CUSTOMER_KEY_CONDITION = 'UseCustomerManagedKey';
export const SOLUTION_TOPIC_KEY_CONDITION = 'UseSolutionTopicKey';
/** True unless SnapshotRetentionDays is 0 (its default is 90): the snapshot bucket and its permissions. */
export const SNAPSHOTS_CONDITION = 'TakeSnapshots';

/** Which rendering of a template: the parameters' defaults (no KMS key given) or a customer managed key. */
export type KeyChoice = 'default' | 'customer-key';

const rawCache = new Map<string, Template>();
const cache = new Map<string, Template>();

/** The template as written, every `Fn::If` still in it. */
export function loadRawTemplate(file: string): Template {
  let template = rawCache.get(file);
  if (!template) {
    const text = readFileSync(join(DEPLOYMENT_DIR, file), 'utf8');
    template = { file, ...(parse(text, { customTags: cfnTags() }) as Omit<Template, 'file'>) };
    rawCache.set(file, template);
  }
  return template;
}

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * `value` with each `Fn::If` on one of `conditions` replaced by its chosen branch and each
 * `Ref: AWS::NoValue` removed, as CloudFormation renders it; other `Fn::If`s are kept.
 */
export function renderConditions(value: Json, conditions: Record<string, boolean>): Json {
  const render = (item: Json): Json | typeof NO_VALUE => {
    if (Array.isArray(item)) {
      return item.map(render).filter((entry): entry is Json => entry !== NO_VALUE);
    }
    if (!isObject(item)) return item;
    if (item.Ref === 'AWS::NoValue') return NO_VALUE;
    const branches = item['Fn::If'];
    if (Array.isArray(branches) && typeof branches[0] === 'string' && branches[0] in conditions) {
      const chosen = conditions[branches[0]] ? branches[1] : branches[2];
      return chosen === undefined ? NO_VALUE : render(chosen);
    }
    const rendered: JsonObject = {};
    for (const [key, entry] of Object.entries(item)) {
      const result = render(entry);
      if (result !== NO_VALUE) rendered[key] = result;
    }
    return rendered;
  };
  const result = render(value);
  return result === NO_VALUE ? null : result;
}

/**
 * The template as CloudFormation renders it for `choice` (default: no KMS key given): the key conditions
 * and TakeSnapshots (SnapshotRetentionDays at its default) resolved, and resources whose condition is false
 * left out.
 */
export function loadTemplate(file: string, choice: KeyChoice = 'default'): Template {
  const cacheKey = `${choice}:${file}`;
  let template = cache.get(cacheKey);
  if (!template) {
    const conditions: Record<string, boolean> = {
      [CUSTOMER_KEY_CONDITION]: choice === 'customer-key',
      [SOLUTION_TOPIC_KEY_CONDITION]: choice !== 'customer-key',
      [SNAPSHOTS_CONDITION]: true,
    };
    const raw = loadRawTemplate(file);
    const resources: Record<string, Resource> = {};
    for (const [id, resource] of Object.entries(raw.Resources)) {
      if (resource.Condition !== undefined && conditions[resource.Condition] === false) continue;
      resources[id] = renderConditions(resource as unknown as Json, conditions) as unknown as Resource;
    }
    template = { ...raw, Resources: resources };
    cache.set(cacheKey, template);
  }
  return template;
}

export function loadTemplates(choice: KeyChoice = 'default'): Template[] {
  return TEMPLATE_FILES.map((file) => loadTemplate(file, choice));
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** The logical id a `Ref` or `Fn::GetAtt` points at, if `value` is one of those. */
export function referencedResource(value: Json | undefined): string | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** The text of a `Fn::Sub` (either form), or the string itself. */
export function subText(value: Json | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (!isObject(value)) return undefined;
  const sub = value['Fn::Sub'];
  if (typeof sub === 'string') return sub;
  if (Array.isArray(sub) && typeof sub[0] === 'string') return sub[0];
  return undefined;
}
