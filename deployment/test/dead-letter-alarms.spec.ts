// SPDX-License-Identifier: Apache-2.0
/**
 * Dead-letter queues are watched: each one has a CloudWatch alarm on its depth that notifies the
 * solution's topic, and the topic lets those alarms publish (topic policy, and a key of the solution's
 * own: CloudWatch cannot use the AWS-managed aws/sns key).
 */
import {
  isObject,
  loadTemplate,
  MAIN_TEMPLATE,
  resourcesOfType,
  STACKSET_TEMPLATE,
  type Json,
} from './support/cfn';
import { roleStatements } from './support/functions';

const stackSet = loadTemplate(STACKSET_TEMPLATE);
const resource = (id: string) => stackSet.Resources[id];
const properties = (id: string) => resource(id)?.Properties ?? {};

/** Queues that no queue names as its dead-letter target, and those that are such a target. */
function deadLetterQueues(): string[] {
  const targets = resourcesOfType(stackSet, 'AWS::SQS::Queue').flatMap(([, queue]) => {
    const redrive = queue.Properties?.RedrivePolicy;
    const target = isObject(redrive) ? redrive.deadLetterTargetArn : undefined;
    return isObject(target) && Array.isArray(target['Fn::GetAtt']) ? [String(target['Fn::GetAtt'][0])] : [];
  });
  return [...new Set(targets)].sort();
}

// The backup's health alarms (backup-health.spec.ts) watch the solution's own metrics.
const alarms = resourcesOfType(stackSet, 'AWS::CloudWatch::Alarm').filter(
  ([, alarm]) => alarm.Properties?.Namespace === 'AWS/SQS',
);
const queueOf = (alarm: Json): string | undefined => {
  const dimensions = isObject(alarm) ? alarm.Dimensions : undefined;
  const first = Array.isArray(dimensions) ? dimensions[0] : undefined;
  const value = isObject(first) ? first.Value : undefined;
  return isObject(value) && Array.isArray(value['Fn::GetAtt']) ? String(value['Fn::GetAtt'][0]) : undefined;
};

