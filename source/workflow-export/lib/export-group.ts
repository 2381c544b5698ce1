/** Writes one group's item to the backup table (spec §4.4). */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '../../utils/logger';
import { groupItem } from './items';
import { requireString, requireTimestamp } from './payload';
import type { ExportGroupEvent, ExportGroupOutput } from './types';

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
