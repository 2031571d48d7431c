/**
 * HTTP throughput with autocannon. Deployments under test, each in its own process(es) and
 * on its own fresh database, all started up front:
 *   raw                   bench/raw-baseline.ts: bare Hono + postgres.js, same SQL (the baseline)
 *   monolith              src/runtimes/monolith.ts, LOG_LEVEL=info (the default: one access log line per request)
 *   monolith (warn)       the same with LOG_LEVEL=warn (no access log)
 *   monolith (no limits)  LOG_LEVEL=info with the edge rate limits off
 *   monolith (Bun)        the same monolith under Bun (node_modules/.bin/bun, the `bun` package)
 *   split                 the gateway + one process per service of scripts/split-topology.ts
 * Routes: GET /v1/items/{id} and POST /v1/items (authenticated on the platform).
 *
 * Two phases, because a shared machine's background load drifts by the minute:
 *   1. comparisons: for GET at BENCH_CONNECTIONS (default 50), POST at the same, and GET at
 *      1 connection, the deployments take turns of a few seconds, starting each round with
 *      the next one, so drift hits all alike; each first gets the same number of warm-up
 *      requests (BENCH_WARMUP_REQUESTS, default 3000), so all are compared equally JIT-warm.
 *      Every ratio and target comes from here.
 *   2. sustained: raw, monolith and split, GET then POST, each for BENCH_DURATION s without a
 *      break (default 60) after BENCH_WARMUP s; every response is recorded by second, so the
 *      first and last windows (10 s, or half a shorter run) show throughput that decays.
 * Latency percentiles are of 2xx responses (a fast 503 from an open breaker is not a fast
 * request); non-2xx are counted apart. The CPU time of each deployment's processes and of its
 * PostgreSQL backends is read from /proc: CPU µs per request is steadier than req/s.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { type ChildProcess, spawn } from 'node:child_process';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { spawnRuntime, stopAll, waitForReady } from '../scripts/processes.ts';
import { splitLayout, startSplitTopology } from '../scripts/split-topology.ts';
import { createDatabase, freePort } from '../test/support/services.ts';
import { parseConfig } from '../src/shared/config/config.ts';
import type { Database } from '../src/shared/db/database.ts';
import { migrateModule } from '../src/shared/db/migrate.ts';
import { target, type Target } from './bus-overhead.ts';
import {
  BENCH_INTERNAL_SECRET,
  BENCH_JWT_SECRET,
  Samples,
  cpuBetween,
  cpuSnapshot,
  envNumber,
  percentile,
  progress,
  ratio,
  root,
  round,
  spawnBenchProcess,
  track,
} from './support.ts';

export type TargetName = 'raw' | 'monolith' | 'split';
export type RouteName = 'GET /v1/items/{id}' | 'POST /v1/items';
type DeploymentKey = 'raw' | 'monolith' | 'monolith-warn' | 'monolith-nolimits' | 'monolith-bun' | 'split';

export interface HttpSettings {
  durationS: number;
  warmupS: number;
  connections: number;
  windowS: number;
  /** Comparisons: seconds per turn, and turns per deployment (c=50, then c=1). */
  segmentS: number;
  rounds: number;
  latencyRounds: number;
  /** Requests each deployment gets before a comparison at BENCH_CONNECTIONS. */
  warmupRequests: number;
  poolMax: number;
  poolMaxSource: string;
  seedRows: number;
  rateLimits: string;
}

/** Responses over some time: a window of a sustained run, or one deployment's turns in a comparison. */
export interface Stats {
  seconds: number;
  responses: number;
  /** All responses per second, and 2xx per second. */
  rps: number;
  okRps: number;
  /** Latency of 2xx responses. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** CPU of the deployment's Node processes per response, µs (null when /proc is unreadable). */
  appCpuUsPerReq: number | null;
  /** CPU of its PostgreSQL backends per response, µs. */
  pgCpuUsPerReq: number | null;
  /** Average cores its Node processes / PostgreSQL backends used. */
  appCores: number | null;
  pgCores: number | null;
}

export interface VsRaw {
  okRps: number | null;
  p50: number | null;
  p99: number | null;
  appCpuPerReq: number | null;
  totalCpuPerReq: number | null;
}

export interface ComparisonEntry {
  key: DeploymentKey;
  target: TargetName;
  variant: string;
  stats: Stats;
  vsRaw: VsRaw | null;
  statusCodes: Record<string, number>;
  loadavg1m: { min: number; max: number };
}

export interface Comparison {
  route: RouteName;
  connections: number;
  segmentS: number;
  rounds: number;
  entries: ComparisonEntry[];
}

