// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { documentClient } from '../clients';
import {
  configurationItems,
  PART_BYTES,
  POOL_CONFIGURATION_ID,
  readPoolConfiguration,
  writePoolConfiguration,
} from '../pool-configuration-item';

const ddb = mockAws(DynamoDBDocumentClient);
const TABLE = { tableName: 'backup-table', typeTimestamp: 'SYNC_TIMESTAMP-instance' };
const AT = '2026-01-02T03:04:05.000Z';

/** A configuration that gzip cannot shrink below `bytes`: random text. */
const incompressible = (bytes: number) => ({
  Clients: [{ ClientName: randomBytes(bytes).toString('base64') }],
});

/** A table in memory behind the mocked client: what was put can be got. */
function fakeTable(): Map<string, Record<string, unknown>> {
  const items = new Map<string, Record<string, unknown>>();
  ddb.on(PutCommand).callsFake((input: { Item: Record<string, unknown> }) => {
    items.set(`${String(input.Item.id)}|${String(input.Item.type)}`, input.Item);
    return {};
  });
  ddb.on(GetCommand).callsFake((input: { Key: { id: string; type: string } }) => ({
    Item: items.get(`${input.Key.id}|${input.Key.type}`),
  }));
  return items;
}

beforeEach(() => ddb.reset());

describe('the configuration item', () => {
  it('is one compressed item with the bookkeeping type and no lastConfirmedInUserPool', () => {
    const items = configurationItems({ UserPool: { PoolName: 'p' } }, TABLE.typeTimestamp, AT);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      id: POOL_CONFIGURATION_ID,
      type: TABLE.typeTimestamp,
      encoding: 'gzip-json',
      recordedAt: AT,
    });
    expect(items[0]).not.toHaveProperty('lastConfirmedInUserPool');
  });

  it('round-trips through the table', async () => {
    fakeTable();
    const configuration = { UserPool: { PoolName: 'p', Schema: [{ Name: 'custom:plan' }] }, Clients: [] };
    await writePoolConfiguration(documentClient(), TABLE, configuration, AT);
    await expect(readPoolConfiguration(documentClient(), TABLE)).resolves.toEqual(configuration);
  });

  it('splits a configuration above one part into parts written before the head, under 400 KB each', async () => {
    const items = fakeTable();
    const configuration = incompressible(PART_BYTES * 2);
    const written = await writePoolConfiguration(documentClient(), TABLE, configuration, AT);
    expect(written.items).toBe(4);
    const ids = ddb.commandCalls(PutCommand).map((call) => call.args[0].input.Item?.id);
    expect(ids).toEqual([
      `${POOL_CONFIGURATION_ID}#1`,
      `${POOL_CONFIGURATION_ID}#2`,
      `${POOL_CONFIGURATION_ID}#3`,
      POOL_CONFIGURATION_ID,
    ]);
    for (const item of items.values())
      expect(
        ((item.chunk ?? item.configuration ?? new Uint8Array()) as Uint8Array).byteLength,
      ).toBeLessThanOrEqual(PART_BYTES);
    await expect(readPoolConfiguration(documentClient(), TABLE)).resolves.toEqual(configuration);
  });

  it('refuses parts of another export', async () => {
    const items = fakeTable();
    await writePoolConfiguration(documentClient(), TABLE, incompressible(PART_BYTES + 10), AT);
    const part = items.get(`${POOL_CONFIGURATION_ID}#1|${TABLE.typeTimestamp}`);
    if (part) part.sha256 = 'other';
    await expect(readPoolConfiguration(documentClient(), TABLE)).rejects.toThrow(
      "Part 1 of 2 of the backup's configuration item is missing or belongs to another export",
    );
  });

  it('refuses a head whose data does not match its digest', async () => {
    const items = fakeTable();
    await writePoolConfiguration(documentClient(), TABLE, { a: 1 }, AT);
    const head = items.get(`${POOL_CONFIGURATION_ID}|${TABLE.typeTimestamp}`);
    if (head) head.sha256 = '0'.repeat(64);
    await expect(readPoolConfiguration(documentClient(), TABLE)).rejects.toThrow('does not match its digest');
  });

  it('reads as absent in a table without one (a backup of the original solution)', async () => {
    fakeTable();
    await expect(readPoolConfiguration(documentClient(), TABLE)).resolves.toBeUndefined();
    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      TableName: 'backup-table',
      Key: { id: POOL_CONFIGURATION_ID, type: TABLE.typeTimestamp },
    });
  });

  it('refuses an encoding it does not know', async () => {
    ddb.on(GetCommand).resolves({ Item: { id: POOL_CONFIGURATION_ID, encoding: 'zstd' } });
    await expect(readPoolConfiguration(documentClient(), TABLE)).rejects.toThrow(
      'encoding this version cannot read (zstd)',
    );
  });
});
