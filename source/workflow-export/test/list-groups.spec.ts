// SPDX-License-Identifier: Apache-2.0
import {
  CognitoIdentityProviderClient,
  ListGroupsCommand,
  type GroupType,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import type { FakeClock } from '../../test-support/fake-clock';
import { lambdaContext } from '../../test-support/lambda-context';
import { fakeRuntime } from '../../test-support/runtime';
import type { Env } from '../../utils/config';
import { createHandler, ENVIRONMENT } from '../list-groups';
import { decodeGroupsCursor } from '../lib/group-cursor';
import type { ListGroupsEvent, ListGroupsOutput } from '../lib/types';
import { fakeClock, injectedRetryableError, T0, throttlingError, groupsLoopEnv } from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const ddb = mockAws(DynamoDBDocumentClient);
const ENV = groupsLoopEnv(10);
const MODIFIED = new Date('2023-05-06T07:08:09.000Z');

const group = (name: string, overrides: Partial<GroupType> = {}): GroupType => ({
  GroupName: name,
  Description: `${name} description`,
  Precedence: 3,
  LastModifiedDate: MODIFIED,
  CreationDate: MODIFIED,
  UserPoolId: 'us-east-1_pool',
  ...overrides,
});

let clock: FakeClock;
const run = (
  event: ListGroupsEvent | undefined,
  context?: { getRemainingTimeInMillis(): number },
  env: Env = ENV,
) => createHandler(fakeRuntime(clock, env))(event, context) as Promise<ListGroupsOutput>;

beforeEach(() => {
  cognito.reset();
  ddb.reset();
  ddb.on(PutCommand).resolves({});
  clock = fakeClock();
});

describe('list-groups', () => {
  it('an SDK error echoing an e-mail address reaches neither the log nor the Cause', async () => {
    const lines: string[] = [];
    cognito.on(ListGroupsCommand).rejects(
      Object.assign(new Error('Group of someone@example.com (+44 20 7946 0958) is invalid'), {
        name: 'InvalidParameterException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const handler = createHandler(fakeRuntime(clock, ENV, { write: (line) => lines.push(line) }));
    const failure = await handler({ ExportTimestamp: T0, UsernameAttributes: '[]' }).then(
      () => new Error('the handler did not fail'),
      (e: unknown) => e as Error,
    );
    // What the Lambda runtime logs and Step Functions records as the Cause: name, message and stack.
    const cause = JSON.stringify({
      errorType: failure.name,
      errorMessage: failure.message,
      trace: failure.stack,
    });
    expect(failure.name).toBe('InvalidParameterException');
    expect(cause).toContain('[email]');
    expect(`${cause}\n${lines.join('\n')}`).not.toMatch(/someone|example\.com|7946/);
  });

  it('declares exactly the variables it reads', () => {
    expect(Object.keys(ENVIRONMENT).sort()).toEqual([
      'AWS_REGION',
      'BACKUP_TABLE_NAME',
      'COGNITO_TPS',
      'TYPE_GROUP',
      'USER_POOL_ID',
    ]);
  });

  it('turns a page of groups into Map items and reports all groups listed', async () => {
    cognito.on(ListGroupsCommand).resolves({
      Groups: [
        group('a'),
        group('b', { Description: undefined, Precedence: undefined }),
        group('c', { Precedence: 0, RoleArn: 'arn:aws:iam::111122223333:role/readers' }),
      ],
    });

    const output = await run({ ExportTimestamp: T0, UsernameAttributes: '["email"]' });

    expect(cognito).toHaveReceivedCommandWith(ListGroupsCommand, { UserPoolId: 'us-east-1_pool', Limit: 60 });
    const item = (
      groupName: string,
      groupDescription: string,
      groupPrecedence: number,
      groupRoleArn = '',
    ) => ({
      groupName,
      groupLastModifiedDate: '2023-05-06T07:08:09.000Z',
      UsernameAttributes: '["email"]',
      groupDescription,
      groupPrecedence,
      groupRoleArn,
    });
    expect(output).toEqual({
      ExportTimestamp: T0,
      NumGroupsToProcess: 3,
      Groups: [
        item('a', 'a description', 3),
        item('b', '', -1),
        item('c', 'c description', 0, 'arn:aws:iam::111122223333:role/readers'),
      ],
      ProcessedAllGroups: 'Yes',
      UsernameAttributes: '["email"]',
    });
  });

  it('reports more groups with the token, and lists the page of a given token', async () => {
    cognito.on(ListGroupsCommand).resolves({ Groups: [group('a')], NextToken: 'groups-2' });
    const first = await run({ ExportTimestamp: T0 });
    expect(first).toMatchObject({
      ProcessedAllGroups: 'No',
      ListGroupsNextToken: 'groups-2',
      NumGroupsToProcess: 1,
    });

    cognito.reset();
    cognito.on(ListGroupsCommand).resolves({ Groups: [group('b'), group('c')] });
    const second = await run({ ...first, ExportTimestamp: T0 });
    expect(cognito).toHaveReceivedCommandWith(ListGroupsCommand, { NextToken: 'groups-2', Limit: 60 });
    expect(second).toMatchObject({ ProcessedAllGroups: 'Yes', NumGroupsToProcess: 2 });
    expect(JSON.parse(JSON.stringify(second))).not.toHaveProperty('ListGroupsNextToken');
  });

  it('leaves out what Cognito does not return, and rejects a missing event', async () => {
    cognito.on(ListGroupsCommand).resolves({ Groups: [{ GroupName: 'bare' }] });
    const output = await run({ ExportTimestamp: T0 });
    expect(JSON.parse(JSON.stringify(output.Groups))).toEqual([
      {
        groupName: 'bare',
        UsernameAttributes: '[]',
        groupDescription: '',
        groupPrecedence: -1,
        groupRoleArn: '',
      },
    ]);
    await expect(run(undefined)).rejects.toThrow(
      'Error validating Event Payload. Missing value for ExportTimestamp',
    );
  });

  it('handles a pool without groups', async () => {
    cognito.on(ListGroupsCommand).resolves({});
    expect(await run({ ExportTimestamp: T0 })).toEqual({
      ExportTimestamp: T0,
      NumGroupsToProcess: 0,
      Groups: [],
      ProcessedAllGroups: 'Yes',
      UsernameAttributes: '[]',
    });
  });

  it('gives every group of every page the pool UsernameAttributes', async () => {
    cognito
      .on(ListGroupsCommand)
      .resolvesOnce({ Groups: [group('a')], NextToken: 'groups-2' })
      .resolves({ Groups: [group('b')] });
    const first = await run({ ExportTimestamp: T0, UsernameAttributes: '["phone_number"]' });
    // What the next ListGroups receives: this output plus the Map's results (ResultPath $.ProcessedGroups).
    const second = await run({ ...first, ProcessedGroups: [{ groupName: 'a' }] } as ListGroupsEvent);
    expect([...first.Groups, ...second.Groups].map((g) => g.UsernameAttributes)).toEqual([
      '["phone_number"]',
      '["phone_number"]',
    ]);
  });

  it.each([
    ['an SDK v3 throttling error', throttlingError],
    ['an injected retryable: true error', injectedRetryableError],
  ])('retries ListGroups after %s', async (_label, makeError) => {
    cognito
      .on(ListGroupsCommand)
      .rejectsOnce(makeError())
      .resolves({ Groups: [group('a')] });
    const output = await run({ ExportTimestamp: T0 });
    expect(output.NumGroupsToProcess).toBe(1);
    expect(cognito.commandCalls(ListGroupsCommand)).toHaveLength(2);
  });

  it('asks for the same page again when the budget runs out while retrying', async () => {
    cognito.on(ListGroupsCommand).rejects(throttlingError());
    const output = await run(
      { ExportTimestamp: T0, ListGroupsNextToken: 'groups-2', UsernameAttributes: '["email"]' },
      lambdaContext(clock, 60_100),
    );
    expect(output).toEqual({
      ExportTimestamp: T0,
      NumGroupsToProcess: 0,
      Groups: [],
      ListGroupsNextToken: 'groups-2',
      ProcessedAllGroups: 'No',
      UsernameAttributes: '["email"]',
    });
  });

  it('wrapped (the ExportWorkflow): writes the group items of the page and hands on only their names', async () => {
    cognito.on(ListGroupsCommand).resolves({
      Groups: [group('a'), group('b', { RoleArn: 'arn:aws:iam::111122223333:role/b' })],
      NextToken: 'groups-2',
    });
    const output = await createHandler(fakeRuntime(clock, ENV))({
      Input: { ExportTimestamp: T0, UsernameAttributes: '["email"]' },
      Context: {
        Execution: { Id: 'exec', Input: {}, StartTime: new Date(T0).toISOString() },
        State: { Name: 'ListGroupsLambda' },
        StateMachine: { Id: 'sm', Name: 'ExportWorkflow-abc' },
      },
    });
    expect(ddb.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'backup-table',
        Item: {
          id: 'GROUP-a',
          type: 'GROUP-uuid',
          groupName: 'a',
          groupDescription: 'a description',
          groupPrecedence: 3,
          groupLastModifiedDate: MODIFIED.toISOString(),
          lastConfirmedInUserPool: T0,
          lastUpdatedRegion: 'eu-west-1',
        },
      },
      {
        TableName: 'backup-table',
        Item: expect.objectContaining({ id: 'GROUP-b', groupRoleArn: 'arn:aws:iam::111122223333:role/b' }),
      },
    ]);
    const { result } = output as { result: { groupsToExport: string } };
    expect(result).toEqual({
      ExportTimestamp: T0,
      ListGroupsNextToken: 'groups-2',
      ProcessedAllGroups: 'No',
      UsernameAttributes: '["email"]',
      NumGroupsToProcess: 2,
      groupsToExport: expect.stringMatching(/^g1:/),
      processedAllUsersInGroup: 'No',
    });
    expect(decodeGroupsCursor(result.groupsToExport)).toEqual([{ key: 'a' }, { key: 'b' }]);
    expect(JSON.stringify(result)).not.toContain('description');
  });

  it('wrapped (the ExportWorkflow): writes nothing and asks for the same page again when the budget runs out', async () => {
    cognito.on(ListGroupsCommand).rejects(throttlingError());
    const wrapped = {
      Input: { ExportTimestamp: T0, ListGroupsNextToken: 'groups-2', UsernameAttributes: '["email"]' },
      Context: {
        Execution: { Id: 'exec', Input: {}, StartTime: new Date(T0).toISOString() },
        State: { Name: 'ListGroupsLambda' },
        StateMachine: { Id: 'sm', Name: 'ExportWorkflow-abc' },
      },
    };
    const output = await createHandler(fakeRuntime(clock, ENV))(wrapped, lambdaContext(clock, 60_100));
    expect(output).toEqual({
      result: {
        ExportTimestamp: T0,
        ListGroupsNextToken: 'groups-2',
        ProcessedAllGroups: 'No',
        UsernameAttributes: '["email"]',
        NumGroupsToProcess: 0,
        groupsToExport: '',
        processedAllUsersInGroup: 'Yes',
      },
    });
  });

  it('fails on an error that is not retryable', async () => {
    cognito.on(ListGroupsCommand).rejects(new Error('ERROR - listGroups'));
    await expect(run({ ExportTimestamp: T0 })).rejects.toThrow('ERROR - listGroups');
  });

  it('validates the event and the environment with the original messages', async () => {
    await expect(run({})).rejects.toThrow(
      'Error validating Event Payload. Missing value for ExportTimestamp',
    );
    await expect(run({ ExportTimestamp: T0 }, undefined, { ...ENV, USER_POOL_ID: '' })).rejects.toThrow(
      'Error validating Environment Variables. Missing value for USER_POOL_ID',
    );
    await expect(run({ ExportTimestamp: 'yesterday' } as unknown as ListGroupsEvent)).rejects.toThrow(
      'Error validating Event Payload. ExportTimestamp must be a number of milliseconds since the epoch',
    );
    expect(cognito).not.toHaveReceivedCommand(ListGroupsCommand);
  });
});
