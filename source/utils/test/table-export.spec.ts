// SPDX-License-Identifier: Apache-2.0
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import {
  buildTableExport,
  exportLine,
  memoryExportObjects,
  rewriteManifest,
  serveExportBucket,
} from '../../test-support/table-export';
import {
  findTableExports,
  openTableExport,
  plainItem,
  readTableExport,
  s3ExportObjects,
  sameDigest,
  TableExportError,
  verifyTableExport,
  type ExportCursor,
} from '../table-export';

const s3Mock = mockAws(S3Client);
beforeEach(() => s3Mock.reset());

const item = (n: number) => ({
  id: `USER-${n}`,
  type: 'USER-x',
  pseudoUsername: `user${n}`,
  userEnabled: true,
});
const range = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, index) => item(from + index));

async function allPages(
  objects: ReturnType<typeof memoryExportObjects>,
  directory: string,
  start: ExportCursor | undefined,
  limit: number,
) {
  const table = await openTableExport(objects, directory);
  const pages = [];
  for await (const page of readTableExport(objects, table, start, limit)) pages.push(page);
  return pages;
}

describe('openTableExport', () => {
  it('reads both manifests: the summary, and every data file with its count and MD5', async () => {
    const built = buildTableExport([range(0, 3), null, range(3, 5)]);
    const table = await openTableExport(memoryExportObjects(built.objects), built.directory);
    expect(table.exportId).toBe('01733600000000-a1b2c3d4');
    expect(table.summary).toMatchObject({ itemCount: 5, exportTime: '2026-12-01T09:30:00.000Z' });
    expect(table.files.map((file) => [file.key, file.itemCount])).toEqual([
      [built.dataKeys[0], 3],
      [built.dataKeys[1], 0],
      [built.dataKeys[2], 2],
    ]);
  });

  it('accepts manifest keys given from AWSDynamoDB/ on, as the developer guide example writes them', async () => {
    const built = buildTableExport([range(0, 2)]);
    const files = built.objects.get(`${built.directory}manifest-files.json`)?.toString() ?? '';
    rewriteManifest(built, 'manifest-files.json', files.replaceAll('point-in-time-exports/run-1/', ''));
    const summary = JSON.parse(
      built.objects.get(`${built.directory}manifest-summary.json`)?.toString() ?? '{}',
    );
    rewriteManifest(
      built,
      'manifest-summary.json',
      JSON.stringify({
        ...summary,
        manifestFilesS3Key: `AWSDynamoDB/01733600000000-a1b2c3d4/manifest-files.json`,
      }),
    );
    const table = await openTableExport(memoryExportObjects(built.objects), built.directory);
    expect(table.files[0]?.key).toBe(built.dataKeys[0]);
  });

  it('accepts a base64 checksum file as well as a hexadecimal one', async () => {
    const built = buildTableExport([range(0, 1)]);
    const summary = built.objects.get(`${built.directory}manifest-summary.json`) ?? Buffer.alloc(0);
    built.objects.set(
      `${built.directory}manifest-summary.checksum`,
      Buffer.from(createHash('md5').update(summary).digest('base64')),
    );
    await expect(openTableExport(memoryExportObjects(built.objects), built.directory)).resolves.toBeDefined();
  });

  it.each(['manifest-summary.json', 'manifest-files.json'])(
    'refuses %s when it does not match its checksum file, naming the file',
    async (name) => {
      const built = buildTableExport([range(0, 2)]);
      const key = `${built.directory}${name}`;
      const original = built.objects.get(key)?.toString() ?? '';
      // Same length, one digit changed: only the checksum tells.
      built.objects.set(key, Buffer.from(original.replace('"itemCount":2', '"itemCount":3')));
      expect(built.objects.get(key)?.toString()).not.toBe(original);
      await expect(openTableExport(memoryExportObjects(built.objects), built.directory)).rejects.toThrow(
        new TableExportError(
          `The table export file s3://mapping-bucket/${key} does not match its checksum file ` +
            `(${key.replace('.json', '.checksum')}): it is incomplete or was altered`,
        ),
      );
    },
  );

  it('refuses an export whose checksum file or manifest is missing (an export still running)', async () => {
    const built = buildTableExport([range(0, 1)]);
    built.objects.delete(`${built.directory}manifest-files.checksum`);
    await expect(openTableExport(memoryExportObjects(built.objects), built.directory)).rejects.toThrow(
      /manifest-files\.checksum cannot be read/,
    );
  });

  it('refuses a summary whose count differs from the data files, and keys outside the export', async () => {
    const short = buildTableExport([range(0, 2)], { summary: { itemCount: 3 } });
    await expect(openTableExport(memoryExportObjects(short.objects), short.directory)).rejects.toThrow(
      /data files hold 2 items and its summary counts 3/,
    );
    const elsewhere = buildTableExport([range(0, 2)], {
      summary: { manifestFilesS3Key: 'AWSDynamoDB/other-export/manifest-files.json' },
    });
    await expect(
      openTableExport(memoryExportObjects(elsewhere.objects), elsewhere.directory),
    ).rejects.toThrow(/names a key outside its export/);
  });

  it('refuses an incremental or ION export, and a directory that is not an export', async () => {
    const ion = buildTableExport([range(0, 1)], { summary: { outputFormat: 'ION' } });
    await expect(openTableExport(memoryExportObjects(ion.objects), ion.directory)).rejects.toThrow(
      /only a FULL_EXPORT in DYNAMODB_JSON/,
    );
    await expect(openTableExport(memoryExportObjects(ion.objects), 'snapshots/x/')).rejects.toThrow(
      /not a table export directory/,
    );
  });
});

