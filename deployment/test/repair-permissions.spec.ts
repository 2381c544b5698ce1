// SPDX-License-Identifier: Apache-2.0
/**
 * The write path to the backed-up user pool is opt-in: with `AllowRepair` `No` (the default, with or
 * without a customer managed key) no role of either template may change that pool; with `Yes` the
 * repair function's role alone may, with exactly the write actions its unit tests recorded, and the
 * StackSet roles boundary lets through no more. Every statement of every role is evaluated against the
 * pool as it exists (its ARN, no restore-target tag), so a wildcard or a forgotten statement is caught.
 */
import { recordedCalls } from './support/artifacts';
import {
  loadTemplate,
  MAIN_TEMPLATE,
  resourcesOfType,
  STACKSET_TEMPLATE,
  TEMPLATE_FILES,
  type KeyChoice,
} from './support/cfn';
import { roleStatements } from './support/functions';
import { reachingActions, type ExistingResource } from './support/iam-reach';
import { templateStatements } from './support/policies';

const ACCOUNT = '111122223333';
const POOL = 'us-east-1_Backed01';
const values: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': ACCOUNT,
  PrimaryRegion: 'us-east-1',
  SecondaryRegion: 'us-west-2',
  PrimaryUserPoolId: POOL,
  'StackSetConstantsCustomResource.PrimaryUserPoolId': POOL,
};
/** The backed-up pool: not a restore target (an operator tags only the pools restored into). */
const backedUpPool: ExistingResource = {
  service: 'cognito-idp',
  arn: `arn:aws:cognito-idp:us-east-1:${ACCOUNT}:userpool/${POOL}`,
  tags: {},
};
/**
 * Reads, and CreateUserPool: it names no existing pool (IAM knows it only by "*") and makes a new one, so it
 * cannot change the backed-up pool (the restore target's creation, held by iam.spec.ts).
 */
const isRead = (action: string): boolean =>
  /^cognito-idp:(Describe|List|Get|AdminGet|AdminList)/.test(action) ||
  action === 'cognito-idp:CreateUserPool';

/** `<template>:<role>` → the write actions the role may make on the backed-up pool. */
function writers(choice: KeyChoice): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const file of TEMPLATE_FILES) {
    const template = loadTemplate(file, choice);
    for (const [roleId] of resourcesOfType(template, 'AWS::IAM::Role')) {
      for (const statement of roleStatements(template, roleId)) {
        if (!statement.Action.some((action) => action.startsWith('cognito-idp:'))) continue;
        const writes = reachingActions(
          { ...statement, template: file, owner: roleId },
          backedUpPool,
          values,
        ).filter((action) => !isRead(action));
        if (writes.length > 0)
          found[`${file}:${roleId}`] = [...(found[`${file}:${roleId}`] ?? []), ...writes].sort();
      }
    }
  }
  return found;
}

/** What the StackSet roles boundary lets the StackSet's roles write to the backed-up pool. */
function boundaryWrites(choice: KeyChoice): string[] {
  return templateStatements(loadTemplate(MAIN_TEMPLATE, choice))
    .filter((statement) => statement.owner === 'StackSetRolesBoundary')
    .filter((statement) => statement.Action.some((action) => action.startsWith('cognito-idp:')))
    .flatMap((statement) => reachingActions(statement, backedUpPool, values))
    .filter((action) => !isRead(action))
    .sort();
}

const recordedWrites = [
  ...new Set(
    (recordedCalls('workflow-import/repair-user-pool') ?? [])
      .map((call) => call.action)
      .filter((action) => action.startsWith('cognito-idp:') && !isRead(action)),
  ),
].sort();

describe('AllowRepair: the only write path to the backed-up user pool', () => {
  it.each(['default', 'customer-key'] as const)(
    'No (%s rendering): no role of either template may write to the backed-up pool, and the boundary allows no write',
    (choice) => {
      expect(writers(choice)).toEqual({});
      expect(boundaryWrites(choice)).toEqual([]);
    },
  );

  it('Yes: only the repair role may write to it, with exactly the write actions its unit tests recorded', () => {
    expect(recordedWrites.length).toBeGreaterThan(10);
    expect(writers('repair')).toEqual({ [`${STACKSET_TEMPLATE}:RepairUserPoolLambdaRole`]: recordedWrites });
  });

  it('Yes: the boundary lets the StackSet roles write those actions to that pool, and no more', () => {
    expect(boundaryWrites('repair')).toEqual(recordedWrites);
  });

  it('the check reaches the pool (it is not vacuous): the export reads it in every rendering', () => {
    const reads = templateStatements(loadTemplate(STACKSET_TEMPLATE))
      .flatMap((statement) => reachingActions(statement, backedUpPool, values))
      .filter(isRead);
    expect(reads).toContain('cognito-idp:ListUsers');
  });
});
