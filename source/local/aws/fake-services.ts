// SPDX-License-Identifier: Apache-2.0
/**
 * Small local stand-ins for the AWS APIs the Lambdas call besides the emulated data services:
 * Step Functions (StartExecution, DescribeExecution, ListExecutions, StopExecution, served from the
 * local executions), SSM parameters (GetParameter, PutParameter, DeleteParameter), CloudWatch's
 * PutMetricData (recorded, for the harness's alarm evaluation: alarms.ts) and the pre-signed URL a custom
 * resource answers CloudFormation on. One HTTP server on 127.0.0.1, JSON protocols as the SDK v3 clients
 * speak them (CloudWatch's client speaks JSON 1.0 under the target prefix GraniteServiceVersion20100801).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackService } from './loopback';
import type { Json } from '../deploy/cfn-template';
import {
  type ExecutionRecord,
  type ExecutionStatus,
  type LocalStepFunctions,
  StateMachineError,
} from './step-functions';

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

type Body = Record<string, unknown>;

const epochSeconds = (date: Date): number => date.getTime() / 1000;

function executionSummary(record: ExecutionRecord): Body {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epochSeconds(record.startDate),
    ...(record.stopDate ? { stopDate: epochSeconds(record.stopDate) } : {}),
  };
}

function requireString(body: Body, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw new ApiError(
      'ValidationException',
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

interface StoredParameter {
  value: string;
  type: string;
  version: number;
  modified: Date;
}

/** One data point a PutMetricData call put, as CloudWatch stores it. */
export interface MetricDatum {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  /** Milliseconds since the epoch: the datum's Timestamp, or the time it arrived when it had none. */
  timestamp: number;
  value: number;
  unit?: string;
}

const CLOUDWATCH_TARGET = 'GraniteServiceVersion20100801';

export interface CfnResponse {
  Status: string;
  Reason?: string;
  PhysicalResourceId?: string;
  Data?: Record<string, Json>;
  [other: string]: unknown;
}

export class FakeServices extends LoopbackService {
  /** Every deployment's executions, newest deployment first (several may run at once). */
  private readonly sfns: LocalStepFunctions[] = [];
  private readonly parameters = new Map<string, StoredParameter>();
  private readonly cfnResponses = new Map<string, (response: CfnResponse) => void>();
  private readonly metrics: MetricDatum[] = [];

  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {
    super();
  }

  protected serve(request: IncomingMessage, response: ServerResponse): void {
    void this.handle(request, response);
  }

  attachStepFunctions(sfn: LocalStepFunctions): void {
    this.sfns.unshift(sfn);
  }

  detachStepFunctions(sfn: LocalStepFunctions): void {
    const index = this.sfns.indexOf(sfn);
    if (index >= 0) this.sfns.splice(index, 1);
  }

  /** Every data point put so far (all deployments: the alarms tell theirs apart by dimension). */
  metricData(): readonly MetricDatum[] {
    return this.metrics;
  }

  deleteParameter(name: string): void {
    this.parameters.delete(name);
  }

