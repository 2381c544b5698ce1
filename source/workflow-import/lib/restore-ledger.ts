// SPDX-License-Identifier: Apache-2.0
/**
 * The restore ledger: how an import Lambda records a backed-up user that it deliberately did not put
 * in a user import CSV, so that the reconciliation lists the user in the restore report with the
 * reason instead of calling it missing.
 *
 * Contract (README, "Restore report"): objects `restore-ledger/<NewUserPoolId>/<unique>.jsonl` in the
 * solution's import bucket, one JSON object per line:
 *
 *   {"sub":"<old sub>","username":"<pseudoUsername>","outcome":"admin-create"|"skipped","reason":"<code>",
 *    "signIn":"reset-password"|"administrator"}
 *
 * - `skipped`: the user is not in the new pool, by design; `reason` says why (one of the documented
 *   codes). The restore can still succeed.
 * - `admin-create`: the user was created another way than the CSV (AdminCreateUser); the report lists
 *   it as such when it is in the new pool, as `missing` when it is not. `signIn` says how the user signs
 *   in again: `reset-password` (it has a password nobody knows and a verified e-mail address or phone
 *   number, so "forgot password" works), `administrator` (no password: an administrator must set one).
 *   Lines written before the field existed are `administrator`.
 *
 * Writers (admin-create.ts today) build every line with `ledgerLine` and name their objects so that a
 * retried invocation rewrites its own object; a user written twice counts once, the last line read
 * for a `sub` winning. Lines hold no attribute value besides the username, which the report carries
 * anyway. The reconciliation (reconcile-new-user-pool.ts) reads every object of the pool with `readLedger`.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../utils/logger';

export const LEDGER_PREFIX = 'restore-ledger/';

export type LedgerOutcome = 'admin-create' | 'skipped';

/** A reason code: lowercase words joined by hyphens. The README lists every code. */
export type ReasonCode = string;
const REASON_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** How a restored user signs in again (the restore report's `signIn` column). */
export type SignInStep = 'reset-password' | 'administrator';
const SIGN_IN_STEPS: readonly string[] = ['reset-password', 'administrator'];

export interface LedgerEntry {
  sub: string;
  username: string;
  outcome: LedgerOutcome;
  reason: ReasonCode;
  /** `admin-create` only. */
  signIn?: SignInStep;
}

export const ledgerPrefix = (userPoolId: string): string => `${LEDGER_PREFIX}${userPoolId}/`;

/** The line of one entry (with its line end); throws on an entry that breaks the contract. */
export function ledgerLine(entry: LedgerEntry): string {
  if (entry.sub.trim() === '') throw new Error('A restore ledger entry needs the old sub');
  if (entry.outcome !== 'admin-create' && entry.outcome !== 'skipped')
    throw new Error(`Unknown restore ledger outcome: ${String(entry.outcome)}`);
  if (!REASON_PATTERN.test(entry.reason))
    throw new Error(`A restore ledger reason must be a code of lowercase words (found "${entry.reason}")`);
  const { sub, username, outcome, reason, signIn } = entry;
  return `${JSON.stringify({ sub, username, outcome, reason, ...(signIn ? { signIn } : {}) })}\n`;
}

/** Parses one ledger object; lines that break the contract are skipped and counted. */
export function parseLedger(text: string): { entries: LedgerEntry[]; invalid: number } {
  const entries: LedgerEntry[] = [];
  let invalid = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value = JSON.parse(line) as Partial<LedgerEntry>;
      if (
        typeof value.sub === 'string' &&
        value.sub !== '' &&
        typeof value.username === 'string' &&
        (value.outcome === 'admin-create' || value.outcome === 'skipped') &&
        typeof value.reason === 'string' &&
        REASON_PATTERN.test(value.reason)
      ) {
        entries.push({
          sub: value.sub,
          username: value.username,
          outcome: value.outcome,
          reason: value.reason,
          ...(typeof value.signIn === 'string' && SIGN_IN_STEPS.includes(value.signIn)
            ? { signIn: value.signIn }
            : {}),
        });
        continue;
      }
    } catch {
      // counted below
    }
    invalid += 1;
  }
  return { entries, invalid };
}

export interface LedgerDeps {
  s3: S3Client;
  bucket: string;
  logger: Logger;
}

/** Every ledger entry of the pool, by old `sub` (the last one read wins). */
export async function readLedger(deps: LedgerDeps, userPoolId: string): Promise<Map<string, LedgerEntry>> {
  const bySub = new Map<string, LedgerEntry>();
  let token: string | undefined;
  let invalid = 0;
  let objects = 0;
  do {
    const page = await deps.s3.send(
      new ListObjectsV2Command({
        Bucket: deps.bucket,
        Prefix: ledgerPrefix(userPoolId),
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    const keys = (page.Contents ?? []).map((object) => object.Key).filter((key): key is string => !!key);
    keys.sort();
    for (const key of keys) {
      const object = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }));
      const parsed = parseLedger((await object.Body?.transformToString('utf8')) ?? '');
      invalid += parsed.invalid;
      objects += 1;
      for (const entry of parsed.entries) bySub.set(entry.sub, entry);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  if (invalid > 0) deps.logger.warn('Restore ledger lines that break the contract were ignored', { invalid });
  deps.logger.info('Restore ledger read', { objects, users: bySub.size });
  return bySub;
}
