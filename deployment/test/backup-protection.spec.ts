// SPDX-License-Identifier: Apache-2.0
/**
 * The backup protects itself: deletion protection and point-in-time recovery on the table and on its
 * replica, which the global-table custom resources set through the API (CloudFormation's
 * PointInTimeRecoverySpecification and DeletionProtectionEnabled cover the primary table only).
 */
import { recordedCalls } from './support/artifacts';
import { loadTemplate, MAIN_TEMPLATE, type Json } from './support/cfn';
import { roleStatements } from './support/functions';

const main = loadTemplate(MAIN_TEMPLATE);
const REPLICA_ARN: Json = {
  'Fn::Sub': 'arn:${AWS::Partition}:dynamodb:${SecondaryRegion}:${AWS::AccountId}:table/${BackupTable}',
};

describe('backup table', () => {
  const table = main.Resources.BackupTable;

  it('has deletion protection, point-in-time recovery and is retained by CloudFormation', () => {
    expect(table?.Properties?.DeletionProtectionEnabled).toBe(true);
    expect(table?.Properties?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table?.DeletionPolicy).toBe('Retain');
    expect(table?.UpdateReplacePolicy).toBe('Retain');
  });

  it('asks the replica custom resource for point-in-time recovery and deletion protection on the replica', () => {
    expect(main.Resources.SecondaryUserPoolTable?.Properties?.ReplicaPointInTimeRecovery).toBe('Enabled');
    expect(main.Resources.SecondaryUserPoolTable?.Properties?.ReplicaDeletionProtection).toBe('Enabled');
  });

  it.each([
    [
      'GlobalTableChecker',
      'GlobalTableCheckerRole',
      'custom-resources/global-table-checker',
      [[REPLICA_ARN]],
    ],
    [
      'GlobalTableCreator',
      'GlobalTableCreatorRole',
      'custom-resources/global-table-creator',
      // The creator's UpdateTable also adds the replica and switches its key, through the primary table.
      [[{ 'Fn::GetAtt': ['BackupTable', 'Arn'] }, REPLICA_ARN]],
    ],
  ])(
    '%s turns deletion protection on with UpdateTable, and its role allows UpdateTable on the replica',
    (_fn, roleId, handler, resources) => {
      const calls = (recordedCalls(handler) ?? []).filter(
        (call) => call.action === 'dynamodb:UpdateTable' && /deletion protection/.test(call.test),
      );
      expect(calls.length).toBeGreaterThan(0);
      const statements = roleStatements(main, roleId).filter(
        (statement) => statement.Effect === 'Allow' && statement.Action.includes('dynamodb:UpdateTable'),
      );
      expect(statements.map((statement) => statement.Resource)).toEqual(resources);
    },
  );

  it.each([
    ['GlobalTableChecker', 'GlobalTableCheckerRole', 'custom-resources/global-table-checker'],
    ['GlobalTableCreator', 'GlobalTableCreatorRole', 'custom-resources/global-table-creator'],
  ])(
    '%s calls UpdateContinuousBackups, and its role allows it on the replica table only',
    (_fn, roleId, handler) => {
      const calls = (recordedCalls(handler) ?? []).filter(
        (call) => call.action === 'dynamodb:UpdateContinuousBackups',
      );
      expect(calls.length).toBeGreaterThan(0);
      const statements = roleStatements(main, roleId).filter((statement) =>
        statement.Action.includes('dynamodb:UpdateContinuousBackups'),
      );
      expect(statements.map((statement) => [statement.Effect, statement.Action, statement.Resource])).toEqual(
        [['Allow', ['dynamodb:UpdateContinuousBackups'], [REPLICA_ARN]]],
      );
    },
  );
});