describe('malformed exports', () => {
  it.each([
    [
      'a summary that is not JSON',
      'manifest-summary.json',
      '{not json',
      /manifest-summary\.json is not JSON/,
    ],
    [
      'a summary without its count',
      'manifest-summary.json',
      '{"exportTime":"x"}',
      /lacks the summary's itemCount or exportTime/,
    ],
    [
      'a files manifest line that is not JSON',
      'manifest-files.json',
      '{oops\n',
      /Line 1 of .*manifest-files\.json is not JSON/,
    ],
    [
      'a files manifest line without its MD5',
      'manifest-files.json',
      '{"itemCount":1}\n',
      /Line 1 of .*manifest-files\.json lacks itemCount, md5Checksum/,
    ],
  ])('refuses %s, naming the file', async (_name, file, text, message) => {
    const built = buildTableExport([range(0, 1)]);
    rewriteManifest(built, file, text);
    await expect(openTableExport(memoryExportObjects(built.objects), built.directory)).rejects.toThrow(
      message,
    );
  });

  it('refuses a line that is not JSON, or whose value is not a number where N says so', async () => {
    const built = buildTableExport([range(0, 1)]);
    const key = built.dataKeys[0] ?? '';
    const lines = ['{"Item": {"id": {"S": "a"}}', '{"Item": {"n": {"N": "abc"}}}'];
    for (const [index, line] of lines.entries()) {
      const bytes = gzipSync(`${line}\n`);
      built.objects.set(key, bytes);
      const manifest = JSON.stringify({
        itemCount: 1,
        md5Checksum: createHash('md5').update(bytes).digest('base64'),
        dataFileS3Key: key,
      });
      rewriteManifest(built, 'manifest-files.json', `${manifest}\n`);
      await expect(
        allPages(memoryExportObjects(built.objects), built.directory, undefined, 5),
      ).rejects.toThrow(
        index === 0
          ? `Line 1 of s3://mapping-bucket/${key} is not a JSON line`
          : /Line 1 of .*: An N value of the export is not a number/,
      );
    }
  });

  it('reads an S3 body that is not a stream, and refuses an object that cannot be read', async () => {
    const built = buildTableExport([range(0, 2)]);
    s3Mock.callsFake((input: { Key?: string; Prefix?: string }) => {
      if (input.Prefix !== undefined) return { Contents: [] };
      const bytes = built.objects.get(input.Key ?? '');
      if (bytes === undefined) throw new Error('NoSuchKey');
      return { Body: { transformToByteArray: async () => new Uint8Array(bytes) } };
    });
    const store = s3ExportObjects(new S3Client({}), 'mapping-bucket');
    expect(
      (await allPages(store as never, built.directory, undefined, 5)).flatMap((page) => page.items),
    ).toEqual(range(0, 2));
    built.objects.delete(built.dataKeys[0] ?? '');
    await expect(allPages(store as never, built.directory, undefined, 5)).rejects.toThrow(
      /cannot be read \(truncated or not gzip\)/,
    );
  });
});

