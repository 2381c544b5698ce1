// SPDX-License-Identifier: Apache-2.0
/**
 * The templates keep the original's contract: parameters, mappings, conditions, logical ids
 * and types, outputs. Deviations are the listed fixes, each named where it is expected.
 */
import {
  isObject,
  loadRawTemplate,
  loadTemplate,
  MAIN_TEMPLATE,
  STACKSET_TEMPLATE,
  type Json,
} from './support/cfn';
import { HOLD_SECONDS } from '../../source/workflow-import/lib/holds';
import { lambdaFunctions } from './support/functions';

const EMAIL_PATTERN =
  '^[_A-Za-z0-9-\\+]+(\\.[_A-Za-z0-9-]+)*@[A-Za-z0-9-]+(\\.[A-Za-z0-9]+)*(\\.[A-Za-z]{2,})$';

/** MaxDeletionPercent: a whole number from 0 to 100. */
const PERCENT_PATTERN = '^(100|[1-9]?[0-9])$';

/** MaxDeletionCount: a whole number from 0 to 999,999. */
const COUNT_PATTERN = '^(0|[1-9][0-9]{0,5})$';

/** KmsKeyArn, SecondaryRegionKmsKeyArn: empty or a KMS key ARN. */
const KMS_KEY_PATTERN = '^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:key/[a-zA-Z0-9-]+)?$';

/** The original main template's resources, in file order. */
const MAIN_RESOURCES: Record<string, string> = {
  BackupTable: 'AWS::DynamoDB::Table',
  GlobalTableCreator: 'AWS::Lambda::Function',
  GlobalTableCreatorRole: 'AWS::IAM::Role',
  GlobalTableChecker: 'AWS::Lambda::Function',
  GlobalTableCheckerRole: 'AWS::IAM::Role',
  SecondaryUserPoolTable: 'Custom::CreateTable',
  SecondaryUserPoolTableStepFunctionsRole: 'AWS::IAM::Role',
  SecondaryUserPoolTableStepFunctions: 'AWS::StepFunctions::StateMachine',
  StackCheckerCustomResourceLambda: 'AWS::Lambda::Function',
  StackCheckerCustomResourceLambdaRole: 'AWS::IAM::Role',
  StackCheckerCustomResource: 'Custom::StackChecker',
  SolutionConstantsCustomResourceLambda: 'AWS::Lambda::Function',
  SolutionConstantsCustomResourceLambdaRole: 'AWS::IAM::Role',
  SolutionConstantsCustomResource: 'Custom::SolutionConstants',
  StackSetManagerCustomResourceLambda: 'AWS::Lambda::Function',
  StackSetManagerCustomResourceLambdaRole: 'AWS::IAM::Role',
  StackSetManagerCustomResource: 'Custom::StackSet',
  StackSetAdminRole: 'AWS::IAM::Role',
  StackSetRolesBoundary: 'AWS::IAM::ManagedPolicy',
  StackSetExecRole: 'AWS::IAM::Role',
  StackSetCheckStatusLambda: 'AWS::Lambda::Function',
  StackSetCheckStatusLambdaRole: 'AWS::IAM::Role',
  StackSetCheckStatusWorkflowRole: 'AWS::IAM::Role',
  StackSetCheckStatusWorkflow: 'AWS::StepFunctions::StateMachine',
};

