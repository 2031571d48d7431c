import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testServers } from './env.ts';
import { createDatabase, freePort } from './services.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The ways the platform can be deployed; the end-to-end suite runs against each. */
export const topologies = ['monolith'] as const;
export type TopologyName = (typeof topologies)[number];

export interface Topology {
  name: TopologyName;
  baseUrl: string;
  /** Extra environment the processes were started with. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Spawns a runtime entrypoint with tsx, logging to this process's stderr only when it fails. */
export function spawnRuntime(entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', `src/runtimes/${entry}`], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.once('exit', (code, signal) => {
    if (code && code !== 0) process.stderr.write(`[${entry}] exited ${code ?? signal}: ${stderr}\n`);
  });
  return child;
}

/** Polls url until it answers 200, or fails after timeoutMs. */
export async function waitForReady(url: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops processes with SIGTERM and waits for them to exit (SIGKILL after 10 s). */
export async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

/** Starts a topology as real processes on loopback, on a fresh database. */
export async function startTopology(name: TopologyName, extraEnv: Record<string, string> = {}): Promise<Topology> {
  const { pgUrl, redisUrl } = testServers();
  const env = { DATABASE_URL: await createDatabase(pgUrl), REDIS_URL: redisUrl, ...extraEnv };
  const port = await freePort();
  const children = [spawnRuntime('monolith.ts', { ...env, PORT: String(port), HOST: '127.0.0.1' })];
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForReady(`${baseUrl}/readyz`);
  } catch (error) {
    await stopAll(children);
    throw error;
  }
  return { name, baseUrl, env, stop: () => stopAll(children) };
}