describe('readTableExport', () => {
  it('yields every item once, in pages across files, and resumes from any page cursor without loss or repeat', async () => {
    const built = buildTableExport([range(0, 5), null, [], range(5, 12)]);
    const objects = memoryExportObjects(built.objects);
    const pages = await allPages(objects, built.directory, undefined, 4);
    expect(pages.flatMap((page) => page.items)).toEqual(range(0, 12));
    expect(pages.map((page) => page.next)).toEqual([
      { File: 0, Line: 4 },
      { File: 3, Line: 3 },
      { File: 3, Line: 7 },
      undefined,
    ]);
    for (const [index, page] of pages.entries()) {
      if (page.next === undefined) continue;
      const rest = await allPages(objects, built.directory, page.next, 4);
      expect(rest.flatMap((later) => later.items)).toEqual(range(4 * (index + 1), 12));
    }
  });

  it('gives one empty last page for an export with no items', async () => {
    const built = buildTableExport([null, []]);
    expect(await allPages(memoryExportObjects(built.objects), built.directory, undefined, 10)).toEqual([
      { items: [] },
    ]);
  });

  it('returns every attribute type as the DocumentClient does (the unmarshalled item)', async () => {
    const typed = {
      id: 'USER-1',
      type: 'USER-x',
      s: 'é😀\n"quoted"',
      n: 1_700_000_000_000,
      decimal: -12.5,
      yes: true,
      no: false,
      nothing: null,
      bytes: new Uint8Array([0, 1, 254, 255]),
      list: [{ Name: 'sub', Value: 'abc' }, 'x', 3, null, [true]],
      map: { nested: { deeper: 'v' }, empty: {} },
      emptyList: [],
      strings: new Set(['a', 'b']),
      numbers: new Set([1, 2.5]),
      binaries: new Set([new Uint8Array([1]), new Uint8Array([2, 3])]),
    };
    const built = buildTableExport([[typed]]);
    const [page] = await allPages(memoryExportObjects(built.objects), built.directory, undefined, 10);
    expect(page?.items).toEqual([unmarshall(marshall(typed))]);
    expect(page?.items[0]).toEqual(typed);
  });

  it('refuses a number a JavaScript number would not hold exactly, and an unknown type', () => {
    expect(() => plainItem({ n: { N: '12345678901234567890' } })).toThrow(/larger than a JavaScript number/);
    expect(() => plainItem({ x: { Q: 'v' } })).toThrow(/unknown or malformed type \(Q\)/);
    expect(() => plainItem({ x: { S: 1 } })).toThrow(/unknown or malformed type \(S\)/);
  });

  it('refuses a truncated data file, naming it', async () => {
    const built = buildTableExport([range(0, 3)]);
    const key = built.dataKeys[0] ?? '';
    const bytes = built.objects.get(key) ?? Buffer.alloc(0);
    built.objects.set(key, bytes.subarray(0, bytes.length - 10));
    await expect(
      allPages(memoryExportObjects(built.objects), built.directory, undefined, 10),
    ).rejects.toThrow(
      `The table export file s3://mapping-bucket/${key} cannot be read (truncated or not gzip)`,
    );
  });

  it('refuses a data file altered after the export (same item count), naming it', async () => {
    const built = buildTableExport([range(0, 3)]);
    const key = built.dataKeys[0] ?? '';
    const altered = [item(0), { ...item(1), userEnabled: false }, item(2)];
    built.objects.set(key, gzipSync(altered.map((one) => `${exportLine(one)}\n`).join('')));
    await expect(
      allPages(memoryExportObjects(built.objects), built.directory, undefined, 10),
    ).rejects.toThrow(
      `The table export file s3://mapping-bucket/${key} does not match its MD5 in the files manifest: it is ` +
        'truncated or was altered',
    );
  });

  it('refuses a data file that holds another count than its manifest, and a line that is not an item', async () => {
    const built = buildTableExport([range(0, 3)]);
    const manifest = built.objects.get(`${built.directory}manifest-files.json`)?.toString() ?? '';
    rewriteManifest(built, 'manifest-files.json', manifest.replace('"itemCount":3', '"itemCount":4'));
    const summary = built.objects.get(`${built.directory}manifest-summary.json`)?.toString() ?? '';
    rewriteManifest(built, 'manifest-summary.json', summary.replace('"itemCount":3', '"itemCount":4'));
    await expect(
      allPages(memoryExportObjects(built.objects), built.directory, undefined, 10),
    ).rejects.toThrow(/holds 3 items and its manifest counts 4/);
    const garbled = buildTableExport([range(0, 1)]);
    const key = garbled.dataKeys[0] ?? '';
    garbled.objects.set(key, gzipSync('{"NotItem":{}}\n'));
    await expect(
      allPages(memoryExportObjects(garbled.objects), garbled.directory, undefined, 10),
    ).rejects.toThrow(`Line 1 of s3://mapping-bucket/${key} is not an {"Item": ...} line`);
  });

  it('checks a file before the page that ends it: no item of a bad file is its last page', async () => {
    const built = buildTableExport([range(0, 2)]);
    const key = built.dataKeys[0] ?? '';
    built.objects.set(key, gzipSync([item(0), item(9)].map((one) => `${exportLine(one)}\n`).join('')));
    const objects = memoryExportObjects(built.objects);
    const table = await openTableExport(objects, built.directory);
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const page of readTableExport(objects, table, undefined, 1)) seen.push(...page.items);
      })(),
    ).rejects.toThrow(/does not match its MD5/);
    expect(seen).toEqual([item(0)]);
  });

  it('closes the file when the reader stops mid-file, and refuses a cursor outside the export', async () => {
    const built = buildTableExport([range(0, 50)]);
    const objects = memoryExportObjects(built.objects, 64);
    const table = await openTableExport(objects, built.directory);
    for await (const page of readTableExport(objects, table, undefined, 5)) {
      expect(page.items).toHaveLength(5);
      break;
    }
    await expect(
      (async () => {
        for await (const _page of readTableExport(objects, table, { File: 2, Line: 0 }, 5)) break;
      })(),
    ).rejects.toThrow(/not a position in this export/);
  });
});

