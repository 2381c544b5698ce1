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

const cache = new Map<string, Template>();

export function loadTemplate(file: string): Template {
  let template = cache.get(file);
  if (!template) {
    const text = readFileSync(join(DEPLOYMENT_DIR, file), 'utf8');
    template = { file, ...(parse(text, { customTags: cfnTags() }) as Omit<Template, 'file'>) };
    cache.set(file, template);
  }
  return template;
}

export function loadTemplates(): Template[] {
  return TEMPLATE_FILES.map(loadTemplate);
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
