// SPDX-License-Identifier: Apache-2.0
/**
 * In-memory state of the emulated Cognito account: user pools, users (with an alias index for pools
 * whose username is the email or phone number), groups and memberships. Every collection keeps a
 * stable insertion order and pages in O(page) (see OrderedCollection).
 *
 * The same rules serve the API operations (which surface CognitoServiceError) and the bulk seed path
 * (which wraps them with the index of the offending entry). Nothing here logs.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  CognitoServiceError,
  invalidParameter,
  seedEntryError,
  userNotFound,
  userPoolNotFound,
} from './errors';
import { NAME_PATTERN } from './input';
import { OrderedCollection } from './ordered';
import {
  CUSTOM_ATTRIBUTE_NAME_PATTERN,
  MAX_ATTRIBUTE_VALUE_LENGTH,
  aliasKey,
  isEmail,
  isPhoneNumber,
  isWritableStandardAttribute,
  usernameAttributeOf,
  usernameFormatMessage,
} from './schema';
import type {
  CustomAttributeDefinition,
  GroupRecord,
  MfaConfiguration,
  NewGroup,
  NewUser,
  PoolSnapshot,
  UserPoolConfig,
  UserRecord,
  UserStatus,
  UsernameAttribute,
} from './types';
import type { ImportJob } from './import-jobs';

export interface GroupState {
  readonly record: GroupRecord;
  readonly members: OrderedCollection<string, UserRecord>;
}

export interface PoolState {
  readonly id: string;
  readonly name: string;
  readonly arn: string;
  readonly createdMs: number;
  modifiedMs: number;
  readonly usernameAttributes: readonly UsernameAttribute[];
  readonly autoVerifiedAttributes: readonly UsernameAttribute[];
  readonly customAttributes: readonly CustomAttributeDefinition[];
  readonly customAttributeNames: ReadonlySet<string>;
  mfaConfiguration: MfaConfiguration;
  readonly aliasAttributes: readonly string[];
  /** Standard attributes the schema marks Required (besides `sub`). */
  readonly requiredAttributes: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly users: OrderedCollection<string, UserRecord>;
  /** `email:<lower-case>` / `phone_number:<value>` → user, only in pools with username attributes. */
  readonly aliases: Map<string, UserRecord>;
  /** Subs in use; built on first need (a seed that gives its own subs), then kept up to date. */
  subIndex?: Set<string>;
  readonly groups: OrderedCollection<string, GroupState>;
  readonly importJobs: OrderedCollection<string, ImportJob>;
  /** CreateUserPool members kept as given; DescribeUserPool answers them over its defaults. */
  settings: Record<string, unknown>;
  /** SetUserPoolMfaConfig members besides MfaConfiguration. */
  mfaSettings: Record<string, unknown>;
  /** ClientId → `UserPoolClientType` (secret included, as DescribeUserPoolClient answers it). */
  readonly clients: Map<string, Record<string, unknown>>;
  /** Identifier → `ResourceServerType`. */
  readonly resourceServers: Map<string, Record<string, unknown>>;
  /** ProviderName → `IdentityProviderType`. */
  readonly identityProviders: Map<string, Record<string, unknown>>;
  domain?: string;
}

export interface StoreOptions {
  region: string;
  accountId: string;
  now: () => number;
}

/** What createUser needs, whichever path it comes from. */
export interface CreateUserInput {
  username: string;
  attributes: Record<string, string>;
  enabled: boolean;
  status: UserStatus;
  /** Seed path only: keep a given sub (e.g. to mirror a known pool). */
  allowSub?: boolean;
  smsMfa?: boolean;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Pool id suffixes and import job ids. */
export function randomAlphanumeric(length: number): string {
  let out = '';
  for (const byte of randomBytes(length)) out += ALPHANUMERIC.charAt(byte % ALPHANUMERIC.length);
  return out;
}

function schemaError(attribute: string, problem: string): CognitoServiceError {
  return invalidParameter(`Attributes did not conform to the schema: ${attribute}: ${problem}`);
}

function normaliseCustomAttributes(input: UserPoolConfig['customAttributes']): CustomAttributeDefinition[] {
  const seen = new Set<string>();
  const result: CustomAttributeDefinition[] = [];
  for (const entry of input ?? []) {
    const definition = typeof entry === 'string' ? { name: entry } : entry;
    const name = definition.name.startsWith('custom:') ? definition.name.slice(7) : definition.name;
    if (!CUSTOM_ATTRIBUTE_NAME_PATTERN.test(name)) {
      throw invalidParameter(`Invalid custom attribute name: ${name}`);
    }
    if (seen.has(name)) throw invalidParameter(`Duplicate custom attribute name: ${name}`);
    seen.add(name);
    result.push({ ...definition, name });
  }
  if (result.length > 50) throw invalidParameter('A user pool can have at most 50 custom attributes.');
  return result;
}

export class CognitoStore {
  private readonly pools = new Map<string, PoolState>();

