// SPDX-License-Identifier: Apache-2.0
/**
 * The seed of the primary user pool: the documented JSON file format (validated, with the bad entry
 * named in every message) and a generator of realistic pools (custom attributes, disabled users,
 * users in several groups, a group larger than one page, values with commas and non-ASCII text).
 */
import { readFileSync } from 'node:fs';
import { NAME_PATTERN } from '../cognito/input';
import type { PoolConfigurationDetails } from '../cognito/types';
import { exclusionReason } from './parity';
import {
  CUSTOM_ATTRIBUTE_NAME_PATTERN,
  MAX_ATTRIBUTE_VALUE_LENGTH,
  isEmail,
  isPhoneNumber,
  isWritableStandardAttribute,
} from '../cognito/schema';

export type UsernameAttribute = 'email' | 'phone_number';
export type MfaConfiguration = 'OFF' | 'ON' | 'OPTIONAL';
export type AliasAttribute = 'email' | 'phone_number' | 'preferred_username';
export type CustomAttributeType = 'String' | 'Number' | 'DateTime' | 'Boolean';
const CUSTOM_ATTRIBUTE_TYPES: readonly string[] = ['String', 'Number', 'DateTime', 'Boolean'];
/** The parts of `userPool.configuration`, and the fields each of its list entries must have. */
const CONFIGURATION_LISTS: Record<string, string> = {
  clients: 'ClientName',
  resourceServers: 'Identifier',
  identityProviders: 'ProviderName',
};

export interface SeedUser {
  /** The Username; in a pool with a username attribute, the user's email or phone number. */
  username: string;
  enabled: boolean;
  /** Cognito user status; `EXTERNAL_PROVIDER` marks a federated user. Default `CONFIRMED`. */
  status?: string;
  /** SMS MFA enabled for the user (ListUsers reports it in `MFAOptions`). Default false. */
  smsMfa?: boolean;
  attributes: Record<string, string>;
}

export interface SeedGroup {
  name: string;
  description?: string;
  precedence?: number;
  /** The group's IAM role ARN. */
  roleArn?: string;
  members: string[];
}

export interface SeedFile {
  userPool: {
    usernameAttributes: UsernameAttribute[];
    customAttributes: string[];
    mfaConfiguration: MfaConfiguration;
    /** Attributes Cognito verifies (the CSV import needs one verified per user). Default both. */
    autoVerifiedAttributes?: UsernameAttribute[];
    /** Sign-in aliases of a pool without username attributes. */
    aliasAttributes?: AliasAttribute[];
    /**
     * The custom attributes given as objects (`{"name": "seats", "type": "Number", "mutable": false}`);
     * names given as strings are String attributes.
     */
    customAttributeTypes?: { name: string; dataType: CustomAttributeType; mutable?: boolean }[];
    /**
     * The rest of the pool's configuration, in the Cognito API's shapes: `settings` (CreateUserPool
     * members: Policies, messages, AdminCreateUserConfig, ...), `mfa` (SetUserPoolMfaConfig members),
     * `clients` (CreateUserPoolClient inputs), `resourceServers`, `identityProviders`, `domain`.
     */
    configuration?: PoolConfigurationDetails;
  };
  /**
   * The pool the local run creates as the restore target, in the shape of `userPool` (default: the
   * same as `userPool`): a target that lacks a custom attribute or signs in otherwise meets the
   * ImportWorkflow's target check.
   */
  targetUserPool?: SeedFile['userPool'];
  users: SeedUser[];
  groups: SeedGroup[];
}

export class SeedError extends Error {
  override readonly name = 'SeedError';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    const shown = problems.slice(0, 20);
    const more = problems.length > shown.length ? `\n  ... and ${problems.length - shown.length} more` : '';
    super(`${source} is not a valid seed:\n  ${shown.join('\n  ')}${more}`);
  }
}