describe('dead-letter queue alarms', () => {
  it('the template has two dead-letter queues, and one alarm for each', () => {
    expect(deadLetterQueues()).toEqual(['ExportWorkflowDeadLetterQueue', 'ImportNewUsersDeadLetterQueue']);
    expect(alarms.map(([, alarm]) => queueOf(alarm.Properties ?? {})).sort()).toEqual(deadLetterQueues());
  });

  it.each(alarms.map(([id]) => [id]))('%s fires on one visible message and notifies the topic', (id) => {
    const alarm = properties(id);
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'NotificationTopic' }],
    });
    const queue = queueOf(alarm) ?? '';
    expect(alarm.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }]);
    // In the regions where its queue exists.
    expect(resource(id)?.Condition).toBe(resource(queue)?.Condition);
    expect(String(alarm.AlarmDescription).length).toBeGreaterThan(40);
    // When it says how long the message stays, it says the queue's retention.
    const days = /stays in the queue for (\d+) days/.exec(String(alarm.AlarmDescription))?.[1];
    if (days !== undefined) {
      expect(Number(days) * 86_400).toBe(properties(queue).MessageRetentionPeriod);
    }
  });

  it('the topic policy lets CloudWatch alarms of this account publish, and nothing else', () => {
    const policy = properties('NotificationTopicPolicy');
    expect(policy.Topics).toEqual([{ Ref: 'NotificationTopic' }]);
    const document = policy.PolicyDocument;
    expect(isObject(document) && document.Statement).toEqual([
      {
        Sid: 'CloudWatchAlarms',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: 'NotificationTopic' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Sub': 'arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*',
            },
          },
        },
      },
    ]);
  });

  it('the topic is encrypted with a rotating key of its own that CloudWatch and SNS publishers may use', () => {
    expect(properties('NotificationTopic').KmsMasterKeyId).toEqual({ Ref: 'NotificationTopicKey' });
    const key = properties('NotificationTopicKey');
    expect(key.EnableKeyRotation).toBe(true);
    const statements = (isObject(key.KeyPolicy) ? key.KeyPolicy.Statement : []) as Record<string, Json>[];
    const bySid = Object.fromEntries(statements.map((statement) => [String(statement.Sid), statement]));
    expect(Object.keys(bySid).sort()).toEqual([
      'AccountAdministration',
      'CloudWatchAlarms',
      'PublishThroughSns',
    ]);
    expect(bySid.CloudWatchAlarms).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
    // Publishers of this account use the key only through SNS in the topic's region.
    expect(bySid.PublishThroughSns).toMatchObject({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: {
        StringEquals: {
          'kms:CallerAccount': { Ref: 'AWS::AccountId' },
          'kms:ViaService': { 'Fn::Sub': 'sns.${AWS::Region}.amazonaws.com' },
        },
      },
    });
  });

  it('the StackSet execution role may create the alarms (by name) and the key (by installation tag) only', () => {
    const exec = roleStatements(loadTemplate(MAIN_TEMPLATE), 'StackSetExecRole');
    const cloudwatch = exec.filter((statement) => statement.Action.some((a) => a.startsWith('cloudwatch:')));
    expect(cloudwatch.flatMap((statement) => statement.Resource).map((r) => JSON.stringify(r))).toEqual([
      expect.stringContaining(
        ':alarm:import-new-users-${SolutionConstantsCustomResource.SolutionInstanceUUID}-dlq-not-empty',
      ),
      expect.stringContaining(
        ':alarm:export-workflow-${SolutionConstantsCustomResource.SolutionInstanceUUID}-dlq-not-empty',
      ),
      expect.stringContaining('${SecondaryRegion}:${AWS::AccountId}:alarm:import-new-users-'),
      // The backup's health alarms and the dashboards, named after the installation (backup-health.spec.ts).
      expect.stringContaining(
        '${AWS::Region}:${AWS::AccountId}:alarm:cognito-user-profiles-export-${SolutionConstantsCustomResource.SolutionInstanceUUID}-*',
      ),
      expect.stringContaining(
        '${SecondaryRegion}:${AWS::AccountId}:alarm:cognito-user-profiles-export-${SolutionConstantsCustomResource.SolutionInstanceUUID}-*',
      ),
      expect.stringContaining(
        ':dashboard/cognito-user-profiles-export-${SolutionConstantsCustomResource.SolutionInstanceUUID}-*',
      ),
    ]);
    const kms = exec.filter((statement) => statement.Action.some((a) => a.startsWith('kms:')));
    expect(kms.map((statement) => Object.keys(statement.Condition?.StringEquals ?? {}))).toEqual([
      ['aws:RequestTag/solution-id-SO0126'],
      ['aws:ResourceTag/solution-id-SO0126'],
    ]);
    expect(kms.flatMap((statement) => statement.Action)).not.toContain('kms:*');
  });

  it('the alarm names are the queue names with -not-empty, so the execution role can name them', () => {
    expect(properties('ImportNewUsersDeadLetterQueueAlarm').AlarmName).toEqual({
      'Fn::Join': [
        '-',
        [
          { 'Fn::GetAtt': ['StackSetConstantsCustomResource', 'ImportNewUsersQueueNamePrefix'] },
          { 'Fn::GetAtt': ['StackSetConstantsCustomResource', 'SolutionInstanceUUID'] },
          'dlq-not-empty',
        ],
      ],
    });
    expect(properties('ExportWorkflowDeadLetterQueueAlarm').AlarmName).toEqual({
      'Fn::Join': [
        '-',
        [
          { 'Fn::GetAtt': ['StackSetConstantsCustomResource', 'ExportWorkflowQueueNamePrefix'] },
          { 'Fn::GetAtt': ['StackSetConstantsCustomResource', 'SolutionInstanceUUID'] },
          'dlq-not-empty',
        ],
      ],
    });
  });
});
