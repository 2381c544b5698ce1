// SPDX-License-Identifier: Apache-2.0
/** build-s3-dist.sh refuses a bucket base name S3 would refuse, before building anything. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', 'build-s3-dist.sh');

function build(bucket: string): { status: number | null; stderr: string } {
  const run = spawnSync('bash', [SCRIPT, bucket, 'solution', 'v0.0.0'], { encoding: 'utf8' });
  return { status: run.status, stderr: run.stderr };
}

describe('build-s3-dist.sh bucket base name', () => {
  it.each([
    ['ab', 'must be 3 to 48 characters long'],
    ['a'.repeat(49), 'must be 3 to 48 characters long'],
    ['My_Bucket', 'may hold only lowercase letters, digits, dots (.) and hyphens (-)'],
    ['-bucket', 'must begin and end with a lowercase letter or a digit'],
    ['bucket.', 'must begin and end with a lowercase letter or a digit'],
    ['my..bucket', 'must not contain two adjacent dots'],
    ['192.168.5.4', 'must not be formatted as an IP address'],
    ['xn--bucket', 'must not begin with xn--, sthree- or amzn-s3-demo- (reserved by S3)'],
  ])('refuses %j: %s', (bucket, problem) => {
    const { status, stderr } = build(bucket);
    expect(status).toBe(1);
    expect(stderr).toContain(`Invalid <bucket-base-name> "${bucket}": ${problem}`);
    expect(stderr).toContain('Usage:');
  });
});
