// SPDX-License-Identifier: Apache-2.0
/**
 * The look-ahead of the ExportWorkflow's groups loop: ExportUsersInGroupLambda lists the next
 * ListGroups page (and writes its group items) while the current page's memberships are exported,
 * and the next ListGroupsLambda hands that page on without calling Cognito.
 */
import {
  CognitoIdentityProviderClient,
  ListGroupsCommand,
  ListUsersInGroupCommand,
  type GroupType,
  type ListGroupsCommandInput,
  type ListUsersInGroupCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { lambdaContext } from '../../test-support/lambda-context';
import { fakeRuntime } from '../../test-support/runtime';
import { createHandler as exportUsersInGroup } from '../export-users-in-group';
import { createHandler as listGroups } from '../list-groups';
import { decodeGroupsCursor, encodeGroupsCursor } from '../lib/group-cursor';
import { decodePrefetchedGroups, encodePrefetchedGroups } from '../lib/prefetched-groups';
import type { GroupsPageEvent, GroupsPageOutput, ListGroupsEvent } from '../lib/types';
import {
  deferred,
  fakeClock,
  putItems,
  T0,
  throttlingError,
  ticks,
  user,
  groupsLoopEnv,
  TABLE,
} from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const ddb = mockAws(DynamoDBDocumentClient);
const ENV = groupsLoopEnv(25);

const groupType = (name: string): GroupType => ({
  GroupName: name,
  Description: `about ${name}`,
  Precedence: 1,
  LastModifiedDate: new Date(T0),
});

/** The state ListGroupsLambda hands ExportUsersInGroupLambda for `names`, the next page at `next`. */
const pageState = (names: string[], next: string | undefined): GroupsPageEvent => ({
  ExportTimestamp: T0,
  ListGroupsNextToken: next,
  ProcessedAllGroups: next ? 'No' : 'Yes',
  UsernameAttributes: '[]',
  groupsToExport: encodeGroupsCursor(names.map((key) => ({ key }))),
});

const wrap = (input: ListGroupsEvent) => ({
  Input: input,
  Context: {
    Execution: { Id: 'exec', Input: {}, StartTime: new Date(T0).toISOString() },
    State: { Name: 'ListGroupsLambda' },
    StateMachine: { Id: 'sm', Name: 'ExportWorkflow-abc' },
  },
});

/** Members 1..3 in every group, two a page. */
function serveMembers(onCall: (input: ListUsersInGroupCommandInput) => void = () => undefined) {
  cognito.on(ListUsersInGroupCommand).callsFake(async (input: ListUsersInGroupCommandInput) => {
    onCall(input);
    await ticks(1);
    return input.NextToken ? { Users: [user(3)] } : { Users: [user(1), user(2)], NextToken: '2' };
  });
}

const groupItemNames = (): unknown[] =>
  ddb.commandCalls(PutCommand).map((call) => call.args[0].input.Item?.groupName);

beforeEach(() => {
  cognito.reset();
  ddb.reset();
  ddb.on(BatchWriteCommand).resolves({});
  ddb.on(PutCommand).resolves({});
});

describe('ExportUsersInGroupLambda lists the next page of groups ahead', () => {
  it('lists the next page while the streams run, writes its group items and returns it', async () => {
    const listGroupsDone = deferred();
    let listGroupsInFlight = false;
    const callsWhileListing: string[] = [];
    serveMembers((input) => {
      if (listGroupsInFlight) callsWhileListing.push(`${input.GroupName}@${input.NextToken ?? 0}`);
      if (callsWhileListing.length === 3) listGroupsDone.resolve();
    });
    cognito.on(ListGroupsCommand).callsFake(async (input: ListGroupsCommandInput) => {
      expect(input.NextToken).toBe('groups-2');
      listGroupsInFlight = true;
      await listGroupsDone.promise; // answers only once memberships calls have been made meanwhile
      listGroupsInFlight = false;
      return { Groups: [groupType('d'), groupType('e')], NextToken: 'groups-3' };
    });

    const output = (await exportUsersInGroup(fakeRuntime(fakeClock(), ENV))(
      pageState(['a', 'b', 'c'], 'groups-2'),
    )) as GroupsPageOutput;

    expect(callsWhileListing).toHaveLength(3);
    expect(output).toMatchObject({
      ListGroupsNextToken: 'groups-2',
      ProcessedAllGroups: 'No',
      processedAllUsersInGroup: 'Yes',
      groupsToExport: '',
    });
    expect(decodePrefetchedGroups(output.prefetchedGroupsPage ?? '')).toEqual({
      from: 'groups-2',
      names: ['d', 'e'],
      next: 'groups-3',
    });
    // The page's group items are written before its names are handed on.
    expect(groupItemNames()).toEqual(['d', 'e']);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      TableName: TABLE,
      Item: { id: 'GROUP-d', type: 'GROUP-uuid', groupDescription: 'about d', lastConfirmedInUserPool: T0 },
    });
    expect(putItems(ddb, TABLE)).toHaveLength(9); // 3 members in each of a, b, c
  });

  it('lists nothing ahead on the last page', async () => {
    serveMembers();
    const output = (await exportUsersInGroup(fakeRuntime(fakeClock(), ENV))(
      pageState(['a'], undefined),
    )) as GroupsPageOutput;
    expect(cognito).not.toHaveReceivedCommand(ListGroupsCommand);
    expect(output.prefetchedGroupsPage).toBeUndefined();
    expect(output.ProcessedAllGroups).toBe('Yes');
  });

  it('carries the page listed ahead along its self-loop without listing it again', async () => {
    const clock = fakeClock();
    let remaining = 60_300;
    cognito.on(ListUsersInGroupCommand).callsFake(async (input: ListUsersInGroupCommandInput) => {
      remaining -= 100;
      const start = Number(input.NextToken ?? 0);
      return { Users: [user(start + 1)], NextToken: start < 5 ? String(start + 1) : undefined };
    });
    cognito.on(ListGroupsCommand).resolves({ Groups: [groupType('d')], NextToken: 'groups-3' });
    const runtime = fakeRuntime(clock, ENV);

    const first = (await exportUsersInGroup(runtime)(pageState(['a', 'b'], 'groups-2'), {
      getRemainingTimeInMillis: () => remaining,
    })) as GroupsPageOutput;
    expect(first.processedAllUsersInGroup).toBe('No');
    expect(first.prefetchedGroupsPage).toBeDefined();

    const second = (await exportUsersInGroup(runtime)(
      first,
      lambdaContext(clock, 600_000),
    )) as GroupsPageOutput;
    expect(second.processedAllUsersInGroup).toBe('Yes');
    expect(second.prefetchedGroupsPage).toBe(first.prefetchedGroupsPage);
    expect(second.ListGroupsNextToken).toBe('groups-2');
    expect(cognito.commandCalls(ListGroupsCommand)).toHaveLength(1);
    expect(groupItemNames()).toEqual(['d']);
  });

  it('falls back to no look-ahead when the budget runs out while retrying ListGroups', async () => {
    const clock = fakeClock();
    serveMembers();
    cognito.on(ListGroupsCommand).rejects(throttlingError());
    const output = (await exportUsersInGroup(fakeRuntime(clock, ENV))(
      pageState(['a'], 'groups-2'),
      lambdaContext(clock, 65_000),
    )) as GroupsPageOutput;
    expect(cognito.commandCalls(ListGroupsCommand).length).toBeGreaterThan(1); // it was retried
    expect(output.prefetchedGroupsPage).toBeUndefined();
    expect(output).toMatchObject({ ListGroupsNextToken: 'groups-2', ProcessedAllGroups: 'No' });
    expect(groupItemNames()).toEqual([]);

    // ListGroupsLambda then lists the page itself.
    cognito.on(ListGroupsCommand).resolves({ Groups: [groupType('d')] });
    const { result } = (await listGroups(fakeRuntime(clock, ENV))(wrap(output))) as {
      result: GroupsPageOutput;
    };
    expect(cognito.commandCalls(ListGroupsCommand).at(-1)?.args[0].input.NextToken).toBe('groups-2');
    expect(decodeGroupsCursor(result.groupsToExport)).toEqual([{ key: 'd' }]);
    expect(result.ProcessedAllGroups).toBe('Yes');
    expect(groupItemNames()).toEqual(['d']);
  });

  it('settles the look-ahead before failing when the memberships fail', async () => {
    cognito
      .on(ListUsersInGroupCommand)
      .rejects(Object.assign(new Error('no such group'), { name: 'ResourceNotFoundException' }));
    const written: string[] = [];
    cognito.on(ListGroupsCommand).callsFake(async () => {
      await ticks(5);
      return { Groups: [groupType('d'), groupType('e')], NextToken: 'groups-3' };
    });
    ddb.on(PutCommand).callsFake(async (input: { Item: { groupName: string } }) => {
      await ticks(2);
      written.push(input.Item.groupName);
      return {};
    });
    await expect(
      exportUsersInGroup(fakeRuntime(fakeClock(), ENV))(pageState(['a'], 'groups-2')),
    ).rejects.toThrow('no such group');
    // Nothing of the look-ahead is still running once the invocation has returned.
    expect(written).toEqual(['d', 'e']);
  });
});

