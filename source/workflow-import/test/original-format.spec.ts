// SPDX-License-Identifier: Apache-2.0
/**
 * Backup items exactly as the original solution writes them go through scan-table, then
 * the queue messages it sent go through ImportNewUsers and UpdateNewUsers: the messages, the CSV and the
 * Cognito calls are what the original's format implies.
 */
import {
  AdminAddUserToGroupCommand,
  AdminDisableUserCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserImportJobCommand,
  DescribeUserPoolCommand,
  GetCSVHeaderCommand,
  StartUserImportJobCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type Message,
  type ReceiveMessageCommandInput,
  type SendMessageBatchCommandInput,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs } from '../../test-support/capture-logs';
import { fakeClock } from '../../test-support/fake-clock';
import { fakeRuntime } from '../../test-support/runtime';
import { createHandler as importUsers } from '../import-users';
import { createHandler as scanTable } from '../scan-table';
import { createHandler as updateNewUsers } from '../update-new-users';
import {
  NEW_USERS_QUEUE_URL,
  POOL_ID,
  TARGET_POOL,
  TYPE_GROUP,
  TYPE_TIMESTAMP,
  TYPE_USER,
  UPDATES_QUEUE_URL,
  wrapped,
} from './support';

const ddb = mockAws(DynamoDBDocumentClient);
const sqs = mockAws(SQSClient);
const cognito = mockAws(CognitoIdentityProviderClient);
const s3 = mockAws(S3Client);

const SUB_ANA = '7d0c5b8e-1111-4a2b-9c3d-aaaaaaaaaaaa';
const SUB_BO = '8e1d6c9f-2222-4b3c-8d4e-bbbbbbbbbbbb';

/** Items as export-users, export-group, export-users-in-group and message-broker of v1.0.10 write them. */
const ITEMS = [
  {
    id: `USER-${SUB_ANA}`,
    type: TYPE_USER,
    username: SUB_ANA,
    pseudoUsername: 'ana@example.com',
    userAttributes: [
      { Name: 'sub', Value: SUB_ANA },
      { Name: 'email_verified', Value: 'true' },
      { Name: 'name', Value: 'Ana, María "Nena" Pérez' },
      { Name: 'custom:tenant', Value: 'acme' },
      { Name: 'email', Value: 'ana@example.com' },
    ],
    userEnabled: true,
    userStatus: 'CONFIRMED',
    lastConfirmedInUserPool: 1_700_000_000_000,
    lastUpdatedRegion: 'us-east-1',
  },
  {
    id: `USER-${SUB_BO}`,
    type: TYPE_USER,
    username: SUB_BO,
    pseudoUsername: 'bo@example.com',
    userAttributes: [
      { Name: 'sub', Value: SUB_BO },
      { Name: 'email', Value: 'bo@example.com' },
      { Name: 'email_verified', Value: 'true' },
      { Name: 'phone_number', Value: '+14155550100' },
      { Name: 'phone_number_verified', Value: 'false' },
    ],
    userEnabled: false,
    userStatus: 'CONFIRMED',
    lastConfirmedInUserPool: 1_700_000_000_000,
    lastUpdatedRegion: 'us-east-1',
  },
  {
    id: 'GROUP-admins',
    type: TYPE_GROUP,
    groupName: 'admins',
    groupDescription: 'Administrators',
    groupPrecedence: 1,
    groupLastModifiedDate: '2023-11-14T22:13:20.000Z',
    lastConfirmedInUserPool: 1_700_000_000_000,
    lastUpdatedRegion: 'us-east-1',
  },
  {
    id: 'GROUP_MEMBER-admins',
    type: `GROUP_MEMBER-${SUB_ANA}`,
    groupUser: SUB_ANA,
    groupPseudoUsername: 'ana@example.com',
    groupName: 'admins',
    lastConfirmedInUserPool: 1_700_000_000_000,
    lastUpdatedRegion: 'us-east-1',
  },
  { id: 'latest-export-timestamp', type: TYPE_TIMESTAMP, latestExportTimestamp: 1_700_000_000_000 },
];

const HEADER = [
  'name',
  'given_name',
  'email',
  'email_verified',
  'phone_number',
  'phone_number_verified',
  'custom:tenant',
  'cognito:mfa_enabled',
  'cognito:username',
];

