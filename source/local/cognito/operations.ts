// SPDX-License-Identifier: Apache-2.0
/**
 * The Cognito Identity Provider operations the emulator serves: validation, behaviour and response
 * shapes as Cognito's JSON 1.1 protocol has them (dates as epoch seconds), plus the quota category of
 * each operation.
 */
import { createHash } from 'node:crypto';
import { CognitoServiceError, groupNotFound, invalidParameter, resourceNotFound } from './errors';
import { filterPredicate, parseFilter } from './filter';
import { ImportJobs, type ImportJob } from './import-jobs';
import { NAME_PATTERN, RequestInput } from './input';
import { SEARCHABLE_ATTRIBUTES, csvHeader, isWritableStandardAttribute, schemaAttributes } from './schema';
import type { CognitoStore, GroupState, PoolState } from './store';
import type {
  AttributeType,
  CognitoEmulatorOptions,
  CustomAttributeDefinition,
  MfaConfiguration,
  QuotaCategory,
  UserRecord,
  UsernameAttribute,
} from './types';

export type ListOperation = 'ListUsers' | 'ListUsersInGroup' | 'ListGroups' | 'AdminListGroupsForUser';

export interface OperationContext {
  store: CognitoStore;
  jobs: ImportJobs;
  now: () => number;
  defaultLimits: Record<ListOperation, number>;
  partialPages: boolean;
}

type Handler = (ctx: OperationContext, input: RequestInput) => unknown;

export interface OperationDefinition {
  category: QuotaCategory;
  handler: Handler;
}

/** Cognito's defaults when `Limit` is omitted: 25 for the user lists (reported), 60 otherwise [verify]. */
export const DEFAULT_LIMITS: Readonly<Record<ListOperation, number>> = {
  ListUsers: 25,
  ListUsersInGroup: 25,
  ListGroups: 60,
  AdminListGroupsForUser: 60,
};

const TOKEN_VALIDITY_MS = 60 * 60 * 1000;

// ---- wire shapes --------------------------------------------------------------------------------

const seconds = (ms: number): number => ms / 1000;

function attributeList(attributes: Record<string, string>, only?: ReadonlySet<string>): AttributeType[] {
  const list: AttributeType[] = [];
  for (const name of Object.keys(attributes)) {
    if (!only || only.has(name)) list.push({ Name: name, Value: attributes[name] as string });
  }
  return list;
}

function userWire(user: UserRecord, only?: ReadonlySet<string>): Record<string, unknown> {
  return {
    Username: user.username,
    Attributes: attributeList(user.attributes, only),
    UserCreateDate: seconds(user.createdMs),
    UserLastModifiedDate: seconds(user.modifiedMs),
    Enabled: user.enabled,
    UserStatus: user.status,
    ...(user.smsMfa === true
      ? { MFAOptions: [{ DeliveryMedium: 'SMS', AttributeName: 'phone_number' }] }
      : {}),
  };
}

function groupWire(pool: PoolState, group: GroupState): Record<string, unknown> {
  const { record } = group;
  return {
    GroupName: record.name,
    UserPoolId: pool.id,
    ...(record.description !== undefined ? { Description: record.description } : {}),
    ...(record.roleArn !== undefined ? { RoleArn: record.roleArn } : {}),
    ...(record.precedence !== undefined ? { Precedence: record.precedence } : {}),
    LastModifiedDate: seconds(record.modifiedMs),
    CreationDate: seconds(record.createdMs),
  };
}

function jobWire(job: ImportJob): Record<string, unknown> {
  return {
    JobName: job.jobName,
    JobId: job.jobId,
    UserPoolId: job.poolId,
    PreSignedUrl: job.preSignedUrl,
    CreationDate: seconds(job.createdMs),
    ...(job.startedMs !== undefined ? { StartDate: seconds(job.startedMs) } : {}),
    ...(job.completedMs !== undefined ? { CompletionDate: seconds(job.completedMs) } : {}),
    Status: job.status,
    CloudWatchLogsRoleArn: job.roleArn,
    ImportedUsers: job.imported,
    SkippedUsers: job.skipped,
    FailedUsers: job.failed,
    ...(job.completionMessage !== undefined ? { CompletionMessage: job.completionMessage } : {}),
  };
}

function mfaConfigWire(pool: PoolState): Record<string, unknown> {
  return {
    MfaConfiguration: pool.mfaConfiguration,
    SoftwareTokenMfaConfiguration: { Enabled: pool.mfaConfiguration !== 'OFF' },
    ...pool.mfaSettings,
  };
}

