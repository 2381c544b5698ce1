// SPDX-License-Identifier: Apache-2.0
/**
 * The backup's health: BackupHealthLambda puts the backup's age and the drills' outcome every hour, the alarms
 * notify the solution's topic when no export succeeded within twice the export interval or when a drill failed
 * or is overdue, and the dashboard shows these metrics and the workflows' executions. The metric names, the
 * namespace and the dimension are the ones the code puts (source/utils/backup-metrics.ts).
 */
import { BACKUP_DIMENSION, BACKUP_METRICS, METRIC_NAMESPACE } from '../../source/utils/backup-metrics';
import { BACKUP_HEALTH_ITEM_IDS } from '../../source/workflow-common/lib/backup-health';
import {
  isObject,
  loadRawTemplate,
  loadTemplate,
  renderConditions,
  STACKSET_TEMPLATE,
  type Json,
} from './support/cfn';
import { roleStatements } from './support/functions';

const raw = loadRawTemplate(STACKSET_TEMPLATE);
const stackSet = loadTemplate(STACKSET_TEMPLATE);
const properties = (id: string) => stackSet.Resources[id]?.Properties ?? {};

const TABLE = { 'Fn::GetAtt': ['StackSetConstantsCustomResource', 'BackupTableName'] };
const HEALTH_ALARMS = ['BackupAgeAlarm', 'RestoreDrillFailedAlarm', 'RestoreDrillOverdueAlarm'];

/** The value CloudFormation gives an `Fn::If` tree for these conditions. */
const pick = (value: Json | undefined, conditions: Record<string, boolean>): Json =>
  renderConditions(value ?? null, conditions);

/** The dashboard body as CloudFormation renders it: conditions chosen, names filled in with fakes. */
function dashboardBody(conditions: Record<string, boolean>): unknown {
  const names: Record<string, string> = {
    'AWS::Region': 'eu-west-1',
    ImportWorkflow: 'arn:import',
    ExportWorkflow: 'arn:export',
    RestoreDrillWorkflow: 'arn:drill',
  };
  const resolve = (value: Json, locals: Record<string, string> = {}): string => {
    if (typeof value === 'string') return value;
    if (!isObject(value)) throw new Error(`Unexpected ${JSON.stringify(value)}`);
    if (value['Fn::GetAtt'] !== undefined) return 'backup-table';
    const join = value['Fn::Join'];
    if (Array.isArray(join)) {
      const [separator, parts] = join as [string, Json[]];
      return parts.map((part) => resolve(part)).join(separator);
    }
    const sub = value['Fn::Sub'];
    if (sub !== undefined) {
      const [text, vars] = (typeof sub === 'string' ? [sub, {}] : sub) as [string, Record<string, Json>];
      const filled = { ...locals };
      for (const [name, entry] of Object.entries(vars)) filled[name] = resolve(entry);
      return text.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
        const found = filled[name] ?? names[name];
        if (found === undefined) throw new Error(`No value for \${${name}}`);
        return found;
      });
    }
    throw new Error(`Unexpected ${JSON.stringify(value)}`);
  };
  const body = pick(raw.Resources.Dashboard?.Properties?.DashboardBody, conditions);
  return JSON.parse(resolve(body)) as unknown;
}

interface Widget {
  properties: { title: string; metrics: (string | Record<string, unknown>)[][] };
}
const metricsOf = (body: unknown): string[][] =>
  (body as { widgets: Widget[] }).widgets.flatMap((widget) =>
    widget.properties.metrics.map((metric) =>
      metric.filter((part): part is string => typeof part === 'string'),
    ),
  );

describe('BackupHealthLambda', () => {
  it('runs every hour, in the primary Region, started by its own schedule only', () => {
    expect(raw.Resources.BackupHealthLambda?.Condition).toBe('IsPrimaryRegion');
    expect(properties('BackupHealthSchedule')).toMatchObject({
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Targets: [{ Arn: { 'Fn::GetAtt': ['BackupHealthLambda', 'Arn'] } }],
    });
    expect(properties('BackupHealthSchedulePermission')).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { Ref: 'BackupHealthLambda' },
      Principal: 'events.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: { 'Fn::GetAtt': ['BackupHealthSchedule', 'Arn'] },
    });
  });

  it('reads and writes only its own items of the backup table (dynamodb:LeadingKeys)', () => {
    const dynamodb = roleStatements(stackSet, 'BackupHealthLambdaRole').filter((statement) =>
      statement.Action.some((action) => action.startsWith('dynamodb:')),
    );
    expect(
      dynamodb.map((statement) => ({
        actions: statement.Action,
        keys: (statement.Condition?.['ForAllValues:StringEquals'] as Record<string, string[]>)[
          'dynamodb:LeadingKeys'
        ],
      })),
    ).toEqual([
      { actions: ['dynamodb:GetItem'], keys: ['latest-export-timestamp', 'latest-restore-drill'] },
      { actions: ['dynamodb:UpdateItem'], keys: ['backup-health-watch-started'] },
    ]);
    expect(dynamodb.flatMap((statement) => [...statement.Action])).toHaveLength(2);
    expect([...BACKUP_HEALTH_ITEM_IDS].sort()).toEqual(
      ['latest-export-timestamp', 'latest-restore-drill', 'backup-health-watch-started'].sort(),
    );
  });

  it('is told the drill frequency the alarms watch', () => {
    expect(properties('BackupHealthLambda').Environment).toMatchObject({
      Variables: { RESTORE_DRILL_FREQUENCY: { Ref: 'RestoreDrillFrequency' }, BACKUP_TABLE_NAME: TABLE },
    });
  });
});

