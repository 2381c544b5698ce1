// SPDX-License-Identifier: Apache-2.0
/**
 * CloudWatch metric alarms, evaluated by the harness: no local emulator evaluates alarms, so the run reads
 * the alarms the stack-set template defines (AWS::CloudWatch::Alarm, properties resolved as the deployment
 * resolved them) and evaluates each against the data points the product put with PutMetricData
 * (fake-services.ts records them). What it follows, from the CloudWatch User Guide ("Using Amazon CloudWatch
 * alarms": evaluating an alarm, configuring how alarms treat missing data, avoiding premature transitions):
 *
 * - Each period of `Period` seconds gives one data point: the alarm's statistic over the data put in it
 *   (Minimum, Maximum, Average, Sum, SampleCount); a period without data is a missing data point.
 * - The alarm is in ALARM when at least `DatapointsToAlarm` (M, default `EvaluationPeriods`) of the last
 *   `EvaluationPeriods` (N) data points breach the threshold ("M out of N"), else OK.
 * - CloudWatch retrieves more data points than N, its evaluation range (5 in the guide's examples with
 *   N = 3); here N + 2. When at least N real data points are in the range, the most recent N real ones are
 *   evaluated and TreatMissingData plays no part. With fewer, every real data point of the range is
 *   evaluated and the missing ones are filled in, as few as possible (N minus the real ones), as
 *   TreatMissingData says: `breaching` as breaching, `notBreaching` as within the threshold; `missing` and
 *   `ignore` fill nothing.
 * - When every data point of the range is missing: `missing` gives INSUFFICIENT_DATA, `ignore` keeps the
 *   current state, `breaching` ALARM, `notBreaching` OK. A new alarm starts in INSUFFICIENT_DATA.
 * - Premature alarm: with `missing`, when the oldest breaching data point of the last N periods is at least
 *   M periods old and every more recent one is breaching or missing, the alarm goes to ALARM even with
 *   fewer than M real data points; `ignore` keeps the current state there instead.
 * - The default TreatMissingData is `missing`. (Alarms on AWS/DynamoDB metrics always ignore missing data;
 *   no alarm of this solution watches one.)
 *
 * The periods here end at the evaluation time, one after another backwards: the run evaluates right after
 * the workflows put their data, so the latest period holds it.
 */
import type { MetricDatum } from './fake-services';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type TreatMissingData = 'breaching' | 'notBreaching' | 'ignore' | 'missing';
export type AlarmStatistic = 'Minimum' | 'Maximum' | 'Average' | 'Sum' | 'SampleCount';
export type ComparisonOperator =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

export interface MetricAlarm {
  logicalId: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  statistic: AlarmStatistic;
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparison: ComparisonOperator;
  treatMissingData: TreatMissingData;
}

export class AlarmDefinitionError extends Error {
  override readonly name = 'AlarmDefinitionError';
}

const STATISTICS: readonly string[] = ['Minimum', 'Maximum', 'Average', 'Sum', 'SampleCount'];
const COMPARISONS: readonly string[] = [
  'GreaterThanThreshold',
  'GreaterThanOrEqualToThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
];
const TREATMENTS: readonly string[] = ['breaching', 'notBreaching', 'ignore', 'missing'];

const number = (value: unknown): number | undefined => {
  const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : undefined;
};

/**
 * A metric alarm from its resolved AWS::CloudWatch::Alarm properties. Alarms on metric math (`Metrics`),
 * extended statistics or anomaly bands are not what this solution defines: they are refused by name.
 */
export function metricAlarm(logicalId: string, props: Record<string, unknown>): MetricAlarm {
  const problems: string[] = [];
  const text = (key: string): string => {
    const value = props[key];
    if (typeof value !== 'string' || value === '') problems.push(`${key} is missing`);
    return typeof value === 'string' ? value : '';
  };
  const namespace = text('Namespace');
  const metricName = text('MetricName');
  const statistic = text('Statistic');
  if (statistic !== '' && !STATISTICS.includes(statistic))
    problems.push(`Statistic ${statistic} is not evaluated`);
  const comparison = text('ComparisonOperator');
  if (comparison !== '' && !COMPARISONS.includes(comparison))
    problems.push(`ComparisonOperator ${comparison} is not evaluated`);
  const treatMissingData =
    props.TreatMissingData === undefined
      ? 'missing'
      : JSON.stringify(props.TreatMissingData).replace(/^"|"$/g, '');
  if (!TREATMENTS.includes(treatMissingData))
    problems.push(`TreatMissingData ${treatMissingData} is not valid`);
  const periodSeconds = number(props.Period);
  const evaluationPeriods = number(props.EvaluationPeriods);
  const threshold = number(props.Threshold);
  if (periodSeconds === undefined || periodSeconds <= 0) problems.push('Period must be a positive number');
  if (evaluationPeriods === undefined || evaluationPeriods < 1)
    problems.push('EvaluationPeriods must be at least 1');
  if (threshold === undefined) problems.push('Threshold must be a number');
  const datapointsToAlarm =
    props.DatapointsToAlarm === undefined ? evaluationPeriods : number(props.DatapointsToAlarm);
  if (
    datapointsToAlarm === undefined ||
    datapointsToAlarm < 1 ||
    datapointsToAlarm > (evaluationPeriods ?? 0)
  )
    problems.push('DatapointsToAlarm must be from 1 to EvaluationPeriods');
  const dimensions: Record<string, string> = {};
  for (const dimension of Array.isArray(props.Dimensions) ? (props.Dimensions as unknown[]) : []) {
    const { Name: name, Value: value } = (dimension ?? {}) as { Name?: unknown; Value?: unknown };
    if (typeof name === 'string' && typeof value === 'string') dimensions[name] = value;
    else problems.push('a dimension lacks its Name or Value');
  }
  if (problems.length > 0) throw new AlarmDefinitionError(`${logicalId}: ${problems.join('; ')}`);
  return {
    logicalId,
    namespace,
    metricName,
    dimensions,
    statistic: statistic as AlarmStatistic,
    periodSeconds: periodSeconds as number,
    evaluationPeriods: evaluationPeriods as number,
    datapointsToAlarm: datapointsToAlarm as number,
    threshold: threshold as number,
    comparison: comparison as ComparisonOperator,
    treatMissingData: treatMissingData as TreatMissingData,
  };
}

