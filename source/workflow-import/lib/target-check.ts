// SPDX-License-Identifier: Apache-2.0
/**
 * The target check: before anything is written to the new user pool, its configuration is compared
 * with what the backup needs, and a pool that would lose data is refused with every difference listed.
 *
 * Cognito cannot remove a custom attribute or change a pool's username attributes after creation, and
 * the CSV import writes only the columns the new pool's `GetCSVHeader` names: without this check a
 * custom attribute missing from the new pool was dropped from every user silently.
 *
 * What the backup needs comes from its users: the custom attribute names they carry, the way they sign
 * in (the pseudoUsername is the Cognito Username, the e-mail or the phone number) and, for each
 * attribute the new pool requires, how many users lack it. Messages name attributes and give counts,
 * never a value.
 */
import type { SchemaAttributeType, UserPoolType } from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableSource, type RecoveryPointSource } from '../../utils/recovery-point';
import type { SfnContextObject } from '../../utils/step-functions';
import type { BackupUserItem } from './types';

/** The execution-input field that lets a restore go on without the custom attributes it names. */
export const DROP_ATTRIBUTES_INPUT = 'DropAttributes';

/** A custom attribute's name in a user's attributes and in the CSV header. */
const CUSTOM_PREFIX = 'custom:';
const CUSTOM_NAME = /^custom:[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,20}$/u;

/** The ways a backed-up user signs in, read from its item. */
export type SignIn = 'username' | 'email' | 'phone_number';

export class InvalidDropAttributesError extends Error {
  override readonly name = 'InvalidDropAttributesError';
}

/** The new user pool would lose data of the backup (every difference is in the message). */
export class TargetPoolRefusedError extends Error {
  override readonly name = 'TargetPoolRefusedError';
}

/**
 * `Context.Execution.Input.DropAttributes`: the custom attributes (`custom:<name>`) the operator
 * accepts to restore without. Absent is none; anything but a list of custom attribute names is
 * refused, so that a typo does not pass for consent.
 */
export function dropAttributes(context: SfnContextObject | undefined): string[] {
  const raw = (context?.Execution?.Input as Record<string, unknown> | undefined)?.[DROP_ATTRIBUTES_INPUT];
  if (raw === undefined || raw === null) return [];
  const bad = !Array.isArray(raw) || raw.some((name) => typeof name !== 'string' || !CUSTOM_NAME.test(name));
  if (bad) {
    throw new InvalidDropAttributesError(
      `${DROP_ATTRIBUTES_INPUT} must be a list of custom attribute names, each "custom:<name>" ` +
        '(for example ["custom:plan"]). Standard attributes cannot be dropped.',
    );
  }
  return [...new Set(raw as string[])];
}

/** What the restore needs of the new pool, read from the backed-up users. */
export interface BackupNeeds {
  users: number;
  /** Custom attribute name → how many users carry it. */
  customAttributes: Map<string, number>;
  /** How the users sign in → how many. */
  signIn: Map<SignIn, number>;
  /** For each attribute the new pool requires, how many users lack it. */
  lacking: Map<string, number>;
  /** False when the check's time ran out before the last user item was read. */
  complete: boolean;
}

const increment = <K>(map: Map<K, number>, key: K): void => {
  map.set(key, (map.get(key) ?? 0) + 1);
};

/** How a user item says its user signs in; undefined when the item does not tell. */
export function signInOf(item: BackupUserItem): SignIn | undefined {
  const pseudo = item.pseudoUsername;
  if (typeof pseudo !== 'string' || pseudo === '') return undefined;
  if (pseudo === item.username) return 'username';
  const valueOf = (name: string) => item.userAttributes?.find((attribute) => attribute.Name === name)?.Value;
  if (valueOf('email') === pseudo) return 'email';
  if (valueOf('phone_number') === pseudo) return 'phone_number';
  return undefined;
}

/** Accumulates the needs of the user items as the table is read. */
export class NeedsCollector {
  readonly needs: BackupNeeds;

  constructor(private readonly required: readonly string[]) {
    this.needs = {
      users: 0,
      customAttributes: new Map(),
      signIn: new Map(),
      lacking: new Map(),
      complete: false,
    };
  }

  add(item: BackupUserItem): void {
    const needs = this.needs;
    needs.users += 1;
    const names = new Set<string>();
    for (const attribute of item.userAttributes ?? []) {
      // An attribute with an empty value is not written to the CSV: it carries nothing to lose.
      if (typeof attribute.Name === 'string' && typeof attribute.Value === 'string' && attribute.Value !== '')
        names.add(attribute.Name);
    }
    for (const name of names) if (name.startsWith(CUSTOM_PREFIX)) increment(needs.customAttributes, name);
    const signIn = signInOf(item);
    if (signIn !== undefined) increment(needs.signIn, signIn);
    for (const name of this.required) if (!names.has(name)) increment(needs.lacking, name);
  }
}

/** The parts of the new pool's configuration that decide whether the backup fits. */
export interface TargetShape {
  /** Custom attribute name (`custom:x`) → data type. */
  customAttributes: Map<string, string>;
  usernameAttributes: string[];
  aliasAttributes: string[];
  /** Attributes every user must have, apart from `sub`, which Cognito sets itself. */
  required: string[];
}

export function targetShape(pool: UserPoolType | undefined): TargetShape {
  const schema: SchemaAttributeType[] = pool?.SchemaAttributes ?? [];
  const customAttributes = new Map<string, string>();
  for (const attribute of schema) {
    const name = attribute.Name ?? '';
    // DescribeUserPool names custom attributes with their prefix; a create call names them without it.
    if (name.startsWith(CUSTOM_PREFIX)) customAttributes.set(name, attribute.AttributeDataType ?? 'String');
  }
  return {
    customAttributes,
    usernameAttributes: [...(pool?.UsernameAttributes ?? [])].sort(),
    aliasAttributes: [...(pool?.AliasAttributes ?? [])].sort(),
    required: schema
      .filter((attribute) => attribute.Required === true && attribute.Name !== undefined)
      .map((attribute) => attribute.Name as string)
      .filter((name) => name !== 'sub'),
  };
}

