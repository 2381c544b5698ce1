// SPDX-License-Identifier: Apache-2.0
/**
 * The AdminCreateUser fallback: a user whose CSV row the target pool would refuse (csv-rules.ts), or
 * whose values the CSV format cannot carry, is created with AdminCreateUser instead of being lost.
 * `MessageAction: SUPPRESS` (no invitation is sent), the stored attributes the pool can take (the CSV
 * header's columns) and the verified flags as stored. Its disabled flag and memberships follow from
 * the updates queue like every other user's.
 *
 * How the user signs in again. AdminCreateUser leaves a user `FORCE_CHANGE_PASSWORD` without a usable
 * password, and Cognito refuses ForgotPassword in that state ("User password cannot be reset in the
 * current state"): only an administrator could help. So a user with a verified e-mail address or phone
 * number then gets a permanent random password that is never stored or logged (AdminSetUserPassword,
 * `Permanent: true`, which makes it `CONFIRMED` and sends nothing): nobody knows it, and the user's
 * "forgot password" (ForgotPassword, a code sent to the verified address) lets them in, as the
 * CSV-imported users (`RESET_REQUIRED`) do. AdminResetUserPassword would give them `RESET_REQUIRED`
 * exactly, but it sends every user a code as the restore runs (and the pool's default e-mail sending
 * allows 50 a day), so it is not used. A user without a verified address stays `FORCE_CHANGE_PASSWORD`:
 * ForgotPassword would not send anything anywhere, and no credential is ever sent to an address nobody
 * verified; an administrator sets a password for them. The ledger's `signIn` says which.
 *
 * Every such user is written to the restore ledger first (`restore-ledger/<NewUserPoolId>/<key>.jsonl`
 * in the solution's bucket, one JSON object per line: `sub`, `username`, `outcome`, `reason`; never an
 * attribute value), then created. The reconciliation step turns ledger lines into restore-report rows.
 * The key is derived from the users' subs, so a retried invocation with the same users rewrites the
 * same object. A user that already exists (a retry after a crash) counts as created; a user Cognito
 * refuses for its content is recorded as `skipped` with the error name. Throttling and transient
 * errors propagate: the caller releases the messages and a later attempt creates the users again.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  type AttributeType,
} from '@aws-sdk/client-cognito-identity-provider';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { RateLimitedCognito } from '../../utils/cognito';
import { TaskGroup } from '../../utils/concurrency';
import type { Logger } from '../../utils/logger';
import { errorName, isRetryableError } from '../../utils/errors';
import { attributeMap, verified } from './csv-rules';
import { ledgerLine, ledgerPrefix, type LedgerEntry, type SignInStep } from './restore-ledger';
import type { BackupUserItem } from './types';
import { MFA_COLUMN, USERNAME_COLUMN } from './user-csv';

export type { LedgerEntry, LedgerOutcome } from './restore-ledger';

/** A user that does not go into the CSV file, and why. */
export interface FallbackUser {
  sub: string;
  /** The sign-in name (pseudoUsername); undefined when the item has none. */
  username: string | undefined;
  item: BackupUserItem;
  reason: string;
}

/** Reasons a fallback user ends up skipped (codes of lowercase words, as the ledger requires). */
export const SKIP_REASONS = {
  noUsername: 'no-pseudo-username',
  /** `InvalidParameterException` → `admin-create-refused-invalid-parameter`. */
  refused: (name: string) =>
    `admin-create-refused-${name
      .replace(/Exception$/, '')
      .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
      .toLowerCase()}`,
} as const;

/** Errors that say something about the user, not about the call: retrying cannot help. */
const CONTENT_ERRORS = new Set([
  'InvalidParameterException',
  'UnsupportedUserStateException',
  'AliasExistsException',
]);

export const ledgerKey = (userPoolId: string, subs: readonly string[]): string => {
  const digest = createHash('sha256')
    .update([...subs].sort().join('\n'))
    .digest('hex')
    .slice(0, 32);
  return `${ledgerPrefix(userPoolId)}${digest}.jsonl`;
};

export const ledgerBody = (entries: readonly LedgerEntry[]): string => entries.map(ledgerLine).join('');

/**
 * The attributes AdminCreateUser gets: those the target pool has columns for (the CSV header, which
 * lists every writable attribute), non-empty, `sub` never. A `_verified` flag whose attribute is
 * absent carries nothing and is left out (Cognito would refuse it).
 */
export function creationAttributes(item: BackupUserItem, header: readonly string[]): AttributeType[] {
  const attributes = attributeMap(item);
  const result: AttributeType[] = [];
  for (const column of header) {
    if (column === USERNAME_COLUMN || column === MFA_COLUMN || column === 'sub') continue;
    const value = attributes.get(column);
    if (value === undefined || value === '') continue;
    const flagOf = /^(email|phone_number)_verified$/.exec(column)?.[1];
    if (flagOf !== undefined && !attributes.get(flagOf)) continue;
    result.push({ Name: column, Value: value });
  }
  return result;
}

/**
 * `reset-password` when the user is created with a verified e-mail address or phone number (among the
 * attributes AdminCreateUser gets), which "forgot password" can send a code to.
 */
