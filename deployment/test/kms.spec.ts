// SPDX-License-Identifier: Apache-2.0
/**
 * The optional customer managed KMS key (security review finding 4): KmsKeyArn for the primary region and
 * SecondaryRegionKmsKeyArn for the backup region, given together or not at all. With them, the backup table
 * and its replica, every queue, the notification topic, the import-job files bucket and every log group use
 * their region's key; without them (the default), every resource is rendered as before the parameters existed.
 * The IAM side is in iam.spec.ts (d) and security.spec.ts (the StackSet roles boundary).
 */
import {
  isObject,
  loadRawTemplate,
  loadTemplate,
  MAIN_TEMPLATE,
  resourcesOfType,
  STACKSET_TEMPLATE,
  TEMPLATE_FILES,
  type Json,
  type KeyChoice,
  type Resource,
  type Template,
} from './support/cfn';
import { templateStatements } from './support/policies';

const KEY_PARAMETERS = ['KmsKeyArn', 'SecondaryRegionKmsKeyArn'];
const json = (value: unknown): string => JSON.stringify(value);
const PRIMARY_KEY = { Ref: 'KmsKeyArn' };
const BACKUP_KEY = { Ref: 'SecondaryRegionKmsKeyArn' };
const EITHER_REGION_KEY = { 'Fn::If': ['IsPrimaryRegion', PRIMARY_KEY, BACKUP_KEY] };

/** The key of a resource's region: the StackSet's resources of both regions choose by IsPrimaryRegion. */
const regionKey = (file: string, resource: Resource | undefined): Json =>
  file === MAIN_TEMPLATE || resource?.Condition === 'IsPrimaryRegion' ? PRIMARY_KEY : EITHER_REGION_KEY;

const render = (file: string, choice: KeyChoice): Template => loadTemplate(file, choice);
const properties = (file: string, choice: KeyChoice, id: string) =>
  render(file, choice).Resources[id]?.Properties ?? {};

describe('KmsKeyArn and SecondaryRegionKmsKeyArn parameters', () => {
  const main = loadRawTemplate(MAIN_TEMPLATE);

  it.each(TEMPLATE_FILES)('%s: both are optional (default empty) and take only a KMS key ARN', (file) => {
    const template = loadRawTemplate(file);
    for (const name of KEY_PARAMETERS) {
      const parameter = template.Parameters[name] ?? {};
      expect(parameter.Default).toBe('');
      const pattern = new RegExp(String(parameter.AllowedPattern));
      expect(
        [
          '',
          'arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-1111-2222-3333-444455556666',
          'arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab',
          'arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/0a1b2c3d-1111-2222-3333-444455556666',
        ].filter((value) => !pattern.test(value)),
      ).toEqual([]);
      // An alias cannot be an IAM policy's Resource for kms:Decrypt, nor a key id without its region.
      expect(
        [
          'arn:aws:kms:eu-west-1:111122223333:alias/backup',
          'alias/backup',
          '0a1b2c3d-1111-2222-3333-444455556666',
          'arn:aws:kms:eu-west-1:111122223333:key/x:y',
        ].filter((value) => pattern.test(value)),
      ).toEqual([]);
    }
  });

  it('the main template asks for them in a "Data protection" group', () => {
    const groups = (main.Metadata?.['AWS::CloudFormation::Interface'] as { ParameterGroups: Json[] })
      .ParameterGroups;
    expect(groups).toContainEqual({ Label: { default: 'Data protection' }, Parameters: KEY_PARAMETERS });
  });

  it('a rule refuses one key without the other', () => {
    const rules = (main as unknown as { Rules: Record<string, { Assertions: { Assert: Json }[] }> }).Rules;
    const empty = (name: string) => ({ 'Fn::Equals': [{ Ref: name }, ''] });
    expect(rules.KmsKeysTogether?.Assertions.map((assertion) => assertion.Assert)).toEqual([
      {
        'Fn::Or': [
          { 'Fn::And': KEY_PARAMETERS.map(empty) },
          { 'Fn::And': KEY_PARAMETERS.map((name) => ({ 'Fn::Not': [empty(name)] })) },
        ],
      },
    ]);
  });

  it.each(TEMPLATE_FILES)('%s: UseCustomerManagedKey holds when both keys are given', (file) => {
    expect(loadRawTemplate(file).Conditions?.UseCustomerManagedKey).toEqual({
      'Fn::And': KEY_PARAMETERS.map((name) => ({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: name }, ''] }] })),
    });
  });

  it('the main stack passes both to the StackSet', () => {
    const parameters = main.Resources.StackSetManagerCustomResource?.Properties?.StackSetParameters;
    expect(isObject(parameters) && [parameters.KmsKeyArn, parameters.SecondaryRegionKmsKeyArn]).toEqual([
      PRIMARY_KEY,
      BACKUP_KEY,
    ]);
  });
});