/** The default password policy's temporary-password validity, which the deprecated member mirrors. */
const DEFAULT_TEMPORARY_PASSWORD_DAYS = 7;

function poolWire(pool: PoolState): Record<string, unknown> {
  return {
    Id: pool.id,
    Name: pool.name,
    Arn: pool.arn,
    Policies: {
      PasswordPolicy: {
        MinimumLength: 8,
        RequireUppercase: true,
        RequireLowercase: true,
        RequireNumbers: true,
        RequireSymbols: true,
        TemporaryPasswordValidityDays: 7,
      },
    },
    DeletionProtection: 'INACTIVE',
    LambdaConfig: {},
    LastModifiedDate: seconds(pool.modifiedMs),
    CreationDate: seconds(pool.createdMs),
    SchemaAttributes: schemaAttributes(pool.customAttributes, pool.requiredAttributes),
    AutoVerifiedAttributes: [...pool.autoVerifiedAttributes],
    ...(pool.usernameAttributes.length > 0 ? { UsernameAttributes: [...pool.usernameAttributes] } : {}),
    ...(pool.aliasAttributes.length > 0 ? { AliasAttributes: [...pool.aliasAttributes] } : {}),
    MfaConfiguration: pool.mfaConfiguration,
    EstimatedNumberOfUsers: pool.users.size,
    AdminCreateUserConfig: { AllowAdminCreateUserOnly: false, UnusedAccountValidityDays: 7 },
    UsernameConfiguration: { CaseSensitive: true },
    AccountRecoverySetting: {
      RecoveryMechanisms: [
        { Priority: 1, Name: 'verified_email' },
        { Priority: 2, Name: 'verified_phone_number' },
      ],
    },
    ...keptSettingsWire(pool),
    ...(Object.keys(pool.tags).length > 0 ? { UserPoolTags: { ...pool.tags } } : {}),
    ...(pool.domain !== undefined ? { Domain: pool.domain } : {}),
  };
}

/**
 * The settings CreateUserPool kept, as DescribeUserPool answers them: the deprecated
 * `UnusedAccountValidityDays` mirrors the password policy's temporary-password validity.
 */
function keptSettingsWire(pool: PoolState): Record<string, unknown> {
  const settings = { ...pool.settings };
  const adminCreate = settings.AdminCreateUserConfig as Record<string, unknown> | undefined;
  if (adminCreate !== undefined) {
    const policies = settings.Policies as
      { PasswordPolicy?: { TemporaryPasswordValidityDays?: number } } | undefined;
    settings.AdminCreateUserConfig = {
      ...adminCreate,
      UnusedAccountValidityDays:
        policies?.PasswordPolicy?.TemporaryPasswordValidityDays ??
        adminCreate.UnusedAccountValidityDays ??
        DEFAULT_TEMPORARY_PASSWORD_DAYS,
    };
  }
  return settings;
}

// ---- pagination tokens --------------------------------------------------------------------------

interface TokenBody {
  /** operation */
  o: string;
  /** pool */
  p: string;
  /** scope: filter, group or user the listing is about */
  c: string;
  /** cursor */
  s: number;
  /** page number (for partialPages) */
  n: number;
  /** issued at (epoch ms) */
  t: number;
}

const scopeHash = (text: string): string =>
  createHash('sha256').update(text).digest('base64url').slice(0, 22);

/** What a token is bound to: operation, pool and scope. */
type TokenScope = Pick<TokenBody, 'o' | 'p' | 'c'>;

function encodeToken(body: TokenBody): string {
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

function decodeToken(
  ctx: OperationContext,
  token: string | undefined,
  expected: TokenScope,
): { cursor: number; page: number } {
  if (token === undefined) return { cursor: 0, page: 0 };
  let body: Partial<TokenBody>;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenBody>;
  } catch {
    throw invalidParameter('Invalid pagination token.');
  }
  if (
    typeof body !== 'object' ||
    body === null ||
    body.o !== expected.o ||
    body.p !== expected.p ||
    body.c !== expected.c ||
    typeof body.s !== 'number' ||
    typeof body.n !== 'number' ||
    typeof body.t !== 'number'
  ) {
    throw invalidParameter('Invalid pagination token.');
  }
  if (ctx.now() - body.t > TOKEN_VALIDITY_MS) throw invalidParameter('The pagination token has expired.');
  return { cursor: body.s, page: body.n };
}

