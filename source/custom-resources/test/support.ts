// SPDX-License-Identifier: Apache-2.0
/** Test doubles shared by the custom-resources specs: HTTP, events, errors, a clock at the request time. */
import { fakeClock as clockAt } from '../../test-support/fake-clock';
import type { CustomResourceEvent } from '../../utils/custom-resource';

export const RESPONSE_URL =
  'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Aresp?X-Amz-Signature=abc';
export const STACK_ID =
  'arn:aws:cloudformation:us-east-1:111122223333:stack/my-stack/1c2fa620-982a-11e3-aff7-50e2416294e0';
export const LOG_STREAM = '2024/05/01/[$LATEST]0123456789abcdef';
export const REASON = `See the details in CloudWatch Log Stream: ${LOG_STREAM}`;

/**
 * The fixed-parameters document of the test installation, as the stack checker stores it: the 11
 * names of FIXED_PARAMETERS, in that order.
 */
export const FIXED_VALUES = {
  SecondaryRegion: 'eu-west-1',
  PrimaryUserPoolId: 'us-east-1_AbCdEf123',
  BackupTableName: 'my-stack-BackupTable-1ABC',
  AnonymousDataUUID: 'f0e1d2c3-b4a5-4968-8776-655443322110',
  ParentStackName: 'my-stack',
  FormattedStackName: 'my-stack',
  PrimaryRegion: 'us-east-1',
  ImportNewUsersQueueNamePrefix: 'import-new-users',
  SolutionInstanceUUID: '6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b',
  UserImportJobMappingFileBucketPrefix: 'my-stack-import-jobs-0c1d2e3f4a5b',
  ExportWorkflowQueueNamePrefix: 'export-workflow',
};

export interface RecordedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** The body as sent, decoded as UTF-8. */
  text: string;
  /** The body's length in bytes. */
  byteLength: number;
}

/**
 * A `fetch` that records every request. `reply` decides each answer (HTTP status, or an error to
 * throw, like a network failure); by default everything is 200.
 */
export function fakeFetch(reply: (request: RecordedRequest, index: number) => number | Error = () => 200) {
  const requests: RecordedRequest[] = [];
  const fetchFn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const raw = init?.body;
    const bytes =
      raw === undefined || raw === null
        ? Buffer.alloc(0)
        : typeof raw === 'string'
          ? Buffer.from(raw, 'utf8')
          : Buffer.from(raw as Uint8Array);
    const request: RecordedRequest = {
      url: typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
      text: bytes.toString('utf8'),
      byteLength: bytes.length,
    };
    requests.push(request);
    const answer = reply(request, requests.length - 1);
    if (answer instanceof Error) throw answer;
    return new Response(null, { status: answer });
  };
  return {
    fetch: fetchFn as typeof fetch,
    requests,
    /** The PUTs to CloudFormation's response URL. */
    cfnPuts: () => requests.filter((request) => request.method === 'PUT'),
    /** The JSON bodies of the PUTs to CloudFormation. */
    cfnBodies: () =>
      requests
        .filter((request) => request.method === 'PUT')
        .map((request) => JSON.parse(request.text) as unknown),
    metricPosts: () => requests.filter((request) => request.method === 'POST'),
  };
}

/** The shared fake clock, starting at the custom-resource tests' request time. */
export const fakeClock = (start = Date.parse('2024-05-01T12:00:00.000Z')) => clockAt(start);

export function cfnEvent<P>(
  overrides: Partial<CustomResourceEvent<P>> & { ResourceProperties: P },
): CustomResourceEvent<P> {
  return {
    RequestType: 'Create',
    ResponseURL: RESPONSE_URL,
    StackId: STACK_ID,
    RequestId: 'a4a5b7c2-6f77-4c5e-8d0f-0d7a0e5b1c11',
    LogicalResourceId: 'LogicalId',
    ResourceType: 'Custom::Test',
    ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:token',
    ...overrides,
  };
}

/** An AWS SDK-style service error. */
export function awsError(name: string, message = `${name} happened`, httpStatusCode?: number): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: 'client',
    $metadata: httpStatusCode === undefined ? {} : { httpStatusCode },
  });
}
