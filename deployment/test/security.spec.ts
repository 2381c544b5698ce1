// SPDX-License-Identifier: Apache-2.0
/**
 * The security review's findings, one assertion per role or statement: the StackSet execution role is
 * reachable only from this installation's administration role and can create nothing broader than the
 * StackSet's own roles; wildcards are scoped or listed with a reason.
 */
import {
  isObject,
  loadTemplate,
  MAIN_TEMPLATE,
  resourcesOfType,
  STACKSET_TEMPLATE,
  type Json,
} from './support/cfn';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { actionMatches, lambdaFunctions, roleStatements } from './support/functions';
import { handlerSourceFile, SOURCE_DIR } from './support/handlers';
import { reachingActions, type ExistingResource } from './support/iam-reach';
import { templateStatements, trustStatements } from './support/policies';
import {
  LATEST_EXPORT_TIMESTAMP_ID,
  MARKED_WORKFLOWS,
  notificationMarkerId,
} from '../../source/workflow-common/lib/message-broker';

const main = loadTemplate(MAIN_TEMPLATE);
const stackSet = loadTemplate(STACKSET_TEMPLATE);
const execStatements = roleStatements(main, 'StackSetExecRole');
const json = (value: unknown): string => JSON.stringify(value);
const resourceText = (resource: Json): string => json(resource);
const INSTALLATION_TAG = { 'Fn::Sub': '${AWS::StackName}-${AWS::Region}' };
/** The tag values of this installation's StackSet functions and roles: its own, and those of version 1.0.10's constants. */
const INSTALLATION_TAGS = {
  StringLike: {
    'aws:ResourceTag/solution-id-SO0126': [
      INSTALLATION_TAG,
      ...['${AWS::Region}', '${SecondaryRegion}'].map((region) => ({
        'Fn::Sub': `StackSet-\${SolutionConstantsCustomResource.StackSetName}-????????-????-????-????-????????????-${region}`,
      })),
    ],
  },
};

/**
 * Every `Resource: "*"` of both templates, as `<template>:<owner>:<action>`, with the reason it cannot be
 * scoped. A new one fails the test until it is listed here with its reason.
 */
const CREATE_POOL_REASON =
  'CreateUserPool has no resource-level permissions (the pool has no ARN before it exists); the statement ' +
  'requires the restore-target and execution tags on the request (aws:RequestTag), and every action on the ' +
  'created pool requires the execution tag on it (aws:ResourceTag)';
const LIST_POOLS_REASON =
  'ListUserPools has no resource-level permissions; it answers pool names and ids only, so that a retried ' +
  'creation finds the pool its first attempt created';

const RESOURCE_STAR_ALLOWED: Record<string, string> = {
  [`${STACKSET_TEMPLATE}:ImportCheckNewUserPoolLambdaRole:cognito-idp:CreateUserPool`]: CREATE_POOL_REASON,
  [`${STACKSET_TEMPLATE}:ImportCheckNewUserPoolLambdaRole:cognito-idp:ListUserPools`]: LIST_POOLS_REASON,
  [`${MAIN_TEMPLATE}:StackSetRolesBoundary:cognito-idp:CreateUserPool`]: CREATE_POOL_REASON,
  [`${MAIN_TEMPLATE}:StackSetRolesBoundary:cognito-idp:ListUserPools`]: LIST_POOLS_REASON,
  [`${MAIN_TEMPLATE}:StackSetExecRole:tag:TagResources`]:
    'The Resource Groups Tagging API has no resource-level permissions; each tagged service still checks its own ' +
    'tagging action, which the execution role scopes to the installation',
  [`${MAIN_TEMPLATE}:StackSetExecRole:kms:CreateKey`]:
    'CreateKey has no resource-level permissions; the statement requires the installation tag on the request ' +
    '(aws:RequestTag), and every later action on the key requires it on the key (aws:ResourceTag)',
  ...Object.fromEntries(
    [`${MAIN_TEMPLATE}:StackSetRolesBoundary`, `${STACKSET_TEMPLATE}:RestoreDrillLambdaRole`].map((owner) => [
      `${owner}:states:ListStateMachines`,
      'ListStateMachines has no resource-level permissions; the restore drill lists the names to find the ' +
        "installation's ExportWorkflow (a generated name, maybe in the other Region) and reads nothing else with it",
    ]),
  ),
  ...Object.fromEntries(
    [
      `${MAIN_TEMPLATE}:StackSetRolesBoundary`,
      `${STACKSET_TEMPLATE}:WorkflowMessageBrokerLambdaRole`,
      `${STACKSET_TEMPLATE}:BackupHealthLambdaRole`,
      `${STACKSET_TEMPLATE}:RestoreDrillLambdaRole`,
    ].map((owner) => [
      `${owner}:cloudwatch:PutMetricData`,
      'PutMetricData has no resource-level permissions; the cloudwatch:namespace condition keeps it to the ' +
        "solution's metrics (iam.spec.ts checks the condition on every function role)",
    ]),
  ),
};