/** The response member that carries the token of the next page (after `cursor`), while items remain. */
function nextToken(
  ctx: OperationContext,
  member: string,
  scope: TokenScope,
  cursor: number,
  page: number,
  more: boolean,
): Record<string, string> {
  return more ? { [member]: encodeToken({ ...scope, s: cursor, n: page + 1, t: ctx.now() }) } : {};
}

function pageLimit(
  ctx: OperationContext,
  limit: number | undefined,
  op: ListOperation,
  page: number,
): number {
  const size = limit === undefined || limit === 0 ? ctx.defaultLimits[op] : limit;
  if (!ctx.partialPages) return size;
  // Full, half, empty (with a token while users remain), and again: pagination must follow tokens only.
  const phase = page % 3;
  return phase === 0 ? size : phase === 1 ? Math.max(1, Math.floor(size / 2)) : 0;
}

// ---- helpers ------------------------------------------------------------------------------------

function requireGroup(pool: PoolState, name: string): GroupState {
  const group = pool.groups.get(name);
  if (!group) throw groupNotFound();
  return group;
}

const groupNameRule = {
  required: true as const,
  max: 128,
  pattern: NAME_PATTERN,
  patternText: '[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+',
};
const usernameRule = { ...groupNameRule, sensitive: true };
const tokenRule = { min: 1, max: 131072 };
const limitRule = { min: 0, max: 60 };
/** PoolName and JobName. */
const plainNameRule = {
  required: true as const,
  max: 128,
  pattern: /^[\w\s+=,.@-]+$/,
  patternText: '[\\w\\s+=,.@-]+',
};
const jobIdRule = {
  required: true as const,
  max: 55,
  pattern: /^import-[0-9a-zA-Z-]+$/,
  patternText: 'import-[0-9a-zA-Z-]+',
};

/** AttributesToGet: only the named attributes; a non-searchable one must be set on every returned user. */
function selectAttributes(users: UserRecord[], names: string[] | undefined): ReadonlySet<string> | undefined {
  if (names === undefined) return undefined;
  const wanted = new Set(names);
  for (const name of wanted) {
    if (SEARCHABLE_ATTRIBUTES.has(name)) continue;
    if (users.some((u) => u.attributes[name] === undefined)) {
      throw invalidParameter(
        `AttributesToGet names ${name}, which is not set for every user in the result. Request only attributes that every user has.`,
      );
    }
  }
  return wanted;
}

function readCustomAttributes(schema: unknown): CustomAttributeDefinition[] {
  if (schema === undefined || schema === null) return [];
  if (!Array.isArray(schema))
    throw new CognitoServiceError('SerializationException', 'Schema must be a list.');
  const custom: CustomAttributeDefinition[] = [];
  for (const entry of schema as Record<string, unknown>[]) {
    const name = typeof entry?.Name === 'string' ? entry.Name : undefined;
    if (!name) throw invalidParameter('Every schema attribute needs a Name.');
    const bare = name.startsWith('custom:') ? name.slice(7) : name;
    if (!name.startsWith('custom:') && (isWritableStandardAttribute(name) || name === 'sub')) continue;
    const strings = entry.StringAttributeConstraints as CustomAttributeDefinition['stringConstraints'];
    const numbers = entry.NumberAttributeConstraints as CustomAttributeDefinition['numberConstraints'];
    custom.push({
      name: bare,
      ...(typeof entry.AttributeDataType === 'string'
        ? { dataType: entry.AttributeDataType as CustomAttributeDefinition['dataType'] }
        : {}),
      ...(typeof entry.Mutable === 'boolean' ? { mutable: entry.Mutable } : {}),
      ...(strings !== undefined && strings !== null ? { stringConstraints: strings } : {}),
      ...(numbers !== undefined && numbers !== null ? { numberConstraints: numbers } : {}),
    });
  }
  return custom;
}

/** The standard attributes a CreateUserPool `Schema` marks Required. */
function readRequiredAttributes(schema: unknown): string[] {
  if (!Array.isArray(schema)) return [];
  return (schema as Record<string, unknown>[])
    .filter((entry) => entry.Required === true && typeof entry.Name === 'string')
    .map((entry) => entry.Name as string)
    .filter((name) => isWritableStandardAttribute(name));
}

/**
 * CreateUserPool members the emulator keeps as given and DescribeUserPool answers (their shapes are
 * Cognito's; the emulator does not act on them).
 */
const KEPT_POOL_SETTINGS = [
  'AccountRecoverySetting',
  'AdminCreateUserConfig',
  'DeletionProtection',
  'DeviceConfiguration',
  'EmailConfiguration',
  'EmailVerificationMessage',
  'EmailVerificationSubject',
  'LambdaConfig',
  'Policies',
  'SmsAuthenticationMessage',
  'SmsConfiguration',
  'SmsVerificationMessage',
  'UserAttributeUpdateSettings',
  'UserPoolAddOns',
  'UserPoolTier',
  'UsernameConfiguration',
  'VerificationMessageTemplate',
] as const;

