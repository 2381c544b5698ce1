// SPDX-License-Identifier: Apache-2.0
import {
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs } from '../../test-support/capture-logs';
import { ledgerBody, ledgerKey, SKIP_REASONS } from '../lib/admin-create';
import { ledgerLine, ledgerPrefix, parseLedger, readLedger, type LedgerEntry } from '../lib/restore-ledger';
import { POOL_ID } from './support';

const s3 = mockAws(S3Client);
const store = new Map<string, string>();

const entry = (n: number, overrides: Partial<LedgerEntry> = {}): LedgerEntry => ({
  sub: `sub-${n}`,
  username: `user${n}`,
  outcome: 'skipped',
  reason: 'value-not-representable-in-csv',
  ...overrides,
});

function deps() {
  const logs = captureLogs();
  return { logs, deps: { s3: new S3Client({}), bucket: 'bucket', logger: logs.logger() } };
}

/** Writes a ledger object as the AdminCreateUser fallback does (admin-create.ts). */
function write(userPoolId: string, entries: LedgerEntry[]): string {
  const key = ledgerKey(
    userPoolId,
    entries.map((e) => e.sub),
  );
  store.set(key, ledgerBody(entries));
  return key;
}

describe('restore ledger', () => {
  beforeEach(() => {
    s3.reset();
    store.clear();
    s3.on(GetObjectCommand).callsFake(
      (input: { Key: string }) =>
        ({
          Body: { transformToString: async () => store.get(input.Key) ?? '' },
        }) as unknown as GetObjectCommandOutput,
    );
    s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string; ContinuationToken?: string }) => {
      // Two pages of at most two keys, to exercise the continuation.
      const keys = [...store.keys()].filter((key) => key.startsWith(input.Prefix)).sort();
      const start = Number(input.ContinuationToken ?? 0);
      const more = start + 2 < keys.length;
      return {
        Contents: keys.slice(start, start + 2).map((Key) => ({ Key })),
        IsTruncated: more,
        ...(more ? { NextContinuationToken: String(start + 2) } : {}),
      };
    });
  });

  it('writes one JSON line per user with exactly the contract fields', () => {
    expect(ledgerLine({ ...entry(1), ...({ email: 'x@example.com' } as object) })).toBe(
      '{"sub":"sub-1","username":"user1","outcome":"skipped","reason":"value-not-representable-in-csv"}\n',
    );
  });

  it.each([
    ['an empty sub', entry(1, { sub: ' ' }), 'A restore ledger entry needs the old sub'],
    ['an unknown outcome', entry(1, { outcome: 'lost' as never }), 'Unknown restore ledger outcome: lost'],
    [
      'a reason that is not a code',
      entry(1, { reason: 'Has spaces' }),
      'A restore ledger reason must be a code of lowercase words (found "Has spaces")',
    ],
  ])('refuses %s', (_what, bad, message) => {
    expect(() => ledgerLine(bad)).toThrow(message);
  });

  it('accepts the codes of the AdminCreateUser fallback', () => {
    const refused = entry(1, {
      outcome: 'skipped',
      reason: SKIP_REASONS.refused('InvalidParameterException'),
    });
    expect(parseLedger(ledgerLine(refused))).toEqual({ entries: [refused], invalid: 0 });
    expect(refused.reason).toBe('admin-create-refused-invalid-parameter');
  });

  it('reads valid lines and counts the others', () => {
    const text = [
      ledgerLine(entry(1)).trimEnd(),
      '',
      '{not json',
      JSON.stringify({ sub: 'sub-2', username: 'u', outcome: 'skipped' }),
      ledgerLine(entry(3, { outcome: 'admin-create', reason: 'unconfirmed' })).trimEnd(),
    ].join('\n');
    expect(parseLedger(text)).toEqual({
      entries: [entry(1), entry(3, { outcome: 'admin-create', reason: 'unconfirmed' })],
      invalid: 2,
    });
  });

  it("is written by the AdminCreateUser fallback under the pool's prefix, one line per user", () => {
    const key = write(POOL_ID, [entry(1), entry(2)]);
    expect(key.startsWith(ledgerPrefix(POOL_ID))).toBe(true);
    expect(ledgerPrefix(POOL_ID)).toBe(`restore-ledger/${POOL_ID}/`);
    expect(parseLedger(store.get(key) ?? '')).toEqual({ entries: [entry(1), entry(2)], invalid: 0 });
  });

  it("reads every object of the pool's ledger, a user written twice counting once", async () => {
    const { deps: d, logs } = deps();
    store.set(`restore-ledger/${POOL_ID}/a.jsonl`, ledgerBody([entry(1), entry(2)]));
    store.set(
      `restore-ledger/${POOL_ID}/b.jsonl`,
      ledgerBody([entry(2, { outcome: 'admin-create', reason: 'unconfirmed' })]),
    );
    store.set(`restore-ledger/${POOL_ID}/c.jsonl`, ledgerBody([entry(4)]));
    write(`${POOL_ID}x`, [entry(9)]);
    store.set(`restore-ledger/${POOL_ID}/zz.jsonl`, 'garbage\n');
    const ledger = await readLedger(d, POOL_ID);
    expect([...ledger.values()]).toEqual([
      entry(1),
      entry(2, { outcome: 'admin-create', reason: 'unconfirmed' }),
      entry(4),
    ]);
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({
        message: 'Restore ledger lines that break the contract were ignored',
        invalid: 1,
      }),
    );
  });
});
