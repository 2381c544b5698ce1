// SPDX-License-Identifier: Apache-2.0
/**
 * The snapshots of the backup table (issue 22): after every successful export, DynamoDB exports the table into
 * the primary Region's SnapshotBucket and its replica into the backup Region's. No local S3 enforces Object Lock,
 * so the bucket's configuration is proven here: Object Lock with a default retention in the chosen mode,
 * versioning, a lifecycle that deletes after the retention, KMS as the rest of the stack, TLS only, no public
 * access, access logs; SnapshotRetentionDays 0 removes the bucket and skips the snapshot states; the snapshot
 * function may export exactly this table and its replica, into exactly the snapshots/ prefix of the two buckets.
 */
import { recordedCalls } from './support/artifacts';
import {
  CUSTOMER_KEY_CONDITION,
  isObject,
  loadRawTemplate,
  loadTemplate,
  MAIN_TEMPLATE,
  renderConditions,
  SNAPSHOTS_CONDITION,
  SOLUTION_TOPIC_KEY_CONDITION,
  STACKSET_TEMPLATE,
  subText,
  type Json,
  type Resource,
  type Template,
} from './support/cfn';
import { roleStatements } from './support/functions';
import { stateMachines } from './support/state-machines';
import { CHECK_EXPORTS_STATE, START_EXPORTS_STATE } from '../../source/workflow-export/lib/types';
import { SNAPSHOTS_PREFIX } from '../../source/utils/snapshots';

const stackSet = loadTemplate(STACKSET_TEMPLATE);
const withKey = loadTemplate(STACKSET_TEMPLATE, 'customer-key');
const main = loadRawTemplate(MAIN_TEMPLATE);
const bucket = stackSet.Resources.SnapshotBucket?.Properties ?? {};

/** The StackSet template as CloudFormation renders it with SnapshotRetentionDays 0 (and no KMS key). */
function withoutSnapshots(): Template {
  const raw = loadRawTemplate(STACKSET_TEMPLATE);
  const conditions = {
    [CUSTOMER_KEY_CONDITION]: false,
    [SOLUTION_TOPIC_KEY_CONDITION]: true,
    [SNAPSHOTS_CONDITION]: false,
  };
  const resources: Record<string, Resource> = {};
  for (const [id, resource] of Object.entries(raw.Resources)) {
    if (resource.Condition !== undefined && resource.Condition in conditions) {
      if (!conditions[resource.Condition as keyof typeof conditions]) continue;
    }
    resources[id] = renderConditions(resource as unknown as Json, conditions) as unknown as Resource;
  }
  const outputs = Object.fromEntries(
    Object.entries(raw.Outputs ?? {}).filter(([, output]) => output.Condition !== SNAPSHOTS_CONDITION),
  );
  return { ...raw, Resources: resources, Outputs: outputs };
}

const json = (value: unknown): string => JSON.stringify(value);

describe('SnapshotRetentionDays and SnapshotLockMode', () => {
  it('are main-template parameters (90 days, GOVERNANCE) that travel to the StackSet and the snapshot function', () => {
    expect(main.Parameters.SnapshotRetentionDays).toEqual(
      expect.objectContaining({ Type: 'Number', Default: 90, MinValue: 0, MaxValue: 3650 }),
    );
    expect(main.Parameters.SnapshotLockMode).toEqual(
      expect.objectContaining({
        Type: 'String',
        Default: 'GOVERNANCE',
        AllowedValues: ['GOVERNANCE', 'COMPLIANCE'],
      }),
    );
    // The default outlives point-in-time recovery's 35 days.
    expect(Number(main.Parameters.SnapshotRetentionDays?.Default)).toBeGreaterThan(35);
    const passed = main.Resources.StackSetManagerCustomResource?.Properties?.StackSetParameters;
    expect(isObject(passed) ? passed.SnapshotRetentionDays : undefined).toEqual({
      Ref: 'SnapshotRetentionDays',
    });
    expect(isObject(passed) ? passed.SnapshotLockMode : undefined).toEqual({ Ref: 'SnapshotLockMode' });
    const env = stackSet.Resources.TableSnapshotLambda?.Properties?.Environment;
    const variables = isObject(env) && isObject(env.Variables) ? env.Variables : {};
    expect(variables.SNAPSHOT_RETENTION_DAYS).toEqual({ Ref: 'SnapshotRetentionDays' });
    expect(variables.SNAPSHOT_LOCK_MODE).toEqual({ Ref: 'SnapshotLockMode' });
  });
});