function readPoolSettings(input: RequestInput): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const member of KEPT_POOL_SETTINGS) {
    const value = input.other(member);
    if (value !== undefined && value !== null) settings[member] = value;
  }
  const adminCreate = settings.AdminCreateUserConfig as Record<string, unknown> | undefined;
  const policies = settings.Policies as { PasswordPolicy?: Record<string, unknown> } | undefined;
  if (
    adminCreate?.UnusedAccountValidityDays !== undefined &&
    policies?.PasswordPolicy?.TemporaryPasswordValidityDays !== undefined
  ) {
    throw invalidParameter(
      'Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays',
    );
  }
  return settings;
}

function readUsernameAttributes(value: unknown): UsernameAttribute[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value))
    throw new CognitoServiceError('SerializationException', 'UsernameAttributes must be a list.');
  return value as UsernameAttribute[];
}

function readMfa(value: string | undefined): MfaConfiguration | undefined {
  if (value === undefined) return undefined;
  if (value !== 'OFF' && value !== 'ON' && value !== 'OPTIONAL') {
    throw invalidParameter(
      `1 validation error detected: Value '${value}' at 'mfaConfiguration' failed to satisfy constraint: Member must satisfy enum value set: [OFF, ON, OPTIONAL]`,
    );
  }
  return value;
}

// ---- operation shapes ---------------------------------------------------------------------------

/** An operation on one pool: UserPoolId validated, then the pool found. */
/** A list of a pool's app clients, resource servers or identity providers, paged by `MaxResults`. */
function pagedPoolList(
  category: QuotaCategory,
  member: string,
  maxResults: { min: number; max: number },
  items: (pool: PoolState) => unknown[],
): OperationDefinition {
  return {
    category,
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const max = input.integer('MaxResults', maxResults) ?? maxResults.max;
      const token = input.string('NextToken', tokenRule);
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      const scope = { o: member, p: poolId, c: '' };
      const { cursor, page } = decodeToken(ctx, token, scope);
      const all = items(pool);
      const size = Math.max(max, 1);
      const slice = all.slice(cursor, cursor + size);
      const next = cursor + slice.length;
      return { [member]: slice, ...nextToken(ctx, 'NextToken', scope, next, page, next < all.length) };
    },
  };
}

function poolOperation(
  category: QuotaCategory,
  act: (ctx: OperationContext, pool: PoolState) => unknown,
): OperationDefinition {
  return {
    category,
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      input.validate();
      return act(ctx, ctx.store.requirePool(poolId));
    },
  };
}

/** An Admin* operation on one user: UserPoolId and Username validated, then the pool and the user found. */
function userOperation(
  category: QuotaCategory,
  act: (ctx: OperationContext, pool: PoolState, user: UserRecord) => unknown,
): OperationDefinition {
  return {
    category,
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const username = input.string('Username', usernameRule);
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      return act(ctx, pool, ctx.store.requireUser(pool, username));
    },
  };
}

/** AdminAddUserToGroup and AdminRemoveUserFromGroup: an unknown group is reported before an unknown user. */
function membershipOperation(
  change: (store: CognitoStore, group: GroupState, user: UserRecord) => void,
): OperationDefinition {
  return {
    category: 'UserResourceUpdate',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const username = input.string('Username', usernameRule);
      const groupName = input.string('GroupName', groupNameRule);
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      const group = requireGroup(pool, groupName);
      change(ctx.store, group, ctx.store.requireUser(pool, username));
      return {};
    },
  };
}

/** An operation on one import job of a pool (UserPoolId and JobId validated); answers the job. */
function importJobOperation(
  category: QuotaCategory,
  act: (jobs: ImportJobs, pool: PoolState, jobId: string) => ImportJob,
): OperationDefinition {
  return {
    category,
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const jobId = input.string('JobId', jobIdRule);
      input.validate();
      return { UserImportJob: jobWire(act(ctx.jobs, ctx.store.requirePool(poolId), jobId)) };
    },
  };
}

// ---- operations ---------------------------------------------------------------------------------

