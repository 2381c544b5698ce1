// SPDX-License-Identifier: Apache-2.0
/** Test helpers for the export handlers: users, errors, a clock at T0 and a way to let writes start. */
import {
  TooManyRequestsException,
  type AttributeType,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { fakeClock as clockAt } from '../../test-support/fake-clock';

export const T0 = Date.UTC(2024, 0, 15, 3, 0, 0);

/** The backup table of the export specs. */
export const TABLE = 'backup-table';

/** The environment of the groups loop's functions (ListGroupsLambda, ExportUsersInGroupLambda) at `tps`. */
export const groupsLoopEnv = (tps: number) => ({
  COGNITO_TPS: String(tps),
  USER_POOL_ID: 'us-east-1_pool',
  BACKUP_TABLE_NAME: TABLE,
  TYPE_GROUP: 'GROUP-uuid',
  AWS_REGION: 'eu-west-1',
});

/** The shared fake clock, starting at `T0`. */
export const fakeClock = (start = T0) => clockAt(start);

export function user(n: number, overrides: Partial<UserType> = {}): UserType {
  const attributes: AttributeType[] = [
    { Name: 'sub', Value: `sub-${n}` },
    { Name: 'email', Value: `person${n}@example.com` },
    { Name: 'phone_number', Value: `+1555010${String(n).padStart(4, '0')}` },
    { Name: 'given_name', Value: `Given${n}` },
  ];
  return {
    Username: `username-${n}`,
    Attributes: attributes,
    Enabled: true,
    UserStatus: 'CONFIRMED',
    UserCreateDate: new Date(T0 - 86_400_000),
    UserLastModifiedDate: new Date(T0 - 3_600_000),
    ...overrides,
  };
}

export function federatedUser(n: number): UserType {
  return user(n, { Username: `Google_${n}`, UserStatus: 'EXTERNAL_PROVIDER' });
}

/** Lets pending promise callbacks and I/O callbacks run `turns` times (no timers). */
export async function ticks(turns: number): Promise<void> {
  for (let i = 0; i < turns; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Errors as the SDK v3 raises them for throttling, and as the original's tests injected them. */
export function throttlingError(): Error {
  const error = new TooManyRequestsException({
    message: 'Rate exceeded',
    $metadata: { httpStatusCode: 400 },
  });
  return Object.assign(error, { $retryable: { throttling: true } });
}

export function injectedRetryableError(): Error {
  return Object.assign(new Error('retry me'), { retryable: true });
}

/** Every personal value the fixtures contain (for the log assertions). */
export function personalValues(users: UserType[]): string[] {
  return users.flatMap((u) => [
    u.Username ?? '',
    ...(u.Attributes ?? []).filter((a) => a.Name !== 'sub').map((a) => a.Value ?? ''),
  ]);
}

/** The items put into `table` by the BatchWrite calls the mock received, in order. */
export function putItems(
  ddb: AwsClientStub<DynamoDBDocumentClient>,
  table: string,
): Record<string, unknown>[] {
  return ddb
    .commandCalls(BatchWriteCommand)
    .flatMap((call) =>
      (call.args[0].input.RequestItems?.[table] ?? []).map(
        (request) => request.PutRequest?.Item as Record<string, unknown>,
      ),
    );
}
