// SPDX-License-Identifier: Apache-2.0
/**
 * global-table-creator: Create adds the replica and starts the checker workflow; Update switches the
 * replica's key and enables its point-in-time recovery.
 */
import { UpdateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { CustomResourceEvent } from '../../utils/custom-resource';
import type { Logger } from '../../utils/logger';
import {
  enableDeletionProtection,
  enablePointInTimeRecovery,
  REPLICA_DELETION_PROTECTION_PROPERTY,
  REPLICA_PITR_PROPERTY,
  ReplicaNotUsableError,
} from './global-table';
import { requireProperty } from './properties';
import type { CreateTableProperties, GlobalTableCheckerEvent } from './types';

/** Creates the replica and starts the checker workflow; the workflow answers CloudFormation. */
export async function startReplicaCreation(
  event: CustomResourceEvent<CreateTableProperties>,
  deps: { dynamoDb: DynamoDBClient; sfn: SFNClient },
): Promise<void> {
  const properties = event.ResourceProperties;
  const tableName = requireProperty(properties, 'UserPoolTable');
  const secondaryRegion = requireProperty(properties, 'SecondaryRegion');
  const stateMachineArn = requireProperty(properties, 'StateMachineArn');
  const replicaKey = properties[REPLICA_KMS_PROPERTY];
  await deps.dynamoDb.send(
    new UpdateTableCommand({
      TableName: tableName,
      ReplicaUpdates: [
        {
          Create: {
            RegionName: secondaryRegion,
            // A table encrypted with a customer managed key needs a key of the replica's own region.
            ...(replicaKey ? { KMSMasterKeyId: replicaKey } : {}),
          },
        },
      ],
    }),
  );
  const input: GlobalTableCheckerEvent = {
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    ResponseURL: event.ResponseURL,
  };
  await deps.sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }));
}

/**
 * Update of `Custom::CreateTable`: a stack created before the replica had point-in-time recovery or deletion
 * protection gains them when an update adds `ReplicaPointInTimeRecovery: Enabled` or
 * `ReplicaDeletionProtection: Enabled`. Without the properties (a rollback to such a template) nothing changes.
 */
export async function updateReplica(
  properties: CreateTableProperties,
  deps: { secondary: (region: string) => DynamoDBClient; logger: Logger },
): Promise<void> {
  const pitr = properties[REPLICA_PITR_PROPERTY] === 'Enabled';
  const deletionProtection = properties[REPLICA_DELETION_PROTECTION_PROPERTY] === 'Enabled';
  if (!pitr && !deletionProtection) return;
  const tableName = requireProperty(properties, 'UserPoolTable');
  const secondaryRegion = requireProperty(properties, 'SecondaryRegion');
  const replica = deps.secondary(secondaryRegion);
  if (pitr) {
    if (!(await enablePointInTimeRecovery(replica, tableName))) {
      throw new ReplicaNotUsableError(
        `Point-in-time recovery cannot be enabled yet on the replica of table ${tableName} in ${secondaryRegion}; ` +
          'update the stack again in a few minutes',
      );
    }
    deps.logger.info('Point-in-time recovery is on for the replica', { secondaryRegion });
  }
  if (deletionProtection) {
    if (!(await enableDeletionProtection(replica, tableName))) {
      throw new ReplicaNotUsableError(
        `Deletion protection cannot be turned on yet for the replica of table ${tableName} in ${secondaryRegion} ` +
          '(the table is being updated); update the stack again in a few minutes',
      );
    }
    deps.logger.info('Deletion protection is on for the replica', { secondaryRegion });
  }
}

/** The `Custom::CreateTable` property with the backup region's customer managed key (absent: AWS managed key). */
export const REPLICA_KMS_PROPERTY = 'ReplicaKmsKeyArn';

/** DynamoDB's AWS managed key: the replica's key when the stack no longer names a customer managed key. */
export const DYNAMODB_MANAGED_KEY = 'alias/aws/dynamodb';

/**
 * Update of `Custom::CreateTable` when `ReplicaKmsKeyArn` changed (a key given, changed or removed after
 * install): the replica is switched to the new key, or back to DynamoDB's AWS managed key. CloudFormation
 * switches the primary table itself (BackupTable's SSESpecification). Returns whether it asked for a change.
 * DynamoDB re-encrypts the replica in the background; the table stays usable meanwhile.
 */
export async function updateReplicaKey(
  properties: CreateTableProperties,
  oldProperties: CreateTableProperties | undefined,
  deps: { primary: DynamoDBClient; logger: Logger },
): Promise<boolean> {
  const wanted = properties[REPLICA_KMS_PROPERTY] ?? '';
  if (wanted === (oldProperties?.[REPLICA_KMS_PROPERTY] ?? '')) return false;
  const tableName = requireProperty(properties, 'UserPoolTable');
  const secondaryRegion = requireProperty(properties, 'SecondaryRegion');
  await deps.primary.send(
    new UpdateTableCommand({
      TableName: tableName,
      ReplicaUpdates: [
        {
          Update: {
            RegionName: secondaryRegion,
            KMSMasterKeyId: wanted === '' ? DYNAMODB_MANAGED_KEY : wanted,
          },
        },
      ],
    }),
  );
  deps.logger.info('The replica is switching keys', {
    secondaryRegion,
    key: wanted === '' ? DYNAMODB_MANAGED_KEY : 'customer managed key',
  });
  return true;
}