export const OPERATIONS: Readonly<Record<string, OperationDefinition>> = {
  ListUsers: {
    category: 'UserList',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const names = input.stringList('AttributesToGet', { min: 0, max: 32 });
      const limit = input.integer('Limit', limitRule);
      const token = input.string('PaginationToken', tokenRule);
      const filterText = input.string('Filter', { max: 256 });
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      const filter = parseFilter(filterText);
      // The token binds the filter by hash: tokens travel through workflow state, values must not.
      const scope = {
        o: 'ListUsers',
        p: poolId,
        c: filter ? scopeHash(`${filter.attribute}${filter.operator}${filter.value}`) : '',
      };
      const { cursor, page } = decodeToken(ctx, token, scope);
      const result = pool.users.page(
        cursor,
        pageLimit(ctx, limit, 'ListUsers', page),
        filter ? filterPredicate(filter) : undefined,
      );
      const selected = selectAttributes(result.items, names);
      return {
        Users: result.items.map((u) => userWire(u, selected)),
        ...nextToken(ctx, 'PaginationToken', scope, result.lastSeq, page, result.more),
      };
    },
  },

  ListUsersInGroup: {
    category: 'UserList',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const groupName = input.string('GroupName', groupNameRule);
      const limit = input.integer('Limit', limitRule);
      const token = input.string('NextToken', tokenRule);
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      const group = requireGroup(pool, groupName);
      const scope = { o: 'ListUsersInGroup', p: poolId, c: groupName };
      const { cursor, page } = decodeToken(ctx, token, scope);
      const result = group.members.page(cursor, pageLimit(ctx, limit, 'ListUsersInGroup', page));
      return {
        Users: result.items.map((u) => userWire(u)),
        ...nextToken(ctx, 'NextToken', scope, result.lastSeq, page, result.more),
      };
    },
  },

  ListGroups: {
    category: 'UserPoolResourceRead',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const limit = input.integer('Limit', limitRule);
      const token = input.string('NextToken', tokenRule);
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      const scope = { o: 'ListGroups', p: poolId, c: '' };
      const { cursor, page } = decodeToken(ctx, token, scope);
      const result = pool.groups.page(cursor, pageLimit(ctx, limit, 'ListGroups', page));
      return {
        Groups: result.items.map((g) => groupWire(pool, g)),
        ...nextToken(ctx, 'NextToken', scope, result.lastSeq, page, result.more),
      };
    },
  },

  AdminListGroupsForUser: {
    category: 'UserResourceRead',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const username = input.string('Username', usernameRule);
      const limit = input.integer('Limit', limitRule);
      const token = input.string('NextToken', tokenRule);
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      const user = ctx.store.requireUser(pool, username);
      const scope = { o: 'AdminListGroupsForUser', p: poolId, c: scopeHash(user.username) };
      const { cursor, page } = decodeToken(ctx, token, scope);
      // A user belongs to at most 100 groups, so an index cursor over the membership order is enough.
      const names = [...(user.groups ?? [])];
      const size = pageLimit(ctx, limit, 'AdminListGroupsForUser', page);
      const slice = names.slice(cursor, cursor + size);
      const next = cursor + slice.length;
      return {
        Groups: slice.map((name) => groupWire(pool, requireGroup(pool, name))),
        ...nextToken(ctx, 'NextToken', scope, next, page, next < names.length),
      };
    },
  },

  DescribeUserPool: poolOperation('UserPoolRead', (_ctx, pool) => ({ UserPool: poolWire(pool) })),

  ListUserPools: {
    category: 'UserPoolRead',
    handler: (ctx, input) => {
      const max = input.integer('MaxResults', { min: 1, max: 60, required: true }) ?? 60;
      const token = input.string('NextToken', tokenRule);
      input.validate();
      const ids = ctx.store.poolIds();
      const scope = { o: 'ListUserPools', p: '', c: '' };
      const { cursor, page } = decodeToken(ctx, token, scope);
      const slice = ids.slice(cursor, cursor + max);
      const next = cursor + slice.length;
      return {
        UserPools: slice.map((id) => {
          const pool = ctx.store.requirePool(id);
          return {
            Id: pool.id,
            Name: pool.name,
            LambdaConfig: {},
            LastModifiedDate: seconds(pool.modifiedMs),
            CreationDate: seconds(pool.createdMs),
          };
        }),
        ...nextToken(ctx, 'NextToken', scope, next, page, next < ids.length),
      };
    },
  },

  CreateUserPool: {
    category: 'UserPoolUpdate',
    handler: (ctx, input) => {
      const name = input.string('PoolName', plainNameRule);
      const mfa = readMfa(input.string('MfaConfiguration'));
      input.validate();
      const autoVerified = input.other('AutoVerifiedAttributes');
      const tags = input.other('UserPoolTags');
      const aliases = input.other('AliasAttributes');
      const schema = input.other('Schema');
      const required = readRequiredAttributes(schema);
      const pool = ctx.store.createUserPool({
        details: { settings: readPoolSettings(input) },
        ...(Array.isArray(aliases) ? { aliasAttributes: aliases as string[] } : {}),
        ...(required.length > 0 ? { requiredAttributes: required } : {}),
        ...(tags !== null && typeof tags === 'object' && !Array.isArray(tags)
          ? { tags: Object.fromEntries(Object.entries(tags).map(([key, value]) => [key, String(value)])) }
          : {}),
        name,
        usernameAttributes: readUsernameAttributes(input.other('UsernameAttributes')) ?? [],
        ...(Array.isArray(autoVerified)
          ? { autoVerifiedAttributes: autoVerified as UsernameAttribute[] }
          : {}),
        customAttributes: readCustomAttributes(schema),
        ...(mfa ? { mfaConfiguration: mfa } : {}),
      });
      return { UserPool: poolWire(pool) };
    },
  },

  DeleteUserPool: poolOperation('UserPoolUpdate', (ctx, pool) => {
    ctx.store.deleteUserPool(pool.id);
    return {};
  }),

  GetUserPoolMfaConfig: poolOperation('UserPoolRead', (_ctx, pool) => mfaConfigWire(pool)),

  // The export's configuration record reads these; a restore target created from the backup is
  // built with the create calls. Shapes as in the Cognito API reference.
  ListUserPoolClients: pagedPoolList('UserPoolClientRead', 'UserPoolClients', { min: 1, max: 60 }, (pool) =>
    [...pool.clients.values()].map((client) => ({
      ClientId: client.ClientId,
      UserPoolId: pool.id,
      ClientName: client.ClientName,
    })),
  ),
  ListResourceServers: pagedPoolList(
    'UserPoolResourceRead',
    'ResourceServers',
    { min: 1, max: 50 },
    (pool) => [...pool.resourceServers.values()],
  ),
  ListIdentityProviders: pagedPoolList('UserPoolResourceRead', 'Providers', { min: 0, max: 60 }, (pool) =>
    [...pool.identityProviders.values()].map((provider) => ({
      ProviderName: provider.ProviderName,
      ProviderType: provider.ProviderType,
      LastModifiedDate: provider.LastModifiedDate,
      CreationDate: provider.CreationDate,
    })),
  ),
  DescribeUserPoolClient: {
    category: 'UserPoolClientRead',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const clientId = input.string('ClientId', { required: true, min: 1, max: 128 });
      input.validate();
      const client = ctx.store.requirePool(poolId).clients.get(clientId ?? '');
      if (client === undefined) throw resourceNotFound(`User pool client ${clientId ?? ''} does not exist.`);
      return { UserPoolClient: client };
    },
  },
  DescribeIdentityProvider: {
    category: 'UserPoolResourceRead',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const name = input.string('ProviderName', { required: true, min: 1, max: 32 });
      input.validate();
      const provider = ctx.store.requirePool(poolId).identityProviders.get(name ?? '');
      if (provider === undefined) throw resourceNotFound('Identity provider does not exist.');
      return { IdentityProvider: provider };
    },
  },
  DescribeResourceServer: {
    category: 'UserPoolResourceRead',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const identifier = input.string('Identifier', { required: true, min: 1, max: 256 });
      input.validate();
      const server = ctx.store.requirePool(poolId).resourceServers.get(identifier ?? '');
      if (server === undefined) throw resourceNotFound(`Resource server ${identifier ?? ''} does not exist.`);
      return { ResourceServer: server };
    },
  },
  CreateUserPoolClient: {
    category: 'UserPoolClientUpdate',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      input.string('ClientName', { required: true, min: 1, max: 128 });
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      const { UserPoolId: _pool, ...request } = input.all();
      return { UserPoolClient: ctx.store.createClient(pool, request) };
    },
  },
  CreateResourceServer: {
    category: 'UserPoolResourceUpdate',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      input.string('Identifier', { required: true, min: 1, max: 256 });
      input.string('Name', { required: true, min: 1, max: 256 });
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      const { UserPoolId: _pool, ...request } = input.all();
      return { ResourceServer: ctx.store.createResourceServer(pool, request) };
    },
  },
  CreateIdentityProvider: {
    category: 'UserPoolResourceUpdate',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      input.string('ProviderName', { required: true, min: 1, max: 32 });
      input.string('ProviderType', { required: true });
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      const { UserPoolId: _pool, ...request } = input.all();
      return { IdentityProvider: ctx.store.createIdentityProvider(pool, request) };
    },
  },
  CreateUserPoolDomain: {
    category: 'UserPoolResourceUpdate',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const domain = input.string('Domain', { required: true, min: 1, max: 63 });
      input.validate();
      ctx.store.createDomain(ctx.store.requirePool(poolId), domain ?? '');
      return {};
    },
  },
  DescribeUserPoolDomain: {
    category: 'UserPoolRead',
    handler: (ctx, input) => {
      const domain = input.string('Domain', { required: true, min: 1, max: 63 });
      input.validate();
      const pool = ctx.store.poolOfDomain(domain ?? '');
      // Cognito answers an empty description for a domain that does not exist.
      if (pool === undefined) return { DomainDescription: {} };
      return {
        DomainDescription: {
          UserPoolId: pool.id,
          AWSAccountId: pool.arn.split(':')[4],
          Domain: pool.domain,
          Status: 'ACTIVE',
          Version: '1',
        },
      };
    },
  },

  SetUserPoolMfaConfig: {
    category: 'UserPoolUpdate',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const mfa = readMfa(input.string('MfaConfiguration'));
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      if (mfa) {
        pool.mfaConfiguration = mfa;
        pool.modifiedMs = ctx.now();
      }
      for (const member of [
        'SmsMfaConfiguration',
        'SoftwareTokenMfaConfiguration',
        'EmailMfaConfiguration',
        'WebAuthnConfiguration',
      ]) {
        const value = input.other(member);
        if (value !== undefined && value !== null) pool.mfaSettings[member] = value;
      }
      return mfaConfigWire(pool);
    },
  },

  CreateGroup: {
    category: 'UserPoolResourceUpdate',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const groupName = input.string('GroupName', groupNameRule);
      const description = input.string('Description', { max: 2048 });
      const roleArn = input.string('RoleArn', { min: 20, max: 2048 });
      const precedence = input.integer('Precedence', { min: 0, max: 2147483647 });
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      const group = ctx.store.createGroup(pool, {
        name: groupName,
        ...(description !== undefined ? { description } : {}),
        ...(roleArn !== undefined ? { roleArn } : {}),
        ...(precedence !== undefined ? { precedence } : {}),
      });
      return { Group: groupWire(pool, group) };
    },
  },

  GetGroup: {
    category: 'UserPoolResourceRead',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const groupName = input.string('GroupName', groupNameRule);
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      return { Group: groupWire(pool, requireGroup(pool, groupName)) };
    },
  },

  UpdateGroup: {
    category: 'UserPoolResourceUpdate',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const groupName = input.string('GroupName', groupNameRule);
      const description = input.string('Description', { max: 2048 });
      const roleArn = input.string('RoleArn', { min: 20, max: 2048 });
      const precedence = input.integer('Precedence', { min: 0, max: 2147483647 });
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      const group = requireGroup(pool, groupName);
      ctx.store.updateGroup(group, {
        ...(description !== undefined ? { description } : {}),
        ...(roleArn !== undefined ? { roleArn } : {}),
        ...(precedence !== undefined ? { precedence } : {}),
      });
      return { Group: groupWire(pool, group) };
    },
  },

  DeleteGroup: {
    category: 'UserPoolResourceUpdate',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const groupName = input.string('GroupName', groupNameRule);
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      requireGroup(pool, groupName);
      ctx.store.deleteGroup(pool, groupName);
      return {};
    },
  },

  AdminAddUserToGroup: membershipOperation((store, group, user) => store.addToGroup(group, user)),

  AdminRemoveUserFromGroup: membershipOperation((store, group, user) => store.removeFromGroup(group, user)),

  AdminDisableUser: userOperation('UserUpdate', (ctx, _pool, user) => {
    ctx.store.setUserEnabled(user, false);
    return {};
  }),

  AdminEnableUser: userOperation('UserUpdate', (ctx, _pool, user) => {
    ctx.store.setUserEnabled(user, true);
    return {};
  }),

  AdminUpdateUserAttributes: {
    category: 'UserUpdate',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const username = input.string('Username', usernameRule);
      const attributes = input.attributeList('UserAttributes');
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      ctx.store.updateUserAttributes(pool, ctx.store.requireUser(pool, username), attributes);
      return {};
    },
  },

  AdminDeleteUserAttributes: {
    category: 'UserUpdate',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const username = input.string('Username', usernameRule);
      const names = input.stringList('UserAttributeNames', { min: 0, max: 100 }) ?? [];
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      ctx.store.deleteUserAttributes(pool, ctx.store.requireUser(pool, username), names);
      return {};
    },
  },

  AdminSetUserPassword: {
    category: 'UserUpdate',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const username = input.string('Username', usernameRule);
      const password = input.string('Password', { required: true, max: 256, sensitive: true });
      const permanent = input.boolean('Permanent');
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      const user = ctx.store.requireUser(pool, username);
      // A permanent password confirms the user (CONFIRMED); a temporary one asks for a new one at sign-in.
      // No message is sent either way. Only a digest is kept: it tells whether a password changed.
      ctx.store.setUserPassword(user, password ?? '');
      ctx.store.setUserStatus(user, permanent === true ? 'CONFIRMED' : 'FORCE_CHANGE_PASSWORD');
      return {};
    },
  },

  AdminDeleteUser: userOperation('UserUpdate', (ctx, pool, user) => {
    ctx.store.deleteUser(pool, user);
    return {};
  }),

  AdminGetUser: userOperation('UserRead', (_ctx, _pool, user) => ({
    Username: user.username,
    UserAttributes: attributeList(user.attributes),
    UserCreateDate: seconds(user.createdMs),
    UserLastModifiedDate: seconds(user.modifiedMs),
    Enabled: user.enabled,
    UserStatus: user.status,
  })),

  AdminCreateUser: {
    category: 'UserCreation',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const username = input.string('Username', usernameRule);
      const messageAction = input.string('MessageAction');
      input.string('TemporaryPassword', { min: 0, max: 256, sensitive: true });
      input.validate();
      if (messageAction !== undefined && messageAction !== 'RESEND' && messageAction !== 'SUPPRESS') {
        throw invalidParameter(
          `1 validation error detected: Value '${messageAction}' at 'messageAction' failed to satisfy constraint: Member must satisfy enum value set: [RESEND, SUPPRESS]`,
        );
      }
      const pool = ctx.store.requirePool(poolId);
      if (messageAction === 'RESEND') return { User: userWire(ctx.store.requireUser(pool, username)) };
      const user = ctx.store.createUser(pool, {
        username,
        attributes: input.attributeList('UserAttributes'),
        enabled: true,
        status: 'FORCE_CHANGE_PASSWORD',
      });
      return { User: userWire(user) };
    },
  },

  GetCSVHeader: poolOperation('UserPoolResourceRead', (_ctx, pool) => ({
    UserPoolId: pool.id,
    CSVHeader: csvHeader(pool.customAttributes),
  })),

  CreateUserImportJob: {
    category: 'UserPoolResourceUpdate',
    handler: (ctx, input) => {
      const jobName = input.string('JobName', plainNameRule);
      const poolId = input.userPoolId();
      const roleArn = input.string('CloudWatchLogsRoleArn', {
        required: true,
        min: 20,
        max: 2048,
        pattern:
          /^arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?$/,
        patternText:
          'arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?',
      });
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      return { UserImportJob: jobWire(ctx.jobs.create(pool, jobName, roleArn)) };
    },
  },

  StartUserImportJob: importJobOperation('UserPoolResourceUpdate', (jobs, pool, jobId) =>
    jobs.start(pool, jobId),
  ),

  StopUserImportJob: importJobOperation('UserPoolResourceUpdate', (jobs, pool, jobId) =>
    jobs.stop(pool, jobId),
  ),

  DescribeUserImportJob: importJobOperation('UserPoolResourceRead', (jobs, pool, jobId) =>
    jobs.require(pool, jobId),
  ),

  ListUserImportJobs: {
    category: 'UserPoolResourceRead',
    handler: (ctx, input) => {
      const poolId = input.userPoolId();
      const max = input.integer('MaxResults', { min: 1, max: 60, required: true }) ?? 60;
      const token = input.string('PaginationToken', tokenRule);
      input.validate();
      const pool = ctx.store.requirePool(poolId);
      const scope = { o: 'ListUserImportJobs', p: poolId, c: '' };
      const { cursor, page } = decodeToken(ctx, token, scope);
      const result = pool.importJobs.page(cursor, max);
      return {
        UserImportJobs: result.items.map((job) => jobWire(ctx.jobs.require(pool, job.jobId))),
        ...nextToken(ctx, 'PaginationToken', scope, result.lastSeq, page, result.more),
      };
    },
  },
};

/** Default limits merged with the caller's overrides. */
export function resolveDefaultLimits(options: CognitoEmulatorOptions): Record<ListOperation, number> {
  return { ...DEFAULT_LIMITS, ...options.defaultLimits };
}
