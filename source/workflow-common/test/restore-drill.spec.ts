// SPDX-License-Identifier: Apache-2.0
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CognitoIdentityProviderClient,
  DeleteUserPoolCommand,
  DeleteUserPoolDomainCommand,
  DescribeUserPoolCommand,
  UpdateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  ListTagsForResourceCommand,
  SFNClient,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { memoryExportObjects } from '../../test-support/table-export';
import { findTableExports, openTableExport, readTableExport } from '../../utils/table-export';
import { mockAws } from '../../test-support/aws-mock';
import { fakeClock } from '../../test-support/fake-clock';
import { fakeRuntime } from '../../test-support/runtime';
import { serveBucket } from '../../workflow-import/test/support';
import { createHandler, ENVIRONMENT, type RestoreDrillEvent } from '../restore-drill';
import { reportCounts, type PrepareResult } from '../lib/restore-drill';

const sfn = mockAws(SFNClient);
const cognito = mockAws(CognitoIdentityProviderClient);
const s3 = mockAws(S3Client);
const ddb = mockAws(DynamoDBDocumentClient);
const sns = mockAws(SNSClient);
const cloudwatch = mockAws(CloudWatchClient);

const NOW = 1_700_000_000_000;
const ENV = {
  IMPORT_WORKFLOW_ARN: 'arn:aws:states:us-west-2:111122223333:stateMachine:ImportWorkflow-abc',
  REPAIR_WORKFLOW_ARN: 'arn:aws:states:us-east-1:111122223333:stateMachine:RepairWorkflow-uuid',
  PRIMARY_REGION: 'us-east-1',
  SOLUTION_TAG: 'my-stack-us-east-1',
  BACKUP_TABLE_NAME: 'backup-table',
  TYPE_TIMESTAMP: 'SYNC_TIMESTAMP-uuid',
  NOTIFICATION_TOPIC: 'topic-arn',
  SNS_MESSAGE_PREFERENCE: 'INFO_AND_ERRORS',
  COGNITO_TPS: '10',
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: 'import-bucket',
  RESTORE_DRILL_MAX_USERS: '10000',
  TYPE_USER: 'USER-uuid',
  TYPE_GROUP: 'GROUP-uuid',
};
const DRILL_ARN = 'arn:aws:states:us-west-2:111122223333:stateMachine:RestoreDrillWorkflow-abc';
const EXPORT_ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:ExportWorkflow-xyz';
const OTHER_EXPORT_ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:ExportWorkflow-other';

const run = (event: RestoreDrillEvent, env: Record<string, string> = ENV) =>
  createHandler(fakeRuntime(fakeClock(NOW), env))(event);
const prepare = (env: Record<string, string> = ENV) =>
  run(
    {
      Action: 'prepare',
      Context: {
        Execution: { Id: `${DRILL_ARN}:scheduled-1`, Name: 'scheduled-1', Input: {}, StartTime: '' },
        StateMachine: { Id: DRILL_ARN, Name: 'RestoreDrillWorkflow-abc' },
      },
    },
    env,
  );

let bucket: Map<string, string>;
beforeEach(() => {
  for (const stub of [sfn, cognito, s3, ddb, sns, cloudwatch]) stub.reset();
  bucket = new Map();
  serveBucket(s3, bucket);
  ddb.on(PutCommand).resolves({});
  ddb.on(GetCommand).resolves({ Item: { latestExportTimestamp: 1, usersBackedUp: 10_000 } });
  sns.on(PublishCommand).resolves({});
  cloudwatch.on(PutMetricDataCommand).resolves({});
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  sfn.on(ListExecutionsCommand, { stateMachineArn: DRILL_ARN }).resolves({
    executions: [
      {
        executionArn: 'this',
        stateMachineArn: DRILL_ARN,
        name: 'scheduled-1',
        status: 'RUNNING',
        startDate: new Date(),
      },
    ],
  });
  sfn.on(ListStateMachinesCommand).resolves({
    stateMachines: [
      { name: 'ExportWorkflow-xyz', stateMachineArn: EXPORT_ARN, type: 'STANDARD', creationDate: new Date() },
      {
        name: 'ExportWorkflow-other',
        stateMachineArn: OTHER_EXPORT_ARN,
        type: 'STANDARD',
        creationDate: new Date(),
      },
      { name: 'Unrelated', stateMachineArn: 'arn:unrelated', type: 'STANDARD', creationDate: new Date() },
    ],
  });
  sfn.on(ListTagsForResourceCommand, { resourceArn: EXPORT_ARN }).resolves({
    tags: [{ key: 'solution-id-SO0126', value: 'my-stack-us-east-1' }],
  });
  sfn.on(ListTagsForResourceCommand, { resourceArn: OTHER_EXPORT_ARN }).resolves({
    tags: [{ key: 'solution-id-SO0126', value: 'another-stack-us-east-1' }],
  });
});

