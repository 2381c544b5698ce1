// SPDX-License-Identifier: Apache-2.0
/**
 * Starts emulator child processes (see child.ts) and makes sure none outlives the harness: each child
 * exits when its stdin closes, and `stopAll` (also run on process exit) terminates the ones left.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type EmulatorKind = 'dynalite' | 'fauxqs';

export interface EmulatorProcess {
  kind: EmulatorKind;
  pid: number;
  port: number;
  endpoint: string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort on any exit path (the children also leave on their own when stdin closes).
  process.on('exit', () => {
    for (const child of running) child.kill('SIGTERM');
  });
}

const STARTUP_TIMEOUT_MS = 30_000;

export interface EmulatorProcessOptions {
  /** fauxqs: longest wait of an empty long-poll ReceiveMessage, in ms (default: as requested, up to 20 s). */
  maxReceiveWaitMs?: number;
}

export async function startEmulatorProcess(
  kind: EmulatorKind,
  options: EmulatorProcessOptions = {},
): Promise<EmulatorProcess> {
  installExitHook();
  const args = ['--import', 'tsx', join(__dirname, 'child.ts'), kind, JSON.stringify(options)];
  const child = spawn(process.execPath, args, {
    // `--import tsx` resolves from the working directory: the repository root, wherever we run from.
    cwd: join(__dirname, '..', '..', '..', '..'),
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`${kind} did not start within ${STARTUP_TIMEOUT_MS / 1000} s. ${stderr}`));
    }, STARTUP_TIMEOUT_MS);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      buffer += text;
      const line = buffer.split('\n')[0];
      if (!buffer.includes('\n') || line === undefined) return;
      clearTimeout(timer);
      try {
        resolve((JSON.parse(line) as { port: number }).port);
      } catch {
        reject(new Error(`${kind} printed an unexpected first line: ${line.slice(0, 200)}`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${kind} exited during startup (${code ?? signal}). ${stderr}`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  return {
    kind,
    pid: child.pid ?? -1,
    port,
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const forced = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(forced);
      resolve();
    });
    child.stdin?.end();
    child.kill('SIGTERM');
  });
}

export async function stopAllEmulatorProcesses(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child)));
}

/** Peak resident memory of a process (Linux `VmHWM`), in MB; undefined where /proc is unavailable. */
export function processPeakRssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] === undefined ? undefined : Math.round(Number(match[1]) / 1024);
  } catch {
    return undefined;
  }
}
