// SPDX-License-Identifier: Apache-2.0
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockAws } from '../../test-support/aws-mock';
import {
  isReady,
  MAX_READY_BYTES,
  readImportProgress,
  subsDigest,
  updateSubject,
  writeImportEnded,
  writeReady,
} from '../lib/import-progress';
import { MAPPING_BUCKET, membershipItem, POOL_ID, serveBucket, subOf, TYPE_USER, userItem } from './support';

const s3 = mockAws(S3Client);
const STORE = { s3: new S3Client({}), bucket: MAPPING_BUCKET, userPoolId: POOL_ID, execution: 'run-1' };

const disabledUser = (n: number) =>
  userItem(n, { userEnabled: false, userAttributes: [{ Name: 'sub', Value: subOf(n) }] });
const view = (...users: number[]) => ({ ended: false, ready: new Set(users.map(subOf)) });

describe('the readiness rule', () => {
  it('names the user of a disabled flag by its sub attribute, and of a membership by its item type', () => {
    expect(updateSubject(disabledUser(1), TYPE_USER)).toBe(subOf(1));
    expect(updateSubject(membershipItem('g', 2), TYPE_USER)).toBe(subOf(2));
  });

  it('applies an update only when its own user is known to exist', () => {
    expect(isReady(disabledUser(1), TYPE_USER, view(1))).toBe(true);
    expect(isReady(disabledUser(1), TYPE_USER, view(2))).toBe(false);
    expect(isReady(membershipItem('g', 2), TYPE_USER, view(2))).toBe(true);
    expect(isReady(membershipItem('g', 2), TYPE_USER, view(1, 3))).toBe(false);
  });

  it('does not take another field of the item for the user', () => {
    // A membership's groupUser or stored name, or the user item's id, are not what the ledgers record.
    const member = { ...membershipItem('g', 2), groupUser: subOf(1), groupPseudoUsername: subOf(1) };
    expect(isReady(member, TYPE_USER, view(1))).toBe(false);
    const noSubAttribute = userItem(3, { userEnabled: false, id: `USER-${subOf(1)}`, userAttributes: [] });
    expect(isReady(noSubAttribute, TYPE_USER, view(1, 3))).toBe(false);
  });

  it('finds no user in a membership whose type names no sub (GROUP_MEMBER- alone)', () => {
    const nameless = { ...membershipItem('g', 2), type: 'GROUP_MEMBER-' };
    expect(updateSubject(nameless, TYPE_USER)).toBeUndefined();
    expect(isReady(nameless, TYPE_USER, { ended: false, ready: new Set(['']) })).toBe(false);
  });

  it('finds no user, so nothing is ready, in an item of another type without a member type', () => {
    expect(updateSubject({ ...disabledUser(1), type: 'other' }, TYPE_USER)).toBeUndefined();
    expect(isReady({ ...disabledUser(1), type: 'other' }, TYPE_USER, view(1))).toBe(false);
  });
});

describe('the import progress objects', () => {
  let bucket: Map<string, string>;
  beforeEach(() => {
    s3.reset();
    bucket = new Map();
    serveBucket(s3, bucket, { list: true });
  });

  it('keeps each execution apart and says when the import has ended', async () => {
    await writeReady(STORE, 'import-1', [subOf(1), subOf(2)]);
    await writeReady({ ...STORE, execution: 'run-0' }, 'import-0', [subOf(3)]);
    await expect(readImportProgress(STORE)).resolves.toEqual(
      expect.objectContaining({ ended: false, ready: new Set([subOf(1), subOf(2)]) }),
    );
    await writeImportEnded(STORE);
    await expect(readImportProgress(STORE)).resolves.toEqual(expect.objectContaining({ ended: true }));
    expect([...bucket.keys()].sort()).toEqual([
      `import-progress/${POOL_ID}/run-0/ready-import-0.json`,
      `import-progress/${POOL_ID}/run-1/ended.json`,
      `import-progress/${POOL_ID}/run-1/ready-import-1.json`,
    ]);
  });

  it('reads only the objects it has not read yet, and keeps the users it had', async () => {
    await writeReady(STORE, 'import-1', [subOf(1)]);
    const first = await readImportProgress(STORE);
    await writeReady(STORE, `admin-create-${subsDigest([subOf(2)])}`, [subOf(2)]);
    const second = await readImportProgress(STORE, first);
    expect(second.ready).toEqual(new Set([subOf(1), subOf(2)]));
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(2);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(2);
  });

  it('writes nothing for no users, and names a set of users the same in any order', async () => {
    await writeReady(STORE, 'empty', []);
    expect(bucket.size).toBe(0);
    expect(subsDigest([subOf(1), subOf(2)])).toBe(subsDigest([subOf(2), subOf(1)]));
    expect(subsDigest([subOf(1)])).not.toBe(subsDigest([subOf(2)]));
  });

  it('refuses more users than one reader can hold (the branch then leaves the updates for after the import)', async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: `import-progress/${POOL_ID}/run-1/ready-import-1.json`, Size: MAX_READY_BYTES },
        { Key: `import-progress/${POOL_ID}/run-1/ready-import-2.json`, Size: 1 },
      ],
    });
    await expect(readImportProgress(STORE)).rejects.toThrow(/more than one reader takes/);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('reads every page of a long listing: users and the end named on later pages count', async () => {
    await writeReady(STORE, 'import-1', [subOf(1)]);
    await writeReady(STORE, 'import-2', [subOf(2)]);
    await writeImportEnded(STORE);
    // One key a page, each page but the last truncated; a key-less entry is skipped.
    s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string; ContinuationToken?: string }) => {
      const keys = [...bucket.keys()].filter((key) => key.startsWith(input.Prefix)).sort();
      const index = Number(input.ContinuationToken ?? '0');
      const more = index + 1 < keys.length;
      return {
        Contents: [{ Key: keys[index] }, {}],
        IsTruncated: more,
        ...(more ? { NextContinuationToken: String(index + 1) } : {}),
      };
    });
    await expect(readImportProgress(STORE)).resolves.toEqual(
      expect.objectContaining({ ended: true, ready: new Set([subOf(1), subOf(2)]) }),
    );
    expect(s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.ContinuationToken)).toEqual(
      [undefined, '1', '2'],
    );
  });

  it('fails on an object that is not a list of users', async () => {
    bucket.set(`import-progress/${POOL_ID}/run-1/ready-x.json`, '{"Subs": [1]}');
    await expect(readImportProgress(STORE)).rejects.toThrow(/is not readable/);
  });
});
