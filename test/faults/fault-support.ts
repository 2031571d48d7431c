/**
 * Helpers of the fault-injection suite: split topologies on loopback with their own Redis
 * namespace and database, timed HTTP calls that never hang, process signals, metrics scraping.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { spawnRuntime, stopAll, waitForReady, type RuntimeProcess } from '../../scripts/processes.ts';
import { startSplitTopology, type SplitTopology } from '../../scripts/split-topology.ts';
import { apiClient } from '../support/api-client.ts';
import { testServers } from '../support/env.ts';
import { drill } from '../support/fixtures.ts';
import { createDatabase, freePort } from '../support/services.ts';

/** The shared secret every process of a fault topology signs internal calls with. */
export const INTERNAL_SECRET = `faults-internal-secret-${randomBytes(12).toString('hex')}`;

/** A fresh database, a random Redis namespace, rate limits out of the way, quiet logs. */
export async function faultEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const { pgUrl, redisUrl } = testServers();
  return {
    DATABASE_URL: await createDatabase(pgUrl),
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `f${randomBytes(4).toString('hex')}:`,
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    INTERNAL_SERVICE_SECRET: INTERNAL_SECRET,
    // This suite measures faults, not the edge's rate limits.
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    RATE_LIMIT_WRITES_PER_MINUTE: '1000000',
    RATE_LIMIT_GLOBAL_PER_MINUTE: '10000000',
    ...extra,
  };
}

export interface FaultTopology extends SplitTopology {
  env: Record<string, string>;
  /** The process of that name (identity, inventory-1, ..., gateway). */
  process(name: string): RuntimeProcess;
  /** Stops the topology and every extra process spawned for it; resumes stopped ones first. */
  stopEverything(): Promise<void>;
  extras: RuntimeProcess[];
}

/** Starts a split topology (services first, then the gateway) on free loopback ports. */
export async function startFaultTopology(
  env: Record<string, string>,
  layout?: readonly { name: string; modules: string }[],
): Promise<FaultTopology> {
  const split = await startSplitTopology({ env, gatewayPort: await freePort(), ...(layout ? { layout } : {}) });
  const extras: RuntimeProcess[] = [];
  return {
    ...split,
    env,
    extras,
    process(name) {
      const found = [...split.processes, ...extras].find((p) => p.name === name);
      assert.ok(found, `no process ${name}`);
      return found;
    },
    async stopEverything() {
      for (const p of [...split.processes, ...extras]) resume(p.child);
      await stopAll(extras.map((p) => p.child));
      await split.stop();
    },
  };
}

/** Starts one more service process of the topology (same env), waits until it is ready. */
export async function spawnService(
  topology: Pick<FaultTopology, 'env' | 'extras'>,
  name: string,
  modules: string,
): Promise<RuntimeProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // The same environment startSplitTopology gives its services.
  const child = spawnRuntime(
    'service.ts',
    {
      ...topology.env,
      SERVICE_NAME: name,
      MODULES: modules,
      PORT: String(port),
      HOST: '127.0.0.1',
      ADVERTISE_URL: url,
    },
    { name },
  );
  const started = { name, child, url };
  topology.extras.push(started);
  await waitForReady(`${url}/readyz`, 60_000, child);
  return started;
}

/** Service processes without a gateway (for callers in the test process), registered in Redis. */
export async function startServices(env: Record<string, string>, layout: readonly { name: string; modules: string }[]) {
  const services = { env, extras: [] as RuntimeProcess[] };
  const stop = () => stopAll(services.extras.map((p) => p.child));
  try {
    await Promise.all(layout.map(({ name, modules }) => spawnService(services, name, modules)));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    env,
    process(name: string): RuntimeProcess {
      const found = services.extras.find((p) => p.name === name);
      assert.ok(found, `no process ${name}`);
      return found;
    },
    stop,
  };
}

/** Marks a reply served from the stale fallback of public GETs. */
export const STALE_HEADER = 'x-shareloop-stale';

/** Requests a service has served on its internal bus endpoint, from its metrics. */
export const internalCallsServed = (serviceUrl: string) =>
  scrapeMetric(serviceUrl, 'http_request_duration_seconds_count', { route: '/internal/bus/:op' });

