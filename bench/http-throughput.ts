/**
 * HTTP throughput with autocannon against three targets, each in its own process(es) on a
 * fresh database:
 *   raw       bench/raw-baseline.ts: bare Hono + postgres.js, same SQL (the baseline)
 *   monolith  src/runtimes/monolith.ts (LOG_LEVEL=info; GET also with LOG_LEVEL=warn)
 *   split     the gateway + one process per service of scripts/split-topology.ts's layout
 * Routes: GET /v1/items/{id} and POST /v1/items (authenticated on the platform), at
 * BENCH_CONNECTIONS (default 50) for BENCH_DURATION s (default 60), after BENCH_WARMUP s.
 * Also GET at 1 connection (unloaded latency, at most 10 s).
 *
 * Every response's latency is recorded by second, so the first and last windows
 * (10 s each, or half the run when shorter) are reported apart from the whole run: a
 * throughput that decays over the run shows up as last/first < 1. The CPU time of the
 * target's processes and of its PostgreSQL backends is read from /proc over the same
 * windows: CPU µs per request is far steadier than req/s on a busy shared machine.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import type { ChildProcess } from 'node:child_process';
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

export interface HttpSettings {
  durationS: number;
  warmupS: number;
  connections: number;
  windowS: number;
  latencyRunS: number;
  poolMax: number;
  poolMaxSource: string;
  seedRows: number;
  /** Edge rate limits of the platform targets: on with unreachable ceilings, or off. */
  rateLimits: 'on (ceilings of 1e9/min: middleware cost kept, nothing rejected)' | 'off';
}

export interface Window {
  fromS: number;
  toS: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  non2xx: number;
  /** CPU of the target's Node processes per request, µs (null when /proc is unreadable). */
  appCpuUsPerReq: number | null;
  /** CPU of its PostgreSQL backends per request, µs. */
  pgCpuUsPerReq: number | null;
  /** Average cores the target's Node processes used. */
  appCores: number | null;
  pgCores: number | null;
}

export interface RunResult {
  key: string;
  target: TargetName;
  variant: string;
  route: RouteName;
  connections: number;
  durationS: number;
  /** postgres.js pool size of each process that has one, and how many such processes. */
  poolMax: number;
  poolsPerTarget: number;
  overall: Window;
  first: Window | null;
  last: Window | null;
  /** last.rps / first.rps: below 1 when throughput decays over the run. */
  lastToFirst: number | null;
  perSecondRps: number[];
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  autocannon: { rpsMean: number; p50Ms: number; p99Ms: number };
  loadavg1m: { before: number; after: number };
  /** Ratios to the raw baseline's run of the same route and connections. */
  vsRaw: {
    rps: number | null;
    p50: number | null;
    p99: number | null;
    appCpuPerReq: number | null;
    totalCpuPerReq: number | null;
    firstRps: number | null;
    lastRps: number | null;
  } | null;
}

export interface HttpResult {
  settings: HttpSettings;
  runs: RunResult[];
  logCost: {
    getRpsInfo: number;
    getRpsWarn: number;
    /** info ÷ warn throughput (1 = free). */
    rpsRatio: number | null;
    /** 1 − info/warn, as a percentage of throughput lost to the access log. */
    throughputLostPct: number | null;
    appCpuUsPerReqInfo: number | null;
    appCpuUsPerReqWarn: number | null;
    /** Extra app CPU per request with the access log on. */
    appCpuUsPerReqDelta: number | null;
    cpuRatio: number | null;
  } | null;
  /** Monolith GET with the edge rate limits on (unreachable ceilings) vs off. */
  rateLimitCost: {
    getRpsOn: number;
    getRpsOff: number;
    rpsRatio: number | null;
    appCpuUsPerReqOn: number | null;
    appCpuUsPerReqOff: number | null;
    appCpuUsPerReqDelta: number | null;
  } | null;
  targets: Target[];
  /** Targets that could not be measured, with why. */
  failures: { target: TargetName; error: string }[];
}

const ITEM_BODY = JSON.stringify({
  title: 'Cordless drill',
  description: '18 V, two batteries and a charger',
  category: 'power-tools',
  dailyPrice: { amount: 1500, currency: 'EUR' },
  deposit: { amount: 5000, currency: 'EUR' },
  condition: 'good',
});

