// SPDX-License-Identifier: Apache-2.0
/**
 * The plan of a restore target created from the backup: the `CreateUserPool`, `SetUserPoolMfaConfig`,
 * `CreateResourceServer`, `CreateIdentityProvider`, `CreateUserPoolClient` and `CreateUserPoolDomain`
 * inputs that rebuild the recorded pool in the Region where the ImportWorkflow runs. Pure: the calls are
 * made by `create-user-pool.ts`.
 *
 * - An ARN of another Region (a Lambda trigger, an SES identity, a KMS key) does not work here: the
 *   input's `ArnMap` replaces it, or the setting that holds it is left out and listed. ARNs without a
 *   Region (IAM roles, such as the SMS role) work in every Region and are kept.
 * - An identity provider whose secret was not recorded (`client_secret`, Apple's `private_key`) cannot
 *   be created without it: it is listed for the operator, and the clients do not name it.
 * - Nothing here holds a secret: the record has none, and the new clients' secrets are never read back.
 */
import type {
  CreateIdentityProviderRequest,
  CreateResourceServerRequest,
  CreateUserPoolClientRequest,
  CreateUserPoolRequest,
  SchemaAttributeType,
  SetUserPoolMfaConfigRequest,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  POOL_CONFIGURATION_FORMAT,
  type PoolConfiguration,
} from '../../workflow-export/lib/pool-configuration';
import type { SfnContextObject } from '../../utils/step-functions';

/** The execution-input field that asks the workflow to create the target pool from the backup. */
export const CREATE_USER_POOL_INPUT = 'CreateUserPool';

/** The tags every created pool carries: the import roles act only on restore targets. */
export const RESTORE_TARGET_TAGS = {
  target: 'cognito-backup-restore-target',
  /** The execution that created the pool: a retried step finds its pool by it. */
  execution: 'cognito-backup-restore-execution',
  /** The backed-up pool the configuration was recorded from. */
  source: 'cognito-backup-restore-source',
} as const;

export interface CreateUserPoolInput {
  PoolName: string;
  /** The prefix domain to create (`<prefix>.auth.<region>.amazoncognito.com`); none without it. */
  DomainPrefix?: string;
  /** Source ARN → ARN to use instead (a trigger, an SES identity, a KMS key of this Region). */
  ArnMap: Record<string, string>;
  /**
   * The pool is a restore drill's scratch pool (the RestoreDrillWorkflow sets it): created without the
   * recorded Lambda triggers, so that a drill invokes none of the operator's functions (a custom message
   * or sender would reach users), and the ImportWorkflow leaves its notifications to the drill's.
   */
  RestoreDrill?: true;
}

export class InvalidCreateUserPoolError extends Error {
  override readonly name = 'InvalidCreateUserPoolError';
}

/** A backup written without a configuration item (by v1.0.10) cannot rebuild its pool. */
export class NoPoolConfigurationError extends Error {
  override readonly name = 'NoPoolConfigurationError';
}

const POOL_NAME = /^[\w\s+=,.@-]{1,128}$/;
const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ARN = /^arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*):[0-9]*:\S+$/;

/**
 * `Context.Execution.Input.CreateUserPool`, checked; undefined when the input names `NewUserPoolId`
 * instead. Both at once, neither, `Resume` with a pool still to create, or a malformed field are refused.
 */
