// SPDX-License-Identifier: Apache-2.0
/** Public types of the Cognito emulator (store, seed primitives, server options, stats). */
import type { RowRule } from './row-rules';

export type UsernameAttribute = 'email' | 'phone_number';
export type MfaConfiguration = 'OFF' | 'ON' | 'OPTIONAL';
export type UserStatus =
  | 'UNCONFIRMED'
  | 'CONFIRMED'
  | 'ARCHIVED'
  | 'COMPROMISED'
  | 'UNKNOWN'
  | 'RESET_REQUIRED'
  | 'FORCE_CHANGE_PASSWORD'
  | 'EXTERNAL_PROVIDER';

export interface AttributeType {
  Name: string;
  Value: string;
}

export interface CustomAttributeDefinition {
  /** Name without the `custom:` prefix, e.g. `tenant`. */
  name: string;
  dataType?: 'String' | 'Number' | 'DateTime' | 'Boolean';
  mutable?: boolean;
  /** `StringAttributeConstraints` (`MinLength`, `MaxLength`, as strings like the API's). */
  stringConstraints?: { MinLength?: string; MaxLength?: string };
  /** `NumberAttributeConstraints` (`MinValue`, `MaxValue`, as strings like the API's). */
  numberConstraints?: { MinValue?: string; MaxValue?: string };
}

/**
 * The parts of a pool's configuration beyond what the emulator models for its users, kept in the
 * shapes of the Cognito API (the members of CreateUserPool, SetUserPoolMfaConfig, CreateUserPoolClient,
 * CreateResourceServer and CreateIdentityProvider) and answered by the matching Describe and List calls.
 */
export interface PoolConfigurationDetails {
  /** CreateUserPool members kept as given (Policies, messages, AdminCreateUserConfig, LambdaConfig, ...). */
  settings?: Record<string, unknown>;
  /** SetUserPoolMfaConfig members besides `MfaConfiguration` (SoftwareTokenMfaConfiguration, ...). */
  mfa?: Record<string, unknown>;
  /** CreateUserPoolClient inputs (without `UserPoolId`). */
  clients?: Record<string, unknown>[];
  /** CreateResourceServer inputs (without `UserPoolId`). */
  resourceServers?: Record<string, unknown>[];
  /** CreateIdentityProvider inputs (without `UserPoolId`). */
  identityProviders?: Record<string, unknown>[];
  /** A prefix domain (CreateUserPoolDomain). */
  domain?: string;
}

/** Configuration of a user pool (what CreateUserPool accepts, in the emulator's terms). */
export interface UserPoolConfig {
  name?: string;
  /** `[]` (Username is free text), `['email']`, `['phone_number']` or both. */
  usernameAttributes?: UsernameAttribute[];
  /**
   * Attributes Cognito verifies automatically. The CSV import requires at least one of them to be
   * `true` per user. Default: `['email', 'phone_number']` (a user needs a verified email OR phone).
   */
  autoVerifiedAttributes?: UsernameAttribute[];
  /** Custom attributes, by name without `custom:` (strings) or with a definition. */
  customAttributes?: (string | CustomAttributeDefinition)[];
  mfaConfiguration?: MfaConfiguration;
  /** The pool's tags (CreateUserPool's `UserPoolTags`). */
  tags?: Record<string, string>;
  /** Sign-in aliases (`email`, `phone_number`, `preferred_username`) of a pool without username attributes. */
  aliasAttributes?: string[];
  /** Standard attributes the pool's schema requires (e.g. `['given_name']`); `sub` always is. */
  requiredAttributes?: string[];
  /** Settings, MFA, app clients, resource servers, identity providers and domain. */
  details?: PoolConfigurationDetails;
}

export interface UserRecord {
  /** Cognito's Username (a generated UUID equal to `sub` in pools with username attributes). */
  readonly username: string;
  readonly sub: string;
  /** Attribute name → value, `sub` first (responses build Cognito's `[{Name, Value}]` list). */
  readonly attributes: Record<string, string>;
  enabled: boolean;
  status: UserStatus;
  /** SMS MFA enabled (ListUsers answers `MFAOptions` for it). */
  smsMfa?: boolean;
  readonly createdMs: number;
  modifiedMs: number;
  /** Names of the user's groups in the order the memberships were added (created on the first one). */
  groups?: Set<string>;
  /**
   * SHA-256 of the user's password, kept as Cognito keeps a password: across attribute updates and
   * enable/disable, replaced only by a password call. Absent: no password was set through the API.
   */
  passwordDigest?: string;
}

export interface GroupRecord {
  readonly name: string;
  description?: string;
  precedence?: number;
  roleArn?: string;
  readonly createdMs: number;
  modifiedMs: number;
}

/** Input of the bulk seed path and of `addUser`. */
export interface NewUser {
  /**
   * In a pool without username attributes: the Username. In a pool with username attributes: the
   * user's email or phone number (Cognito then generates the Username, as it does for AdminCreateUser).
   */
  username: string;
  enabled?: boolean;
  /** Default `CONFIRMED`. */
  status?: UserStatus;
  /** SMS MFA enabled for the user. */
  smsMfa?: boolean;
  /** Attribute name → value, e.g. `{ email: '...', email_verified: 'true', 'custom:tenant': '...' }`. */
  attributes?: Record<string, string>;
}

export interface NewGroup {
  name: string;
  description?: string;
  precedence?: number;
  roleArn?: string;
}

