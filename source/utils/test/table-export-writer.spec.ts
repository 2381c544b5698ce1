// SPDX-License-Identifier: Apache-2.0
import { memoryExportObjects } from '../../test-support/table-export';
import { findTableExports, openTableExport, readTableExport, verifyTableExport } from '../table-export';
import { ITEMS_PER_FILE, writeTableExport } from '../table-export-writer';

const ABOUT = {
  exportId: '01700000000000-sample',
  exportTime: '2026-12-08T00:00:00.000Z',
  tableArn: 'arn',
  bucket: 'b',
};

async function written(items: Record<string, unknown>[]) {
  const objects = new Map<string, Buffer>();
  const result = await writeTableExport(
    (key, body) => Promise.resolve(objects.set(key, Buffer.from(body))),
    'restore-drill-samples/d1/',
    items,
    ABOUT,
  );
  const store = memoryExportObjects(objects);
  const [directory] = await findTableExports(store, 'restore-drill-samples/d1/');
  const table = await openTableExport(store, directory ?? '');
  const read: Record<string, unknown>[] = [];
  for await (const page of readTableExport(store, table, undefined, 1_000)) read.push(...page.items);
  return { result, table, read, store };
}

describe('writeTableExport', () => {
  it('writes an export that the reader opens, verifies and reads back item for item', async () => {
    const items = Array.from({ length: ITEMS_PER_FILE + 3 }, (_, n) => ({
      id: `USER-${n}`,
      type: 'USER-T',
      userEnabled: n % 2 === 0,
      count: n,
      nothing: null,
      missing: undefined,
      userAttributes: [{ Name: 'sub', Value: `s${n}` }],
      tags: new Set(['a', 'b']),
      ...(n === 0 ? { configuration: new Uint8Array([0, 1, 255]) } : {}),
    }));
    const { result, table, read, store } = await written(items);
    expect(result.files).toBe(2);
    expect(table.summary.itemCount).toBe(items.length);
    await expect(
      verifyTableExport(
        store,
        table,
        0,
        () => true,
        () => undefined,
      ),
    ).resolves.toBeUndefined();
    const expected = items.map(({ missing: _missing, ...rest }) => rest);
    expect(read).toEqual(expected);
  });

  it('writes an empty export with one empty data file', async () => {
    const { read, table } = await written([]);
    expect(read).toEqual([]);
    expect(table.files).toHaveLength(1);
  });
});
