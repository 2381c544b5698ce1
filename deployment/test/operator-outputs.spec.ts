// SPDX-License-Identifier: Apache-2.0
/**
 * What an operator reads from the stacks: where to start each workflow and where the restore report is
 * (outputs), how long each kind of file stays in the import bucket (lifecycle rules: the restore report,
 * the only map from an old sub to a new one, outlives the import files), and the parameters that used to
 * need a template edit (the operational metrics).
 */
import { REPORT_PREFIX } from '../../source/workflow-import/lib/reconcile-new-user-pool';
import { LEDGER_PREFIX } from '../../source/workflow-import/lib/restore-ledger';
import { WORK_PREFIX } from '../../source/workflow-import/lib/pool-index';
import { MANIFEST_PREFIX } from '../../source/workflow-import/lib/job-ledger';
import { mappingFileKey } from '../../source/workflow-import/lib/import-job';
import { isObject, loadTemplate, MAIN_TEMPLATE, STACKSET_TEMPLATE, type Json } from './support/cfn';

const main = loadTemplate(MAIN_TEMPLATE);
const stackSet = loadTemplate(STACKSET_TEMPLATE);

describe('stack outputs', () => {
  it('each StackSet instance outputs its workflows, buckets and topic', () => {
    expect(stackSet.Outputs).toEqual({
      ImportWorkflowArn: expect.objectContaining({ Value: { Ref: 'ImportWorkflow' } }) as Json,
      ExportWorkflowArn: expect.objectContaining({
        Condition: 'IsPrimaryRegion',
        Value: { Ref: 'ExportWorkflow' },
      }) as Json,
      ImportBucketName: expect.objectContaining({ Value: { Ref: 'UserImportJobMappingFiles' } }) as Json,
      AccessLogsBucketName: expect.objectContaining({
        Value: { Ref: 'UserImportJobMappingFilesLogsBucket' },
      }) as Json,
      NotificationTopicArn: expect.objectContaining({ Value: { Ref: 'NotificationTopic' } }) as Json,
      SnapshotBucketName: expect.objectContaining({
        Condition: 'TakeSnapshots',
        Value: { Ref: 'SnapshotBucket' },
      }) as Json,
    });
    // An output exists only where its resource does.
    for (const output of Object.values(stackSet.Outputs ?? {})) {
      const value = output.Value;
      const target = isObject(value) ? String(value.Ref) : '';
      expect(output.Condition).toBe(stackSet.Resources[target]?.Condition);
    }
  });

  it('the main stack outputs the StackSet name and the bucket names of both Regions as the StackSet names them', () => {
    const outputs = main.Outputs ?? {};
    expect(outputs.StackSetName?.Value).toEqual({
      'Fn::GetAtt': ['SolutionConstantsCustomResource', 'StackSetName'],
    });
    // The StackSet names its buckets <prefix>-<region>[-logs]; the main stack knows both Regions.
    expect(stackSet.Resources.UserImportJobMappingFiles?.Properties?.BucketName).toEqual({
      'Fn::Join': [
        '-',
        [
          { 'Fn::GetAtt': ['StackSetConstantsCustomResource', 'UserImportJobMappingFileBucketPrefix'] },
          { Ref: 'AWS::Region' },
        ],
      ],
    });
    const prefix = '${SolutionConstantsCustomResource.UserImportJobMappingFileBucketPrefix}';
    expect(outputs.ImportBucketPrimaryRegion?.Value).toEqual({ 'Fn::Sub': `${prefix}-\${AWS::Region}` });
    expect(outputs.ImportBucketSecondaryRegion?.Value).toEqual({
      'Fn::Sub': `${prefix}-\${SecondaryRegion}`,
    });
    expect(outputs.AccessLogsBucketPrimaryRegion?.Value).toEqual({
      'Fn::Sub': `${prefix}-\${AWS::Region}-logs`,
    });
    expect(outputs.AccessLogsBucketSecondaryRegion?.Value).toEqual({
      'Fn::Sub': `${prefix}-\${SecondaryRegion}-logs`,
    });
  });
});