const USER_STATUSES = new Set([
  'UNCONFIRMED',
  'CONFIRMED',
  'ARCHIVED',
  'COMPROMISED',
  'UNKNOWN',
  'RESET_REQUIRED',
  'FORCE_CHANGE_PASSWORD',
  'EXTERNAL_PROVIDER',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKeys(
  value: Record<string, unknown>,
  allowed: string[],
  where: string,
  problems: string[],
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      problems.push(`${where}: unknown field "${key}" (allowed: ${allowed.join(', ')})`);
  }
}

/**
 * Runs `check` on each entry of the list `seed[key]` (absent: empty) with its label (`users[3]`), after
 * reporting a value that is not a list, entries that are not objects and unknown fields.
 */
function forEachEntry(
  seed: Record<string, unknown>,
  key: string,
  allowed: string[],
  problems: string[],
  check: (entry: Record<string, unknown>, index: number, label: string) => void,
): void {
  const list = seed[key] ?? [];
  if (!Array.isArray(list)) {
    problems.push(`${key}: must be a list`);
    return;
  }
  list.forEach((entry, index) => {
    const label = `${key}[${index}]`;
    if (!isRecord(entry)) {
      problems.push(`${label}: must be an object`);
      return;
    }
    unknownKeys(entry, allowed, label, problems);
    check(entry, index, label);
  });
}

/** Checks `userPool.configuration`: an object of the API's shapes, its lists of objects naming themselves. */
function validateConfiguration(
  value: unknown,
  where: string,
  problems: string[],
): PoolConfigurationDetails | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) {
    problems.push(`${where}: must be an object`);
    return undefined;
  }
  unknownKeys(
    value,
    ['settings', 'mfa', 'clients', 'resourceServers', 'identityProviders', 'domain'],
    where,
    problems,
  );
  for (const key of ['settings', 'mfa']) {
    if (value[key] !== undefined && !isRecord(value[key]))
      problems.push(`${where}.${key}: must be an object`);
  }
  for (const [key, naming] of Object.entries(CONFIGURATION_LISTS)) {
    const list = value[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      problems.push(`${where}.${key}: must be a list`);
      continue;
    }
    list.forEach((entry: unknown, index) => {
      if (!isRecord(entry) || typeof entry[naming] !== 'string')
        problems.push(`${where}.${key}[${index}]: must be an object with "${naming}"`);
    });
  }
  if (value.domain !== undefined && typeof value.domain !== 'string')
    problems.push(`${where}.domain: must be a domain prefix`);
  return value as PoolConfigurationDetails;
}