describe('StackSetExecRole (finding 1)', () => {
  const adminRoleName = main.Resources.StackSetAdminRole?.Properties?.RoleName;

  it('the administration role has a fixed name, so that the trust policy can name it', () => {
    expect(adminRoleName).toEqual({
      'Fn::Sub': 'StackSetAdmin-${SolutionConstantsCustomResource.SolutionInstanceUUID}',
    });
  });

  it('trusts only the administration role of this installation (aws:PrincipalArn), not the whole account', () => {
    expect(trustStatements(main, 'StackSetExecRole')).toEqual([
      {
        Effect: 'Allow',
        Action: ['sts:AssumeRole'],
        Resource: [],
        Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } },
        Condition: {
          ArnEquals: {
            'aws:PrincipalArn': {
              'Fn::Sub':
                'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/' +
                'StackSetAdmin-${SolutionConstantsCustomResource.SolutionInstanceUUID}',
            },
          },
        },
      },
    ]);
  });

  it('the administration role may assume the execution role and nothing else', () => {
    expect(roleStatements(main, 'StackSetAdminRole')).toEqual([
      {
        Effect: 'Allow',
        Action: ['sts:AssumeRole'],
        Resource: [{ 'Fn::GetAtt': ['StackSetExecRole', 'Arn'] }],
      },
    ]);
  });

  it('cannot attach or detach managed policies', () => {
    const granted = execStatements.flatMap((statement) => statement.Action);
    expect(granted.filter((action) => /^iam:(Attach|Detach)RolePolicy$/.test(action))).toEqual([]);
  });

  it('passes each role only to the service that assumes it (iam:PassedToService)', () => {
    const passRole = execStatements.filter((statement) => statement.Action.includes('iam:PassRole'));
    expect(passRole.map((statement) => statement.Action)).toEqual([
      ['iam:PassRole'],
      ['iam:PassRole'],
      ['iam:PassRole'],
    ]);
    expect(
      passRole.map((statement) => [
        statement.Condition?.StringEquals &&
          (statement.Condition.StringEquals as Record<string, Json>)['iam:PassedToService'],
        statement.Resource.map(resourceText).join(),
      ]),
    ).toEqual([
      ['lambda.amazonaws.com', expect.stringContaining(':role/StackSet-')],
      ['states.amazonaws.com', expect.stringContaining(':role/service-role/StackSet-')],
      ['events.amazonaws.com', expect.stringContaining(':role/StackSet-')],
    ]);
  });

  it('creates roles and writes their inline policies only with the StackSet roles boundary', () => {
    const writes = execStatements.filter((statement) =>
      statement.Action.some((action) =>
        /^iam:(CreateRole|PutRolePolicy|DeleteRolePolicy|PutRolePermissionsBoundary|DeleteRolePermissionsBoundary)$/.test(
          action,
        ),
      ),
    );
    expect(writes.map((statement) => [[...statement.Action].sort(), statement.Condition])).toEqual([
      // Created with the installation's tag...
      [
        ['iam:CreateRole'],
        {
          StringEquals: {
            'iam:PermissionsBoundary': { Ref: 'StackSetRolesBoundary' },
            'aws:RequestTag/solution-id-SO0126': INSTALLATION_TAG,
          },
        },
      ],
      // ...changed only while it carries it; a role of version 1.0.10 gets this boundary, and no other.
      [
        ['iam:DeleteRolePolicy', 'iam:PutRolePermissionsBoundary', 'iam:PutRolePolicy'],
        {
          StringEquals: { 'iam:PermissionsBoundary': { Ref: 'StackSetRolesBoundary' } },
          ...INSTALLATION_TAGS,
        },
      ],
    ]);
  });

  it('every role of the StackSet template carries that boundary, passed in by the main stack', () => {
    const roles = resourcesOfType(stackSet, 'AWS::IAM::Role');
    expect(roles.length).toBeGreaterThan(0);
    const unbounded = roles
      .filter(
        ([, role]) => json(role.Properties?.PermissionsBoundary) !== json({ Ref: 'PermissionsBoundaryArn' }),
      )
      .map(([id]) => id);
    expect(unbounded).toEqual([]);
    const parameters = main.Resources.StackSetManagerCustomResource?.Properties?.StackSetParameters;
    expect(isObject(parameters) && parameters.PermissionsBoundaryArn).toEqual({
      Ref: 'StackSetRolesBoundary',
    });
  });

  describe.each(['default', 'customer-key'] as const)(
    'the boundary is no broader than what the StackSet roles need (rendering: %s)',
    (choice) => {
      const boundary = templateStatements(loadTemplate(MAIN_TEMPLATE, choice)).filter(
        (statement) => statement.owner === 'StackSetRolesBoundary',
      );
      const boundaryActions = [...new Set(boundary.flatMap((statement) => statement.Action))];
      const stackSetRoleActions = templateStatements(loadTemplate(STACKSET_TEMPLATE, choice))
        .filter((statement) => statement.Effect === 'Allow')
        .flatMap((statement) => statement.Action.map((action) => ({ action, owner: statement.owner })));

      it('allows every action that a role of the StackSet template is given (or the role would be denied on AWS)', () => {
        const outside = stackSetRoleActions
          .filter(({ action }) => !boundaryActions.some((pattern) => actionMatches(pattern, action)))
          .map(({ owner, action }) => `${owner}: ${action} (add it to StackSetRolesBoundary)`);
        expect(outside).toEqual([]);
      });

      it('allows no action that no role of the StackSet template is given', () => {
        const unused = boundaryActions.filter(
          (pattern) => !stackSetRoleActions.some(({ action }) => actionMatches(pattern, action)),
        );
        expect(unused).toEqual([]);
      });

      it('has no wildcard action and no Resource "*" but for the metrics of its namespace', () => {
        expect(boundaryActions.filter((action) => action.includes('*'))).toEqual([]);
        // Only the actions that have no resource to name, each on the allow-list with its reason.
        expect(
          boundary
            .filter((statement) => statement.Resource.includes('*'))
            .flatMap((statement) =>
              statement.Action.map((action) => `${MAIN_TEMPLATE}:StackSetRolesBoundary:${action}`),
            )
            .filter((key) => RESOURCE_STAR_ALLOWED[key] === undefined),
        ).toEqual([]);
        // PutMetricData only in the solution's namespace.
        const metrics = boundary.filter((statement) => statement.Action.includes('cloudwatch:PutMetricData'));
        expect(metrics.map((statement) => statement.Condition)).toEqual([
          { StringEquals: { 'cloudwatch:namespace': 'CognitoUserProfilesExport' } },
        ]);
      });

      it('allows restore actions on a user pool only if it carries the restore-target tag', () => {
        const anyPool = boundary.filter((statement) =>
          statement.Resource.some((resource) => resourceText(resource).includes(':userpool/*')),
        );
        // Restoring into a tagged pool, and building a pool that a restore execution created (its execution tag).
        expect(anyPool.map((statement) => statement.Condition)).toEqual([
          { StringEquals: { 'aws:ResourceTag/cognito-backup-restore-target': 'true' } },
          // Deleting the scratch pool of a restore drill: created by a drill's import execution (issue 24).
          {
            StringEquals: { 'aws:ResourceTag/cognito-backup-restore-target': 'true' },
            StringLike: { 'aws:ResourceTag/cognito-backup-restore-execution': 'restore-drill-*' },
          },
          {
            StringEquals: { 'aws:ResourceTag/cognito-backup-restore-target': 'true' },
            Null: { 'aws:ResourceTag/cognito-backup-restore-execution': 'false' },
          },
        ]);
      });
    },
  );
});

