// SPDX-License-Identifier: Apache-2.0
/**
 * The Cognito user import job of ImportNewUsers: create it, store the mapping file, upload the CSV,
 * start it. The CheckUserImportJob states describe it later (check-user-import-job.ts).
 */
import {
  CreateUserImportJobCommand,
  DescribeUserImportJobCommand,
  StartUserImportJobCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { RateLimitedCognito } from '../../utils/cognito';
import { scrub, type Logger } from '../../utils/logger';
import { type RetryOptions } from '../../utils/retry';
import { errorMessage, errorName } from '../../utils/errors';
import { uploadToPresignedUrl } from './upload';

export const IMPORT_JOB_NAME = 'cognito-user-profiles-export-reference-architecture';

/** Statuses of a job that is still running. */
export const RUNNING: ReadonlySet<string> = new Set(['Pending', 'InProgress']);
/** Statuses after which the state machine keeps going (polling or moving on). */
export const ACCEPTED: ReadonlySet<string> = new Set(['Pending', 'InProgress', 'Succeeded']);

export const mappingFileKey = (jobId: string): string => `${jobId}-user-mapping.csv`;

/** The failure text of the original, word for word, including its grammar. */
export function importJobFailureMessage(
  jobId: string,
  status: string,
  region: string,
  bucket: string,
): string {
  return (
    `User import job with ID "${jobId}" was detected to have a status of "${status}" in ${region}.\n\n` +
    `Please check the CloudWatch logs for this Cognito user import job and use the mapping file (${mappingFileKey(jobId)}) ` +
    `that has been saved in this the solution's S3 bucket (${bucket}) to cross-reference the line numbers reported the user import job CloudWatch logs`
  );
}

/** StartUserImportJob did not take: the workflow fails with this message. */
export class ImportJobStartError extends Error {
  override readonly name = 'ImportJobStartError';
}

export interface ImportJobConfig {
  userPoolId: string;
  region: string;
  bucket: string;
  cloudWatchLogsRoleArn: string;
}

export interface ImportJobDeps {
  cognito: RateLimitedCognito;
  s3: S3Client;
  fetch: typeof fetch;
  logger: Logger;
  retry: RetryOptions;
  config: ImportJobConfig;
}

export interface ImportFile {
  users: number;
  csv: { chunks: Buffer[]; byteLength: number };
  mapping: Buffer[];
}

/**
 * Called after the upload, just before StartUserImportJob: makes sure the file's messages are still
 * held and records the job (the manifest). Returns the epoch ms after which the start must not be
 * attempted any more.
 */
export type BeforeStart = (jobId: string) => Promise<{ startBy: number }>;

/** Creates, fills and starts one import job; returns its id and the status StartUserImportJob reported. */
export async function runImportJob(
  deps: ImportJobDeps,
  file: ImportFile,
  beforeStart?: BeforeStart,
): Promise<{ jobId: string; status: string }> {
  const { cognito, config, logger } = deps;
  const created = await cognito.send(
    new CreateUserImportJobCommand({
      CloudWatchLogsRoleArn: config.cloudWatchLogsRoleArn,
      UserPoolId: config.userPoolId,
      JobName: IMPORT_JOB_NAME,
    }),
  );
  const jobId = created.UserImportJob?.JobId;
  const url = created.UserImportJob?.PreSignedUrl;
  if (!jobId || !url) {
    throw new Error(
      `CreateUserImportJob returned no job ID or pre-signed URL for the new user pool (${config.userPoolId})`,
    );
  }
  logger.info('User import job created', { jobId, userCount: file.users });

  await deps.s3.send(
    new PutObjectCommand({
      Bucket: config.bucket,
      Key: mappingFileKey(jobId),
      Body: Buffer.concat(file.mapping),
    }),
  );
  await uploadToPresignedUrl(url, file.csv.chunks, file.csv.byteLength, {
    fetch: deps.fetch,
    retry: deps.retry,
  });
  logger.info('User import file uploaded', { jobId, bytes: file.csv.byteLength });

  const gate = beforeStart ? await beforeStart(jobId) : undefined;
  const status = await startImportJob(deps, jobId, gate?.startBy);
  logger.info('User import job started', { jobId, status });
  return { jobId, status };
}

/**
 * StartUserImportJob with the limiter's retries. When it still fails (or answers without a status),
 * the job is described: a start that reached Cognito although the call failed counts as started.
 * Otherwise the error says what happened; it never turns into a missing output key.
 */
async function startImportJob(deps: ImportJobDeps, jobId: string, startBy?: number): Promise<string> {
  const { cognito, config, logger } = deps;
  let failure: unknown;
  const now = deps.retry.now ?? Date.now;
  if (startBy !== undefined && now() > startBy) {
    throw new ImportJobStartError(
      `The user import job "${jobId}" was not started: preparing it took longer than its start window, ` +
        `so its users may be in flight elsewhere. The users of this file were not removed from the new users queue`,
    );
  }
  try {
    const started = await cognito.send(
      new StartUserImportJobCommand({ UserPoolId: config.userPoolId, JobId: jobId }),
      startBy === undefined ? {} : { deadline: startBy },
    );
    const status = started.UserImportJob?.Status;
    if (status) return status;
    failure = new Error('the response named no job status');
  } catch (error) {
    failure = error;
  }
  let described: string | undefined;
  try {
    const response = await cognito.send(
      new DescribeUserImportJobCommand({ UserPoolId: config.userPoolId, JobId: jobId }),
    );
    described = response.UserImportJob?.Status;
  } catch (error) {
    logger.warn('Could not describe the user import job after a failed start', {
      jobId,
      error: errorName(error),
    });
  }
  if (described !== undefined && ACCEPTED.has(described)) {
    logger.warn('StartUserImportJob failed but the job is running', {
      jobId,
      status: described,
      error: errorName(failure),
    });
    return described;
  }
  throw new ImportJobStartError(
    `Unable to start the user import job "${jobId}" in ${config.region} (${errorName(failure)}: ${scrub(errorMessage(failure))}); ` +
      `its status is "${described ?? 'unknown'}". The users of this file were not removed from the new users queue. ` +
      `The mapping file (${mappingFileKey(jobId)}) is in the solution's S3 bucket (${config.bucket})`,
    { cause: failure },
  );
}