/** The original StackSet template's resources created in both regions. */
const STACKSET_BOTH: Record<string, string> = {
  StackSetConstantsCustomResourceLambda: 'AWS::Lambda::Function',
  StackSetConstantsCustomResourceLambdaRole: 'AWS::IAM::Role',
  StackSetConstantsCustomResource: 'Custom::StackSetConstants',
  ImportWorkflowServiceRole: 'AWS::IAM::Role',
  ImportWorkflow: 'AWS::StepFunctions::StateMachine',
  CheckWorkflowQueuesLambda: 'AWS::Lambda::Function',
  CheckWorkflowQueuesLambdaRole: 'AWS::IAM::Role',
  ImportCheckNewUserPoolLambda: 'AWS::Lambda::Function',
  ImportCheckNewUserPoolLambdaRole: 'AWS::IAM::Role',
  ImportScanTableLambda: 'AWS::Lambda::Function',
  ImportScanTableLambdaRole: 'AWS::IAM::Role',
  ImportNewUsersLambda: 'AWS::Lambda::Function',
  ImportNewUsersLambdaRole: 'AWS::IAM::Role',
  ImportCheckImportJobLambda: 'AWS::Lambda::Function',
  ImportCheckImportJobLambdaRole: 'AWS::IAM::Role',
  ImportUpdateNewUsersLambda: 'AWS::Lambda::Function',
  ImportUpdateNewUsersLambdaRole: 'AWS::IAM::Role',
  // Added: the reconciliation at the end of every import (restore report, missing memberships and flags).
  ImportReconcileNewUserPoolLambda: 'AWS::Lambda::Function',
  ImportReconcileNewUserPoolLambdaRole: 'AWS::IAM::Role',
  ImportNewUsersQueue: 'AWS::SQS::Queue',
  ImportNewUsersUpdatesQueue: 'AWS::SQS::Queue',
  ImportNewUsersDeadLetterQueue: 'AWS::SQS::Queue',
  NotificationTopic: 'AWS::SNS::Topic',
  WorkflowMessageBrokerLambda: 'AWS::Lambda::Function',
  WorkflowMessageBrokerLambdaRole: 'AWS::IAM::Role',
  CognitoUserImportCloudWatchLogsRole: 'AWS::IAM::Role',
  UserImportJobMappingFiles: 'AWS::S3::Bucket',
  UserImportJobMappingFilesPolicy: 'AWS::S3::BucketPolicy',
  UserImportJobMappingFilesLogsBucket: 'AWS::S3::Bucket',
  S3ServerAccessLogsPolicy: 'AWS::S3::BucketPolicy',
  CheckExecutionsLambda: 'AWS::Lambda::Function',
  CheckExecutionsLambdaRole: 'AWS::IAM::Role',
  // Added: the topic's own key and policy (CloudWatch alarms publish to it), the import DLQ's alarm.
  NotificationTopicKey: 'AWS::KMS::Key',
  NotificationTopicPolicy: 'AWS::SNS::TopicPolicy',
  ImportNewUsersDeadLetterQueueAlarm: 'AWS::CloudWatch::Alarm',
};

/** The original StackSet template's resources created only where `IsPrimaryRegion` holds. */
const STACKSET_PRIMARY: Record<string, string> = {
  ExportWorkflowServiceRole: 'AWS::IAM::Role',
  ExportWorkflow: 'AWS::StepFunctions::StateMachine',
  ExportWorkflowEventRule: 'AWS::Events::Rule',
  ExportWorkflowEventRuleRole: 'AWS::IAM::Role',
  ExportUsersLambda: 'AWS::Lambda::Function',
  ExportUsersLambdaRole: 'AWS::IAM::Role',
  ListGroupsLambda: 'AWS::Lambda::Function',
  ListGroupsLambdaRole: 'AWS::IAM::Role',
  ExportGroupLambda: 'AWS::Lambda::Function',
  ExportGroupLambdaRole: 'AWS::IAM::Role',
  ExportUsersInGroupLambda: 'AWS::Lambda::Function',
  ExportUsersInGroupLambdaRole: 'AWS::IAM::Role',
  CheckUserPoolConfigLambda: 'AWS::Lambda::Function',
  CheckUserPoolConfigLambdaRole: 'AWS::IAM::Role',
  BackupTableCleanupLambda: 'AWS::Lambda::Function',
  BackupTableCleanupLambdaRole: 'AWS::IAM::Role',
  ExportWorkflowQueue: 'AWS::SQS::Queue',
  ExportWorkflowDeadLetterQueue: 'AWS::SQS::Queue',
  // Added: the export DLQ's alarm.
  ExportWorkflowDeadLetterQueueAlarm: 'AWS::CloudWatch::Alarm',
  // Added (issue 22): the snapshot that ends every successful export.
  TableSnapshotLambda: 'AWS::Lambda::Function',
  TableSnapshotLambdaRole: 'AWS::IAM::Role',
};

