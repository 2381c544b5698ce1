// SPDX-License-Identifier: Apache-2.0
/**
 * The ExportWorkflow's page loop over groups: ExportGroupLambda writes a ListGroups page's group items,
 * ExportUsersInGroupLambda exports the page's memberships, several groups at once.
 */
import {
  CognitoIdentityProviderClient,
  ListUsersInGroupCommand,
  type ListUsersInGroupCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { lambdaContext } from '../../test-support/lambda-context';
import { fakeRuntime } from '../../test-support/runtime';
import { createHandler as exportGroup } from '../export-group';
import { createHandler as exportUsersInGroup } from '../export-users-in-group';
import { decodeGroupsCursor, encodeGroupsCursor } from '../lib/group-cursor';
import type { GroupMapItem, GroupsPageOutput, ListGroupsOutput } from '../lib/types';
import { fakeClock, putItems, T0, user, groupsLoopEnv, TABLE } from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const ddb = mockAws(DynamoDBDocumentClient);
const ENV = groupsLoopEnv(10);

const group = (name: string): GroupMapItem => ({
  groupName: name,
  groupDescription: `about ${name}`,
  groupPrecedence: 3,
  groupLastModifiedDate: new Date(T0).toISOString(),
  groupRoleArn: name === 'b' ? 'arn:aws:iam::111122223333:role/b-role' : '',
  UsernameAttributes: '[]',
});

const listGroupsPage = (names: string[], next?: string): ListGroupsOutput => ({
  ExportTimestamp: T0,
  NumGroupsToProcess: names.length,
  Groups: names.map(group),
  ListGroupsNextToken: next,
  ProcessedAllGroups: next ? 'No' : 'Yes',
  UsernameAttributes: '[]',
});

/** `members[group]` user numbers, served `pageSize` a page; each call yields to the event loop once. */
function serveGroups(members: Record<string, number[]>, pageSize: number) {
  const calls = { inFlight: 0, peak: 0, order: [] as string[] };
  cognito.on(ListUsersInGroupCommand).callsFake(async (input: ListUsersInGroupCommandInput) => {
    calls.inFlight += 1;
    calls.peak = Math.max(calls.peak, calls.inFlight);
    calls.order.push(`${input.GroupName}@${input.NextToken ?? 0}`);
    await new Promise((resolve) => setImmediate(resolve));
    calls.inFlight -= 1;
    const all = members[input.GroupName ?? ''] ?? [];
    const start = Number(input.NextToken ?? 0);
    const next = start + pageSize < all.length ? String(start + pageSize) : undefined;
    return { Users: all.slice(start, start + pageSize).map((n) => user(n)), NextToken: next };
  });
  return calls;
}

const memberships = (): string[] =>
  putItems(ddb, TABLE)
    .map((item) => `${String(item.id)} ${String(item.type)}`)
    .sort();

beforeEach(() => {
  cognito.reset();
  ddb.reset();
  ddb.on(BatchWriteCommand).resolves({});
  ddb.on(PutCommand).resolves({});
});

describe('ExportGroupLambda on a ListGroups page', () => {
  it('writes every group item of the page and hands all the groups on, with the page fields', async () => {
    const clock = fakeClock();
    const output = (await exportGroup(fakeRuntime(clock, ENV))(
      listGroupsPage(['a', 'b', 'c'], 'groups-2'),
    )) as GroupsPageOutput;
    const items = ddb.commandCalls(PutCommand).map((call) => call.args[0].input.Item);
    expect(items.map((item) => item?.id)).toEqual(['GROUP-a', 'GROUP-b', 'GROUP-c']);
    expect(items.map((item) => item?.groupRoleArn)).toEqual([
      undefined,
      'arn:aws:iam::111122223333:role/b-role',
      undefined,
    ]);
    expect(items[0]).toEqual({
      id: 'GROUP-a',
      type: 'GROUP-uuid',
      groupName: 'a',
      groupDescription: 'about a',
      groupPrecedence: 3,
      groupLastModifiedDate: new Date(T0).toISOString(),
      lastConfirmedInUserPool: T0,
      lastUpdatedRegion: 'eu-west-1',
    });
    expect(output).toEqual({
      ExportTimestamp: T0,
      ListGroupsNextToken: 'groups-2',
      ProcessedAllGroups: 'No',
      UsernameAttributes: '[]',
      NumGroupsToProcess: 3,
      groupsToExport: encodeGroupsCursor([{ key: 'a' }, { key: 'b' }, { key: 'c' }]),
      processedAllUsersInGroup: 'No',
    });
  });

  it('an empty page has nothing left to export', async () => {
    const output = (await exportGroup(fakeRuntime(fakeClock(), ENV))(listGroupsPage([]))) as GroupsPageOutput;
    expect(output).toMatchObject({
      groupsToExport: '',
      processedAllUsersInGroup: 'Yes',
      ProcessedAllGroups: 'Yes',
    });
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
  });

  it('still writes one group for an execution started before the page loop', async () => {
    const output = await exportGroup(fakeRuntime(fakeClock(), ENV))({
      ...group('solo'),
      exportTimestamp: T0,
    });
    expect(output).toEqual({ exportTimestamp: T0, groupName: 'solo', UsernameAttributes: '[]' });
  });
});

describe('ExportUsersInGroupLambda on a page of groups', () => {
  const pageOf = (names: string[], cursor = encodeGroupsCursor(names.map((key) => ({ key })))) => ({
    ExportTimestamp: T0,
    ListGroupsNextToken: undefined,
    ProcessedAllGroups: 'Yes' as const,
    UsernameAttributes: '[]',
    groupsToExport: cursor,
  });

  it('lists several groups at once and writes every membership of every group', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `g${i}`);
    const members = Object.fromEntries(names.map((name, i) => [name, [i + 1, i + 2, i + 3]]));
    const calls = serveGroups(members, 2);
    const output = (await exportUsersInGroup(fakeRuntime(fakeClock(), ENV))(
      pageOf(names),
    )) as GroupsPageOutput;
    expect(output).toMatchObject({
      processedAllUsersInGroup: 'Yes',
      groupsToExport: '',
      NumGroupsToProcess: 0,
    });
    expect(calls.peak).toBeGreaterThan(1);
    expect(memberships()).toEqual(
      names
        .flatMap((name, i) => [i + 1, i + 2, i + 3].map((n) => `GROUP_MEMBER-${name} GROUP_MEMBER-sub-${n}`))
        .sort(),
    );
  });

  it("follows one huge group's page chain one page at a time, its writes overlapped with the next page", async () => {
    const members = { huge: Array.from({ length: 50 }, (_, i) => i + 1) };
    const calls = serveGroups(members, 5);
    const events: string[] = [];
    ddb.on(BatchWriteCommand).callsFake(async () => {
      events.push(`write started after ${calls.order.length} pages`);
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      events.push(`write done after ${calls.order.length} pages`);
      return {};
    });
    await exportUsersInGroup(fakeRuntime(fakeClock(), ENV))(pageOf(['huge']));
    expect(calls.peak).toBe(1); // a group's pages follow its NextToken chain
    expect(calls.order).toEqual(Array.from({ length: 10 }, (_, i) => `huge@${i === 0 ? 0 : i * 5}`));
    // The first page's write is still running when pages 2 and 3 have been requested.
    expect(events.slice(0, 3)).toEqual([
      'write started after 1 pages',
      'write started after 2 pages',
      'write done after 3 pages',
    ]);
    expect(memberships()).toHaveLength(50);
  });

  it('returns the groups left with their tokens when the budget runs out, and the next invocation finishes them', async () => {
    const clock = fakeClock();
    const names = ['a', 'b', 'c'];
    const members = { a: [1, 2, 3, 4, 5, 6], b: [7], c: [8, 9, 10, 11] };
    serveGroups(members, 2);
    let remaining = 60_300;
    cognito.on(ListUsersInGroupCommand).callsFake(async (input: ListUsersInGroupCommandInput) => {
      remaining -= 100;
      const all = members[input.GroupName as 'a' | 'b' | 'c'];
      const start = Number(input.NextToken ?? 0);
      const next = start + 2 < all.length ? String(start + 2) : undefined;
      return { Users: all.slice(start, start + 2).map((n) => user(n)), NextToken: next };
    });
    const runtime = fakeRuntime(clock, ENV);
    const context = { getRemainingTimeInMillis: () => remaining };
    const first = (await exportUsersInGroup(runtime)(pageOf(names), context)) as GroupsPageOutput;
    expect(first.processedAllUsersInGroup).toBe('No');
    const left = decodeGroupsCursor(first.groupsToExport);
    expect(left.length).toBeGreaterThan(0);
    expect(left.some((cursor) => cursor.token !== undefined)).toBe(true);

    remaining = 600_000;
    const second = (await exportUsersInGroup(runtime)(
      first,
      lambdaContext(clock, 600_000),
    )) as GroupsPageOutput;
    expect(second.processedAllUsersInGroup).toBe('Yes');
    const listed = cognito
      .commandCalls(ListUsersInGroupCommand)
      .map((call) => `${call.args[0].input.GroupName}@${call.args[0].input.NextToken ?? 0}`);
    expect(new Set(listed).size).toBe(listed.length); // no page twice
    expect(memberships()).toHaveLength(11); // none skipped
  });

  it('refuses a groupsToExport it did not write', async () => {
    await expect(exportUsersInGroup(fakeRuntime(fakeClock(), ENV))(pageOf([], 'p1:W10'))).rejects.toThrow(
      'groupsToExport is not a cursor this function wrote',
    );
  });
});