describe('iam:PassRole in both templates', () => {
  /**
   * Every statement that allows iam:PassRole, as `<template>:<owner>`, with the one service it may pass to. Without
   * the condition, a role of the account (the group-role statements cover `role/*`) could be handed to any service
   * that accepts a role, Lambda or EC2 among them, and run with that role's permissions.
   */
  const PASSED_TO: Record<string, string[]> = {
    // One role, whose trust policy admits CloudFormation alone: no other service could use it (asserted below).
    [`${MAIN_TEMPLATE}:StackSetManagerCustomResourceLambdaRole`]: ['StackSetAdminRole only'],
    [`${MAIN_TEMPLATE}:StackSetExecRole`]: [
      'lambda.amazonaws.com',
      'states.amazonaws.com',
      'events.amazonaws.com',
    ],
    [`${MAIN_TEMPLATE}:StackSetRolesBoundary`]: ['cognito-idp.amazonaws.com', 'cognito-idp.amazonaws.com'],
    [`${STACKSET_TEMPLATE}:ImportCheckNewUserPoolLambdaRole`]: ['cognito-idp.amazonaws.com'],
    [`${STACKSET_TEMPLATE}:ImportScanTableLambdaRole`]: ['cognito-idp.amazonaws.com'],
    [`${STACKSET_TEMPLATE}:ImportNewUsersLambdaRole`]: ['cognito-idp.amazonaws.com'],
  };

  it.each(['default', 'customer-key'] as const)(
    'each statement names the one service it passes to (iam:PassedToService), rendering %s',
    (choice) => {
      const passing = [loadTemplate(MAIN_TEMPLATE, choice), loadTemplate(STACKSET_TEMPLATE, choice)]
        .flatMap(templateStatements)
        .filter(
          (statement) =>
            statement.Effect === 'Allow' &&
            statement.Action.some((action) => actionMatches(action, 'iam:PassRole')),
        );
      const found: Record<string, string[]> = {};
      for (const statement of passing) {
        const key = `${statement.template}:${statement.owner}`;
        const equals = statement.Condition?.StringEquals;
        const service = isObject(equals) ? equals['iam:PassedToService'] : undefined;
        const onlyAdminRole =
          json(statement.Resource) === json([{ 'Fn::GetAtt': ['StackSetAdminRole', 'Arn'] }]);
        (found[key] ??= []).push(
          typeof service === 'string'
            ? service
            : onlyAdminRole
              ? 'StackSetAdminRole only'
              : `no iam:PassedToService (${json(service)})`,
        );
      }
      expect(found).toEqual(PASSED_TO);
      expect(trustStatements(main, 'StackSetAdminRole').map((statement) => statement.Principal)).toEqual([
        { Service: 'cloudformation.amazonaws.com' },
      ]);
    },
  );
});

