/**
 * Throwaway PostgreSQL and Redis servers for the test suite.
 *
 * Each server lives in its own temp dir, listens on 127.0.0.1 on a free port and
 * is torn down by `stop()`, or synchronously when the process exits or is signalled.
 * Set DATABASE_URL / REDIS_URL to reuse existing servers instead.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import postgres from 'postgres';

/** A running (or externally provided) service. */
export interface Service {
  url: string;
  /** True when the URL came from the environment and nothing was started. */
  external: boolean;
  /** Human-readable summary, e.g. "started PostgreSQL 15 on 127.0.0.1:41234". */
  description: string;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Process-exit cleanup: every started service registers a synchronous teardown.

const cleanups = new Set<() => void>();
let hooksInstalled = false;

function runCleanups(): void {
  for (const fn of cleanups) {
    try {
      fn();
    } catch {
      // best effort: we are exiting anyway
    }
  }
  cleanups.clear();
}

/** Registers a sync teardown run on exit/SIGINT/SIGTERM/SIGHUP; returns an unregister function. */
export function onExit(fn: () => void): () => void {
  if (!hooksInstalled) {
    hooksInstalled = true;
    process.once('exit', runCleanups);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      // process.exit() fires the 'exit' hook above (and any other exit hooks, e.g. killing the test child).
      process.once(sig, () => process.exit(128 + constants.signals[sig]));
    }
  }
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

// ---------------------------------------------------------------------------
// Small helpers.

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not determine a free port'))));
    });
  });
}

interface ExecResult {
  code: number;
  output: string;
}

/** Runs a command to completion, capturing stdout+stderr together. */
export function exec(cmd: string, args: string[], cwd?: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Last `n` lines of a file, or a note when it cannot be read. */
export function tail(file: string, n = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch (err) {
    return `(could not read ${file}: ${(err as Error).message})`;
  }
}

/** First executable named `name` on PATH, if any. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// PostgreSQL

/** Absolute paths of initdb and pg_ctl: highest /usr/lib/postgresql/<v>/bin first, then PATH. */
export function findPgBinaries(): { initdb: string; pgCtl: string } {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => /^\d+(\.\d+)?$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const v of versions) {
    const bin = join(base, v, 'bin');
    if (['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(bin, b)))) {
      return { initdb: join(bin, 'initdb'), pgCtl: join(bin, 'pg_ctl') };
    }
  }
  const initdb = onPath('initdb');
  const pgCtl = onPath('pg_ctl');
  if (initdb && pgCtl && onPath('postgres')) return { initdb, pgCtl };
  throw new Error(
    'PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in /usr/lib/postgresql/*/bin or PATH; ' +
      'install PostgreSQL or set DATABASE_URL',
  );
}

/** Starts a throwaway PostgreSQL cluster (or reuses DATABASE_URL). */
export async function startPostgres(): Promise<Service> {
  const given = process.env.DATABASE_URL;
  if (given) {
    return { url: given, external: true, description: 'reused PostgreSQL from DATABASE_URL', stop: async () => {} };
  }

  const { initdb, pgCtl } = findPgBinaries();
  // PostgreSQL refuses to run as root: run its tools as the `postgres` OS user instead.
  const asRoot = process.getuid?.() === 0;
  const wrap = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const run = (cmd: string, args: string[]) => exec(...wrap(cmd, args), root);

  // Layout: <root>/data (cluster), <root>/postgres.log, and the unix socket in <root>.
  const root = await mkdtemp(join(tmpdir(), 'shareloop-pg-'));
  const data = join(root, 'data');
  const log = join(root, 'postgres.log');
  const stopSync = () => {
    if (existsSync(join(data, 'postmaster.pid'))) {
      const [cmd, args] = wrap(pgCtl, ['-D', data, '-m', 'immediate', 'stop']);
      spawnSync(cmd, args, { cwd: root, stdio: 'ignore', timeout: 15_000 });
    }
    rmSync(root, { recursive: true, force: true });
  };
  const unregister = onExit(stopSync);

  try {
    if (asRoot) {
      const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
      const uid = id('-u');
      const gid = id('-g');
      if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root but no `postgres` OS user exists');
      await chown(root, uid, gid);
    }

    const init = await run(initdb, [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
    ]);
    if (init.code !== 0) throw new Error(`initdb failed (exit ${init.code}):\n${init.output}`);

    // The port may be taken between freePort() and bind(); retry a few times on that race.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const opts = [
        '-c listen_addresses=127.0.0.1',
        `-p ${port}`,
        `-c unix_socket_directories='${root}'`,
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_prepared_transactions=20',
        '-c max_connections=300',
        '-c wal_level=logical',
      ].join(' ');
      const start = await run(pgCtl, ['-w', '-t', '60', '-D', data, '-l', log, 'start', '-o', opts]);
      if (start.code === 0) {
        const version = readFileSync(join(data, 'PG_VERSION'), 'utf8').trim();
        return {
          url: `postgres://postgres@127.0.0.1:${port}/postgres`,
          external: false,
          description: `started PostgreSQL ${version} on 127.0.0.1:${port} (${root}${asRoot ? ', as OS user postgres' : ''})`,
          stop: async () => {
            unregister();
            await run(pgCtl, ['-D', data, '-m', 'immediate', 'stop']);
            await rm(root, { recursive: true, force: true });
          },
        };
      }
      const logTail = tail(log);
      if (attempt < 3 && /could not bind|address already in use/i.test(logTail)) continue;
      throw new Error(`pg_ctl start failed (exit ${start.code}):\n${start.output}\n--- ${log} (tail) ---\n${logTail}`);
    }
  } catch (err) {
    unregister();
    stopSync();
    throw err;
  }
}

