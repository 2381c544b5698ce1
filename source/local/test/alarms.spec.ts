// SPDX-License-Identifier: Apache-2.0
/**
 * The harness's alarm evaluation against the cases of the CloudWatch User Guide's tables on missing data
 * (evaluation range 5, EvaluationPeriods 3, DatapointsToAlarm 3 or 2; the most recent data point on the
 * right; premature alarm state) and against the drill alarm as the stack-set template defines it.
 */
import { AlarmDefinitionError, evaluateAlarm, metricAlarm, type MetricAlarm } from '../aws/alarms';
import type { MetricDatum } from '../aws/fake-services';

const NOW = Date.UTC(2026, 11, 8, 3, 0, 0);
const PERIOD_MS = 300_000;

const alarm = (overrides: Partial<MetricAlarm> = {}): MetricAlarm => ({
  logicalId: 'Example',
  namespace: 'Example',
  metricName: 'Errors',
  dimensions: { Table: 't' },
  statistic: 'Maximum',
  periodSeconds: 300,
  evaluationPeriods: 3,
  datapointsToAlarm: 3,
  threshold: 0,
  comparison: 'GreaterThanThreshold',
  treatMissingData: 'missing',
  ...overrides,
});

/** `0 - X`, oldest first as the guide writes them: 0 within the threshold, X breaching, - missing. */
function data(pattern: string): MetricDatum[] {
  const points = pattern.split(' ');
  return points.flatMap((point, index) => {
    if (point === '-') return [];
    const age = (points.length - 1 - index) * PERIOD_MS + 1_000;
    return [
      {
        namespace: 'Example',
        metricName: 'Errors',
        dimensions: { Table: 't' },
        timestamp: NOW - age,
        value: point === 'X' ? 1 : 0,
      },
    ];
  });
}

const TREATMENTS = ['missing', 'ignore', 'breaching', 'notBreaching'] as const;