describe('the backup health alarms', () => {
  it.each(HEALTH_ALARMS)('%s watches a metric the code puts and notifies the topic', (id) => {
    const alarm = properties(id);
    expect(alarm.Namespace).toBe(METRIC_NAMESPACE);
    expect(Object.keys(BACKUP_METRICS)).toContain(alarm.MetricName);
    expect(alarm.Dimensions).toEqual([{ Name: BACKUP_DIMENSION, Value: TABLE }]);
    expect(alarm.AlarmActions).toEqual([{ Ref: 'NotificationTopic' }]);
    expect(alarm.OKActions).toEqual([{ Ref: 'NotificationTopic' }]);
    expect(alarm.AlarmName).toEqual({
      'Fn::Sub': expect.stringMatching(
        /^cognito-user-profiles-export-\$\{SolutionInstanceUUID\}-[a-z-]+$/,
      ) as string,
    });
    // Within the 7 days an alarm may look back.
    expect(Number(alarm.Period) * Number(alarm.EvaluationPeriods)).toBeLessThanOrEqual(7 * 86_400);
  });

  it.each([
    ['EVERY_DAY', { ExportDaily: true, ExportWeekly: false }, 48],
    ['EVERY_7_DAYS', { ExportDaily: false, ExportWeekly: true }, 336],
    ['EVERY_30_DAYS', { ExportDaily: false, ExportWeekly: false }, 1440],
  ])(
    'ExportFrequency %s: alarms after twice the interval without a successful export',
    (_f, conditions, hours) => {
      const alarm = properties('BackupAgeAlarm');
      expect(alarm).toMatchObject({
        MetricName: 'BackupAgeHours',
        Statistic: 'Maximum',
        ComparisonOperator: 'GreaterThanThreshold',
        // The function stopped measuring: no data is no backup proven.
        TreatMissingData: 'breaching',
      });
      expect(pick(alarm.Threshold, conditions)).toBe(hours);
      expect(raw.Resources.BackupAgeAlarm?.Condition).toBe('IsPrimaryRegion');
    },
  );

  it.each([
    [{ DrillWeekly: true }, 7 * 24 + 24],
    [{ DrillWeekly: false }, 30 * 24 + 24],
  ])('a drill is overdue after its interval and a day (%o)', (conditions, hours) => {
    const alarm = properties('RestoreDrillOverdueAlarm');
    expect(alarm).toMatchObject({
      MetricName: 'DrillAgeHours',
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(pick(alarm.Threshold, conditions)).toBe(hours);
  });

  it('a failed drill alarms until a drill succeeds; no drill, no drill alarms', () => {
    expect(properties('RestoreDrillFailedAlarm')).toMatchObject({
      MetricName: 'LastDrillSucceeded',
      Statistic: 'Minimum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
    });
    for (const id of ['RestoreDrillFailedAlarm', 'RestoreDrillOverdueAlarm']) {
      expect(raw.Resources[id]?.Condition).toBe('WatchDrills');
    }
    expect(raw.Conditions?.WatchDrills).toEqual({
      'Fn::And': [{ Condition: 'IsPrimaryRegion' }, { Condition: 'DrillEnabled' }],
    });
    expect(raw.Conditions?.DrillEnabled).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'RestoreDrillFrequency' }, 'NONE'] }],
    });
  });
});

describe('the dashboard', () => {
  const primary = {
    IsPrimaryRegion: true,
    WatchDrills: true,
    DrillHere: false,
    ExportDaily: true,
    ExportWeekly: false,
  };
  const secondary = {
    IsPrimaryRegion: false,
    WatchDrills: false,
    DrillHere: true,
    ExportDaily: true,
    ExportWeekly: false,
  };

  it('is valid JSON in each Region, with the ImportWorkflow executions everywhere', () => {
    for (const conditions of [primary, secondary]) {
      expect(metricsOf(dashboardBody(conditions))).toEqual(
        expect.arrayContaining([
          ['AWS/States', 'ExecutionsSucceeded', 'StateMachineArn', 'arn:import'],
          ['AWS/States', 'ExecutionsFailed', 'StateMachineArn', 'arn:import'],
        ]),
      );
    }
  });

  it('shows every backup metric and the ExportWorkflow executions in the primary Region', () => {
    const metrics = metricsOf(dashboardBody(primary));
    for (const name of Object.keys(BACKUP_METRICS)) {
      expect(metrics).toContainEqual([METRIC_NAMESPACE, name, BACKUP_DIMENSION, 'backup-table']);
    }
    expect(metrics).toContainEqual(['AWS/States', 'ExecutionsFailed', 'StateMachineArn', 'arn:export']);
  });

  it('shows the drill executions where the drill runs only', () => {
    expect(metricsOf(dashboardBody(secondary))).toContainEqual([
      'AWS/States',
      'ExecutionsFailed',
      'StateMachineArn',
      'arn:drill',
    ]);
    expect(JSON.stringify(dashboardBody(primary))).not.toContain('arn:drill');
  });

  it('shows nothing of the export in the secondary Region (its resources are not there)', () => {
    const text = JSON.stringify(dashboardBody(secondary));
    expect(text).not.toContain('arn:export');
    expect(text).not.toContain(METRIC_NAMESPACE);
  });
});