function statisticOf(statistic: AlarmStatistic, values: readonly number[]): number {
  switch (statistic) {
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'SampleCount':
      return values.length;
  }
}

function breaches(alarm: MetricAlarm, value: number): boolean {
  switch (alarm.comparison) {
    case 'GreaterThanThreshold':
      return value > alarm.threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= alarm.threshold;
    case 'LessThanThreshold':
      return value < alarm.threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= alarm.threshold;
  }
}

const sameDimensions = (a: Record<string, string>, b: Record<string, string>): boolean =>
  Object.keys(a).length === Object.keys(b).length &&
  Object.entries(a).every(([key, value]) => b[key] === value);

/** The range's data points, newest first: true breaching, false within the threshold, undefined missing. */
export function dataPoints(
  alarm: MetricAlarm,
  data: readonly MetricDatum[],
  now: number,
): (boolean | undefined)[] {
  const periodMs = alarm.periodSeconds * 1000;
  const range = alarm.evaluationPeriods + 2;
  const buckets: number[][] = Array.from({ length: range }, () => []);
  for (const datum of data) {
    if (
      datum.namespace !== alarm.namespace ||
      datum.metricName !== alarm.metricName ||
      !sameDimensions(datum.dimensions, alarm.dimensions)
    )
      continue;
    const age = now - datum.timestamp;
    // A datum up to a minute ahead of the evaluation (clocks of two processes) counts in the latest period.
    const index = age < 0 ? (age >= -60_000 ? 0 : -1) : Math.floor(age / periodMs);
    if (index >= 0 && index < range) buckets[index]?.push(datum.value);
  }
  return buckets.map((values) =>
    values.length === 0 ? undefined : breaches(alarm, statisticOf(alarm.statistic, values)),
  );
}

/** The alarm's state at `now`, from the data put so far; `previous` is the state it had (a new alarm's first). */
export function evaluateAlarm(
  alarm: MetricAlarm,
  data: readonly MetricDatum[],
  now: number,
  previous: AlarmState = 'INSUFFICIENT_DATA',
): AlarmState {
  const points = dataPoints(alarm, data, now);
  const n = alarm.evaluationPeriods;
  const m = alarm.datapointsToAlarm;
  const real = points.filter((point): point is boolean => point !== undefined);
  if (real.length >= n) return real.slice(0, n).filter(Boolean).length >= m ? 'ALARM' : 'OK';
  const treat = alarm.treatMissingData;
  if (real.length === 0) {
    if (treat === 'breaching') return 'ALARM';
    if (treat === 'notBreaching') return 'OK';
    return treat === 'ignore' ? previous : 'INSUFFICIENT_DATA';
  }
  if (treat === 'missing' || treat === 'ignore') {
    const recent = points.slice(0, n);
    const oldestBreaching = recent.lastIndexOf(true);
    const premature =
      oldestBreaching + 1 >= m && recent.slice(0, oldestBreaching).every((point) => point !== false);
    if (premature) return treat === 'ignore' ? previous : 'ALARM';
  }
  const filled = treat === 'breaching' ? n - real.length : 0;
  return real.filter(Boolean).length + filled >= m ? 'ALARM' : 'OK';
}

/** Every alarm's state by logical id. */
export function alarmStates(
  alarms: readonly MetricAlarm[],
  data: readonly MetricDatum[],
  now: number,
): Record<string, AlarmState> {
  return Object.fromEntries(alarms.map((alarm) => [alarm.logicalId, evaluateAlarm(alarm, data, now)]));
}
