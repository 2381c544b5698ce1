// SPDX-License-Identifier: Apache-2.0
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs } from '../../test-support/capture-logs';
import { fakeClock } from '../../test-support/fake-clock';
import { lambdaContext } from '../../test-support/lambda-context';
import { fakeRuntime } from '../../test-support/runtime';
import { realSleep } from '../time';
import { DeadlineExceededError } from '../retry';
import {
  defaultRuntime,
  handlerLogger,
  rateLimitedCognito,
  retryOptions,
  runtimeLogger,
  timeBudget,
} from '../runtime';

const cognito = mockAws(CognitoIdentityProviderClient);

const throttled = () =>
  Object.assign(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }), {
    $retryable: { throttling: true },
  });

beforeEach(() => {
  cognito.reset();
});

describe('defaultRuntime', () => {
  it('uses the real environment, clock, sleep, randomness, fetch and stdout', () => {
    const runtime = defaultRuntime();
    expect(runtime.env).toBe(process.env);
    expect(runtime.now).toBe(Date.now);
    expect(runtime.sleep).toBe(realSleep);
    expect(runtime.random).toBe(Math.random);
    expect(runtime.fetch).toBeUndefined(); // the callers fall back to the global fetch
    expect(runtime.write).toBeUndefined();
  });
});

describe('handlerLogger', () => {
  it('writes to stdout by default, with the handler name and the request id', () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      handlerLogger(defaultRuntime(), 'message-broker', {
        getRemainingTimeInMillis: () => 1,
        awsRequestId: 'r-1',
      }).info('hi', { pages: 1 });
      handlerLogger(defaultRuntime(), 'export-users').info('hello');
    } finally {
      spy.mockRestore();
    }
    expect(written).toHaveLength(2);
    expect(JSON.parse(written[0] ?? '')).toMatchObject({
      handler: 'message-broker',
      requestId: 'r-1',
      message: 'hi',
      pages: 1,
    });
    const second = JSON.parse(written[1] ?? '') as Record<string, unknown>;
    expect(second).toMatchObject({ handler: 'export-users', message: 'hello' });
    expect(second).not.toHaveProperty('requestId');
  });

  it("uses the runtime's log sink and clock", () => {
    const clock = fakeClock(Date.UTC(2024, 0, 15, 3, 0, 0));
    const logs = captureLogs();
    handlerLogger(fakeRuntime(clock, {}, { write: logs.write }), 'list-groups').warn('slow');
    expect(logs.entries()).toEqual([
      { level: 'warn', time: '2024-01-15T03:00:00.000Z', message: 'slow', handler: 'list-groups' },
    ]);
  });
});

describe('runtimeLogger', () => {
  it('puts the given fields on every line', () => {
    const logs = captureLogs();
    const logger = runtimeLogger(fakeRuntime(fakeClock(0), {}, { write: logs.write }), {
      component: 'stack-checker',
    });
    logger.info('a');
    logger.error('b');
    expect(logs.entries().map((entry) => [entry.component, entry.message])).toEqual([
      ['stack-checker', 'a'],
      ['stack-checker', 'b'],
    ]);
  });
});

describe('timeBudget', () => {
  it("keeps the last minute free by default, on the runtime's clock", () => {
    const clock = fakeClock(1_000);
    const budget = timeBudget(fakeRuntime(clock), lambdaContext(clock, 300_000));
    expect(budget.deadline()).toBe(241_000);
    expect(budget.hasTime()).toBe(true);
    clock.advance(240_000);
    expect(budget.hasTime()).toBe(false);
  });

  it('takes another reserve when asked', () => {
    const clock = fakeClock(1_000);
    expect(timeBudget(fakeRuntime(clock), lambdaContext(clock, 300_000), 10_000).deadline()).toBe(291_000);
  });

  it('is unlimited without a Lambda context', () => {
    expect(timeBudget(fakeRuntime(fakeClock())).deadline()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('retryOptions', () => {
  it("backs off on the runtime's clock, sleep and randomness, up to the deadline", () => {
    const runtime = fakeRuntime(fakeClock());
    expect(retryOptions(runtime, 5_000)).toEqual({
      now: runtime.now,
      sleep: runtime.sleep,
      random: runtime.random,
      deadline: 5_000,
    });
    expect(retryOptions(runtime).deadline).toBeUndefined();
  });
});

describe('rateLimitedCognito', () => {
  it('retries a throttled call after a backoff, waits for the limiter and logs the retry', async () => {
    cognito
      .on(DescribeUserPoolCommand)
      .rejectsOnce(throttled())
      .resolves({ UserPool: { Id: 'pool' } });
    const clock = fakeClock(0);
    const logs = captureLogs();
    const runtime = fakeRuntime(clock, {}, { write: logs.write });
    const client = rateLimitedCognito(runtime, 1, handlerLogger(runtime, 'test'));

    const output = await client.send(new DescribeUserPoolCommand({ UserPoolId: 'pool' }));

    expect(output.UserPool?.Id).toBe('pool');
    expect(cognito).toHaveReceivedCommandTimes(DescribeUserPoolCommand, 2);
    // Backoff of the first retry: 100-200 ms, 150 with random 0.5; then the limiter's one-second window.
    expect(clock.sleeps).toEqual([150, 850]);
    expect(client.callCounts()).toEqual({ DescribeUserPool: 2 });
    expect(logs.entries()).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'Retrying a Cognito call',
        attempt: 1,
        delayMs: 150,
        error: 'TooManyRequestsException',
      }),
    ]);
  });

  it('gives up with DeadlineExceededError rather than sleep past the deadline', async () => {
    cognito.on(DescribeUserPoolCommand).rejects(throttled());
    const clock = fakeClock(0);
    const runtime = fakeRuntime(clock);
    const client = rateLimitedCognito(runtime, 10, handlerLogger(runtime, 'test'), 100);

    await expect(client.send(new DescribeUserPoolCommand({ UserPoolId: 'pool' }))).rejects.toBeInstanceOf(
      DeadlineExceededError,
    );
    expect(cognito).toHaveReceivedCommandTimes(DescribeUserPoolCommand, 1);
    expect(clock.sleeps).toEqual([]);
  });

  it('makes up to eight attempts without a deadline', async () => {
    cognito.on(DescribeUserPoolCommand).rejects(throttled());
    const runtime = fakeRuntime(fakeClock());
    const client = rateLimitedCognito(runtime, 10, handlerLogger(runtime, 'test'));

    await expect(client.send(new DescribeUserPoolCommand({ UserPoolId: 'pool' }))).rejects.toThrow(
      'Rate exceeded',
    );
    expect(cognito).toHaveReceivedCommandTimes(DescribeUserPoolCommand, 8);
  });
});