describe('items in the original format, from the backup table to the new pool', () => {
  beforeEach(() => {
    ddb.reset();
    sqs.reset();
    cognito.reset();
    s3.reset();
  });

  it('queues, imports and updates them as the original format implies', async () => {
    const clock = fakeClock();
    const logs = captureLogs();
    const env = {
      BACKUP_TABLE_NAME: 'backup',
      TYPE_USER,
      TYPE_GROUP,
      TYPE_TIMESTAMP,
      COGNITO_TPS: '10',
      NEW_USERS_QUEUE_URL,
      NEW_USERS_UPDATES_QUEUE_URL: UPDATES_QUEUE_URL,
      USER_IMPORT_CLOUDWATCH_ROLE_ARN: 'arn:aws:iam::111122223333:role/logs',
      USER_IMPORT_JOB_MAPPING_FILES_BUCKET: 'mapping-bucket',
      AWS_REGION: 'us-east-2',
    };
    const runtime = fakeRuntime(clock, env, { write: logs.write });

    // scan-table
    ddb.on(ScanCommand).resolves({ Items: ITEMS });
    const queues = new Map<string, Message[]>([
      [NEW_USERS_QUEUE_URL, []],
      [UPDATES_QUEUE_URL, []],
    ]);
    sqs.on(SendMessageBatchCommand).callsFake(async (input: SendMessageBatchCommandInput) => {
      for (const entry of input.Entries ?? []) {
        queues
          .get(input.QueueUrl ?? '')!
          .push({ MessageId: entry.Id, ReceiptHandle: `rh-${entry.Id}`, Body: entry.MessageBody });
      }
      return {};
    });
    cognito.on(CreateGroupCommand).resolves({});
    await expect(scanTable(runtime)(wrapped({}))).resolves.toEqual({ result: { AllGroupsProcessed: 'Yes' } });
    const bodies = (url: string) => queues.get(url)!.map((m) => JSON.parse(m.Body ?? '') as unknown);
    expect(bodies(NEW_USERS_QUEUE_URL)).toEqual([ITEMS[0], ITEMS[1]]);
    expect(bodies(UPDATES_QUEUE_URL)).toEqual([ITEMS[1], ITEMS[3]]);
    expect(cognito).toHaveReceivedCommandWith(CreateGroupCommand, {
      UserPoolId: POOL_ID,
      GroupName: 'admins',
      Description: 'Administrators',
      Precedence: 1,
    });

    // ImportNewUsers
    sqs.on(ReceiveMessageCommand).callsFake(async (input: ReceiveMessageCommandInput) => {
      const queue = queues.get(input.QueueUrl ?? '')!;
      return { Messages: queue.splice(0, input.MaxNumberOfMessages ?? 1) };
    });
    sqs.on(DeleteMessageBatchCommand).resolves({});
    cognito.on(GetCSVHeaderCommand).resolves({ CSVHeader: HEADER });
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: TARGET_POOL });
    cognito
      .on(CreateUserImportJobCommand)
      .resolves({ UserImportJob: { JobId: 'import-1', PreSignedUrl: 'https://upload/1' } });
    cognito.on(StartUserImportJobCommand).resolves({ UserImportJob: { Status: 'Pending' } });
    s3.on(PutObjectCommand).resolves({});
    let csv = '';
    const fetchImpl = (async (_url: unknown, init?: RequestInit) => {
      for await (const part of init?.body as AsyncIterable<Uint8Array>) csv += Buffer.from(part).toString();
      return new Response('', { status: 200 });
    }) as typeof fetch;
    const imported = await importUsers({ ...runtime, fetch: fetchImpl })(
      wrapped({}, { stateName: 'ImportNewUsers' }),
    );
    expect(imported.result).toEqual(
      expect.objectContaining({ ImportJobStatus: 'Pending', ImportJobId: 'import-1', QueueEmpty: false }),
    );
    expect(csv).toBe(
      'name,given_name,email,email_verified,phone_number,phone_number_verified,custom:tenant,cognito:mfa_enabled,cognito:username\n' +
        'Ana\\, María "Nena" Pérez,,ana@example.com,true,,false,acme,false,ana@example.com\n' +
        ',,bo@example.com,true,+14155550100,false,,false,bo@example.com\n',
    );
    expect((s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body as Buffer).toString()).toBe(
      `userImportCsvLineNumber,userSub\n1,${SUB_ANA}\n2,${SUB_BO}\n`,
    );

    // UpdateNewUsers
    cognito.on(AdminAddUserToGroupCommand).resolves({});
    cognito.on(AdminDisableUserCommand).resolves({});
    await expect(updateNewUsers(runtime)(wrapped({}, { stateName: 'UpdateNewUsers' }))).resolves.toEqual({
      result: expect.objectContaining({ QueueEmpty: true, StateName: 'UpdateNewUsers' }),
    });
    expect(cognito).toHaveReceivedCommandWith(AdminDisableUserCommand, {
      UserPoolId: POOL_ID,
      Username: 'bo@example.com',
    });
    expect(cognito).toHaveReceivedCommandWith(AdminAddUserToGroupCommand, {
      UserPoolId: POOL_ID,
      GroupName: 'admins',
      Username: 'ana@example.com',
    });

    // No handler logged an attribute value, an e-mail address or a phone number.
    expect(logs.lines.length).toBeGreaterThan(3);
    expect(logs.text()).not.toMatch(/example\.com|\+1415|María|Nena|acme|\[email\]|\[phone\]/);
  });
});
