// SPDX-License-Identifier: Apache-2.0
/**
 * The restore drill: a RestoreDrillWorkflow in the Region RestoreDrillRegion names, on the RestoreDrillFrequency
 * schedule, that runs the ImportWorkflow as it is and may delete only the scratch pools its imports created.
 */
import { isObject, loadRawTemplate, loadTemplate, STACKSET_TEMPLATE, type Json } from './support/cfn';
import { roleStatements } from './support/functions';

const raw = loadRawTemplate(STACKSET_TEMPLATE);
const stackSet = loadTemplate(STACKSET_TEMPLATE);
const DRILL_RESOURCES = Object.entries(raw.Resources)
  .filter(([id]) => id.startsWith('RestoreDrill') && !id.endsWith('Alarm'))
  .map(([id]) => id);

/** A condition of the template evaluated for a Region choice (the intrinsic functions it uses). */
function holds(name: string, values: { primary: boolean; frequency: string; region: string }): boolean {
  const evaluate = (value: Json): Json => {
    if (!isObject(value)) return value;
    if (typeof value.Condition === 'string') return holds(value.Condition, values);
    if (value.Ref === 'AWS::Region') return values.primary ? 'primary' : 'secondary';
    if (value.Ref === 'PrimaryRegion') return 'primary';
    if (value.Ref === 'RestoreDrillFrequency') return values.frequency;
    if (value.Ref === 'RestoreDrillRegion') return values.region;
    const [[fn, args]] = Object.entries(value) as [[string, Json[]]];
    const evaluated = args.map(evaluate);
    if (fn === 'Fn::Equals') return evaluated[0] === evaluated[1];
    if (fn === 'Fn::Not') return !evaluated[0];
    if (fn === 'Fn::And') return evaluated.every(Boolean);
    if (fn === 'Fn::Or') return evaluated.some(Boolean);
    throw new Error(`Unexpected ${fn}`);
  };
  return evaluate(raw.Conditions?.[name] ?? null) === true;
}

describe('where and when the drill runs', () => {
  it('every drill resource exists under DrillHere', () => {
    expect(DRILL_RESOURCES.sort()).toEqual(
      [
        'RestoreDrillLambda',
        'RestoreDrillLambdaLogGroup',
        'RestoreDrillLambdaRole',
        'RestoreDrillSchedule',
        'RestoreDrillScheduleRole',
        'RestoreDrillWorkflow',
        'RestoreDrillWorkflowServiceRole',
      ].sort(),
    );
    for (const id of DRILL_RESOURCES) expect([id, raw.Resources[id]?.Condition]).toEqual([id, 'DrillHere']);
  });

  it.each([
    ['EVERY_30_DAYS', 'SECONDARY', [false, true]],
    ['EVERY_7_DAYS', 'PRIMARY', [true, false]],
    ['NONE', 'SECONDARY', [false, false]],
    ['NONE', 'PRIMARY', [false, false]],
  ])(
    'RestoreDrillFrequency %s, RestoreDrillRegion %s: in the primary, in the secondary Region',
    (frequency, region, where) => {
      expect([true, false].map((primary) => holds('DrillHere', { primary, frequency, region }))).toEqual(
        where,
      );
    },
  );

  it('defaults to a monthly drill in the backup Region', () => {
    expect(raw.Parameters.RestoreDrillFrequency?.Default).toBe('EVERY_30_DAYS');
    expect(raw.Parameters.RestoreDrillRegion?.Default).toBe('SECONDARY');
  });

  it('starts on the RestoreDrillFrequency schedule, through a role that may start the drill only', () => {
    expect(raw.Resources.RestoreDrillSchedule?.Properties?.ScheduleExpression).toEqual({
      'Fn::If': ['DrillWeekly', 'rate(7 days)', 'rate(30 days)'],
    });
    expect(
      roleStatements(stackSet, 'RestoreDrillScheduleRole').map(({ Action, Resource }) => ({
        Action,
        Resource,
      })),
    ).toEqual([{ Action: ['states:StartExecution'], Resource: [{ Ref: 'RestoreDrillWorkflow' }] }]);
  });
});

describe('least privilege of the drill', () => {
  it('the drill function may act only on scratch pools: restore targets created by a restore-drill-* import', () => {
    const cognito = roleStatements(stackSet, 'RestoreDrillLambdaRole').filter((statement) =>
      statement.Action.some((action) => action.startsWith('cognito-idp:')),
    );
    expect(cognito).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'cognito-idp:DescribeUserPool',
          'cognito-idp:UpdateUserPool',
          'cognito-idp:DeleteUserPoolDomain',
          'cognito-idp:DeleteUserPool',
        ],
        Resource: [
          { 'Fn::Sub': 'arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/*' },
        ],
        Condition: {
          StringEquals: { 'aws:ResourceTag/cognito-backup-restore-target': 'true' },
          StringLike: { 'aws:ResourceTag/cognito-backup-restore-execution': 'restore-drill-*' },
        },
      },
    ]);
  });

  it("the drill's import executions are the only ones it reads, and the name it gives them matches the tag condition", () => {
    const history = roleStatements(stackSet, 'RestoreDrillLambdaRole').find((statement) =>
      statement.Action.includes('states:GetExecutionHistory'),
    );
    expect(history?.Resource).toEqual([
      {
        'Fn::Sub':
          'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${ImportWorkflow.Name}:restore-drill-*',
      },
    ]);
  });

  it('the workflow may start the ImportWorkflow, and watch or stop only the executions it names', () => {
    const statements = roleStatements(stackSet, 'RestoreDrillWorkflowServiceRole');
    expect(statements.map(({ Action, Resource }) => ({ Action, Resource }))).toEqual([
      { Action: ['lambda:InvokeFunction'], Resource: [{ 'Fn::GetAtt': ['RestoreDrillLambda', 'Arn'] }] },
      { Action: ['states:StartExecution'], Resource: [{ Ref: 'ImportWorkflow' }] },
      {
        Action: ['states:DescribeExecution', 'states:StopExecution'],
        Resource: [
          {
            'Fn::Sub':
              'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${ImportWorkflow.Name}:restore-drill-*',
          },
        ],
      },
      {
        Action: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        Resource: [
          {
            'Fn::Sub':
              'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
          },
        ],
      },
    ]);
  });
});