/** Checks one pool description (`userPool`, `targetUserPool`); problems are named under `where`. */
function validatePool(pool: unknown, where: string, problems: string[]): SeedFile['userPool'] {
  const config: SeedFile['userPool'] = {
    usernameAttributes: [],
    customAttributes: [],
    mfaConfiguration: 'OFF',
  };
  if (!isRecord(pool)) {
    problems.push(`${where}: must be an object`);
  } else {
    unknownKeys(
      pool,
      [
        'usernameAttributes',
        'customAttributes',
        'mfaConfiguration',
        'autoVerifiedAttributes',
        'aliasAttributes',
        'configuration',
      ],
      where,
      problems,
    );
    const configuration = validateConfiguration(pool.configuration, `${where}.configuration`, problems);
    if (configuration !== undefined) config.configuration = configuration;
    const attrs = pool.usernameAttributes ?? [];
    if (
      !Array.isArray(attrs) ||
      attrs.some((a) => a !== 'email' && a !== 'phone_number') ||
      new Set(attrs).size !== attrs.length
    ) {
      problems.push(
        `${where}.usernameAttributes: must be [], ["email"], ["phone_number"] or ["email", "phone_number"]`,
      );
    } else {
      config.usernameAttributes = attrs as UsernameAttribute[];
    }
    const autoVerified = pool.autoVerifiedAttributes;
    if (autoVerified !== undefined) {
      if (!Array.isArray(autoVerified) || autoVerified.some((a) => a !== 'email' && a !== 'phone_number')) {
        problems.push(`${where}.autoVerifiedAttributes: must be a list of "email" and "phone_number"`);
      } else {
        config.autoVerifiedAttributes = [...new Set(autoVerified as UsernameAttribute[])];
      }
    }
    const aliases = pool.aliasAttributes;
    if (aliases !== undefined) {
      if (
        !Array.isArray(aliases) ||
        aliases.some((a) => a !== 'email' && a !== 'phone_number' && a !== 'preferred_username')
      ) {
        problems.push(
          `${where}.aliasAttributes: must be a list of "email", "phone_number" and "preferred_username"`,
        );
      } else if (aliases.length > 0 && Array.isArray(attrs) && attrs.length > 0) {
        problems.push(
          `${where}.aliasAttributes: a pool has either username attributes or alias attributes, not both`,
        );
      } else {
        config.aliasAttributes = [...new Set(aliases as AliasAttribute[])];
      }
    }
    const custom = pool.customAttributes ?? [];
    if (!Array.isArray(custom)) {
      problems.push(`${where}.customAttributes: must be a list of names (without "custom:")`);
    } else {
      custom.forEach((entry: unknown, index) => {
        let name = entry;
        if (isRecord(entry)) {
          name = entry.name;
          const dataType = entry.type ?? 'String';
          unknownKeys(entry, ['name', 'type', 'mutable'], `${where}.customAttributes[${index}]`, problems);
          if (typeof dataType !== 'string' || !CUSTOM_ATTRIBUTE_TYPES.includes(dataType)) {
            problems.push(
              `${where}.customAttributes[${index}].type: must be ${CUSTOM_ATTRIBUTE_TYPES.join(', ')}`,
            );
          } else if (entry.mutable !== undefined && typeof entry.mutable !== 'boolean') {
            problems.push(`${where}.customAttributes[${index}].mutable: must be true or false`);
          } else if (typeof name === 'string') {
            (config.customAttributeTypes ??= []).push({
              name,
              dataType: dataType as CustomAttributeType,
              ...(typeof entry.mutable === 'boolean' ? { mutable: entry.mutable } : {}),
            });
          }
        }
        if (typeof name !== 'string' || !CUSTOM_ATTRIBUTE_NAME_PATTERN.test(name)) {
          problems.push(
            `${where}.customAttributes[${index}]: must be a name of 1 to 20 characters without spaces`,
          );
        } else if (name.startsWith('custom:')) {
          problems.push(`${where}.customAttributes[${index}] ("${name}"): give the name without "custom:"`);
        } else if (config.customAttributes.includes(name)) {
          problems.push(`${where}.customAttributes[${index}] ("${name}"): listed twice`);
        } else {
          config.customAttributes.push(name);
        }
      });
    }
    const mfa = pool.mfaConfiguration ?? 'OFF';
    if (mfa !== 'OFF' && mfa !== 'ON' && mfa !== 'OPTIONAL') {
      problems.push(`${where}.mfaConfiguration: must be "OFF", "ON" or "OPTIONAL"`);
    } else {
      config.mfaConfiguration = mfa;
    }
  }

  return config;
}

