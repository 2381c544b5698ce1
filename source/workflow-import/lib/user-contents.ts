// SPDX-License-Identifier: Apache-2.0
/**
 * What a restored user must hold: the attributes and enabled flag of its backup item. The
 * reconciliation compares one keyed hash of each side's canonical attribute set (the listing keeps no
 * value in clear) and, for the users whose hashes differ, reads the user (AdminGetUser) and plans the
 * calls that set it right.
 *
 * Canonical set: every attribute but those Cognito sets itself, each name once (first value wins),
 * an empty value taken as absent (Cognito stores none: a blank value deletes the attribute), and a
 * verification flag (`email_verified`, `phone_number_verified`) of `false` taken as absent (the user
 * import writes `false` for a missing flag, and Cognito shows an unverified attribute either way).
 *
 * Setting `email` or `phone_number` with AdminUpdateUserAttributes sends a verification message to the
 * new value unless the same call sets its `_verified` flag to `true` (Cognito's API reference,
 * AdminUpdateUserAttributes `UserAttributes`). So a changed address is always sent together with its
 * flag `true`; when the backup has it unverified, a second call sets the flag back to `false`, which
 * changes no address and sends nothing.
 */
import { createHmac } from 'node:crypto';
import type { AttributeType, SchemaAttributeType } from '@aws-sdk/client-cognito-identity-provider';
import type { NameValue } from './types';

/**
 * Attributes Cognito sets itself and refuses to take from a request: `sub` (assigned at creation,
 * immutable), `identities` (written by Cognito for users linked to an external identity provider).
 * `cognito:user_status` and `cognito:mfa_enabled` are not attributes a request can write either
 * (a status and a CSV column); a backup never needs them equal.
 */
export const COGNITO_SET_ATTRIBUTES: ReadonlySet<string> = new Set([
  'sub',
  'identities',
  'cognito:user_status',
  'cognito:mfa_enabled',
]);

const VERIFIED_OF: Readonly<Record<string, string>> = {
  email: 'email_verified',
  phone_number: 'phone_number_verified',
};
const VERIFIED_FLAGS = new Set(Object.values(VERIFIED_OF));

export type Attributes = ReadonlyMap<string, string>;

/** The canonical attribute set of a `{ Name, Value }` list, without the names in `ignore`. */
export function canonicalAttributes(
  list: readonly (NameValue | AttributeType | null | undefined)[] | undefined,
  ignore: ReadonlySet<string>,
): Map<string, string> {
  const map = new Map<string, string>();
  const seen = new Set<string>();
  for (const attribute of list ?? []) {
    const name = attribute?.Name;
    const value = attribute?.Value;
    if (typeof name !== 'string' || seen.has(name)) continue;
    seen.add(name);
    if (COGNITO_SET_ATTRIBUTES.has(name) || ignore.has(name)) continue;
    if (typeof value !== 'string' || value === '') continue;
    if (VERIFIED_FLAGS.has(name) && value.trim().toLowerCase() === 'false') continue;
    map.set(name, value);
  }
  return map;
}

/** The keyed hash of a canonical set (HMAC-SHA256 of the sorted `name=value` pairs, `a:` prefix). */
export function attributesKeyOf(secret: Buffer, attributes: Attributes): string {
  const hmac = createHmac('sha256', secret).update('a');
  for (const name of [...attributes.keys()].sort()) {
    hmac.update(`\u0000${name}\u0000${attributes.get(name) ?? ''}`);
  }
  return `a:${hmac.digest('base64url').slice(0, 22)}`;
}

/**
 * One keyed hash per attribute of a canonical set, `name hash` pairs joined by tabs: what the repair's
 * listing keeps of each user, so that a plan names the attributes that differ without reading the user
 * again (one AdminGetUser call a user, at the same `CognitoTPS` as the listing). A Cognito attribute
 * name has neither a space nor a tab (letters, marks, symbols, digits and punctuation only), nor has
 * the base64url hash. 60 bits of HMAC-SHA256 a value: a changed value keeps its hash once in 2^60.
 */
export function attributeHashesOf(secret: Buffer, attributes: Attributes): string {
  return [...attributes]
    .map(([name, value]) => `${name} ${attributeHash(secret, name, value)}`)
    .sort()
    .join('\t');
}