/** A raw call of a service's internal endpoint, as the HTTP transport makes it (x-deadline-ms included). */
export const internalCall = (url: string, op: string, body: unknown, authorization?: string, method = 'POST') =>
  timed(url, method, `/internal/bus/${op}`, {
    ...(method === 'POST' ? { body } : {}),
    headers: { 'x-deadline-ms': '5000', ...(authorization ? { authorization } : {}) },
  });

/**
 * A latency budget that holds on a quiet machine and scales, within a hard cap, when the
 * whole machine is slow (other test files share its 2 cores): `base`, or 5× the p95 of a
 * reference measured around the same time, whichever is larger, never above `cap`. Callers
 * set the cap at most half the bus timeout, so calls that waited for a timeout always break it.
 */
export function latencyBudget(base: number, reference: readonly number[], cap: number): number {
  return Math.min(cap, Math.max(base, 5 * percentile(reference, 95)));
}

/** SIGKILLs a process and waits until it is gone. */
export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGKILL');
  await exited;
}

/** Continues a SIGSTOPped process (harmless on a running or dead one). */
export function resume(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGCONT');
}

/** A response with its body, how long it took, and whether the client gave up. */
export interface Timed {
  status: number;
  headers: Headers;
  body: any;
  ms: number;
}

/**
 * One HTTP call, timed. A call that takes longer than `giveUpMs` is reported as status 0
 * (a hang), never left pending. Network errors are status -1.
 */
export async function timed(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; giveUpMs?: number } = {},
): Promise<Timed> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const started = performance.now();
  try {
    const response = await fetch(baseUrl + path, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      signal: AbortSignal.timeout(options.giveUpMs ?? 15_000),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body, ms: performance.now() - started };
  } catch (error) {
    const hung = (error as Error).name === 'TimeoutError';
    return { status: hung ? 0 : -1, headers: new Headers(), body: String(error), ms: performance.now() - started };
  }
}

/** The p-th percentile (0..100) of some numbers, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  assert.ok(values.length > 0, 'no samples');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Asserts an RFC 9457 problem+json response with this status (and code). */
export function assertProblem(response: Timed, status: number | readonly number[], code?: string): void {
  const statuses = typeof status === 'number' ? [status] : status;
  assert.ok(
    statuses.includes(response.status),
    `expected ${statuses.join('/')}, got ${response.status}: ${JSON.stringify(response.body)}`,
  );
  assert.equal(response.headers.get('content-type'), 'application/problem+json');
  assert.equal(response.body.status, response.status);
  assert.match(String(response.body.type), /^urn:shareloop:problem:/);
  if (code) assert.equal(response.body.code, code, JSON.stringify(response.body));
}

/** Sum of a Prometheus counter/gauge over the series whose labels include all of `labels`. */
export async function scrapeMetric(
  baseUrl: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** A valid new item listing. */
export const listing = (title: string) => drill({ title, description: 'fault-injection fixture' });

/**
 * Registers and logs in a fresh member through the gateway. Setup only: on a machine so busy
 * that a password hash outlasts the bus timeout (a 504 that says nothing about the fault under
 * test), it tries again with another email.
 */
export async function newUser(gatewayUrl: string, prefix: string): Promise<{ id: string; accessToken: string }> {
  for (let attempt = 1; ; attempt++) {
    let failure: unknown;
    try {
      const user = await apiClient(gatewayUrl).newUser(prefix);
      if (typeof user.accessToken === 'string') return user;
      failure = new Error(`login failed for ${user.email}`);
    } catch (error) {
      if (!/register failed: 50[34]/.test(String(error))) throw error;
      failure = error;
    }
    if (attempt >= 3) throw failure;
    await sleep(500);
  }
}

/**
 * Requests sent to a server on this port that it has not read yet: established loopback
 * connections to the port with bytes in their receive queue (Linux /proc/net/tcp*). For a
 * SIGSTOPped server, the calls in flight to it. Undefined where /proc cannot be read.
 */
export function unreadRequests(port: number): number | undefined {
  let count = 0;
  try {
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
        const [, local, , state, queues] = line.trim().split(/\s+/);
        if (!local || state !== '01') continue;
        if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) !== port) continue;
        if (Number.parseInt(queues!.split(':')[1]!, 16) > 0) count++;
      }
    }
  } catch {
    return undefined;
  }
  return count;
}
