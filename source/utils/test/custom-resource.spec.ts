// SPDX-License-Identifier: Apache-2.0
import { createLogger } from '../logger';
import {
  checkResponseUrl,
  routeCustomResource,
  sendCfnResponse,
  UntrustedResponseUrlError,
  stablePhysicalResourceId,
  type CustomResourceEvent,
} from '../custom-resource';

const quiet = createLogger({}, { write: () => undefined });

function event(overrides: Partial<CustomResourceEvent> = {}): CustomResourceEvent {
  return {
    RequestType: 'Create',
    ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/presigned',
    StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/s/1',
    RequestId: 'request-1',
    LogicalResourceId: 'SolutionConstants',
    ResourceType: 'Custom::SolutionConstants',
    ResourceProperties: { StackName: 'stack' },
    ...overrides,
  };
}

/** Records each PUT; answers with the given statuses in turn (default 200). */
function fakeFetch(statuses: (number | Error)[] = []) {
  const puts: { url: string; headers: Record<string, string>; body: Buffer }[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    puts.push({ url, headers: init.headers as Record<string, string>, body: init.body as Buffer });
    const next = statuses.shift() ?? 200;
    if (next instanceof Error) throw next;
    return { ok: next >= 200 && next < 300, status: next } as Response;
  }) as unknown as typeof fetch;
  return { fn, puts, bodies: () => puts.map((p) => JSON.parse(p.body.toString('utf8'))) };
}

const noSleep = async () => undefined;

describe('routeCustomResource', () => {
  it.each(['Create', 'Update', 'Delete'])(
    'answers SUCCESS with a string result as Data.Message on %s',
    async (type) => {
      const f = fakeFetch();
      const handlers = { [type]: async () => 'response-to-cloudformation' };
      const physical = type === 'Create' ? {} : { PhysicalResourceId: 'existing-id' };
      const response = await routeCustomResource(
        event({ RequestType: type, ...physical }),
        { logStreamName: 'log-stream' },
        handlers,
        {
          fetch: f.fn,
          logger: quiet,
        },
      );
      expect(response).toEqual({ status: 'SUCCESS', data: { Message: 'response-to-cloudformation' } });
      expect(f.bodies()).toEqual([
        {
          Status: 'SUCCESS',
          Reason: 'See the details in CloudWatch Log Stream: log-stream',
          PhysicalResourceId: type === 'Create' ? 'SolutionConstants' : 'existing-id',
          StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/s/1',
          RequestId: 'request-1',
          LogicalResourceId: 'SolutionConstants',
          Data: { Message: 'response-to-cloudformation' },
        },
      ]);
      expect(f.puts[0]?.url).toBe(
        'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/presigned',
      );
    },
  );

  it('passes an object result through as Data', async () => {
    const f = fakeFetch();
    const response = await routeCustomResource(
      event(),
      { logStreamName: 'ls' },
      { Create: () => ({ A: '1', B: 2 }) },
      { fetch: f.fn, logger: quiet },
    );
    expect(response.data).toEqual({ A: '1', B: 2 });
    expect(f.bodies()[0].Data).toEqual({ A: '1', B: 2 });
  });

  it('answers SUCCESS with a no-action message for a known type without a handler, and {} for an empty result', async () => {
    const f = fakeFetch();
    await routeCustomResource(
      event({ RequestType: 'Delete', PhysicalResourceId: 'p' }),
      { logStreamName: 'ls' },
      {},
      { fetch: f.fn, logger: quiet },
    );
    await routeCustomResource(
      event(),
      { logStreamName: 'ls' },
      { Create: () => undefined },
      { fetch: f.fn, logger: quiet },
    );
    await routeCustomResource(
      event(),
      { logStreamName: 'ls' },
      { Create: () => '' },
      { fetch: f.fn, logger: quiet },
    );
    expect(f.bodies().map((b) => b.Data)).toEqual([{ Message: 'No action required for Delete' }, {}, {}]);
  });

  it('answers FAILED with the error message, and puts it in the Reason CloudFormation shows', async () => {
    const f = fakeFetch();
    const response = await routeCustomResource(
      event(),
      { logStreamName: 'ls' },
      {
        Create: async () => {
          throw new Error('unexpected error while handling create');
        },
      },
      { fetch: f.fn, logger: quiet },
    );
    expect(response).toEqual({ status: 'FAILED', data: { Error: 'unexpected error while handling create' } });
    expect(f.bodies()[0]).toMatchObject({
      Status: 'FAILED',
      Reason: 'unexpected error while handling create (See the details in CloudWatch Log Stream: ls)',
      PhysicalResourceId: 'SolutionConstants',
      Data: { Error: 'unexpected error while handling create' },
    });
  });

  it('rejects an unknown request type without running any handler', async () => {
    const f = fakeFetch();
    const create = jest.fn();
    const response = await routeCustomResource(
      event({ RequestType: 'Unexpected' }),
      { logStreamName: 'ls' },
      { Create: create },
      { fetch: f.fn, logger: quiet },
    );
    expect(create).not.toHaveBeenCalled();
    expect(response).toEqual({
      status: 'FAILED',
      data: { Error: 'Unsupported RequestType "Unexpected"; expected Create, Update or Delete' },
    });
    expect(f.bodies()[0].Status).toBe('FAILED');
  });
});