describe('SnapshotBucket', () => {
  it('exists in both Regions (no IsPrimaryRegion), only while SnapshotRetentionDays is not 0, and is retained', () => {
    const resource = stackSet.Resources.SnapshotBucket;
    expect(resource?.Condition).toBe('TakeSnapshots');
    expect(loadRawTemplate(STACKSET_TEMPLATE).Conditions?.TakeSnapshots).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'SnapshotRetentionDays' }, '0'] }],
    });
    expect(resource?.DeletionPolicy).toBe('Retain');
    expect(resource?.UpdateReplacePolicy).toBe('Retain');
  });

  it('locks every object version for SnapshotRetentionDays in the SnapshotLockMode (S3 Object Lock, versioned)', () => {
    expect(bucket.ObjectLockEnabled).toBe(true);
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: {
        DefaultRetention: { Mode: { Ref: 'SnapshotLockMode' }, Days: { Ref: 'SnapshotRetentionDays' } },
      },
    });
  });

  it('deletes the current versions after SnapshotRetentionDays, then the versions they hide and the delete markers', () => {
    const rules = isObject(bucket.LifecycleConfiguration)
      ? (bucket.LifecycleConfiguration.Rules as Json[])
      : [];
    expect(rules).toEqual([
      {
        Id: 'ExpireSnapshots',
        Status: 'Enabled',
        ExpirationInDays: { Ref: 'SnapshotRetentionDays' },
        // A day after it becomes noncurrent, the lock (SnapshotRetentionDays from creation) has ended.
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      },
      { Id: 'RemoveExpiredDeleteMarkers', Status: 'Enabled', ExpiredObjectDeleteMarker: true },
    ]);
    // No prefix filter: every object of the bucket expires.
    expect(rules.filter((rule) => isObject(rule) && ('Prefix' in rule || 'Filter' in rule))).toEqual([]);
  });

  it("is encrypted with aws/s3 by default and with the Region's customer managed key when given", () => {
    expect(bucket.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }],
    });
    expect(withKey.Resources.SnapshotBucket?.Properties?.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: {
              'Fn::If': ['IsPrimaryRegion', { Ref: 'KmsKeyArn' }, { Ref: 'SecondaryRegionKmsKeyArn' }],
            },
          },
          BucketKeyEnabled: true,
        },
      ],
    });
  });

  it('blocks every kind of public access', () => {
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('refuses every request without TLS', () => {
    const policy = stackSet.Resources.SnapshotBucketPolicy;
    expect(policy?.Condition).toBe('TakeSnapshots');
    expect(policy?.Properties?.Bucket).toEqual({ Ref: 'SnapshotBucket' });
    const document = policy?.Properties?.PolicyDocument;
    const statements = isObject(document) ? (document.Statement as Json[]) : [];
    expect(statements).toEqual([
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: '*',
        Resource: [
          { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${SnapshotBucket}' },
          { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${SnapshotBucket}/*' },
        ],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
  });

  it("logs its access to the access-logs bucket, whose policy lets S3 deliver them from this bucket's name", () => {
    expect(bucket.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: 'UserImportJobMappingFilesLogsBucket' },
      LogFilePrefix: 'snapshot-bucket/',
    });
    expect(stackSet.Resources.SnapshotBucket?.DependsOn).toBe('S3ServerAccessLogsPolicy');
    const document = stackSet.Resources.S3ServerAccessLogsPolicy?.Properties?.PolicyDocument;
    const delivery = (isObject(document) ? (document.Statement as Json[]) : []).find(
      (statement) => isObject(statement) && statement.Sid === 'SnapshotBucketAccessLogs',
    );
    expect(json(delivery)).toContain('/snapshot-bucket/*');
    expect(json(delivery)).toContain('-${AWS::Region}-snap');
  });

  it('is named <prefix>-<region>-snap, which the primary Region names for the backup Region and fits in 63 characters', () => {
    expect(bucket.BucketName).toEqual({
      'Fn::Join': [
        '-',
        [
          { 'Fn::GetAtt': ['StackSetConstantsCustomResource', 'UserImportJobMappingFileBucketPrefix'] },
          { Ref: 'AWS::Region' },
          'snap',
        ],
      ],
    });
    // The longest prefix: 15 characters of the stack name, -import-jobs-, 12 hex digits; the longest Region.
    const longest = `${'a'.repeat(15)}-import-jobs-${'0'.repeat(12)}-ap-southeast-4-snap`;
    expect(longest.length).toBeLessThanOrEqual(63);
    const env = stackSet.Resources.TableSnapshotLambda?.Properties?.Environment;
    const variables = isObject(env) && isObject(env.Variables) ? env.Variables : {};
    expect(subText(variables.SNAPSHOT_REPLICA_BUCKET)).toBe(
      '${StackSetConstantsCustomResource.UserImportJobMappingFileBucketPrefix}-${StackSetConstantsCustomResource.SecondaryRegion}-snap',
    );
    expect(variables.SNAPSHOT_BUCKET).toEqual({ Ref: 'SnapshotBucket' });
  });
});

describe('the snapshot function (TableSnapshotLambda)', () => {
  const statements = roleStatements(stackSet, 'TableSnapshotLambdaRole');
  const allowing = (action: string) => statements.filter((statement) => statement.Action.includes(action));
  const table = (region: string) =>
    `arn:\${AWS::Partition}:dynamodb:${region}:\${AWS::AccountId}:table/\${StackSetConstantsCustomResource.BackupTableName}`;
  const PRIMARY = '${AWS::Region}';
  const BACKUP = '${StackSetConstantsCustomResource.SecondaryRegion}';

  it('its unit tests recorded the export and its follow-up, on the tables its environment names', () => {
    const calls = recordedCalls('workflow-export/table-snapshot') ?? [];
    expect([...new Set(calls.map((call) => call.action))].sort()).toEqual([
      'dynamodb:DescribeExport',
      'dynamodb:ExportTableToPointInTime',
    ]);
    const env = stackSet.Resources.TableSnapshotLambda?.Properties?.Environment;
    const variables = isObject(env) && isObject(env.Variables) ? env.Variables : {};
    expect(subText(variables.BACKUP_TABLE_ARN)).toBe(table(PRIMARY));
    expect(subText(variables.REPLICA_TABLE_ARN)).toBe(table(BACKUP));
  });

  it('may export exactly this table and its replica', () => {
    expect(
      allowing('dynamodb:ExportTableToPointInTime').map((statement) => statement.Resource.map(subText)),
    ).toEqual([[table(PRIMARY), table(BACKUP)]]);
  });

  it("may describe only those tables' exports", () => {
    expect(allowing('dynamodb:DescribeExport').map((statement) => statement.Resource.map(subText))).toEqual([
      [`${table(PRIMARY)}/export/*`, `${table(BACKUP)}/export/*`],
    ]);
  });

  it('may write (as DynamoDB writes an export for it) only under snapshots/ of the two snapshot buckets', () => {
    const writes = allowing('s3:PutObject');
    expect(writes.map((statement) => [...statement.Action].sort())).toEqual([
      ['s3:AbortMultipartUpload', 's3:PutObject', 's3:PutObjectAcl'],
    ]);
    expect(writes[0]?.Resource.map(subText)).toEqual([
      `arn:\${AWS::Partition}:s3:::\${SnapshotBucket}/${SNAPSHOTS_PREFIX}*`,
      `arn:\${AWS::Partition}:s3:::\${StackSetConstantsCustomResource.UserImportJobMappingFileBucketPrefix}-${BACKUP}-snap/${SNAPSHOTS_PREFIX}*`,
    ]);
    // No read, list or delete: a snapshot is written once, by DynamoDB.
    expect(
      statements
        .flatMap((statement) => statement.Action)
        .filter((action) => /^s3:(Get|List|Delete)/.test(action)),
    ).toEqual([]);
  });

  it("uses each Region's key only through that Region's S3", () => {
    const kms = roleStatements(withKey, 'TableSnapshotLambdaRole').filter((statement) =>
      statement.Action.some((action) => action.startsWith('kms:')),
    );
    expect(kms.map((statement) => [statement.Resource, statement.Condition])).toEqual([
      [
        [{ Ref: 'KmsKeyArn' }],
        { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 's3.${AWS::Region}.amazonaws.com' } } },
      ],
      [
        [{ Ref: 'SecondaryRegionKmsKeyArn' }],
        { StringEquals: { 'kms:ViaService': { 'Fn::Sub': `s3.${BACKUP}.amazonaws.com` } } },
      ],
    ]);
  });

  it('runs exactly the two snapshot task states of the ExportWorkflow, before the success notification', () => {
    const machine = stateMachines().find((candidate) => candidate.logicalId === 'ExportWorkflow');
    const states = machine?.definition.States ?? {};
    const invoking = Object.entries(states)
      .filter(([, state]) => state.Resource?.endsWith(':function:TableSnapshotLambda'))
      .map(([name]) => name);
    expect(invoking.sort()).toEqual([CHECK_EXPORTS_STATE, START_EXPORTS_STATE].sort());
    // Each cleanup end leads to the snapshot, and the snapshot's success to the success notification.
    expect(states['BackupTableCleanup: Items to remove?']?.Default).toBe('Snapshot: Settings');
    expect(states['BackupTableCleanup: Yes, all items have been removed']?.Next).toBe('Snapshot: Settings');
    expect(states['Snapshot: Exports Done?']?.Choices?.[0]).toEqual({
      Variable: '$.Snapshot.Status',
      StringEquals: 'COMPLETED',
      Next: 'WorkflowCleanupLambda',
    });
    // A failed snapshot is an error notification, then a failure of its own name.
    expect(states[START_EXPORTS_STATE]?.Catch).toEqual([
      { ErrorEquals: ['States.TaskFailed'], Next: 'WorkflowErrorHandlerLambda' },
    ]);
    expect(states[CHECK_EXPORTS_STATE]?.Catch).toEqual(states[START_EXPORTS_STATE]?.Catch);
    expect(json(states['Which failure?'])).toContain(
      '"StringEquals":"SnapshotFailedError"}],"Next":"Snapshot failed"',
    );
    expect(states['Snapshot failed']).toEqual(
      expect.objectContaining({ Type: 'Fail', Error: 'SnapshotFailed' }),
    );
  });
});

describe('SnapshotRetentionDays 0', () => {
  const off = withoutSnapshots();

  it('creates no snapshot bucket, no bucket policy and no output for it', () => {
    expect(Object.keys(off.Resources).filter((id) => id.startsWith('SnapshotBucket'))).toEqual([]);
    expect(Object.keys(off.Outputs ?? {})).not.toContain('SnapshotBucketName');
    const document = off.Resources.S3ServerAccessLogsPolicy?.Properties?.PolicyDocument;
    expect(json(document)).not.toContain('snapshot-bucket');
  });

  it('leaves the snapshot function (still named by the definition) with no permission but its logs', () => {
    const statements = roleStatements(off, 'TableSnapshotLambdaRole');
    expect(statements.flatMap((statement) => statement.Action).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    const env = off.Resources.TableSnapshotLambda?.Properties?.Environment;
    const variables = isObject(env) && isObject(env.Variables) ? env.Variables : {};
    expect(Object.keys(variables)).not.toContain('SNAPSHOT_BUCKET');
  });

  it('skips the snapshot states: the workflow reads the retention and goes straight to the success notification', () => {
    const text = subText(stackSet.Resources.ExportWorkflow?.Properties?.DefinitionString) ?? '';
    expect(text).toContain('"Result": { "RetentionDays": ${SnapshotRetentionDays} }');
    const machine = stateMachines().find((candidate) => candidate.logicalId === 'ExportWorkflow');
    const choice = machine?.definition.States['Snapshot: Enabled?'];
    expect(choice?.Choices).toEqual([
      {
        Variable: '$.SnapshotSettings.RetentionDays',
        NumericGreaterThan: 0,
        Next: 'Snapshot: Wait for the Replica',
      },
    ]);
    expect(choice?.Default).toBe('WorkflowCleanupLambda');
  });
});