export function createUserPoolInput(context: SfnContextObject | undefined): CreateUserPoolInput | undefined {
  const input = (context?.Execution?.Input ?? {}) as Record<string, unknown>;
  const raw = input[CREATE_USER_POOL_INPUT];
  if (raw === undefined || raw === null) return undefined;
  const problems: string[] = [];
  if (input.NewUserPoolId !== undefined)
    problems.push(`give either NewUserPoolId or ${CREATE_USER_POOL_INPUT}, not both`);
  if (input.Resume === true)
    problems.push(
      `Resume continues a restore into an existing pool: start it with that pool's NewUserPoolId, not ${CREATE_USER_POOL_INPUT}`,
    );
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push(`${CREATE_USER_POOL_INPUT} must be an object such as {"PoolName": "restored-pool"}`);
    throw new InvalidCreateUserPoolError(problems.join('; '));
  }
  const fields = raw as Record<string, unknown>;
  const known = new Set(['PoolName', 'DomainPrefix', 'ArnMap', 'RestoreDrill']);
  for (const key of Object.keys(fields))
    if (!known.has(key)) problems.push(`${CREATE_USER_POOL_INPUT}.${key} is not a known field`);
  const name = fields.PoolName;
  if (typeof name !== 'string' || !POOL_NAME.test(name))
    problems.push('PoolName must be 1 to 128 letters, digits, spaces or + = , . @ - _');
  const domain = fields.DomainPrefix;
  if (domain !== undefined && (typeof domain !== 'string' || !DOMAIN_PREFIX.test(domain)))
    problems.push(
      'DomainPrefix must be lower-case letters, digits and hyphens (at most 63, no hyphen at either end)',
    );
  const drill = fields.RestoreDrill;
  if (drill !== undefined && drill !== true)
    problems.push('RestoreDrill is set by the RestoreDrillWorkflow only, to true');
  const arnMap: Record<string, string> = {};
  const map = fields.ArnMap;
  if (map !== undefined) {
    if (map === null || typeof map !== 'object' || Array.isArray(map)) {
      problems.push('ArnMap must be an object of ARN → ARN');
    } else {
      for (const [from, to] of Object.entries(map as Record<string, unknown>)) {
        if (!ARN.test(from) || typeof to !== 'string' || !ARN.test(to))
          problems.push(`ArnMap: ${JSON.stringify(from).slice(0, 80)} must map an ARN to an ARN`);
        else arnMap[from] = to;
      }
    }
  }
  if (problems.length > 0)
    throw new InvalidCreateUserPoolError(`${CREATE_USER_POOL_INPUT}: ${problems.join('; ')}`);
  return {
    PoolName: name as string,
    ...(typeof domain === 'string' ? { DomainPrefix: domain } : {}),
    ArnMap: arnMap,
    ...(drill === true ? { RestoreDrill: true as const } : {}),
  };
}

/** The recorded configuration, checked; the message tells the operator what to do without one. */
export function recordedConfiguration(raw: unknown): PoolConfiguration {
  if (raw === undefined) {
    throw new NoPoolConfigurationError(
      `This backup has no configuration item (it was written by v1.0.10 or before the first ExportWorkflow of ` +
        `this version), so the pool cannot be created from it: create the new user pool by hand, tag it ` +
        `cognito-backup-restore-target=true, and start the ImportWorkflow with its NewUserPoolId (the target ` +
        `check compares it with the backed-up users).`,
    );
  }
  const format = (raw as { FormatVersion?: unknown } | null)?.FormatVersion;
  if (format !== POOL_CONFIGURATION_FORMAT) {
    throw new NoPoolConfigurationError(
      `The backup's configuration item has format ${String(format)}, which this version cannot create a pool from`,
    );
  }
  return raw as PoolConfiguration;
}

export interface PlannedClient {
  /** The source pool's client id. */
  OldClientId: string;
  Request: Omit<CreateUserPoolClientRequest, 'UserPoolId'>;
}

export interface CreationPlan {
  UserPool: CreateUserPoolRequest;
  /** Undefined when the recorded pool had MFA off and nothing configured. */
  Mfa?: Omit<SetUserPoolMfaConfigRequest, 'UserPoolId'>;
  ResourceServers: Omit<CreateResourceServerRequest, 'UserPoolId'>[];
  IdentityProviders: Omit<CreateIdentityProviderRequest, 'UserPoolId'>[];
  Clients: PlannedClient[];
  Domain?: string;
  /** Settings of the recorded pool that the created one does not have, each with why. */
  LeftOut: string[];
  /** What the operator must supply (identity providers whose secret was not recorded, client secrets to hand out). */
  ForTheOperator: string[];
  /** A restore drill's scratch pool: how many recorded Lambda triggers it was created without. */
  TriggersLeftOut?: number;
}

/** The Region named in an ARN; '' for a global resource (IAM). */
const arnRegion = (arn: string): string => ARN.exec(arn)?.[1] ?? '';

/** Maps the ARN, keeps it when it works in `region`, or answers undefined (to be left out). */
function mappedArn(arn: string, region: string, arnMap: Record<string, string>): string | undefined {
  const mapped = arnMap[arn];
  if (mapped !== undefined) return mapped;
  const where = arnRegion(arn);
  return where === '' || where === region ? arn : undefined;
}