describe('sendCfnResponse', () => {
  it('sends a byte-correct Content-Length for non-ASCII messages', async () => {
    const f = fakeFetch();
    await sendCfnResponse(
      event(),
      { status: 'FAILED', data: { Error: 'Région non prise en charge ✓' } },
      'ls',
      { fetch: f.fn, logger: quiet },
    );
    const put = f.puts[0]!;
    expect(Number(put.headers['content-length'])).toBe(put.body.length);
    expect(put.body.length).toBeGreaterThan(JSON.stringify(JSON.parse(put.body.toString('utf8'))).length);
    expect(JSON.parse(put.body.toString('utf8')).Data.Error).toBe('Région non prise en charge ✓');
  });

  it('retries a failed PUT instead of leaving CloudFormation waiting', async () => {
    const f = fakeFetch([new Error('socket hang up'), 503, 200]);
    const sleeps: number[] = [];
    await sendCfnResponse(event(), { status: 'SUCCESS', data: {} }, 'ls', {
      fetch: f.fn,
      logger: quiet,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    expect(f.puts).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it('throws when every attempt failed', async () => {
    const f = fakeFetch([403, 403, 403]);
    await expect(
      sendCfnResponse(event(), { status: 'SUCCESS', data: {} }, 'ls', {
        fetch: f.fn,
        logger: quiet,
        sleep: noSleep,
        maxAttempts: 3,
      }),
    ).rejects.toThrow("CloudFormation's response URL answered HTTP 403 (attempt 3)");
    expect(f.puts).toHaveLength(3);
  });

  it('keeps the physical id CloudFormation already holds', () => {
    expect(stablePhysicalResourceId({ LogicalResourceId: 'L', PhysicalResourceId: 'P' })).toBe('P');
    expect(stablePhysicalResourceId({ LogicalResourceId: 'L' })).toBe('L');
  });
});

describe('checkResponseUrl', () => {
  const STACK = 'arn:aws:cloudformation:eu-west-1:111122223333:stack/s/1';
  const GOV_STACK = 'arn:aws-us-gov:cloudformation:us-gov-west-1:111122223333:stack/s/1';
  const CN_STACK = 'arn:aws-cn:cloudformation:cn-north-1:111122223333:stack/s/1';
  const EU = 'cloudformation-custom-resource-response-euwest1';
  const GOV = 'cloudformation-custom-resource-response-usgovwest1';
  const CN = 'cloudformation-custom-resource-response-cnnorth1';

  it.each([
    ['the legacy global host', STACK, `https://${EU}.s3.amazonaws.com/arn%3Ax?X-Amz-Signature=1`],
    ['the regional host (dot)', STACK, `https://${EU}.s3.eu-west-1.amazonaws.com/arn%3Ax`],
    ['the regional host (dash)', STACK, `https://${EU}.s3-eu-west-1.amazonaws.com/arn%3Ax`],
    ['the dual-stack host', STACK, `https://${EU}.s3.dualstack.eu-west-1.amazonaws.com/arn%3Ax`],
    ['GovCloud (dot)', GOV_STACK, `https://${GOV}.s3.us-gov-west-1.amazonaws.com/arn%3Ax`],
    ['GovCloud (dash)', GOV_STACK, `https://${GOV}.s3-us-gov-west-1.amazonaws.com/arn%3Ax`],
    ['GovCloud dual-stack', GOV_STACK, `https://${GOV}.s3.dualstack.us-gov-west-1.amazonaws.com/arn%3Ax`],
    ['China', CN_STACK, `https://${CN}.s3.cn-north-1.amazonaws.com.cn/arn%3Ax`],
    ['China dual-stack', CN_STACK, `https://${CN}.s3.dualstack.cn-north-1.amazonaws.com.cn/arn%3Ax`],
    ['the local harness', STACK, 'http://127.0.0.1:4566/cfn-response/1'],
  ])('accepts %s', (_case, stack, url) => {
    expect(() => checkResponseUrl(url, stack)).not.toThrow();
  });

  it.each([
    ['path-style, global host', STACK, `https://s3.amazonaws.com/${EU}/arn%3Ax`],
    ['path-style, regional host (dot)', STACK, `https://s3.eu-west-1.amazonaws.com/${EU}/arn%3Ax`],
    ['path-style, regional host (dash)', STACK, `https://s3-eu-west-1.amazonaws.com/${EU}/arn%3Ax`],
    ['path-style, dual-stack host', STACK, `https://s3.dualstack.eu-west-1.amazonaws.com/${EU}/arn%3Ax`],
    ['path-style, China', CN_STACK, `https://s3.cn-north-1.amazonaws.com.cn/${CN}/arn%3Ax`],
    ['the global host outside the aws partition', GOV_STACK, `https://${GOV}.s3.amazonaws.com/arn%3Ax`],
    ['China without .cn', CN_STACK, `https://${CN}.s3.cn-north-1.amazonaws.com/arn%3Ax`],
    ['.cn outside China', STACK, `https://${EU}.s3.eu-west-1.amazonaws.com.cn/arn%3Ax`],
    ['another Region in the host', STACK, `https://${EU}.s3.us-east-1.amazonaws.com/arn%3Ax`],
    ['a FIPS host', GOV_STACK, `https://${GOV}.s3-fips.us-gov-west-1.amazonaws.com/arn%3Ax`],
    ['a website host', STACK, `https://${EU}.s3-website-eu-west-1.amazonaws.com/arn%3Ax`],
    [
      'an unknown partition',
      'arn:aws-iso:cloudformation:us-iso-east-1:1:stack/s/1',
      `https://${EU}.s3.amazonaws.com/x`,
    ],
  ])('refuses %s', (_case, stack, url) => {
    expect(() => checkResponseUrl(url, stack)).toThrow(UntrustedResponseUrlError);
  });

  it.each([
    ['plain http to S3', 'http://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x'],
    ['another Region', 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x'],
    ['another bucket', 'https://attacker-bucket.s3.amazonaws.com/x'],
    [
      'a look-alike host',
      'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com.evil.example/x',
    ],
    ['another port', 'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com:8443/x'],
    ['no URL at all', 'not a url'],
  ])('refuses %s, and sendCfnResponse then sends nothing', async (_case, url) => {
    expect(() => checkResponseUrl(url, STACK)).toThrow(UntrustedResponseUrlError);
    const fetch = jest.fn();
    await expect(
      sendCfnResponse(
        { ResponseURL: url, StackId: STACK, RequestId: 'r', LogicalResourceId: 'L' },
        { status: 'SUCCESS', data: {} },
        'stream',
        { fetch, maxAttempts: 1 },
      ),
    ).rejects.toThrow(UntrustedResponseUrlError);
    expect(fetch).not.toHaveBeenCalled();
  });
});
