// SPDX-License-Identifier: Apache-2.0
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockAws } from '../../test-support/aws-mock';
import { InvalidSnapshotIdError, listSnapshots, snapshotId, snapshotTime } from '../snapshots';

const s3 = mockAws(S3Client);
const BUCKET = 'x-import-jobs-0123-us-east-1-snap';
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
