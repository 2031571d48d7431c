import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const running = new Set<ChildProcess>();
let reaperInstalled = false;

/**
 * Kills a child when this process exits, so a test file that times out (or a script that
 * dies) leaves no orphan. Signals end this process (running the exit hook) unless the
 * program handles them itself, as `npm run split` does to stop gracefully.
 */
export function reapOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    if (process.listenerCount(signal) === 0) process.once(signal, () => process.exit(128 + constants.signals[signal]));
  }
}

/** A runtime process started from src/runtimes, with the tail of its stderr kept for errors. */
export interface RuntimeProcess {
  name: string;
  child: ChildProcess;
  url: string;
}

/**
 * Spawns a runtime entrypoint under tsx. The child's env is exactly `env` on top of this
 * process's, minus the keys listed in `unset`. Output goes to this process's stdio when
 * `inherit` is set, else only a failing child's stderr is printed.
 */
export function spawnRuntime(
  entry: string,
  env: Record<string, string>,
  options: { unset?: string[]; inherit?: boolean; name?: string } = {},
): ChildProcess {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const key of options.unset ?? []) delete childEnv[key];
  const child = spawn(process.execPath, ['--import', 'tsx', `src/runtimes/${entry}`], {
    cwd: root,
    env: childEnv,
    stdio: options.inherit ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'ignore', 'pipe'],
  });
  reapOnExit(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.once('exit', (code, signal) => {
    if (code && code !== 0 && !options.inherit)
      process.stderr.write(`[${options.name ?? entry}] exited ${code ?? signal}: ${stderr}\n`);
  });
  return child;
}

/** Polls url until it answers 200, or fails after timeoutMs (or at once if the process died). */
export async function waitForReady(url: string, timeoutMs = 30_000, child?: ChildProcess): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`process for ${url} exited with ${child.exitCode}`);
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