describe('StackSetExecRole wildcards (finding 2)', () => {
  it('has no service-wide action other than cloudformation:* on its own stack instances', () => {
    const wildcards = execStatements.filter((statement) =>
      statement.Action.some((action) => action.endsWith(':*')),
    );
    expect(wildcards.map((statement) => statement.Action)).toEqual([['cloudformation:*']]);
    expect(wildcards[0]?.Resource.map(resourceText)).toEqual([
      expect.stringContaining(':${AWS::Region}:${AWS::AccountId}:stack/StackSet-'),
      expect.stringContaining(':${SecondaryRegion}:${AWS::AccountId}:stack/StackSet-'),
    ]);
  });

  it('has no event-source-mapping actions (the StackSet template has no event source mapping)', () => {
    expect(resourcesOfType(stackSet, 'AWS::Lambda::EventSourceMapping')).toEqual([]);
    expect(
      execStatements
        .flatMap((statement) => statement.Action)
        .filter((action) => /EventSourceMapping/.test(action)),
    ).toEqual([]);
  });

  it('has no s3:PutBucketAcl (the buckets set no ACL)', () => {
    expect(execStatements.flatMap((statement) => statement.Action)).not.toContain('s3:PutBucketAcl');
    const withAcl = resourcesOfType(stackSet, 'AWS::S3::Bucket').filter(
      ([, bucket]) => bucket.Properties?.AccessControl,
    );
    expect(withAcl).toEqual([]);
  });

  it.each([
    [
      'sns',
      /:sns:.*cognito-user-profiles-export-reference-architecture-.*\$\{SolutionConstantsCustomResource\.SolutionInstanceUUID\}/,
    ],
    ['iam', /:role\/(service-role\/)?StackSet-/],
    ['states', /:stateMachine:(Import|Export|Repair|RestoreDrill)Workflow-\*/],
    ['lambda', /:function:StackSet-/],
    ['sqs', /-\$\{SolutionConstantsCustomResource\.SolutionInstanceUUID\}/],
    [
      'events',
      /:rule\/(ExportWorkflow|BackupHealth|RestoreDrill)Schedule-\$\{SolutionConstantsCustomResource\.SolutionInstanceUUID\}"/,
    ],
  ])('scopes every %s action to the installation', (service, pattern) => {
    const statements = execStatements.filter((statement) =>
      statement.Action.some((action) => action.startsWith(`${service}:`)),
    );
    expect(statements.length).toBeGreaterThan(0);
    const unscoped = statements.flatMap((statement) =>
      statement.Resource.filter((resource) => !pattern.test(resourceText(resource))),
    );
    expect(unscoped).toEqual([]);
  });

  it.each([
    'lambda:UpdateFunctionCode',
    'lambda:InvokeFunction',
    'lambda:DeleteFunction',
    'lambda:GetFunction',
    'iam:DeleteRole',
    'iam:GetRole',
  ])(
    '%s only on functions and roles tagged with this installation (aws:ResourceTag/solution-id-SO0126)',
    (action) => {
      const statements = execStatements.filter((statement) => statement.Action.includes(action));
      expect(statements.map((statement) => statement.Condition)).toEqual([INSTALLATION_TAGS]);
    },
  );

  it.each([
    ['lambda:CreateFunction', 'aws:RequestTag/solution-id-SO0126'],
    ['states:CreateStateMachine', 'aws:RequestTag/solution-id-SO0126'],
    ['states:UpdateStateMachine', 'aws:ResourceTag/solution-id-SO0126'],
    ['states:DeleteStateMachine', 'aws:ResourceTag/solution-id-SO0126'],
  ])('%s only on resources tagged with this installation (%s)', (action, key) => {
    const statements = execStatements.filter((statement) => statement.Action.includes(action));
    expect(statements.map((statement) => statement.Condition)).toEqual([
      { StringEquals: { [key]: INSTALLATION_TAG } },
    ]);
  });

  it('tags roles only on the StackSet role names, not on every role', () => {
    const tagRole = execStatements.filter((statement) => statement.Action.includes('iam:TagRole'));
    expect(tagRole.flatMap((statement) => statement.Resource)).not.toContain('*');
  });

  it('every resource of the StackSet template that the execution role scopes by tag carries that tag', () => {
    const tagged = [
      ...resourcesOfType(stackSet, 'AWS::Lambda::Function'),
      ...resourcesOfType(stackSet, 'AWS::StepFunctions::StateMachine'),
    ];
    const wrong = tagged
      .filter(
        ([, resource]) =>
          json(resource.Properties?.Tags) !==
          json([{ Key: 'solution-id-SO0126', Value: { 'Fn::Sub': '${ParentStackName}-${PrimaryRegion}' } }]),
      )
      .map(([id]) => id);
    expect(wrong).toEqual([]);
  });
});