describe("with a customer managed key, every resource that holds data uses its region's key", () => {
  const choice = 'customer-key';

  it('the backup table: SSE-KMS with KmsKeyArn', () => {
    expect(properties(MAIN_TEMPLATE, choice, 'BackupTable').SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: PRIMARY_KEY,
    });
  });

  it("the replica: the global-table custom resource gets the backup region's key", () => {
    expect(properties(MAIN_TEMPLATE, choice, 'SecondaryUserPoolTable').ReplicaKmsKeyArn).toEqual(BACKUP_KEY);
  });

  it.each(TEMPLATE_FILES)('%s: every log group', (file) => {
    const template = render(file, choice);
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThan(5);
    expect(
      groups.filter(([, group]) => json(group.Properties?.KmsKeyId) !== json(regionKey(file, group))),
    ).toEqual([]);
  });

  it('every queue', () => {
    const queues = resourcesOfType(render(STACKSET_TEMPLATE, choice), 'AWS::SQS::Queue');
    expect(queues).toHaveLength(5);
    expect(
      queues
        .filter(
          ([, queue]) => json(queue.Properties?.KmsMasterKeyId) !== json(regionKey(STACKSET_TEMPLATE, queue)),
        )
        .map(([id]) => id),
    ).toEqual([]);
  });

  it('the notification topic, and the solution no longer creates a key of its own for it', () => {
    expect(properties(STACKSET_TEMPLATE, choice, 'NotificationTopic').KmsMasterKeyId).toEqual(
      EITHER_REGION_KEY,
    );
    expect(render(STACKSET_TEMPLATE, choice).Resources.NotificationTopicKey).toBeUndefined();
  });

  it('the import-job files bucket: SSE-KMS with the key and an S3 Bucket Key', () => {
    expect(properties(STACKSET_TEMPLATE, choice, 'UserImportJobMappingFiles').BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: EITHER_REGION_KEY },
          BucketKeyEnabled: true,
        },
      ],
    });
  });

  it('the access-logs bucket keeps SSE-S3: S3 delivers server access logs only to such a bucket', () => {
    expect(
      properties(STACKSET_TEMPLATE, choice, 'UserImportJobMappingFilesLogsBucket').BucketEncryption,
    ).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
  });

  it('the StackSet roles boundary allows the key only through the four services, in both regions', () => {
    const kms = templateStatements(render(MAIN_TEMPLATE, choice)).filter(
      (statement) =>
        statement.owner === 'StackSetRolesBoundary' && statement.Action.some((a) => a.startsWith('kms:')),
    );
    expect(kms.map(({ Action, Resource }) => ({ Action, Resource }))).toEqual([
      { Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: [PRIMARY_KEY, BACKUP_KEY] },
    ]);
    const services = (kms[0]?.Condition?.StringEquals as Record<string, Json[]>)['kms:ViaService'];
    expect(services?.map((service) => (isObject(service) ? service['Fn::Sub'] : service))).toEqual(
      ['${AWS::Region}', '${SecondaryRegion}'].flatMap((region) =>
        ['dynamodb', 'sqs', 'sns', 's3'].map((service) => `${service}.${region}.amazonaws.com`),
      ),
    );
  });
});

describe('without a key (the default), nothing changes', () => {
  const choice = 'default';

  it.each(TEMPLATE_FILES)(
    '%s: no resource refers to the key parameters (the StackSet parameters aside)',
    (file) => {
      const referring = Object.entries(render(file, choice).Resources)
        .filter(([id]) => id !== 'StackSetManagerCustomResource')
        .filter(([, resource]) => KEY_PARAMETERS.some((name) => json(resource).includes(`"Ref":"${name}"`)))
        .map(([id]) => id);
      expect(referring).toEqual([]);
    },
  );

  it('the table keeps the AWS managed key aws/dynamodb, and the replica gets no key property', () => {
    expect(properties(MAIN_TEMPLATE, choice, 'BackupTable').SSESpecification).toEqual({ SSEEnabled: true });
    expect(properties(MAIN_TEMPLATE, choice, 'SecondaryUserPoolTable')).not.toHaveProperty(
      'ReplicaKmsKeyArn',
    );
  });

  it.each(TEMPLATE_FILES)('%s: log groups have no KmsKeyId', (file) => {
    const keyed = resourcesOfType(render(file, choice), 'AWS::Logs::LogGroup').filter(
      ([, group]) => group.Properties?.KmsKeyId !== undefined,
    );
    expect(keyed).toEqual([]);
  });

  it("queues keep alias/aws/sqs, the topic the solution's own key, the bucket aws/s3", () => {
    const stackSet = render(STACKSET_TEMPLATE, choice);
    expect(
      resourcesOfType(stackSet, 'AWS::SQS::Queue').map(([, queue]) => queue.Properties?.KmsMasterKeyId),
    ).toEqual(Array(5).fill('alias/aws/sqs'));
    expect(properties(STACKSET_TEMPLATE, choice, 'NotificationTopic').KmsMasterKeyId).toEqual({
      Ref: 'NotificationTopicKey',
    });
    expect(stackSet.Resources.NotificationTopicKey?.Type).toBe('AWS::KMS::Key');
    expect(properties(STACKSET_TEMPLATE, choice, 'UserImportJobMappingFiles').BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }],
    });
  });
});