export interface SustainedRun {
  key: string;
  target: TargetName;
  variant: string;
  route: RouteName;
  connections: number;
  durationS: number;
  /** postgres.js pool size of each process that has one, and how many such processes. */
  poolMax: number;
  poolsPerTarget: number;
  overall: Stats;
  first: Stats | null;
  last: Stats | null;
  /** last.okRps / first.okRps: below 1 when throughput decays over the run. */
  lastToFirst: number | null;
  perSecondOkRps: number[];
  statusCodes: Record<string, number>;
  autocannon: { rpsMean: number; p50Ms: number; p99Ms: number };
  loadavg1m: { before: number; after: number };
}

export interface HttpResult {
  settings: HttpSettings;
  deployments: {
    key: DeploymentKey;
    target: TargetName;
    variant: string;
    processes: { name: string; pid: number | undefined }[];
    poolsPerTarget: number;
  }[];
  sustained: SustainedRun[];
  comparisons: Comparison[];
  /** Monolith GET (c=50, interleaved) with LOG_LEVEL=info vs warn. */
  logCost: {
    okRpsInfo: number;
    okRpsWarn: number;
    /** info ÷ warn throughput (1 = free). */
    rpsRatio: number | null;
    throughputLostPct: number | null;
    appCpuUsPerReqInfo: number | null;
    appCpuUsPerReqWarn: number | null;
    appCpuUsPerReqDelta: number | null;
    cpuRatio: number | null;
  } | null;
  /** Monolith GET (c=50, interleaved) with the edge rate limits on (unreachable ceilings) vs off. */
  rateLimitCost: {
    okRpsOn: number;
    okRpsOff: number;
    rpsRatio: number | null;
    appCpuUsPerReqOn: number | null;
    appCpuUsPerReqOff: number | null;
    appCpuUsPerReqDelta: number | null;
    cpuRatio: number | null;
  } | null;
  targets: Target[];
  /** Deployments or phases that could not be measured, with why. */
  failures: { what: string; error: string }[];
}

const ITEM_BODY = JSON.stringify({
  title: 'Cordless drill',
  description: '18 V, two batteries and a charger',
  category: 'power-tools',
  dailyPrice: { amount: 1500, currency: 'EUR' },
  deposit: { amount: 5000, currency: 'EUR' },
  condition: 'good',
});

const GET: RouteName = 'GET /v1/items/{id}';
const POST: RouteName = 'POST /v1/items';

export function httpSettingsFromEnv(): HttpSettings {
  const durationS = Math.round(envNumber('BENCH_DURATION', 60));
  const defaultPool = parseConfig({}).DB_POOL_MAX;
  return {
    durationS,
    warmupS: Math.round(envNumber('BENCH_WARMUP', 5)),
    connections: Math.round(envNumber('BENCH_CONNECTIONS', 50)),
    windowS: Math.max(1, Math.min(10, Math.floor(durationS / 2))),
    segmentS: Math.max(2, Math.min(3, Math.floor(durationS / 2))),
    rounds: Math.max(2, Math.round(durationS / 6)),
    latencyRounds: Math.max(2, Math.round(durationS / 12)),
    warmupRequests: Math.round(envNumber('BENCH_WARMUP_REQUESTS', 3000)),
    poolMax: Math.round(envNumber('DB_POOL_MAX', defaultPool)),
    poolMaxSource: process.env.DB_POOL_MAX ? 'DB_POOL_MAX' : 'app default (src/shared/config/config.ts)',
    seedRows: 10_000,
    rateLimits:
      process.env.BENCH_RATE_LIMITS === 'off'
        ? 'off'
        : 'on (ceilings of 1e9/min: middleware cost kept, nothing rejected)',
  };
}

// ---------------------------------------------------------------------------
// Deployments.

interface Deployment {
  key: DeploymentKey;
  target: TargetName;
  variant: string;
  label: string;
  baseUrl: string;
  processes: { name: string; child: ChildProcess }[];
  poolsPerTarget: number;
  databaseUrl: string;
  token: string | undefined;
  itemId: string;
  stop(): Promise<void>;
}

const MIGRATIONS = (module: string) => `${root}migrations/${module}`;

async function seedItems(databaseUrl: string, ownerId: string, rows: number): Promise<string> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`
      insert into inventory.items (id, owner_id, title, description, category, currency, daily_price_amount, deposit_amount, condition)
      select gen_random_uuid(), ${ownerId}, 'Seed item ' || g, 'A seeded listing', 'power-tools', 'EUR', 1500, 5000, 'good'
      from generate_series(1, ${rows}) g`;
    await sql`analyze inventory.items`;
    const [row] = await sql<
      { id: string }[]
    >`select id from inventory.items order by id offset ${Math.floor(rows / 2)} limit 1`;
    return row!.id;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function json(url: string, init: RequestInit & { expect: number }): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
  });
  const text = await response.text();
  if (response.status !== init.expect)
    throw new Error(
      `${init.method ?? 'GET'} ${url} answered ${response.status}, expected ${init.expect}: ${text.slice(0, 300)}`,
    );
  return JSON.parse(text) as Record<string, unknown>;
}