describe("another installation's StackSet resources are outside every statement (issue 19)", () => {
  // Two installations whose stack names share their first 15 characters, and a StackSet of someone else's.
  const ACCOUNT = '111122223333';
  const OURS = 'cognito-user-profiles-prod';
  const THEIRS = 'cognito-user-profiles-test';
  const OUR_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
  const THEIR_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
  const INSTANCE_ID = 'f1219aba-9ea0-457c-bf9a-3a8ca78f79d5';
  const values: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': 'us-east-1',
    'AWS::AccountId': ACCOUNT,
    'AWS::StackName': OURS,
    SecondaryRegion: 'us-west-2',
    PrimaryUserPoolId: 'us-east-1_abc123',
    BackupTable: `${OURS}-BackupTable-1ABC`,
    StackSetRolesBoundary: `arn:aws:iam::${ACCOUNT}:policy/${OURS}-StackSetRolesBoundary-1ABC`,
    'SolutionConstantsCustomResource.FormattedStackName': OURS.slice(0, 15),
    'SolutionConstantsCustomResource.StackSetName': `${OURS}-StackSet`,
    'SolutionConstantsCustomResource.SolutionInstanceUUID': OUR_ID,
    'SolutionConstantsCustomResource.UserImportJobMappingFileBucketPrefix': `${OURS.slice(0, 15)}-import-jobs-70867728950e`,
  };
  const prefix = `StackSet-${OURS.slice(0, 15)}`;
  const theirTags = { 'solution-id-SO0126': `${THEIRS}-us-east-1` };
  const ourTags = { 'solution-id-SO0126': `${OURS}-us-east-1` };
  const arn = (service: string, region: string, rest: string) =>
    `arn:aws:${service}:${region}:${ACCOUNT}:${rest}`;

  /** Resources of the other installation (and of a foreign StackSet with the same prefix), by what they are. */
  const theirs: [string, ExistingResource][] = [
    [
      'a role',
      {
        service: 'iam',
        arn: `arn:aws:iam::${ACCOUNT}:role/${prefix}-ImportScanTableLambdaRole-1A2B`,
        tags: theirTags,
      },
    ],
    [
      'a workflow role',
      {
        service: 'iam',
        arn: `arn:aws:iam::${ACCOUNT}:role/service-role/${prefix}-ImportWorkflowServiceRole-1A2B`,
        tags: theirTags,
      },
    ],
    [
      "version 1.0.10's constants role",
      {
        service: 'iam',
        arn: `arn:aws:iam::${ACCOUNT}:role/${prefix}-StackSetConstantsCustomResourceLa-1A2B`,
        tags: { 'solution-id-SO0126': `StackSet-${THEIRS}-StackSet-${INSTANCE_ID}-us-east-1` },
      },
    ],
    [
      "a foreign StackSet's untagged role",
      { service: 'iam', arn: `arn:aws:iam::${ACCOUNT}:role/${prefix}-SomeRole-1A2B`, tags: {} },
    ],
    ...(['us-east-1', 'us-west-2'] as const).map((region): [string, ExistingResource] => [
      `a function (${region})`,
      {
        service: 'lambda',
        arn: arn('lambda', region, `function:${prefix}-ExportUsersLambda-1A2B`),
        tags: theirTags,
      },
    ]),
    [
      'a stack instance',
      {
        service: 'cloudformation',
        arn: arn('cloudformation', 'us-east-1', `stack/StackSet-${THEIRS}-StackSet-${INSTANCE_ID}/1`),
        tags: {},
      },
    ],
    [
      'the stack instance of a StackSet whose name extends ours',
      {
        service: 'cloudformation',
        arn: arn(
          'cloudformation',
          'us-west-2',
          `stack/StackSet-${OURS}-StackSet-x-StackSet-${INSTANCE_ID}/1`,
        ),
        tags: {},
      },
    ],
    ...(['us-east-1', 'us-west-2'] as const).flatMap((region): [string, ExistingResource][] => [
      [
        `a log group (${region})`,
        {
          service: 'logs',
          arn: arn('logs', region, `log-group:/cognito-user-profiles-export/${THEIR_ID}/ExportUsersLambda:*`),
          tags: theirTags,
        },
      ],
      [
        `a log stream (${region})`,
        {
          service: 'logs',
          arn: arn(
            'logs',
            region,
            `log-group:/cognito-user-profiles-export/${THEIR_ID}/ExportUsersLambda:log-stream:2026/12/07/x`,
          ),
          tags: {},
        },
      ],
      [
        `a log group with a generated name (${region})`,
        {
          service: 'logs',
          arn: arn('logs', region, `log-group:${prefix}-ExportUsersLambdaLogGroup-1A2B:*`),
          tags: theirTags,
        },
      ],
    ]),
    [
      'the export schedule',
      {
        service: 'events',
        arn: arn('events', 'us-east-1', `rule/ExportWorkflowSchedule-${THEIR_ID}`),
        tags: {},
      },
    ],
    [
      "version 1.0.10's export schedule",
      {
        service: 'events',
        arn: arn('events', 'us-east-1', `rule/${prefix}-ExportWorkflowEventRule-1A2B`),
        tags: {},
      },
    ],
  ];

  /** The same kinds of resources of this installation: each is reached by some statement (the check is not vacuous). */
  const ours: [string, ExistingResource][] = [
    [
      'a role',
      {
        service: 'iam',
        arn: `arn:aws:iam::${ACCOUNT}:role/${prefix}-ImportScanTableLambdaRole-9Z8Y`,
        tags: ourTags,
      },
    ],
    [
      "version 1.0.10's constants role",
      {
        service: 'iam',
        arn: `arn:aws:iam::${ACCOUNT}:role/${prefix}-StackSetConstantsCustomResourceLa-9Z8Y`,
        tags: { 'solution-id-SO0126': `StackSet-${OURS}-StackSet-${INSTANCE_ID}-us-west-2` },
      },
    ],
    [
      'a function',
      {
        service: 'lambda',
        arn: arn('lambda', 'us-west-2', `function:${prefix}-ExportUsersLambda-9Z8Y`),
        tags: ourTags,
      },
    ],
    [
      'a stack instance',
      {
        service: 'cloudformation',
        arn: arn('cloudformation', 'us-west-2', `stack/StackSet-${OURS}-StackSet-${INSTANCE_ID}/1`),
        tags: {},
      },
    ],
    [
      'a log stream',
      {
        service: 'logs',
        arn: arn(
          'logs',
          'us-east-1',
          `log-group:/cognito-user-profiles-export/${OUR_ID}/ExportUsersLambda:log-stream:x`,
        ),
        tags: {},
      },
    ],
    [
      'the export schedule',
      {
        service: 'events',
        arn: arn('events', 'us-east-1', `rule/ExportWorkflowSchedule-${OUR_ID}`),
        tags: {},
      },
    ],
  ];

  /** Statements that reach every resource of their kind by design, with the reason. */
  const BY_DESIGN: Record<string, string> = {
    'StackSetRolesBoundary:PassGroupRolesToCognito':
      'a restored group keeps its backed-up role, which can be any role of the account; it is passed to Cognito only',
    'StackSetExecRole:logs:DescribeLogGroups':
      'a listing of log group names, read only; CloudFormation lists the log groups to find the one it manages',
  };
  const byDesign = (statement: { owner: string; Sid?: string }, actions: string[]) =>
    (statement.Sid !== undefined && BY_DESIGN[`${statement.owner}:${statement.Sid}`] !== undefined) ||
    actions.every((action) => BY_DESIGN[`${statement.owner}:${action}`] !== undefined);

  const statements = templateStatements(main);
  const reaching = (resource: ExistingResource) =>
    statements.flatMap((statement) => {
      const actions = reachingActions(statement, resource, values);
      return actions.length === 0 || byDesign(statement, actions)
        ? []
        : [`${statement.owner}: ${actions.join(', ')}`];
    });

  it('the two stack names share the 15 characters that generated names keep', () => {
    expect(`StackSet-${THEIRS.slice(0, 15)}`).toBe(prefix);
  });

  it.each(theirs)('%s: outside every statement', (_kind, resource) => {
    expect(reaching(resource)).toEqual([]);
  });

  it.each(ours)('%s of this installation is reached (the check is not vacuous)', (_kind, resource) => {
    expect(reaching(resource).length).toBeGreaterThan(0);
  });
});

