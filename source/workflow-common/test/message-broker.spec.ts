// SPDX-License-Identifier: Apache-2.0
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, PutCommand, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs, type CapturedLogs } from '../../test-support/capture-logs';
import { fakeClock } from '../../test-support/fake-clock';
import { fakeRuntime } from '../../test-support/runtime';
import type { Env } from '../../utils/config';
import type { SfnContextObject } from '../../utils/step-functions';
import { importSuccessNote, NotificationFailedError } from '../lib/message-broker';
import type { MessageBrokerEvent, MessageBrokerInput } from '../lib/types';
import { createHandler, ENVIRONMENT } from '../message-broker';

const sns = mockAws(SNSClient);
const ddb = mockAws(DynamoDBDocumentClient);
const cloudwatch = mockAws(CloudWatchClient);

const ENV = {
  BACKUP_TABLE_NAME: 'table-name',
  TYPE_TIMESTAMP: 'timestamp-type',
  SNS_MESSAGE_PREFERENCE: 'INFO_AND_ERRORS',
  IS_PRIMARY_REGION: 'Yes',
  NOTIFICATION_TOPIC: 'topic-arn',
  AWS_REGION: 'us-east-1',
  RESTORE_REPORT_RETENTION_DAYS: '365',
  SEND_METRIC: 'No',
  SOLUTION_ID: 'SO0126',
  SOLUTION_VERSION: 'v2.0.0',
  METRICS_ANONYMOUS_UUID: 'anonymous-uuid',
};
const NOW = 2500;

function context(
  state: string,
  name = 'ExportWorkflow-HASH',
  entered: string | null = new Date(1000).toISOString(),
) {
  const ctx: SfnContextObject = {
    Execution: { Id: 'execution-arn', Input: {}, StartTime: new Date(0).toISOString() },
    State: { Name: state, ...(entered ? { EnteredTime: entered } : {}) },
    StateMachine: { Id: 'state-machine-arn', Name: name },
  };
  return ctx;
}
const event = (state: string, input: MessageBrokerInput = {}, ctx = context(state)): MessageBrokerEvent => ({
  Input: input,
  Context: ctx,
});

let logs: CapturedLogs;
let metrics: { url: string; body: Record<string, unknown> }[];
let fetchFails: boolean;
const fakeFetch = (async (url: string, init: { body: string }) => {
  if (fetchFails) throw new Error('network down');
  metrics.push({ url, body: JSON.parse(init.body) as Record<string, unknown> });
  return { ok: true, status: 200 };
}) as unknown as typeof fetch;
const run = (e: MessageBrokerEvent, env: Env = ENV) =>
  createHandler(fakeRuntime(fakeClock(NOW), env, { fetch: fakeFetch, write: logs.write }))(e);
const published = () => sns.commandCalls(PublishCommand).map((call) => call.args[0].input);

beforeEach(() => {
  sns.reset();
  ddb.reset();
  cloudwatch.reset();
  cloudwatch.on(PutMetricDataCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'id' });
  ddb.on(PutCommand).resolves({});
  logs = captureLogs();
  metrics = [];
  fetchFails = false;
});

const ERROR_STATES = [
  'WorkflowErrorHandlerLambda',
  'WorkflowErrorHandlerLambdaGroupsMap',
  'WorkflowErrorHandlerLambdaDeletedGroupsMap',
  'Parallel: WorkflowErrorHandlerLambda (Scan Table)',
  'Parallel: WorkflowErrorHandlerLambda',
];

