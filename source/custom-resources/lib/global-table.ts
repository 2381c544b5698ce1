// SPDX-License-Identifier: Apache-2.0
/**
 * What global-table-creator and global-table-checker share (their own parts are in the files of their
 * names). `Custom::CreateTable`: global-table-creator adds the backup table's replica in the
 * secondary region and starts SecondaryUserPoolTableStepFunctions; its task, global-table-checker,
 * answers CloudFormation once the replica is usable.
 *
 * "Usable" is stricter than the original's "the secondary table has a stream ARN": the primary
 * table must report the replica `ACTIVE` (a replica that is still CREATING can already have a
 * table and a stream), and the secondary table must have its stream ARN, which is returned as
 * `Data.LatestStreamArn`. The checker sleeps between polls and gives up with a FAILED answer
 * after a bounded time instead of letting CloudFormation wait for an hour.
 */
import {
  DescribeTableCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  type DynamoDBClient,
  type ReplicaStatus,
} from '@aws-sdk/client-dynamodb';
import { errorName } from '../../utils/errors';

/** Replica states from which the replica will not become ACTIVE without someone's intervention. */
const BROKEN_REPLICA_STATES: ReadonlySet<string> = new Set<ReplicaStatus>([
  'CREATION_FAILED',
  'DELETING',
  'REGION_DISABLED',
  'INACCESSIBLE_ENCRYPTION_CREDENTIALS',
  'REPLICATION_NOT_AUTHORIZED',
  'ARCHIVING',
  'ARCHIVED',
]);

export class ReplicaNotUsableError extends Error {
  override readonly name = 'ReplicaNotUsableError';
}

export interface ReplicaProbeDeps {
  /** This Lambda's region: the primary table, which lists its replicas. */
  primary: DynamoDBClient;
  /** The secondary region: the replica table, which has its own stream. */
  secondary: DynamoDBClient;
  tableName: string;
  secondaryRegion: string;
}

export type ReplicaState = { ready: true; streamArn: string } | { ready: false; reason: string };

/** One look at the replica. Throws `ReplicaNotUsableError` when waiting longer is pointless. */
export async function probeReplica(deps: ReplicaProbeDeps): Promise<ReplicaState> {
  const primary = await deps.primary.send(new DescribeTableCommand({ TableName: deps.tableName }));
  const replica = primary.Table?.Replicas?.find((entry) => entry.RegionName === deps.secondaryRegion);
  if (!replica) return { ready: false, reason: 'replica not listed yet' };
  const status = replica.ReplicaStatus ?? 'unknown';
  if (BROKEN_REPLICA_STATES.has(status)) {
    throw new ReplicaNotUsableError(
      `The replica of table ${deps.tableName} in ${deps.secondaryRegion} is ${status}` +
        (replica.ReplicaStatusDescription ? `: ${replica.ReplicaStatusDescription}` : ''),
    );
  }
  if (status !== 'ACTIVE') return { ready: false, reason: `replica ${status}` };

  let streamArn: string | undefined;
  let deletionProtected: boolean | undefined;
  try {
    const table = (await deps.secondary.send(new DescribeTableCommand({ TableName: deps.tableName }))).Table;
    streamArn = table?.LatestStreamArn;
    deletionProtected = table?.DeletionProtectionEnabled ?? false;
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException')
      return { ready: false, reason: 'replica table not found' };
    throw error;
  }
  if (!streamArn) return { ready: false, reason: 'replica has no stream yet' };
  // CloudFormation's PointInTimeRecoverySpecification covers the primary table only: the replica,
  // created through the API, gets point-in-time recovery here, before the resource is answered.
  if (!(await enablePointInTimeRecovery(deps.secondary, deps.tableName))) {
    return { ready: false, reason: 'point-in-time recovery cannot be enabled yet' };
  }
  // Deletion protection is a setting of each replica: the primary's DeletionProtectionEnabled does not reach it.
  if (!(await enableDeletionProtection(deps.secondary, deps.tableName, deletionProtected))) {
    return { ready: false, reason: 'deletion protection cannot be turned on yet' };
  }
  return { ready: true, streamArn };
}

/**
 * Turns deletion protection on for the table of `client`'s region, unless it is on already (`known`: what a
 * DescribeTable of the caller said; absent: asked here). Returns false while the table is busy with another update
 * (`ResourceInUseException`); other errors are thrown.
 */
export async function enableDeletionProtection(
  client: DynamoDBClient,
  tableName: string,
  known?: boolean,
): Promise<boolean> {
  const enabled =
    known ??
    (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table
      ?.DeletionProtectionEnabled === true;
  if (enabled) return true;
  try {
    await client.send(new UpdateTableCommand({ TableName: tableName, DeletionProtectionEnabled: true }));
    return true;
  } catch (error) {
    if (errorName(error) === 'ResourceInUseException') return false;
    throw error;
  }
}

/**
 * Turns point-in-time recovery on for the table of `client`'s region (idempotent). Returns false
 * while DynamoDB cannot do it yet (`ContinuousBackupsUnavailableException`, e.g. backups are still
 * being enabled on a new replica); other errors are thrown.
 */
export async function enablePointInTimeRecovery(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(
      new UpdateContinuousBackupsCommand({
        TableName: tableName,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    );
    return true;
  } catch (error) {
    if (errorName(error) === 'ContinuousBackupsUnavailableException') return false;
    throw error;
  }
}

/** The `Custom::CreateTable` property that asks for point-in-time recovery on the replica. */
export const REPLICA_PITR_PROPERTY = 'ReplicaPointInTimeRecovery';

/** The `Custom::CreateTable` property that asks for deletion protection on the replica. */
export const REPLICA_DELETION_PROTECTION_PROPERTY = 'ReplicaDeletionProtection';