describe('Resource "*" in both templates', () => {
  it.each([
    [MAIN_TEMPLATE, 'default'],
    [STACKSET_TEMPLATE, 'default'],
    [MAIN_TEMPLATE, 'customer-key'],
    [STACKSET_TEMPLATE, 'customer-key'],
  ] as const)('%s (%s rendering): each one is on the allow-list, with a reason', (file, choice) => {
    const star = templateStatements(loadTemplate(file, choice))
      .filter((statement) => statement.Resource.includes('*'))
      .flatMap((statement) => statement.Action.map((action) => `${file}:${statement.owner}:${action}`));
    expect(star.filter((key) => !RESOURCE_STAR_ALLOWED[key])).toEqual([]);
  });

  it('the allow-list has no stale entry', () => {
    const star = [MAIN_TEMPLATE, STACKSET_TEMPLATE].flatMap((file) =>
      templateStatements(loadTemplate(file))
        .filter((statement) => statement.Resource.includes('*'))
        .flatMap((statement) => statement.Action.map((action) => `${file}:${statement.owner}:${action}`)),
    );
    expect(Object.keys(RESOURCE_STAR_ALLOWED).filter((key) => !star.includes(key))).toEqual([]);
  });
});

describe('import roles act only on pools tagged as restore targets (finding 3)', () => {
  const RESTORE_TARGET = { StringEquals: { 'aws:ResourceTag/cognito-backup-restore-target': 'true' } };
  /** A pool that an ImportWorkflow execution created (CreateUserPool): the backed-up pool never carries the execution tag. */
  const CREATED_RESTORE_TARGET = {
    StringEquals: { 'aws:ResourceTag/cognito-backup-restore-target': 'true' },
    Null: { 'aws:ResourceTag/cognito-backup-restore-execution': 'false' },
  };
  /** A scratch pool of a restore drill: created by an import execution the drill named (issue 24). */
  const DRILL_SCRATCH_POOL = {
    StringEquals: { 'aws:ResourceTag/cognito-backup-restore-target': 'true' },
    StringLike: { 'aws:ResourceTag/cognito-backup-restore-execution': 'restore-drill-*' },
  };
  const CREATE_RESTORE_TARGET = {
    StringEquals: { 'aws:RequestTag/cognito-backup-restore-target': 'true' },
    Null: { 'aws:RequestTag/cognito-backup-restore-execution': 'false' },
  };
  const PRIMARY_POOL = '${StackSetConstantsCustomResource.PrimaryUserPoolId}';
  const cognitoStatements = templateStatements(stackSet).filter((statement) =>
    statement.Action.some((action) => action.startsWith('cognito-idp:')),
  );

  it('every Cognito statement of the StackSet template names the backed-up pool or has the tag condition', () => {
    const unguarded = cognitoStatements
      .filter(
        (statement) => !statement.Resource.every((resource) => resourceText(resource).includes(PRIMARY_POOL)),
      )
      .filter(
        (statement) =>
          json(statement.Condition) !== json(RESTORE_TARGET) &&
          json(statement.Condition) !== json(CREATED_RESTORE_TARGET) &&
          json(statement.Condition) !== json(DRILL_SCRATCH_POOL) &&
          json(statement.Condition) !== json(CREATE_RESTORE_TARGET),
      )
      .map((statement) => `${statement.owner}: ${statement.Action.join(', ')}`);
    // ListUserPools reads names and ids of the account's pools, nothing of their users.
    expect(unguarded).toEqual(['ImportCheckNewUserPoolLambdaRole: cognito-idp:ListUserPools']);
  });

  it.each([
    'ImportCheckNewUserPoolLambdaRole',
    'ImportScanTableLambdaRole',
    'ImportNewUsersLambdaRole',
    'ImportCheckImportJobLambdaRole',
    'ImportUpdateNewUsersLambdaRole',
  ])('%s: its Cognito statement has the tag condition', (roleId) => {
    const statements = roleStatements(stackSet, roleId).filter((statement) =>
      statement.Action.some((action) => action.startsWith('cognito-idp:')),
    );
    expect(statements.length).toBeGreaterThan(0);
    // The creator of restore targets also has the statements of the creation (see the test above).
    const reading = statements.filter(
      (statement) =>
        json(statement.Condition) !== json(CREATED_RESTORE_TARGET) &&
        json(statement.Condition) !== json(CREATE_RESTORE_TARGET) &&
        !statement.Resource.includes('*'),
    );
    expect(reading.length).toBeGreaterThan(0);
    expect(reading.map((statement) => statement.Condition)).toEqual(reading.map(() => RESTORE_TARGET));
  });

  it('the check of the new pool knows the backed-up pool id', () => {
    const environment = stackSet.Resources.ImportCheckNewUserPoolLambda?.Properties?.Environment;
    expect(
      isObject(environment) && isObject(environment.Variables) && environment.Variables.PRIMARY_USER_POOL_ID,
    ).toEqual({
      'Fn::GetAtt': ['StackSetConstantsCustomResource', 'PrimaryUserPoolId'],
    });
  });
});

