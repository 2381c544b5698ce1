// SPDX-License-Identifier: Apache-2.0
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockAws } from '../../test-support/aws-mock';
import { s3Client } from '../clients';
import { configurationItems } from '../pool-configuration-item';
import {
  readStoredConfiguration,
  storeConfiguration,
  storeConfigurationItems,
  storedItemKey,
} from '../stored-pool-configuration';

const s3 = mockAws(S3Client);
beforeEach(() => s3.reset());
const store = () => ({ s3: s3Client(), bucket: 'mapping-bucket', execution: 'run-1' });
const configuration = { UserPool: { PoolName: 'production' } };

describe('the configuration item CheckRecoveryPoint keeps', () => {
  it('keeps binary values through JSON, and reads an item kept by an earlier invocation', async () => {
    const items = configurationItems(configuration, 'TIMESTAMP-x', '2026-12-07T22:30:00Z', 20);
    const work = new Map<string, string>();
    s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
      work.set(input.Key, input.Body);
      return {};
    });
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      const text = work.get(input.Key);
      if (text === undefined) throw new NoSuchKey({ message: 'NoSuchKey', $metadata: {} });
      return { Body: { transformToString: () => Promise.resolve(text) } } as never;
    });
    await storeConfigurationItems(store(), items);
    expect(work.has(storedItemKey('run-1', 'user-pool-configuration#1'))).toBe(true);
    const ids = new Set(items.map((item) => String(item.id)));
    await expect(storeConfiguration(store(), ids, new Map())).resolves.toBe('recorded');
    await expect(readStoredConfiguration(store(), 'the snapshot')).resolves.toEqual(configuration);
    // A part that no invocation kept.
    work.delete(storedItemKey('run-1', 'user-pool-configuration#1'));
    await expect(storeConfiguration(store(), ids, new Map())).resolves.toBe('unreadable');
  });

  it('lets any other failure of S3 through', async () => {
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    await expect(readStoredConfiguration(store(), 'the snapshot')).rejects.toThrow('Access Denied');
  });

  it('reads an empty object as nothing kept', async () => {
    s3.on(GetObjectCommand).resolves({});
    await expect(readStoredConfiguration(store(), 'the snapshot')).rejects.toThrow(
      /was not kept by CheckRecoveryPoint/,
    );
  });
});
