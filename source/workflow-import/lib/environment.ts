// SPDX-License-Identifier: Apache-2.0
/** The environment of the two import functions that read the whole backup table (scan and reconcile). */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { cognitoTps, env, type EnvSpec } from '../../utils/config';
import {
  openRecoveryPoint,
  recoveryPointRequest,
  type RecoveryPointSource,
} from '../../utils/recovery-point';
import type { RetryOptions } from '../../utils/retry';
import type { SfnContextObject } from '../../utils/step-functions';

export const BACKUP_READER_ENV = {
  COGNITO_TPS: cognitoTps(),
  BACKUP_TABLE_NAME: env.string(),
  TYPE_USER: env.string(),
  TYPE_GROUP: env.string(),
  TYPE_TIMESTAMP: env.string(),
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: env.string(),
  NEW_USERS_QUEUE_URL: env.string(),
  NEW_USERS_UPDATES_QUEUE_URL: env.string(),
  /** The bucket of kept snapshots (`Snapshot` restores); absent when the stack keeps none. */
  SNAPSHOT_BUCKET: env.optionalString(),
} satisfies EnvSpec;

/**
 * The recovery point this execution restores (`AsOf`, `Snapshot` or the live table, from the execution
 * input), opened for reading: the same for every reader of the execution.
 */
export function executionSource(
  context: SfnContextObject | undefined,
  config: {
    BACKUP_TABLE_NAME: string;
    TYPE_USER: string;
    USER_IMPORT_JOB_MAPPING_FILES_BUCKET: string;
    SNAPSHOT_BUCKET?: string | undefined;
  },
  clients: { ddb: DynamoDBDocumentClient; s3: S3Client; retry?: RetryOptions },
): Promise<RecoveryPointSource> {
  const execution = context?.Execution;
  return openRecoveryPoint(recoveryPointRequest(context?.Execution?.Input), {
    ddb: clients.ddb,
    s3: clients.s3,
    tableName: config.BACKUP_TABLE_NAME,
    typeUser: config.TYPE_USER,
    importBucket: config.USER_IMPORT_JOB_MAPPING_FILES_BUCKET,
    snapshotBucket: config.SNAPSHOT_BUCKET ?? '',
    execution: execution?.Name ?? execution?.Id?.split(':').pop() ?? '',
    ...(clients.retry ? { retry: clients.retry } : {}),
  });
}