const running = (arn: string) =>
  sfn.on(ListExecutionsCommand, { stateMachineArn: arn }).resolves({
    executions: [
      { executionArn: 'x', stateMachineArn: arn, name: 'x', status: 'RUNNING', startDate: new Date() },
    ],
  });

describe('restore-drill', () => {
  it('declares exactly the variables it reads', () => {
    expect(Object.keys(ENVIRONMENT).sort()).toEqual(Object.keys(ENV).sort());
  });

  it('fails loudly on an Action it does not know, doing nothing', async () => {
    await expect(run({ Action: 'restore' } as unknown as RestoreDrillEvent)).rejects.toThrow(
      'RestoreDrillLambda: unknown Action',
    );
    expect(sfn).not.toHaveReceivedCommand(ListExecutionsCommand);
    expect(cognito).not.toHaveReceivedCommand(DeleteUserPoolCommand);
  });

  describe('prepare', () => {
    it('names the scratch pool and the import after the drill, so that nobody takes them for real', async () => {
      expect(await prepare()).toEqual({
        PoolName: 'restore-drill-scheduled-1',
        ImportExecutionName: 'restore-drill-scheduled-1',
        ImportInput: { CreateUserPool: { PoolName: 'restore-drill-scheduled-1', RestoreDrill: true } },
      });
      expect(ddb).not.toHaveReceivedCommand(ScanCommand);
      expect(sns).not.toHaveReceivedCommand(PublishCommand);
    });

    it('names them after the execution id when the context gives no execution name', async () => {
      const result = await run({
        Action: 'prepare',
        Context: {
          Execution: { Id: `${DRILL_ARN}:scheduled-1`, Input: {}, StartTime: '' },
          StateMachine: { Id: DRILL_ARN, Name: 'RestoreDrillWorkflow-abc' },
        },
      });
      expect(result).toEqual(expect.objectContaining({ ImportExecutionName: 'restore-drill-scheduled-1' }));
    });

    it.each([
      ['an ImportWorkflow', ENV.IMPORT_WORKFLOW_ARN],
      ['the ExportWorkflow', EXPORT_ARN],
      ['the RepairWorkflow', ENV.REPAIR_WORKFLOW_ARN],
    ])('refuses while %s of this backup runs', async (what, arn) => {
      running(arn);
      const result = (await prepare()) as { Refused?: string };
      expect(result.Refused).toContain(`${what} of this backup is running`);
      // Announced: nothing else would tell that the drill did not run.
      expect(sns).toHaveReceivedCommandWith(PublishCommand, {
        TopicArn: 'topic-arn',
        Message: result.Refused,
      });
    });

    it('above RestoreDrillMaxUsers writes a sample as a table export and names it in the import input', async () => {
      ddb.on(GetCommand).resolves({});
      ddb
        .on(GetCommand, { Key: { id: 'latest-export-timestamp', type: 'SYNC_TIMESTAMP-uuid' } })
        .resolves({ Item: { id: 'latest-export-timestamp', type: 'SYNC_TIMESTAMP-uuid', usersBackedUp: 6 } });
      const items = [
        { id: 'latest-export-timestamp', type: 'SYNC_TIMESTAMP-uuid', usersBackedUp: 6 },
        ...Array.from({ length: 6 }, (_, n) => ({
          id: `USER-s${n}`,
          type: 'USER-uuid',
          pseudoUsername: `u${n}`,
          userEnabled: n !== 4,
          userAttributes: [{ Name: 'sub', Value: `s${n}` }],
        })),
        { id: 'GROUP-g', type: 'GROUP-uuid', groupName: 'g' },
        { id: 'GROUP-empty', type: 'GROUP-uuid', groupName: 'empty' },
        { id: 'GROUP_MEMBER-g', type: 'GROUP_MEMBER-s5', groupName: 'g', groupPseudoUsername: 'u5' },
      ];
      ddb.on(ScanCommand).resolves({ Items: items });
      const objects = new Map<string, Buffer>();
      s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: Uint8Array }) => {
        objects.set(input.Key, Buffer.from(input.Body));
        return {};
      });
      const result = (await prepare({ ...ENV, RESTORE_DRILL_MAX_USERS: '3' })) as PrepareResult;
      expect(result.ImportInput).toEqual({
        CreateUserPool: { PoolName: 'restore-drill-scheduled-1', RestoreDrill: true },
        Sample: 'restore-drill-scheduled-1',
      });
      expect(result.Sample).toMatchObject({ users: 3, groups: 1, memberships: 1, disabled: 1 });
      const store = memoryExportObjects(objects);
      const [directory] = await findTableExports(store, 'restore-drill-samples/restore-drill-scheduled-1/');
      const table = await openTableExport(store, directory ?? '');
      const read: Record<string, unknown>[] = [];
      for await (const page of readTableExport(store, table, undefined, 100)) read.push(...page.items);
      const ids = read.map((item) => item.id);
      // The group's member and the disabled user are in it whatever the seed; the empty group is not.
      expect(ids).toEqual(
        expect.arrayContaining([
          'latest-export-timestamp',
          'USER-s5',
          'USER-s4',
          'GROUP-g',
          'GROUP_MEMBER-g',
        ]),
      );
      expect(ids).not.toContain('GROUP-empty');
      expect(ids.filter((id) => String(id).startsWith('USER-'))).toHaveLength(3);
      expect(sns).not.toHaveReceivedCommand(PublishCommand);
    });

    it('runs when the latest export recorded no counts (an item of an earlier version)', async () => {
      ddb.on(GetCommand).resolves({ Item: { latestExportTimestamp: 1 } });
      expect(await prepare()).not.toHaveProperty('Refused');
    });

    it('runs without AllowRepair, when the RepairWorkflow does not exist', async () => {
      sfn
        .on(ListExecutionsCommand, { stateMachineArn: ENV.REPAIR_WORKFLOW_ARN })
        .rejects(
          Object.assign(new Error('State Machine Does Not Exist'), { name: 'StateMachineDoesNotExist' }),
        );
      expect(await prepare()).not.toHaveProperty('Refused');
      expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, {
        stateMachineArn: ENV.REPAIR_WORKFLOW_ARN,
        statusFilter: 'RUNNING',
      });
    });

    it('does not run when it cannot tell whether a repair runs', async () => {
      sfn
        .on(ListExecutionsCommand, { stateMachineArn: ENV.REPAIR_WORKFLOW_ARN })
        .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
      await expect(prepare()).rejects.toThrow('not authorized');
      expect(ddb).not.toHaveReceivedCommand(ScanCommand);
    });

    it("ignores another installation's ExportWorkflow", async () => {
      running(OTHER_EXPORT_ARN);
      expect(await prepare()).not.toHaveProperty('Refused');
    });

    it('refuses while another drill runs', async () => {
      sfn.on(ListExecutionsCommand, { stateMachineArn: DRILL_ARN }).resolves({
        executions: [
          {
            executionArn: 'a',
            stateMachineArn: DRILL_ARN,
            name: 'a',
            status: 'RUNNING',
            startDate: new Date(),
          },
          {
            executionArn: 'b',
            stateMachineArn: DRILL_ARN,
            name: 'b',
            status: 'RUNNING',
            startDate: new Date(),
          },
        ],
      });
      expect(((await prepare()) as { Refused?: string }).Refused).toContain('another RestoreDrillWorkflow');
    });
  });

  describe('cleanup', () => {
    const KEY = 'restore-work/created-user-pools/restore-drill-scheduled-1.json';
    const TAGS = {
      'cognito-backup-restore-target': 'true',
      'cognito-backup-restore-execution': 'restore-drill-scheduled-1',
    };
    const cleanup = () =>
      run({ Action: 'cleanup', Input: { Drill: { ImportExecutionName: 'restore-drill-scheduled-1' } } });

    it('deletes the pool the drill created, also when the recorded pool had deletion protection', async () => {
      bucket.set(
        KEY,
        JSON.stringify({ PoolName: 'p', UserPoolId: 'us-west-2_scratch', Clients: {}, Done: false }),
      );
      cognito.on(DescribeUserPoolCommand).resolves({
        UserPool: { Id: 'us-west-2_scratch', UserPoolTags: TAGS, DeletionProtection: 'ACTIVE' },
      });
      cognito.on(UpdateUserPoolCommand).resolves({});
      cognito.on(DeleteUserPoolCommand).resolves({});
      expect(await cleanup()).toEqual({ ScratchPoolDeleted: true, ScratchPoolId: 'us-west-2_scratch' });
      // The tags go back with the update: the delete is allowed on tagged pools only.
      expect(cognito).toHaveReceivedCommandWith(UpdateUserPoolCommand, {
        UserPoolId: 'us-west-2_scratch',
        DeletionProtection: 'INACTIVE',
        UserPoolTags: TAGS,
      });
      expect(cognito).toHaveReceivedCommandWith(DeleteUserPoolCommand, { UserPoolId: 'us-west-2_scratch' });
    });

    it('hands on the count of Lambda triggers the scratch pool was created without', async () => {
      bucket.set(
        KEY,
        JSON.stringify({
          PoolName: 'p',
          UserPoolId: 'us-west-2_scratch',
          Clients: {},
          Done: true,
          TriggersLeftOut: 3,
        }),
      );
      cognito
        .on(DescribeUserPoolCommand)
        .resolves({ UserPool: { Id: 'us-west-2_scratch', UserPoolTags: TAGS } });
      cognito.on(DeleteUserPoolCommand).resolves({});
      expect(await cleanup()).toEqual({
        ScratchPoolDeleted: true,
        ScratchPoolId: 'us-west-2_scratch',
        TriggersLeftOut: 3,
      });
    });

    it("deletes the pool's domain first: a pool with a domain cannot be deleted", async () => {
      bucket.set(
        KEY,
        JSON.stringify({ PoolName: 'p', UserPoolId: 'us-west-2_scratch', Clients: {}, Done: true }),
      );
      cognito.on(DescribeUserPoolCommand).resolves({
        UserPool: { Id: 'us-west-2_scratch', UserPoolTags: TAGS, Domain: 'drill-domain' },
      });
      cognito.on(DeleteUserPoolDomainCommand).resolves({});
      cognito.on(DeleteUserPoolCommand).resolves({});
      await cleanup();
      expect(cognito).toHaveReceivedCommandWith(DeleteUserPoolDomainCommand, {
        UserPoolId: 'us-west-2_scratch',
        Domain: 'drill-domain',
      });
      expect(cognito).not.toHaveReceivedCommand(UpdateUserPoolCommand);
      expect(cognito).toHaveReceivedCommand(DeleteUserPoolCommand);
    });

    it('never deletes a pool without the drill tags', async () => {
      bucket.set(
        KEY,
        JSON.stringify({ PoolName: 'p', UserPoolId: 'us-west-2_real', Clients: {}, Done: true }),
      );
      cognito.on(DescribeUserPoolCommand).resolves({
        UserPool: { Id: 'us-west-2_real', UserPoolTags: { 'cognito-backup-restore-target': 'true' } },
      });
      await expect(cleanup()).rejects.toThrow('does not carry the drill');
      expect(cognito).not.toHaveReceivedCommand(DeleteUserPoolCommand);
    });

    it('counts a recorded pool that is already gone as deleted, and deletes nothing', async () => {
      bucket.set(
        KEY,
        JSON.stringify({ PoolName: 'p', UserPoolId: 'us-west-2_gone', Clients: {}, Done: true }),
      );
      cognito.on(DescribeUserPoolCommand).rejects(
        Object.assign(new Error('User pool us-west-2_gone does not exist.'), {
          name: 'ResourceNotFoundException',
        }),
      );
      expect(await cleanup()).toEqual({ ScratchPoolDeleted: true, ScratchPoolId: 'us-west-2_gone' });
      expect(cognito).not.toHaveReceivedCommand(DeleteUserPoolCommand);
    });

    it('fails, rather than report no pool, when the record of the created pool cannot be read', async () => {
      s3.on(GetObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
      await expect(cleanup()).rejects.toThrow('Access Denied');
      expect(cognito).not.toHaveReceivedCommand(DeleteUserPoolCommand);
    });

    it('has nothing to delete when the import created no pool', async () => {
      expect(await cleanup()).toEqual({ ScratchPoolDeleted: true });
      expect(cognito).not.toHaveReceivedCommand(DescribeUserPoolCommand);
    });
  });

  describe('finish', () => {
    const at = (seconds: number) => new Date(NOW - 600_000 + seconds * 1000);
    const events: HistoryEvent[] = [
      { id: 1, type: 'ExecutionStarted', timestamp: at(0) },
      {
        id: 2,
        type: 'ParallelStateEntered',
        timestamp: at(10),
        stateEnteredEventDetails: { name: 'Parallel: Scan table and import users' },
      },
      {
        id: 3,
        type: 'TaskStateEntered',
        timestamp: at(130),
        stateEnteredEventDetails: { name: 'UpdateNewUsers' },
      },
      {
        id: 4,
        type: 'PassStateEntered',
        timestamp: at(170),
        stateEnteredEventDetails: { name: 'Yes - New Users Updates Queue has been drained' },
      },
      {
        id: 5,
        type: 'TaskStateEntered',
        timestamp: at(170),
        stateEnteredEventDetails: { name: 'ReconcileNewUserPool' },
      },
      {
        id: 6,
        type: 'ChoiceStateEntered',
        timestamp: at(200),
        stateEnteredEventDetails: { name: 'Is the restore complete?' },
      },
      {
        id: 7,
        type: 'TaskStateEntered',
        timestamp: at(210),
        stateEnteredEventDetails: {
          name: 'WorkflowCleanupLambda',
          input: JSON.stringify({
            RestoreReport: { Counts: { users: 1200, groups: 12, memberships: 300, csvImport: 1000 } },
          }),
        },
      },
    ];
    const base = {
      Drill: { PoolName: 'restore-drill-scheduled-1', ImportExecutionName: 'restore-drill-scheduled-1' },
    };

    it('after a sample, says so and projects the restore of the full backup from its counts', async () => {
      sfn.on(GetExecutionHistoryCommand).resolves({ events });
      ddb.on(GetCommand).resolves({
        Item: { usersBackedUp: 12_000, groupsBackedUp: 120, membershipsBackedUp: 3_000 },
      });
      const sample = {
        users: 1200,
        groups: 12,
        memberships: 300,
        paths: { 'csv-import': 1197, 'missing-required-attribute': 3 },
        disabled: 3,
        groupsWithMembers: 12,
        groupsWithSampledMember: 12,
        pathsInBackup: 2,
        pathsInSample: 2,
      };
      const outcome = (await run({
        Action: 'finish',
        Input: {
          Drill: { ...base.Drill, Sample: sample },
          Import: { ExecutionArn: 'import-arn' },
          Cleanup: { ScratchPoolDeleted: true },
        },
      })) as { Sampled: boolean; ProjectedRestoreMinutes: number; UsersRestored: number };
      expect(outcome.Sampled).toBe(true);
      expect(outcome.UsersRestored).toBe(1200);
      // Ten times the items of the sampled phases: far more than the 3.5 minutes of the same history unsampled.
      expect(outcome.ProjectedRestoreMinutes).toBeGreaterThan(20);
      const message = sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '';
      expect(message).toContain('restored a sample of 1200 users');
      expect(message).toContain('2 of the 2 restore paths');
    });

    it('records a success, puts its metrics and projects the restore from the import history', async () => {
      sfn.on(GetExecutionHistoryCommand).resolves({ events });
      const outcome = await run({
        Action: 'finish',
        Input: { ...base, Import: { ExecutionArn: 'import-arn' }, Cleanup: { ScratchPoolDeleted: true } },
      });
      expect(outcome).toEqual({
        Succeeded: true,
        ScratchPoolDeleted: true,
        UsersRestored: 1200,
        Sampled: false,
        Counts: { users: 1200, groups: 12, memberships: 300 },
        ProjectedRestoreMinutes: 3.5,
      });
      expect(ddb).toHaveReceivedCommandWith(PutCommand, {
        TableName: 'backup-table',
        Item: {
          id: 'latest-restore-drill',
          type: 'SYNC_TIMESTAMP-uuid',
          drillEndedAt: NOW,
          succeeded: true,
          projectedRestoreMinutes: 3.5,
        },
      });
      const data = cloudwatch.commandCalls(PutMetricDataCommand)[0]?.args[0].input.MetricData ?? [];
      expect(Object.fromEntries(data.map((d) => [d.MetricName, d.Value]))).toEqual({
        LastDrillSucceeded: 1,
        DrillAgeHours: 0,
        ProjectedRestoreMinutes: 3.5,
      });
      const message = sns.commandCalls(PublishCommand)[0]?.args[0].input;
      expect(message?.Subject).toBe('RestoreDrillWorkflow: the backup restores');
      expect(message?.Message).toContain('Projected full restore at CognitoTPS 10: 3.5 minutes');
    });

    it('fails, and says so, when the restore failed; the pool deleted all the same', async () => {
      const outcome = await run({
        Action: 'finish',
        Input: {
          ...base,
          ImportError: { Error: 'States.TaskFailed', Cause: '{}' },
          Cleanup: { ScratchPoolDeleted: true },
        },
      });
      expect(outcome).toMatchObject({ Succeeded: false, ScratchPoolDeleted: true });
      expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.Subject).toBe(
        'RestoreDrillWorkflow failed: the backup did not restore',
      );
      expect(ddb).toHaveReceivedCommandWith(PutCommand, {
        Item: expect.objectContaining({ succeeded: false }) as Record<string, unknown>,
      });
    });

    it("names the drill, the import's own error and what to do when the restore failed", async () => {
      const outcome = await run({
        Action: 'finish',
        Input: {
          ...base,
          ImportError: {
            Error: 'States.TaskFailed',
            Cause: JSON.stringify({
              ExecutionArn: 'import-arn',
              Status: 'FAILED',
              Error: 'RestoreIncomplete',
            }),
          },
          Cleanup: { ScratchPoolDeleted: true, ScratchPoolId: 'us-west-2_scratch', TriggersLeftOut: 2 },
        },
      });
      expect(outcome).toMatchObject({
        Succeeded: false,
        Failure: 'the ImportWorkflow failed (RestoreIncomplete)',
        TriggersLeftOut: 2,
      });
      const message = sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '';
      expect(message).toContain('Restore drill: restore-drill-scheduled-1');
      expect(message).toContain('Scratch pool: restore-drill-scheduled-1 (us-west-2_scratch) (deleted)');
      expect(message).toContain("without the backed-up pool's 2 Lambda triggers");
      expect(message).toContain('What to do:');
      expect(message).toContain('restore-reports/us-west-2_scratch/');
      expect(message).toContain('start the RestoreDrillWorkflow again');
      expect(message).not.toContain('Delete the scratch pool by hand');
    });

    it("reads the import's error from the task's when the Cause does not describe the child", async () => {
      const outcome = await run({
        Action: 'finish',
        Input: {
          ...base,
          ImportError: { Error: 'States.Timeout', Cause: 'timed out' },
          Cleanup: { ScratchPoolDeleted: true },
        },
      });
      expect(outcome).toMatchObject({ Failure: 'the ImportWorkflow failed (States.Timeout)' });
    });

    it('says when the backed-up pool has no trigger', async () => {
      sfn.on(GetExecutionHistoryCommand).resolves({ events });
      await run({
        Action: 'finish',
        Input: {
          ...base,
          Import: { ExecutionArn: 'import-arn' },
          Cleanup: { ScratchPoolDeleted: true, TriggersLeftOut: 0 },
        },
      });
      const message = sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '';
      expect(message).toContain('Lambda triggers: the backed-up pool has none.');
      expect(message).not.toContain('What to do:');
    });

    it('records a failed drill, with nothing to delete, when the drill could not even prepare', async () => {
      const outcome = await run({
        Action: 'finish',
        Input: { PrepareError: { Error: 'AccessDeniedException' } },
      });
      expect(outcome).toMatchObject({ Succeeded: false, ScratchPoolDeleted: true });
      const message = sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '';
      expect(message).toContain('the drill could not start (AccessDeniedException)');
      expect(message).toContain('"Restore drill: prepare"');
    });

    it('is a failure when the scratch pool was left behind, even after a good restore', async () => {
      sfn.on(GetExecutionHistoryCommand).resolves({ events });
      const outcome = await run({
        Action: 'finish',
        Input: {
          ...base,
          Import: { ExecutionArn: 'import-arn' },
          CleanupError: { Error: 'ScratchPoolRefusedError' },
        },
      });
      expect(outcome).toMatchObject({ Succeeded: false, ScratchPoolDeleted: false });
      const message = sns.commandCalls(PublishCommand)[0]?.args[0].input;
      expect(message?.Subject).toBe('RestoreDrillWorkflow failed: a scratch pool was left behind');
      expect(message?.Message).toContain('NOT DELETED');
      expect(message?.Message).toContain(
        'Delete the scratch pool by hand: the user pool tagged cognito-backup-restore-execution=restore-drill-scheduled-1',
      );
    });
  });

  describe('reportCounts', () => {
    const entered = (name: string, input: string): HistoryEvent => ({
      id: 1,
      type: 'TaskStateEntered',
      timestamp: new Date(NOW),
      stateEnteredEventDetails: { name, input },
    });

    it("reads the restore report's counts from the last cleanup input, ignoring other states", () => {
      const counts = reportCounts([
        entered('WorkflowCleanupLambda', JSON.stringify({ RestoreReport: { Counts: { users: 1 } } })),
        entered(
          'WorkflowCleanupLambda',
          JSON.stringify({ RestoreReport: { Counts: { users: 5, groups: 2, memberships: 3 } } }),
        ),
        entered('Notify', JSON.stringify({ RestoreReport: { Counts: { users: 99 } } })),
      ]);
      expect(counts).toEqual(expect.objectContaining({ users: 5, groups: 2, memberships: 3 }));
    });

    it('counts 0 for what the report does not count, and keeps only numbers', () => {
      const counts = reportCounts([
        entered(
          'WorkflowCleanupLambda',
          JSON.stringify({ RestoreReport: { Counts: { skipped: 4, note: 'x' } } }),
        ),
      ]);
      expect(counts).toEqual({ users: 0, groups: 0, memberships: 0, raw: { skipped: 4 } });
    });

    it('has no counts when the cleanup input cannot be read or there is no cleanup', () => {
      expect(reportCounts([entered('WorkflowCleanupLambda', '{not json')])).toBeUndefined();
      expect(reportCounts([entered('Notify', '{}')])).toBeUndefined();
    });
  });
});
