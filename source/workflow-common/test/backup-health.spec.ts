// SPDX-License-Identifier: Apache-2.0
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { fakeClock } from '../../test-support/fake-clock';
import { fakeRuntime } from '../../test-support/runtime';
import type { Env } from '../../utils/config';
import { createHandler, ENVIRONMENT } from '../backup-health';
import { healthMetrics } from '../lib/backup-health';

const ddb = mockAws(DynamoDBDocumentClient);
const cloudwatch = mockAws(CloudWatchClient);

const HOUR = 3_600_000;
const NOW = 1_000 * HOUR;
const ENV = {
  BACKUP_TABLE_NAME: 'backup-table',
  TYPE_TIMESTAMP: 'timestamp-type',
  RESTORE_DRILL_FREQUENCY: 'EVERY_30_DAYS',
};

function items(records: Record<string, Record<string, unknown>>): void {
  ddb.on(GetCommand).callsFake((input: { Key: { id: string; type: string } }) => ({
    Item: input.Key.type === 'timestamp-type' ? records[input.Key.id] : undefined,
  }));
}

const run = (env: Env = ENV) => createHandler(fakeRuntime(fakeClock(NOW), env))({});
const putValues = () =>
  Object.fromEntries(
    (cloudwatch.commandCalls(PutMetricDataCommand)[0]?.args[0].input.MetricData ?? []).map((datum) => [
      datum.MetricName,
      datum.Value,
    ]),
  );

beforeEach(() => {
  ddb.reset();
  cloudwatch.reset();
  cloudwatch.on(PutMetricDataCommand).resolves({});
  ddb.on(UpdateCommand).callsFake((input: { ExpressionAttributeValues: { ':now': number } }) => ({
    Attributes: { startedAt: input.ExpressionAttributeValues[':now'] - 5 * HOUR },
  }));
});

describe('backup-health', () => {
  it('declares exactly the variables it reads, with the template names', () => {
    expect(Object.keys(ENVIRONMENT).sort()).toEqual([
      'BACKUP_TABLE_NAME',
      'RESTORE_DRILL_FREQUENCY',
      'TYPE_TIMESTAMP',
    ]);
  });

  it('puts the hours since the last export and the last drill, and the drill outcome', async () => {
    items({
      'latest-export-timestamp': { latestExportTimestamp: NOW - 30 * HOUR },
      'latest-restore-drill': {
        drillEndedAt: NOW - 2.5 * HOUR,
        succeeded: false,
        projectedRestoreMinutes: 42,
      },
    });
    await run();
    expect(putValues()).toEqual({
      BackupAgeHours: 30,
      DrillAgeHours: 2.5,
      LastDrillSucceeded: 0,
      ProjectedRestoreMinutes: 42,
    });
    expect(
      cloudwatch.commandCalls(PutMetricDataCommand)[0]?.args[0].input.MetricData?.[0]?.Dimensions,
    ).toEqual([{ Name: 'BackupTable', Value: 'backup-table' }]);
    // Both records were there: nothing written.
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('counts from the first time it looked while nothing was recorded, and records that time once', async () => {
    items({});
    await run();
    expect(putValues()).toEqual({ BackupAgeHours: 5, DrillAgeHours: 5 });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'backup-table',
      Key: { id: 'backup-health-watch-started', type: 'timestamp-type' },
      UpdateExpression: 'SET #startedAt = if_not_exists(#startedAt, :now)',
      ExpressionAttributeValues: { ':now': NOW },
    });
  });

  it('leaves the drill out when drills are off, and puts no LastDrillSucceeded before the first drill', async () => {
    items({ 'latest-export-timestamp': { latestExportTimestamp: NOW - HOUR } });
    await run({ ...ENV, RESTORE_DRILL_FREQUENCY: 'NONE' });
    expect(putValues()).toEqual({ BackupAgeHours: 1 });
    expect(ddb.commandCalls(GetCommand).map((call) => call.args[0].input.Key?.id)).toEqual([
      'latest-export-timestamp',
    ]);
    expect(healthMetrics(NOW - HOUR, undefined, NOW - 3 * HOUR, NOW, 'EVERY_7_DAYS')).toEqual({
      BackupAgeHours: 1,
      DrillAgeHours: 3,
    });
  });

  it('puts 1 for a successful drill, and no projection when the drill recorded none', async () => {
    items({
      'latest-export-timestamp': { latestExportTimestamp: NOW - HOUR },
      'latest-restore-drill': { drillEndedAt: NOW - 4 * HOUR, succeeded: true },
    });
    await run();
    expect(putValues()).toEqual({ BackupAgeHours: 1, DrillAgeHours: 4, LastDrillSucceeded: 1 });
  });

  it('counts from now when the first look cannot be read back, rather than putting no age', async () => {
    items({ 'latest-restore-drill': { drillEndedAt: NOW - 4 * HOUR, succeeded: true } });
    ddb.on(UpdateCommand).resolves({});
    await run();
    expect(putValues()).toEqual({ BackupAgeHours: 0, DrillAgeHours: 4, LastDrillSucceeded: 1 });
  });

  it('ignores a drill record it cannot read rather than reporting a success', () => {
    expect(healthMetrics(NOW, undefined, NOW - HOUR, NOW, 'EVERY_7_DAYS').LastDrillSucceeded).toBeUndefined();
  });

  it('fails when the table cannot be read, so that the alarms see no data', async () => {
    ddb.on(GetCommand).rejects(new Error('AccessDenied'));
    await expect(run()).rejects.toThrow('AccessDenied');
    expect(cloudwatch).not.toHaveReceivedCommand(PutMetricDataCommand);
  });
});
