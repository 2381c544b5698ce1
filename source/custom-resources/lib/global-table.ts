// SPDX-License-Identifier: Apache-2.0
/**
 * `Custom::CreateTable`: global-table-creator adds the backup table's replica in the
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
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import {
  sendCfnResponse,
  SUCCESS,
  type CustomResourceContext,
  type CustomResourceEvent,
  type CustomResourceResponse,
  type SendResponseDeps,
} from '../../utils/custom-resource';
import type { Now, Sleep } from '../../utils/time';
import type { Logger } from '../../utils/logger';
import { errorName, isRetryableError } from '../../utils/errors';
import type { TimeBudget } from '../../utils/time-budget';
import { MAX_ASYNC_WAIT_MS, failedResponse, requireProperty } from './properties';
import type { CreateTableProperties, GlobalTableCheckerEvent, GlobalTableCheckerOutput } from './types';

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
  try {
    streamArn = (await deps.secondary.send(new DescribeTableCommand({ TableName: deps.tableName }))).Table
      ?.LatestStreamArn;
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
  return { ready: true, streamArn };
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

/**
 * Update of `Custom::CreateTable`: a stack created before the replica had point-in-time recovery
 * gains it when an update adds `ReplicaPointInTimeRecovery: Enabled`. Without the property (a
 * rollback to such a template) nothing changes.
 */
export async function updateReplica(
  properties: CreateTableProperties,
  deps: { secondary: (region: string) => DynamoDBClient; logger: Logger },
): Promise<void> {
  if (properties[REPLICA_PITR_PROPERTY] !== 'Enabled') return;
  const tableName = requireProperty(properties, 'UserPoolTable');
  const secondaryRegion = requireProperty(properties, 'SecondaryRegion');
  if (!(await enablePointInTimeRecovery(deps.secondary(secondaryRegion), tableName))) {
    throw new ReplicaNotUsableError(
      `Point-in-time recovery cannot be enabled yet on the replica of table ${tableName} in ${secondaryRegion}; ` +
        'update the stack again in a few minutes',
    );
  }
  deps.logger.info('Point-in-time recovery is on for the replica', { secondaryRegion });
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

export const REPLICA_POLL_INTERVAL_MS = 5_000;

export interface ReplicaWaitDeps extends ReplicaProbeDeps {
  budget: TimeBudget;
  now: Now;
  sleep: Sleep;
  logger: Logger;
  responder: SendResponseDeps;
  pollIntervalMs?: number;
  maxWaitMs?: number;
}

/**
 * Polls until the replica is usable or this invocation's time budget is spent. Returns the input
 * fields with `LatestStreamArn` (`""`: not ready, call again) and the wait's start time. Answers
 * CloudFormation SUCCESS when ready; on an error that waiting cannot fix, or when the bounded
 * wait is over, answers FAILED and throws (the execution then fails).
 */
export async function waitForReplica(
  event: GlobalTableCheckerEvent,
  context: CustomResourceContext,
  deps: ReplicaWaitDeps,
): Promise<GlobalTableCheckerOutput> {
  const output: GlobalTableCheckerOutput = {
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    ResponseURL: event.ResponseURL,
    ...(event.PhysicalResourceId ? { PhysicalResourceId: event.PhysicalResourceId } : {}),
    ReplicaWaitStartTime:
      typeof event.ReplicaWaitStartTime === 'number' ? event.ReplicaWaitStartTime : deps.now(),
    LatestStreamArn: '',
  };
  const respond = (response: CustomResourceResponse) =>
    sendCfnResponse(output, response, context.logStreamName, deps.responder);
  const maxWaitMs = deps.maxWaitMs ?? MAX_ASYNC_WAIT_MS;

  let lastReason = '';
  let streamArn = '';
  try {
    while (deps.budget.hasTime()) {
      const state = await probeTolerantly(deps);
      if (state.ready) {
        streamArn = state.streamArn;
        break;
      }
      lastReason = state.reason;
      if (deps.now() - output.ReplicaWaitStartTime > maxWaitMs) {
        throw new ReplicaNotUsableError(
          `The replica of table ${deps.tableName} in ${deps.secondaryRegion} was not ready within ` +
            `${Math.round(maxWaitMs / 60_000)} minutes (${lastReason})`,
        );
      }
      await deps.sleep(deps.pollIntervalMs ?? REPLICA_POLL_INTERVAL_MS);
    }
  } catch (error) {
    deps.logger.error('The replica is not usable', { error });
    await respond(failedResponse(error));
    throw error;
  }
  if (streamArn === '') {
    deps.logger.info('Replica not ready yet; the state machine will call again', { reason: lastReason });
    return output;
  }
  await respond({ status: SUCCESS, data: { LatestStreamArn: streamArn } });
  return { ...output, LatestStreamArn: streamArn };
}

/** Transient errors (throttling, 5xx) that outlived the SDK's retries are a reason to look again later. */
async function probeTolerantly(deps: ReplicaWaitDeps): Promise<ReplicaState> {
  try {
    return await probeReplica(deps);
  } catch (error) {
    if (!isRetryableError(error)) throw error;
    deps.logger.warn('DescribeTable failed transiently', { error: errorName(error) });
    return { ready: false, reason: `transient ${errorName(error)}` };
  }
}
