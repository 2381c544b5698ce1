// SPDX-License-Identifier: Apache-2.0
/**
 * CloudFormation custom-resource protocol: one router for Create/Update/Delete handlers and one
 * response sender used by every custom resource, synchronous or not.
 *
 * Why not `cfn-response-promise`: it sets Content-Length to the JavaScript string length (a
 * non-ASCII message truncates the body and CloudFormation then waits an hour for a response),
 * ignores the HTTP status, cannot retry, always uses port 443, prints the whole body and calls the
 * deprecated `context.done`. This sender keeps its body format and fixes those.
 */
import { createLogger, scrub, type Logger } from './logger';
import { realSleep, type Sleep } from './time';
import { RETRY_BUDGETS, withRetry } from './retry';
import { errorMessage } from './errors';

export type RequestType = 'Create' | 'Update' | 'Delete';
export const SUCCESS = 'SUCCESS';
export const FAILED = 'FAILED';
export type ResponseStatus = typeof SUCCESS | typeof FAILED;

export interface CustomResourceEvent<P = Record<string, unknown>> {
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- CloudFormation's three, and whatever else a request may carry (answered FAILED by the router)
  RequestType: RequestType | string;
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  PhysicalResourceId?: string;
  ResourceType?: string;
  ServiceToken?: string;
  ResourceProperties: P;
  OldResourceProperties?: P;
}

export interface CustomResourceContext {
  logStreamName: string;
}

export type ResponseData = Record<string, unknown>;

/**
 * The fields of a request that a response needs. The asynchronous responders (Step Functions
 * tasks) carry only these, not the whole request.
 */
export type ResponseTarget = Pick<
  CustomResourceEvent,
  'ResponseURL' | 'StackId' | 'RequestId' | 'LogicalResourceId' | 'PhysicalResourceId'
>;

export interface CustomResourceResponse {
  status: ResponseStatus;
  data: ResponseData;
}

export interface CfnResponseBody {
  Status: ResponseStatus;
  Reason: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  NoEcho?: boolean;
  Data: ResponseData;
}

/**
 * The physical id a resource keeps for its whole life: the one CloudFormation already holds
 * (Update, Delete), or the logical id on Create. A changed id on Update would make CloudFormation
 * treat the resource as replaced and delete the "old" one.
 */
export function stablePhysicalResourceId(
  event: Pick<CustomResourceEvent, 'PhysicalResourceId' | 'LogicalResourceId'>,
): string {
  return event.PhysicalResourceId || event.LogicalResourceId;
}

/** CloudFormation accepts at most 4,096 bytes for a whole response; keep the reason well inside it. */
const MAX_REASON_CHARS = 1000;

export function buildResponseBody(
  event: ResponseTarget,
  response: CustomResourceResponse,
  logStreamName: string,
): CfnResponseBody {
  const pointer = `See the details in CloudWatch Log Stream: ${logStreamName}`;
  const error = response.status === FAILED ? response.data.Error : undefined;
  const reason =
    typeof error === 'string' && error ? `${error.slice(0, MAX_REASON_CHARS)} (${pointer})` : pointer;
  return {
    Status: response.status,
    Reason: reason,
    PhysicalResourceId: stablePhysicalResourceId(event),
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: response.data,
  };
}

export interface SendResponseDeps {
  fetch?: typeof fetch;
  sleep?: Sleep;
  logger?: Logger;
  maxAttempts?: number;
}