type LambdaConfig = NonNullable<CreateUserPoolRequest['LambdaConfig']>;

function planLambdaConfig(
  config: LambdaConfig,
  map: (arn: string) => string | undefined,
  leftOut: string[],
): LambdaConfig | undefined {
  const out: Record<string, unknown> = {};
  const kms = config.KMSKeyID === undefined ? undefined : map(config.KMSKeyID);
  if (config.KMSKeyID !== undefined && kms === undefined)
    leftOut.push(`LambdaConfig.KMSKeyID (${config.KMSKeyID}): a KMS key of another Region; add it to ArnMap`);
  for (const [key, value] of Object.entries(config)) {
    if (key === 'KMSKeyID' || value === undefined) continue;
    const arn = typeof value === 'string' ? value : (value as { LambdaArn?: string }).LambdaArn;
    if (arn === undefined) continue;
    const target = map(arn);
    if (target === undefined) {
      leftOut.push(`LambdaConfig.${key} (${arn}): a function of another Region; add it to ArnMap`);
      continue;
    }
    // The custom senders encrypt codes with the key: without it they cannot be set.
    if ((key === 'CustomSMSSender' || key === 'CustomEmailSender') && kms === undefined) {
      leftOut.push(`LambdaConfig.${key} (${arn}): needs LambdaConfig.KMSKeyID, which is left out`);
      continue;
    }
    out[key] = typeof value === 'string' ? target : { ...(value as object), LambdaArn: target };
  }
  if (
    kms !== undefined &&
    Object.keys(out).some((key) => key === 'CustomSMSSender' || key === 'CustomEmailSender')
  )
    out.KMSKeyID = kms;
  return Object.keys(out).length === 0 ? undefined : (out as LambdaConfig);
}

/** The recorded triggers (each function the pool invokes; the custom senders' KMS key is not one). */
export function triggerCount(config: LambdaConfig | undefined): number {
  return Object.entries(config ?? {}).filter(
    ([key, value]) =>
      key !== 'KMSKeyID' &&
      (typeof value === 'string' ||
        typeof (value as { LambdaArn?: unknown } | undefined)?.LambdaArn === 'string'),
  ).length;
}

/**
 * The schema that `CreateUserPool` takes: custom and developer-only attributes by their bare names,
 * and the standard attributes whose settings differ from the defaults (required, or not mutable).
 * `sub` is Cognito's own.
 */
export function planSchema(schema: readonly SchemaAttributeType[] | undefined): SchemaAttributeType[] {
  const out: SchemaAttributeType[] = [];
  for (const attribute of schema ?? []) {
    const name = attribute.Name ?? '';
    if (name === '' || name === 'sub') continue;
    const custom = /^(?:dev:)?custom:(.+)$/.exec(name);
    if (custom !== null) {
      out.push({ ...attribute, Name: custom[1] });
    } else if (attribute.Required === true || attribute.Mutable === false) {
      out.push(attribute);
    }
  }
  return out;
}