describe('ListGroupsLambda given a page listed ahead', () => {
  const listedAhead = (next: string | undefined): GroupsPageOutput => ({
    ExportTimestamp: T0,
    ListGroupsNextToken: 'groups-2',
    ProcessedAllGroups: 'No',
    UsernameAttributes: '["email"]',
    NumGroupsToProcess: 0,
    groupsToExport: '',
    processedAllUsersInGroup: 'Yes',
    prefetchedGroupsPage: encodePrefetchedGroups({ from: 'groups-2', names: ['d', 'e'], next }),
  });

  it('hands it on without a Cognito call or a write', async () => {
    const { result } = (await listGroups(fakeRuntime(fakeClock(), ENV))(wrap(listedAhead('groups-3')))) as {
      result: GroupsPageOutput;
    };
    expect(cognito).not.toHaveReceivedCommand(ListGroupsCommand);
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
    expect(result).toEqual({
      ExportTimestamp: T0,
      ListGroupsNextToken: 'groups-3',
      ProcessedAllGroups: 'No',
      UsernameAttributes: '["email"]',
      NumGroupsToProcess: 2,
      groupsToExport: encodeGroupsCursor([{ key: 'd' }, { key: 'e' }]),
      processedAllUsersInGroup: 'No',
    });
  });

  it('ends the groups loop after the last page listed ahead', async () => {
    const { result } = (await listGroups(fakeRuntime(fakeClock(), ENV))(wrap(listedAhead(undefined)))) as {
      result: GroupsPageOutput;
    };
    expect(cognito).not.toHaveReceivedCommand(ListGroupsCommand);
    expect(result).toMatchObject({
      ListGroupsNextToken: undefined,
      ProcessedAllGroups: 'Yes',
      NumGroupsToProcess: 2,
    });
  });

  it('lists the page itself when the page listed ahead is from another token', async () => {
    cognito.on(ListGroupsCommand).resolves({ Groups: [groupType('x')], NextToken: 'groups-9' });
    const { result } = (await listGroups(fakeRuntime(fakeClock(), ENV))(
      wrap({ ...listedAhead('groups-3'), ListGroupsNextToken: 'groups-8' }),
    )) as { result: GroupsPageOutput };
    expect(cognito.commandCalls(ListGroupsCommand)[0]?.args[0].input.NextToken).toBe('groups-8');
    expect(decodeGroupsCursor(result.groupsToExport)).toEqual([{ key: 'x' }]);
    expect(result.ListGroupsNextToken).toBe('groups-9');
  });

  it('refuses a prefetchedGroupsPage it did not write', async () => {
    await expect(
      listGroups(fakeRuntime(fakeClock(), ENV))(
        wrap({ ...listedAhead('groups-3'), prefetchedGroupsPage: 'n1:W10' }),
      ),
    ).rejects.toThrow('prefetchedGroupsPage is not a page of groups this function wrote');
  });

  it('lists the page itself for the state of an execution started before the look-ahead (no field)', async () => {
    cognito.on(ListGroupsCommand).resolves({ Groups: [groupType('d')] });
    const { prefetchedGroupsPage: _absent, ...oldState } = listedAhead('groups-3');
    const { result } = (await listGroups(fakeRuntime(fakeClock(), ENV))(wrap(oldState))) as {
      result: GroupsPageOutput;
    };
    expect(cognito.commandCalls(ListGroupsCommand)[0]?.args[0].input.NextToken).toBe('groups-2');
    expect(groupItemNames()).toEqual(['d']);
    expect(result).toMatchObject({ NumGroupsToProcess: 1, ProcessedAllGroups: 'Yes' });
  });
});

describe('the prefetched page codec', () => {
  it('round-trips a page and rejects malformed ones', () => {
    const page = { from: 'groups-2', names: ['a', 'b'], next: 'groups-3' };
    expect(decodePrefetchedGroups(encodePrefetchedGroups(page))).toEqual(page);
    expect(decodePrefetchedGroups(encodePrefetchedGroups({ from: 't', names: [] }))).toEqual({
      from: 't',
      names: [],
    });
    const encode = (body: unknown) => `n1:${Buffer.from(JSON.stringify(body)).toString('base64url')}`;
    for (const bad of [
      'g1:e30',
      'n1:!!!',
      encode([]),
      encode({ from: '', names: [], next: null }),
      encode({ from: 't', names: ['a', 'a'], next: null }),
      encode({ from: 't', names: [''], next: null }),
      encode({ from: 't', names: 'a', next: null }),
      encode({ from: 't', names: [], next: '' }),
    ]) {
      expect(() => decodePrefetchedGroups(bad)).toThrow('prefetchedGroupsPage is not a page of groups');
    }
  });
});
