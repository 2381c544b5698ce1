// SPDX-License-Identifier: Apache-2.0
/**
 * `mockAws` is `aws-sdk-client-mock`'s `mockClient` plus a record of every command the code under
 * test sent, written per spec file to `build/api-calls/`. The template tests read these records to
 * prove that each function's IAM role allows what its handler calls, and nothing more.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';

export interface RecordedCall {
  /** IAM action, e.g. `dynamodb:BatchWriteItem`. */
  action: string;
  /** The jest test name that made the call (tells the two import-users deployments apart). */
  test: string;
  /**
   * What the call acted on (queue, table, bucket, user pool, topic, state machine, parameter) and the
   * environment variables of the test's runtime that held that value, so that the template test can
   * compare it with the Resource of the statement that allows the call.
   */
  target?: { kind: string; value: string; env: string[] };
  /**
   * The input's top-level members: what IAM or KMS asks of one action can depend on them (an UpdateTable with
   * ReplicaUpdates creates or re-keys a replica; one with DeletionProtectionEnabled only changes a setting).
   */
  members?: string[];
}

/** Input members that name the resource a call acts on. */
const TARGET_MEMBERS: Record<string, string> = {
  QueueUrl: 'queue',
  TableName: 'table',
  Bucket: 'bucket',
  UserPoolId: 'userpool',
  TopicArn: 'topic',
  stateMachineArn: 'stateMachine',
  Name: 'parameter',
  StackSetName: 'stackset',
};

/** Environment values of the runtimes built in the current spec file (`fakeRuntime` reports them). */
const environments: Record<string, string | undefined>[] = [];

export function rememberEnvironment(env: Record<string, string | undefined>): void {
  environments.push(env);
}

function callTarget(input: unknown): RecordedCall['target'] {
  if (typeof input !== 'object' || input === null) return undefined;
  const members = input as Record<string, unknown>;
  let found: { kind: string; value: string } | undefined;
  for (const [member, kind] of Object.entries(TARGET_MEMBERS)) {
    const value = members[member];
    if (typeof value === 'string') {
      found = { kind, value };
      break;
    }
  }
  const requestItems = members.RequestItems;
  if (!found && typeof requestItems === 'object' && requestItems !== null) {
    const [table] = Object.keys(requestItems);
    if (table !== undefined) found = { kind: 'table', value: table };
  }
  if (!found) return undefined;
  const env = new Set<string>();
  for (const environment of environments) {
    for (const [name, value] of Object.entries(environment)) if (value === found.value) env.add(name);
  }
  return { ...found, env: [...env].sort() };
}

const SERVICE_PREFIX: Record<string, string> = {
  CognitoIdentityProviderClient: 'cognito-idp',
  DynamoDBClient: 'dynamodb',
  DynamoDBDocumentClient: 'dynamodb',
  SQSClient: 'sqs',
  SNSClient: 'sns',
  S3Client: 's3',
  SFNClient: 'states',
  SSMClient: 'ssm',
  CloudFormationClient: 'cloudformation',
  CloudWatchClient: 'cloudwatch',
};

/** lib-dynamodb command names differ from the DynamoDB API operations they call. */
const DOCUMENT_COMMANDS: Record<string, string> = {
  Put: 'PutItem',
  Get: 'GetItem',
  Delete: 'DeleteItem',
  Update: 'UpdateItem',
  BatchWrite: 'BatchWriteItem',
  BatchGet: 'BatchGetItem',
  TransactWrite: 'TransactWriteItems',
  TransactGet: 'TransactGetItems',
};

export function iamAction(clientName: string, commandName: string): string {
  const prefix = SERVICE_PREFIX[clientName] ?? clientName;
  const operation = commandName.replace(/Command$/, '');
  return `${prefix}:${DOCUMENT_COMMANDS[operation] ?? operation}`;
}

const recorded: RecordedCall[] = [];
interface StubLike {
  calls(): { args: unknown[] }[];
  reset(): unknown;
  restore(): void;
  resetHistory(): unknown;
}

const stubs: { clientName: string; stub: StubLike }[] = [];

function collect(clientName: string, stub: StubLike): void {
  const test = expect.getState().currentTestName ?? '';
  for (const call of stub.calls()) {
    const command = call.args[0] as { constructor: { name: string }; input?: unknown };
    const target = callTarget(command.input);
    const input = command.input;
    recorded.push({
      action: iamAction(clientName, command.constructor.name),
      test,
      ...(target ? { target } : {}),
      ...(typeof input === 'object' && input !== null ? { members: Object.keys(input).sort() } : {}),
    });
  }
}

type SdkClient = Parameters<typeof mockClient>[0] extends infer C
  ? C extends { prototype: infer P }
    ? P
    : C
  : never;

/** Accepts any SDK v3 client class, including the document client whose constructor is protected. */
export function mockAws<T extends SdkClient>(clientClass: { prototype: T; name: string }): AwsClientStub<T> {
  const stub = mockClient(clientClass as never) as unknown as StubLike;
  const clientName = clientClass.name;
  const reset = stub.reset.bind(stub);
  const restore = stub.restore.bind(stub);
  stub.reset = () => {
    collect(clientName, stub);
    return reset();
  };
  stub.restore = () => {
    collect(clientName, stub);
    restore();
  };
  stubs.push({ clientName, stub });
  return stub as unknown as AwsClientStub<T>;
}

/** Called after each test by the jest setup file. */
export function collectRecordedCalls(): void {
  for (const { clientName, stub } of stubs) {
    collect(clientName, stub);
    stub.resetHistory();
  }
}

/** Called once per spec file by the jest setup file. */
export function writeRecordedCalls(testPath: string): void {
  if (recorded.length === 0) return;
  const rel = relative(join(__dirname, '..'), testPath).replace(/\.spec\.ts$/, '.json');
  const out = join(__dirname, '..', '..', 'build', 'api-calls', rel);
  mkdirSync(dirname(out), { recursive: true });
  const unique = [...new Map(recorded.map((call) => [JSON.stringify(call), call])).values()];
  writeFileSync(out, JSON.stringify(unique, null, 2));
}
