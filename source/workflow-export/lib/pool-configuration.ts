// SPDX-License-Identifier: Apache-2.0
/**
 * The pool's configuration as the backup records it: what `DescribeUserPool`, `GetUserPoolMfaConfig`,
 * `DescribeUserPoolClient`, `DescribeIdentityProvider` and `ListResourceServers` return, limited to
 * the members that the matching create calls (`CreateUserPool`, `SetUserPoolMfaConfig`,
 * `CreateUserPoolClient`, `CreateIdentityProvider`, `CreateResourceServer`) can set again. Read-only
 * members (ids, dates, status, estimates) are left out: a new pool gets its own.
 *
 * The domains are recorded by name, as `DescribeUserPool` gives them: `DescribeUserPoolDomain` (the
 * custom domain's certificate, the managed login version) can only be allowed on every resource, and
 * no role of this solution is.
 *
 * Never a secret: app client secrets and identity-provider secrets (`client_secret`, Apple's
 * `private_key`, ...) are not recorded; the record says only that they exist, so that whoever rebuilds
 * the pool knows which ones to supply. Members are picked by name, so a member that a later API
 * version adds is left out until it is listed here.
 */
import {
  DescribeIdentityProviderCommand,
  DescribeUserPoolClientCommand,
  GetUserPoolMfaConfigCommand,
  ListIdentityProvidersCommand,
  ListResourceServersCommand,
  ListUserPoolClientsCommand,
  type CreateIdentityProviderRequest,
  type CreateResourceServerRequest,
  type CreateUserPoolClientRequest,
  type CreateUserPoolRequest,
  type GetUserPoolMfaConfigResponse,
  type IdentityProviderType,
  type ResourceServerType,
  type SetUserPoolMfaConfigRequest,
  type UserPoolClientType,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { RateLimitedCognito } from '../../utils/cognito';

/** `CreateUserPool` members that `DescribeUserPool` returns under the same name. */
export const USER_POOL_MEMBERS = [
  'AccountRecoverySetting',
  'AdminCreateUserConfig',
  'AliasAttributes',
  'AutoVerifiedAttributes',
  'DeletionProtection',
  'DeviceConfiguration',
  'EmailConfiguration',
  'EmailVerificationMessage',
  'EmailVerificationSubject',
  'LambdaConfig',
  'MfaConfiguration',
  'Policies',
  'SmsAuthenticationMessage',
  'SmsConfiguration',
  'SmsVerificationMessage',
  'UserAttributeUpdateSettings',
  'UserPoolAddOns',
  'UserPoolTags',
  'UserPoolTier',
  'UsernameAttributes',
  'UsernameConfiguration',
  'VerificationMessageTemplate',
] as const satisfies readonly (keyof UserPoolType & keyof CreateUserPoolRequest)[];

/**
 * `CreateUserPoolClient` members that `DescribeUserPoolClient` returns, but `ClientSecret` (a secret:
 * never recorded; `GenerateSecret` says whether the client had one).
 */
export const CLIENT_MEMBERS = [
  'AccessTokenValidity',
  'AllowedOAuthFlows',
  'AllowedOAuthFlowsUserPoolClient',
  'AllowedOAuthScopes',
  'AnalyticsConfiguration',
  'AuthSessionValidity',
  'CallbackURLs',
  'ClientName',
  'DefaultRedirectURI',
  'EnablePropagateAdditionalUserContextData',
  'EnableTokenRevocation',
  'ExplicitAuthFlows',
  'IdTokenValidity',
  'LogoutURLs',
  'PreventUserExistenceErrors',
  'ReadAttributes',
  'RefreshTokenRotation',
  'RefreshTokenValidity',
  'SupportedIdentityProviders',
  'TokenValidityUnits',
  'WriteAttributes',
] as const satisfies readonly (keyof UserPoolClientType & keyof CreateUserPoolClientRequest)[];

export const MFA_MEMBERS = [
  'EmailMfaConfiguration',
  'MfaConfiguration',
  'SmsMfaConfiguration',
  'SoftwareTokenMfaConfiguration',
  'WebAuthnConfiguration',
] as const satisfies readonly (keyof GetUserPoolMfaConfigResponse & keyof SetUserPoolMfaConfigRequest)[];

export const RESOURCE_SERVER_MEMBERS = [
  'Identifier',
  'Name',
  'Scopes',
] as const satisfies readonly (keyof ResourceServerType & keyof CreateResourceServerRequest)[];

export const IDENTITY_PROVIDER_MEMBERS = [
  'AttributeMapping',
  'IdpIdentifiers',
  'ProviderDetails',
  'ProviderName',
  'ProviderType',
] as const satisfies readonly (keyof IdentityProviderType & keyof CreateIdentityProviderRequest)[];

/**
 * Identity-provider details that hold a secret: OIDC, Google, Facebook, Login with Amazon
 * (`client_secret`) and Sign in with Apple (`private_key`). Any other key whose name says secret,
 * private, password or token is left out too, in case a provider type adds one.
 */
const SECRET_DETAIL = /secret|private|password|token/i;

type Picked<T, K extends readonly (keyof T)[]> = Pick<T, K[number]>;

function pick<T extends object, K extends readonly (keyof T)[]>(source: T, members: K): Picked<T, K> {
  const out: Partial<T> = {};
  for (const member of members) if (source[member] !== undefined) out[member] = source[member];
  return out as Picked<T, K>;
}

export interface RecordedClient {
  /** The source pool's client id: the restore maps it to the new one. */
  ClientId: string;
  /** `CreateUserPoolClient` input (without the pool id); `GenerateSecret` true where the client had a secret. */
  Settings: Picked<UserPoolClientType, typeof CLIENT_MEMBERS> & { GenerateSecret?: boolean };
}

export interface RecordedIdentityProvider {
  /** `CreateIdentityProvider` input (without the pool id), with the secret details left out. */
  Settings: Picked<IdentityProviderType, typeof IDENTITY_PROVIDER_MEMBERS>;
  /** The `ProviderDetails` keys that held a secret and were not recorded: the operator supplies them. */
  SecretsLeftOut: string[];
}

/** The record's format; a reader refuses a version it does not know. */
export const POOL_CONFIGURATION_FORMAT = 1;

export interface PoolConfiguration {
  FormatVersion: typeof POOL_CONFIGURATION_FORMAT;
  /** The backed-up pool and where and when its configuration was read. */
  Source: { UserPoolId: string; Region: string; RecordedAt: string };
  /** `CreateUserPool` input: the members above, `PoolName` and `Schema`. */
  UserPool: Picked<UserPoolType, typeof USER_POOL_MEMBERS> & {
    PoolName?: string;
    Schema?: UserPoolType['SchemaAttributes'];
  };
  /** `SetUserPoolMfaConfig` input (without the pool id). */
  Mfa: Picked<GetUserPoolMfaConfigResponse, typeof MFA_MEMBERS>;
  Clients: RecordedClient[];
  ResourceServers: Picked<ResourceServerType, typeof RESOURCE_SERVER_MEMBERS>[];
  IdentityProviders: RecordedIdentityProvider[];
  /** The prefix domain and the custom domain (`Custom: true`; its certificate is not recorded). */
  Domains: { Domain: string; Custom?: true }[];
}

export function recordUserPool(pool: UserPoolType): PoolConfiguration['UserPool'] {
  return {
    ...(pool.Name !== undefined ? { PoolName: pool.Name } : {}),
    ...(pool.SchemaAttributes !== undefined ? { Schema: pool.SchemaAttributes } : {}),
    ...pick(pool, USER_POOL_MEMBERS),
  };
}

export function recordClient(client: UserPoolClientType): RecordedClient {
  const settings: RecordedClient['Settings'] = pick(client, CLIENT_MEMBERS);
  if (client.ClientSecret !== undefined && client.ClientSecret !== '') settings.GenerateSecret = true;
  return { ClientId: client.ClientId ?? '', Settings: settings };
}

export function recordIdentityProvider(provider: IdentityProviderType): RecordedIdentityProvider {
  const settings = pick(provider, IDENTITY_PROVIDER_MEMBERS);
  const secretsLeftOut: string[] = [];
  if (provider.ProviderDetails !== undefined) {
    const details: Record<string, string> = {};
    for (const [key, value] of Object.entries(provider.ProviderDetails)) {
      if (SECRET_DETAIL.test(key)) secretsLeftOut.push(key);
      else details[key] = value;
    }
    settings.ProviderDetails = details;
  }
  return { Settings: settings, SecretsLeftOut: secretsLeftOut.sort() };
}

/** Every page of a Cognito list call, following its `NextToken`. */
async function allPages<T>(
  page: (token: string | undefined) => Promise<{ items: T[]; next?: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const answer = await page(token);
    items.push(...answer.items);
    token = answer.next;
  } while (token !== undefined && token !== '');
  return items;
}

/**
 * Reads the configuration of the described pool: its MFA settings, every app client, resource server
 * and identity provider. One call at a time through the limiter: the client and
 * provider reads are capped per pool by Cognito, and a pool has few of them.
 */
export async function readPoolConfiguration(
  pool: UserPoolType,
  deps: { cognito: RateLimitedCognito; region: string; now: () => number },
): Promise<PoolConfiguration> {
  const { cognito } = deps;
  const UserPoolId = pool.Id ?? '';
  const mfa = await cognito.send(new GetUserPoolMfaConfigCommand({ UserPoolId }));
  const clientIds = await allPages(async (NextToken) => {
    const answer = await cognito.send(
      new ListUserPoolClientsCommand({ UserPoolId, MaxResults: 60, NextToken }),
    );
    return { items: answer.UserPoolClients ?? [], next: answer.NextToken };
  });
  const clients: RecordedClient[] = [];
  for (const { ClientId } of clientIds) {
    const answer = await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId, ClientId }));
    if (answer.UserPoolClient !== undefined) clients.push(recordClient(answer.UserPoolClient));
  }
  const resourceServers = await allPages(async (NextToken) => {
    const answer = await cognito.send(
      new ListResourceServersCommand({ UserPoolId, MaxResults: 50, NextToken }),
    );
    return { items: answer.ResourceServers ?? [], next: answer.NextToken };
  });
  const providers = await allPages(async (NextToken) => {
    const answer = await cognito.send(
      new ListIdentityProvidersCommand({ UserPoolId, MaxResults: 60, NextToken }),
    );
    return { items: answer.Providers ?? [], next: answer.NextToken };
  });
  const identityProviders: RecordedIdentityProvider[] = [];
  for (const { ProviderName } of providers) {
    const answer = await cognito.send(new DescribeIdentityProviderCommand({ UserPoolId, ProviderName }));
    if (answer.IdentityProvider !== undefined)
      identityProviders.push(recordIdentityProvider(answer.IdentityProvider));
  }
  const domains: PoolConfiguration['Domains'] = [];
  if (pool.Domain !== undefined && pool.Domain !== '') domains.push({ Domain: pool.Domain });
  if (pool.CustomDomain !== undefined && pool.CustomDomain !== '')
    domains.push({ Domain: pool.CustomDomain, Custom: true });
  return {
    FormatVersion: POOL_CONFIGURATION_FORMAT,
    Source: { UserPoolId, Region: deps.region, RecordedAt: new Date(deps.now()).toISOString() },
    UserPool: recordUserPool(pool),
    Mfa: pick(mfa, MFA_MEMBERS),
    Clients: clients,
    ResourceServers: resourceServers.map((server) => pick(server, RESOURCE_SERVER_MEMBERS)),
    IdentityProviders: identityProviders,
    Domains: domains,
  };
}