/** Added (issue 22): the snapshot buckets, in both regions unless SnapshotRetentionDays is 0. */
const STACKSET_SNAPSHOTS: Record<string, string> = {
  SnapshotBucket: 'AWS::S3::Bucket',
  SnapshotBucketPolicy: 'AWS::S3::BucketPolicy',
};

/**
 * Deviation: every function gets its own `AWS::Logs::LogGroup` with a retention period,
 * named `<function logical id>LogGroup` and created under the function's condition.
 */
function withLogGroups(resources: Record<string, string>): Record<string, string> {
  const logGroups = Object.entries(resources)
    .filter(([, type]) => type === 'AWS::Lambda::Function')
    .map(([id]) => [`${id}LogGroup`, 'AWS::Logs::LogGroup']);
  return { ...resources, ...Object.fromEntries(logGroups) };
}

const typesOf = (file: string): Record<string, string> =>
  Object.fromEntries(
    Object.entries(loadTemplate(file).Resources).map(([id, resource]) => [id, resource.Type]),
  );

describe('main template', () => {
  const template = loadTemplate(MAIN_TEMPLATE);

  it('has the 23 resources of the original, the StackSet roles boundary, and one log group per function', () => {
    expect(Object.keys(MAIN_RESOURCES)).toHaveLength(24);
    expect(typesOf(MAIN_TEMPLATE)).toEqual(withLogGroups(MAIN_RESOURCES));
  });

  it('keeps the description, parameters and the Solution mapping', () => {
    expect(template.Description).toBe(
      '(SO0126) - Cognito User Profiles Export Reference Architecture. Version VERSION_PLACEHOLDER',
    );
    const pick = (name: string) => {
      const { Type, Default, AllowedValues, AllowedPattern } = template.Parameters[name] ?? {};
      return { Type, Default, AllowedValues, AllowedPattern };
    };
    expect(Object.keys(template.Parameters)).toEqual([
      'PrimaryUserPoolId',
      'SecondaryRegion',
      'ExportFrequency',
      'CognitoTPS',
      'NotificationEmail',
      'SnsPreference',
      'ImportJobFilesRetentionDays',
      'RestoreReportRetentionDays',
      'SnapshotRetentionDays',
      'SnapshotLockMode',
      'SendAnonymousData',
      'AllowMfaUserPools',
      'MaxDeletionPercent',
      'MaxDeletionCount',
      'KmsKeyArn',
      'SecondaryRegionKmsKeyArn',
    ]);
    // Added: how long the restore reports are kept, and the operational metrics opt-out (the original's
    // SendAnonymousData mapping entry), both in operator-outputs.spec.ts.
    expect(pick('RestoreReportRetentionDays')).toEqual({ Type: 'Number', Default: 365 });
    // Added (issue 22): the snapshots' retention and lock mode (snapshots.spec.ts).
    expect(pick('SnapshotRetentionDays')).toEqual({ Type: 'Number', Default: 90 });
    expect(pick('SnapshotLockMode')).toEqual({
      Type: 'String',
      Default: 'GOVERNANCE',
      AllowedValues: ['GOVERNANCE', 'COMPLIANCE'],
    });
    expect(pick('SendAnonymousData')).toEqual({
      Type: 'String',
      Default: 'Yes',
      AllowedValues: ['Yes', 'No'],
    });
    // Added (security review): how long the import-job files and access logs are kept, and the optional
    // customer managed KMS keys (kms.spec.ts).
    expect(pick('ImportJobFilesRetentionDays')).toEqual({ Type: 'Number', Default: 30 });
    expect(pick('PrimaryUserPoolId')).toEqual({ Type: 'String', AllowedPattern: '^[\\w-]+_[0-9a-zA-Z]+$' });
    expect(pick('SecondaryRegion')).toEqual({ Type: 'String', AllowedPattern: '^[a-z]{2}-[a-z]+-\\d{1}$' });
    expect(pick('ExportFrequency')).toEqual({
      Type: 'String',
      Default: 'EVERY_DAY',
      AllowedValues: ['EVERY_DAY', 'EVERY_7_DAYS', 'EVERY_30_DAYS'],
    });
    expect(pick('CognitoTPS')).toEqual({
      Type: 'String',
      Default: '10',
      AllowedValues: ['1', '5', '10', '15', '20', '25'],
    });
    expect(pick('NotificationEmail')).toEqual({ Type: 'String', AllowedPattern: EMAIL_PATTERN });
    expect(pick('SnsPreference')).toEqual({
      Type: 'String',
      Default: 'INFO_AND_ERRORS',
      AllowedValues: ['INFO_AND_ERRORS', 'ERRORS_ONLY'],
    });
    // Added: the default keeps the original's refusal of pools with MFA.
    expect(pick('AllowMfaUserPools')).toEqual({
      Type: 'String',
      Default: 'No',
      AllowedValues: ['No', 'Yes'],
    });
    expect(template.Mappings).toEqual({
      Solution: {
        Config: {
          SolutionId: 'SO0126',
          Version: 'VERSION_PLACEHOLDER',
          S3BucketPrefix: 'BUCKET_NAME_PLACEHOLDER',
          S3KeyPrefix: 'SOLUTION_NAME_PLACEHOLDER/VERSION_PLACEHOLDER',
        },
      },
    });
    // Added with the KMS key parameters (kms.spec.ts); the original had no condition.
    expect(Object.keys(loadRawTemplate(MAIN_TEMPLATE).Conditions ?? {})).toEqual(['UseCustomerManagedKey']);
  });

  it('groups the parameters as the original does', () => {
    const groups = (
      template.Metadata?.['AWS::CloudFormation::Interface'] as { ParameterGroups: { Parameters: string[] }[] }
    ).ParameterGroups;
    expect(groups.map((group) => group.Parameters)).toEqual([
      ['PrimaryUserPoolId', 'SecondaryRegion'],
      [
        'ExportFrequency',
        'CognitoTPS',
        'NotificationEmail',
        'SnsPreference',
        'AllowMfaUserPools',
        'MaxDeletionPercent',
        'MaxDeletionCount',
        'ImportJobFilesRetentionDays',
        'RestoreReportRetentionDays',
        'SendAnonymousData',
      ],
      // Added (issue 22): the snapshots of the backup table.
      ['SnapshotRetentionDays', 'SnapshotLockMode'],
      // Added (security review): the optional customer managed KMS keys.
      ['KmsKeyArn', 'SecondaryRegionKmsKeyArn'],
    ]);
  });

  it('passes the custom resources their properties', () => {
    const properties = (id: string) => Object.keys(template.Resources[id]?.Properties ?? {}).sort();
    expect(properties('SecondaryUserPoolTable')).toEqual(
      // Added: ReplicaPointInTimeRecovery and ReplicaDeletionProtection (point-in-time recovery and deletion
      // protection on the replica, see backup-protection.spec).
      [
        'ServiceToken',
        'UserPoolTable',
        'SecondaryRegion',
        'StateMachineArn',
        'ReplicaPointInTimeRecovery',
        'ReplicaDeletionProtection',
      ].sort(),
    );
    expect(properties('StackCheckerCustomResource')).toEqual(
      [
        'ServiceToken',
        'PrimaryUserPoolId',
        'SecondaryRegion',
        'BackupTableName',
        'AnonymousDataUUID',
        'ParentStackName',
        'FormattedStackName',
        'PrimaryRegion',
        'ExportWorkflowQueueNamePrefix',
        'ImportNewUsersQueueNamePrefix',
        'SolutionInstanceUUID',
        'UserImportJobMappingFileBucketPrefix',
      ].sort(),
    );
    expect(properties('SolutionConstantsCustomResource')).toEqual(['ServiceToken', 'StackName']);
    expect(properties('StackSetManagerCustomResource')).toEqual(
      [
        'ServiceToken',
        'TemplateURL',
        'StackSetName',
        'AdministrationRoleARN',
        'ExecutionRoleName',
        'AccountId',
        'SecondaryRegion',
        'StackSetParameters',
      ].sort(),
    );
    const stackSetParameters =
      template.Resources.StackSetManagerCustomResource?.Properties?.StackSetParameters;
    expect(Object.keys(isObject(stackSetParameters) ? stackSetParameters : {}).sort()).toEqual(
      Object.keys(loadTemplate(STACKSET_TEMPLATE).Parameters).sort(),
    );
  });

  it('starts the StackSet only after the StackChecker has stored the fixed parameters', () => {
    expect(template.Resources.StackSetManagerCustomResource?.DependsOn).toBe('StackCheckerCustomResource');
    expect(template.Resources.StackCheckerCustomResourceLambdaRole?.DependsOn).toBe('SecondaryUserPoolTable');
    expect(template.Resources.SolutionConstantsCustomResourceLambdaRole?.DependsOn).toBe(
      'SecondaryUserPoolTable',
    );
  });

  it('keeps the StackSet execution role at path / (StackSets builds its ARN from its name)', () => {
    expect(template.Resources.StackSetExecRole?.Properties?.Path).toBeUndefined();
  });

  it("keeps the original's two outputs and adds where to find the StackSet and the buckets", () => {
    expect(Object.keys(template.Outputs ?? {})).toEqual([
      'BackupTableName',
      'UserImportJobMappingFileBucketPrefix',
      // Added (operator-outputs.spec.ts).
      'StackSetName',
      'ImportBucketPrimaryRegion',
      'ImportBucketSecondaryRegion',
      'AccessLogsBucketPrimaryRegion',
      'AccessLogsBucketSecondaryRegion',
    ]);
  });
});