/** Registers and logs in a bench user through the public API; returns its id and token. */
async function authenticate(baseUrl: string): Promise<{ userId: string; token: string }> {
  const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
  const password = 'correct-horse-battery-staple';
  const user = await json(`${baseUrl}/v1/auth/register`, {
    method: 'POST',
    expect: 201,
    body: JSON.stringify({ email, password, displayName: 'Bench' }),
  });
  const tokens = await json(`${baseUrl}/v1/auth/login`, {
    method: 'POST',
    expect: 200,
    body: JSON.stringify({ email, password }),
  });
  return { userId: String(user.id), token: String(tokens.accessToken) };
}

/**
 * The edge rate limits stay on (their per-request Redis round trip is part of the cost) but
 * with ceilings no load test reaches: 600 req/min per IP would otherwise turn a run into a
 * 429 benchmark. BENCH_RATE_LIMITS=off switches them off (0) instead.
 */
function rateLimitEnv(off = process.env.BENCH_RATE_LIMITS === 'off'): Record<string, string> {
  const value = off ? '0' : '1000000000';
  return { RATE_LIMIT_GLOBAL_PER_MINUTE: value, RATE_LIMIT_WRITES_PER_MINUTE: value };
}

function platformEnv(
  databaseUrl: string,
  redisUrl: string,
  settings: HttpSettings,
  logLevel: string,
  limitsOff?: boolean,
): Record<string, string> {
  return {
    ...rateLimitEnv(limitsOff),
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `bench${randomBytes(3).toString('hex')}:`,
    LOG_LEVEL: logLevel,
    LOG_PRETTY: '0',
    DB_POOL_MAX: String(settings.poolMax),
    NODE_ENV: 'production',
    JWT_SECRET: BENCH_JWT_SECRET,
    INTERNAL_SERVICE_SECRET: BENCH_INTERNAL_SECRET,
  };
}

