// SPDX-License-Identifier: Apache-2.0
/**
 * Test support for the emulator's specs and contract tests: an emulator with an SDK client (fake
 * credentials), pagination and error helpers, and a moto server (the reference implementation of the
 * contract tests) started in a child process.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { startCognitoEmulator, type CognitoEmulator } from './server';
import type { CognitoEmulatorOptions } from './types';

export const FAKE_CREDENTIALS = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' };

export const MOTO_MISSING_MESSAGE = "moto is not installed: pip install 'moto[server]'";

/** An unmodified SDK client for an emulator endpoint; one attempt, so tests see every error. */
export function cognitoClientFor(endpoint: string, maxAttempts = 1): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint,
    region: 'us-east-1',
    credentials: FAKE_CREDENTIALS,
    maxAttempts,
  });
}

export interface CognitoUnderTest {
  emulator: CognitoEmulator;
  client: CognitoIdentityProviderClient;
  /** Destroys the client and stops the emulator. */
  stop(): Promise<void>;
}

export async function startCognito(options: CognitoEmulatorOptions = {}): Promise<CognitoUnderTest> {
  const emulator = await startCognitoEmulator(options);
  const client = cognitoClientFor(emulator.endpoint);
  return {
    emulator,
    client,
    stop: async () => {
      client.destroy();
      await emulator.stop();
    },
  };
}

/** Runs `body` against an emulator of its own, stopped afterwards whatever happens. */
export async function withCognito<T>(
  options: CognitoEmulatorOptions,
  body: (cognito: CognitoUnderTest) => Promise<T>,
): Promise<T> {
  const cognito = await startCognito(options);
  try {
    return await body(cognito);
  } finally {
    await cognito.stop();
  }
}

/** Every page of a listing: fetches the first page, then the next while a page carries a token. */
export async function allPages<P>(
  fetchPage: (token: string | undefined) => Promise<P>,
  nextToken: (page: P) => string | undefined,
): Promise<P[]> {
  const pages: P[] = [];
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    pages.push(page);
    token = nextToken(page);
  } while (token);
  return pages;
}

/** The name of the error a call fails with, or `no error`. */
export async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).name;
  }
  return 'no error';
}

export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** True when `python3 -m moto.server` can run here. */
export function motoAvailable(python = 'python3'): boolean {
  const probe = spawnSync(python, ['-c', 'import moto.server, flask, werkzeug'], { stdio: 'ignore' });
  return probe.status === 0;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * Starts `python3 -m moto.server -H 127.0.0.1 -p <free port>` and resolves once it listens (it prints
 * "Running on http://127.0.0.1:<port>"). Throws MOTO_MISSING_MESSAGE when moto is not installed.
 */
export async function startMoto(
  options: { python?: string; startTimeoutMs?: number } = {},
): Promise<MotoServer> {
  const python = options.python ?? 'python3';
  if (!motoAvailable(python)) throw new Error(MOTO_MISSING_MESSAGE);
  const port = await freePort();
  const child = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const endpoint = `http://127.0.0.1:${port}`;
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(
        new Error(`moto did not start within ${options.startTimeoutMs ?? 30000} ms: ${output.slice(-500)}`),
      );
    }, options.startTimeoutMs ?? 30000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes(`Running on ${endpoint}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto exited with code ${code}: ${output.slice(-500)}`));
    });
  });
  // moto logs one line per request; drain its pipes so it never blocks on a full buffer.
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.resume();
  child.stderr?.resume();
  return { endpoint, stop: () => stopChild(child) };
}