describe('StackSet template', () => {
  const template = loadTemplate(STACKSET_TEMPLATE);

  it('has the 48 resources of the original, 4 added (DLQ alarms, topic key and policy), the reconciliation function and role, the snapshot function, role and bucket, and one log group per function', () => {
    expect(Object.keys({ ...STACKSET_BOTH, ...STACKSET_PRIMARY, ...STACKSET_SNAPSHOTS })).toHaveLength(58);
    expect(typesOf(STACKSET_TEMPLATE)).toEqual(
      withLogGroups({ ...STACKSET_BOTH, ...STACKSET_PRIMARY, ...STACKSET_SNAPSHOTS }),
    );
  });

  it('creates exactly the export resources (and their log groups) in the primary region only', () => {
    const primaryOnly = Object.entries(template.Resources)
      .filter(([, resource]) => resource.Condition === 'IsPrimaryRegion')
      .map(([id]) => id)
      .sort();
    expect(primaryOnly).toEqual(Object.keys(withLogGroups(STACKSET_PRIMARY)).sort());
    // Added: the solution's own topic key exists only when no customer managed key is given (kms.spec.ts).
    const otherConditions = Object.entries(template.Resources)
      .filter(([, resource]) => resource.Condition !== undefined && resource.Condition !== 'IsPrimaryRegion')
      .map(([id, resource]) => [id, resource.Condition]);
    // Added (issue 22): the snapshot bucket exists only while SnapshotRetentionDays is not 0 (snapshots.spec.ts).
    expect(otherConditions).toEqual([
      ['NotificationTopicKey', 'UseSolutionTopicKey'],
      ['SnapshotBucket', 'TakeSnapshots'],
      ['SnapshotBucketPolicy', 'TakeSnapshots'],
    ]);
  });

  it('keeps the description, parameters and mapping', () => {
    expect(template.Description).toBe(
      '(SO0126s) - StackSet template for Cognito User Profiles Export Reference Architecture. Version VERSION_PLACEHOLDER',
    );
    const shape = Object.fromEntries(
      Object.entries(template.Parameters).map(([name, { Type, Default, AllowedValues, AllowedPattern }]) => [
        name,
        { Type, Default, AllowedValues, AllowedPattern },
      ]),
    );
    expect(shape).toEqual({
      PrimaryRegion: { Type: 'String', AllowedPattern: '^[\\w-]+$' },
      CognitoTPS: { Type: 'String', Default: '10', AllowedValues: ['1', '5', '10', '15', '20', '25'] },
      ExportFrequency: {
        Type: 'String',
        Default: 'EVERY_DAY',
        AllowedValues: ['EVERY_DAY', 'EVERY_7_DAYS', 'EVERY_30_DAYS'],
      },
      NotificationEmail: { Type: 'String', AllowedPattern: EMAIL_PATTERN },
      // Constrained (security review): the main stack passes only these values.
      SendAnonymousData: { Type: 'String', AllowedValues: ['Yes', 'No'] },
      ParentStackName: { Type: 'String', AllowedPattern: '^[a-zA-Z][-a-zA-Z0-9]{0,127}$' },
      PermissionsBoundaryArn: {
        Type: 'String',
        AllowedPattern: '^arn:aws[a-z-]*:iam::\\d{12}:policy/[\\w+=,.@/-]+$',
      },
      SnsPreference: {
        Type: 'String',
        Default: 'INFO_AND_ERRORS',
        AllowedValues: ['INFO_AND_ERRORS', 'ERRORS_ONLY'],
      },
      AllowMfaUserPools: { Type: 'String', Default: 'No', AllowedValues: ['No', 'Yes'] },
      MaxDeletionPercent: { Type: 'String', Default: '10', AllowedPattern: PERCENT_PATTERN },
      MaxDeletionCount: { Type: 'String', Default: '5', AllowedPattern: COUNT_PATTERN },
      ImportJobFilesRetentionDays: { Type: 'Number', Default: 30 },
      RestoreReportRetentionDays: { Type: 'Number', Default: 365 },
      // Added (issue 22): passed on by the main stack.
      SnapshotRetentionDays: { Type: 'Number', Default: 90 },
      SnapshotLockMode: {
        Type: 'String',
        Default: 'GOVERNANCE',
        AllowedValues: ['GOVERNANCE', 'COMPLIANCE'],
      },
      // Added (security review): the optional customer managed KMS keys, passed on by the main stack.
      KmsKeyArn: { Type: 'String', Default: '', AllowedPattern: KMS_KEY_PATTERN },
      SecondaryRegionKmsKeyArn: { Type: 'String', Default: '', AllowedPattern: KMS_KEY_PATTERN },
      // Added (issue 19): the installation's id, which names the log groups and the export schedule.
      SolutionInstanceUUID: {
        Type: 'String',
        AllowedPattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
      },
    });
    expect(template.Mappings).toEqual({
      Solution: {
        Config: {
          SolutionId: 'SO0126',
          Version: 'VERSION_PLACEHOLDER',
          S3BucketPrefix: 'BUCKET_NAME_PLACEHOLDER',
          S3KeyPrefix: 'SOLUTION_NAME_PLACEHOLDER/VERSION_PLACEHOLDER',
        },
      },
    });
  });

  it('keeps the used conditions and drops the unused ExportMonthly', () => {
    expect(template.Conditions).toEqual({
      // Added with the KMS key parameters (kms.spec.ts).
      UseCustomerManagedKey: {
        'Fn::And': [
          { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'KmsKeyArn' }, ''] }] },
          { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'SecondaryRegionKmsKeyArn' }, ''] }] },
        ],
      },
      UseSolutionTopicKey: { 'Fn::Not': [{ Condition: 'UseCustomerManagedKey' }] },
      // Added (issue 22): SnapshotRetentionDays 0 takes no snapshots (snapshots.spec.ts).
      TakeSnapshots: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'SnapshotRetentionDays' }, '0'] }] },
      IsPrimaryRegion: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, { Ref: 'PrimaryRegion' }] },
      ExportDaily: { 'Fn::Equals': [{ Ref: 'ExportFrequency' }, 'EVERY_DAY'] },
      ExportWeekly: { 'Fn::Equals': [{ Ref: 'ExportFrequency' }, 'EVERY_7_DAYS'] },
    });
  });

  it('schedules the export as the original does', () => {
    const rule = template.Resources.ExportWorkflowEventRule?.Properties ?? {};
    expect(rule.ScheduleExpression).toEqual({
      'Fn::If': [
        'ExportDaily',
        'rate(1 day)',
        { 'Fn::If': ['ExportWeekly', 'rate(7 days)', 'rate(30 days)'] },
      ],
    });
    expect(rule.State).toBe('ENABLED');
    expect(rule.Targets).toEqual([
      {
        Id: 'export-workflow-event-rule-target',
        Arn: { Ref: 'ExportWorkflow' },
        RoleArn: { 'Fn::GetAtt': ['ExportWorkflowEventRuleRole', 'Arn'] },
      },
    ]);
  });

  it('gives the export queue a visibility timeout of at least its consumer timeout', () => {
    const timeout = (id: string) => Number(template.Resources[id]?.Properties?.Timeout);
    const visibility = (id: string) => Number(template.Resources[id]?.Properties?.VisibilityTimeout ?? 30);
    expect(visibility('ExportWorkflowQueue')).toBeGreaterThanOrEqual(timeout('BackupTableCleanupLambda'));
  });

  it("holds import messages for the consumers' two-minute hold, and lets them be given back many times", () => {
    for (const id of ['ImportNewUsersQueue', 'ImportNewUsersUpdatesQueue']) {
      const properties = template.Resources[id]?.Properties ?? {};
      expect(properties.VisibilityTimeout).toBe(HOLD_SECONDS);
      expect((properties.RedrivePolicy as { maxReceiveCount: number }).maxReceiveCount).toBe(100);
    }
  });

  it('keeps dead letters for 4 days: they hold full user records (security review)', () => {
    for (const id of ['ImportNewUsersDeadLetterQueue', 'ExportWorkflowDeadLetterQueue']) {
      expect(template.Resources[id]?.Properties?.MessageRetentionPeriod).toBe(345600);
    }
  });

  it('delivers access logs: the bucket policy covers the log prefix and the logs bucket uses SSE-S3', () => {
    const bucket = template.Resources.UserImportJobMappingFiles?.Properties ?? {};
    const prefix = (bucket.LoggingConfiguration as { LogFilePrefix: string }).LogFilePrefix;
    expect(prefix).toBe('user-import-job-mapping-files/');
    const statements = (
      template.Resources.S3ServerAccessLogsPolicy?.Properties?.PolicyDocument as {
        Statement: Record<string, Json>[];
      }
    ).Statement;
    const allow = statements.find((statement) => statement.Sid === 'S3ServerAccessLogsPolicy');
    expect(allow?.Resource).toEqual({
      'Fn::Sub': `arn:\${AWS::Partition}:s3:::\${UserImportJobMappingFilesLogsBucket}/${prefix}*`,
    });
    expect(template.Resources.UserImportJobMappingFilesLogsBucket?.Properties?.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
  });
});