describe('evaluateAlarm: 3 out of 3, as the guide’s first table (previous state INSUFFICIENT_DATA)', () => {
  it.each([
    ['0 - X - X', ['OK', 'OK', 'OK', 'OK']],
    ['0 - - - -', ['OK', 'OK', 'OK', 'OK']],
    ['- - - - -', ['INSUFFICIENT_DATA', 'INSUFFICIENT_DATA', 'ALARM', 'OK']],
    ['0 X X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['- - X - -', ['ALARM', 'INSUFFICIENT_DATA', 'ALARM', 'OK']],
  ])('%s', (pattern, states) => {
    for (const [index, treat] of TREATMENTS.entries()) {
      expect([treat, evaluateAlarm(alarm({ treatMissingData: treat }), data(pattern), NOW)]).toEqual([
        treat,
        states[index],
      ]);
    }
  });
});

describe('evaluateAlarm: 2 out of 3, as the guide’s second table', () => {
  it.each([
    ['0 X X 0 X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['0 0 X 0 X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['- - X 0 -', ['OK', 'OK', 'ALARM', 'OK']],
    ['0 - - - -', ['OK', 'OK', 'ALARM', 'OK']],
    ['- - - X -', ['ALARM', 'INSUFFICIENT_DATA', 'ALARM', 'OK']],
  ])('%s', (pattern, states) => {
    for (const [index, treat] of TREATMENTS.entries()) {
      const evaluated = evaluateAlarm(
        alarm({ treatMissingData: treat, datapointsToAlarm: 2 }),
        data(pattern),
        NOW,
      );
      expect([treat, evaluated]).toEqual([treat, states[index]]);
    }
  });

  it('keeps the current state under ignore where missing data decides', () => {
    expect(evaluateAlarm(alarm({ treatMissingData: 'ignore' }), data('- - - - -'), NOW, 'OK')).toBe('OK');
    expect(evaluateAlarm(alarm({ treatMissingData: 'ignore' }), data('- - X - -'), NOW, 'OK')).toBe('OK');
  });
});

describe('evaluateAlarm: periods and statistics', () => {
  const point = (value: number, ageMs: number, dimensions = { Table: 't' }): MetricDatum => ({
    namespace: 'Example',
    metricName: 'Errors',
    dimensions,
    timestamp: NOW - ageMs,
    value,
  });
  const one = alarm({ evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: 'notBreaching' });

  it('aggregates a period with its statistic', () => {
    const both = [point(0, 1_000), point(2, 2_000)];
    expect(evaluateAlarm({ ...one, statistic: 'Maximum' }, both, NOW)).toBe('ALARM');
    expect(evaluateAlarm({ ...one, statistic: 'Minimum' }, both, NOW)).toBe('OK');
    expect(evaluateAlarm({ ...one, statistic: 'Average', threshold: 0.9 }, both, NOW)).toBe('ALARM');
    expect(evaluateAlarm({ ...one, statistic: 'Sum', threshold: 2 }, both, NOW)).toBe('OK');
    expect(evaluateAlarm({ ...one, statistic: 'SampleCount', threshold: 1 }, both, NOW)).toBe('ALARM');
  });

  it.each([
    ['GreaterThanOrEqualToThreshold', 1, 'ALARM'],
    ['GreaterThanOrEqualToThreshold', 0, 'OK'],
    ['LessThanThreshold', 0, 'ALARM'],
    ['LessThanOrEqualToThreshold', 1, 'ALARM'],
    ['LessThanOrEqualToThreshold', 2, 'OK'],
  ] as const)('%s with %d against threshold 1: %s', (comparison, value, state) => {
    expect(evaluateAlarm({ ...one, comparison, threshold: 1 }, [point(value, 1_000)], NOW)).toBe(state);
  });

  it('counts only the data of its metric and dimensions, and none older than its range', () => {
    const others = [
      point(5, 1_000, { Table: 'another' }),
      { ...point(5, 1_000), metricName: 'Other' },
      { ...point(5, 1_000), namespace: 'Other' },
      // Older than the range (EvaluationPeriods + 2 periods).
      point(5, 3 * PERIOD_MS + 1_000),
      // Further ahead than a clock's drift.
      point(5, -120_000),
    ];
    expect(evaluateAlarm({ ...one, treatMissingData: 'missing' }, others, NOW)).toBe('INSUFFICIENT_DATA');
    expect(evaluateAlarm(one, [point(5, -30_000)], NOW)).toBe('ALARM');
  });
});

describe('metricAlarm', () => {
  // RestoreDrillFailedAlarm as the stack-set template defines it, resolved.
  const drillFailed = {
    AlarmName: 'cognito-user-profiles-export-abc-restore-drill-failed',
    Namespace: 'CognitoUserProfilesExport',
    MetricName: 'LastDrillSucceeded',
    Dimensions: [{ Name: 'BackupTable', Value: 'table' }],
    Statistic: 'Minimum',
    Period: 3600,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'LessThanThreshold',
    TreatMissingData: 'notBreaching',
  };
  const drillDatum = (value: number): MetricDatum => ({
    namespace: 'CognitoUserProfilesExport',
    metricName: 'LastDrillSucceeded',
    dimensions: { BackupTable: 'table' },
    timestamp: NOW - 5_000,
    value,
  });

  it('reads the drill alarm: a failed drill is ALARM, a successful one OK, none yet OK', () => {
    const defined = metricAlarm('RestoreDrillFailedAlarm', drillFailed);
    expect(defined).toMatchObject({ datapointsToAlarm: 1, evaluationPeriods: 1, threshold: 1 });
    expect(evaluateAlarm(defined, [drillDatum(0)], NOW)).toBe('ALARM');
    expect(evaluateAlarm(defined, [drillDatum(1)], NOW)).toBe('OK');
    expect(evaluateAlarm(defined, [], NOW)).toBe('OK');
  });

  it('takes numbers given as strings (resolved parameters) and defaults TreatMissingData to missing', () => {
    const { TreatMissingData: _treat, ...rest } = drillFailed;
    const defined = metricAlarm('A', { ...rest, Threshold: '48', DatapointsToAlarm: '1' });
    expect(defined).toMatchObject({ threshold: 48, datapointsToAlarm: 1, treatMissingData: 'missing' });
  });

  it('names every problem of a definition it cannot evaluate', () => {
    expect(() =>
      metricAlarm('Bad', {
        Namespace: 'N',
        Statistic: 'p99',
        ComparisonOperator: 'LessThanLowerThreshold',
        TreatMissingData: 'sometimes',
        Period: 0,
        EvaluationPeriods: 2,
        DatapointsToAlarm: 3,
        Dimensions: [{ Name: 'BackupTable' }],
      }),
    ).toThrow(
      new AlarmDefinitionError(
        'Bad: MetricName is missing; Statistic p99 is not evaluated; ComparisonOperator LessThanLowerThreshold ' +
          'is not evaluated; TreatMissingData sometimes is not valid; Period must be a positive number; ' +
          'Threshold must be a number; DatapointsToAlarm must be from 1 to EvaluationPeriods; a dimension ' +
          'lacks its Name or Value',
      ),
    );
  });
});
