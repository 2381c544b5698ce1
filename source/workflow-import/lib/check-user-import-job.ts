// SPDX-License-Identifier: Apache-2.0
/**
 * The CheckUserImportJob states (ImportCheckImportJobLambda): describe the user import job that
 * ImportNewUsers started; a running or succeeded job passes, any other status fails the workflow.
 */
import {
  DescribeUserImportJobCommand,
  type UserImportJobType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { RateLimitedCognito } from '../../utils/cognito';
import type { Logger } from '../../utils/logger';
import { sendAnonymousMetric, type MetricsSettings } from '../../utils/metrics';
import { ACCEPTED, importJobFailureMessage, RUNNING } from './import-job';

export interface CheckJobDeps {
  cognito: RateLimitedCognito;
  logger: Logger;
  metrics: MetricsSettings;
  fetch: typeof fetch;
  now: () => number;
  config: { userPoolId: string; region: string; bucket: string };
}

/** DescribeUserImportJob for CheckUserImportJob: running and succeeded jobs pass, any other status fails. */
export async function checkUserImportJob(
  jobId: unknown,
  deps: CheckJobDeps,
): Promise<{ ImportJobId: string; ImportJobStatus: string }> {
  const { config, logger } = deps;
  if (typeof jobId !== 'string' || jobId.trim() === '') {
    throw new Error('Unable to check the user import job: the state input has no ImportJobId');
  }
  const response = await deps.cognito.send(
    new DescribeUserImportJobCommand({ UserPoolId: config.userPoolId, JobId: jobId }),
  );
  const job: UserImportJobType | undefined = response.UserImportJob;
  const status = job?.Status;
  if (job === undefined || status === undefined) {
    throw new Error(`DescribeUserImportJob returned no status for the user import job "${jobId}"`);
  }
  logger.info('User import job checked', {
    jobId,
    status,
    importedUsers: job.ImportedUsers,
    skippedUsers: job.SkippedUsers,
    failedUsers: job.FailedUsers,
  });
  if (!RUNNING.has(status)) {
    await sendAnonymousMetric(
      deps.metrics,
      {
        EventType: 'user-import-job-ended',
        EventDetails: {
          JobStatus: status,
          CreationDate: job.CreationDate,
          StartDate: job.StartDate,
          CompletionDate: job.CompletionDate,
          CompletionMessage: job.CompletionMessage,
          Region: config.region,
        },
      },
      { fetch: deps.fetch, now: deps.now, logger },
    );
  }
  if (!ACCEPTED.has(status)) {
    throw new Error(importJobFailureMessage(job.JobId ?? jobId, status, config.region, config.bucket));
  }
  if (status === 'Succeeded' && ((job.FailedUsers ?? 0) > 0 || (job.SkippedUsers ?? 0) > 0)) {
    logger.warn(
      'The user import job succeeded but left users out; see its CloudWatch logs and the mapping file',
      {
        jobId,
        failedUsers: job.FailedUsers,
        skippedUsers: job.SkippedUsers,
      },
    );
  }
  return { ImportJobId: jobId, ImportJobStatus: status };
}
