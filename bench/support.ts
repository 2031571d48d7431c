/**
 * Shared bits of the benchmark harness: progress lines, child-process tracking with
 * cleanup on exit / Ctrl-C, and small statistics helpers.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** Shared secrets of the processes a benchmark starts (never used outside the bench). */
export const BENCH_JWT_SECRET = 'shareloop-bench-jwt-secret-0000000000000000';
export const BENCH_INTERNAL_SECRET = 'shareloop-bench-internal-secret-000000000000';

// ---------------------------------------------------------------------------
// Progress output.

const startedAt = performance.now();

/** One progress line: `[bench +12.3s] message`. */
export function progress(message: string): void {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  process.stdout.write(`[bench +${seconds}s] ${message}\n`);
}

// ---------------------------------------------------------------------------
// Child processes: every process a benchmark starts is tracked, and killed when this
// process exits for any reason (normal end, error, Ctrl-C, SIGTERM, SIGHUP).

const tracked = new Set<ChildProcess>();
let cleanupInstalled = false;

/** Tracks a child so it is killed if this process exits before stopping it. */
export function track<T extends ChildProcess>(child: T): T {
  installCleanup();
  tracked.add(child);
  child.once('exit', () => tracked.delete(child));
  return child;
}

/**
 * Installs the exit hooks (idempotent). On a signal, exits at once so every 'exit' hook runs:
 * ours kills tracked children (plus any direct child still running a runtime or bench entry,
 * e.g. one started by startSplitTopology before it returned); test/support/services.ts's hooks
 * stop the throwaway PostgreSQL and Redis.
 */
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killChildrenSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stdout.write(`\n[bench] ${signal}: stopping every process started by the benchmark\n`);
      process.exit(128 + constants.signals[signal]);
    });
  }
}

function killChildrenSync(): void {
  for (const child of tracked) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  tracked.clear();
  for (const pid of ownRuntimeChildren()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Pids of direct children of this process that run src/runtimes/* or bench/* (Linux /proc). */
function ownRuntimeChildren(): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('src/runtimes/') || cmdline.includes('bench/')) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/**
 * Spawns a bench entry (a file under bench/) under tsx, tracked. stdout is discarded like
 * scripts/processes.ts does for runtimes; the tail of stderr is printed if it fails.
 */
export function spawnBenchProcess(
  file: string,
  args: string[],
  env: Record<string, string>,
  name: string,
): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.once('exit', (code) => {
    if (code) process.stderr.write(`[${name}] exited ${code}: ${stderr}\n`);
  });
  return track(child);
}

// ---------------------------------------------------------------------------
// Statistics.

/** The p-th percentile (0..100) of an ascending array, nearest-rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** A Float64Array sorted ascending (copy). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values as ArrayLike<number>).sort();
}

/** Rounds to `digits` decimals (NaN and Infinity become null in JSON anyway). */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** a / b rounded, or null when b is 0 or either is not finite. */
export function ratio(a: number | undefined | null, b: number | undefined | null, digits = 3): number | null {
  if (a === undefined || a === null || b === undefined || b === null) return null;
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return round(a / b, digits);
}

/** A growable list of doubles (latencies) that does not box numbers. */
export class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  at(index: number): number {
    return this.data[index]!;
  }

  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }

  mean(): number {
    let sum = 0;
    for (let i = 0; i < this.length; i++) sum += this.data[i]!;
    return this.length ? sum / this.length : Number.NaN;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads a positive number from the environment, or the default. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number (got "${raw}")`);
  return value;
}

// ---------------------------------------------------------------------------
// CPU time of processes (Linux /proc): robust to a busy shared machine, unlike req/s.

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** user+system CPU ms of one process (all its threads), or undefined if unreadable. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/** Per-pid CPU ms snapshot; pids that cannot be read are left out. */
export function cpuSnapshot(pids: readonly number[]): Map<number, number> {
  const snapshot = new Map<number, number>();
  for (const pid of pids) {
    const ms = processCpuMs(pid);
    if (ms !== undefined) snapshot.set(pid, ms);
  }
  return snapshot;
}

/** CPU ms spent between two snapshots by the pids present in both. */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) {
    const start = before.get(pid);
    if (start !== undefined) total += ms - start;
  }
  return total;
}