describe('verifyTableExport', () => {
  it('checks file after file while there is time, visiting every item, and says where to go on', async () => {
    const built = buildTableExport([range(0, 2), range(2, 3), range(3, 6)]);
    const objects = memoryExportObjects(built.objects);
    const table = await openTableExport(objects, built.directory);
    const visited: unknown[] = [];
    let budget = 1;
    const hasTime = () => budget-- > 0;
    expect(await verifyTableExport(objects, table, 0, hasTime, (one) => visited.push(one))).toBe(2);
    expect(
      await verifyTableExport(
        objects,
        table,
        2,
        () => true,
        (one) => visited.push(one),
      ),
    ).toBeUndefined();
    expect(visited).toEqual([...range(0, 3), ...range(3, 6)]);
  });

  it('refuses the first bad file it reads', async () => {
    const built = buildTableExport([range(0, 2), range(2, 4)]);
    const key = built.dataKeys[1] ?? '';
    built.objects.set(key, Buffer.from('not gzip at all'));
    const objects = memoryExportObjects(built.objects);
    const table = await openTableExport(objects, built.directory);
    await expect(verifyTableExport(objects, table, 0, () => true)).rejects.toThrow(
      `The table export file s3://mapping-bucket/${key} cannot be read (truncated or not gzip)`,
    );
  });
});

describe('the S3 objects and the exports under a prefix', () => {
  it('streams objects from S3, lists every page, and finds the exports that have a summary', async () => {
    const first = buildTableExport([range(0, 3)], { prefix: 'snapshots/20261207T223000Z/' });
    const second = buildTableExport([range(0, 1)], {
      prefix: 'snapshots/20261207T223000Z/',
      exportId: '01733700000000-b1b2c3d4',
    });
    const objects = new Map([...first.objects, ...second.objects]);
    objects.delete(`${second.directory}manifest-summary.json`);
    serveExportBucket(s3Mock, objects);
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [{ Key: `${first.directory}manifest-summary.json` }],
        IsTruncated: true,
        NextContinuationToken: 't',
      })
      .resolvesOnce({ Contents: [{ Key: `${second.directory}_started` }, {}] });
    const store = s3ExportObjects(new S3Client({}), 'snapshot-bucket');
    expect(await findTableExports(store, 'snapshots/20261207T223000Z/')).toEqual([first.directory]);
    expect(
      s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.ContinuationToken),
    ).toEqual([undefined, 't']);
    const table = await openTableExport(store, first.directory);
    const items = [];
    for await (const page of readTableExport(store, table, undefined, 2)) items.push(...page.items);
    expect(items).toEqual(range(0, 3));
  });

  it('compares digests in hexadecimal (any case) and base64, and nothing else', () => {
    const digest = createHash('md5').update('x').digest();
    expect(sameDigest(digest.toString('hex').toUpperCase(), digest)).toBe(true);
    expect(sameDigest(`${digest.toString('base64')}\n`, digest)).toBe(true);
    expect(sameDigest('', digest)).toBe(false);
    expect(sameDigest(createHash('md5').update('y').digest('hex'), digest)).toBe(false);
  });
});