export function httpSettingsFromEnv(): HttpSettings {
  const durationS = Math.round(envNumber('BENCH_DURATION', 60));
  const defaultPool = parseConfig({}).DB_POOL_MAX;
  return {
    durationS,
    warmupS: Math.round(envNumber('BENCH_WARMUP', 5)),
    connections: Math.round(envNumber('BENCH_CONNECTIONS', 50)),
    windowS: Math.max(1, Math.min(10, Math.floor(durationS / 2))),
    latencyRunS: Math.min(10, durationS),
    poolMax: Math.round(envNumber('DB_POOL_MAX', defaultPool)),
    poolMaxSource: process.env.DB_POOL_MAX ? 'DB_POOL_MAX' : 'app default (src/shared/config/config.ts)',
    seedRows: 10_000,
    rateLimits: process.env.BENCH_RATE_LIMITS === 'off' ? 'off' : 'on (ceilings of 1e9/min: middleware cost kept, nothing rejected)',
  };
}

// ---------------------------------------------------------------------------
// One load run.

interface LoadSpec {
  key: string;
  target: TargetName;
  variant: string;
  route: RouteName;
  url: string;
  headers?: Record<string, string>;
  connections: number;
  durationS: number;
  poolsPerTarget: number;
  appPids: number[];
  databaseUrl: string;
}

function cannon(options: autocannon.Options, onResponse?: (status: number, ms: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    if (onResponse) instance.on('response', (_client, status, _bytes, ms) => onResponse(status, ms));
  });
}

