// SPDX-License-Identifier: Apache-2.0
/** Builders and fakes shared by the workflow-import specs. */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type GetObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Message } from '@aws-sdk/client-sqs';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { SfnContextObject } from '../../utils/step-functions';
import type { ImportEvent } from '../lib/types';

export const INSTANCE = '5a3c2e1f-0000-4000-8000-00000000abcd';
export const TYPE_USER = `USER-${INSTANCE}`;
export const TYPE_GROUP = `GROUP-${INSTANCE}`;
export const TYPE_TIMESTAMP = `SYNC_TIMESTAMP-${INSTANCE}`;
export const POOL_ID = 'us-east-2_NewPool01';
export const NEW_USERS_QUEUE_URL = 'https://sqs.us-east-2.amazonaws.com/111122223333/import-new-users-x';
export const MAPPING_BUCKET = 'mapping-bucket';
export const SNAPSHOT_BUCKET = 'snapshot-bucket';
export const UPDATES_QUEUE_URL =
  'https://sqs.us-east-2.amazonaws.com/111122223333/import-new-users-x-updates';

export function sfnContext(overrides: { poolId?: unknown; stateName?: string } = {}): SfnContextObject {
  return {
    Execution: {
      Id: 'arn:aws:states:us-east-2:111122223333:execution:ImportWorkflow-abc:run-1',
      Input: 'poolId' in overrides ? { NewUserPoolId: overrides.poolId } : { NewUserPoolId: ` ${POOL_ID} ` },
      StartTime: '2024-01-01T00:00:00.000Z',
    },
    ...(overrides.stateName !== undefined
      ? { State: { Name: overrides.stateName, EnteredTime: '2024-01-01T00:01:00.000Z' } }
      : {}),
    StateMachine: {
      Id: 'arn:aws:states:us-east-2:111122223333:stateMachine:ImportWorkflow-abc',
      Name: 'ImportWorkflow-abc',
    },
  };
}

export function wrapped<I>(
  input: I,
  overrides: { poolId?: unknown; stateName?: string } = {},
): ImportEvent<I> {
  return { Input: input, Context: sfnContext(overrides) };
}

let sequence = 0;
export const subOf = (n: number): string =>
  `0000${n.toString(16).padStart(4, '0')}-aaaa-4bbb-8ccc-${n.toString().padStart(12, '0')}`;

/** A user item exactly as the original export-users writes it. */
export function userItem(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const sub = subOf(n);
  return {
    id: `USER-${sub}`,
    type: TYPE_USER,
    username: sub,
    pseudoUsername: `user${n}@example.com`,
    userAttributes: [
      { Name: 'sub', Value: sub },
      { Name: 'email', Value: `user${n}@example.com` },
      { Name: 'email_verified', Value: 'true' },
    ],
    userEnabled: true,
    userStatus: 'CONFIRMED',
    lastConfirmedInUserPool: 1_700_000_000_000,
    lastUpdatedRegion: 'us-east-1',
    ...overrides,
  };
}

export function groupItem(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `GROUP-${name}`,
    type: TYPE_GROUP,
    groupName: name,
    groupDescription: '',
    groupPrecedence: -1,
    groupLastModifiedDate: '2023-11-14T22:13:20.000Z',
    lastConfirmedInUserPool: 1_700_000_000_000,
    lastUpdatedRegion: 'us-east-1',
    ...overrides,
  };
}

export function membershipItem(groupName: string, n: number): Record<string, unknown> {
  const sub = subOf(n);
  return {
    id: `GROUP_MEMBER-${groupName}`,
    type: `GROUP_MEMBER-${sub}`,
    groupUser: sub,
    groupPseudoUsername: `user${n}@example.com`,
    groupName,
    lastConfirmedInUserPool: 1_700_000_000_000,
    lastUpdatedRegion: 'us-east-1',
  };
}

export const timestampItem = (): Record<string, unknown> => ({
  id: 'latest-export-timestamp',
  type: TYPE_TIMESTAMP,
  latestExportTimestamp: 1_700_000_000_000,
});

export function message(body: unknown, id?: string): Message {
  sequence += 1;
  const messageId = id ?? `m-${sequence}`;
  return {
    MessageId: messageId,
    ReceiptHandle: `rh-${messageId}-${sequence}`,
    Body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

/** The new pool as DescribeUserPool describes it: MFA off, e-mail auto-verified (the console's default). */
export const TARGET_POOL = {
  Id: POOL_ID,
  MfaConfiguration: 'OFF' as const,
  AutoVerifiedAttributes: ['email' as const],
};

/** The environment of the functions that read the backup table (scan-table, reconcile-new-user-pool). */
export const BACKUP_READER_ENV_VALUES = {
  COGNITO_TPS: '10',
  BACKUP_TABLE_NAME: 'backup-table',
  TYPE_USER,
  TYPE_GROUP,
  TYPE_TIMESTAMP,
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: MAPPING_BUCKET,
  NEW_USERS_QUEUE_URL,
  NEW_USERS_UPDATES_QUEUE_URL: UPDATES_QUEUE_URL,
  SNAPSHOT_BUCKET: SNAPSHOT_BUCKET,
};

/**
 * Serves the import bucket from `store`: PutObject writes a key, GetObject reads it (a missing key is
 * S3's NoSuchKey) and, with `list`, ListObjectsV2 lists the keys under a prefix in one page.
 */
export function serveBucket(
  s3: AwsClientStub<S3Client>,
  store: Map<string, string>,
  options: { list?: boolean } = {},
): void {
  s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
    store.set(input.Key, input.Body);
    return {};
  });
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const text = store.get(input.Key);
    if (text === undefined) throw Object.assign(new Error(`NoSuchKey ${input.Key}`), { name: 'NoSuchKey' });
    return { Body: { transformToString: async () => text } } as unknown as GetObjectCommandOutput;
  });
  if (options.list === true)
    s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
      Contents: [...store.keys()].filter((key) => key.startsWith(input.Prefix)).map((Key) => ({ Key })),
    }));
}
