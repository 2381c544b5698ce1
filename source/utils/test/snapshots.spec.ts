// SPDX-License-Identifier: Apache-2.0
import { ListObjectsV2Command, S3Client, type _Object } from '@aws-sdk/client-s3';
import { mockAws } from '../../test-support/aws-mock';
import {
  findSnapshot,
  InvalidSnapshotIdError,
  listSnapshots,
  MANIFEST_FILES,
  snapshotExportsPrefix,
  snapshotId,
  SnapshotNotFoundError,
  snapshotTime,
} from '../snapshots';

const s3 = mockAws(S3Client);
const BUCKET = 'x-import-jobs-0123-us-east-1-snap';
const ID = '20261207T223000Z';
const BASE = `snapshots/${ID}/AWSDynamoDB/`;

const object = (key: string, modified = '2026-12-07T22:40:00Z'): _Object => ({
  Key: key,
  LastModified: new Date(modified),
});

/** A whole export as DynamoDB writes it: `_started`, data files, then the manifests and their checksums. */
const exportObjects = (exportId: string, { manifests = true, modified = '2026-12-07T22:40:00Z' } = {}) => [
  object(`${BASE}${exportId}/_started`, '2026-12-07T22:30:05Z'),
  object(`${BASE}${exportId}/data/aaaa.json.gz`),
  object(`${BASE}${exportId}/data/bbbb.json.gz`),
  ...(manifests ? MANIFEST_FILES.map((name) => object(`${BASE}${exportId}/${name}`, modified)) : []),
];

/** The bucket answers ListObjectsV2 from `objects`, two keys a page (so that every listing pages). */
function bucketHolds(objects: _Object[]): void {
  s3.on(ListObjectsV2Command).callsFake((input: { Prefix?: string; ContinuationToken?: string }) => {
    const matching = objects.filter((candidate) => (candidate.Key ?? '').startsWith(input.Prefix ?? ''));
    const start = Number(input.ContinuationToken ?? 0);
    const page = matching.slice(start, start + 2);
    const more = start + 2 < matching.length;
    return {
      Contents: page,
      IsTruncated: more,
      ...(more ? { NextContinuationToken: String(start + 2) } : {}),
    };
  });
}

beforeEach(() => {
  s3.reset();
});

describe('snapshot ids', () => {
  it.each([
    ['2026-12-07T22:30:00.000Z', '20261207T223000Z'],
    ['2024-01-05T03:04:05.999Z', '20240105T030405Z'],
  ])('the time %s is the snapshot %s, and back', (time, id) => {
    expect(snapshotId(new Date(time))).toBe(id);
    expect(snapshotTime(id).toISOString()).toBe(time.replace(/\.\d{3}Z$/, '.000Z'));
  });

  it.each(['2026-12-07T22:30:00Z', '20261207T223000', '20261307T223000Z', '20260230T223000Z', '../x', ''])(
    'refuses "%s"',
    (id) => {
      expect(() => snapshotTime(id)).toThrow(InvalidSnapshotIdError);
    },
  );
});

describe('findSnapshot', () => {
  it('finds the export under snapshots/<id>/AWSDynamoDB/ and calls it complete when every manifest is there', async () => {
    // Another snapshot's export beside it is not this snapshot's.
    const other = exportObjects('01733524200000-e5f6a7b8').map((candidate) => ({
      ...candidate,
      Key: candidate.Key?.replace(ID, '20261206T223000Z'),
    }));
    bucketHolds([...other, ...exportObjects('01733610600000-a1b2c3d4')]);
    await expect(findSnapshot(new S3Client({}), BUCKET, ID)).resolves.toEqual({
      snapshotId: ID,
      bucket: BUCKET,
      exportId: '01733610600000-a1b2c3d4',
      exportPrefix: `${BASE}01733610600000-a1b2c3d4/`,
      complete: true,
      missing: [],
      dataFiles: 2,
    });
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, {
      Bucket: BUCKET,
      Prefix: snapshotExportsPrefix(ID),
    });
  });

  it.each(MANIFEST_FILES.map((name) => [name]))('is incomplete without %s, and names it', async (name) => {
    bucketHolds(exportObjects('e1').filter((candidate) => !candidate.Key?.endsWith(`/${name}`)));
    const found = await findSnapshot(new S3Client({}), BUCKET, ID);
    expect(found.complete).toBe(false);
    expect(found.missing).toEqual([name]);
  });

  it('prefers a complete export to an incomplete one, then the newest complete one', async () => {
    bucketHolds([
      ...exportObjects('z-incomplete', { manifests: false, modified: '2026-12-08T00:00:00Z' }),
      ...exportObjects('b-older', { modified: '2026-12-07T22:40:00Z' }),
      ...exportObjects('a-newer', { modified: '2026-12-07T23:10:00Z' }),
    ]);
    const found = await findSnapshot(new S3Client({}), BUCKET, ID);
    expect([found.exportId, found.complete]).toEqual(['a-newer', true]);
  });

  it('refuses a snapshot the bucket does not hold, saying how to list the ones it does', async () => {
    bucketHolds(exportObjects('e1'));
    await expect(findSnapshot(new S3Client({}), BUCKET, '20261201T000000Z')).rejects.toThrow(
      SnapshotNotFoundError,
    );
    await expect(findSnapshot(new S3Client({}), BUCKET, '20261201T000000Z')).rejects.toThrow(
      `aws s3 ls s3://${BUCKET}/snapshots/`,
    );
  });

  it('refuses what is not a snapshot id before listing anything', async () => {
    bucketHolds([]);
    await expect(findSnapshot(new S3Client({}), BUCKET, '../restore-reports')).rejects.toThrow(
      InvalidSnapshotIdError,
    );
    expect(s3).toHaveReceivedCommandTimes(ListObjectsV2Command, 0);
  });
});

describe('listSnapshots', () => {
  it('lists the snapshot ids of a bucket, oldest first, across pages, and nothing else', async () => {
    const pages = [
      {
        CommonPrefixes: [{ Prefix: 'snapshots/20261207T223000Z/' }, { Prefix: 'snapshots/not-a-snapshot/' }],
        IsTruncated: true,
        NextContinuationToken: 't',
      },
      { CommonPrefixes: [{ Prefix: 'snapshots/20261206T223000Z/' }], IsTruncated: false },
    ];
    s3.on(ListObjectsV2Command)
      .resolvesOnce(pages[0] ?? {})
      .resolvesOnce(pages[1] ?? {});
    await expect(listSnapshots(new S3Client({}), BUCKET)).resolves.toEqual([
      '20261206T223000Z',
      '20261207T223000Z',
    ]);
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, {
      Bucket: BUCKET,
      Prefix: 'snapshots/',
      Delimiter: '/',
    });
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, { ContinuationToken: 't' });
  });
});