async function sanityCheck(baseUrl: string, itemId: string, token: string | undefined): Promise<void> {
  const item = await json(`${baseUrl}/v1/items/${itemId}`, { method: 'GET', expect: 200 });
  if (item.id !== itemId) throw new Error(`GET ${baseUrl}/v1/items/${itemId} returned another item`);
  await json(`${baseUrl}/v1/items`, {
    method: 'POST',
    expect: 201,
    body: ITEM_BODY,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

async function freshDatabase(serverUrl: string, external: boolean, label: string, created: string[]): Promise<string> {
  try {
    const url = await createDatabase(serverUrl, `bench_${label.replace(/-/g, '_')}_${randomBytes(3).toString('hex')}`);
    created.push(url);
    return url;
  } catch (error) {
    if (!external) throw error;
    progress(`http: cannot create a database on DATABASE_URL (${(error as Error).message}); using it as is`);
    return serverUrl;
  }
}

/** Drops the databases the bench created (only matters on a reused, external server). */
async function dropDatabases(serverUrl: string, urls: string[]): Promise<void> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    for (const url of urls) {
      const name = decodeURIComponent(new URL(url).pathname.slice(1));
      await sql`drop database if exists ${sql(name)} with (force)`.catch(() => {});
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function startDeployment(
  key: DeploymentKey,
  options: { pgUrl: string; redisUrl: string; external: boolean; settings: HttpSettings; created: string[] },
): Promise<Deployment> {
  const { settings } = options;
  const databaseUrl = await freshDatabase(options.pgUrl, options.external, key, options.created);
  const target: TargetName = key === 'raw' ? 'raw' : key === 'split' ? 'split' : 'monolith';
  const variant =
    key === 'monolith-warn'
      ? 'LOG_LEVEL=warn'
      : key === 'monolith-nolimits'
        ? 'LOG_LEVEL=info, rate limits off'
        : key === 'monolith-bun'
          ? 'Bun, LOG_LEVEL=info'
          : key === 'raw'
            ? ''
            : 'LOG_LEVEL=info';
  const label = `${target}${variant ? ` (${variant})` : ''}`;
  let processes: { name: string; child: ChildProcess }[];
  let baseUrl: string;
  let stop: () => Promise<void>;
  let poolsPerTarget = 1;

  if (key === 'raw') {
    await migrateModule({} as Database, databaseUrl, 'inventory', MIGRATIONS('inventory'));
    const port = await freePort();
    const child = spawnBenchProcess(
      'bench/raw-baseline.ts',
      [],
      { DATABASE_URL: databaseUrl, PORT: String(port), DB_POOL_MAX: String(settings.poolMax) },
      'raw-baseline',
    );
    processes = [{ name: 'raw-baseline', child }];
    baseUrl = `http://127.0.0.1:${port}`;
    stop = () => stopAll([child]);
  } else if (key === 'split') {
    const topology = await startSplitTopology({
      env: platformEnv(databaseUrl, options.redisUrl, settings, 'info'),
      gatewayPort: await freePort(),
    });
    for (const p of topology.processes) track(p.child);
    processes = topology.processes.map((p) => ({ name: p.name, child: p.child }));
    baseUrl = topology.gatewayUrl;
    stop = topology.stop;
    poolsPerTarget = topology.processes.length - 1; // the gateway hosts no module and opens no pool
  } else {
    const port = await freePort();
    const env = {
      ...platformEnv(
        databaseUrl,
        options.redisUrl,
        settings,
        key === 'monolith-warn' ? 'warn' : 'info',
        key === 'monolith-nolimits' ? true : undefined,
      ),
      PORT: String(port),
      HOST: '127.0.0.1',
    };
    const child = track(
      key === 'monolith-bun' ? spawnBun('monolith.ts', env) : spawnRuntime('monolith.ts', env, { name: key }),
    );
    processes = [{ name: key, child }];
    baseUrl = `http://127.0.0.1:${port}`;
    stop = () => stopAll([child]);
  }
  try {
    if (key !== 'split') await waitForReady(`${baseUrl}/readyz`, 90_000, processes[0]!.child);
    let token: string | undefined;
    let ownerId: string = crypto.randomUUID();
    if (key !== 'raw') {
      const auth = await authenticate(baseUrl);
      token = auth.token;
      ownerId = auth.userId;
    }
    const itemId = await seedItems(databaseUrl, ownerId, settings.seedRows);
    await sanityCheck(baseUrl, itemId, token);
    progress(
      `http: ${label} ready at ${baseUrl}: ${processes.map((p) => `${p.name} (pid ${p.child.pid})`).join(', ')}`,
    );
    return { key, target, variant, label, baseUrl, processes, poolsPerTarget, databaseUrl, token, itemId, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The monolith under Bun (the `bun` package's binary), as `npm run start:bun` runs it. */
function spawnBun(entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(`${root}node_modules/.bin/bun`, [`src/runtimes/${entry}`], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.once('exit', (code) => {
    if (code) progress(`http: monolith under Bun exited ${code}: ${stderr}`);
  });
  return child;
}

// ---------------------------------------------------------------------------
// Driving load.

function cannon(
  options: autocannon.Options,
  onResponse?: (status: number, ms: number) => void,
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    if (onResponse) instance.on('response', (_client, status, _bytes, ms) => onResponse(status, ms));
  });
}

/** Pids of the PostgreSQL backends connected to the database (its pools, once warm). */
async function backendPids(databaseUrl: string): Promise<number[]> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<
      { pid: number }[]
    >`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
    return rows.map((r) => r.pid);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function requestOf(d: Deployment, route: RouteName, connections: number): autocannon.Options {
  const post = route === POST;
  return {
    url: post ? `${d.baseUrl}/v1/items` : `${d.baseUrl}/v1/items/${d.itemId}`,
    method: post ? 'POST' : 'GET',
    connections,
    headers: {
      ...(post ? { 'content-type': 'application/json' } : {}),
      ...(post && d.token ? { authorization: `Bearer ${d.token}` } : {}),
    },
    ...(post ? { body: ITEM_BODY } : {}),
  };
}

interface Drive {
  result: autocannon.Result;
  /** Cumulative CPU ms since the start, about every second and at the end: [s, app, pg]. */
  cpuSeries: [number, number, number][];
  cpuReadable: boolean;
  pgReadable: boolean;
  loadBefore: number;
  loadAfter: number;
}

/** Loads a deployment for `seconds`; sink gets every response (status, latency, second). */
async function drive(
  d: Deployment,
  route: RouteName,
  connections: number,
  seconds: number,
  sink: (status: number, ms: number, second: number) => void,
  everySecond?: (second: number) => void,
): Promise<Drive> {
  const appPids = d.processes.map((p) => p.child.pid!).filter(Boolean);
  const pgPids = await backendPids(d.databaseUrl).catch(() => []);
  const appStart = cpuSnapshot(appPids);
  const pgStart = cpuSnapshot(pgPids);
  const cpuSeries: [number, number, number][] = [[0, 0, 0]];
  const loadBefore = loadavg()[0]!;
  const started = performance.now();
  const sample = () =>
    cpuSeries.push([
      (performance.now() - started) / 1000,
      cpuBetween(appStart, cpuSnapshot(appPids)),
      cpuBetween(pgStart, cpuSnapshot(pgPids)),
    ]);
  const timer = setInterval(() => {
    sample();
    everySecond?.(Math.floor((performance.now() - started) / 1000));
  }, 1000);
  let result: autocannon.Result;
  try {
    result = await cannon({ ...requestOf(d, route, connections), duration: seconds }, (status, ms) => {
      const s = Math.floor((performance.now() - started) / 1000);
      if (s < seconds) sink(status, ms, s);
    });
  } finally {
    clearInterval(timer);
  }
  sample();
  // Backends opened during the run (an idle pool closes its connections after 30 s) count
  // in full: all their CPU was spent since they started.
  const pgEndPids = await backendPids(d.databaseUrl).catch(() => []);
  const pgEnd = cpuSnapshot(pgEndPids);
  let pgTotal = 0;
  for (const [pid, ms] of pgEnd) pgTotal += ms - (pgStart.get(pid) ?? 0);
  const last = cpuSeries[cpuSeries.length - 1]!;
  last[2] = Math.max(last[2], pgTotal);
  return {
    result,
    cpuSeries,
    cpuReadable: appStart.size > 0,
    pgReadable: pgStart.size > 0 || pgEnd.size > 0,
    loadBefore,
    loadAfter: loadavg()[0]!,
  };
}

function statsOf(input: {
  seconds: number;
  okLatencies: Samples;
  responses: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  appCpuMs: number | null;
  pgCpuMs: number | null;
}): Stats {
  const sorted = input.okLatencies.sorted();
  const ok = input.okLatencies.length;
  const perReq = (ms: number | null) =>
    ms === null || input.responses === 0 ? null : round((ms * 1000) / input.responses, 1);
  const cores = (ms: number | null) => (ms === null ? null : round(ms / (input.seconds * 1000), 2));
  return {
    seconds: input.seconds,
    responses: input.responses,
    rps: Math.round(input.responses / input.seconds),
    okRps: Math.round(ok / input.seconds),
    p50Ms: round(percentile(sorted, 50), 2),
    p90Ms: round(percentile(sorted, 90), 2),
    p99Ms: round(percentile(sorted, 99), 2),
    non2xx: input.non2xx,
    errors: input.errors,
    timeouts: input.timeouts,
    appCpuUsPerReq: perReq(input.appCpuMs),
    pgCpuUsPerReq: perReq(input.pgCpuMs),
    appCores: cores(input.appCpuMs),
    pgCores: cores(input.pgCpuMs),
  };
}

function statusCodesOf(result: autocannon.Result, into: Record<string, number> = {}): Record<string, number> {
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {}))
    into[code] = (into[code] ?? 0) + (stat as { count: number }).count;
  return into;
}

const isOk = (status: number) => status >= 200 && status < 300;

/** Sends `requests` requests (or for at most maxSeconds), recording nothing. */
function warmUp(
  d: Deployment,
  route: RouteName,
  connections: number,
  requests: number,
  maxSeconds: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const instance = autocannon({ ...requestOf(d, route, connections), duration: maxSeconds }, (error) =>
      error ? reject(error) : resolve(),
    );
    instance.on('response', () => {
      if (++seen === requests) instance.stop();
    });
  });
}

// ---------------------------------------------------------------------------
// Sustained runs, with first and last windows.

async function sustained(d: Deployment, route: RouteName, settings: HttpSettings): Promise<SustainedRun> {
  const { durationS, connections, windowS } = settings;
  const label = `${d.label} ${route} c=${connections}`;
  progress(`http: sustained ${label}: warm-up ${settings.warmupS} s, then ${durationS} s`);
  if (settings.warmupS > 0) await cannon({ ...requestOf(d, route, connections), duration: settings.warmupS });

  const okLatency = new Samples();
  const okSecond = new Samples();
  const perSecond = new Array<number>(durationS).fill(0);
  const okPerSecond = new Array<number>(durationS).fill(0);
  let printed = 0;
  const run = await drive(
    d,
    route,
    connections,
    durationS,
    (status, ms, s) => {
      perSecond[s]!++;
      if (isOk(status)) {
        okPerSecond[s]!++;
        okLatency.push(ms);
        okSecond.push(s);
      }
    },
    (s) => {
      if (s >= printed + 10 && s < durationS) {
        printed = s;
        const recent = okPerSecond.slice(Math.max(0, s - 10), s);
        progress(
          `http: sustained ${label}: ${s}/${durationS} s, ${Math.round(recent.reduce((a, b) => a + b, 0) / Math.max(1, recent.length)).toLocaleString('en')} 2xx/s over the last ${recent.length} s`,
        );
      }
    },
  );
  const cpuAt = (t: number): [number, number] => {
    const series = run.cpuSeries;
    if (t >= durationS) return [series[series.length - 1]![1], series[series.length - 1]![2]];
    let best = series[0]!;
    for (const point of series) if (Math.abs(point[0] - t) < Math.abs(best[0] - t)) best = point;
    return [best[1], best[2]];
  };
  const windowOf = (fromS: number, toS: number): Stats => {
    const picked = new Samples();
    for (let i = 0; i < okLatency.length; i++) {
      const s = okSecond.at(i);
      if (s >= fromS && s < toS) picked.push(okLatency.at(i));
    }
    const responses = perSecond.slice(fromS, toS).reduce((a, b) => a + b, 0);
    const [appFrom, pgFrom] = cpuAt(fromS);
    const [appTo, pgTo] = cpuAt(toS);
    const whole = fromS === 0 && toS === durationS;
    return statsOf({
      seconds: toS - fromS,
      okLatencies: picked,
      responses,
      non2xx: responses - picked.length,
      errors: whole ? run.result.errors : 0,
      timeouts: whole ? run.result.timeouts : 0,
      appCpuMs: run.cpuReadable ? appTo - appFrom : null,
      pgCpuMs: run.pgReadable ? pgTo - pgFrom : null,
    });
  };
  const overall = windowOf(0, durationS);
  const split = durationS >= 2 * windowS;
  const first = split ? windowOf(0, windowS) : null;
  const last = split ? windowOf(durationS - windowS, durationS) : null;
  const result: SustainedRun = {
    key: `${d.key}:${route === GET ? 'get' : 'post'}`,
    target: d.target,
    variant: d.variant,
    route,
    connections,
    durationS,
    poolMax: settings.poolMax,
    poolsPerTarget: d.poolsPerTarget,
    overall,
    first,
    last,
    lastToFirst: first && last ? ratio(last.okRps, first.okRps, 3) : null,
    perSecondOkRps: okPerSecond,
    statusCodes: statusCodesOf(run.result),
    autocannon: { rpsMean: run.result.requests.average, p50Ms: run.result.latency.p50, p99Ms: run.result.latency.p99 },
    loadavg1m: { before: round(run.loadBefore, 2), after: round(run.loadAfter, 2) },
  };
  const cpu =
    overall.appCpuUsPerReq === null
      ? ''
      : `, app CPU ${overall.appCpuUsPerReq} µs/req (${overall.appCores} cores), PG CPU ${overall.pgCpuUsPerReq ?? '?'} µs/req`;
  const decay =
    first && last
      ? `, first ${windowS} s ${first.okRps.toLocaleString('en')} → last ${windowS} s ${last.okRps.toLocaleString('en')} 2xx/s`
      : '';
  progress(
    `http: sustained ${label}: ${overall.okRps.toLocaleString('en')} 2xx/s, p50 ${overall.p50Ms} ms, p99 ${overall.p99Ms} ms, non-2xx ${overall.non2xx}, errors ${run.result.errors}${decay}${cpu}`,
  );
  return result;
}

// ---------------------------------------------------------------------------
// Interleaved comparisons.

async function compare(
  deployments: Deployment[],
  route: RouteName,
  connections: number,
  rounds: number,
  settings: HttpSettings,
): Promise<Comparison> {
  const segmentS = settings.segmentS;
  progress(
    `http: comparing ${route} c=${connections}: ${deployments.map((d) => d.label).join(', ')}; ${rounds} turns of ${segmentS} s each, interleaved`,
  );
  // The same number of requests for each (not the same time: a slower one would get fewer
  // and be compared less JIT-optimized), capped in time.
  const warmRequests = connections === 1 ? 300 : settings.warmupRequests;
  for (const d of deployments) await warmUp(d, route, connections, warmRequests, Math.max(10, settings.warmupS * 4));

  const acc = deployments.map(() => ({
    ok: new Samples(),
    responses: 0,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    appCpuMs: 0,
    pgCpuMs: 0,
    cpuReadable: true,
    pgReadable: true,
    statusCodes: {} as Record<string, number>,
    loads: [] as number[],
  }));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < deployments.length; k++) {
      const i = (r + k) % deployments.length; // each round starts with the next deployment
      const a = acc[i]!;
      const run = await drive(deployments[i]!, route, connections, segmentS, (status, ms) => {
        a.responses++;
        if (isOk(status)) a.ok.push(ms);
        else a.non2xx++;
      });
      const end = run.cpuSeries[run.cpuSeries.length - 1]!;
      a.appCpuMs += end[1];
      a.pgCpuMs += end[2];
      a.cpuReadable &&= run.cpuReadable;
      a.pgReadable &&= run.pgReadable;
      a.errors += run.result.errors;
      a.timeouts += run.result.timeouts;
      a.loads.push(run.loadBefore, run.loadAfter);
      statusCodesOf(run.result, a.statusCodes);
    }
  }
  const entries: ComparisonEntry[] = deployments.map((d, i) => {
    const a = acc[i]!;
    return {
      key: d.key,
      target: d.target,
      variant: d.variant,
      stats: statsOf({
        seconds: rounds * segmentS,
        okLatencies: a.ok,
        responses: a.responses,
        non2xx: a.non2xx,
        errors: a.errors,
        timeouts: a.timeouts,
        appCpuMs: a.cpuReadable ? a.appCpuMs : null,
        pgCpuMs: a.pgReadable ? a.pgCpuMs : null,
      }),
      vsRaw: null,
      statusCodes: a.statusCodes,
      loadavg1m: { min: round(Math.min(...a.loads), 2), max: round(Math.max(...a.loads), 2) },
    };
  });
  const raw = entries.find((e) => e.key === 'raw');
  const total = (s: Stats) =>
    s.appCpuUsPerReq === null || s.pgCpuUsPerReq === null ? null : s.appCpuUsPerReq + s.pgCpuUsPerReq;
  for (const e of entries) {
    if (!raw) break;
    e.vsRaw = {
      okRps: ratio(e.stats.okRps, raw.stats.okRps),
      p50: ratio(e.stats.p50Ms, raw.stats.p50Ms),
      p99: ratio(e.stats.p99Ms, raw.stats.p99Ms),
      appCpuPerReq: ratio(e.stats.appCpuUsPerReq, raw.stats.appCpuUsPerReq),
      totalCpuPerReq: ratio(total(e.stats), total(raw.stats)),
    };
  }
  for (const e of entries) {
    const s = e.stats;
    progress(
      `http: ${route} c=${connections} ${deployments.find((d) => d.key === e.key)!.label}: ${s.okRps.toLocaleString('en')} 2xx/s (${e.vsRaw?.okRps ?? '–'}× raw), ` +
        `p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, non-2xx ${s.non2xx}, app CPU ${s.appCpuUsPerReq ?? '?'} µs/req (${e.vsRaw?.appCpuPerReq ?? '–'}× raw)`,
    );
  }
  return { route, connections, segmentS, rounds, entries };
}

// ---------------------------------------------------------------------------

export async function runHttpThroughput(options: {
  pgUrl: string;
  redisUrl: string;
  external: boolean;
  settings: HttpSettings;
}): Promise<HttpResult> {
  const { settings } = options;
  const created: string[] = [];
  const failures: HttpResult['failures'] = [];
  const deployments: Deployment[] = [];
  const sustainedRuns: SustainedRun[] = [];
  const comparisons: Comparison[] = [];
  const c = settings.connections;
  progress(
    `http: sustained runs of ${settings.durationS} s (+${settings.warmupS} s warm-up) at ${c} connections, windows of ${settings.windowS} s; ` +
      `comparisons in ${settings.rounds} turns of ${settings.segmentS} s (${settings.latencyRounds} at c=1); DB_POOL_MAX=${settings.poolMax} (${settings.poolMaxSource}) per process`,
  );
  const attempt = async (what: string, block: () => Promise<void>) => {
    try {
      await block();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push({ what, error: message });
      progress(`http: ${what} FAILED: ${message}`);
    }
  };

  try {
    const keys: DeploymentKey[] = ['raw', 'monolith', 'monolith-warn', 'monolith-nolimits', 'monolith-bun', 'split'];
    for (const key of keys) {
      progress(
        `http: starting ${key === 'split' ? `the split topology (gateway + ${splitLayout.map((l) => l.name).join(' + ')})` : key}`,
      );
      await attempt(`start ${key}`, async () => {
        try {
          deployments.push(await startDeployment(key, { ...options, created }));
        } catch (error) {
          // A busy machine can make a start miss its readiness timeout: one more try.
          progress(
            `http: ${key} did not start (${error instanceof Error ? error.message : String(error)}); trying once more`,
          );
          deployments.push(await startDeployment(key, { ...options, created }));
        }
      });
    }
    const by = (...wanted: DeploymentKey[]) =>
      wanted.map((k) => deployments.find((d) => d.key === k)).filter((d): d is Deployment => d !== undefined);

    // Phase 1: interleaved comparisons, every deployment with the same history.
    const comparing: [RouteName, number, number, DeploymentKey[]][] = [
      [GET, c, settings.rounds, ['raw', 'monolith', 'monolith-warn', 'monolith-nolimits', 'monolith-bun', 'split']],
      [POST, c, settings.rounds, ['raw', 'monolith', 'split']],
      [GET, 1, settings.latencyRounds, ['raw', 'monolith', 'split']],
    ];
    for (const [route, connections, rounds, keysOf] of comparing) {
      const those = by(...keysOf);
      if (those.length < 2) continue;
      await attempt(
        `comparison ${route} c=${connections}`,
        async () => void comparisons.push(await compare(those, route, connections, rounds, settings)),
      );
    }
    // Phase 2: sustained runs.
    for (const d of by('raw', 'monolith', 'split')) {
      for (const route of [GET, POST])
        await attempt(
          `sustained ${d.label} ${route}`,
          async () => void sustainedRuns.push(await sustained(d, route, settings)),
        );
    }
  } finally {
    for (const d of [...deployments].reverse()) await d.stop().catch(() => {});
    if (options.external && created.length > 0) await dropDatabases(options.pgUrl, created).catch(() => {});
  }

  return summarize(settings, deployments, sustainedRuns, comparisons, failures);
}

function summarize(
  settings: HttpSettings,
  deployments: Deployment[],
  sustainedRuns: SustainedRun[],
  comparisons: Comparison[],
  failures: HttpResult['failures'],
): HttpResult {
  const entry = (route: RouteName, connections: number, key: DeploymentKey) =>
    comparisons
      .find((cmp) => cmp.route === route && cmp.connections === connections)
      ?.entries.find((e) => e.key === key);
  const c = settings.connections;

  const cost = (on: ComparisonEntry | undefined, off: ComparisonEntry | undefined) =>
    on && off
      ? {
          on: on.stats.okRps,
          off: off.stats.okRps,
          rpsRatio: ratio(on.stats.okRps, off.stats.okRps),
          cpuOn: on.stats.appCpuUsPerReq,
          cpuOff: off.stats.appCpuUsPerReq,
          cpuDelta:
            on.stats.appCpuUsPerReq !== null && off.stats.appCpuUsPerReq !== null
              ? round(on.stats.appCpuUsPerReq - off.stats.appCpuUsPerReq, 1)
              : null,
          cpuRatio: ratio(on.stats.appCpuUsPerReq, off.stats.appCpuUsPerReq),
        }
      : undefined;
  const log = cost(entry(GET, c, 'monolith'), entry(GET, c, 'monolith-warn'));
  const limits =
    settings.rateLimits === 'off' ? undefined : cost(entry(GET, c, 'monolith'), entry(GET, c, 'monolith-nolimits'));

  const targets: Target[] = [];
  for (const route of [GET, POST]) {
    const verb = route.split(' ')[0];
    const mono = entry(route, c, 'monolith');
    const split = entry(route, c, 'split');
    targets.push(
      target(`monolith ${verb} throughput (2xx/s) ÷ raw baseline (c=${c})`, mono?.vsRaw?.okRps ?? null, '>=', 0.8, '×'),
    );
    targets.push(
      target(
        `split p50 − monolith p50, ${verb} (c=${c})`,
        mono && split ? round(split.stats.p50Ms - mono.stats.p50Ms, 2) : null,
        '<=',
        1,
        'ms',
      ),
    );
  }
  // Issue 12's targets.
  const monoGet = entry(GET, c, 'monolith');
  const splitGet = entry(GET, c, 'split');
  const bunGet = entry(GET, c, 'monolith-bun');
  targets.push(
    target(
      `split GET throughput ÷ monolith (c=${c})`,
      monoGet && splitGet ? ratio(splitGet.stats.okRps, monoGet.stats.okRps) : null,
      '>=',
      0.5,
      '×',
    ),
  );
  targets.push(
    target(
      `monolith POST throughput ÷ raw baseline, issue 12 (c=${c})`,
      entry(POST, c, 'monolith')?.vsRaw?.okRps ?? null,
      '>=',
      0.4,
      '×',
    ),
  );
  targets.push(
    target(
      `monolith under Bun ÷ under Node, GET throughput (c=${c})`,
      monoGet && bunGet ? ratio(bunGet.stats.okRps, monoGet.stats.okRps) : null,
      '>=',
      1.5,
      '×',
    ),
  );
  const monoC1 = entry(GET, 1, 'monolith');
  const splitC1 = entry(GET, 1, 'split');
  const rawC1 = entry(GET, 1, 'raw');
  targets.push(
    target(
      'monolith p50 − raw p50, GET (c=1)',
      monoC1 && rawC1 ? round(monoC1.stats.p50Ms - rawC1.stats.p50Ms, 2) : null,
      '<=',
      0.3,
      'ms',
    ),
  );
  targets.push(
    target(
      'split p50 − monolith p50, GET (c=1, unloaded)',
      monoC1 && splitC1 ? round(splitC1.stats.p50Ms - monoC1.stats.p50Ms, 2) : null,
      '<=',
      1,
      'ms',
    ),
  );

  return {
    settings,
    deployments: deployments.map((d) => ({
      key: d.key,
      target: d.target,
      variant: d.variant,
      processes: d.processes.map((p) => ({ name: p.name, pid: p.child.pid })),
      poolsPerTarget: d.poolsPerTarget,
    })),
    sustained: sustainedRuns,
    comparisons,
    logCost: log
      ? {
          okRpsInfo: log.on,
          okRpsWarn: log.off,
          rpsRatio: log.rpsRatio,
          throughputLostPct: log.off > 0 ? round((1 - log.on / log.off) * 100, 1) : null,
          appCpuUsPerReqInfo: log.cpuOn,
          appCpuUsPerReqWarn: log.cpuOff,
          appCpuUsPerReqDelta: log.cpuDelta,
          cpuRatio: log.cpuRatio,
        }
      : null,
    rateLimitCost: limits
      ? {
          okRpsOn: limits.on,
          okRpsOff: limits.off,
          rpsRatio: limits.rpsRatio,
          appCpuUsPerReqOn: limits.cpuOn,
          appCpuUsPerReqOff: limits.cpuOff,
          appCpuUsPerReqDelta: limits.cpuDelta,
          cpuRatio: limits.cpuRatio,
        }
      : null,
    targets,
    failures,
  };
}
