/**
 * Test support for the emulator's specs and contract tests: SDK clients with fake credentials, and a
 * moto server (the reference implementation of the contract tests) started in a child process.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';

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