/** Checks a parsed seed file; returns it typed (with defaults filled in) or throws a SeedError. */
export function validateSeed(value: unknown, source = 'seed'): SeedFile {
  const problems: string[] = [];
  if (!isRecord(value)) throw new SeedError(source, ['the file must hold a JSON object']);
  unknownKeys(value, ['userPool', 'targetUserPool', 'users', 'groups'], 'top level', problems);

  const seed: SeedFile = {
    userPool: validatePool(value.userPool ?? {}, 'userPool', problems),
    users: [],
    groups: [],
  };
  if (value.targetUserPool !== undefined)
    seed.targetUserPool = validatePool(value.targetUserPool, 'targetUserPool', problems);
  const usernameAttributeList = seed.userPool.usernameAttributes;
  const usernames = new Map<string, number>();
  forEachEntry(
    value,
    'users',
    ['username', 'enabled', 'status', 'smsMfa', 'attributes'],
    problems,
    (entry, index, label) => {
      const username = entry.username;
      if (typeof username !== 'string' || username.trim() === '') {
        problems.push(`${label}: "username" must be a non-empty string`);
        return;
      }
      const where = `${label} (username "${username}")`;
      if (username.length > 128 || !NAME_PATTERN.test(username)) {
        problems.push(`${where}: a username has 1 to 128 characters and no spaces`);
      }
      const seen = usernames.get(username);
      if (seen !== undefined) problems.push(`${where}: same username as users[${seen}]`);
      else usernames.set(username, index);
      if (entry.enabled !== undefined && typeof entry.enabled !== 'boolean') {
        problems.push(`${where}: "enabled" must be true or false`);
      }
      if (
        entry.status !== undefined &&
        (typeof entry.status !== 'string' || !USER_STATUSES.has(entry.status))
      ) {
        problems.push(`${where}: "status" must be one of ${[...USER_STATUSES].join(', ')}`);
      }
      const attributes: Record<string, string> = {};
      const given = entry.attributes ?? {};
      if (!isRecord(given)) {
        problems.push(`${where}: "attributes" must be an object of name → string value`);
      } else {
        for (const [name, attributeValue] of Object.entries(given)) {
          const custom = name.startsWith('custom:') ? name.slice('custom:'.length) : undefined;
          if (name === 'sub') {
            problems.push(`${where}: attribute "sub" is set by Cognito and cannot be seeded`);
          } else if (custom !== undefined && !seed.userPool.customAttributes.includes(custom)) {
            problems.push(`${where}: attribute "${name}" is not declared in userPool.customAttributes`);
          } else if (custom === undefined && !isWritableStandardAttribute(name)) {
            problems.push(
              `${where}: "${name}" is not a standard attribute (custom ones start with "custom:")`,
            );
          }
          if (typeof attributeValue !== 'string') {
            problems.push(`${where}: attribute "${name}" must be a string`);
            continue;
          }
          if (attributeValue.length > MAX_ATTRIBUTE_VALUE_LENGTH) {
            problems.push(
              `${where}: attribute "${name}" is longer than ${MAX_ATTRIBUTE_VALUE_LENGTH} characters`,
            );
          }
          attributes[name] = attributeValue;
        }
      }
      for (const flag of ['email_verified', 'phone_number_verified']) {
        if (attributes[flag] !== undefined && attributes[flag] !== 'true' && attributes[flag] !== 'false') {
          problems.push(`${where}: "${flag}" must be "true" or "false"`);
        }
      }
      if (attributes.email !== undefined && !isEmail(attributes.email)) {
        problems.push(`${where}: "email" is not an email address`);
      }
      if (attributes.phone_number !== undefined && !isPhoneNumber(attributes.phone_number)) {
        problems.push(`${where}: "phone_number" must be in E.164 form, e.g. +14155550100`);
      }
      if (usernameAttributeList.length > 0) {
        // The username is one of the pool's username attributes (in an e-mail-or-phone pool, either).
        const usernameAttribute = usernameAttributeList.find((name) =>
          name === 'email' ? isEmail(username) : isPhoneNumber(username),
        );
        if (usernameAttribute === undefined) {
          problems.push(`${where}: the username must be a valid ${usernameAttributeList.join(' or ')}`);
        } else if (attributes[usernameAttribute] === undefined) attributes[usernameAttribute] = username;
        else if (attributes[usernameAttribute] !== username) {
          problems.push(
            `${where}: in a pool with ${usernameAttribute} as username, "username" must equal that attribute`,
          );
        }
      }
      if (entry.smsMfa !== undefined && typeof entry.smsMfa !== 'boolean') {
        problems.push(`${where}: "smsMfa" must be true or false`);
      } else if (entry.smsMfa === true && attributes.phone_number === undefined) {
        problems.push(`${where}: "smsMfa" needs a phone_number`);
      }
      seed.users.push({
        username,
        enabled: entry.enabled !== false,
        ...(typeof entry.status === 'string' ? { status: entry.status } : {}),
        ...(entry.smsMfa === true ? { smsMfa: true } : {}),
        attributes,
      });
    },
  );

  const groupNames = new Map<string, number>();
  forEachEntry(
    value,
    'groups',
    ['name', 'description', 'precedence', 'roleArn', 'members'],
    problems,
    (entry, index, label) => {
      const name = entry.name;
      if (typeof name !== 'string' || name === '' || name.length > 128 || !NAME_PATTERN.test(name)) {
        problems.push(`${label}: "name" must have 1 to 128 characters and no spaces`);
        return;
      }
      const where = `${label} ("${name}")`;
      const seen = groupNames.get(name);
      if (seen !== undefined) problems.push(`${where}: same name as groups[${seen}]`);
      else groupNames.set(name, index);
      const group: SeedGroup = { name, members: [] };
      if (entry.description !== undefined) {
        if (typeof entry.description !== 'string' || entry.description.length > 2048) {
          problems.push(`${where}: "description" must be a string of at most 2048 characters`);
        } else {
          group.description = entry.description;
        }
      }
      if (entry.precedence !== undefined) {
        if (
          typeof entry.precedence !== 'number' ||
          !Number.isInteger(entry.precedence) ||
          entry.precedence < 0
        ) {
          problems.push(`${where}: "precedence" must be a whole number ≥ 0`);
        } else {
          group.precedence = entry.precedence;
        }
      }
      if (entry.roleArn !== undefined) {
        if (
          typeof entry.roleArn !== 'string' ||
          !/^arn:[\w+=/,.@-]+:iam::\d{12}:role\/[\w+=/,.@-]+$/.test(entry.roleArn)
        ) {
          problems.push(`${where}: "roleArn" must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
        } else {
          group.roleArn = entry.roleArn;
        }
      }
      const members = entry.members ?? [];
      if (!Array.isArray(members)) {
        problems.push(`${where}: "members" must be a list of usernames`);
      } else {
        const inGroup = new Set<string>();
        members.forEach((member, position) => {
          if (typeof member !== 'string' || !usernames.has(member)) {
            problems.push(
              `${where}: members[${position}] ("${String(member)}") is not the username of a seeded user`,
            );
          } else if (inGroup.has(member)) {
            problems.push(`${where}: members[${position}] ("${member}") is listed twice`);
          } else {
            inGroup.add(member);
            group.members.push(member);
          }
        });
      }
      seed.groups.push(group);
    },
  );
  if (problems.length > 0) throw new SeedError(source, problems);
  return seed;
}

/**
 * Where the first JSON syntax error is (an offset into `text`), or undefined for valid JSON. Node 20's
 * JSON.parse names the position for only some errors, so the seed's reader finds it itself.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let at = 0;
  class Stop extends Error {}
  const fail = (): never => {
    throw new Stop();
  };
  const space = (): void => {
    while (at < text.length && ' \t\n\r'.includes(text[at] ?? '')) at += 1;
  };
  const literal = (word: string): void => {
    for (const char of word) {
      if (text[at] !== char) fail();
      at += 1;
    }
  };
  const string = (): void => {
    at += 1;
    for (;;) {
      const char = text[at];
      if (char === undefined || char < ' ') fail();
      if (char === '"') break;
      if (char === '\\') {
        at += 1;
        if (text[at] === 'u') {
          for (let i = 1; i <= 4; i += 1) if (!/[0-9a-fA-F]/.test(text[at + i] ?? '')) fail();
          at += 4;
        } else if (!'"\\/bfnrt'.includes(text[at] ?? 'x')) fail();
      }
      at += 1;
    }
    at += 1;
  };
  const value = (): void => {
    space();
    const char = text[at];
    if (char === '{' || char === '[') {
      const close = char === '{' ? '}' : ']';
      at += 1;
      space();
      if (text[at] === close) {
        at += 1;
        return;
      }
      for (;;) {
        if (close === '}') {
          space();
          if (text[at] !== '"') fail();
          string();
          space();
          if (text[at] !== ':') fail();
          at += 1;
        }
        value();
        space();
        if (text[at] === ',') at += 1;
        else if (text[at] === close) {
          at += 1;
          return;
        } else fail();
      }
    }
    const word = { t: 'true', f: 'false', n: 'null' }[char ?? ''];
    if (char === '"') string();
    else if (word !== undefined) literal(word);
    else {
      const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(at));
      if (number === null) fail();
      at += number?.[0].length ?? 0;
    }
  };
  try {
    value();
    space();
    if (at < text.length) fail();
    return undefined;
  } catch (error) {
    if (error instanceof Stop) return at;
    throw error;
  }
}

/** A JSON.parse message, with the line and column of the first syntax error. */
export function jsonErrorWhere(text: string, message: string): string {
  const offset = jsonErrorOffset(text);
  if (offset === undefined) return message;
  const before = text.slice(0, offset).split('\n');
  const column = (before[before.length - 1]?.length ?? 0) + 1;
  return `${message} (line ${before.length}, column ${column})`;
}

export function loadSeedFile(path: string): SeedFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SeedError(path, [`cannot read the file: ${(error as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SeedError(path, [`not valid JSON: ${jsonErrorWhere(text, (error as Error).message)}`]);
  }
  return validateSeed(parsed, path);
}

/**
 * Users the restore will not carry, as notes shown before the run: those the solution leaves out by
 * design (federated users), which the parity check then lists as excluded with the reason. One line
 * per reason, with the number of users and the first few usernames.
 */
export function importWarnings(seed: SeedFile): string[] {
  const byReason = new Map<string, string[]>();
  for (const user of seed.users) {
    const reason = exclusionReason(user);
    if (reason === undefined) continue;
    byReason.set(reason, [...(byReason.get(reason) ?? []), user.username]);
  }
  return [...byReason].map(([reason, usernames]) => {
    const shown = usernames.slice(0, 3).join(', ') + (usernames.length > 3 ? ', ...' : '');
    const users = usernames.length === 1 ? '1 user' : `${usernames.length} users`;
    return `${users} (${shown}) will be listed as excluded by design: ${reason}`;
  });
}

// ---------------------------------------------------------------------------------------------
// Generator

export interface GeneratorOptions {
  users: number;
  groups: number;
  usernameAttribute: 'none' | UsernameAttribute;
  /** Same number, same pool. */
  randomSeed?: number;
  /** Share of disabled users (default 0.04). */
  disabledShare?: number;
  /** Federated (EXTERNAL_PROVIDER) users to add; excluded from backups by design. Default 0. */
  federatedUsers?: number;
}

/** mulberry32: small, fast, deterministic. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GIVEN = [
  'Ana',
  'José',
  'Zoë',
  'Björn',
  'Łukasz',
  'Amélie',
  'Søren',
  'Chloé',
  'Mateo',
  'Aiko',
  'Nguyễn',
  'Oğuz',
  'Siobhán',
  'Jürgen',
  'Inès',
  'Marta',
  'Kwame',
  'Priya',
  'Olivia',
  'Yusuf',
];
const FAMILY = [
  'García',
  'Müller',
  "O'Brien",
  'Dubois',
  'Kowalski',
  'Núñez',
  'Søndergaard',
  'Smith',
  'Ålund',
  'Tanaka',
  'Çelik',
  'Nakamura',
  'Rossi',
  'Åberg',
  'Van der Berg',
  'Ivanova',
  'Ng',
  'Moreau',
  'Schmidt',
  'Pérez',
];
const CITIES = [
  'Paris, Île-de-France',
  'München, Bayern',
  'São Paulo, SP',
  'Zürich, ZH',
  'Kraków, Małopolska',
  'Québec, QC',
  'Málaga, Andalucía',
  'Tōkyō, Kantō',
];
const STREETS = [
  "Rue de l'Église",
  'Königstraße',
  'Avenida Paulista',
  'Bahnhofstrasse',
  'ulica Floriańska',
  'Grande Allée',
];
const LOCALES = ['fr-FR', 'de-DE', 'pt-BR', 'de-CH', 'pl-PL', 'fr-CA', 'es-ES', 'ja-JP'];
const PLANS = ['free', 'pro', 'enterprise, annual', 'enterprise, monthly'];
const TEAMS = [
  'Ventes',
  'Support, niveau 1',
  'Ingénierie',
  'Finanzen',
  'Équipe Paris',
  'Recherche & Développement',
  'Ops, on-call',
  'Marketing',
];

const ascii = (text: string): string =>
  text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();

export const GENERATED_CUSTOM_ATTRIBUTES = ['tenant', 'plan', 'notes', 'employee_id'];

export function generateSeed(options: GeneratorOptions): SeedFile {
  const rnd = random(options.randomSeed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const usernameAttribute = options.usernameAttribute === 'none' ? undefined : options.usernameAttribute;
  const disabledShare = options.disabledShare ?? 0.04;
  const users: SeedUser[] = [];
  for (let i = 0; i < options.users; i += 1) {
    const given = pick(GIVEN);
    const family = pick(FAMILY);
    const number = String(i + 1).padStart(6, '0');
    const email = `${ascii(given)}.${ascii(family)}.${number}@example.com`;
    const phone = `+1555${String(1_000_000 + i).padStart(7, '0')}`;
    // Mostly verified email; some verified phone only; as in real pools, one in ten signed up and never
    // confirmed (UNCONFIRMED, e-mail not verified) and one in ten confirmed without verifying the
    // e-mail: the CSV import refuses both, so ImportNewUsers creates them with AdminCreateUser.
    const phoneOnly =
      usernameAttribute === 'phone_number' || (usernameAttribute === undefined && i % 17 === 5);
    const withPhone = phoneOnly || rnd() < 0.4;
    const attributes: Record<string, string> = {
      given_name: given,
      family_name: family,
      name: `${given} ${family}`,
      locale: pick(LOCALES),
      address: `${1 + Math.floor(rnd() * 200)} ${pick(STREETS)}, ${pick(CITIES)}`,
      'custom:tenant': `tenant-${1 + (i % 7)}`,
      'custom:plan': pick(PLANS),
      'custom:employee_id': `E${number}`,
    };
    const unconfirmed = !phoneOnly && i % 10 === 4;
    if (!phoneOnly) {
      attributes.email = email;
      attributes.email_verified = unconfirmed || i % 10 === 8 ? 'false' : 'true';
    }
    if (withPhone) {
      attributes.phone_number = phone;
      attributes.phone_number_verified = phoneOnly ? 'true' : 'false';
    }
    if (i % 5 === 0)
      attributes['custom:notes'] = `Préfère le café, pas le thé; badge n°${i + 1}, étage ${i % 9}`;
    if (i % 11 === 3) attributes.nickname = `${given}-${ascii(family).slice(0, 3)}`;
    let username: string;
    if (usernameAttribute === 'email') username = email;
    else if (usernameAttribute === 'phone_number') username = phone;
    else
      username =
        i % 13 === 7
          ? `${ascii(given)}.${family.replace(/[^\p{L}]/gu, '').toLowerCase()}.${number}`
          : `user-${number}`;
    users.push({
      username,
      enabled: rnd() >= disabledShare,
      ...(unconfirmed ? { status: 'UNCONFIRMED' } : {}),
      attributes,
    });
  }
  // Federated users keep a provider-prefixed Username (Google_...), which the emulator's seed path
  // accepts only in pools without a username attribute.
  const federated = usernameAttribute === undefined ? (options.federatedUsers ?? 0) : 0;
  for (let i = 0; i < federated; i += 1) {
    const id = String(100_000_000 + i);
    users.push({
      username: `Google_${id}`,
      enabled: true,
      status: 'EXTERNAL_PROVIDER',
      attributes: { email: `federated.${id}@example.com`, email_verified: 'true', name: `Federated ${id}` },
    });
  }

  const groups: SeedGroup[] = [];
  for (let g = 0; g < options.groups; g += 1) {
    const team = TEAMS[g % TEAMS.length] as string;
    const group: SeedGroup = {
      name: `${ascii(team) || 'team'}-${String(g + 1).padStart(2, '0')}`,
      members: [],
    };
    if (g % 4 !== 3) group.description = `${team}, groupe n°${g + 1} — accès «standard»`;
    if (g % 2 === 0) group.precedence = g + 1;
    groups.push(group);
  }
  const native = users.filter((user) => user.status !== 'EXTERNAL_PROVIDER');
  if (groups.length > 0) {
    // One large group (more than a page of 60 even in small pools), then users spread over the
    // others, some of them in two or three groups.
    const largeSize = Math.min(native.length, Math.max(Math.round(0.15 * native.length), 70));
    const inLarge = new Set<number>();
    while (inLarge.size < largeSize) inLarge.add(Math.floor(rnd() * native.length));
    native.forEach((user, index) => {
      const chosen = new Set<number>();
      if (inLarge.has(index)) chosen.add(0);
      if (groups.length > 1) {
        const draw = rnd();
        const extra = draw < 0.02 ? 2 : draw < 0.1 ? 1 : 0;
        for (let k = 0; k < extra; k += 1) chosen.add(1 + Math.floor(rnd() * (groups.length - 1)));
      }
      for (const index of chosen) groups[index]?.members.push(user.username);
    });
    // Federated users can be group members too; the export skips both the user and the membership.
    const federatedUser = users.find((user) => user.status === 'EXTERNAL_PROVIDER');
    if (federatedUser !== undefined) groups[0]?.members.push(federatedUser.username);
  }
  return {
    userPool: {
      usernameAttributes: usernameAttribute === undefined ? [] : [usernameAttribute],
      customAttributes: [...GENERATED_CUSTOM_ATTRIBUTES],
      mfaConfiguration: 'OFF',
    },
    users,
    groups,
  };
}
