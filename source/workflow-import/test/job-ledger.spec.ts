// SPDX-License-Identifier: Apache-2.0
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { mockAws } from '../../test-support/aws-mock';
import { manifestKey, readManifests, writeManifest, type Manifest } from '../lib/job-ledger';
import { POOL_ID } from './support';

const s3 = mockAws(S3Client);
const client = new S3Client({ region: 'us-east-1' });
const BUCKET = 'solution-bucket';

/** An S3 stand-in holding objects by key, listed one key per page. */
function serveObjects(objects: Record<string, string>) {
  s3.on(ListObjectsV2Command).callsFake(async (input: { Prefix?: string; ContinuationToken?: string }) => {
    const keys = Object.keys(objects)
      .filter((key) => key.startsWith(input.Prefix ?? ''))
      .sort();
    const index = input.ContinuationToken === undefined ? 0 : Number(input.ContinuationToken);
    const more = index + 1 < keys.length;
    return {
      Contents: keys.slice(index, index + 1).map((Key) => ({ Key })),
      IsTruncated: more,
      ...(more ? { NextContinuationToken: String(index + 1) } : {}),
    };
  });
  s3.on(GetObjectCommand).callsFake(async (input: { Key?: string }) => {
    const text = objects[input.Key ?? ''] ?? '';
    return { Body: { transformToString: async () => text } } as unknown as GetObjectCommandOutput;
  });
}

const manifest = (jobId: string): Manifest => ({
  JobId: jobId,
  UserPoolId: POOL_ID,
  WrittenAt: 1_700_000_000_000,
  Subs: ['sub-1', 'sub-2'],
});

describe('the import-job manifests', () => {
  beforeEach(() => {
    s3.reset();
  });

  it('writes identifiers only, under the pool prefix, with the bucket default encryption', async () => {
    s3.on(PutObjectCommand).resolves({});
    await writeManifest(client, BUCKET, manifest('import-1'));
    const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ Bucket: BUCKET, Key: manifestKey(POOL_ID, 'import-1') });
    expect(input).not.toHaveProperty('ServerSideEncryption');
    expect(JSON.parse(String(input?.Body))).toEqual(manifest('import-1'));
  });

  it("reads every manifest of the pool across pages, and none of another pool's", async () => {
    serveObjects({
      [manifestKey(POOL_ID, 'import-1')]: JSON.stringify(manifest('import-1')),
      [manifestKey(POOL_ID, 'import-2')]: JSON.stringify(manifest('import-2')),
      [manifestKey('us-east-1_other', 'import-3')]: JSON.stringify(manifest('import-3')),
    });
    const read = await readManifests(client, BUCKET, POOL_ID);
    expect(read.map((m) => m.JobId)).toEqual(['import-1', 'import-2']);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(2);
  });

  it('fails naming the key of a manifest it cannot read', async () => {
    const key = manifestKey(POOL_ID, 'import-1');
    serveObjects({ [key]: JSON.stringify({ JobId: 'import-1', Subs: 'not a list' }) });
    await expect(readManifests(client, BUCKET, POOL_ID)).rejects.toThrow(
      `The import manifest ${key} is not readable`,
    );
  });
});