  constructor(private readonly options: StoreOptions) {}

  get region(): string {
    return this.options.region;
  }

  // ---- pools -------------------------------------------------------------------------------------

  createUserPool(config: UserPoolConfig = {}): PoolState {
    const usernameAttributes = [...new Set(config.usernameAttributes ?? [])];
    const defaultAutoVerified: UsernameAttribute[] = ['email', 'phone_number'];
    const autoVerifiedAttributes = [...new Set(config.autoVerifiedAttributes ?? defaultAutoVerified)];
    for (const attribute of [...usernameAttributes, ...autoVerifiedAttributes]) {
      if (attribute !== 'email' && attribute !== 'phone_number') {
        throw invalidParameter(`Invalid attribute for a username or auto-verification: ${String(attribute)}`);
      }
    }
    const mfa = config.mfaConfiguration ?? 'OFF';
    if (!['OFF', 'ON', 'OPTIONAL'].includes(mfa)) throw invalidParameter(`Invalid MfaConfiguration: ${mfa}`);
    const customAttributes = normaliseCustomAttributes(config.customAttributes);
    const id = this.newPoolId();
    const now = this.options.now();
    const pool: PoolState = {
      id,
      name: config.name ?? `pool-${id.split('_')[1] ?? id}`,
      arn: `arn:aws:cognito-idp:${this.options.region}:${this.options.accountId}:userpool/${id}`,
      createdMs: now,
      modifiedMs: now,
      usernameAttributes,
      autoVerifiedAttributes,
      customAttributes,
      customAttributeNames: new Set(customAttributes.map((c) => `custom:${c.name}`)),
      mfaConfiguration: mfa,
      aliasAttributes: [...new Set(config.aliasAttributes ?? [])],
      requiredAttributes: [...new Set(config.requiredAttributes ?? [])],
      tags: { ...config.tags },
      users: new OrderedCollection(),
      aliases: new Map(),
      groups: new OrderedCollection(),
      importJobs: new OrderedCollection(),
      settings: { ...config.details?.settings },
      mfaSettings: { ...config.details?.mfa },
      clients: new Map(),
      resourceServers: new Map(),
      identityProviders: new Map(),
    };
    this.pools.set(id, pool);
    const details = config.details;
    for (const server of details?.resourceServers ?? []) this.createResourceServer(pool, server);
    for (const provider of details?.identityProviders ?? []) this.createIdentityProvider(pool, provider);
    for (const client of details?.clients ?? []) this.createClient(pool, client);
    if (details?.domain !== undefined) this.createDomain(pool, details.domain);
    return pool;
  }

  // ---- app clients, resource servers, identity providers, domains ----------------------------------

  /** CreateUserPoolClient: a new id, and a new secret when `GenerateSecret` is true (as Cognito does). */
  createClient(pool: PoolState, input: Record<string, unknown>): Record<string, unknown> {
    const name = input.ClientName;
    if (typeof name !== 'string' || !/^[\w\s+=,.@-]{1,128}$/.test(name))
      throw invalidParameter('ClientName must be 1 to 128 characters of [\\w\\s+=,.@-].');
    for (const scope of (input.AllowedOAuthScopes as string[] | undefined) ?? []) {
      // `<resource server identifier>/<scope name>`; the identifier may hold slashes itself (a URL).
      const server = scope.slice(0, Math.max(scope.lastIndexOf('/'), 0));
      const name = scope.slice(scope.lastIndexOf('/') + 1);
      const scopes = (pool.resourceServers.get(server)?.Scopes ?? []) as { ScopeName?: string }[];
      if (scope.includes('/') && !scopes.some((candidate) => candidate.ScopeName === name))
        throw invalidParameter(`${scope} is not a scope of a resource server of this user pool.`);
    }
    for (const provider of (input.SupportedIdentityProviders as string[] | undefined) ?? []) {
      if (provider !== 'COGNITO' && !pool.identityProviders.has(provider))
        throw invalidParameter(`The provider ${provider} does not exist for User Pool ${pool.id}`);
    }
    const now = this.options.now() / 1000;
    const { GenerateSecret, ...settings } = input;
    const clientId = randomAlphanumeric(26).toLowerCase();
    const client: Record<string, unknown> = {
      UserPoolId: pool.id,
      ClientName: name,
      ClientId: clientId,
      ...(GenerateSecret === true ? { ClientSecret: randomAlphanumeric(51) } : {}),
      LastModifiedDate: now,
      CreationDate: now,
      RefreshTokenValidity: 30,
      TokenValidityUnits: {},
      AllowedOAuthFlowsUserPoolClient: false,
      EnableTokenRevocation: true,
      EnablePropagateAdditionalUserContextData: false,
      AuthSessionValidity: 3,
      ...settings,
    };
    pool.clients.set(clientId, client);
    return client;
  }

