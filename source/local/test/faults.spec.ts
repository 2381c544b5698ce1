// SPDX-License-Identifier: Apache-2.0
/**
 * Fault injection of the local run: the `--fault` specs and their validation, the crash points of
 * the Lambda host (through the hook on the SDK clients), Step Functions retrying a crashed Task,
 * frozen invocations, short timeouts, and the DynamoDB fault proxy in front of dynalite.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CognitoIdentityProviderClient,
  StartUserImportJobCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { main, parseCliArgs, templateFunctionIds, templateTaskStateNames } from '../run/cli';
import { DynamoDbFaultFront, splitBatch } from '../aws/ddb-fault-front';
import { startEmulatorProcess, type EmulatorProcess } from '../aws/emulators/processes';
import { LocalEnvironment } from '../aws/environment';
import {
  CrashInjector,
  parseFaults,
  reserveSeconds,
  SHORT_TIMEOUT_PROGRESS_SECONDS,
  shortTimeoutSeconds,
} from '../run/faults';
import { CRASH_ERROR_TYPE, LambdaFunctionError } from '../aws/lambda-host';
import { LocalStepFunctions } from '../aws/step-functions';
import { lambdaHostFor, localFunction } from './support';

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const FUNCTIONS = ['ImportNewUsersLambda', 'ImportUpdateNewUsersLambda'];
const STATES = ['ReconcileNewUserPool', 'BackupTableCleanup: Remove Items'];

describe('--fault specs', () => {
  it('reads every fault into one plan', () => {
    const plan = parseFaults(
      [
        'cognito-throttle=0.25',
        'cognito-500=0.1',
        'cognito-drop=0.05',
        'ddb-unprocessed=0.5',
        'ddb-throughput=1',
        'crash=ImportNewUsersLambda:after-receive',
        'crash=ImportUpdateNewUsersLambda:after-work',
        'import-job-ms-per-kb=20',
        'short-timeouts',
      ],
      FUNCTIONS,
    );
    expect(plan).toEqual({
      specs: expect.any(Array),
      cognitoThrottleScale: 0.25,
      cognito500: 0.1,
      cognitoDrop: 0.05,
      ddbUnprocessed: 0.5,
      ddbThroughput: 1,
      crashes: [
        { target: 'ImportNewUsersLambda', by: 'function', point: 'after-receive' },
        { target: 'ImportUpdateNewUsersLambda', by: 'function', point: 'after-work' },
      ],
      importJobMsPerKb: 20,
      shortTimeouts: true,
    });
    expect(plan.specs).toHaveLength(9);
  });

  it('export-fail: the first export without a value, the n-th with one, several exports, none twice', () => {
    expect(parseFaults(['export-fail'], FUNCTIONS).exportFail).toEqual([1]);
    expect(parseFaults(['export-fail=2', 'export-fail=3'], FUNCTIONS).exportFail).toEqual([2, 3]);
    expect(parseFaults(['export-fail=point-in-time-exports/'], FUNCTIONS).exportFail).toEqual([
      'point-in-time-exports/',
    ]);
    expect(() => parseFaults(['export-fail', 'export-fail=1'], FUNCTIONS)).toThrow(
      /--fault export-fail=1: export-fail=1 is given twice/,
    );
    expect(() => parseFaults(['export-fail=0'], FUNCTIONS)).toThrow(
      /--fault export-fail=0: the count must be a whole number above 0/,
    );
  });

  it.each([
    ['cognito-500=2', /--fault cognito-500=2: the share must be a number above 0 and at most 1/],
    ['cognito-drop=abc', /--fault cognito-drop=abc: the share must be/],
    ['ddb-throughput=0', /--fault ddb-throughput=0: the share must be/],
    ['cognito-throttle=-1', /--fault cognito-throttle=-1: the scale must be a number above 0/],
    ['cognito-throttle', /--fault cognito-throttle: cognito-throttle needs a value/],
    ['short-timeouts=1', /--fault short-timeouts=1: short-timeouts takes no value/],
    [
      'repair-change-before-apply=1',
      /--fault repair-change-before-apply=1: repair-change-before-apply takes no value/,
    ],
    ['nope=1', /--fault nope=1: unknown fault "nope" \(one of cognito-throttle, /],
    [
      'crash=ImportNewUsersLambda',
      /--fault crash=ImportNewUsersLambda: expected crash=<LogicalId or state name>:<point>\[:<n>\]/,
    ],
    ['crash=:after-work', /--fault crash=:after-work: expected crash=<LogicalId or state name>:<point>/],
    [
      'crash=ImportNewUsersLambda:before-work',
      /--fault crash=ImportNewUsersLambda:before-work: "before-work" is not a crash point \(one of after-receive/,
    ],
    [
      'crash=ImportNewUsersLambda:after-work:often',
      /"often" is not a crash point \(one of after-receive, after-job-start, after-work\)/,
    ],
    [
      'crash=ImportNewUsersLambda:after-work:0',
      /--fault crash=ImportNewUsersLambda:after-work:0: the invocation must be a whole number from 1 \(found "0"\)/,
    ],
    [
      'crash=ImportNewUsersLambda:after-work:1.5',
      /the invocation must be a whole number from 1 \(found "1.5"\)/,
    ],
    [
      'crash=ImportNewUsersLambda:after-work:-2',
      /the invocation must be a whole number from 1 \(found "-2"\)/,
    ],
    [
      'crash=NoSuchLambda:after-work',
      /"NoSuchLambda" is neither a Lambda function of the templates \(ImportNewUsersLambda, .*\) nor a Task state of their state machines \(BackupTableCleanup: Remove Items, ReconcileNewUserPool\)/,
    ],
  ])('refuses %s and names it', (spec, message) => {
    expect(() => parseFaults([spec], FUNCTIONS, STATES)).toThrow(message);
  });

  it('reads a crash of the n-th invocation, of a state (colons in its name), and of both', () => {
    const plan = parseFaults(
      [
        'crash=ImportNewUsersLambda:after-work:2',
        'crash=ImportNewUsersLambda:after-work:3',
        'crash=ReconcileNewUserPool:after-work',
        'crash=BackupTableCleanup: Remove Items:after-receive:12',
      ],
      FUNCTIONS,
      STATES,
    );
    expect(plan.crashes).toEqual([
      { target: 'ImportNewUsersLambda', by: 'function', point: 'after-work', invocation: 2 },
      { target: 'ImportNewUsersLambda', by: 'function', point: 'after-work', invocation: 3 },
      { target: 'ReconcileNewUserPool', by: 'state', point: 'after-work' },
      { target: 'BackupTableCleanup: Remove Items', by: 'state', point: 'after-receive', invocation: 12 },
    ]);
  });

  it("timeout=: the Timeout of named functions, each once, within Lambda's bounds", () => {
    expect(
      parseFaults(['timeout=ImportNewUsersLambda:60', 'timeout=ImportUpdateNewUsersLambda:900'], FUNCTIONS)
        .functionTimeouts,
    ).toEqual({ ImportNewUsersLambda: 60, ImportUpdateNewUsersLambda: 900 });
    expect(() =>
      parseFaults(['timeout=ImportNewUsersLambda:60', 'timeout=ImportNewUsersLambda:70'], FUNCTIONS),
    ).toThrow('--fault timeout=ImportNewUsersLambda:70: timeout=ImportNewUsersLambda is given twice');
    for (const value of ['ImportNewUsersLambda', 'ImportNewUsersLambda:0', 'ImportNewUsersLambda:901', ':60'])
      expect(() => parseFaults([`timeout=${value}`], FUNCTIONS)).toThrow(
        `--fault timeout=${value}: expected timeout=<LogicalId>:<seconds> with whole seconds from 1 to 900`,
      );
    expect(() => parseFaults(['timeout=ReconcileNewUserPool:60'], FUNCTIONS, STATES)).toThrow(
      /"ReconcileNewUserPool" is not a Lambda function of the templates \(ImportNewUsersLambda, /,
    );
  });

  it('refuses the same crash given twice', () => {
    expect(() =>
      parseFaults(
        ['crash=ImportNewUsersLambda:after-work:2', 'crash=ImportNewUsersLambda:after-work:2'],
        FUNCTIONS,
      ),
    ).toThrow(
      '--fault crash=ImportNewUsersLambda:after-work:2: crash=ImportNewUsersLambda:after-work:2 is given twice',
    );
  });

  it("the templates' Task states, Parallel branches included, are what a crash may name besides the functions", () => {
    expect(templateTaskStateNames()).toEqual(
      expect.arrayContaining([
        'PurgeImportQueues',
        'ReconcileNewUserPool',
        'ImportScanTableLambda',
        'Parallel: ImportNewUsers',
        'BackupTableCleanup: Find Items',
        'BackupTableCleanup: Remove Items',
      ]),
    );
    expect(templateTaskStateNames()).not.toContain('Parallel: Scan table and import users');
    expect(parseCliArgs(['--fault', 'crash=ReconcileNewUserPool:after-work:2']).faults?.crashes).toEqual([
      { target: 'ReconcileNewUserPool', by: 'state', point: 'after-work', invocation: 2 },
    ]);
  });

  it('repair-change-before-apply: read alone, and the CLI takes it with --scenario repair only', () => {
    expect(parseFaults(['repair-change-before-apply'], FUNCTIONS)).toEqual({
      specs: ['repair-change-before-apply'],
      crashes: [],
      shortTimeouts: false,
      repairChangeBeforeApply: true,
    });
    expect(
      parseCliArgs(['--scenario', 'repair', '--fault', 'repair-change-before-apply']).faults
        ?.repairChangeBeforeApply,
    ).toBe(true);
    expect(() => parseCliArgs(['--fault', 'repair-change-before-apply'])).toThrow(
      /repair-change-before-apply .*--scenario repair/,
    );
  });

  it('refuses a fault given twice', () => {
    expect(() => parseFaults(['cognito-500=0.1', 'cognito-500=0.2'], FUNCTIONS)).toThrow(
      '--fault cognito-500=0.2: cognito-500 is given twice',
    );
  });

  it('the CLI takes --fault (repeatable) and --scenario, with the template functions for crash=', () => {
    expect(templateFunctionIds()).toEqual(expect.arrayContaining(FUNCTIONS));
    const options = parseCliArgs([
      '--fault',
      'crash=ImportNewUsersLambda:after-receive',
      '--fault',
      'short-timeouts',
      '--scenario',
      'emptied-pool',
    ]);
    expect(options.faults?.crashes).toEqual([
      { target: 'ImportNewUsersLambda', by: 'function', point: 'after-receive' },
    ]);
    expect(options.faults?.shortTimeouts).toBe(true);
    expect(options.scenario).toBe('emptied-pool');
  });

  it.each([
    [
      ['--fault', 'crash=Nope:after-work'],
      '--fault crash=Nope:after-work: "Nope" is neither a Lambda function of the templates',
    ],
    [['--fault', 'cognito-500=5'], '--fault cognito-500=5: the share must be'],
    [
      ['--scenario', 'flooded-pool'],
      '--scenario must be one of emptied-pool, v1-table, departed-users, repair, drill, point-in-time (found "flooded-pool")',
    ],
  ])('the CLI exits 2 on %j before anything starts', async (argv, message) => {
    const start = jest.spyOn(LocalEnvironment, 'start');
    const errors: string[] = [];
    const spy = jest
      .spyOn(console, 'error')
      .mockImplementation((text: unknown) => void errors.push(String(text)));
    try {
      expect(await main(argv)).toBe(2);
      expect(errors.join('\n')).toContain(message);
      expect(start).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
      start.mockRestore();
    }
  });
});

describe('short-timeouts', () => {
  it('gives a function its reserve plus a little progress, and leaves short functions alone', () => {
    const fn = (handler: string, timeoutSeconds: number) => ({ handler, timeoutSeconds });
    expect(shortTimeoutSeconds(fn('workflow-export/export-users.handler', 900))).toBe(
      60 + SHORT_TIMEOUT_PROGRESS_SECONDS,
    );
    expect(reserveSeconds(fn('workflow-import/import-users.handler', 900))).toBeGreaterThan(60);
    expect(shortTimeoutSeconds(fn('workflow-import/import-users.handler', 900))).toBe(
      reserveSeconds(fn('workflow-import/import-users.handler', 900)) + SHORT_TIMEOUT_PROGRESS_SECONDS,
    );
    expect(shortTimeoutSeconds(fn('workflow-import/import-users.handler', 60))).toBe(60);
    expect(shortTimeoutSeconds(fn('workflow-common/check-workflow-queues.handler', 60))).toBe(60);
  });
});

/** A stand-in for SQS and Cognito that answers every JSON call and counts them by target. */
async function jsonServer(): Promise<{ endpoint: string; calls: string[]; close(): Promise<void> }> {
  const calls: string[] = [];
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      calls.push(target.split('.').pop() ?? '');
      const body = target.endsWith('ReceiveMessage')
        ? {
            Messages: [
              {
                MessageId: 'm1',
                ReceiptHandle: 'r1',
                Body: '{}',
                MD5OfBody: createHash('md5').update('{}').digest('hex'),
              },
            ],
          }
        : target.endsWith('StartUserImportJob')
          ? { UserImportJob: { JobId: 'import-1', Status: 'Pending' } }
          : {};
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('crash points', () => {
  let server: Awaited<ReturnType<typeof jsonServer>>;
  let sqs: SQSClient;
  let cognito: CognitoIdentityProviderClient;

  beforeAll(async () => {
    server = await jsonServer();
    const config = {
      region: 'us-east-1',
      endpoint: server.endpoint,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    };
    sqs = new SQSClient(config);
    cognito = new CognitoIdentityProviderClient(config);
  });

  afterAll(async () => {
    sqs.destroy();
    cognito.destroy();
    await server.close();
  });

  beforeEach(() => {
    server.calls.length = 0;
  });

  /** Receives, then deletes what it received: the consumer pattern the crash interrupts. */
  const consumer = async (): Promise<{ deleted: number }> => {
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: `${server.endpoint}/000000000000/q` }),
    );
    for (const message of received.Messages ?? [])
      await sqs.send(
        new DeleteMessageCommand({
          QueueUrl: `${server.endpoint}/000000000000/q`,
          ReceiptHandle: message.ReceiptHandle,
        }),
      );
    return { deleted: received.Messages?.length ?? 0 };
  };

  const errorOf = async (promise: Promise<unknown>): Promise<LambdaFunctionError | undefined> => {
    try {
      await promise;
      return undefined;
    } catch (error) {
      return error as LambdaFunctionError;
    }
  };

  it('after-receive: the invocation fails with Lambda.SdkClientException and deletes nothing; the next one runs', async () => {
    const injector = new CrashInjector([{ target: 'Consumer', by: 'function', point: 'after-receive' }]);
    const lambdas = lambdaHostFor(
      [localFunction('Consumer', 'pkg/consumer.handler')],
      { 'pkg/consumer.ts': { handler: consumer } },
      { hooks: (fn) => injector.hooks(fn) },
    );
    const failure = await errorOf(lambdas.invoke('Consumer', {}));
    expect(failure?.name).toBe(CRASH_ERROR_TYPE);
    expect(failure?.errorMessage).toMatch(/^Consumer crashed after receive \(injected crash/);
    expect(server.calls).toEqual(['ReceiveMessage']);
    expect(injector.fired).toEqual([
      { target: 'Consumer', by: 'function', point: 'after-receive', atMs: expect.any(Number) },
    ]);
    // Once per run and function: the retry works.
    expect(await lambdas.invoke('Consumer', {})).toEqual({ deleted: 1 });
    expect(server.calls).toEqual(['ReceiveMessage', 'ReceiveMessage', 'DeleteMessage']);
  });

  it('a crash of the n-th invocation spares the invocations before it and fires once', async () => {
    const injector = new CrashInjector([
      { target: 'Consumer', by: 'function', point: 'after-work', invocation: 2 },
    ]);
    const lambdas = lambdaHostFor(
      [localFunction('Consumer', 'pkg/consumer.handler')],
      { 'pkg/consumer.ts': { handler: consumer } },
      { hooks: (fn, event) => injector.hooks(fn, event) },
    );
    expect(await lambdas.invoke('Consumer', {})).toEqual({ deleted: 1 });
    const failure = await errorOf(lambdas.invoke('Consumer', {}));
    expect(failure?.errorMessage).toMatch(/^Consumer crashed after work \(invocation 2\) \(injected crash/);
    expect(await lambdas.invoke('Consumer', {})).toEqual({ deleted: 1 });
    // The record keeps the result the crash lost (a continuation's cursor says how far it got).
    expect(injector.fired).toEqual([
      {
        target: 'Consumer',
        by: 'function',
        point: 'after-work',
        invocation: 2,
        atMs: expect.any(Number),
        lostResult: { deleted: 1 },
      },
    ]);
  });

  it("records the export cursor the crashed invocation started from (ImportScanTable's input)", async () => {
    const injector = new CrashInjector([
      { target: 'Consumer', by: 'function', point: 'after-work', invocation: 2 },
    ]);
    const lambdas = lambdaHostFor(
      [localFunction('Consumer', 'pkg/consumer.handler')],
      { 'pkg/consumer.ts': { handler: consumer } },
      { hooks: (fn, event) => injector.hooks(fn, event) },
    );
    await lambdas.invoke('Consumer', { Input: {} });
    const from = { Input: { AllGroupsProcessed: 'No', ExportCursor: { File: 2, Line: 15 } } };
    expect((await errorOf(lambdas.invoke('Consumer', from)))?.name).toBe(CRASH_ERROR_TYPE);
    expect(injector.fired).toEqual([expect.objectContaining({ exportCursor: { File: 2, Line: 15 } })]);
  });

  it('a crash of a state fires only in the invocations that state makes, counted among them', async () => {
    const injector = new CrashInjector([
      { target: 'Reconcile', by: 'state', point: 'after-work', invocation: 2 },
    ]);
    const lambdas = lambdaHostFor(
      [localFunction('Consumer', 'pkg/consumer.handler')],
      { 'pkg/consumer.ts': { handler: consumer } },
      { hooks: (fn, event) => injector.hooks(fn, event) },
    );
    const inState = (name: string) => ({ Input: {}, Context: { State: { Name: name } } });
    expect(await lambdas.invoke('Consumer', inState('Purge'))).toEqual({ deleted: 1 });
    expect(await lambdas.invoke('Consumer', inState('Reconcile'))).toEqual({ deleted: 1 });
    expect(await lambdas.invoke('Consumer', inState('Purge'))).toEqual({ deleted: 1 });
    expect((await errorOf(lambdas.invoke('Consumer', inState('Reconcile'))))?.errorMessage).toMatch(
      /^Reconcile crashed after work \(invocation 2\)/,
    );
    expect(await lambdas.invoke('Consumer', inState('Reconcile'))).toEqual({ deleted: 1 });
    expect(injector.fired).toHaveLength(1);
  });

  it('after-job-start: the job was started, nothing after it happens', async () => {
    const injector = new CrashInjector([{ target: 'Importer', by: 'function', point: 'after-job-start' }]);
    const handler = async () => {
      await cognito.send(new StartUserImportJobCommand({ UserPoolId: 'us-east-1_x', JobId: 'import-1' }));
      await consumer();
      return 'done';
    };
    const lambdas = lambdaHostFor(
      [localFunction('Importer', 'pkg/importer.handler')],
      { 'pkg/importer.ts': { handler } },
      { hooks: (fn) => injector.hooks(fn) },
    );
    expect((await errorOf(lambdas.invoke('Importer', {})))?.name).toBe(CRASH_ERROR_TYPE);
    expect(server.calls).toEqual(['StartUserImportJob']);
  });

  it('after-work: everything was done, the result is lost', async () => {
    const injector = new CrashInjector([{ target: 'Consumer', by: 'function', point: 'after-work' }]);
    const lambdas = lambdaHostFor(
      [localFunction('Consumer', 'pkg/consumer.handler'), localFunction('Other', 'pkg/consumer.handler')],
      { 'pkg/consumer.ts': { handler: consumer } },
      { hooks: (fn) => injector.hooks(fn) },
    );
    expect(await lambdas.invoke('Other', {})).toEqual({ deleted: 1 });
    expect((await errorOf(lambdas.invoke('Consumer', {})))?.name).toBe(CRASH_ERROR_TYPE);
    expect(server.calls).toEqual(['ReceiveMessage', 'DeleteMessage', 'ReceiveMessage', 'DeleteMessage']);
  });

  it('a timed-out invocation is frozen: its later SDK calls never reach the service', async () => {
    let resumed!: () => void;
    const afterTimeout = new Promise<void>((resolve) => (resumed = resolve));
    const handler = async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      resumed();
      return consumer();
    };
    const lambdas = lambdaHostFor([localFunction('Slow', 'pkg/slow.handler', { timeoutSeconds: 0.1 })], {
      'pkg/slow.ts': { handler },
    });
    expect((await errorOf(lambdas.invoke('Slow', {})))?.name).toBe('Sandbox.Timedout');
    await afterTimeout;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.calls).toEqual([]);
  });

  it('Step Functions retries a crashed Task (Retry on Lambda.SdkClientException) and the execution succeeds', async () => {
    const injector = new CrashInjector([{ target: 'Consumer', by: 'function', point: 'after-receive' }]);
    const fn = localFunction('Consumer', 'pkg/consumer.handler');
    const calls: number[] = [];
    const timed = (): Promise<{ deleted: number }> => {
      calls.push(Date.now());
      return consumer();
    };
    const lambdas = lambdaHostFor(
      [fn],
      { 'pkg/consumer.ts': { handler: timed } },
      { hooks: (f) => injector.hooks(f) },
    );
    const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:Retrying';
    const sfn = new LocalStepFunctions({
      region: 'us-east-1',
      accountId: '000000000000',
      lambdas,
      machines: [
        {
          logicalId: 'Retrying',
          name: 'Retrying',
          arn,
          definition: {
            StartAt: 'Consume',
            States: {
              Consume: {
                Type: 'Task',
                Resource: fn.arn,
                Retry: [
                  {
                    ErrorEquals: ['Lambda.SdkClientException'],
                    IntervalSeconds: 2,
                    MaxAttempts: 6,
                    BackoffRate: 2,
                  },
                ],
                End: true,
              },
            },
          },
        },
      ],
    });
    const record = await sfn.wait(sfn.start(arn, {}).executionArn);
    expect([record.status, record.output]).toEqual(['SUCCEEDED', '{"deleted":1}']);
    expect(injector.fired).toHaveLength(1);
    expect(calls).toHaveLength(2);
    // The 2-second retry interval is shortened like a Wait state (at most 250 ms by default).
    expect((calls[1] ?? 0) - (calls[0] ?? 0)).toBeLessThan(1500);
  });
});