/** Pids of the PostgreSQL backends connected to the database (its pools, once warm). */
async function backendPids(databaseUrl: string): Promise<number[]> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
    return rows.map((r) => r.pid);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function runLoad(spec: LoadSpec, settings: HttpSettings): Promise<RunResult> {
  const method = spec.route.startsWith('POST') ? 'POST' : 'GET';
  const base: autocannon.Options = {
    url: spec.url,
    method,
    connections: spec.connections,
    headers: { ...(method === 'POST' ? { 'content-type': 'application/json' } : {}), ...spec.headers },
    ...(method === 'POST' ? { body: ITEM_BODY } : {}),
  };
  const label = `${spec.target}${spec.variant ? ` (${spec.variant})` : ''} ${spec.route} c=${spec.connections}`;
  const warmupS = spec.connections === 1 ? Math.min(2, settings.warmupS) : settings.warmupS;
  progress(`http: ${label}: warm-up ${warmupS} s, then ${spec.durationS} s`);
  if (warmupS > 0) await cannon({ ...base, duration: warmupS });

  const pgPids = await backendPids(spec.databaseUrl).catch(() => []);
  const durationS = spec.durationS;
  const latency = new Samples();
  const second = new Samples();
  const perSecond = new Array<number>(durationS).fill(0);
  const non2xxPerSecond = new Array<number>(durationS).fill(0);
  const appStart = cpuSnapshot(spec.appPids);
  const pgStart = cpuSnapshot(pgPids);
  /** Cumulative CPU ms since the start, sampled about every second: [s, app, pg]. */
  const cpuSeries: [number, number, number][] = [[0, 0, 0]];
  const loadBefore = loadavg()[0]!;
  const started = performance.now();
  const sampleCpu = () => {
    const t = (performance.now() - started) / 1000;
    cpuSeries.push([t, cpuBetween(appStart, cpuSnapshot(spec.appPids)), cpuBetween(pgStart, cpuSnapshot(pgPids))]);
  };
  let lastPrinted = 0;
  const timer = setInterval(() => {
    sampleCpu();
    const s = Math.floor((performance.now() - started) / 1000);
    if (s >= lastPrinted + 10 && s < durationS) {
      lastPrinted = s;
      const recent = perSecond.slice(Math.max(0, s - 10), s);
      progress(`http: ${label}: ${s}/${durationS} s, ${Math.round(recent.reduce((a, b) => a + b, 0) / Math.max(1, recent.length)).toLocaleString('en')} req/s over the last ${recent.length} s`);
    }
  }, 1000);
  let result: autocannon.Result;
  try {
    result = await cannon({ ...base, duration: durationS }, (status, ms) => {
      const s = Math.floor((performance.now() - started) / 1000);
      if (s >= durationS) return;
      latency.push(ms);
      second.push(s);
      perSecond[s]!++;
      if (status < 200 || status >= 300) non2xxPerSecond[s]!++;
    });
  } finally {
    clearInterval(timer);
  }
  sampleCpu();
  const cpuReadable = spec.appPids.length > 0 && appStart.size > 0;
  const pgReadable = pgStart.size > 0;

  /** Cumulative CPU at time t (the nearest sample; the last one for the end of the run). */
  const cpuAt = (t: number): [number, number] => {
    if (!Number.isFinite(t)) {
      const end = cpuSeries[cpuSeries.length - 1]!;
      return [end[1], end[2]];
    }
    let best = cpuSeries[0]!;
    for (const sample of cpuSeries) if (Math.abs(sample[0] - t) < Math.abs(best[0] - t)) best = sample;
    return [best[1], best[2]];
  };
  const windowOf = (fromS: number, toS: number): Window => {
    const picked = new Samples();
    for (let i = 0; i < latency.length; i++) {
      const s = second.at(i);
      if (s >= fromS && s < toS) picked.push(latency.at(i));
    }
    const sorted = picked.sorted();
    const requests = picked.length;
    const seconds = toS - fromS;
    const [appFrom, pgFrom] = cpuAt(fromS);
    const [appTo, pgTo] = toS >= durationS ? cpuAt(Number.POSITIVE_INFINITY) : cpuAt(toS);
    const perReq = (ms: number) => (requests > 0 ? round((ms * 1000) / requests, 1) : null);
    return {
      fromS,
      toS,
      requests,
      rps: Math.round(requests / seconds),
      p50Ms: round(percentile(sorted, 50), 2),
      p90Ms: round(percentile(sorted, 90), 2),
      p99Ms: round(percentile(sorted, 99), 2),
      non2xx: non2xxPerSecond.slice(fromS, toS).reduce((a, b) => a + b, 0),
      appCpuUsPerReq: cpuReadable ? perReq(appTo - appFrom) : null,
      pgCpuUsPerReq: pgReadable ? perReq(pgTo - pgFrom) : null,
      appCores: cpuReadable ? round((appTo - appFrom) / (seconds * 1000), 2) : null,
      pgCores: pgReadable ? round((pgTo - pgFrom) / (seconds * 1000), 2) : null,
    };
  };
  const overall = windowOf(0, durationS);
  const w = settings.windowS;
  const split = durationS >= 2 * w && spec.connections > 1;
  const first = split ? windowOf(0, w) : null;
  const last = split ? windowOf(durationS - w, durationS) : null;
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = (stat as { count: number }).count;
  const run: RunResult = {
    key: spec.key,
    target: spec.target,
    variant: spec.variant,
    route: spec.route,
    connections: spec.connections,
    durationS,
    poolMax: settings.poolMax,
    poolsPerTarget: spec.poolsPerTarget,
    overall,
    first,
    last,
    lastToFirst: first && last ? ratio(last.rps, first.rps, 3) : null,
    perSecondRps: perSecond,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    autocannon: { rpsMean: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99 },
    loadavg1m: { before: round(loadBefore, 2), after: round(loadavg()[0]!, 2) },
    vsRaw: null,
  };
  const cpu = overall.appCpuUsPerReq === null ? '' : `, app CPU ${overall.appCpuUsPerReq} µs/req (${overall.appCores} cores), PG CPU ${overall.pgCpuUsPerReq ?? '?'} µs/req`;
  const decay = run.lastToFirst === null ? '' : `, first ${w} s ${first!.rps.toLocaleString('en')} → last ${w} s ${last!.rps.toLocaleString('en')} req/s`;
  progress(
    `http: ${label}: ${overall.rps.toLocaleString('en')} req/s, p50 ${overall.p50Ms} ms, p99 ${overall.p99Ms} ms, non-2xx ${overall.non2xx}, errors ${result.errors}${decay}${cpu}`,
  );
  return run;
}

// ---------------------------------------------------------------------------
// Targets.

interface Started {
  baseUrl: string;
  children: ChildProcess[];
  poolsPerTarget: number;
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
    const [row] = await sql<{ id: string }[]>`select id from inventory.items order by id offset ${Math.floor(rows / 2)} limit 1`;
    return row!.id;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function json(url: string, init: RequestInit & { expect: number }): Promise<Record<string, unknown>> {
  const response = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });
  const text = await response.text();
  if (response.status !== init.expect) throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}, expected ${init.expect}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Registers and logs in a bench user through the public API; returns its id and token. */