/** Creates a fresh database (default name `t_<random hex>`) on the server and returns its URL. */
export async function createDatabase(serverUrl: string, name = `t_${randomBytes(6).toString('hex')}`): Promise<string> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`create database ${sql(name)}`;
  } finally {
    await sql.end({ timeout: 5 });
  }
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

// ---------------------------------------------------------------------------
// Redis

/** Resolves true if a Redis server on 127.0.0.1:port answers PING with +PONG. */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/** Waits for a child to exit (resolves immediately if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  // pid is undefined when spawning failed (e.g. ENOENT); no 'exit' will follow then.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts a throwaway redis-server child process (or reuses REDIS_URL). */
export async function startRedis(): Promise<Service> {
  const given = process.env.REDIS_URL;
  if (given) {
    return { url: given, external: true, description: 'reused Redis from REDIS_URL', stop: async () => {} };
  }

  const dir = await mkdtemp(join(tmpdir(), 'shareloop-redis-'));
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (d: Buffer) => (output = (output + d.toString()).slice(-8000));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let spawnError: Error | undefined;
    child.once('error', (err) => (spawnError = err));

    const stopSync = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    };
    const unregister = onExit(stopSync);

    // Poll until it answers PING, fails, or 15s pass.
    const deadline = Date.now() + 15_000;
    let ready = false;
    while (!ready && !spawnError && child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
      ready = await ping(port);
      if (!ready) await sleep(50);
    }
    if (ready) {
      return {
        url: `redis://127.0.0.1:${port}`,
        external: false,
        description: `started Redis on 127.0.0.1:${port} (pid ${child.pid})`,
        stop: async () => {
          unregister();
          child.kill('SIGTERM');
          await exited(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }

    child.kill('SIGKILL');
    await exited(child);
    unregister();
    if (attempt < 3 && /address already in use/i.test(output)) continue;
    await rm(dir, { recursive: true, force: true });
    if ((spawnError as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new Error('redis-server not found on PATH; install Redis or set REDIS_URL');
    }
    const why = spawnError?.message ?? (child.exitCode !== null ? `exited with code ${child.exitCode}` : 'timed out');
    throw new Error(`redis-server failed to start (${why}):\n${output}`);
  }
}
