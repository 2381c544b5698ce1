// SPDX-License-Identifier: Apache-2.0
/**
 * Runs the Cognito emulator on its own (for a child process or manual checks):
 *
 *   npx tsx source/local/cognito/cli.ts [--port N] [--seed pool.json] [--latency none|aws]
 *                                       [--throttle-scale X | --no-throttle] [--region R]
 *
 * Prints one JSON line `{"endpoint": ..., "port": ..., "poolId": ...}` once it listens, then serves
 * until SIGINT or SIGTERM. The seed file is the structured seed of `createPoolFromSeed` (the harness
 * validates its own seed format before it gets here). It never prints user data.
 */
import { readFile } from 'node:fs/promises';
import { startCognitoEmulator } from './server';
import type { CognitoEmulatorOptions, PoolSeed } from './types';

const USAGE =
  'usage: cli.ts [--port N] [--seed pool.json] [--latency none|aws] [--throttle-scale X | --no-throttle] [--region R]';

export interface CliArguments {
  options: CognitoEmulatorOptions;
  seedFile?: string;
}

export function parseCliArguments(argv: readonly string[]): CliArguments {
  const options: CognitoEmulatorOptions = {};
  let seedFile: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = (): string => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
      i += 1;
      return next;
    };
    switch (flag) {
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new Error(`--port must be 0-65535\n${USAGE}`);
        options.port = port;
        break;
      }
      case '--seed':
        seedFile = value();
        break;
      case '--latency': {
        const latency = value();
        if (latency !== 'none' && latency !== 'aws')
          throw new Error(`--latency must be none or aws\n${USAGE}`);
        options.latency = latency;
        break;
      }
      case '--throttle-scale': {
        const scale = Number(value());
        if (!(scale > 0)) throw new Error(`--throttle-scale must be a positive number\n${USAGE}`);
        options.throttling = { scale };
        break;
      }
      case '--no-throttle':
        options.throttling = false;
        break;
      case '--region':
        options.region = value();
        break;
      default:
        throw new Error(`unknown argument ${flag}\n${USAGE}`);
    }
  }
  return { options, ...(seedFile !== undefined ? { seedFile } : {}) };
}

async function main(): Promise<void> {
  const { options, seedFile } = parseCliArguments(process.argv.slice(2));
  const emulator = await startCognitoEmulator(options);
  let poolId: string | undefined;
  if (seedFile !== undefined) {
    const seed = JSON.parse(await readFile(seedFile, 'utf8')) as PoolSeed;
    poolId = emulator.seed(seed).poolId;
  }
  process.stdout.write(`${JSON.stringify({ endpoint: emulator.endpoint, port: emulator.port, poolId })}\n`);
  const shutdown = (): void => {
    void emulator.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
