// SPDX-License-Identifier: Apache-2.0
/**
 * A failed run says why: the state that failed and the error its Lambda function threw, in the
 * console summary, in the `--lambda-logs` file and in the JSON report; a documented refusal reads as
 * one. Runs the CLI (`main`) end to end, with a change injected between deployment and export.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SetUserPoolMfaConfigCommand } from '@aws-sdk/client-cognito-identity-provider';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { tempDirectory } from '../../test-support/temp-dirs';
import { main } from '../run/cli';
import type { LocalRunOptions, LocalRunReport } from '../run/local-run';

jest.setTimeout(120_000);

let directory: string;

beforeAll(() => {
  directory = tempDirectory('failures-');
});

/** One line of the `--lambda-logs` file: JSON, the function's logical id first. */
type LogRecord = { function: string; message?: string; [field: string]: unknown };

/** Runs the CLI on a small generated pool with `afterDeploy`; the console, the log file, the report. */
async function runCli(
  name: string,
  afterDeploy: LocalRunOptions['afterDeploy'],
  extraArgs: string[] = [],
): Promise<{ code: number; console: string; logs: LogRecord[]; report: LocalRunReport }> {
  const logFile = join(directory, `${name}.log`);
  const reportFile = join(directory, `${name}.json`);
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...args) => void lines.push(String(args[0])));
  const error = jest
    .spyOn(console, 'error')
    .mockImplementation((...args) => void lines.push(String(args[0])));
  let code: number;
  try {
    code = await main(
      [
        '--users',
        '5',
        '--groups',
        '1',
        '--quiet',
        '--lambda-logs',
        logFile,
        '--report',
        reportFile,
        ...extraArgs,
      ],
      afterDeploy === undefined ? {} : { afterDeploy },
    );
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
  return {
    code,
    console: lines.join('\n'),
    // Every line is one JSON object (what jq reads).
    logs: readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as LogRecord),
    report: JSON.parse(readFileSync(reportFile, 'utf8')) as LocalRunReport,
  };
}

describe('a pool whose MFA is switched ON after deployment (a documented refusal)', () => {
  let run: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    run = await runCli('mfa', async ({ environment, primaryUserPoolId }) => {
      await environment.cognitoClient().send(
        new SetUserPoolMfaConfigCommand({
          UserPoolId: primaryUserPoolId,
          MfaConfiguration: 'ON',
          SoftwareTokenMfaConfiguration: { Enabled: true },
        }),
      );
    });
  });

  it('prints the state and the refusal in the console, and exits 1', () => {
    expect(run.code).toBe(1);
    expect(run.console).toContain(
      'refused by design at state "CheckUserPoolConfigLambda" (CheckUserPoolConfigLambda): User Pools with MFA enabled are not supported.',
    );
  });

  it("writes the failing invocation's error line to the Lambda log file", () => {
    const line = run.logs.find(
      (entry) => entry.function === 'CheckUserPoolConfigLambda' && entry.message === 'Invoke Error',
    );
    expect(line).toMatchObject({
      level: 'error',
      errorType: 'UnsupportedUserPoolError',
      errorMessage: expect.stringContaining('MFA configuration is set to ON'),
    });
  });

  it('writes the error notification beside the JSON report', () => {
    const text = readFileSync(join(directory, 'mfa.notification-1-error.txt'), 'utf8');
    expect(text).toContain('MFA configuration is set to ON');
  });

  it("logs the package's version, as a build would write it, not the template placeholder", () => {
    const { version } = JSON.parse(
      readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'),
    ) as {
      version: string;
    };
    const versions = new Set(run.logs.map((entry) => entry.version));
    expect(versions).toContain(`v${version}`);
    expect(versions).not.toContain('VERSION_PLACEHOLDER');
  });

  it('carries the same in the JSON report', () => {
    expect(run.report.export.failure).toEqual({
      state: 'CheckUserPoolConfigLambda',
      lambda: 'CheckUserPoolConfigLambda',
      error: 'UnsupportedUserPoolError',
      message:
        "User Pools with MFA enabled are not supported. The user pool's MFA configuration is set to ON",
      refusal: true,
    });
  });
});

describe('a backup table deleted after deployment (an injected fault)', () => {
  let run: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    run = await runCli('fault', async ({ deployment, environment }) => {
      await environment.documentClient().send(new DeleteTableCommand({ TableName: deployment.tableName }));
    });
  });

  it('prints the failed state, its Lambda and the error name and message in the console', () => {
    expect(run.code).toBe(1);
    expect(run.report.export.failure).toMatchObject({ refusal: false, error: 'ResourceNotFoundException' });
    const { state, lambda, message } = run.report.export.failure ?? {};
    expect(run.console).toContain(`failed at state "${state}" (${lambda})`);
    expect(run.console).toContain(`error: ResourceNotFoundException: ${message}`);
    expect(run.console).not.toContain('Result: OK');
  });

  it("writes the failing invocation's error line to the Lambda log file", () => {
    const lambda = run.report.export.failure?.lambda ?? '?';
    expect(
      run.logs.some(
        (entry) =>
          entry.function === lambda &&
          entry.message === 'Invoke Error' &&
          entry.errorType === 'ResourceNotFoundException',
      ),
    ).toBe(true);
  });
});

describe('every Cognito call answered HTTP 500 (--fault cognito-500=1)', () => {
  let run: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    run = await runCli('cognito-500', undefined, ['--fault', 'cognito-500=1']);
  });

  it('prints the failed state and the error its Lambda threw, after the retries', () => {
    expect(run.code).toBe(1);
    expect(run.console).toContain('failed at state "CheckUserPoolConfigLambda" (CheckUserPoolConfigLambda)');
    expect(run.console).toContain('error: InternalErrorException: Internal error (injected fault).');
    expect(run.report.export.failure).toEqual({
      state: 'CheckUserPoolConfigLambda',
      lambda: 'CheckUserPoolConfigLambda',
      error: 'InternalErrorException',
      message: 'Internal error (injected fault).',
      refusal: false,
    });
  });

  it("writes the failing invocation's error line to the Lambda log file", () => {
    const line = run.logs.find(
      (entry) => entry.function === 'CheckUserPoolConfigLambda' && entry.message === 'Invoke Error',
    );
    expect(line).toMatchObject({
      errorType: 'InternalErrorException',
      errorMessage: 'Internal error (injected fault).',
    });
  });
});