export interface TargetVerdict {
  /** Differences that would lose data; the restore is refused when there is any. */
  refusals: string[];
  /** Custom attributes users carry that the restore leaves out because the input says so. */
  dropped: string[];
  /** Things worth knowing that lose nothing. */
  notes: string[];
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
const list = (names: readonly string[]): string => (names.length === 0 ? 'none' : names.join(', '));

/** Compares what the backup needs with the new pool. Pure: the messages name attributes, never values. */
export function compareWithTarget(
  needs: BackupNeeds,
  target: TargetShape,
  drop: readonly string[],
): TargetVerdict {
  const verdict: TargetVerdict = { refusals: [], dropped: [], notes: [] };
  const dropSet = new Set(drop);
  for (const [name, users] of [...needs.customAttributes].sort(([a], [b]) => a.localeCompare(b))) {
    if (target.customAttributes.has(name)) continue;
    if (dropSet.has(name)) {
      verdict.dropped.push(name);
    } else {
      verdict.refusals.push(
        `${name}: ${plural(users, 'backed-up user')} carry it and the new pool has no such attribute ` +
          `(create the pool with the custom attribute "${name.slice(CUSTOM_PREFIX.length)}", or list ` +
          `"${name}" in ${DROP_ATTRIBUTES_INPUT} to restore without it)`,
      );
    }
  }
  for (const name of drop) {
    if (needs.customAttributes.has(name) && target.customAttributes.has(name))
      verdict.notes.push(`${name} is in ${DROP_ATTRIBUTES_INPUT} but the new pool has it: it is restored`);
    else if (!needs.customAttributes.has(name))
      verdict.notes.push(`${name} is in ${DROP_ATTRIBUTES_INPUT} but no backed-up user carries it`);
  }
  signInDifferences(needs, target, verdict);
  for (const name of target.required) {
    const lacking = needs.lacking.get(name) ?? 0;
    if (lacking > 0) {
      verdict.refusals.push(
        `${name}: the new pool requires it and ${plural(lacking, 'backed-up user')} lack it ` +
          `(create the pool without "${name}" required)`,
      );
    }
  }
  if (!needs.complete) {
    verdict.notes.push(
      `the check read ${plural(needs.users, 'user item')} of the backup before its time ran out; ` +
        'attributes of the users it did not read were not checked',
    );
  }
  return verdict;
}

function signInDifferences(needs: BackupNeeds, target: TargetShape, verdict: TargetVerdict): void {
  const byUsername = needs.signIn.get('username') ?? 0;
  const needed = (['email', 'phone_number'] as const).filter((kind) => (needs.signIn.get(kind) ?? 0) > 0);
  const hint = (attributes: readonly string[]) =>
    `(create the pool with username attributes: ${list(attributes)})`;
  if (byUsername > 0 && target.usernameAttributes.length > 0) {
    verdict.refusals.push(
      `username attributes: ${plural(byUsername, 'backed-up user')} sign in with a username, and the new ` +
        `pool signs in with ${list(target.usernameAttributes)} instead ${hint([])}`,
    );
  }
  const missing = needed.filter((kind) => !target.usernameAttributes.includes(kind));
  if (missing.length > 0 && byUsername === 0) {
    const users = missing.reduce((sum, kind) => sum + (needs.signIn.get(kind) ?? 0), 0);
    verdict.refusals.push(
      `username attributes: ${plural(users, 'backed-up user')} sign in with ${list(missing)} as the ` +
        `username, and the new pool's username attributes are ${list(target.usernameAttributes)} ${hint(needed)}`,
    );
  }
}

/** The refusal, on one line (the first line is what summaries show): every difference, then the fix. */
export function refusalMessage(userPoolId: string, verdict: TargetVerdict): string {
  const differences = verdict.refusals.map((line, index) => `(${index + 1}) ${line}`).join('; ');
  return (
    `The new user pool (${userPoolId}) would lose data of the backup, so nothing was written to it. ` +
    `${plural(verdict.refusals.length, 'difference')}: ${differences}. ` +
    'Cognito cannot change username attributes or remove a custom attribute once a pool exists: create a new ' +
    'user pool that fits, tag it as a restore target, and start the ImportWorkflow again with its ID.'
  );
}
/** Segments of the parallel scan of the backup table (recovery-point.ts). */
export { SCAN_SEGMENTS } from '../../utils/recovery-point';

export interface NeedsScanDeps {
  ddb: DynamoDBDocumentClient;
  tableName: string;
  typeUser: string;
  /** Whether a new page may still be read. */
  hasTime: () => boolean;
  /** The recovery point to read instead of the backup table (`AsOf`, `Snapshot`). */
  source?: RecoveryPointSource;
}

/**
 * Reads every user item of the recovery point (of the backup table, a parallel scan of the attributes
 * the check needs) and collects what the restore needs. Stops between pages when the time is up
 * (`complete: false`).
 */
export async function readBackupNeeds(
  deps: NeedsScanDeps,
  required: readonly string[],
): Promise<BackupNeeds> {
  const collector = new NeedsCollector(required);
  const source = deps.source ?? tableSource(deps);
  collector.needs.complete = await source.userItems(
    (item) => collector.add(item as BackupUserItem),
    deps.hasTime,
  );
  return collector.needs;
}