export function signInStep(item: BackupUserItem, header: readonly string[]): SignInStep {
  const created = new Map(creationAttributes(item, header).map((a) => [a.Name ?? '', a.Value ?? '']));
  return verified(created, 'email') || verified(created, 'phone_number') ? 'reset-password' : 'administrator';
}

/**
 * A password nobody knows: 96 random characters plus one of each class a password policy may require
 * (100 in all, above any policy's minimum length of at most 99).
 */
export const unknownPassword = (): string => `${randomBytes(72).toString('base64url')}Aa1!`;

/** Errors of AdminSetUserPassword that retrying cannot change (the user keeps `FORCE_CHANGE_PASSWORD`). */
const PASSWORD_CONTENT_ERRORS = new Set(['InvalidPasswordException', 'InvalidParameterException']);

export interface AdminCreateDeps {
  cognito: RateLimitedCognito;
  s3: S3Client;
  logger: Logger;
  config: { bucket: string };
  /** Calls in flight at once; the limiter sets the rate. */
  concurrency?: number;
}

export interface AdminCreateResult {
  entries: LedgerEntry[];
  created: number;
  existed: number;
  skipped: number;
  /** Users given a password nobody knows (they reset it with "forgot password"). */
  passwordsSet: number;
}

async function putLedger(deps: AdminCreateDeps, key: string, entries: readonly LedgerEntry[]): Promise<void> {
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.config.bucket,
      Key: key,
      ContentType: 'application/x-ndjson',
      Body: ledgerBody(entries),
    }),
  );
}

/** Records the users in the ledger, then creates them; returns the final ledger entries. */
export async function createFallbackUsers(
  deps: AdminCreateDeps,
  userPoolId: string,
  header: readonly string[],
  users: readonly FallbackUser[],
): Promise<AdminCreateResult> {
  const result: AdminCreateResult = { entries: [], created: 0, existed: 0, skipped: 0, passwordsSet: 0 };
  if (users.length === 0) return result;
  const entries = users.map((user): LedgerEntry =>
    user.username === undefined
      ? { sub: user.sub, username: '', outcome: 'skipped', reason: SKIP_REASONS.noUsername }
      : {
          sub: user.sub,
          username: user.username,
          outcome: 'admin-create',
          reason: user.reason,
          signIn: signInStep(user.item, header),
        },
  );
  const key = ledgerKey(
    userPoolId,
    users.map((user) => user.sub),
  );
  await putLedger(deps, key, entries);

  let refused = false;
  const group = new TaskGroup(deps.concurrency ?? 10);
  try {
    for (const [index, user] of users.entries()) {
      const entry = entries[index] as LedgerEntry;
      if (user.username === undefined) continue;
      const username = user.username;
      await group.add(async () => {
        try {
          await deps.cognito.send(
            new AdminCreateUserCommand({
              UserPoolId: userPoolId,
              Username: username,
              MessageAction: 'SUPPRESS',
              UserAttributes: creationAttributes(user.item, header),
            }),
          );
          result.created += 1;
        } catch (error) {
          const name = errorName(error);
          if (name === 'UsernameExistsException') {
            result.existed += 1;
            return;
          }
          if (!CONTENT_ERRORS.has(name) || isRetryableError(error)) throw error;
          entry.outcome = 'skipped';
          entry.reason = SKIP_REASONS.refused(name);
          refused = true;
          deps.logger.warn('AdminCreateUser refused a user; it is reported as skipped', {
            sub: user.sub,
            error: name,
          });
        }
      });
    }
  } finally {
    await group.drain();
  }
  // Created, or existing after a crash (whose password may not have been set yet).
  const passwords = new TaskGroup(deps.concurrency ?? 10);
  try {
    for (const [index, user] of users.entries()) {
      const entry = entries[index] as LedgerEntry;
      if (entry.outcome !== 'admin-create') delete entry.signIn;
      if (user.username === undefined || entry.signIn !== 'reset-password') continue;
      const username = user.username;
      await passwords.add(async () => {
        try {
          await deps.cognito.send(
            new AdminSetUserPasswordCommand({
              UserPoolId: userPoolId,
              Username: username,
              Password: unknownPassword(),
              Permanent: true,
            }),
          );
          result.passwordsSet += 1;
        } catch (error) {
          const name = errorName(error);
          if (!PASSWORD_CONTENT_ERRORS.has(name) || isRetryableError(error)) throw error;
          entry.signIn = 'administrator';
          refused = true;
          deps.logger.warn('AdminSetUserPassword refused a user; an administrator must set its password', {
            sub: user.sub,
            error: name,
          });
        }
      });
    }
  } finally {
    await passwords.drain();
  }
  if (refused) await putLedger(deps, key, entries);
  result.skipped = entries.filter((entry) => entry.outcome === 'skipped').length;
  result.entries = entries;
  deps.logger.info('Created the users the CSV import could not take', {
    users: users.length,
    created: result.created,
    existed: result.existed,
    skipped: result.skipped,
    passwordsSet: result.passwordsSet,
    ledger: key,
  });
  return result;
}
