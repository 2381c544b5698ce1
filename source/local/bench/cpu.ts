// SPDX-License-Identifier: Apache-2.0
/**
 * CPU time of the benchmark's processes, to tell a run bound by Cognito's quotas or by latency from a
 * run bound by the machine: the harness (one Node.js process: the Cognito emulator, the Step Functions
 * runner and every Lambda) and the DynamoDB and SQS emulators (child processes).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** Clock ticks per second of /proc/<pid>/stat on Linux. */
const TICKS_PER_SECOND = 100;

/** User plus system CPU seconds a process has used, from /proc; undefined where /proc is unavailable. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: the fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

export interface CpuSample {
  atMs: number;
  /** CPU seconds by process name. */
  seconds: Record<string, number>;
}

export function sampleCpu(atMs: number, pids: Record<string, number>): CpuSample {
  const usage = process.cpuUsage();
  const seconds: Record<string, number> = { harness: (usage.user + usage.system) / 1e6 };
  for (const [name, pid] of Object.entries(pids)) {
    const used = processCpuSeconds(pid);
    if (used !== undefined) seconds[name] = used;
  }
  return { atMs, seconds };
}

/** Cores used by each process between two samples (1.0: one core busy the whole time). */
export function coresUsed(from: CpuSample, to: CpuSample): Record<string, number> {
  const wallSeconds = (to.atMs - from.atMs) / 1000;
  const out: Record<string, number> = {};
  if (wallSeconds <= 0) return out;
  for (const [name, seconds] of Object.entries(to.seconds)) {
    const before = from.seconds[name];
    if (before !== undefined) out[name] = Math.round(((seconds - before) / wallSeconds) * 100) / 100;
  }
  return out;
}

/** The machine's 1-minute load average, rounded. */
export const loadAverage = (): number => Math.round((loadavg()[0] ?? 0) * 100) / 100;
