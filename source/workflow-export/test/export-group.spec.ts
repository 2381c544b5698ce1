// SPDX-License-Identifier: Apache-2.0
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { fakeRuntime } from '../../test-support/runtime';
import type { Env } from '../../utils/config';
import { createHandler, ENVIRONMENT } from '../export-group';
import type { ExportGroupEvent } from '../lib/types';
import { fakeClock, T0 } from './support';

const ddb = mockAws(DynamoDBDocumentClient);
const ENV = { BACKUP_TABLE_NAME: 'backup-table', TYPE_GROUP: 'GROUP-instance-uuid', AWS_REGION: 'us-east-1' };

const mapItem = (overrides: ExportGroupEvent = {}): ExportGroupEvent => ({
  groupName: 'group-name',
  groupDescription: 'Operators',
  groupPrecedence: 2,
  groupLastModifiedDate: '2023-05-06T07:08:09.000Z',
  UsernameAttributes: '["email"]',
  exportTimestamp: T0,
  ...overrides,
});

const run = (event: ExportGroupEvent | undefined, env: Env = ENV) =>
  createHandler(fakeRuntime(fakeClock(), env))(event);

beforeEach(() => {
  ddb.reset();
  ddb.on(PutCommand).resolves({});
});

describe('export-group', () => {
  it('declares exactly the variables it reads', () => {
    expect(Object.keys(ENVIRONMENT).sort()).toEqual(['AWS_REGION', 'BACKUP_TABLE_NAME', 'TYPE_GROUP']);
  });

  it('writes the backup-table group item and passes the run on to the memberships task', async () => {
    const output = await run(mapItem());
    expect(output).toEqual({ exportTimestamp: T0, groupName: 'group-name', UsernameAttributes: '["email"]' });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'backup-table',
      Item: {
        id: 'GROUP-group-name',
        type: 'GROUP-instance-uuid',
        groupName: 'group-name',
        groupDescription: 'Operators',
        groupPrecedence: 2,
        groupLastModifiedDate: '2023-05-06T07:08:09.000Z',
        lastConfirmedInUserPool: T0,
        lastUpdatedRegion: 'us-east-1',
      },
    });
  });

  it("adds the group's IAM role (groupRoleArn) only when it has one", async () => {
    const role = 'arn:aws:iam::111122223333:role/readers';
    await run(mapItem({ groupRoleArn: role }));
    await run(mapItem({ groupRoleArn: '' }));
    const items = ddb.commandCalls(PutCommand).map((call) => call.args[0].input.Item);
    expect(items[0]).toEqual(expect.objectContaining({ groupRoleArn: role }));
    expect(items[1]).not.toHaveProperty('groupRoleArn');
  });

  it('leaves UsernameAttributes out when the Map item has none', async () => {
    const output = await run(mapItem({ UsernameAttributes: undefined }));
    expect(JSON.parse(JSON.stringify(output))).toEqual({ exportTimestamp: T0, groupName: 'group-name' });
  });

  it('reuses one DynamoDB client across invocations', async () => {
    const handler = createHandler(fakeRuntime(fakeClock(), ENV));
    await handler(mapItem({ groupName: 'a' }));
    await handler(mapItem({ groupName: 'b' }));
    await createHandler(fakeRuntime(fakeClock(), ENV))(mapItem({ groupName: 'c' }));
    const clients = ddb.commandCalls(PutCommand).map((call) => call.thisValue as unknown);
    expect(clients).toHaveLength(3);
    expect(clients[1]).toBe(clients[0]);
    expect(clients[2]).toBe(clients[0]);
  });

  it('fails with the PutItem error', async () => {
    ddb.on(PutCommand).rejects(new Error('ERROR - put'));
    await expect(run(mapItem())).rejects.toThrow('ERROR - put');
  });

  it('rejects a Map item without group name or run timestamp', async () => {
    await expect(run(mapItem({ groupName: '' }))).rejects.toThrow(
      'Error validating Event Payload. Missing value for groupName',
    );
    await expect(run(mapItem({ exportTimestamp: undefined }))).rejects.toThrow(
      'Error validating Event Payload. Missing value for exportTimestamp',
    );
    await expect(run(undefined)).rejects.toThrow('Missing value for groupName');
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
  });

  it('names a missing variable', async () => {
    await expect(run(mapItem(), { ...ENV, TYPE_GROUP: '' })).rejects.toThrow(
      'Error validating Environment Variables. Missing value for TYPE_GROUP',
    );
  });
});