  createResourceServer(pool: PoolState, input: Record<string, unknown>): Record<string, unknown> {
    const identifier = input.Identifier;
    if (typeof identifier !== 'string' || identifier === '' || identifier.length > 256)
      throw invalidParameter('Identifier must be 1 to 256 characters.');
    if (typeof input.Name !== 'string' || input.Name === '') throw invalidParameter('Name is required.');
    if (pool.resourceServers.has(identifier))
      throw invalidParameter(`${identifier} already exists in user pool ${pool.id}.`);
    const server = {
      UserPoolId: pool.id,
      Identifier: identifier,
      Name: input.Name,
      Scopes: input.Scopes ?? [],
    };
    pool.resourceServers.set(identifier, server);
    return server;
  }

  createIdentityProvider(pool: PoolState, input: Record<string, unknown>): Record<string, unknown> {
    const name = input.ProviderName;
    if (typeof name !== 'string' || !/^[^_\p{Z}][\p{L}\p{M}\p{S}\p{N}\p{P}][^_\p{Z}]+$/u.test(name))
      throw invalidParameter('ProviderName does not satisfy the constraint.');
    const types = ['SAML', 'Facebook', 'Google', 'LoginWithAmazon', 'SignInWithApple', 'OIDC'];
    if (typeof input.ProviderType !== 'string' || !types.includes(input.ProviderType))
      throw invalidParameter(`ProviderType must be one of ${types.join(', ')}.`);
    if (pool.identityProviders.has(name))
      throw new CognitoServiceError(
        'DuplicateProviderException',
        `A provider with the name ${name} already exists.`,
      );
    const now = this.options.now() / 1000;
    const provider = {
      UserPoolId: pool.id,
      ProviderName: name,
      ProviderType: input.ProviderType,
      ProviderDetails: input.ProviderDetails ?? {},
      AttributeMapping: input.AttributeMapping ?? {},
      IdpIdentifiers: input.IdpIdentifiers ?? [],
      LastModifiedDate: now,
      CreationDate: now,
    };
    pool.identityProviders.set(name, provider);
    return provider;
  }

  /** CreateUserPoolDomain for a prefix domain: one per pool, unique in the Region. */
  createDomain(pool: PoolState, domain: string): void {
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(domain))
      throw invalidParameter(`Invalid domain prefix: ${domain}`);
    if (pool.domain !== undefined) throw invalidParameter(`The user pool ${pool.id} already has a domain.`);
    if (this.poolOfDomain(domain) !== undefined)
      throw invalidParameter('Domain already associated with another user pool.');
    pool.domain = domain;
  }

  poolOfDomain(domain: string): PoolState | undefined {
    return [...this.pools.values()].find((candidate) => candidate.domain === domain);
  }

  getPool(poolId: string): PoolState | undefined {
    return this.pools.get(poolId);
  }

  /** The pool, or Cognito's ResourceNotFoundException. */
  requirePool(poolId: string): PoolState {
    const pool = this.pools.get(poolId);
    if (!pool) throw userPoolNotFound(poolId);
    return pool;
  }

  poolIds(): string[] {
    return [...this.pools.keys()];
  }

  deleteUserPool(poolId: string): boolean {
    return this.pools.delete(poolId);
  }

  // ---- users -------------------------------------------------------------------------------------

