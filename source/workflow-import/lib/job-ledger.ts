// SPDX-License-Identifier: Apache-2.0
/**
 * What this solution's import jobs in the new pool already cover, so that an invocation whose result
 * was lost (a crash after StartUserImportJob, Step Functions retrying the task) is neither repeated
 * nor raced:
 * - Before StartUserImportJob, the invocation writes a manifest to the solution's bucket,
 *   `import-manifests/<pool id>/<job id>.json`: the job id, the execution, when it was written, and the
 *   `sub` of every user in the file (identifiers only, no attribute values). The manifest stays for the
 *   rest of the execution's import step: a message for one of its users may still come, from a lost
 *   result of this invocation or from a table scan that Step Functions retried after it had queued
 *   its users. The import step deletes the execution's manifests once the scan is over and the queue
 *   is drained; a later execution deletes those of earlier ones (their messages were purged or
 *   consumed, and their users are either in the pool or to be imported again).
 * - It starts the job only within `START_WINDOW_MS` of writing the manifest, while it still holds
 *   every message of the file. So a manifest whose job is still `Created` after `STALE_MANIFEST_MS`
 *   will never be started: its users are not covered.
 * - Every ImportNewUsers invocation first lists this solution's jobs in the pool
 *   (ListUserImportJobs, through the limiter): while one is `Pending` or `InProgress` it starts
 *   nothing and hands that job to the state machine's wait loop. Messages of users covered by a
 *   started job of the same execution are deleted instead of imported again: a user is imported at
 *   most once per execution, however often its message is sent or delivered.
 */
import { ListUserImportJobsCommand, type UserImportJobType } from '@aws-sdk/client-cognito-identity-provider';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { RateLimitedCognito } from '../../utils/cognito';
import { IMPORT_JOB_NAME, RUNNING } from './import-job';

/** The job must be started within this time of writing its manifest, or not at all. */
export const START_WINDOW_MS = 30_000;
/** A manifest whose job is still `Created` this long after it was written is abandoned. */
export const STALE_MANIFEST_MS = 120_000;
export const MANIFEST_PREFIX = 'import-manifests/';

/** The statuses of a job that is still running (one definition, shared with CheckUserImportJob). */
export const RUNNING_JOB_STATUSES = RUNNING;

export interface Manifest {
  JobId: string;
  UserPoolId: string;
  /** The Step Functions execution whose import step wrote it; absent in manifests of earlier versions. */
  Execution?: string;
  /** Epoch ms, on the writer's clock. */
  WrittenAt: number;
  Subs: string[];
}

export const manifestPrefix = (userPoolId: string): string => `${MANIFEST_PREFIX}${userPoolId}/`;
export const manifestKey = (userPoolId: string, jobId: string): string =>
  `${manifestPrefix(userPoolId)}${jobId}.json`;

/** This solution's import jobs in the pool (every page). */
export async function listOurJobs(
  cognito: RateLimitedCognito,
  userPoolId: string,
): Promise<UserImportJobType[]> {
  const jobs: UserImportJobType[] = [];
  let token: string | undefined;
  do {
    const response = await cognito.send(
      new ListUserImportJobsCommand({ UserPoolId: userPoolId, MaxResults: 60, PaginationToken: token }),
    );
    jobs.push(...(response?.UserImportJobs ?? []).filter((job) => job.JobName === IMPORT_JOB_NAME));
    token = response?.PaginationToken;
  } while (token);
  return jobs;
}

export async function writeManifest(s3: S3Client, bucket: string, manifest: Manifest): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: manifestKey(manifest.UserPoolId, manifest.JobId),
      ContentType: 'application/json',
      Body: JSON.stringify(manifest),
    }),
  );
}

export async function deleteManifest(
  s3: S3Client,
  bucket: string,
  userPoolId: string,
  jobId: string,
): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: manifestKey(userPoolId, jobId) }));
}

function parseManifest(text: string, key: string): Manifest {
  const value = JSON.parse(text) as Partial<Manifest>;
  if (
    typeof value.JobId !== 'string' ||
    typeof value.UserPoolId !== 'string' ||
    typeof value.WrittenAt !== 'number' ||
    !Array.isArray(value.Subs) ||
    (value.Execution !== undefined && typeof value.Execution !== 'string')
  ) {
    throw new Error(`The import manifest ${key} is not readable`);
  }
  return value as Manifest;
}

/** Every manifest left for the pool (normally none: each is deleted when its job's messages are). */
export async function readManifests(s3: S3Client, bucket: string, userPoolId: string): Promise<Manifest[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const response = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: manifestPrefix(userPoolId),
        ContinuationToken: token,
      }),
    );
    keys.push(...(response?.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])));
    token = response?.IsTruncated ? response.NextContinuationToken : undefined;
  } while (token);
  const manifests: Manifest[] = [];
  for (const key of keys) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = (await object?.Body?.transformToString('utf-8')) ?? '';
    manifests.push(parseManifest(text, key));
  }
  return manifests;
}
