// SPDX-License-Identifier: Apache-2.0
/**
 * The local run with faults injected: every fault reaches the workflows (it is counted in the report)
 * and the emptied-pool scenario reports the backup's user items. Whether the workflows then end right
 * is the fault matrix's business (fault-matrix.spec.ts).
 */
import { ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { cognitoClient, documentClient } from '../../utils/clients';
import { errorName } from '../cognito/testing';
import { LocalEnvironment } from '../aws/environment';
import { parseFaults } from '../run/faults';
import { runLocal } from '../run/local-run';
import { generateSeed } from '../run/seed';
import { templateFunctionIds } from '../run/cli';
import { ROOT } from './support';

jest.setTimeout(180_000);

let environment: LocalEnvironment;

beforeAll(async () => {
  environment = await LocalEnvironment.start({ maxReceiveWaitMs: 100 });
});

afterAll(async () => {
  await environment?.stop();
});

const sum = (counts: Record<string, number> | undefined): number =>
  Object.values(counts ?? {}).reduce((a, b) => a + b, 0);

it('Cognito and DynamoDB faults reach the clients the Lambda code uses, and are gone once cleared', async () => {
  const functions = templateFunctionIds();
  const { poolId } = environment.cognito.seed({});
  const ddb = documentClient();
  const cognito = cognitoClient();
  const table = `faults-${Date.now()}`;
  await environment.documentClient().send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const before = environment.faultCounts();
  const write = () =>
    ddb.send(
      new BatchWriteCommand({
        RequestItems: { [table]: [1, 2].map((i) => ({ PutRequest: { Item: { id: `i${i}` } } })) },
      }),
    );
  const listUsers = () => errorName(cognito.send(new ListUsersCommand({ UserPoolId: poolId })));

  await environment.applyFaults(parseFaults(['ddb-unprocessed=1', 'cognito-500=1'], functions));
  expect((await write()).UnprocessedItems?.[table]).toHaveLength(1);
  expect(await listUsers()).toBe('InternalErrorException');

  await environment.applyFaults(parseFaults(['ddb-throughput=1', 'cognito-drop=1'], functions));
  expect(
    await errorName(
      documentClient({ maxAttempts: 1 }).send(new GetCommand({ TableName: table, Key: { id: 'i1' } })),
    ),
  ).toBe('ProvisionedThroughputExceededException');
  expect(await listUsers()).not.toBe('no error');

  const after = environment.faultCounts();
  expect(sum(after.cognito.internalError) - sum(before.cognito.internalError)).toBe(1);
  expect(sum(after.cognito.dropped) - sum(before.cognito.dropped)).toBe(1);
  expect(after.dynamodb?.unprocessedItems).toBe(1);
  expect(sum(after.dynamodb?.throughputExceeded)).toBe(1);

  await environment.applyFaults(undefined);
  expect((await write()).UnprocessedItems ?? {}).toEqual({});
  expect(await listUsers()).toBe('no error');
});

it('crashes, short timeouts, slow import jobs and lower quotas fire in a local run', async () => {
  const faults = parseFaults(
    [
      'cognito-throttle=0.5',
      'crash=ExportUsersLambda:after-work',
      'crash=ImportNewUsersLambda:after-job-start',
      'crash=ImportUpdateNewUsersLambda:after-receive',
      'import-job-ms-per-kb=5',
      'short-timeouts',
    ],
    templateFunctionIds(),
  );
  const report = await runLocal({
    root: ROOT,
    seed: generateSeed({
      users: 150,
      groups: 3,
      usernameAttribute: 'none',
      federatedUsers: 0,
      randomSeed: 3,
    }),
    seedSource: 'test',
    tps: 25,
    maxWaitMs: 50,
    environment,
    stackName: 'faults-fire',
    faults,
  });
  expect(report.faults?.specs).toEqual(faults.specs);
  // The updates run beside the import, so the two import crashes may fire in either order.
  expect(report.faults?.crashes.map((crash) => `${crash.target}:${crash.point}`).sort()).toEqual([
    'ExportUsersLambda:after-work',
    'ImportNewUsersLambda:after-job-start',
    'ImportUpdateNewUsersLambda:after-receive',
  ]);
  // Each crash failed one invocation, which the state machine retried.
  expect(report.export.lambdaErrors).toEqual({ ExportUsersLambda: 1 });
  expect(report.import?.lambdaErrors).toEqual({ ImportNewUsersLambda: 1, ImportUpdateNewUsersLambda: 1 });
  expect(sum(report.import?.throttled)).toBeGreaterThan(0);
  expect(report.faults?.timeouts).toMatchObject({ ExportUsersLambda: 62, ImportUpdateNewUsersLambda: 62 });
  expect(report.faults?.timeouts?.ImportCheckImportJobLambda).toBeUndefined();
  expect(report.restoredPool?.users).toBeGreaterThan(0);
});

it('--scenario emptied-pool exports, empties the source pool, exports again and restores', async () => {
  const seed = generateSeed({
    users: 60,
    groups: 2,
    usernameAttribute: 'none',
    federatedUsers: 0,
    randomSeed: 5,
  });
  const report = await runLocal({
    root: ROOT,
    seed,
    seedSource: 'test',
    tps: 25,
    maxWaitMs: 50,
    environment,
    stackName: 'emptied-pool',
    scenario: 'emptied-pool',
  });
  expect(report.export.status).toBe('SUCCEEDED');
  expect(report.emptiedPool).toEqual({
    userItemsBefore: 60,
    userItemsAfter: expect.any(Number),
    errorNotified: expect.any(Boolean),
    export: expect.objectContaining({ status: expect.any(String) }),
  });
  expect(environment.cognito.snapshot(report.primaryUserPoolId).users).toEqual([]);
  expect(report.import).toBeDefined();
  // The restore is compared with the pool as exported, before it was emptied.
  if (report.emptiedPool?.userItemsAfter === 60) expect(report.restoredPool?.missingUsers).toBe(0);
  else expect(report.ok).toBe(false);
});
