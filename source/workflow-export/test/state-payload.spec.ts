// SPDX-License-Identifier: Apache-2.0
/**
 * The ExportWorkflow's group states stay under Step Functions' 256 KB limit on a state's input and
 * output in the worst case Cognito allows: 60 groups a page, each with a 128-character name, a
 * 2,048-character description and a 2,048-character role ARN, all in 4-byte characters where
 * Cognito allows them, and long pagination tokens.
 */
import {
  CognitoIdentityProviderClient,
  ListGroupsCommand,
  ListUsersInGroupCommand,
  type GroupType,
  type ListUsersInGroupCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { fakeRuntime } from '../../test-support/runtime';
import { createHandler as exportUsersInGroup } from '../export-users-in-group';
import { createHandler as listGroups } from '../list-groups';
import { decodeGroupsCursor, encodeGroupsCursor } from '../lib/group-cursor';
import { LIST_GROUPS_LIMIT } from '../lib/list-groups';
import { STREAMS_IN_FLIGHT } from '../lib/paged-export';
import type { GroupsPageOutput, ListGroupsOutput } from '../lib/types';
import { fakeClock, T0, user, groupsLoopEnv } from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const ddb = mockAws(DynamoDBDocumentClient);
const ENV = groupsLoopEnv(25);

/** Step Functions' limit on a state's input or output, in UTF-8 bytes. */
const STATE_LIMIT_BYTES = 262_144;
const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** U+1D50A and friends: one character for Cognito, 4 bytes in UTF-8 (2 UTF-16 units in JavaScript). */
const FOUR_BYTE = [...'𝔊𝔄𝔅𝔇𝔈𝔉𝔍𝔎𝔏𝔐'];
/** A 128-character group name (Cognito's maximum), 4 bytes each, unique by its last characters. */
const longName = (i: number): string =>
  '𝔊'.repeat(125) + [...String(i).padStart(3, '0')].map((d) => FOUR_BYTE[Number(d)]).join('');
/** `"` and `\` double in JSON: the worst bytes-per-character a description or ARN can have is 4 here too. */
const longGroup = (i: number): GroupType => ({
  GroupName: longName(i),
  Description: '𝔇'.repeat(2047) + '"',
  RoleArn: `arn:aws:iam::111122223333:role/${'r'.repeat(2048 - 31)}`,
  Precedence: 2_147_483_647,
  LastModifiedDate: new Date(T0),
  CreationDate: new Date(T0),
});
const LONG_TOKEN = (tag: string): string => `${tag}:${'t'.repeat(4096)}`;

beforeEach(() => {
  cognito.reset();
  ddb.reset();
  ddb.on(BatchWriteCommand).resolves({});
  ddb.on(PutCommand).resolves({});
});

describe('the worst-case ListGroups page', () => {
  const page = Array.from({ length: LIST_GROUPS_LIMIT }, (_, i) => longGroup(i));

  it('would pass the state limit as the groups Map items of an execution started before 2.0', async () => {
    cognito.on(ListGroupsCommand).resolves({ Groups: page, NextToken: LONG_TOKEN('groups') });
    const output = (await listGroups(fakeRuntime(fakeClock(), ENV))({
      ExportTimestamp: T0,
      UsernameAttributes: '["email","phone_number"]',
    })) as ListGroupsOutput;
    expect(output.Groups).toHaveLength(60);
    expect(bytes(output)).toBeGreaterThan(STATE_LIMIT_BYTES);
  });

  it('stays far under it in the ExportWorkflow: the group items are written, only the names go on', async () => {
    cognito.on(ListGroupsCommand).resolves({ Groups: page, NextToken: LONG_TOKEN('groups') });
    const input = {
      ExportTimestamp: T0,
      UsernameAttributes: '["email","phone_number"]',
      ListGroupsNextToken: LONG_TOKEN('previous'),
    };
    const { result } = (await listGroups(fakeRuntime(fakeClock(), ENV))({
      Input: input,
      Context: {
        Execution: { Id: 'exec', Input: {}, StartTime: new Date(T0).toISOString() },
        State: { Name: 'ListGroupsLambda' },
        StateMachine: { Id: 'sm', Name: 'ExportWorkflow-abc' },
      },
    })) as { result: GroupsPageOutput };

    expect(bytes(result)).toBeLessThan(STATE_LIMIT_BYTES / 4);
    expect(result).toMatchObject({
      ExportTimestamp: T0,
      ListGroupsNextToken: LONG_TOKEN('groups'),
      ProcessedAllGroups: 'No',
      NumGroupsToProcess: 60,
      processedAllUsersInGroup: 'No',
    });
    expect(decodeGroupsCursor(result.groupsToExport).map((cursor) => cursor.key)).toEqual(
      page.map((group) => group.GroupName),
    );
    // The descriptions and roles are in the table, whole.
    const items = ddb.commandCalls(PutCommand).map((call) => call.args[0].input.Item ?? {});
    expect(items).toHaveLength(60);
    expect(items.map((item) => item.groupName)).toEqual(page.map((group) => group.GroupName));
    expect(items.every((item) => item.groupDescription === page[0]?.Description)).toBe(true);
    expect(items.every((item) => item.groupRoleArn === page[0]?.RoleArn)).toBe(true);
  });
});

describe('the memberships continuation of the worst-case page', () => {
  it('an interrupted ExportUsersInGroupLambda hands on at most one token per stream in flight, under the limit', async () => {
    const names = Array.from({ length: LIST_GROUPS_LIMIT }, (_, i) => longName(i));
    // Every group has more pages than the invocation gets to; each token is 4 KB.
    cognito.on(ListUsersInGroupCommand).callsFake(async (input: ListUsersInGroupCommandInput) => {
      remaining -= 100;
      const page = Number((input.NextToken ?? '0').split(':')[0]);
      return { Users: [user(page + 1)], NextToken: `${page + 1}:${'t'.repeat(4096)}` };
    });
    let remaining = 62_000;
    const clock = fakeClock();
    const output = (await exportUsersInGroup(fakeRuntime(clock, ENV))(
      {
        ExportTimestamp: T0,
        ListGroupsNextToken: LONG_TOKEN('groups'),
        ProcessedAllGroups: 'No',
        UsernameAttributes: '["email","phone_number"]',
        groupsToExport: encodeGroupsCursor(names.map((key) => ({ key }))),
      },
      { getRemainingTimeInMillis: () => remaining },
    )) as GroupsPageOutput;

    expect(output.processedAllUsersInGroup).toBe('No');
    const left = decodeGroupsCursor(output.groupsToExport);
    expect(left).toHaveLength(60);
    const withToken = left.filter((cursor) => cursor.token !== undefined).length;
    expect(withToken).toBeGreaterThan(0);
    expect(withToken).toBeLessThanOrEqual(STREAMS_IN_FLIGHT);
    expect(bytes(output)).toBeLessThan(STATE_LIMIT_BYTES);

    // The worst this continuation can hold: every stream in flight stopped with a 4 KB token.
    const worst: GroupsPageOutput = {
      ...output,
      groupsToExport: encodeGroupsCursor(
        names.map((key, i) => (i < STREAMS_IN_FLIGHT ? { key, token: LONG_TOKEN(key) } : { key })),
      ),
    };
    expect(bytes(worst)).toBeLessThan(STATE_LIMIT_BYTES);
  });
});

describe('the page of groups listed ahead', () => {
  it('stays under the limit beside the worst-case memberships continuation, and through ListGroupsLambda', async () => {
    const current = Array.from({ length: LIST_GROUPS_LIMIT }, (_, i) => longName(i));
    const next = Array.from({ length: LIST_GROUPS_LIMIT }, (_, i) => longGroup(i + LIST_GROUPS_LIMIT));
    cognito.on(ListGroupsCommand).resolves({ Groups: next, NextToken: LONG_TOKEN('after') });
    cognito.on(ListUsersInGroupCommand).resolves({ Users: [user(1)] });
    const output = (await exportUsersInGroup(fakeRuntime(fakeClock(), ENV))({
      ExportTimestamp: T0,
      ListGroupsNextToken: LONG_TOKEN('groups'),
      ProcessedAllGroups: 'No',
      UsernameAttributes: '["email","phone_number"]',
      groupsToExport: encodeGroupsCursor(current.map((key) => ({ key }))),
    })) as GroupsPageOutput;
    expect(output.prefetchedGroupsPage).toBeDefined();
    // 60 names of 128 four-byte characters and two 4 KB tokens.
    expect(Buffer.byteLength(output.prefetchedGroupsPage ?? '', 'utf8')).toBeGreaterThan(60 * 128 * 4);

    // The worst state the self-loop can carry: the look-ahead beside every stream in flight stopped with a 4 KB token.
    const worst: GroupsPageOutput = {
      ...output,
      groupsToExport: encodeGroupsCursor(
        current.map((key, i) => (i < STREAMS_IN_FLIGHT ? { key, token: LONG_TOKEN(key) } : { key })),
      ),
    };
    expect(bytes(worst)).toBeLessThan(STATE_LIMIT_BYTES);

    const { result } = (await listGroups(fakeRuntime(fakeClock(), ENV))({
      Input: { ...output },
      Context: {
        Execution: { Id: 'exec', Input: {}, StartTime: new Date(T0).toISOString() },
        State: { Name: 'ListGroupsLambda' },
        StateMachine: { Id: 'sm', Name: 'ExportWorkflow-abc' },
      },
    })) as { result: GroupsPageOutput };
    expect(cognito.commandCalls(ListGroupsCommand)).toHaveLength(1); // the look-ahead's only
    expect(decodeGroupsCursor(result.groupsToExport).map((cursor) => cursor.key)).toEqual(
      next.map((group) => group.GroupName),
    );
    expect(bytes(result)).toBeLessThan(STATE_LIMIT_BYTES / 4);
  });
});