describe('message-broker', () => {
  it('declares exactly the variables it reads', () => {
    expect(Object.keys(ENVIRONMENT).sort()).toEqual([
      'AWS_REGION',
      'BACKUP_TABLE_NAME',
      'IS_PRIMARY_REGION',
      'METRICS_ANONYMOUS_UUID',
      'NOTIFICATION_TOPIC',
      'RESTORE_REPORT_RETENTION_DAYS',
      'SEND_METRIC',
      'SNS_MESSAGE_PREFERENCE',
      'TYPE_TIMESTAMP',
    ]);
  });

  describe('error path', () => {
    it('scrubs a Cause that echoes an e-mail address or a phone number before publishing', async () => {
      const cause = {
        errorType: 'InvalidParameterException',
        errorMessage: 'User jürgen@例え.jp (06 12 34 56 78, +1 555 123 4567) failed',
      };
      await expect(
        run(event(ERROR_STATES[0] ?? '', { Error: 'Error', Cause: JSON.stringify(cause) })),
      ).resolves.toBeUndefined();
      const [message] = published().map((input) => String(input.Message));
      expect(message).toContain('"errorMessage": "User [email] ([phone], [phone]) failed"');
      expect(message).not.toMatch(/jürgen|例え|56 78|555/);
    });

    it.each(ERROR_STATES)('publishes the parsed Cause and the context from %s', async (state) => {
      const cause = { errorType: 'Error', errorMessage: 'ERROR - listUsers' };
      const e = event(state, { Error: 'Error', Cause: JSON.stringify(cause) });
      await expect(run(e)).resolves.toBeUndefined();
      expect(published()).toEqual([
        {
          TopicArn: 'topic-arn',
          Subject: 'ExportWorkflow failed: unexpected error',
          Message:
            'An unexpected error occurred while executing the ExportWorkflow-HASH for this solution:\n' +
            '{\n  "errorType": "Error",\n  "errorMessage": "ERROR - listUsers"\n}\n\n' +
            "Please check the state machine's task logs for additional information\n\n" +
            `Execution details:\n${JSON.stringify(e.Context, null, 2)}`,
        },
      ]);
    });

    it.each([
      ['no Cause', {}, '"Unknown"'],
      ['a Cause that is not JSON', { Cause: 'some-error-cause' }, '"some-error-cause"'],
      ['a blank Cause', { Cause: '   ' }, '"Unknown"'],
    ])('publishes with %s', async (_label, input, expected) => {
      await run(event('WorkflowErrorHandlerLambda', input));
      expect(published()[0]?.Message).toContain(`for this solution:\n${expected}\n\nPlease check`);
    });

    it('publishes errors whatever the SNS preference', async () => {
      await run(event('WorkflowErrorHandlerLambda', { Cause: 'x' }), {
        ...ENV,
        SNS_MESSAGE_PREFERENCE: 'ERRORS_ONLY',
      });
      expect(published()).toHaveLength(1);
    });

    it('sends the workflow-error metric when metrics are on', async () => {
      await run(
        event(
          'WorkflowErrorHandlerLambda',
          { Cause: 'x' },
          context('WorkflowErrorHandlerLambda', 'ImportWorkflow-abc'),
        ),
        {
          ...ENV,
          SEND_METRIC: 'Yes',
        },
      );
      expect(metrics).toHaveLength(1);
      expect(metrics[0]?.body).toMatchObject({
        Solution: 'SO0126',
        Version: 'v2.0.0',
        UUID: 'anonymous-uuid',
        Data: {
          EventType: 'workflow-error',
          EventDetails: {
            Region: 'us-east-1',
            IsPrimaryRegion: 'Yes',
            ExecutionTimeInSeconds: 1,
            WorkflowName: 'ImportWorkflow',
          },
        },
      });
    });

    it('keeps the workflow error visible and logs it when the notification cannot be published', async () => {
      sns
        .on(PublishCommand)
        .rejects(Object.assign(new Error('Topic does not exist'), { name: 'NotFoundException' }));
      const cause = {
        errorType: 'UserRecordError',
        errorMessage: 'Unable to determine the sub attribute for user',
      };
      const failure = run(
        event('WorkflowErrorHandlerLambda', { Error: 'UserRecordError', Cause: JSON.stringify(cause) }),
        {
          ...ENV,
          SEND_METRIC: 'Yes',
        },
      );

      await expect(failure).rejects.toBeInstanceOf(NotificationFailedError);
      await expect(failure).rejects.toThrow(
        'The error notification for ExportWorkflow-HASH could not be published (NotFoundException: Topic does not exist). ' +
          'The workflow failed with: UserRecordError: Unable to determine the sub attribute for user',
      );
      const errors = logs.entries().filter((l) => l.level === 'error');
      expect(errors).toEqual([
        expect.objectContaining({
          message: 'Could not publish the workflow error notification',
          error: 'NotFoundException',
          workflowError: 'UserRecordError',
        }),
      ]);
      expect(metrics).toHaveLength(1);
    });

    it('summarizes a plain-text Cause in the failure', async () => {
      sns.on(PublishCommand).rejects(new Error('denied'));
      await expect(run(event('WorkflowErrorHandlerLambda', { Cause: 'plain cause' }))).rejects.toThrow(
        'The workflow failed with: plain cause',
      );
      await expect(run(event('WorkflowErrorHandlerLambda', { Cause: '{"code":7}' }))).rejects.toThrow(
        'The workflow failed with: {"code":7}',
      );
    });
  });

  describe('expected refusals', () => {
    const lambdaCause = (errorType: string, errorMessage: string) =>
      JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`, '    at handler'] });

    it.each([
      [
        'a refused mass deletion',
        'ExportWorkflow-HASH',
        {
          Error: 'MassDeletionRefusedError',
          Cause: lambdaCause(
            'MassDeletionRefusedError',
            'The backup cleanup deleted nothing: 900 of 900 users',
          ),
        },
        'ExportWorkflow stopped: mass deletion refused',
        'The backup cleanup deleted nothing: 900 of 900 users',
      ],
      [
        'another running export',
        'ExportWorkflow-HASH',
        { Error: 'AnotherExecutionRunning', Cause: 'Another execution of the ExportWorkflow is running.' },
        'ExportWorkflow stopped: another execution is running',
        'Another execution of the ExportWorkflow is running.',
      ],
      [
        'an MFA pool',
        'ExportWorkflow-HASH',
        {
          Error: 'UnsupportedUserPoolError',
          Cause: lambdaCause(
            'UnsupportedUserPoolError',
            "User Pools with MFA enabled are not supported. The user pool's MFA configuration is set to ON",
          ),
        },
        'ExportWorkflow stopped: unsupported user pool',
        "User Pools with MFA enabled are not supported. The user pool's MFA configuration is set to ON",
      ],
      [
        'a new pool that is not empty',
        'ImportWorkflow-HASH',
        {
          Error: 'NewUserPoolNotEmpty',
          Cause: 'The new user pool (us-east-1_x) must have no users and no groups.',
        },
        'ImportWorkflow stopped: the new user pool is not empty',
        'The new user pool (us-east-1_x) must have no users and no groups.',
      ],
      [
        'a target pool that is the backed-up pool',
        'ImportWorkflow-HASH',
        {
          Error: 'NewUserPoolRefusedError',
          Cause: lambdaCause(
            'NewUserPoolRefusedError',
            'The new user pool (us-east-1_x) is the user pool that is backed up.',
          ),
        },
        'ImportWorkflow stopped: the new user pool is refused',
        'The new user pool (us-east-1_x) is the user pool that is backed up.',
      ],
      [
        'a target pool that would lose data of the backup',
        'ImportWorkflow-HASH',
        {
          Error: 'TargetPoolRefusedError',
          Cause: lambdaCause(
            'TargetPoolRefusedError',
            'The new user pool (us-east-1_x) would lose data of the backup: custom:plan: 3 backed-up users carry it.',
          ),
        },
        'ImportWorkflow stopped: the new user pool would lose data',
        'The new user pool (us-east-1_x) would lose data of the backup: custom:plan: 3 backed-up users carry it.',
      ],
      [
        'import queues that are not empty',
        'ImportWorkflow-HASH',
        { Error: 'QueueNotEmptyError', Cause: lambdaCause('QueueNotEmptyError', 'Queue (q) is not empty.') },
        'ImportWorkflow stopped: a workflow queue is not empty',
        'Queue (q) is not empty.',
      ],
    ])(
      'announces %s as what it is, never as an unexpected error',
      async (_label, name, input, subject, detail) => {
        const e = event('WorkflowErrorHandlerLambda', input, context('WorkflowErrorHandlerLambda', name));
        await run(e);
        const [message] = published();
        expect(message?.Subject).toBe(subject);
        expect(message?.Message).toMatch(new RegExp(`^The ${name} stopped: `));
        expect(message?.Message).toContain(
          `\n\n${detail}\n\nThis is a refusal the solution makes on purpose`,
        );
        expect(message?.Message).not.toContain('An unexpected error occurred');
        // The stack trace of a Lambda error is left out of the notification.
        expect(message?.Message).not.toContain('at handler');
        expect(message?.Message).toContain(`Execution details:\n${JSON.stringify(e.Context, null, 2)}`);
      },
    );

    it('publishes refusals whatever the SNS preference', async () => {
      await run(event('WorkflowErrorHandlerLambda', { Error: 'AnotherExecutionRunning', Cause: 'x' }), {
        ...ENV,
        SNS_MESSAGE_PREFERENCE: 'ERRORS_ONLY',
      });
      expect(published().map((message) => message.Subject)).toEqual([
        'ExportWorkflow stopped: another execution is running',
      ]);
    });

    it('treats an error name that only looks like a refusal as unexpected', async () => {
      await run(event('WorkflowErrorHandlerLambda', { Error: 'toString', Cause: 'x' }));
      expect(published()[0]?.Subject).toBe('ExportWorkflow failed: unexpected error');
    });
  });

  describe('cleanup path', () => {
    it('records the export timestamp and announces success', async () => {
      const e = event('WorkflowCleanupLambda', { ExportTimestamp: 1234 });
      await expect(run(e)).resolves.toBeUndefined();
      expect(ddb).toHaveReceivedCommandWith(PutCommand, {
        TableName: 'table-name',
        Item: { id: 'latest-export-timestamp', type: 'timestamp-type', latestExportTimestamp: 1234 },
      });
      expect(published()).toEqual([
        {
          TopicArn: 'topic-arn',
          Subject: 'ExportWorkflow completed successfully',
          Message:
            'Workflow (ExportWorkflow-HASH) completed successfully. Execution took 1 second(s).\n\n' +
            `Execution details:\n${JSON.stringify(e.Context, null, 2)}`,
        },
      ]);
    });

    it('tells, on an import success, that TOTP MFA is set up again and passwords are reset', async () => {
      const e = event('WorkflowCleanupLambda', {}, context('WorkflowCleanupLambda', 'ImportWorkflow-HASH'));
      await run(e);
      const message = String(published()[0]?.Message);
      expect(message).toContain(importSuccessNote());
      expect(message).toMatch(/software-token \(TOTP\) MFA set it up again/);
    });

    it('gives each kind of restored user, with its count, the step that lets it sign in again', async () => {
      const counts = { users: 10, csvImport: 6, adminCreate: 4, adminCreateNeedsPassword: 1 };
      const e = event(
        'WorkflowCleanupLambda',
        { RestoreReport: { Bucket: 'b', Key: 'restore-reports/p/r.csv', Counts: counts } },
        context('WorkflowCleanupLambda', 'ImportWorkflow-HASH'),
      );
      await run(e);
      const message = String(published()[0]?.Message);
      expect(message).toContain('- Restored by the CSV import (6 users): they reset their password.');
      expect(message).toContain(
        '- Created with AdminCreateUser, with a verified e-mail address or phone number (3 users) (signIn reset-password)',
      );
      expect(message).toContain(
        '- Created with AdminCreateUser, without one (1 user) (signIn administrator)',
      );
      expect(message).not.toMatch(/set a new password at their next sign-in/);
    });

    it('stays silent on success with ERRORS_ONLY but still records the timestamp', async () => {
      await run(event('WorkflowCleanupLambda', { ExportTimestamp: 1234 }), {
        ...ENV,
        SNS_MESSAGE_PREFERENCE: 'ERRORS_ONLY',
      });
      expect(sns).not.toHaveReceivedCommand(PublishCommand);
      expect(ddb).toHaveReceivedCommand(PutCommand);
    });

    it.each([
      ['an import run', 'ImportWorkflow-abc', { ExportTimestamp: 1234 }],
      ['an export run without timestamp', 'ExportWorkflow-abc', {}],
    ])('writes no timestamp for %s', async (_label, name, input) => {
      await run(event('WorkflowCleanupLambda', input, context('WorkflowCleanupLambda', name)));
      expect(ddb.commandCalls(PutCommand).map((call) => call.args[0].input.Item?.id)).not.toContain(
        'latest-export-timestamp',
      );
      expect(published()).toHaveLength(1);
    });

    it.each([
      ['ExportWorkflow-abc', 1],
      ['ImportWorkflow-abc', 1],
      ['OtherWorkflow-abc', 0],
    ])('sends the workflow-finished metric for %s only when it is a known workflow', async (name, count) => {
      await run(event('WorkflowCleanupLambda', {}, context('WorkflowCleanupLambda', name)), {
        ...ENV,
        SEND_METRIC: 'Yes',
      });
      expect(metrics).toHaveLength(count);
      if (count) expect(metrics[0]?.body.Data).toMatchObject({ EventType: 'workflow-finished' });
    });

    it('measures up to now when EnteredTime is missing (never NaN)', async () => {
      await run(
        event('WorkflowCleanupLambda', {}, context('WorkflowCleanupLambda', 'ExportWorkflow-abc', null)),
        {
          ...ENV,
          SEND_METRIC: 'Yes',
        },
      );
      expect(published()[0]?.Message).toContain('Execution took 2.5 second(s).');
      expect(metrics[0]?.body.Data).toMatchObject({ EventDetails: { ExecutionTimeInSeconds: 2.5 } });
    });

    it('reports 0 s rather than NaN when the start time cannot be read', async () => {
      const ctx = context('WorkflowCleanupLambda');
      ctx.Execution.StartTime = 'not a date';
      await run(event('WorkflowCleanupLambda', {}, ctx));
      expect(published()[0]?.Message).toContain('Execution took 0 second(s).');
    });

    it('fails when the success notification cannot be published (the Catch reports it)', async () => {
      sns.on(PublishCommand).rejects(new Error('ERROR - publish'));
      await expect(run(event('WorkflowCleanupLambda', {}))).rejects.toThrow('ERROR - publish');
    });

    it('never fails because of the metric', async () => {
      fetchFails = true;
      await expect(
        run(event('WorkflowCleanupLambda', {}), { ...ENV, SEND_METRIC: 'Yes' }),
      ).resolves.toBeUndefined();
    });
  });

  describe('what the export cleanup removed', () => {
    const counts = (stale: { users: number; groups: number; memberships: number }) => ({
      Users: 33,
      StaleUsers: stale.users,
      Groups: 5,
      StaleGroups: stale.groups,
      Memberships: 55,
      StaleMemberships: stale.memberships,
    });
    const exportSuccess = (input: MessageBrokerInput) =>
      run(event('WorkflowCleanupLambda', { ExportTimestamp: 1234, NumItemsAddedToQueue: 9, ...input }));

    it('names the users, groups and memberships removed, in the subject and the message', async () => {
      await exportSuccess({
        CleanupCounts: counts({ users: 3, groups: 1, memberships: 5 }),
        DeletionCheck: 'WithinLimit',
      });
      const [notification] = published();
      expect(notification?.Subject).toBe(
        'ExportWorkflow completed: 3 users, 1 group, 5 memberships removed from the backup',
      );
      expect(notification?.Message).toContain(
        'completed successfully. Execution took 1 second(s).\n\n' +
          'The backup cleanup removed 3 users (9.1%), 1 group (20%) and 5 group memberships (9.1%) that are ' +
          'no longer in the user pool, of 33 users, 5 groups and 55 group memberships in the backup before ' +
          'this run.\n\nExecution details:',
      );
      expect(notification?.Message).not.toContain('AllowMassDeletion');
    });

    it('puts what the backup holds after the cleanup, and a fresh backup age, in the backup metrics', async () => {
      await exportSuccess({ CleanupCounts: counts({ users: 3, groups: 1, memberships: 5 }) });
      const [call] = cloudwatch.commandCalls(PutMetricDataCommand);
      const data = call?.args[0].input.MetricData ?? [];
      expect(call?.args[0].input.Namespace).toBe('CognitoUserProfilesExport');
      expect(Object.fromEntries(data.map((datum) => [datum.MetricName, datum.Value]))).toEqual({
        BackupAgeHours: 0,
        UsersBackedUp: 30,
        GroupsBackedUp: 4,
        MembershipsBackedUp: 50,
      });
      for (const datum of data) {
        expect(datum.Dimensions).toEqual([{ Name: 'BackupTable', Value: 'table-name' }]);
        expect(datum.Timestamp).toEqual(new Date(NOW));
      }
      // The latest-export item keeps them too: the restore drill sizes itself by them.
      expect(ddb).toHaveReceivedCommandWith(PutCommand, {
        Item: {
          id: 'latest-export-timestamp',
          type: 'timestamp-type',
          latestExportTimestamp: 1234,
          usersBackedUp: 30,
          groupsBackedUp: 4,
          membershipsBackedUp: 50,
        },
      });
    });

    it('puts no metric for an import, and the export still succeeds when CloudWatch refuses', async () => {
      await run(
        event(
          'WorkflowCleanupLambda',
          { ExportTimestamp: 1 },
          context('WorkflowCleanupLambda', 'ImportWorkflow-abc'),
        ),
      );
      expect(cloudwatch).not.toHaveReceivedCommand(PutMetricDataCommand);
      cloudwatch.on(PutMetricDataCommand).rejects(new Error('throttled'));
      await expect(
        exportSuccess({ CleanupCounts: counts({ users: 0, groups: 0, memberships: 0 }) }),
      ).resolves.toBeUndefined();
      expect(logs.entries().map((entry) => entry.message)).toContain('Could not put the backup metrics');
    });

    it('says when the execution input allowed the deletion beyond the guard', async () => {
      await exportSuccess({
        CleanupCounts: counts({ users: 30, groups: 0, memberships: 0 }),
        DeletionCheck: 'Overridden',
      });
      expect(published()[0]?.Message).toContain(
        "this run. The execution input allowed this beyond the mass-deletion guard's allowance (AllowMassDeletion).",
      );
    });

    it('says that nothing was removed, under the plain success subject', async () => {
      await exportSuccess({ CleanupCounts: counts({ users: 0, groups: 0, memberships: 0 }) });
      const [notification] = published();
      expect(notification?.Subject).toBe('ExportWorkflow completed successfully');
      expect(notification?.Message).toContain(
        "The backup cleanup removed nothing: the backup's 33 users, 5 groups and 55 group memberships are all " +
          'still in the user pool.',
      );
    });

    it.each([
      ['no counts (an execution started before this version)', {}],
      [
        'counts that are not numbers',
        { CleanupCounts: { ...counts({ users: 1, groups: 0, memberships: 0 }), Users: '33' } },
      ],
    ])('adds nothing for %s', async (_label, input) => {
      await exportSuccess(input);
      expect(published()[0]?.Subject).toBe('ExportWorkflow completed successfully');
      expect(published()[0]?.Message).not.toContain('backup cleanup');
    });
  });

  describe("the export's snapshot", () => {
    const snapshot = (status: string) => ({
      SnapshotId: '20261207T223000Z',
      ExportTime: '2026-12-07T22:30:00.000Z',
      Status: status,
      RetentionDays: 90,
      LockMode: 'COMPLIANCE',
      Exports: [
        {
          Region: 'us-east-1',
          Bucket: 'x-import-jobs-0123-us-east-1-snap',
          Prefix: 'snapshots/20261207T223000Z',
          Status: status,
          ItemCount: 1200,
        },
        {
          Region: 'eu-west-1',
          Bucket: 'x-import-jobs-0123-eu-west-1-snap',
          Prefix: 'snapshots/20261207T223000Z',
          Status: status,
          ItemCount: 1200,
        },
      ],
    });

    it('names the snapshot id, where each Region keeps it, for how long, and the restore input that uses it', async () => {
      await run(event('WorkflowCleanupLambda', { ExportTimestamp: 1234, Snapshot: snapshot('COMPLETED') }));
      const message = published()[0]?.Message ?? '';
      expect(message).toContain(
        'Snapshot: 20261207T223000Z (the backup table as it was at 2026-12-07T22:30:00.000Z), kept and locked ' +
          '(COMPLIANCE) for 90 days (SnapshotRetentionDays):\n' +
          '- us-east-1: s3://x-import-jobs-0123-us-east-1-snap/snapshots/20261207T223000Z/ (1200 items)\n' +
          '- eu-west-1: s3://x-import-jobs-0123-eu-west-1-snap/snapshots/20261207T223000Z/ (1200 items)\n' +
          'To restore from it, start the ImportWorkflow of either Region with ' +
          '{"NewUserPoolId": "<new user pool id>", "Snapshot": "20261207T223000Z"}.',
      );
    });

    it.each([
      ['no snapshot (SnapshotRetentionDays 0)', {}],
      ['a snapshot that is not complete', { Snapshot: snapshot('IN_PROGRESS') }],
    ])('names no snapshot for %s', async (_label, input) => {
      await run(event('WorkflowCleanupLambda', { ExportTimestamp: 1234, ...input }));
      expect(published()[0]?.Message).not.toContain('Snapshot:');
    });

    it('announces a failed snapshot as what it is: the backup is up to date, the snapshot is missing', async () => {
      await run(
        event('WorkflowErrorHandlerLambda', {
          Error: 'SnapshotFailedError',
          Cause: JSON.stringify({
            errorType: 'SnapshotFailedError',
            errorMessage: 'The snapshot 20261207T223000Z failed: ... start the ExportWorkflow again.',
          }),
        }),
      );
      const [notification] = published();
      expect(notification?.Subject).toBe('ExportWorkflow failed: snapshot failed');
      expect(notification?.Message).toMatch(
        /^The ExportWorkflow-HASH updated the backup table, but could not keep its snapshot:\n.*start the ExportWorkflow again/s,
      );
    });
  });

  describe('one notification per execution, also when Step Functions retries the broker', () => {
    const MARKER_CONDITION = 'NOT (#notification = :notification AND #published = :published)';
    /** The table as DynamoDB keeps it, with the broker's condition evaluated on the stored item. */
    let table: Map<string, Record<string, unknown>>;
    /** Each stored item as `<id>:<published>`, and each publish, in the order they happened. */
    let writes: string[];
    const conditionFailed = () =>
      Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    beforeEach(() => {
      table = new Map();
      writes = [];
      ddb.on(PutCommand).callsFake((input: PutCommandInput) => {
        const item = input.Item ?? {};
        const key = `${String(item.id)}|${String(item.type)}`;
        if (input.ConditionExpression !== undefined) {
          if (input.ConditionExpression !== MARKER_CONDITION)
            throw new Error('a condition the fake does not know');
          const stored = table.get(key);
          const values = input.ExpressionAttributeValues ?? {};
          if (
            stored?.notification === values[':notification'] &&
            stored?.published === values[':published']
          ) {
            throw conditionFailed();
          }
        }
        table.set(key, item);
        writes.push(`${String(item.id)}:${String(item.published)}`);
        return {};
      });
    });
    const exportEvent = (state: string, input: MessageBrokerInput = {}, execution = 'execution-arn') => {
      const e = event(state, input);
      e.Context.Execution.Id = execution;
      return e;
    };

    it.each([
      ['the success notification', 'WorkflowCleanupLambda', {}],
      ['an error notification', 'WorkflowErrorHandlerLambda', { Error: 'Error', Cause: 'x' }],
      ['a refusal', 'WorkflowErrorHandlerLambda', { Error: 'MassDeletionRefusedError', Cause: 'x' }],
    ])('publishes %s once when the invocation is run again', async (_label, state, input) => {
      await run(exportEvent(state, input));
      await run(exportEvent(state, input));
      expect(published()).toHaveLength(1);
      expect(logs.text()).toContain('not sending it again');
      expect(table.get('latest-notification-ExportWorkflow-us-east-1|timestamp-type')).toEqual({
        id: 'latest-notification-ExportWorkflow-us-east-1',
        type: 'timestamp-type',
        notification: `execution-arn#${state === 'WorkflowCleanupLambda' ? 'success' : 'error'}`,
        published: true,
      });
    });

    it("keeps each workflow's marker apart: an import does not silence the export", async () => {
      await run(exportEvent('WorkflowCleanupLambda'));
      const importEvent = event(
        'WorkflowCleanupLambda',
        {},
        context('WorkflowCleanupLambda', 'ImportWorkflow-HASH'),
      );
      await run(importEvent);
      await run(importEvent);
      await run(exportEvent('WorkflowCleanupLambda'));
      expect(published().map((input) => input.Subject)).toEqual([
        'ExportWorkflow completed successfully',
        'ImportWorkflow completed successfully',
      ]);
      expect([...table.keys()].sort()).toEqual([
        'latest-notification-ExportWorkflow-us-east-1|timestamp-type',
        'latest-notification-ImportWorkflow-us-east-1|timestamp-type',
      ]);
    });

    it('publishes the error of an execution whose success was published (its cleanup task failed after)', async () => {
      await run(exportEvent('WorkflowCleanupLambda'));
      await run(exportEvent('WorkflowErrorHandlerLambda', { Error: 'Error', Cause: 'x' }));
      expect(published().map((input) => input.Subject)).toEqual([
        'ExportWorkflow completed successfully',
        'ExportWorkflow failed: unexpected error',
      ]);
    });

    it('publishes the next execution again', async () => {
      await run(exportEvent('WorkflowCleanupLambda', {}, 'execution-1'));
      await run(exportEvent('WorkflowCleanupLambda', {}, 'execution-2'));
      expect(published()).toHaveLength(2);
    });

    it('publishes again when the previous attempt published but could not record it (a duplicate, never a loss)', async () => {
      let records = 0;
      ddb.on(PutCommand, { Item: { published: true } }).callsFake(() => {
        records += 1;
        if (records === 1) throw new Error('ERROR - record');
        return {};
      });
      await expect(run(exportEvent('WorkflowCleanupLambda'))).resolves.toBeUndefined();
      await run(exportEvent('WorkflowCleanupLambda'));
      expect(published()).toHaveLength(2);
      expect(logs.text()).toContain('Could not record the published notification');
    });

    it('publishes when the marker cannot be written (a notification matters more than its duplicate)', async () => {
      ddb
        .on(PutCommand, { Item: { published: false } })
        .rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
      await expect(run(exportEvent('WorkflowErrorHandlerLambda', { Cause: 'x' }))).resolves.toBeUndefined();
      expect(published()).toHaveLength(1);
      expect(logs.text()).toContain('Could not check whether the notification was published before');
    });

    it('the marker is written before and after the publish, in that order', async () => {
      sns.on(PublishCommand).callsFake(() => {
        writes.push('publish');
        return { MessageId: 'id' };
      });
      await run(exportEvent('WorkflowCleanupLambda', { ExportTimestamp: 1234 }));
      expect(writes).toEqual([
        'latest-export-timestamp:undefined',
        'latest-notification-ExportWorkflow-us-east-1:false',
        'publish',
        'latest-notification-ExportWorkflow-us-east-1:true',
      ]);
    });

    it('writes no marker when nothing is published (ERRORS_ONLY success)', async () => {
      await run(exportEvent('WorkflowCleanupLambda', { ExportTimestamp: 1 }), {
        ...ENV,
        SNS_MESSAGE_PREFERENCE: 'ERRORS_ONLY',
      });
      expect([...table.keys()]).toEqual(['latest-export-timestamp|timestamp-type']);
    });
  });

  describe('ImportWorkflow restore report and Resume', () => {
    const importContext = (state: string) => {
      const ctx = context(state, 'ImportWorkflow-HASH');
      ctx.Execution.Input = { NewUserPoolId: ' us-east-1_New ' };
      return ctx;
    };
    const restoreReport = {
      Bucket: 'bucket',
      Key: 'restore-reports/us-east-1_New/2024.csv',
      Counts: {
        users: 10,
        csvImport: 7,
        adminCreate: 1,
        skipped: 1,
        missing: 1,
        groups: 2,
        groupsMissing: 0,
        memberships: 5,
        membershipsAdded: 2,
        membershipsMissing: 1,
        membershipsOfSkippedUsers: 1,
        disabledUsers: 3,
        disabledApplied: 1,
        disabledMissing: 0,
        attributesFixed: 4,
        attributesDiffer: 1,
        enabledFixed: 2,
        enabledMissing: 0,
        groupsFixed: 1,
        groupsDiffer: 0,
        groupRolesDiffer: 1,
      },
    };
    const summary =
      'Restore report: s3://bucket/restore-reports/us-east-1_New/2024.csv\n' +
      'The bucket keeps it 365 days (RestoreReportRetentionDays), then deletes it: it is the only map from ' +
      "each user's old sub to the new one, so copy it elsewhere to keep it longer.\n" +
      'Users: 10 backed up: 7 csv-import, 1 admin-create, 1 skipped, 1 missing\n' +
      'Groups: 2 backed up, 0 missing\n' +
      'Group memberships: 5 backed up, 2 added by the reconciliation, 1 missing, 1 of skipped users\n' +
      'Disabled users: 3 backed up, 1 disabled by the reconciliation, 0 still enabled\n' +
      "Contents: 4 users' attributes and 2 enabled flags set to the backup's by the reconciliation; " +
      "1 users' attributes and 0 enabled flags still differ\n" +
      "Groups' settings: 1 set to the backup's description and precedence, 0 still differ, 1 without their backed-up IAM role\n\n";
    const advice =
      'To finish this restore into the same user pool once the cause is fixed, start the ImportWorkflow again ' +
      'with the input {"NewUserPoolId":"us-east-1_New","Resume":true}';

    it('puts the report location and counts in the success notification', async () => {
      const ctx = importContext('WorkflowCleanupLambda');
      await run(event('WorkflowCleanupLambda', { RestoreComplete: true, RestoreReport: restoreReport }, ctx));
      const message = published()[0]?.Message ?? '';
      expect(message).toContain(`${summary}Execution details:`);
      expect(message).not.toContain('To finish');
    });

    it('puts the counts and the exact Resume input in every import failure notification', async () => {
      const ctx = importContext('WorkflowErrorHandlerLambda');
      await run(
        event(
          'WorkflowErrorHandlerLambda',
          { Error: 'RestoreIncomplete', Cause: 'The restore is incomplete', RestoreReport: restoreReport },
          ctx,
        ),
      );
      expect(published()[0]?.Message).toContain(`${summary}${advice}`);
      sns.resetHistory();
      await run(event('WorkflowErrorHandlerLambda', { Error: 'States.TaskFailed', Cause: 'x' }, ctx));
      expect(published()[0]?.Message).toContain(`additional information\n\n${advice}`);
    });

    it('says which custom attributes were left out knowingly, and keeps them out on Resume', async () => {
      const ctx = importContext('WorkflowCleanupLambda');
      ctx.Execution.Input = {
        NewUserPoolId: 'us-east-1_New',
        DropAttributes: ['custom:plan', 'custom:tier'],
      };
      await run(event('WorkflowCleanupLambda', { RestoreComplete: true, RestoreReport: restoreReport }, ctx));
      expect(published()[0]?.Message).toContain(
        'Restored without these custom attributes (DropAttributes in the input), where the new user pool ' +
          'lacks them: custom:plan, custom:tier. Their values stay in the backup table.',
      );
      sns.resetHistory();
      const failed = importContext('WorkflowErrorHandlerLambda');
      failed.Execution.Input = ctx.Execution.Input;
      await run(event('WorkflowErrorHandlerLambda', { Error: 'States.TaskFailed', Cause: 'x' }, failed));
      expect(published()[0]?.Message).toContain(
        '{"NewUserPoolId":"us-east-1_New","Resume":true,"DropAttributes":["custom:plan","custom:tier"]}',
      );
      expect(published()[0]?.Message).toContain('Restored without these custom attributes');
    });

    it('names the recovery point of the restore, and keeps it in the Resume input', async () => {
      const ctx = importContext('WorkflowErrorHandlerLambda');
      ctx.Execution.Input = { NewUserPoolId: 'us-east-1_New', Snapshot: '20261207T223000Z' };
      const named = { ...restoreReport, RecoveryPoint: 'the snapshot 20261207T223000Z (export x)' };
      await run(
        event(
          'WorkflowErrorHandlerLambda',
          { Error: 'RestoreIncomplete', Cause: 'x', RestoreReport: named },
          ctx,
        ),
      );
      const message = published()[0]?.Message ?? '';
      expect(message).toContain(
        'Restore report: s3://bucket/restore-reports/us-east-1_New/2024.csv\n' +
          'Recovery point: the snapshot 20261207T223000Z (export x)\n',
      );
      expect(message).toContain(
        '{"NewUserPoolId":"us-east-1_New","Snapshot":"20261207T223000Z","Resume":true}',
      );
    });

    it('announces an incomplete restore as such, not as an unexpected error', async () => {
      const ctx = importContext('WorkflowErrorHandlerLambda');
      await run(
        event(
          'WorkflowErrorHandlerLambda',
          {
            Error: 'RestoreIncomplete',
            Cause: '1 of 10 backed-up users missing',
            RestoreReport: restoreReport,
          },
          ctx,
        ),
      );
      expect(published()[0]?.Subject).toBe('ImportWorkflow failed: restore incomplete');
      expect(published()[0]?.Message).toMatch(/^The ImportWorkflow-HASH could not restore everything:\n/);
    });

    it('points a refused non-empty pool to Resume with the exact input', async () => {
      const ctx = importContext('WorkflowErrorHandlerLambda');
      await run(
        event('WorkflowErrorHandlerLambda', { Error: 'NewUserPoolNotEmpty', Cause: 'not empty' }, ctx),
      );
      expect(published()[0]?.Message).toContain(`resume it instead (below).\n\n${advice}`);
    });

    it('tells where the id of a pool the execution created is, for Resume', async () => {
      const ctx = importContext('WorkflowErrorHandlerLambda');
      ctx.Execution.Input = { CreateUserPool: { PoolName: 'restored' }, DropAttributes: ['custom:plan'] };
      ctx.Execution.Name = 'restore-1';
      await run(event('WorkflowErrorHandlerLambda', { Error: 'States.TaskFailed', Cause: 'x' }, ctx));
      const message = published()[0]?.Message ?? '';
      expect(message).toContain('restore-work/created-user-pools/restore-1.json');
      expect(message).toContain('cognito-backup-restore-execution=restore-1');
      expect(message).toContain(
        '{"NewUserPoolId":"<the created pool id>","Resume":true,"DropAttributes":["custom:plan"]}',
      );
    });

    it('gives no Resume advice for an export failure or an input without a pool id', async () => {
      await run(event('WorkflowErrorHandlerLambda', { Cause: 'x', RestoreReport: restoreReport }));
      const ctx = context('WorkflowErrorHandlerLambda', 'ImportWorkflow-HASH');
      await run(event('WorkflowErrorHandlerLambda', { Cause: 'x' }, ctx));
      for (const { Message: message } of published()) {
        expect(message).not.toContain('Resume');
        expect(message).not.toContain('Restore report');
      }
    });
  });

  it('does nothing for another state name', async () => {
    await expect(run(event('SomethingElse', { Cause: 'x' }))).resolves.toBeUndefined();
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
  });

  it('does nothing for an event without a state', async () => {
    const e = event('x');
    delete e.Context.State;
    await expect(run(e)).resolves.toBeUndefined();
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it('publishes a Cause that is already an object as it is', async () => {
    await run(event('WorkflowErrorHandlerLambda', { Cause: { code: 7 } as unknown as string }));
    expect(published()[0]?.Message).toContain('for this solution:\n{\n  "code": 7\n}\n\nPlease check');
  });

  it('rejects an unknown SNS preference', async () => {
    await expect(
      run(event('WorkflowCleanupLambda'), { ...ENV, SNS_MESSAGE_PREFERENCE: 'ALL' }),
    ).rejects.toThrow('SNS_MESSAGE_PREFERENCE must be one of INFO_AND_ERRORS, ERRORS_ONLY (found "ALL")');
  });
});