  /** A user by Username or, in pools with username attributes, by email / phone number. */
  findUser(pool: PoolState, name: string): UserRecord | undefined {
    const direct = pool.users.get(name);
    if (direct || pool.usernameAttributes.length === 0) return direct;
    const attribute = usernameAttributeOf(name, pool.usernameAttributes);
    return attribute ? pool.aliases.get(aliasKey(attribute, name)) : undefined;
  }

  requireUser(pool: PoolState, name: string): UserRecord {
    const user = this.findUser(pool, name);
    if (!user) throw userNotFound();
    return user;
  }

  /** Creates a user with Cognito's rules (schema, username kind, uniqueness). Throws CognitoServiceError. */
  createUser(pool: PoolState, input: CreateUserInput): UserRecord {
    const source = input.attributes;
    const signInName = input.username;
    let alias: { attribute: UsernameAttribute; key: string; missing: boolean } | undefined;

    if (typeof signInName !== 'string' || signInName.length === 0 || signInName.length > 128) {
      throw invalidParameter(
        "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must have length between 1 and 128",
      );
    }
    if (pool.usernameAttributes.length > 0) {
      const attribute = usernameAttributeOf(signInName, pool.usernameAttributes);
      if (!attribute) throw invalidParameter(usernameFormatMessage(pool.usernameAttributes));
      const given = source[attribute];
      if (given !== undefined && given.toLowerCase() !== signInName.toLowerCase()) {
        throw invalidParameter(`The ${attribute} attribute does not match the username.`);
      }
      alias = { attribute, key: aliasKey(attribute, signInName), missing: given === undefined };
      if (pool.aliases.has(alias.key)) {
        throw new CognitoServiceError(
          'UsernameExistsException',
          `An account with the given ${attribute} already exists.`,
        );
      }
    } else if (!NAME_PATTERN.test(signInName)) {
      throw invalidParameter(
        "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+",
      );
    } else if (pool.users.has(signInName)) {
      throw new CognitoServiceError('UsernameExistsException', 'User account already exists');
    }

    let sub: string;
    const givenSub = source.sub;
    if (givenSub === undefined) sub = randomUUID();
    else {
      if (!input.allowSub) throw schemaError('sub', 'Attribute cannot be updated.');
      if (this.subs(pool).has(givenSub))
        throw invalidParameter('The given sub is already used in this user pool.');
      sub = givenSub;
    }

    const attributes: Record<string, string> = { sub };
    for (const name of Object.keys(source)) {
      if (name === 'sub') continue;
      const value = source[name] as string;
      this.checkAttribute(pool, name, value);
      attributes[name] = value;
    }
    if (alias?.missing) attributes[alias.attribute] = signInName;
    // In a pool with both username attributes the other identifier signs in too: it is unique as well.
    const otherKeys: string[] = [];
    if (alias) {
      for (const other of pool.usernameAttributes) {
        const value = attributes[other];
        if (other === alias.attribute || value === undefined || value === '') continue;
        const key = aliasKey(other, value);
        if (pool.aliases.has(key)) {
          throw new CognitoServiceError(
            'AliasExistsException',
            `An account with the given ${other} already exists.`,
          );
        }
        otherKeys.push(key);
      }
    }

    const username = alias ? sub : signInName;
    const now = this.options.now();
    const user: UserRecord = {
      username,
      sub,
      attributes,
      enabled: input.enabled,
      status: input.status,
      ...(input.smsMfa === true ? { smsMfa: true } : {}),
      createdMs: now,
      modifiedMs: now,
    };
    if (!pool.users.add(username, user)) {
      throw new CognitoServiceError('UsernameExistsException', 'User account already exists');
    }
    if (alias) pool.aliases.set(alias.key, user);
    for (const key of otherKeys) pool.aliases.set(key, user);
    pool.subIndex?.add(sub);
    return user;
  }

  /**
   * Bulk seed path: adds users without API overhead (100,000 in well under a second). Throws an Error
   * naming the index of the first bad entry (never its values); users before it stay added.
   */
  addUsers(poolId: string, users: readonly NewUser[]): UserRecord[] {
    const pool = this.requirePool(poolId);
    const created: UserRecord[] = [];
    users.forEach((entry, index) => {
      try {
        created.push(
          this.createUser(pool, {
            username: entry.username,
            attributes: entry.attributes ?? {},
            enabled: entry.enabled ?? true,
            status: entry.status ?? 'CONFIRMED',
            allowSub: true,
            ...(entry.smsMfa === true ? { smsMfa: true } : {}),
          }),
        );
      } catch (error) {
        throw seedEntryError(`users[${index}]`, error);
      }
    });
    return created;
  }