async function authenticate(baseUrl: string): Promise<{ userId: string; token: string }> {
  const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
  const password = 'correct-horse-battery-staple';
  const user = await json(`${baseUrl}/v1/auth/register`, { method: 'POST', expect: 201, body: JSON.stringify({ email, password, displayName: 'Bench' }) });
  const tokens = await json(`${baseUrl}/v1/auth/login`, { method: 'POST', expect: 200, body: JSON.stringify({ email, password }) });
  return { userId: String(user.id), token: String(tokens.accessToken) };
}

/**
 * The edge rate limits stay on (their per-request Redis round trip is part of the cost) but
 * with ceilings no load test reaches: 600 req/min per IP would otherwise turn a run into a
 * 429 benchmark. BENCH_RATE_LIMITS=off switches them off (0) instead.
 */
export function rateLimitEnv(): Record<string, string> {
  const value = process.env.BENCH_RATE_LIMITS === 'off' ? '0' : '1000000000';
  return { RATE_LIMIT_GLOBAL_PER_MINUTE: value, RATE_LIMIT_WRITES_PER_MINUTE: value };
}

function platformEnv(databaseUrl: string, redisUrl: string, settings: HttpSettings, logLevel: string): Record<string, string> {
  return {
    ...rateLimitEnv(),
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

async function startRaw(databaseUrl: string, settings: HttpSettings): Promise<Started> {
  const port = await freePort();
  const child = spawnBenchProcess('bench/raw-baseline.ts', [], { DATABASE_URL: databaseUrl, PORT: String(port), DB_POOL_MAX: String(settings.poolMax) }, 'raw-baseline');
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = () => stopAll([child]);
  try {
    await waitForReady(`${baseUrl}/readyz`, 60_000, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, children: [child], poolsPerTarget: 1, stop };
}

async function startMonolith(databaseUrl: string, redisUrl: string, settings: HttpSettings, logLevel: string, extraEnv: Record<string, string> = {}): Promise<Started> {
  const port = await freePort();
  const env = { ...platformEnv(databaseUrl, redisUrl, settings, logLevel), ...extraEnv, PORT: String(port), HOST: '127.0.0.1' };
  const child = track(spawnRuntime('monolith.ts', env, { name: 'monolith' }));
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = () => stopAll([child]);
  try {
    await waitForReady(`${baseUrl}/readyz`, 60_000, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, children: [child], poolsPerTarget: 1, stop };
}

async function startSplit(databaseUrl: string, redisUrl: string, settings: HttpSettings, logLevel: string): Promise<Started> {
  const topology = await startSplitTopology({ env: platformEnv(databaseUrl, redisUrl, settings, logLevel), gatewayPort: await freePort() });
  for (const p of topology.processes) track(p.child);
  progress(`http: split topology up: ${topology.processes.map((p) => `${p.name} (pid ${p.child.pid})`).join(', ')}`);
  // The gateway hosts no module and opens no pool; each service opens one.
  return { baseUrl: topology.gatewayUrl, children: topology.processes.map((p) => p.child), poolsPerTarget: topology.processes.length - 1, stop: topology.stop };
}

async function freshDatabase(serverUrl: string, external: boolean, label: string, created: string[]): Promise<string> {
  try {
    const url = await createDatabase(serverUrl, `bench_${label}_${randomBytes(3).toString('hex')}`);
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

async function sanityCheck(baseUrl: string, itemId: string, token: string | undefined): Promise<void> {
  const item = await json(`${baseUrl}/v1/items/${itemId}`, { method: 'GET', expect: 200 });
  if (item.id !== itemId) throw new Error(`GET ${baseUrl}/v1/items/${itemId} returned another item`);
  await json(`${baseUrl}/v1/items`, { method: 'POST', expect: 201, body: ITEM_BODY, headers: token ? { authorization: `Bearer ${token}` } : {} });
}

// ---------------------------------------------------------------------------

export async function runHttpThroughput(options: { pgUrl: string; redisUrl: string; external: boolean; settings: HttpSettings }): Promise<HttpResult> {
  const { pgUrl, redisUrl, external, settings } = options;
  const runs: RunResult[] = [];
  const created: string[] = [];
  const c = settings.connections;
  const d = settings.durationS;
  progress(
    `http: ${d} s per run (+${settings.warmupS} s warm-up) at ${c} connections; windows of ${settings.windowS} s; DB_POOL_MAX=${settings.poolMax} (${settings.poolMaxSource}) per process`,
  );

  const measureTarget = async (
    name: TargetName,
    variant: string,
    started: Started,
    databaseUrl: string,
    token: string | undefined,
    itemId: string,
    which: { post: boolean; latency: boolean; suffix?: string },
  ) => {
    const common = { target: name, variant, poolsPerTarget: started.poolsPerTarget, appPids: started.children.map((ch) => ch.pid!).filter(Boolean), databaseUrl };
    const suffix = which.suffix ?? '';
    const auth = token ? { authorization: `Bearer ${token}` } : undefined;
    runs.push(await runLoad({ ...common, key: `${name}:get${suffix}`, route: 'GET /v1/items/{id}', url: `${started.baseUrl}/v1/items/${itemId}`, connections: c, durationS: d }, settings));
    if (which.post) {
      runs.push(await runLoad({ ...common, key: `${name}:post${suffix}`, route: 'POST /v1/items', url: `${started.baseUrl}/v1/items`, headers: auth, connections: c, durationS: d }, settings));
    }
    if (which.latency) {
      runs.push(
        await runLoad({ ...common, key: `${name}:get:c1${suffix}`, route: 'GET /v1/items/{id}', url: `${started.baseUrl}/v1/items/${itemId}`, connections: 1, durationS: settings.latencyRunS }, settings),
      );
    }
  };

  const failures: { target: TargetName; error: string }[] = [];
  /** Runs one target's block; a failure is reported and the other targets still run. */
  const attempt = async (name: TargetName, block: () => Promise<void>) => {
    try {
      await block();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push({ target: name, error: message });
      progress(`http: ${name} FAILED: ${message}`);
    }
  };

  try {
    // Raw baseline.
    await attempt('raw', async () => {
      const databaseUrl = await freshDatabase(pgUrl, external, 'raw', created);
      await migrateModule({} as Database, databaseUrl, 'inventory', MIGRATIONS('inventory'));
      const itemId = await seedItems(databaseUrl, crypto.randomUUID(), settings.seedRows);
      progress('http: starting the raw baseline (bench/raw-baseline.ts)');
      const raw = await startRaw(databaseUrl, settings);
      try {
        await sanityCheck(raw.baseUrl, itemId, undefined);
        await measureTarget('raw', '', raw, databaseUrl, undefined, itemId, { post: true, latency: true });
      } finally {
        await raw.stop();
      }
    });

    // Monolith: LOG_LEVEL=info (the default: one access log line per request), then warn for GET.
    await attempt('monolith', async () => {
      const databaseUrl = await freshDatabase(pgUrl, external, 'monolith', created);
      progress('http: starting the monolith (LOG_LEVEL=info)');
      let mono = await startMonolith(databaseUrl, redisUrl, settings, 'info');
      let itemId: string;
      try {
        const { userId, token } = await authenticate(mono.baseUrl);
        itemId = await seedItems(databaseUrl, userId, settings.seedRows);
        await sanityCheck(mono.baseUrl, itemId, token);
        await measureTarget('monolith', 'LOG_LEVEL=info', mono, databaseUrl, token, itemId, { post: true, latency: true });
      } finally {
        await mono.stop();
      }
      progress('http: restarting the monolith with LOG_LEVEL=warn (no access log)');
      mono = await startMonolith(databaseUrl, redisUrl, settings, 'warn');
      try {
        await measureTarget('monolith', 'LOG_LEVEL=warn', mono, databaseUrl, undefined, itemId, { post: false, latency: false, suffix: ':warn' });
      } finally {
        await mono.stop();
      }
      progress('http: restarting the monolith with the edge rate limits off (LOG_LEVEL=info)');
      mono = await startMonolith(databaseUrl, redisUrl, settings, 'info', { RATE_LIMIT_GLOBAL_PER_MINUTE: '0', RATE_LIMIT_WRITES_PER_MINUTE: '0' });
      try {
        await measureTarget('monolith', 'LOG_LEVEL=info, rate limits off', mono, databaseUrl, undefined, itemId, { post: false, latency: false, suffix: ':nolimits' });
      } finally {
        await mono.stop();
      }
    });

    // Split topology.
    await attempt('split', async () => {
      const databaseUrl = await freshDatabase(pgUrl, external, 'split', created);
      progress(`http: starting the split topology (gateway + ${splitLayout.map((l) => l.name).join(' + ')}, LOG_LEVEL=info)`);
      const split = await startSplit(databaseUrl, redisUrl, settings, 'info');
      try {
        const { userId, token } = await authenticate(split.baseUrl);
        const itemId = await seedItems(databaseUrl, userId, settings.seedRows);
        await sanityCheck(split.baseUrl, itemId, token);
        await measureTarget('split', 'LOG_LEVEL=info', split, databaseUrl, token, itemId, { post: true, latency: true });
      } finally {
        await split.stop();
      }
    });
  } finally {
    if (external && created.length > 0) await dropDatabases(pgUrl, created).catch(() => {});
  }

  return summarize(settings, runs, failures);
}

function summarize(settings: HttpSettings, runs: RunResult[], failures: HttpResult['failures']): HttpResult {
  const find = (key: string) => runs.find((r) => r.key === key);
  for (const run of runs) {
    const raw = runs.find((r) => r.target === 'raw' && r.route === run.route && r.connections === run.connections);
    if (!raw) continue;
    const total = (w: Window) => (w.appCpuUsPerReq === null || w.pgCpuUsPerReq === null ? null : w.appCpuUsPerReq + w.pgCpuUsPerReq);
    run.vsRaw = {
      rps: ratio(run.overall.rps, raw.overall.rps),
      p50: ratio(run.overall.p50Ms, raw.overall.p50Ms),
      p99: ratio(run.overall.p99Ms, raw.overall.p99Ms),
      appCpuPerReq: ratio(run.overall.appCpuUsPerReq, raw.overall.appCpuUsPerReq),
      totalCpuPerReq: ratio(total(run.overall), total(raw.overall)),
      firstRps: ratio(run.first?.rps, raw.first?.rps),
      lastRps: ratio(run.last?.rps, raw.last?.rps),
    };
  }

  const info = find('monolith:get');
  const warn = find('monolith:get:warn');
  const logCost =
    info && warn
      ? {
          getRpsInfo: info.overall.rps,
          getRpsWarn: warn.overall.rps,
          rpsRatio: ratio(info.overall.rps, warn.overall.rps),
          throughputLostPct: warn.overall.rps > 0 ? round((1 - info.overall.rps / warn.overall.rps) * 100, 1) : null,
          appCpuUsPerReqInfo: info.overall.appCpuUsPerReq,
          appCpuUsPerReqWarn: warn.overall.appCpuUsPerReq,
          appCpuUsPerReqDelta:
            info.overall.appCpuUsPerReq !== null && warn.overall.appCpuUsPerReq !== null ? round(info.overall.appCpuUsPerReq - warn.overall.appCpuUsPerReq, 1) : null,
          cpuRatio: ratio(info.overall.appCpuUsPerReq, warn.overall.appCpuUsPerReq),
        }
      : null;

  const limitsOff = find('monolith:get:nolimits');
  const rateLimitCost =
    info && limitsOff && settings.rateLimits !== 'off'
      ? {
          getRpsOn: info.overall.rps,
          getRpsOff: limitsOff.overall.rps,
          rpsRatio: ratio(info.overall.rps, limitsOff.overall.rps),
          appCpuUsPerReqOn: info.overall.appCpuUsPerReq,
          appCpuUsPerReqOff: limitsOff.overall.appCpuUsPerReq,
          appCpuUsPerReqDelta:
            info.overall.appCpuUsPerReq !== null && limitsOff.overall.appCpuUsPerReq !== null ? round(info.overall.appCpuUsPerReq - limitsOff.overall.appCpuUsPerReq, 1) : null,
        }
      : null;

  const targets: Target[] = [];
  const c = settings.connections;
  for (const [route, key] of [
    ['GET', 'get'],
    ['POST', 'post'],
  ] as const) {
    const mono = find(`monolith:${key}`);
    const split = find(`split:${key}`);
    targets.push(target(`monolith ${route} throughput ÷ raw baseline (c=${c})`, mono?.vsRaw?.rps ?? null, '>=', 0.8, '×'));
    targets.push(
      target(
        `split p50 − monolith p50, ${route} (c=${c})`,
        mono && split ? round(split.overall.p50Ms - mono.overall.p50Ms, 2) : null,
        '<=',
        1,
        'ms',
      ),
    );
  }
  const monoC1 = find('monolith:get:c1');
  const splitC1 = find('split:get:c1');
  targets.push(target('split p50 − monolith p50, GET (c=1, unloaded)', monoC1 && splitC1 ? round(splitC1.overall.p50Ms - monoC1.overall.p50Ms, 2) : null, '<=', 1, 'ms'));
  return { settings, runs, logCost, rateLimitCost, targets, failures };
}