describe("a restore drill's ImportWorkflow", () => {
  const drillContext = (state: string, drill: unknown = true, name = 'ImportWorkflow-HASH') => {
    const ctx = context(state, name);
    ctx.Execution.Input = { CreateUserPool: { PoolName: 'restore-drill-1', RestoreDrill: drill } };
    return ctx;
  };

  it("leaves its success and its failure to the drill's notification", async () => {
    await run(event('WorkflowCleanupLambda', {}, drillContext('WorkflowCleanupLambda')));
    await run(
      event(
        'WorkflowErrorHandlerLambda',
        { Error: 'RestoreIncomplete', Cause: 'x' },
        drillContext('WorkflowErrorHandlerLambda'),
      ),
    );
    expect(published()).toEqual([]);
  });

  it('notifies as ever for a restore that is not a drill, and for another workflow', async () => {
    await run(event('WorkflowCleanupLambda', {}, drillContext('WorkflowCleanupLambda', 'yes')));
    await run(
      event('WorkflowErrorHandlerLambda', { Cause: 'x' }, drillContext('WorkflowErrorHandlerLambda', false)),
    );
    await run(
      event(
        'WorkflowErrorHandlerLambda',
        { Cause: 'x' },
        drillContext('WorkflowErrorHandlerLambda', true, 'Other-HASH'),
      ),
    );
    expect(published().map((input) => input.Subject)).toEqual([
      'ImportWorkflow completed successfully',
      'ImportWorkflow failed: unexpected error',
      'Other failed: unexpected error',
    ]);
  });
});