describe('both templates', () => {
  it('run every function on nodejs22.x', () => {
    const runtimes = lambdaFunctions().map((fn) => [
      fn.logicalId,
      loadTemplate(fn.template).Resources[fn.logicalId]?.Properties?.Runtime,
    ]);
    expect(runtimes.filter(([, runtime]) => runtime !== 'nodejs22.x')).toEqual([]);
    expect(runtimes).toHaveLength(6 + 17);
  });

  it('pair every DeletionPolicy Retain with UpdateReplacePolicy Retain', () => {
    for (const file of [MAIN_TEMPLATE, STACKSET_TEMPLATE]) {
      const unpaired = Object.entries(loadTemplate(file).Resources)
        .filter(
          ([, resource]) => resource.DeletionPolicy === 'Retain' && resource.UpdateReplacePolicy !== 'Retain',
        )
        .map(([id]) => id);
      expect(unpaired).toEqual([]);
    }
  });

  it('send every function to its own log group with a retention period', () => {
    for (const fn of lambdaFunctions()) {
      const template = loadTemplate(fn.template);
      const logging = template.Resources[fn.logicalId]?.Properties?.LoggingConfig;
      expect({ id: fn.logicalId, logging }).toEqual({
        id: fn.logicalId,
        logging: { LogGroup: { Ref: `${fn.logicalId}LogGroup` } },
      });
      const group = template.Resources[`${fn.logicalId}LogGroup`];
      expect(group?.Properties?.RetentionInDays).toEqual(expect.any(Number));
      expect(group?.Condition).toBe(template.Resources[fn.logicalId]?.Condition);
    }
  });
});