  deleteUser(pool: PoolState, user: UserRecord): void {
    for (const groupName of user.groups ?? []) pool.groups.get(groupName)?.members.delete(user.username);
    user.groups = undefined;
    pool.users.delete(user.username);
    for (const attribute of pool.usernameAttributes) {
      const value = user.attributes[attribute];
      if (value !== undefined && pool.aliases.get(aliasKey(attribute, value)) === user) {
        pool.aliases.delete(aliasKey(attribute, value));
      }
    }
    pool.subIndex?.delete(user.sub);
  }

  /**
   * AdminUpdateUserAttributes: every name checked against the schema first (nothing changes when one
   * fails); `sub`, `identities` and immutable attributes refused; a blank value deletes. Changing
   * `email` or `phone_number` without its `_verified` flag `true` in the same call marks it unverified
   * and counts a verification message (`verificationMessages`), as Cognito sends one. In a pool with
   * username attributes the sign-in index follows the new value (AliasExistsException when taken).
   */
  updateUserAttributes(pool: PoolState, user: UserRecord, changes: Record<string, string>): void {
    for (const [name, value] of Object.entries(changes)) {
      if (name === 'sub' || name === 'identities' || this.isImmutable(pool, name))
        throw schemaError(name, 'Attribute cannot be updated.');
      this.checkAttribute(pool, name, value);
    }
    const after: Record<string, string> = { ...user.attributes };
    for (const [name, value] of Object.entries(changes)) {
      if (value === '') Reflect.deleteProperty(after, name);
      else after[name] = value;
    }
    for (const attribute of ['email', 'phone_number'] as const) {
      const flag = `${attribute}_verified`;
      if (changes[attribute] === undefined || changes[attribute] === user.attributes[attribute]) continue;
      if (changes[flag]?.toLowerCase() === 'true') continue;
      after[flag] = 'false';
      if (changes[attribute] !== '') this.verificationMessages += 1;
    }
    this.replaceAttributes(pool, user, after);
  }

  /** AdminDeleteUserAttributes: names of the schema only; `sub`, required and immutable ones refused. */
  deleteUserAttributes(pool: PoolState, user: UserRecord, names: readonly string[]): void {
    for (const name of names) {
      if (!isWritableStandardAttribute(name) && !pool.customAttributeNames.has(name) && name !== 'sub')
        throw schemaError(name, 'Attribute does not exist in the schema.');
      if (name === 'sub' || this.isImmutable(pool, name) || pool.requiredAttributes.includes(name))
        throw schemaError(name, 'Attribute cannot be deleted.');
    }
    const after: Record<string, string> = { ...user.attributes };
    for (const name of names) Reflect.deleteProperty(after, name);
    this.replaceAttributes(pool, user, after);
  }

  /** Verification messages Cognito would have sent for attribute changes (none must be, in a restore). */
  verificationMessages = 0;

  private isImmutable(pool: PoolState, name: string): boolean {
    return pool.customAttributes.some((c) => `custom:${c.name}` === name && c.mutable === false);
  }

  private replaceAttributes(pool: PoolState, user: UserRecord, after: Record<string, string>): void {
    const keys = (attributes: Record<string, string>) =>
      pool.usernameAttributes.flatMap((attribute) => {
        const value = attributes[attribute];
        return value === undefined || value === '' ? [] : [aliasKey(attribute, value)];
      });
    const before = keys(user.attributes);
    const added = keys(after).filter((key) => !before.includes(key));
    for (const key of added) {
      if (pool.aliases.has(key))
        throw new CognitoServiceError(
          'AliasExistsException',
          'An account with the given email already exists.',
        );
    }
    for (const key of before) if (pool.aliases.get(key) === user) pool.aliases.delete(key);
    for (const key of keys(after)) pool.aliases.set(key, user);
    const record = user.attributes;
    for (const name of Object.keys(record)) if (!(name in after)) Reflect.deleteProperty(record, name);
    Object.assign(record, after);
    user.modifiedMs = this.options.now();
  }

  setUserEnabled(user: UserRecord, enabled: boolean): void {
    user.enabled = enabled;
    user.modifiedMs = this.options.now();
  }