describe('RepairWorkflow notifications', () => {
  const repairContext = (state: string) => {
    const ctx = context(state, 'RepairWorkflow-0f8fad5b');
    ctx.Execution.Input = { UserPoolId: 'us-east-1_Pool', Scope: { Usernames: ['ada@example.com', 'bob'] } };
    return ctx;
  };

  it('announces a written plan with its counts and how to apply it, and names no user of the Scope', async () => {
    const input = {
      RepairDone: true,
      RepairComplete: true,
      Planned: {
        PlanId: 'plan-7',
        Bucket: 'bucket',
        Key: 'repair-plans/p/plan-7.json',
        Counts: { usersToCreate: 3 },
      },
    };
    await run(event('WorkflowCleanupLambda', input, repairContext('WorkflowCleanupLambda')));
    const message = published()[0]?.Message ?? '';
    expect(message).toContain('Repair plan plan-7 written to s3://bucket/repair-plans/p/plan-7.json');
    expect(message).toContain('"usersToCreate": 3');
    expect(message).toContain('"Apply": "plan-7"');
    expect(message).toContain('<2 usernames>');
    expect(message).not.toMatch(/ada@example\.com|"bob"/);
  });

  it('announces an incomplete repair as such, with the Resume input of its Cause', async () => {
    const cause =
      'The repair ... is incomplete: 2 memberships still missing. ... {"UserPoolId":"p","Apply":"x","Resume":true}';
    await run(
      event(
        'WorkflowErrorHandlerLambda',
        { Error: 'RepairIncomplete', Cause: cause },
        repairContext('WorkflowErrorHandlerLambda'),
      ),
    );
    const [sent] = published();
    expect(sent?.Subject).toBe('RepairWorkflow failed: repair incomplete');
    expect(sent?.Message).toContain('could not repair everything');
    expect(sent?.Message).toContain('"Resume":true');
  });

  it('announces a refused plan as a refusal, without the usernames of the Scope', async () => {
    const input = {
      Error: 'PlanOutdatedError',
      Cause: JSON.stringify({ errorMessage: 'The user pool changed' }),
    };
    await run(event('WorkflowErrorHandlerLambda', input, repairContext('WorkflowErrorHandlerLambda')));
    const [sent] = published();
    expect(sent?.Subject).toBe('RepairWorkflow stopped: the repair plan is refused');
    expect(sent?.Message).not.toMatch(/ada@example\.com/);
  });

  it('announces an applied plan with where its report lists every user touched', async () => {
    const input = {
      RepairDone: true,
      RepairComplete: true,
      Repair: { PlanId: 'plan-7', Report: { Bucket: 'bucket', Key: 'repair-reports/p/plan-7.json' } },
    };
    await run(event('WorkflowCleanupLambda', input, repairContext('WorkflowCleanupLambda')));
    const message = published()[0]?.Message ?? '';
    expect(message).toContain('Repair plan plan-7 applied');
    expect(message).toContain('(s3://bucket/repair-reports/p/plan-7.json) lists every user touched');
    expect(message).not.toContain('Nothing was changed');
    expect(message).not.toMatch(/ada@example\.com|"bob"/);
  });
});