/** The ResponseURL is not a pre-signed URL of CloudFormation's response bucket in the stack's Region. */
export class UntrustedResponseUrlError extends Error {
  override readonly name = 'UntrustedResponseUrlError';
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The domain of S3's endpoints in each partition a stack can live in. */
const S3_DOMAIN: Readonly<Record<string, string>> = {
  aws: 'amazonaws.com',
  'aws-us-gov': 'amazonaws.com',
  'aws-cn': 'amazonaws.com.cn',
};

/**
 * The virtual-hosted-style hosts of `bucket` in `region`, as the S3 User Guide documents them ("Virtual hosting of
 * general purpose buckets", its "Legacy endpoints" part, and "Using Amazon S3 dual-stack endpoints"):
 * - `<bucket>.s3.<region>.<domain>`, the regional form, in every partition (`amazonaws.com.cn` in China);
 * - `<bucket>.s3-<region>.amazonaws.com`, the dash form, which some older Regions still answer (a "legacy endpoint");
 * - `<bucket>.s3.amazonaws.com`, the legacy global endpoint, which exists only in the `aws` partition;
 * - `<bucket>.s3.dualstack.<region>.<domain>`, the IPv4/IPv6 form, in every partition.
 * Path-style hosts (`s3.amazonaws.com`, `s3.<region>.amazonaws.com`, `s3-<region>.amazonaws.com`,
 * `s3.dualstack.<region>.amazonaws.com`) are not in the list: they take the bucket from the URL's path, so any bucket,
 * an attacker's too, could receive the response through them. FIPS, access-point and website hosts are not either:
 * CloudFormation does not answer through them.
 */
function virtualHostedHosts(bucket: string, region: string, partition: string): string[] {
  const domain = S3_DOMAIN[partition];
  if (domain === undefined) return [];
  return [
    `${bucket}.s3.${region}.${domain}`,
    `${bucket}.s3.dualstack.${region}.${domain}`,
    ...(domain === 'amazonaws.com' ? [`${bucket}.s3-${region}.${domain}`] : []),
    ...(partition === 'aws' ? [`${bucket}.s3.${domain}`] : []),
  ];
}

/**
 * The response (with the resource's Data) goes only to CloudFormation's response bucket of the stack's
 * Region (`cloudformation-custom-resource-response-<region without dashes>`, one of the virtual-hosted S3 hosts
 * above, https, default port), or to a loopback address (the local harness; nothing sent there leaves the
 * function's host). A request that names any other URL is answered nowhere, so that invoking the function
 * directly cannot make it send data to a host of the caller's choosing.
 */
export function checkResponseUrl(responseUrl: string, stackId: string): void {
  let url: URL;
  try {
    url = new URL(responseUrl);
  } catch (error) {
    throw new UntrustedResponseUrlError('The ResponseURL is not a URL', { cause: error });
  }
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return;
  const arn = /^arn:(aws[a-z-]*):cloudformation:([a-z0-9-]+):/.exec(stackId);
  const hosts =
    arn?.[1] === undefined || arn[2] === undefined
      ? []
      : virtualHostedHosts(
          `cloudformation-custom-resource-response-${arn[2].replace(/-/g, '')}`,
          arn[2],
          arn[1],
        );
  if (url.protocol !== 'https:' || url.port !== '' || !hosts.includes(url.hostname)) {
    throw new UntrustedResponseUrlError(
      `The ResponseURL host (${url.protocol}//${url.hostname}) is not CloudFormation's response bucket of the stack's Region; no response was sent`,
    );
  }
}

/** PUTs the response to the pre-signed URL, retrying failures; throws only when every attempt failed. */
export async function sendCfnResponse(
  event: ResponseTarget,
  response: CustomResourceResponse,
  logStreamName: string,
  deps: SendResponseDeps = {},
): Promise<CfnResponseBody> {
  const logger = deps.logger ?? createLogger({ component: 'custom-resource' });
  checkResponseUrl(event.ResponseURL, event.StackId);
  const body = buildResponseBody(event, response, logStreamName);
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  await withRetry(
    async (attempt) => {
      const reply = await (deps.fetch ?? fetch)(event.ResponseURL, {
        method: 'PUT',
        headers: { 'content-type': '', 'content-length': String(bytes.length) },
        body: bytes,
        signal: AbortSignal.timeout(10_000),
      });
      if (!reply.ok) throw new ResponseRejectedError(reply.status, attempt);
    },
    {
      maxAttempts: deps.maxAttempts ?? RETRY_BUDGETS.cloudFormationResponse,
      baseDelayMs: 500,
      maxDelayMs: 8000,
      sleep: deps.sleep ?? realSleep,
      isRetryable: () => true,
      onRetry: ({ attempt, error }) =>
        logger.warn('Retrying the CloudFormation response', { attempt, error: errorMessage(error) }),
    },
  );
  logger.info('Answered CloudFormation', {
    status: body.Status,
    logicalResourceId: body.LogicalResourceId,
    physicalResourceId: body.PhysicalResourceId,
  });
  return body;
}

export class ResponseRejectedError extends Error {
  override readonly name = 'ResponseRejectedError';
  constructor(
    readonly status: number,
    attempt: number,
  ) {
    super(`CloudFormation's response URL answered HTTP ${status} (attempt ${attempt})`);
  }
}

export type CustomResourceHandler<P> = (
  event: CustomResourceEvent<P>,
  // A handler may return nothing (`void`): the response then carries no data.
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type
) => Promise<ResponseData | string | void> | ResponseData | string | void;

export type CustomResourceHandlers<P> = Partial<Record<RequestType, CustomResourceHandler<P>>>;

const REQUEST_TYPES: readonly string[] = ['Create', 'Update', 'Delete'];

/**
 * Runs the handler for the request type and always answers CloudFormation: SUCCESS with the
 * handler's data (a string becomes `Data.Message`), FAILED with `Data.Error` on any error or on an
 * unknown request type. Returns what was sent.
 */
export async function routeCustomResource<P>(
  event: CustomResourceEvent<P>,
  context: CustomResourceContext,
  handlers: CustomResourceHandlers<P>,
  deps: SendResponseDeps = {},
): Promise<CustomResourceResponse> {
  const logger = deps.logger ?? createLogger({ component: 'custom-resource' });
  let response: CustomResourceResponse;
  try {
    if (!REQUEST_TYPES.includes(event.RequestType)) {
      throw new Error(`Unsupported RequestType "${event.RequestType}"; expected Create, Update or Delete`);
    }
    const handler = handlers[event.RequestType as RequestType];
    const result = handler ? await handler(event) : `No action required for ${event.RequestType}`;
    const data: ResponseData =
      typeof result === 'string'
        ? result
          ? { Message: result }
          : {}
        : result && typeof result === 'object'
          ? result
          : {};
    response = { status: SUCCESS, data };
  } catch (error) {
    logger.error('Custom resource request failed', { requestType: event.RequestType, error });
    // The Reason shows in the stack's events: masked like a log line.
    response = { status: FAILED, data: { Error: scrub(errorMessage(error)) } };
  }
  await sendCfnResponse(event as CustomResourceEvent, response, context.logStreamName, { ...deps, logger });
  return response;
}