  /** A URL a custom-resource handler can PUT its response to, and the response once it arrives. */
  cfnResponseUrl(): { url: string; response: Promise<CfnResponse> } {
    const id = `${Date.now()}-${Math.random().toString(16).slice(2)}`;
    const response = new Promise<CfnResponse>((resolve) => this.cfnResponses.set(id, resolve));
    return { url: `${this.endpoint}/cloudformation-response/${id}?X-Amz-Signature=local`, response };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (request.method === 'PUT' && url.pathname.startsWith('/cloudformation-response/')) {
      const resolve = this.cfnResponses.get(url.pathname.split('/')[2] ?? '');
      try {
        resolve?.(JSON.parse(text) as CfnResponse);
      } catch {
        resolve?.({ Status: 'INVALID', Reason: 'response body is not JSON' });
      }
      response.writeHead(resolve === undefined ? 404 : 200).end();
      return;
    }
    const target = String(request.headers['x-amz-target'] ?? '');
    const [service, operation] = target.split('.');
    const contentType =
      service === 'AWSStepFunctions' || service === CLOUDWATCH_TARGET
        ? 'application/x-amz-json-1.0'
        : 'application/x-amz-json-1.1';
    try {
      const body = (text === '' ? {} : JSON.parse(text)) as Body;
      let result: Body;
      if (service === 'AWSStepFunctions') result = this.stepFunctions(operation ?? '', body);
      else if (service === 'AmazonSSM') result = this.ssm(operation ?? '', body);
      else if (service === CLOUDWATCH_TARGET) result = this.cloudWatch(operation ?? '', body);
      else throw new ApiError('UnknownOperationException', `Unsupported target ${target}`);
      response.writeHead(200, { 'content-type': contentType }).end(JSON.stringify(result));
    } catch (error) {
      const failure =
        error instanceof ApiError
          ? error
          : error instanceof StateMachineError
            ? new ApiError(error.message.split(':')[0]?.replace(/ /g, '') ?? 'InvalidArn', error.message)
            : new ApiError('InternalServerError', (error as Error).message, 500);
      response
        .writeHead(failure.status, { 'content-type': contentType, 'x-amzn-errortype': failure.type })
        .end(JSON.stringify({ __type: failure.type, message: failure.message }));
    }
  }

  /** The executions of the deployment that owns the state machine or execution `arn`. */
  private requireSfn(
    arn: string,
  ): Pick<LocalStepFunctions, 'machine' | 'start' | 'describe' | 'stop' | 'list' | 'machineInfos'> {
    if (this.sfns.length === 0) throw new ApiError('ServiceUnavailable', 'No state machines are loaded', 503);
    const owner =
      this.sfns.find((sfn) => sfn.machine(arn) !== undefined || sfn.describe(arn) !== undefined) ??
      (this.sfns[0] as LocalStepFunctions);
    return owner;
  }

  private stepFunctions(operation: string, body: Body): Body {
    // The restore drill finds the ExportWorkflow by name and tag, and measures its import from the history.
    if (operation === 'ListStateMachines') {
      return {
        stateMachines: this.sfns.flatMap((sfn) =>
          sfn.machineInfos().map((info) => ({
            stateMachineArn: info.arn,
            name: info.name,
            type: 'STANDARD',
            creationDate: 0,
          })),
        ),
      };
    }
    if (operation === 'ListTagsForResource') {
      const arn = requireString(body, 'resourceArn');
      const info = this.requireSfn(arn).machine(arn);
      if (info === undefined) throw new ApiError('ResourceNotFound', `Resource not found: '${arn}'`);
      return { tags: Object.entries(info.tags ?? {}).map(([key, value]) => ({ key, value })) };
    }
    const sfn = this.requireSfn(
      typeof body.stateMachineArn === 'string'
        ? body.stateMachineArn
        : typeof body.executionArn === 'string'
          ? body.executionArn
          : '',
    );
    switch (operation) {
      case 'StartExecution': {
        const arn = requireString(body, 'stateMachineArn');
        if (sfn.machine(arn) === undefined) {
          throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
        }
        const input = typeof body.input === 'string' ? (JSON.parse(body.input) as Json) : {};
        const name = typeof body.name === 'string' ? body.name : undefined;
        const record = sfn.start(arn, input, name);
        return { executionArn: record.executionArn, startDate: epochSeconds(record.startDate) };
      }
      case 'DescribeExecution': {
        const arn = requireString(body, 'executionArn');
        const record = sfn.describe(arn);
        if (record === undefined)
          throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
        return {
          ...executionSummary(record),
          input: record.input,
          ...(record.output !== undefined ? { output: record.output } : {}),
          ...(record.error !== undefined ? { error: record.error } : {}),
          ...(record.cause !== undefined ? { cause: record.cause } : {}),
        };
      }
      case 'GetExecutionHistory': {
        const arn = requireString(body, 'executionArn');
        const record = sfn.describe(arn);
        if (record === undefined)
          throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
        // One page: the entered states are all a local execution's caller reads.
        return {
          events: record.entered.map((entry, index) => ({
            id: index + 1,
            type: 'TaskStateEntered',
            timestamp: epochSeconds(entry.timestamp),
            stateEnteredEventDetails: { name: entry.stateName, input: entry.input },
          })),
        };
      }
      case 'StopExecution': {
        const arn = requireString(body, 'executionArn');
        if (sfn.stop(arn) === undefined)
          throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
        return { stopDate: Date.now() / 1000 };
      }
      case 'ListExecutions': {
        const arn = requireString(body, 'stateMachineArn');
        if (sfn.machine(arn) === undefined) {
          throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
        }
        const status =
          typeof body.statusFilter === 'string' ? (body.statusFilter as ExecutionStatus) : undefined;
        const all = sfn.list(arn, status);
        const max =
          typeof body.maxResults === 'number' && body.maxResults > 0 ? Math.min(body.maxResults, 1000) : 100;
        const start = typeof body.nextToken === 'string' ? Number.parseInt(body.nextToken, 10) || 0 : 0;
        const page = all.slice(start, start + max);
        return {
          executions: page.map(executionSummary),
          ...(start + max < all.length ? { nextToken: String(start + max) } : {}),
        };
      }
      default:
        throw new ApiError(
          'UnknownOperationException',
          `Step Functions operation ${operation} is not emulated`,
        );
    }
  }