describe('uncaught errors are scrubbed (finding 6)', () => {
  it.each(lambdaFunctions().map((fn) => [fn.logicalId, fn.handler] as const))(
    '%s: the handler that createHandler returns goes through scrubErrors',
    (_id, handler) => {
      const source = readFileSync(handlerSourceFile(handler), 'utf8');
      expect(source).toMatch(/return scrubErrors\(\s*async \(/);
      expect(source.match(/return async \(/g) ?? []).toEqual([]);
    },
  );
});

describe('data protection (finding 4)', () => {
  it('dead-letter queues keep a message 4 days, not 14', () => {
    const deadLetterTargets = [main, stackSet].flatMap((template) =>
      resourcesOfType(template, 'AWS::SQS::Queue').flatMap(([, queue]) => {
        const redrive = queue.Properties?.RedrivePolicy;
        const target = isObject(redrive) ? redrive.deadLetterTargetArn : undefined;
        const id =
          isObject(target) && Array.isArray(target['Fn::GetAtt'])
            ? String(target['Fn::GetAtt'][0])
            : undefined;
        return id === undefined ? [] : [template.Resources[id]];
      }),
    );
    expect(deadLetterTargets.length).toBeGreaterThan(0);
    expect(deadLetterTargets.map((queue) => queue?.Properties?.MessageRetentionPeriod)).toEqual(
      deadLetterTargets.map(() => 345600),
    );
  });

  it('the import-job files expire after ImportJobFilesRetentionDays (default 30), old versions too', () => {
    expect(main.Parameters.ImportJobFilesRetentionDays?.Default).toBe(30);
    const parameters = main.Resources.StackSetManagerCustomResource?.Properties?.StackSetParameters;
    expect(isObject(parameters) && parameters.ImportJobFilesRetentionDays).toEqual({
      Ref: 'ImportJobFilesRetentionDays',
    });
    const bucket = stackSet.Resources.UserImportJobMappingFiles?.Properties ?? {};
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    // One rule per prefix; the restore reports have their own (operator-outputs.spec.ts).
    const rules = (
      isObject(bucket.LifecycleConfiguration) ? bucket.LifecycleConfiguration.Rules : []
    ) as Json[];
    expect(
      rules.filter(
        (rule) => isObject(rule) && rule.Prefix !== 'restore-reports/' && rule.Prefix !== 'repair-reports/',
      ),
    ).toEqual([
      expect.objectContaining({
        Prefix: 'import-',
        Status: 'Enabled',
        ExpirationInDays: { Ref: 'ImportJobFilesRetentionDays' },
        NoncurrentVersionExpiration: { NoncurrentDays: { Ref: 'ImportJobFilesRetentionDays' } },
      }),
      expect.objectContaining({
        Prefix: 'restore-ledger/',
        ExpirationInDays: { Ref: 'ImportJobFilesRetentionDays' },
      }),
      expect.objectContaining({
        Prefix: 'restore-work/',
        ExpirationInDays: { Ref: 'ImportJobFilesRetentionDays' },
      }),
      // The point-in-time exports of AsOf restores (a copy of the backup).
      expect.objectContaining({
        Prefix: 'point-in-time-exports/',
        ExpirationInDays: { Ref: 'ImportJobFilesRetentionDays' },
        NoncurrentVersionExpiration: { NoncurrentDays: { Ref: 'ImportJobFilesRetentionDays' } },
      }),
      // A restore drill's sample (a copy of part of the backup).
      expect.objectContaining({
        Prefix: 'restore-drill-samples/',
        ExpirationInDays: { Ref: 'ImportJobFilesRetentionDays' },
        NoncurrentVersionExpiration: { NoncurrentDays: { Ref: 'ImportJobFilesRetentionDays' } },
      }),
      // Added with AllowRepair: the repair plans name users.
      expect.objectContaining({
        Prefix: 'repair-plans/',
        ExpirationInDays: { Ref: 'ImportJobFilesRetentionDays' },
      }),
    ]);
    // The repair reports map old subs to new ones, as the restore reports do.
    expect(rules).toContainEqual(
      expect.objectContaining({
        Prefix: 'repair-reports/',
        ExpirationInDays: { Ref: 'RestoreReportRetentionDays' },
      }),
    );
  });

  it('the access logs expire after ImportJobFilesRetentionDays', () => {
    expect(
      stackSet.Resources.UserImportJobMappingFilesLogsBucket?.Properties?.LifecycleConfiguration,
    ).toEqual({
      Rules: [
        expect.objectContaining({
          Status: 'Enabled',
          ExpirationInDays: { Ref: 'ImportJobFilesRetentionDays' },
        }),
      ],
    });
  });

  it('no upload overrides the bucket default encryption with AES256', () => {
    const uploaders = lambdaFunctions()
      .map((fn) => fn.handler.split('/')[0] ?? '')
      .filter((pkg, index, all) => all.indexOf(pkg) === index);
    const overriding = uploaders.flatMap((pkg) =>
      readdirSync(join(SOURCE_DIR, pkg, 'lib'))
        .filter((file) => file.endsWith('.ts'))
        .filter((file) =>
          /ServerSideEncryption:\s*'AES256'/.test(readFileSync(join(SOURCE_DIR, pkg, 'lib', file), 'utf8')),
        )
        .map((file) => `${pkg}/lib/${file}`),
    );
    expect(overriding).toEqual([]);
  });
});

describe('conditions on trust and data access (finding 5)', () => {
  /** Service principals whose trust policies carry no aws:SourceAccount/aws:SourceArn, with the reason. */
  const TRUST_WITHOUT_SOURCE: Record<string, string> = {
    'lambda.amazonaws.com':
      'Lambda does not document aws:SourceArn/aws:SourceAccount for the assumption of an execution role; ' +
      'a condition Lambda does not set would deny every invocation. Only this stack can pass the role (iam:PassRole).',
  };

  it.each([MAIN_TEMPLATE, STACKSET_TEMPLATE])(
    '%s: every other service trust policy has aws:SourceAccount and aws:SourceArn',
    (file) => {
      const template = loadTemplate(file);
      const missing = resourcesOfType(template, 'AWS::IAM::Role').flatMap(([id]) =>
        trustStatements(template, id)
          .filter(
            (statement) => isObject(statement.Principal) && typeof statement.Principal.Service === 'string',
          )
          .filter(
            (statement) =>
              !TRUST_WITHOUT_SOURCE[String((statement.Principal as Record<string, Json>).Service)],
          )
          .filter((statement) => {
            const condition = json(statement.Condition ?? {});
            return (
              !condition.includes('"aws:SourceAccount":{"Ref":"AWS::AccountId"}') ||
              !condition.includes('aws:SourceArn')
            );
          })
          .map(() => id),
      );
      expect(missing).toEqual([]);
    },
  );

  it('the message broker writes only the latest-export-timestamp item and its notification markers (dynamodb:LeadingKeys)', () => {
    const writes = roleStatements(stackSet, 'WorkflowMessageBrokerLambdaRole').filter((statement) =>
      statement.Action.includes('dynamodb:PutItem'),
    );
    const markers = MARKED_WORKFLOWS.map((workflow) => ({
      'Fn::Sub': notificationMarkerId(workflow, '${AWS::Region}'),
    }));
    expect(writes.map((statement) => statement.Condition)).toEqual([
      { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [LATEST_EXPORT_TIMESTAMP_ID, ...markers] } },
    ]);
    // No user, group or membership key can match: their ids start with USER-, GROUP- and GROUP_MEMBER-.
    expect(markers.map((marker) => marker['Fn::Sub'])).toEqual([
      'latest-notification-ExportWorkflow-${AWS::Region}',
      'latest-notification-ImportWorkflow-${AWS::Region}',
    ]);
  });

  it('code and template reads from the solution buckets require a bucket of this account (s3:ResourceAccount)', () => {
    const reads = templateStatements(main).filter(
      (statement) => statement.owner !== 'StackSetRolesBoundary' && statement.Action.includes('s3:GetObject'),
    );
    expect(reads.map((statement) => statement.owner).sort()).toEqual([
      'StackSetExecRole',
      'StackSetManagerCustomResourceLambdaRole',
    ]);
    expect(reads.map((statement) => statement.Condition)).toEqual(
      reads.map(() => ({ StringEquals: { 's3:ResourceAccount': { Ref: 'AWS::AccountId' } } })),
    );
  });

  it('the StackSet parameters that the main stack fills are constrained', () => {
    expect(stackSet.Parameters.SendAnonymousData?.AllowedValues).toEqual(['Yes', 'No']);
    expect(stackSet.Parameters.ParentStackName?.AllowedPattern).toBe('^[a-zA-Z][-a-zA-Z0-9]{0,127}$');
  });

  it('the execution role suppresses no cfn_nag rule it does not need (F3 gone with the wildcard actions)', () => {
    const metadata = main.Resources.StackSetExecRole?.Metadata?.cfn_nag;
    const rules =
      isObject(metadata) && Array.isArray(metadata.rules_to_suppress) ? metadata.rules_to_suppress : [];
    expect(rules.map((rule) => (isObject(rule) ? rule.id : rule))).toEqual(['W11', 'W76']);
  });
});
