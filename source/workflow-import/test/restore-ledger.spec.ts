import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs } from '../../test-support/capture-logs';
import {
  ledgerLine,
  ledgerPrefix,
  parseLedger,
  readLedger,
  SKIP_REASONS,
  writeLedger,
  type LedgerEntry,
} from '../lib/restore-ledger';
import { POOL_ID } from './support';

const s3 = mockAws(S3Client);
const store = new Map<string, string>();

const entry = (n: number, overrides: Partial<LedgerEntry> = {}): LedgerEntry => ({
  sub: `sub-${n}`,
  username: `user${n}`,
  outcome: 'skipped',
  reason: SKIP_REASONS.lineBreak,
  ...overrides,
});

function deps() {
  const logs = captureLogs();
  let id = 0;
  return {
    logs,
    deps: {
      s3: new S3Client({}),
      bucket: 'bucket',
      logger: logs.logger(),
      uniqueId: () => `id-${(id += 1)}`,
    },
  };
}

describe('restore ledger', () => {
  beforeEach(() => {
    s3.reset();
    store.clear();
    s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
      store.set(input.Key, input.Body);
      return {};
    });
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
      '{"sub":"sub-1","username":"user1","outcome":"skipped","reason":"csv-line-break"}\n',
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

  it('writes nothing for no entries, else one new object under the pool', async () => {
    const { deps: d } = deps();
    await expect(writeLedger(d, POOL_ID, [])).resolves.toBeUndefined();
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    await expect(writeLedger(d, POOL_ID, [entry(1), entry(2)])).resolves.toBe(
      `restore-ledger/${POOL_ID}/id-1.jsonl`,
    );
    await writeLedger(d, POOL_ID, [entry(3)]);
    expect([...store.keys()]).toEqual([
      `restore-ledger/${POOL_ID}/id-1.jsonl`,
      `restore-ledger/${POOL_ID}/id-2.jsonl`,
    ]);
    expect(ledgerPrefix(POOL_ID)).toBe(`restore-ledger/${POOL_ID}/`);
  });

  it("reads every object of the pool's ledger, a user written twice counting once", async () => {
    const { deps: d, logs } = deps();
    await writeLedger(d, POOL_ID, [entry(1), entry(2)]);
    await writeLedger(d, POOL_ID, [entry(2, { outcome: 'admin-create', reason: 'unconfirmed' })]);
    await writeLedger(d, POOL_ID, [entry(4)]);
    await writeLedger(d, `${POOL_ID}x`, [entry(9)]);
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