  private cloudWatch(operation: string, body: Body): Body {
    if (operation !== 'PutMetricData')
      throw new ApiError('UnknownOperationException', `CloudWatch operation ${operation} is not emulated`);
    const namespace = requireString(body, 'Namespace');
    const data = Array.isArray(body.MetricData) ? (body.MetricData as Body[]) : [];
    const arrived = Date.now();
    for (const datum of data) {
      const value = datum.Value;
      if (typeof value !== 'number') continue;
      const dimensions: Record<string, string> = {};
      for (const dimension of Array.isArray(datum.Dimensions) ? (datum.Dimensions as Body[]) : []) {
        if (typeof dimension.Name === 'string' && typeof dimension.Value === 'string')
          dimensions[dimension.Name] = dimension.Value;
      }
      this.metrics.push({
        namespace,
        metricName: requireString(datum, 'MetricName'),
        dimensions,
        // The JSON protocol sends timestamps as epoch seconds.
        timestamp: typeof datum.Timestamp === 'number' ? datum.Timestamp * 1000 : arrived,
        value,
        ...(typeof datum.Unit === 'string' ? { unit: datum.Unit } : {}),
      });
    }
    return {};
  }

  private ssm(operation: string, body: Body): Body {
    const name = requireString(body, 'Name');
    const arn = `arn:aws:ssm:${this.region}:${this.accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
    switch (operation) {
      case 'GetParameter': {
        const stored = this.parameters.get(name);
        if (stored === undefined) throw new ApiError('ParameterNotFound', '');
        return {
          Parameter: {
            Name: name,
            Type: stored.type,
            Value: stored.value,
            Version: stored.version,
            LastModifiedDate: epochSeconds(stored.modified),
            ARN: arn,
            DataType: 'text',
          },
        };
      }
      case 'PutParameter': {
        const existing = this.parameters.get(name);
        if (existing !== undefined && body.Overwrite !== true) {
          throw new ApiError(
            'ParameterAlreadyExists',
            'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
          );
        }
        const value = requireString(body, 'Value');
        const version = (existing?.version ?? 0) + 1;
        this.parameters.set(name, {
          value,
          type: typeof body.Type === 'string' ? body.Type : 'String',
          version,
          modified: new Date(),
        });
        return { Version: version, Tier: 'Standard' };
      }
      case 'DeleteParameter': {
        if (!this.parameters.delete(name)) throw new ApiError('ParameterNotFound', '');
        return {};
      }
      default:
        throw new ApiError('UnknownOperationException', `SSM operation ${operation} is not emulated`);
    }
  }
}
