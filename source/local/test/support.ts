/** Helpers shared by the local-run tests: deployments on one shared set of emulators. */
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Deployment } from '../deployment';
import type { LocalEnvironment } from '../environment';
import type { LocalFunction } from '../lambda-host';
import { seedPrimaryPool } from '../local-run';
import type { SeedFile } from '../seed';

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
  options: { tps?: number } = {},
): Promise<TestDeployment> {
  const primaryUserPoolId = seedPrimaryPool(environment.cognito, seed);
  const errors: string[] = [];
  deployments += 1;
  const deployment = await Deployment.deploy(environment.endpoints(), {
    root: ROOT,
    primaryUserPoolId,
    stackName: `cupera-test-${deployments}`,
    cognitoTps: options.tps ?? 20,
    // Wait states hardly wait; import-job polls stay a little apart.
    waitMs: (_state, seconds) => Math.min((seconds ?? 0) * 1000, 50),
    onLambdaLog: (fn: LocalFunction, line: string) => {
      if (/"level":"error"/.test(line)) errors.push(`${fn.logicalId}: ${line}`);
    },
  });
  return { deployment, primaryUserPoolId, errors };
}

export interface BackupKey {
  id: string;
  type: string;
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