describe('tags', () => {
  /**
   * Resources the original leaves untagged: custom resources, bucket policies, the Events rule; and the
   * topic policy (added), which CloudFormation cannot tag.
   */
  const UNTAGGED = /^(Custom::|AWS::S3::BucketPolicy$|AWS::Events::Rule$|AWS::SNS::TopicPolicy$)/;

  it.each([
    [MAIN_TEMPLATE, { 'Fn::Sub': '${AWS::StackName}-${AWS::Region}' }],
    [STACKSET_TEMPLATE, { 'Fn::Sub': '${ParentStackName}-${PrimaryRegion}' }],
  ])('%s: every taggable resource carries solution-id-SO0126', (file, value) => {
    const template = loadTemplate(file);
    const wrong = Object.entries(template.Resources)
      .filter(([, resource]) => !UNTAGGED.test(resource.Type))
      .filter(([, resource]) => {
        // The managed policy (a permissions boundary) cannot be tagged. The StackSet's constants function and
        // role carry the installation's value like every other StackSet resource (the original tagged them with
        // their own stack's name): the execution role acts only on functions with that value.
        if (resource.Type === 'AWS::IAM::ManagedPolicy') return false;
        return (
          JSON.stringify(resource.Properties?.Tags) !==
          JSON.stringify([{ Key: 'solution-id-SO0126', Value: value }])
        );
      })
      .map(([id]) => id);
    expect(wrong).toEqual([]);
  });
});