describe('DynamoDB fault proxy', () => {
  let dynalite: EmulatorProcess;
  let front: DynamoDbFaultFront;
  let ddb: DynamoDBDocumentClient;

  beforeAll(async () => {
    dynalite = await startEmulatorProcess('dynalite');
    front = new DynamoDbFaultFront(dynalite.endpoint);
    await front.start();
    const raw = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: front.endpoint,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
    ddb = DynamoDBDocumentClient.from(raw);
    await raw.send(
      new CreateTableCommand({
        TableName: 'faults',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  });

  afterAll(async () => {
    ddb.destroy();
    await front.stop();
    await dynalite.stop();
  });

  it('splits a batch: the first half is written, the second half returned', () => {
    expect(splitBatch({ a: [1, 2, 3], b: [4] })).toEqual({
      write: { a: [1, 2] },
      unprocessed: { a: [3], b: [4] },
    });
  });

  it('ddb-unprocessed: writes half of the batch and returns the rest in UnprocessedItems', async () => {
    front.setFaults({ unprocessedShare: 1 });
    const items = Array.from({ length: 10 }, (_, i) => ({ PutRequest: { Item: { id: `u${i}` } } }));
    const output = await ddb.send(new BatchWriteCommand({ RequestItems: { faults: items } }));
    front.setFaults({});
    expect(output.UnprocessedItems?.faults?.map((r) => r.PutRequest?.Item?.id)).toEqual([
      'u5',
      'u6',
      'u7',
      'u8',
      'u9',
    ]);
    expect((await ddb.send(new GetCommand({ TableName: 'faults', Key: { id: 'u4' } }))).Item).toEqual({
      id: 'u4',
    });
    expect((await ddb.send(new GetCommand({ TableName: 'faults', Key: { id: 'u5' } }))).Item).toBeUndefined();
    expect(front.faultCounts()).toMatchObject({ unprocessedCalls: 1, unprocessedItems: 5 });
  });

  it('ddb-throughput: answers ProvisionedThroughputExceededException without touching the table', async () => {
    front.setFaults({ throughputShare: 1 });
    let name = '';
    try {
      await ddb.send(
        new BatchWriteCommand({ RequestItems: { faults: [{ PutRequest: { Item: { id: 'p1' } } }] } }),
      );
    } catch (error) {
      name = (error as Error).name;
    }
    front.setFaults({});
    expect(name).toBe('ProvisionedThroughputExceededException');
    expect((await ddb.send(new GetCommand({ TableName: 'faults', Key: { id: 'p1' } }))).Item).toBeUndefined();
    expect(front.faultCounts().throughputExceeded).toEqual({ BatchWriteItem: 1 });
  });
});