  /** AdminSetUserPassword (and the local runs' sign-up): only the digest is kept, never the password. */
  setUserPassword(user: UserRecord, password: string): void {
    user.passwordDigest = createHash('sha256').update(password).digest('hex');
    user.modifiedMs = this.options.now();
  }

  setUserStatus(user: UserRecord, status: UserStatus): void {
    user.status = status;
    user.modifiedMs = this.options.now();
  }

  // ---- groups ------------------------------------------------------------------------------------

  createGroup(pool: PoolState, group: NewGroup): GroupState {
    if (pool.groups.has(group.name)) {
      throw new CognitoServiceError(
        'GroupExistsException',
        `A group with the name ${group.name} already exists.`,
      );
    }
    const now = this.options.now();
    const state: GroupState = {
      record: {
        name: group.name,
        ...(group.description !== undefined ? { description: group.description } : {}),
        ...(group.precedence !== undefined ? { precedence: group.precedence } : {}),
        ...(group.roleArn !== undefined ? { roleArn: group.roleArn } : {}),
        createdMs: now,
        modifiedMs: now,
      },
      members: new OrderedCollection(),
    };
    pool.groups.add(group.name, state);
    return state;
  }

  /** UpdateGroup: the given fields change, the others stay. */
  updateGroup(group: GroupState, change: Omit<NewGroup, 'name'>): void {
    const record = group.record;
    if (change.description !== undefined) record.description = change.description;
    if (change.precedence !== undefined) record.precedence = change.precedence;
    if (change.roleArn !== undefined) record.roleArn = change.roleArn;
    record.modifiedMs = this.options.now();
  }

  deleteGroup(pool: PoolState, groupName: string): boolean {
    const group = pool.groups.get(groupName);
    if (!group) return false;
    for (const member of group.members.values()) member.groups?.delete(groupName);
    return pool.groups.delete(groupName);
  }

  /** Adds a membership; adding an existing member is a no-op, as in Cognito. */
  addToGroup(group: GroupState, user: UserRecord): void {
    if (group.members.add(user.username, user)) (user.groups ??= new Set()).add(group.record.name);
  }

  removeFromGroup(group: GroupState, user: UserRecord): void {
    group.members.delete(user.username);
    user.groups?.delete(group.record.name);
  }

  // ---- views -------------------------------------------------------------------------------------

  snapshot(poolId: string): PoolSnapshot {
    const pool = this.requirePool(poolId);
    const users = [...pool.users.values()].map((u) => ({
      username: u.username,
      sub: u.sub,
      enabled: u.enabled,
      status: u.status,
      attributes: { ...u.attributes },
      groups: [...(u.groups ?? [])],
    }));
    const groups = [...pool.groups.values()].map((g) => ({
      name: g.record.name,
      ...(g.record.description !== undefined ? { description: g.record.description } : {}),
      ...(g.record.precedence !== undefined ? { precedence: g.record.precedence } : {}),
      ...(g.record.roleArn !== undefined ? { roleArn: g.record.roleArn } : {}),
      members: [...g.members.values()].map((m) => m.username),
    }));
    return { poolId, users, groups };
  }

  // ---- internals ---------------------------------------------------------------------------------

  private checkAttribute(pool: PoolState, name: string, value: unknown): void {
    if (!isWritableStandardAttribute(name) && !pool.customAttributeNames.has(name)) {
      throw schemaError(name, 'Attribute does not exist in the schema.');
    }
    if (typeof value !== 'string') throw schemaError(name, 'Attribute value must be a string.');
    if (value.length > MAX_ATTRIBUTE_VALUE_LENGTH) {
      throw schemaError(name, `String must be no longer than ${MAX_ATTRIBUTE_VALUE_LENGTH} characters`);
    }
    if (name === 'email' && value !== '' && !isEmail(value))
      throw invalidParameter('Invalid email address format.');
    if (name === 'phone_number' && value !== '' && !isPhoneNumber(value)) {
      throw invalidParameter('Invalid phone number format.');
    }
  }

  private subs(pool: PoolState): Set<string> {
    if (!pool.subIndex) pool.subIndex = new Set([...pool.users.values()].map((u) => u.sub));
    return pool.subIndex;
  }

  private newPoolId(): string {
    for (;;) {
      const id = `${this.options.region}_${randomAlphanumeric(9)}`;
      if (!this.pools.has(id)) return id;
    }
  }
}