/** Everything needed to create the recorded pool in `region`, with the tags of a restore target. */
export function planCreation(
  configuration: PoolConfiguration,
  input: CreateUserPoolInput,
  where: { region: string; executionName: string },
): CreationPlan {
  const leftOut: string[] = [];
  const forTheOperator: string[] = [];
  const map = (arn: string) => mappedArn(arn, where.region, input.ArnMap);
  const recorded = configuration.UserPool;
  const {
    PoolName: _recordedName,
    Schema,
    LambdaConfig,
    EmailConfiguration,
    // MFA is set after creation with SetUserPoolMfaConfig, which also takes the authenticator app setting.
    MfaConfiguration: _mfa,
    UserPoolTags,
    ...rest
  } = recorded;
  const userPool: CreateUserPoolRequest = {
    ...rest,
    PoolName: input.PoolName,
    Schema: planSchema(Schema),
    UserPoolTags: {
      ...UserPoolTags,
      [RESTORE_TARGET_TAGS.target]: 'true',
      [RESTORE_TARGET_TAGS.execution]: where.executionName,
      [RESTORE_TARGET_TAGS.source]: configuration.Source.UserPoolId,
    },
  };
  // DescribeUserPool still answers the deprecated validity beside the password policy's; both are refused.
  if (userPool.AdminCreateUserConfig?.UnusedAccountValidityDays !== undefined) {
    const { UnusedAccountValidityDays: _unused, ...adminCreate } = userPool.AdminCreateUserConfig;
    userPool.AdminCreateUserConfig = adminCreate;
  }
  const triggersLeftOut = input.RestoreDrill === true ? triggerCount(LambdaConfig) : undefined;
  if (triggersLeftOut !== undefined && triggersLeftOut > 0) {
    leftOut.push(
      `LambdaConfig (${triggersLeftOut} Lambda triggers): a restore drill's scratch pool invokes none of the pool's functions`,
    );
  } else if (LambdaConfig !== undefined && input.RestoreDrill !== true) {
    const triggers = planLambdaConfig(LambdaConfig, map, leftOut);
    if (triggers !== undefined) userPool.LambdaConfig = triggers;
  }
  if (EmailConfiguration !== undefined) {
    const source = EmailConfiguration.SourceArn;
    const target = source === undefined ? undefined : map(source);
    if (source !== undefined && target === undefined) {
      leftOut.push(
        `EmailConfiguration (SES identity ${source} of another Region): the pool sends e-mail with Cognito's ` +
          'default until it is set; add the identity to ArnMap',
      );
    } else {
      userPool.EmailConfiguration = {
        ...EmailConfiguration,
        ...(target !== undefined ? { SourceArn: target } : {}),
      };
    }
  }
  let mfa = configuration.Mfa;
  if (mfa.EmailMfaConfiguration !== undefined && userPool.EmailConfiguration === undefined) {
    const { EmailMfaConfiguration: _email, ...others } = mfa;
    mfa = others;
    leftOut.push('EmailMfaConfiguration: e-mail MFA needs the SES identity that is left out');
  }
  const mfaOn = mfa.MfaConfiguration !== undefined && mfa.MfaConfiguration !== 'OFF';
  const identityProviders: CreationPlan['IdentityProviders'] = [];
  const skippedProviders = new Set<string>();
  for (const provider of configuration.IdentityProviders) {
    const name = provider.Settings.ProviderName ?? '';
    if (provider.SecretsLeftOut.length > 0) {
      skippedProviders.add(name);
      forTheOperator.push(
        `identity provider ${name} (${provider.Settings.ProviderType ?? ''}): not created, its ` +
          `${provider.SecretsLeftOut.join(', ')} is not in the backup; create it with the secret and add it to ` +
          'the app clients that named it',
      );
      continue;
    }
    identityProviders.push(provider.Settings as Omit<CreateIdentityProviderRequest, 'UserPoolId'>);
  }
  const clients: PlannedClient[] = configuration.Clients.map((client) => {
    const request: PlannedClient['Request'] = {
      ...client.Settings,
      ClientName: client.Settings.ClientName ?? client.ClientId,
    };
    if (request.SupportedIdentityProviders !== undefined)
      request.SupportedIdentityProviders = request.SupportedIdentityProviders.filter(
        (name) => !skippedProviders.has(name),
      );
    if (client.Settings.GenerateSecret === true)
      forTheOperator.push(
        `app client ${request.ClientName}: has a new secret; hand it to the applications that use it`,
      );
    return { OldClientId: client.ClientId, Request: request };
  });
  for (const domain of configuration.Domains) {
    if (domain.Custom === true)
      leftOut.push(`custom domain ${domain.Domain}: needs its certificate; create it by hand`);
    else if (input.DomainPrefix === undefined)
      leftOut.push(
        `domain ${domain.Domain}: a domain prefix is unique per Region; give DomainPrefix to create one`,
      );
  }
  return {
    UserPool: userPool,
    ...(mfaOn ||
    mfa.SoftwareTokenMfaConfiguration?.Enabled === true ||
    mfa.WebAuthnConfiguration !== undefined
      ? { Mfa: mfa }
      : {}),
    ResourceServers: configuration.ResourceServers.map(
      (server) => server as Omit<CreateResourceServerRequest, 'UserPoolId'>,
    ),
    IdentityProviders: identityProviders,
    Clients: clients,
    ...(input.DomainPrefix !== undefined ? { Domain: input.DomainPrefix } : {}),
    LeftOut: leftOut,
    ForTheOperator: forTheOperator,
    ...(triggersLeftOut !== undefined ? { TriggersLeftOut: triggersLeftOut } : {}),
  };
}
