import { reapOnExit } from '../../scripts/processes.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { freePort } from '../support/services.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Kills the runtimes this process started when it ends, also when the test runner stops a
 * timed-out file with SIGTERM: otherwise they outlive the suite as orphans.
 */

/** Variables that would point the runtime at servers; a zero-setup boot must see none of them. */
const SERVER_VARIABLES = /^(DATABASE_URL|REDIS_URL|[A-Z]+_DATABASE_URL|REDIS_KEY_PREFIX|NODE_TEST_CONTEXT|NODE_ENV)$/;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A runtime started as a child process, listening on loopback. */
export interface BootedRuntime {
  baseUrl: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when the process exits. */
  exited: Promise<Exit>;
  /** Sends a signal and waits for the exit (SIGKILL after timeoutMs). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

/**
 * Starts `command` (e.g. node with tsx, or bun, on src/runtimes/monolith.ts) with this
 * process's environment minus every server variable, plus `env`, on a free port, and waits
 * until /readyz answers 200.
 */
export async function bootRuntime(
  command: string,
  args: string[],
  env: Record<string, string>,
  readyTimeoutMs = 60_000,
  options: { ownProcessGroup?: boolean } = {},
): Promise<BootedRuntime> {
  const port = await freePort();
  const childEnv = zeroSetupEnv({ PORT: String(port), ...env });

  // In its own process group, a signal can go to the whole group, as a terminal's Ctrl-C does.
  const child = spawn(command, args, {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup ?? false,
  });
  reapOnExit(child);
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-200_000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.once('error', (error) => (output += `\n[spawn error] ${error.message}`));

  const runtime: BootedRuntime = {
    baseUrl: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };

  const until = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
      const how =
        child.pid === undefined ? 'could not start' : `exited (code ${child.exitCode}, signal ${child.signalCode})`;
      throw new Error(`${command} ${args.join(' ')} ${how} before it was ready:\n${output.slice(-4000)}`);
    }
    const status = await fetch(`${runtime.baseUrl}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return runtime;
    if (Date.now() > until) {
      await runtime.stop('SIGKILL');
      throw new Error(`${runtime.baseUrl}/readyz not ready after ${readyTimeoutMs} ms:\n${output.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** This process's environment minus every server variable, on loopback, plus env. */
function zeroSetupEnv(env: Record<string, string>): Record<string, string> {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !SERVER_VARIABLES.test(key)) childEnv[key] = value;
  return Object.assign(childEnv, { HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env });
}

/** What a command that ran to its end printed, and how it ended. */
export interface Finished extends Exit {
  stdout: string;
  stderr: string;
}

/**
 * Runs `command` (a runtime expected to fail at start-up, or an operator command) to its end
 * with the same environment as bootRuntime (PORT only if given); SIGKILL after timeoutMs.
 */
export async function runToEnd(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<Finished> {
  const child = spawn(command, args, { cwd: root, env: zeroSetupEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  reapOnExit(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = await new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  clearTimeout(timer);
  return { ...exit, stdout, stderr };
}

/** A smoke run's state: its DATA_DIR and the runtime booted on it, if any. */
export interface SmokeRun {
  dataDir: string;
  runtime: BootedRuntime | undefined;
}

/**
 * Hooks into the enclosing describe block: a fresh DATA_DIR (`prefix` plus random characters,
 * under the OS temp dir) before its tests; after them, the runtime killed and the folder removed.
 */
export function smokeRun(prefix: string): SmokeRun {
  const run: SmokeRun = { dataDir: '', runtime: undefined };
  before(async () => {
    run.dataDir = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    await run.runtime?.stop('SIGKILL');
    if (run.dataDir) await rm(run.dataDir, { recursive: true, force: true });
  });
  return run;
}

/** The JSON log lines a runtime wrote (pino, one object per line). */
export function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** One JSON request that fails after timeoutMs instead of hanging on a stuck server. */
export async function callJson(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; timeoutMs?: number } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    signal: AbortSignal.timeout(timeoutMs),
  }).catch((error: unknown) => {
    throw new Error(`${method} ${path} got no answer within ${timeoutMs} ms (${(error as Error).message})`);
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}
