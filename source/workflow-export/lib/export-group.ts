// SPDX-License-Identifier: Apache-2.0
/**
 * Writes group items to the backup table: one group (the Map item of executions started
 * before 2.0) or a whole ListGroups page (the ExportWorkflow's page loop).
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '../../utils/logger';
import { groupItem } from './items';
import { requireString, requireTimestamp } from './payload';
import { TaskGroup } from '../../utils/concurrency';
import { encodeGroupsCursor } from './group-cursor';
import type {
  ExportGroupEvent,
  ExportGroupOutput,
  GroupMapItem,
  GroupsPageEvent,
  GroupsPageOutput,
} from './types';

/** Group items written at once. */
export const GROUP_WRITES_IN_FLIGHT = 10;

export interface ExportGroupDeps {
  ddb: DynamoDBDocumentClient;
  logger: Logger;
  config: { tableName: string; typeGroup: string; region: string };
}

export async function exportGroup(
  event: ExportGroupEvent,
  deps: ExportGroupDeps,
): Promise<ExportGroupOutput> {
  const { ddb, logger, config } = deps;
  const groupName = requireString(event.groupName, 'groupName');
  const exportTimestamp = requireTimestamp(event.exportTimestamp, 'exportTimestamp');
  const item = groupItem(
    {
      groupName,
      groupDescription: event.groupDescription,
      groupPrecedence: event.groupPrecedence,
      groupLastModifiedDate: event.groupLastModifiedDate,
      groupRoleArn: event.groupRoleArn,
    },
    config.typeGroup,
    { exportTimestamp, region: config.region },
  );
  await ddb.send(new PutCommand({ TableName: config.tableName, Item: item }));
  logger.info('Exported a group item');
  return { exportTimestamp, groupName, UsernameAttributes: event.UsernameAttributes };
}

/**
 * Writes the group items of a ListGroups page (idempotent puts, all settled before this returns) and
 * returns the page's group names without duplicates, in page order.
 */
export async function writeGroupItems(
  groups: readonly GroupMapItem[],
  exportTimestamp: number,
  deps: ExportGroupDeps,
): Promise<string[]> {
  const { ddb, config } = deps;
  const stamp = { exportTimestamp, region: config.region };
  const writes = new TaskGroup(GROUP_WRITES_IN_FLIGHT);
  try {
    for (const [index, group] of groups.entries()) {
      const groupName = requireString(group.groupName, `Groups[${index}].groupName`);
      const item = groupItem({ ...group, groupName }, config.typeGroup, stamp);
      await writes.add(async () => ddb.send(new PutCommand({ TableName: config.tableName, Item: item })));
    }
  } catch (error) {
    await writes.drain().catch(() => undefined);
    throw error;
  }
  await writes.drain();
  return [...new Set(groups.map((group) => group.groupName))];
}

/** Writes the group items of a ListGroups page and hands every group of it to ExportUsersInGroupLambda. */
export async function exportGroupsPage(
  event: GroupsPageEvent,
  deps: ExportGroupDeps,
): Promise<GroupsPageOutput> {
  const exportTimestamp = requireTimestamp(event.ExportTimestamp, 'ExportTimestamp');
  const groups = event.Groups ?? [];
  const names = await writeGroupItems(groups, exportTimestamp, deps);
  deps.logger.info('Exported the group items of a page', { groups: groups.length });
  return groupsPageOutput(event, exportTimestamp, names);
}

/** The state that sends a page's group names to ExportUsersInGroupLambda. */
export function groupsPageOutput(
  event: Pick<GroupsPageEvent, 'ListGroupsNextToken' | 'ProcessedAllGroups' | 'UsernameAttributes'>,
  exportTimestamp: number,
  names: readonly string[],
): GroupsPageOutput {
  return {
    ExportTimestamp: exportTimestamp,
    ListGroupsNextToken: event.ListGroupsNextToken,
    ProcessedAllGroups: event.ProcessedAllGroups === 'No' ? 'No' : 'Yes',
    UsernameAttributes: event.UsernameAttributes,
    NumGroupsToProcess: names.length,
    groupsToExport: encodeGroupsCursor(names.map((key) => ({ key }))),
    processedAllUsersInGroup: names.length === 0 ? 'Yes' : 'No',
  };
}
