// SPDX-License-Identifier: Apache-2.0
import { LambdaFunctionError } from '../aws/lambda-host';
import { lambdaHostFor, localFunction, type TestHandler } from './support';

describe('LambdaHost', () => {
  it('gives concurrent invocations their own environment, as separate functions have', async () => {
    const seen: Record<string, string | undefined>[] = [];
    // Each invocation waits until both have started, so the two run interleaved.
    let started = 0;
    let bothStarted!: () => void;
    const bothRunning = new Promise<void>((resolve) => (bothStarted = resolve));
    const handler: TestHandler = async () => {
      const before = process.env.QUEUE_URL;
      started += 1;
      if (started === 2) bothStarted();
      await bothRunning;
      seen.push({ before, after: process.env.QUEUE_URL, name: process.env.AWS_LAMBDA_FUNCTION_NAME });
      return null;
    };
    const lambdas = lambdaHostFor(
      [
        localFunction('A', 'pkg/a.handler', { environment: { QUEUE_URL: 'queue-a' } }),
        localFunction('B', 'pkg/b.handler', { environment: { QUEUE_URL: 'queue-b' } }),
      ],
      { 'pkg/a.ts': { handler }, 'pkg/b.ts': { handler } },
    );
    await Promise.all([lambdas.invoke('A', {}), lambdas.invoke('stack-B', {})]);
    expect(seen).toEqual(
      expect.arrayContaining([
        { before: 'queue-a', after: 'queue-a', name: 'stack-A' },
        { before: 'queue-b', after: 'queue-b', name: 'stack-B' },
      ]),
    );
    expect(process.env.QUEUE_URL).toBeUndefined();
  });

  it('keeps writes, deletions and listings of process.env inside the invocation', async () => {
    const lambdas = lambdaHostFor([localFunction('A', 'pkg/a.handler', { environment: { OWN: 'own' } })], {
      'pkg/a.ts': {
        handler: () => {
          process.env.WRITTEN = 'inside';
          const listed = Object.keys(process.env).includes('OWN') && 'OWN' in process.env;
          const copied = { ...process.env }.OWN;
          delete process.env.OWN;
          return {
            listed,
            copied,
            afterDelete: process.env.OWN ?? null,
            written: process.env.WRITTEN ?? null,
          };
        },
      },
    });
    expect(await lambdas.invoke('A', {})).toEqual({
      listed: true,
      copied: 'own',
      afterDelete: null,
      written: 'inside',
    });
    expect(process.env.WRITTEN).toBeUndefined();
    expect('OWN' in process.env).toBe(false);
  });

  it("counts the remaining time down from the function's Timeout", async () => {
    let clock = 1_000_000;
    const remaining: number[] = [];
    const lambdas = lambdaHostFor(
      [localFunction('A', 'pkg/a.handler', { timeoutSeconds: 900 })],
      {
        'pkg/a.ts': {
          handler: (_event, context) => {
            remaining.push(context.getRemainingTimeInMillis());
            clock += 840_001;
            remaining.push(context.getRemainingTimeInMillis());
            return { done: true };
          },
        },
      },
      { now: () => clock },
    );
    expect(await lambdas.invoke('arn:aws:lambda:us-east-1:000000000000:function:stack-A', {})).toEqual({
      done: true,
    });
    expect(remaining).toEqual([900_000, 59_999]);
  });

  it('fails an invocation that outlives its Timeout with Sandbox.Timedout', async () => {
    const lambdas = lambdaHostFor([localFunction('A', 'pkg/a.handler', { timeoutSeconds: 0.05 })], {
      // A handler that never answers.
      'pkg/a.ts': { handler: () => new Promise(() => undefined) },
    });
    await expect(lambdas.invoke('A', {})).rejects.toMatchObject({
      name: 'Sandbox.Timedout',
      errorMessage: expect.stringContaining('Task timed out after 0.05 seconds'),
    });
  });

  it('shapes errors as Step Functions reports them and serialises results as JSON', async () => {
    class NamedError extends Error {
      override readonly name = 'NamedError';
    }
    const lambdas = lambdaHostFor(
      [
        localFunction('A', 'pkg/a.handler'),
        localFunction('B', 'pkg/b.handler'),
        localFunction('C', 'pkg/c.handler'),
      ],
      {
        'pkg/a.ts': {
          handler: () => {
            throw new NamedError('Queue (x) is not empty');
          },
        },
        'pkg/b.ts': { handler: () => ({ when: new Date(0), gone: undefined, list: [1] }) },
        'pkg/c.ts': { handler: () => undefined },
      },
    );
    const failure = await lambdas.invoke('A', {}).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LambdaFunctionError);
    expect((failure as Error).name).toBe('NamedError');
    expect(JSON.parse((failure as Error).message)).toMatchObject({
      errorType: 'NamedError',
      errorMessage: 'Queue (x) is not empty',
      trace: expect.any(Array),
    });
    expect(await lambdas.invoke('B', {})).toEqual({ when: '1970-01-01T00:00:00.000Z', list: [1] });
    expect(await lambdas.invoke('C', {})).toBeNull();
  });

  it("routes an invocation's stdout lines to its log sink, and refuses oversized results", async () => {
    const lines: string[] = [];
    const lambdas = lambdaHostFor(
      [localFunction('A', 'pkg/a.handler'), localFunction('Big', 'pkg/big.handler')],
      {
        'pkg/a.ts': {
          handler: () => {
            process.stdout.write('{"level":"info","message":"one"}\n{"level":"info","message":"two"}\n');
            return 1;
          },
        },
        'pkg/big.ts': { handler: () => 'x'.repeat(300_000) },
      },
      { onLog: (f, line) => lines.push(`${f.logicalId} ${line}`) },
    );
    await lambdas.invoke('A', {});
    expect(lines).toEqual(['A {"level":"info","message":"one"}', 'A {"level":"info","message":"two"}']);
    await expect(lambdas.invoke('Big', {})).rejects.toMatchObject({ name: 'States.DataLimitExceeded' });
  });

  it('names the function whose Handler file or export is missing', async () => {
    const lambdas = lambdaHostFor(
      [localFunction('A', 'pkg/missing.handler'), localFunction('B', 'pkg/b.main')],
      { 'pkg/b.ts': {} },
    );
    expect(() => lambdas.modulePath(localFunction('A', 'pkg/missing.handler'))).toThrow(
      /A: Handler "pkg\/missing.handler" names .*pkg\/missing.ts, which does not exist/,
    );
    await expect(lambdas.invoke('B', {})).rejects.toThrow(
      /B: .*pkg\/b.ts does not export a function named main/,
    );
    await expect(lambdas.invoke('nope', {})).rejects.toMatchObject({
      name: 'Lambda.ResourceNotFoundException',
    });
  });
});