function attributeHash(secret: Buffer, name: string, value: string): string {
  return createHmac('sha256', secret).update(`p\u0000${name}\u0000${value}`).digest('base64url').slice(0, 10);
}

/** `attributeHashesOf`'s pairs as a canonical set whose values are the hashes. */
export function parseAttributeHashes(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of text === '' ? [] : text.split('\t')) {
    const space = pair.lastIndexOf(' ');
    map.set(pair.slice(0, space), pair.slice(space + 1));
  }
  return map;
}

/** A canonical set with each value replaced by its keyed hash, to compare with `parseAttributeHashes`. */
export function hashedAttributes(secret: Buffer, attributes: Attributes): Map<string, string> {
  return new Map([...attributes].map(([name, value]) => [name, attributeHash(secret, name, value)]));
}

/** What the target pool's schema allows (DescribeUserPool `SchemaAttributes`). */
export interface TargetSchema {
  known: ReadonlySet<string>;
  immutable: ReadonlySet<string>;
  required: ReadonlySet<string>;
}

export function targetSchema(attributes: readonly SchemaAttributeType[] | undefined): TargetSchema {
  const known = new Set<string>();
  const immutable = new Set<string>();
  const required = new Set<string>();
  for (const attribute of attributes ?? []) {
    const name = attribute.Name;
    if (name === undefined) continue;
    known.add(name);
    if (attribute.Mutable === false) immutable.add(name);
    if (attribute.Required === true) required.add(name);
  }
  return { known, immutable, required };
}

/** Why a difference cannot be set right (report codes; names only, never values). */
export const DIFFERENCE_REASONS = {
  notInTargetPool: 'attribute-not-in-target-pool',
  immutable: 'attribute-immutable-in-target-pool',
  required: 'attribute-required-in-target-pool',
} as const;

export interface ContentsPlan {
  /** AdminUpdateUserAttributes calls, in order (a second one only to set a verification flag back to false). */
  updates: AttributeType[][];
  /** AdminDeleteUserAttributes names (attributes the backup does not have). */
  deletes: string[];
  /** Differences no call can set right: reason code → attribute names. */
  unfixable: Map<string, string[]>;
}

const add = (map: Map<string, string[]>, key: string, name: string): void => {
  map.set(key, [...(map.get(key) ?? []), name]);
};

/** The calls that give a user of the new pool (`current`) the backup's attributes (`backup`). */
export function planContents(backup: Attributes, current: Attributes, schema: TargetSchema): ContentsPlan {
  const unfixable = new Map<string, string[]>();
  const set = new Map<string, string>();
  const deletes: string[] = [];
  for (const [name, value] of backup) {
    if (current.get(name) === value) continue;
    if (!schema.known.has(name)) add(unfixable, DIFFERENCE_REASONS.notInTargetPool, name);
    else if (schema.immutable.has(name)) add(unfixable, DIFFERENCE_REASONS.immutable, name);
    else set.set(name, value);
  }
  for (const name of current.keys()) {
    if (backup.has(name)) continue;
    if (VERIFIED_FLAGS.has(name)) set.set(name, 'false');
    else if (schema.immutable.has(name)) add(unfixable, DIFFERENCE_REASONS.immutable, name);
    else if (schema.required.has(name)) add(unfixable, DIFFERENCE_REASONS.required, name);
    else deletes.push(name);
  }
  const after: AttributeType[] = [];
  for (const [attribute, flag] of Object.entries(VERIFIED_OF)) {
    if (!set.has(attribute)) continue;
    const verified = (backup.get(flag) ?? 'false').trim().toLowerCase() === 'true';
    set.set(flag, 'true');
    if (!verified) after.push({ Name: flag, Value: 'false' });
  }
  const first = [...set].map(([Name, Value]) => ({ Name, Value }));
  const updates = [first, after].filter((call) => call.length > 0);
  return { updates, deletes, unfixable };
}

/** A report reason for the differences left: `code:name name; code:name`. */
export function differenceReason(unfixable: ReadonlyMap<string, readonly string[]>): string {
  return [...unfixable]
    .map(([code, names]) => `${code}:${[...names].sort().join(' ')}`)
    .sort()
    .join('; ');
}
