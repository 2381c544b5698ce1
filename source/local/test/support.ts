// SPDX-License-Identifier: Apache-2.0
/**
 * Helpers shared by the local-run tests: deployments on one shared set of emulators, and Lambda
 * hosts whose handler modules the test injects.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { tempDirectory } from '../../test-support/temp-dirs';
import { Deployment } from '../deploy/deployment';
import type { LocalEnvironment } from '../aws/environment';
import {
  type LambdaContext,
  LambdaHost,
  type LambdaHostOptions,
  type LocalFunction,
} from '../aws/lambda-host';
import { seedPrimaryPool } from '../run/local-run';
import type { SeedFile } from '../run/seed';

export const ROOT = join(__dirname, '..', '..', '..');

export interface TestDeployment {
  deployment: Deployment;
  primaryUserPoolId: string;
  /** Error-level log lines of the Lambda functions, for failure messages. */
  errors: string[];
}

let deployments = 0;

export async function deployWith(
  environment: LocalEnvironment,
  seed: SeedFile,
  options: { tps?: number; parameters?: Record<string, string> } = {},
): Promise<TestDeployment> {
  const primaryUserPoolId = seedPrimaryPool(environment.cognito, seed);
  const errors: string[] = [];
  deployments += 1;
  const deployment = await Deployment.deploy(environment.endpoints(), {
    root: ROOT,
    primaryUserPoolId,
    stackName: `cupera-test-${deployments}`,
    cognitoTps: options.tps ?? 20,
    ...(options.parameters !== undefined ? { parameters: options.parameters } : {}),
    // Wait states hardly wait; import-job polls stay a little apart.
    waitMs: (_state, seconds) => Math.min((seconds ?? 0) * 1000, 50),
    onLambdaLog: (fn: LocalFunction, line: string) => {
      if (/"level":"error"/.test(line)) errors.push(`${fn.logicalId}: ${line}`);
    },
  });
  return { deployment, primaryUserPoolId, errors };
}

/** Deploys a stack for `seed`, runs `body` on it, then tears the stack down whatever happened. */
export async function withDeployment(
  environment: LocalEnvironment,
  seed: SeedFile,
  body: (scenario: TestDeployment) => Promise<void>,
): Promise<void> {
  const scenario = await deployWith(environment, seed);
  try {
    await body(scenario);
  } finally {
    await scenario.deployment.teardown();
  }
}

/** Every item of the backup table (small tables only). */
export async function scanTable(
  environment: LocalEnvironment,
  tableName: string,
): Promise<Record<string, unknown>[]> {
  const ddb = environment.documentClient();
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

export const keyOf = (item: Record<string, unknown>): string => `${String(item.id)} | ${String(item.type)}`;

/** A handler as a test injects it. */
export type TestHandler = (event: never, context: LambdaContext) => unknown;

/** A function of the stack `stack` (60 s, 128 MB, no environment unless overridden). */
export function localFunction(
  logicalId: string,
  handler: string,
  overrides: Partial<LocalFunction> = {},
): LocalFunction {
  return {
    logicalId,
    name: `stack-${logicalId}`,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:stack-${logicalId}`,
    handler,
    timeoutSeconds: 60,
    memoryMb: 128,
    environment: {},
    ...overrides,
  };
}

/** A LambdaHost over a temporary source tree with an empty file per module; the modules are injected. */
export function lambdaHostFor(
  functions: LocalFunction[],
  modules: Record<string, Record<string, TestHandler>>,
  extra: Partial<LambdaHostOptions> = {},
): LambdaHost {
  const root = tempDirectory('lambda-host-');
  for (const file of Object.keys(modules)) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), '');
  }
  return new LambdaHost({
    sourceRoot: root,
    region: 'us-east-1',
    functions,
    loadModule: (path) => modules[path.slice(root.length + 1)] ?? {},
    ...extra,
  });
}