describe('import bucket lifecycle', () => {
  interface Rule {
    Id: string;
    Status: string;
    Prefix?: string;
    ExpirationInDays?: Json;
    NoncurrentVersionExpiration?: { NoncurrentDays: Json };
  }
  const configuration = stackSet.Resources.UserImportJobMappingFiles?.Properties?.LifecycleConfiguration;
  const rules = (isObject(configuration) ? configuration.Rules : []) as unknown as Rule[];
  const rulesFor = (key: string) =>
    rules.filter((rule) => rule.Status === 'Enabled' && key.startsWith(rule.Prefix ?? ''));

  // One key of each kind the workflows write (a Cognito job id matches import-[0-9a-zA-Z-]+).
  const importFiles = [
    mappingFileKey('import-AbC123'),
    `${MANIFEST_PREFIX}us-east-1_Pool/import-AbC123.json`,
    `${LEDGER_PREFIX}us-east-1_Pool/a.jsonl`,
    `${WORK_PREFIX}us-east-1_Pool/exec/users/0.json`,
  ];
  const report = `${REPORT_PREFIX}us-east-1_Pool/2026-01-01T00-00-00.000Z.csv`;

  it.each(importFiles)('%s expires after ImportJobFilesRetentionDays, old versions too', (key) => {
    const matching = rulesFor(key);
    expect(matching).toHaveLength(1);
    expect(matching[0]?.ExpirationInDays).toEqual({ Ref: 'ImportJobFilesRetentionDays' });
    expect(matching[0]?.NoncurrentVersionExpiration).toEqual({
      NoncurrentDays: { Ref: 'ImportJobFilesRetentionDays' },
    });
  });

  it('a restore report expires after RestoreReportRetentionDays only, and that default outlives the import files', () => {
    const matching = rulesFor(report);
    expect(matching).toHaveLength(1);
    expect(matching[0]?.ExpirationInDays).toEqual({ Ref: 'RestoreReportRetentionDays' });
    const days = (template: typeof main, name: string) => Number(template.Parameters[name]?.Default);
    for (const template of [main, stackSet]) {
      expect(days(template, 'RestoreReportRetentionDays')).toBeGreaterThan(
        days(template, 'ImportJobFilesRetentionDays'),
      );
    }
    expect(main.Resources.StackSetManagerCustomResource?.Properties?.StackSetParameters).toMatchObject({
      RestoreReportRetentionDays: { Ref: 'RestoreReportRetentionDays' },
    });
  });

  it('the success notification knows the report retention', () => {
    const broker = stackSet.Resources.WorkflowMessageBrokerLambda?.Properties?.Environment;
    expect(isObject(broker) && broker.Variables).toMatchObject({
      RESTORE_REPORT_RETENTION_DAYS: { Ref: 'RestoreReportRetentionDays' },
    });
  });
});

describe('operational metrics', () => {
  it('are a parameter of the main stack (default Yes) that reaches every sender', () => {
    expect(main.Parameters.SendAnonymousData).toMatchObject({ Default: 'Yes', AllowedValues: ['Yes', 'No'] });
    expect(JSON.stringify(main.Mappings)).not.toContain('SendAnonymousData');
    expect(main.Resources.StackSetManagerCustomResourceLambda?.Properties?.Environment).toMatchObject({
      Variables: { SEND_METRIC: { Ref: 'SendAnonymousData' } },
    });
    expect(main.Resources.StackSetManagerCustomResource?.Properties?.StackSetParameters).toMatchObject({
      SendAnonymousData: { Ref: 'SendAnonymousData' },
    });
  });
});

describe('the StackSet roles boundary', () => {
  it('names each action once per statement', () => {
    const document = main.Resources.StackSetRolesBoundary?.Properties?.PolicyDocument;
    const statements = (isObject(document) ? document.Statement : []) as { Action?: Json }[];
    for (const statement of statements) {
      const actions = Array.isArray(statement.Action) ? statement.Action.map(String) : [];
      expect(actions).toEqual([...new Set(actions)]);
    }
  });
});