describe("MaxDeletionPercent and MaxDeletionCount (the export cleanup's mass-deletion guard)", () => {
  const main = loadTemplate(MAIN_TEMPLATE);
  const stackSet = loadTemplate(STACKSET_TEMPLATE);

  it('MaxDeletionPercent is a main-template parameter, 10 by default, whole numbers from 0 to 100 only', () => {
    const parameter = main.Parameters.MaxDeletionPercent ?? {};
    expect(parameter).toMatchObject({ Type: 'String', Default: '10', AllowedPattern: PERCENT_PATTERN });
    const pattern = new RegExp(PERCENT_PATTERN);
    expect(['0', '1', '9', '10', '55', '99', '100'].filter((value) => pattern.test(value))).toHaveLength(7);
    expect(['', '-1', '101', '010', '5.5', '1000', ' 10'].filter((value) => pattern.test(value))).toEqual([]);
    expect(String(parameter.Description)).toContain('{"AllowMassDeletion": true}');
  });

  it('MaxDeletionCount is a main-template parameter, 5 by default, whole numbers from 0 to 999,999 only', () => {
    const parameter = main.Parameters.MaxDeletionCount ?? {};
    expect(parameter).toMatchObject({ Type: 'String', Default: '5', AllowedPattern: COUNT_PATTERN });
    const pattern = new RegExp(COUNT_PATTERN);
    expect(['0', '1', '5', '10', '1000', '999999'].filter((value) => pattern.test(value))).toHaveLength(6);
    expect(['', '-1', '05', '2.5', '1000000', ' 5', 'five'].filter((value) => pattern.test(value))).toEqual(
      [],
    );
  });

  it.each([
    ['MaxDeletionPercent', 'MAX_DELETION_PERCENT', '10', PERCENT_PATTERN],
    ['MaxDeletionCount', 'MAX_DELETION_COUNT', '5', COUNT_PATTERN],
  ])(
    '%s travels like CognitoTPS: main template, StackSet parameter, BackupTableCleanupLambda %s',
    (name, variable, defaultValue, pattern) => {
      const stackSetParameters = main.Resources.StackSetManagerCustomResource?.Properties?.StackSetParameters;
      expect(isObject(stackSetParameters) && stackSetParameters[name]).toEqual({ Ref: name });
      expect(stackSet.Parameters[name]).toMatchObject({
        Type: 'String',
        Default: defaultValue,
        AllowedPattern: pattern,
      });
      const readers = lambdaFunctions()
        .filter((fn) => JSON.stringify(fn.environment).includes(`"Ref":"${name}"`))
        .map((fn) => [fn.logicalId, fn.environment[variable]]);
      expect(readers).toEqual([['BackupTableCleanupLambda', { Ref: name }]]);
    },
  );
});