/** A copy of a pool's content, for parity checks (no emulator internals). */
export interface PoolSnapshot {
  poolId: string;
  users: {
    username: string;
    sub: string;
    enabled: boolean;
    status: UserStatus;
    attributes: Record<string, string>;
    groups: string[];
  }[];
  groups: { name: string; description?: string; precedence?: number; roleArn?: string; members: string[] }[];
}

/** The structured seed the harness passes to `createPoolFromSeed` (it owns the file format). */
export interface PoolSeed {
  userPool?: {
    name?: string;
    usernameAttributes?: UsernameAttribute[];
    customAttributes?: (string | CustomAttributeDefinition)[];
    mfaConfiguration?: MfaConfiguration;
    autoVerifiedAttributes?: UsernameAttribute[];
    aliasAttributes?: string[];
    requiredAttributes?: string[];
    details?: PoolConfigurationDetails;
  };
  users?: NewUser[];
  groups?: (NewGroup & { members?: string[] })[];
}

export interface SeededPool {
  poolId: string;
  /** Seed username → Cognito Username (differs in pools with username attributes). */
  usernames: Map<string, string>;
  userCount: number;
  groupCount: number;
  membershipCount: number;
}

/** Request-rate quota categories (per account and Region in Cognito, so per emulator here). */
export type QuotaCategory =
  | 'UserList'
  | 'UserRead'
  | 'UserResourceRead'
  | 'UserResourceUpdate'
  | 'UserUpdate'
  | 'UserCreation'
  | 'UserPoolRead'
  | 'UserPoolUpdate'
  | 'UserPoolResourceRead'
  | 'UserPoolResourceUpdate'
  | 'UserPoolClientRead'
  | 'UserPoolClientUpdate';

export interface ThrottlingOptions {
  /** Multiplies every quota (2 = twice as fast as AWS). Default 1. */
  scale?: number;
  /** Overrides of the default RPS per category (before scaling). */
  quotas?: Partial<Record<QuotaCategory, number>>;
  /**
   * Cognito also caps each UserPoolResourceRead/Update operation at 5 RPS per user pool. Default 5
   * (scaled); `false` turns the per-pool cap off.
   */
  perPoolOperationRps?: number | false;
}

export type LatencyOption = 'none' | 'aws' | Partial<Record<string, number>>;

export interface CognitoEmulatorOptions {
  /** Default 0 (a free port). The server always binds 127.0.0.1. */
  port?: number;
  region?: string;
  accountId?: string;
  /** `false` (or `'off'`) disables throttling; default: AWS quotas at scale 1. */
  throttling?: ThrottlingOptions | false | 'off';
  /**
   * Per-operation latency added before answering. `'aws'`: ListUsers / ListUsersInGroup 400 ms, every
   * other operation 100 ms. A map gives ms per operation (`default` for the rest). Default `'none'`.
   */
  latency?: LatencyOption;
  /** Waits `ms` before a response is sent (latency); default a timer that `stop()` cancels. */
  sleep?: (ms: number) => Promise<void>;
  /** Clock (epoch ms) for throttling, dates, token and pre-signed URL expiry. Default `Date.now`. */
  now?: () => number;
  /** Rows an import job processes per event-loop turn (`setImmediate`). Default 500. */
  importRowsPerTick?: number;
  /**
   * An import job ends `Failed` ("Too many users have failed or been skipped during the import.")
   * when (failed + skipped) / rows is above this fraction; below it, refused rows are only counted.
   * Default `DEFAULT_IMPORT_FAILURE_THRESHOLD` (one half; Cognito does not publish its figure).
   */
  importFailureThreshold?: number;
  /** The rules import jobs apply to each CSV row (default `ROW_RULES` of row-rules.ts). */
  rowRules?: readonly RowRule[];
  /** Default page sizes when `Limit` is omitted (Cognito answers 25 for the user lists, by reports). */
  defaultLimits?: Partial<
    Record<'ListUsers' | 'ListUsersInGroup' | 'ListGroups' | 'AdminListGroupsForUser', number>
  >;
  /**
   * Return pages shorter than `Limit` while more users remain, as Cognito sometimes does: pages cycle
   * full, half, empty (an empty page still carries a token). Default false.
   */
  partialPages?: boolean;
  /** Called once per request with the operation, outcome and duration; never with request data. */
  onRequest?: (entry: RequestLogEntry) => void;
}

export interface RequestLogEntry {
  operation: string;
  /** `ok`, or the error type returned. */
  outcome: string;
  durationMs: number;
}

export interface EmulatorStats {
  /** Requests received per operation (throttled ones included). */
  calls: Record<string, number>;
  /** Requests answered with TooManyRequestsException per operation. */
  throttled: Record<string, number>;
  /** Requests answered with any other error, per operation. */
  errors: Record<string, number>;
  /** Users returned by successful ListUsers requests (progress of an export's listing). */
  usersListed: number;
}

/** Faults the emulator injects on request (the local run's `--fault` options). */
export interface CognitoFaults {
  /** Share of requests answered HTTP 500 `InternalErrorException` before the operation runs. */
  internalErrorShare?: number;
  /** Share of requests whose connection is dropped after the operation took effect. */
  dropShare?: number;
  /** Milliseconds an import job takes per KiB of CSV, on top of its own processing. */
  importJobMsPerKb?: number;
  /** Random numbers in [0, 1) that decide which requests fail. Default `Math.random`. */
  random?: () => number;
}

/** Requests a fault hit, by fault and operation. */
export interface FaultCounts {
  internalError: Record<string, number>;
  dropped: Record<string, number>;
}

export type ImportJobStatus =
  'Created' | 'Pending' | 'InProgress' | 'Stopping' | 'Stopped' | 'Succeeded' | 'Failed' | 'Expired';
