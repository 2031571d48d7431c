/**
 * `npm run bench:rentals`: the rental flow end to end through the public API — rent
 * (POST /v1/rentals: the saga) then return (POST /v1/rentals/{id}/return: the two-phase
 * settlement) — on three deployments, each on its own fresh database:
 *   raw       bench/raw-rentals.ts: the same business effects in one local transaction each (the baseline)
 *   monolith  src/runtimes/monolith.ts
 *   split     the gateway + one process per service (scripts/split-topology.ts)
 *
 * Two phases:
 *   1. load: RENTALS_BENCH_WORKERS workers (default 8), each a renter with a funded wallet and
 *      an owner with a few items, rent and return in a loop. The deployments take turns of
 *      RENTALS_BENCH_TURN_S seconds (default 5), RENTALS_BENCH_ROUNDS rounds (default 4),
 *      each round starting with the next one, so background load hits all alike. Reported:
 *      completed rentals (rent + return) per second and its ratio to the baseline, latency of
 *      both requests (p50, p99), CPU of the deployment's Node processes per rental.
 *   2. statements: RENTALS_BENCH_COUNT rentals (default 20), one at a time, then their returns:
 *      the statements sent to PostgreSQL (db_queries_total, every process summed) per rental
 *      and per return, during the requests and after them (events: outbox relay, consumers)
 *      until the deployment is idle again, less its idle rate (recovery and relay polling).
 * RENTALS_BENCH_ONLY=monolith (or split) skips the other deployment while iterating.
 * Writes bench/results/rentals.{json,md}. Starts throwaway PostgreSQL and Redis (or uses
 * DATABASE_URL / REDIS_URL); every process it starts is stopped at the end, on error and on Ctrl-C.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { Pool } from 'undici';
import { spawnRuntime, stopAll, waitForReady } from '../scripts/processes.ts';
import { startSplitTopology } from '../scripts/split-topology.ts';
import { createDatabase, freePort, startPostgres, startRedis, type Service } from '../test/support/services.ts';
import {
  BENCH_INTERNAL_SECRET,
  BENCH_JWT_SECRET,
  Samples,
  cpuBetween,
  cpuSnapshot,
  envNumber,
  installCleanup,
  percentile,
  progress,
  ratio,
  root,
  round,
  sleep,
  spawnBenchProcess,
  track,
} from './support.ts';

type Name = 'raw' | 'monolith' | 'split';

const settings = {
  workers: Math.round(envNumber('RENTALS_BENCH_WORKERS', 8)),
  turnS: envNumber('RENTALS_BENCH_TURN_S', 5),
  rounds: Math.round(envNumber('RENTALS_BENCH_ROUNDS', 4)),
  itemsPerWorker: Math.round(envNumber('RENTALS_BENCH_ITEMS', 3)),
  count: Math.round(envNumber('RENTALS_BENCH_COUNT', 20)),
  poolMax: Math.round(envNumber('DB_POOL_MAX', 20)),
  /** RENTALS_BENCH_ONLY=monolith (or split, or both, comma-separated): the baseline runs always. */
  only: new Set((process.env.RENTALS_BENCH_ONLY ?? 'monolith,split').split(',').map((s) => s.trim())),
};
/** Each rental: 1 day at 10.00 plus a 50.00 deposit, from a wallet of 20,000.00. */
const FUNDS = 2_000_000;
const ITEM = {
  title: 'Bench tent',
  description: 'Two-person tent',
  category: 'camping',
  dailyPrice: { amount: 1_000, currency: 'EUR' },
  deposit: { amount: 5_000, currency: 'EUR' },
  condition: 'good',
};

/** A renter with a wallet and an owner with items, on one deployment. */
interface Party {
  renter: Record<string, string>;
  owner: Record<string, string>;
  items: string[];
  next: number;
}

interface Deployment {
  name: Name;
  baseUrl: string;
  databaseUrl: string;
  pool: Pool;
  /** Where db_queries_total is read: every process that opens a database. */
  metricsUrls: string[];
  pids: number[];
  workers: Party[];
  counted: Party;
  stop(): Promise<void>;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  ms: number;
}

async function call(
  d: Deployment,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<Answer> {
  const started = performance.now();
  const res = await d.pool.request({
    method,
    path,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    ms: performance.now() - started,
  };
}

/** A setup call that must answer status; a 5xx (a busy machine) is retried a few times, after which alsoAfterRetry (the first try took effect) will do. */
async function expect(
  send: () => Promise<Answer>,
  status: number,
  what: string,
  alsoAfterRetry?: number,
): Promise<Record<string, unknown>> {
  for (let attempt = 1; ; attempt++) {
    const a = await send();
    if (a.status === status || (attempt > 1 && a.status === alsoAfterRetry)) return a.body;
    if (a.status < 500 || attempt === 3)
      throw new Error(`${what}: ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
    await sleep(500 * attempt);
  }
}

/** Today: the same period every time (a returned rental no longer holds it); it has started, so it is handed over at once and can be returned. */
function period() {
  const start = Math.floor(Date.now() / 86_400_000) * 86_400_000;
  return { from: new Date(start).toISOString(), to: new Date(start + 86_400_000).toISOString() };
}

// ---------------------------------------------------------------------------
// Deployments.

function platformEnv(databaseUrl: string, redisUrl: string): Record<string, string> {
  const unreachable = '1000000000';
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `benchr${randomBytes(3).toString('hex')}:`,
    LOG_LEVEL: 'warn',
    LOG_PRETTY: '0',
    DB_POOL_MAX: String(settings.poolMax),
    NODE_ENV: 'production',
    JWT_SECRET: BENCH_JWT_SECRET,
    INTERNAL_SERVICE_SECRET: BENCH_INTERNAL_SECRET,
    // Rate limits on, with ceilings no benchmark reaches.
    RATE_LIMIT_GLOBAL_PER_MINUTE: unreachable,
    RATE_LIMIT_WRITES_PER_MINUTE: unreachable,
    RATE_LIMIT_AUTH_PER_MINUTE: unreachable,
  };
}

async function startDeployment(name: Name, pgUrl: string, redisUrl: string): Promise<Deployment> {
  const databaseUrl = await createDatabase(pgUrl, `bench_rentals_${name}_${randomBytes(3).toString('hex')}`);
  let baseUrl: string;
  let metricsUrls: string[];
  let pids: number[];
  let stop: () => Promise<void>;
  if (name === 'split') {
    const topology = await startSplitTopology({
      env: platformEnv(databaseUrl, redisUrl),
      gatewayPort: await freePort(),
    });
    for (const p of topology.processes) track(p.child);
    baseUrl = topology.gatewayUrl;
    metricsUrls = topology.processes.filter((p) => p.name !== 'gateway').map((p) => `${p.url}/metrics`);
    pids = topology.processes.map((p) => p.child.pid!);
    stop = topology.stop;
  } else {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const child =
      name === 'raw'
        ? spawnBenchProcess(
            'bench/raw-rentals.ts',
            [],
            { DATABASE_URL: databaseUrl, PORT: String(port), DB_POOL_MAX: String(settings.poolMax) },
            'raw-rentals',
          )
        : track(
            spawnRuntime(
              'monolith.ts',
              { ...platformEnv(databaseUrl, redisUrl), PORT: String(port), HOST: '127.0.0.1' },
              { name },
            ),
          );
    await waitForReady(`${baseUrl}/readyz`, 90_000, child);
    metricsUrls = [`${baseUrl}/metrics`];
    pids = [child.pid!];
    stop = () => stopAll([child]);
  }
  const pool = new Pool(baseUrl, { connections: settings.workers + 4 });
  const d: Deployment = {
    name,
    baseUrl,
    databaseUrl,
    pool,
    metricsUrls,
    pids,
    workers: [],
    counted: undefined as unknown as Party,
    stop: async () => (await pool.close(), await stop()),
  };
  try {
    for (let i = 0; i < settings.workers; i++) d.workers.push(await party(d, settings.itemsPerWorker));
    d.counted = await party(d, settings.count);
  } catch (error) {
    await d.stop();
    throw error;
  }
  progress(
    `${name} ready at ${baseUrl} (pids ${pids.join(', ')}): ${settings.workers} renters with ${settings.itemsPerWorker} items each`,
  );
  return d;
}

/** A funded renter and an owner with `items` items, through the public API (the baseline seeds its tables). */
async function party(d: Deployment, items: number): Promise<Party> {
  if (d.name === 'raw') {
    const seeded = await expect(() => call(d, 'POST', '/seed', {}, { items, funds: FUNDS }), 200, 'seed');
    return { renter: { 'x-user': String(seeded.renterId) }, owner: {}, items: seeded.itemIds as string[], next: 0 };
  }
  const renter = await member(d);
  const owner = await member(d);
  await expect(() => call(d, 'POST', '/v1/wallet/top-ups', renter, { amount: FUNDS, currency: 'EUR' }), 201, 'top-up');
  const listed: string[] = [];
  for (let i = 0; i < items; i++)
    listed.push(String((await expect(() => call(d, 'POST', '/v1/items', owner, ITEM), 201, 'list an item')).id));
  return { renter, owner, items: listed, next: 0 };
}

async function member(d: Deployment): Promise<Record<string, string>> {
  const email = `bench-${randomBytes(5).toString('hex')}@example.com`;
  const password = 'correct-horse-battery-staple';
  await expect(
    () => call(d, 'POST', '/v1/auth/register', {}, { email, password, displayName: 'Bench' }),
    201,
    'register',
    409,
  );
  const tokens = await expect(() => call(d, 'POST', '/v1/auth/login', {}, { email, password }), 200, 'login');
  return { authorization: `Bearer ${String(tokens.accessToken)}` };
}

const rent = (d: Deployment, p: Party, itemId: string) =>
  call(d, 'POST', '/v1/rentals', { ...p.renter, 'idempotency-key': randomUUID() }, { itemId, ...period() });
const giveBack = (d: Deployment, p: Party, rentalId: string) =>
  call(d, 'POST', `/v1/rentals/${rentalId}/return`, p.owner);

// ---------------------------------------------------------------------------
// Phase 1: load, in interleaved turns.

interface Tally {
  seconds: number;
  completed: number;
  rentMs: Samples;
  returnMs: Samples;
  /** 409 itemUnavailable: the item had not come back yet (the return's event not yet applied). */
  notBackYet: number;
  failures: Record<string, number>;
  cpuMs: number;
  /** The turns, as [start, end] epoch ms: events are measured within them. */
  windows: [number, number][];
}

const emptyTally = (): Tally => ({
  windows: [],
  seconds: 0,
  completed: 0,
  rentMs: new Samples(),
  returnMs: new Samples(),
  notBackYet: 0,
  failures: {},
  cpuMs: 0,
});

async function turn(d: Deployment, seconds: number, tally: Tally): Promise<void> {
  const cpuBefore = cpuSnapshot(d.pids);
  const started = performance.now();
  const startedAt = Date.now();
  const until = startedAt + seconds * 1000;
  await Promise.all(
    d.workers.map(async (p) => {
      while (Date.now() < until) {
        const itemId = p.items[p.next++ % p.items.length]!;
        const rented = await rent(d, p, itemId);
        if (rented.status !== 201) {
          const code = String(rented.body.code ?? rented.status);
          if (rented.status === 409) tally.notBackYet++;
          else tally.failures[`rent ${code}`] = (tally.failures[`rent ${code}`] ?? 0) + 1;
          await sleep(10);
          continue;
        }
        tally.rentMs.push(rented.ms);
        const returned = await giveBack(d, p, String(rented.body.id));
        if (returned.status !== 200) {
          const code = `return ${String(returned.body.code ?? returned.status)}`;
          tally.failures[code] = (tally.failures[code] ?? 0) + 1;
          continue;
        }
        tally.returnMs.push(returned.ms);
        tally.completed++;
      }
    }),
  );
  tally.seconds += (performance.now() - started) / 1000;
  tally.cpuMs += cpuBetween(cpuBefore, cpuSnapshot(d.pids));
  tally.windows.push([startedAt, Date.now()]);
}

// ---------------------------------------------------------------------------
// Events under load: outbox → consumer latency and deliveries per second during the turns.

interface EventFigures {
  /** Consumer applications (inbox rows) of events published during the turns. */
  deliveries: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Joins every module's outbox with every consumer's inbox (message ids are unique): applied time − outbox row time. */
async function eventFigures(d: Deployment, windows: [number, number][]): Promise<EventFigures> {
  const sql = postgres(d.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const tables = await sql<{ schema: string; table: string }[]>`select table_schema as schema, table_name as table
      from information_schema.tables where table_name in ('outbox', 'inbox')`;
    const of = (name: string, columns: string) =>
      tables
        .filter((t) => t.table === name)
        .map((t) => `select ${columns} from "${t.schema.replaceAll('"', '""')}".${name}`)
        .join(' union all ');
    const during =
      windows
        .map(([a, b]) => `(o.created_at between to_timestamp(${a / 1000}) and to_timestamp(${b / 1000}))`)
        .join(' or ') || 'false';
    const rows = await sql.unsafe<{ ms: number }[]>(
      `select (extract(epoch from (i.processed_at - o.created_at)) * 1000)::float8 as ms
        from (${of('outbox', 'message_id, created_at')}) o join (${of('inbox', 'message_id, processed_at')}) i
        on i.message_id = o.message_id where ${during}`,
    );
    const sorted = Float64Array.from(rows.map((r) => Math.max(0, r.ms))).sort();
    const seconds = windows.reduce((sum, [a, b]) => sum + (b - a) / 1000, 0);
    return {
      deliveries: sorted.length,
      perSecond: round(sorted.length / Math.max(seconds, 0.001), 1),
      p50Ms: round(percentile(sorted, 50), 1),
      p99Ms: round(percentile(sorted, 99), 1),
    };
  } finally {
    await sql.end();
  }
}

// ---------------------------------------------------------------------------
// Phase 2: statements per rental and per return.

async function statements(d: Deployment): Promise<number> {
  const texts = await Promise.all(d.metricsUrls.map(async (u) => (await fetch(u)).text()));
  let total = 0;
  for (const text of texts)
    for (const m of text.matchAll(/^db_queries_total(?:\{[^}]*\})? (\d+(?:\.\d+)?)/gm)) total += Number(m[1]);
  return total;
}

/** Statements per second while nothing is asked of the deployment (its pollers), read at the cadence settle() reads. */
async function idleRate(d: Deployment, seconds = 4): Promise<number> {
  const first = await statements(d);
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    await sleep(500);
    await statements(d);
  }
  return ((await statements(d)) - first) / ((performance.now() - started) / 1000);
}

/** Waits until a deployment is back to its idle rate (events delivered); resolves to when that was. */
async function settle(d: Deployment, idle: number): Promise<number> {
  let last = await statements(d);
  let at = performance.now();
  for (let quiet = 0, i = 0; quiet < 2 && i < 40; i++) {
    await sleep(500);
    const now = await statements(d);
    const t = performance.now();
    quiet = now - last <= idle * ((t - at) / 1000) + 3 ? quiet + 1 : 0;
    last = now;
    at = t;
  }
  return performance.now();
}

interface StatementCount {
  idlePerSecond: number;
  perRental: { duringRequest: number; afterward: number; total: number };
  perReturn: { duringRequest: number; afterward: number; total: number };
  rentMsC1: { p50: number; p99: number };
  returnMsC1: { p50: number; p99: number };
}

async function countStatements(d: Deployment): Promise<StatementCount> {
  const idle = await idleRate(d);
  const p = d.counted;
  const phase = async (run: () => Promise<number[]>) => {
    await settle(d, idle);
    const before = await statements(d);
    const started = performance.now();
    const latencies = await run();
    const during = (await statements(d)) - before;
    const ended = performance.now();
    const settled = await settle(d, idle);
    const all = (await statements(d)) - before;
    const n = latencies.length;
    const duringNet = (during - (idle * (ended - started)) / 1000) / n;
    const totalNet = (all - (idle * (settled - started)) / 1000) / n;
    const sorted = Float64Array.from(latencies).sort();
    return {
      counts: {
        duringRequest: round(duringNet, 1),
        afterward: round(totalNet - duringNet, 1),
        total: round(totalNet, 1),
      },
      ms: { p50: round(percentile(sorted, 50), 2), p99: round(percentile(sorted, 99), 2) },
    };
  };
  const ids: string[] = [];
  const rents = await phase(async () => {
    const ms: number[] = [];
    for (const itemId of p.items) {
      const a = await rent(d, p, itemId);
      if (a.status !== 201)
        throw new Error(`${d.name}: counted rental answered ${a.status} ${JSON.stringify(a.body).slice(0, 200)}`);
      ids.push(String(a.body.id));
      ms.push(a.ms);
    }
    return ms;
  });
  const returns = await phase(async () => {
    const ms: number[] = [];
    for (const id of ids) {
      const a = await giveBack(d, p, id);
      if (a.status !== 200)
        throw new Error(`${d.name}: counted return answered ${a.status} ${JSON.stringify(a.body).slice(0, 200)}`);
      ms.push(a.ms);
    }
    return ms;
  });
  return {
    idlePerSecond: round(idle, 1),
    perRental: rents.counts,
    perReturn: returns.counts,
    rentMsC1: rents.ms,
    returnMsC1: returns.ms,
  };
}

// ---------------------------------------------------------------------------
// Main.

installCleanup();
const startedAt = new Date();
const services: Service[] = [];
const deployments: Deployment[] = [];
let exitCode = 0;
const results: Record<string, unknown>[] = [];
try {
  progress(
    `rentals benchmark: ${settings.workers} workers, ${settings.rounds} rounds of ${settings.turnS} s turns, ${settings.count} counted rentals; ` +
      `node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(2)}`,
  );
  const pg = await startPostgres();
  services.push(pg);
  const redis = await startRedis();
  services.push(redis);
  progress(`${pg.description}; ${redis.description}`);
  for (const name of ['raw', 'monolith', 'split'] as const)
    if (name === 'raw' || settings.only.has(name)) deployments.push(await startDeployment(name, pg.url, redis.url));

  const tallies = new Map<Name, Tally>(deployments.map((d) => [d.name, emptyTally()]));
  // Warm-up: one short turn each, not counted.
  for (const d of deployments) await turn(d, Math.min(2, settings.turnS), emptyTally());
  for (let r = 0; r < settings.rounds; r++) {
    for (let i = 0; i < deployments.length; i++) {
      const d = deployments[(r + i) % deployments.length]!;
      const t = tallies.get(d.name)!;
      await turn(d, settings.turnS, t);
      progress(
        `round ${r + 1}/${settings.rounds} ${d.name}: ${t.completed} rentals completed so far (${(t.completed / t.seconds).toFixed(1)}/s)`,
      );
    }
  }
  const raw = tallies.get('raw')!;
  const rawRate = raw.completed / raw.seconds;
  for (const d of deployments) {
    progress(`${d.name}: counting statements per rental and per return…`);
    const t = tallies.get(d.name)!;
    const events =
      d.name === 'raw'
        ? null
        : await eventFigures(d, t.windows).catch((error: unknown) => {
            progress(`${d.name}: events under load not measured: ${(error as Error).message}`);
            return null;
          });
    const counted = await countStatements(d);
    const rate = t.completed / t.seconds;
    const rentSorted = t.rentMs.sorted();
    const returnSorted = t.returnMs.sorted();
    results.push({
      deployment: d.name,
      completedPerSecond: round(rate, 1),
      vsRaw: ratio(rate, rawRate),
      completed: t.completed,
      seconds: round(t.seconds, 1),
      rentMs: { p50: round(percentile(rentSorted, 50), 2), p99: round(percentile(rentSorted, 99), 2) },
      returnMs: { p50: round(percentile(returnSorted, 50), 2), p99: round(percentile(returnSorted, 99), 2) },
      appCpuMsPerRental: t.completed ? round(t.cpuMs / t.completed, 2) : null,
      notBackYet: t.notBackYet,
      failures: t.failures,
      events,
      statements: counted,
    });
  }
} catch (error) {
  exitCode = 1;
  process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
} finally {
  for (const d of deployments.reverse()) await d.stop().catch(() => {});
  for (const s of services.reverse()) await s.stop().catch(() => {});
}

const report = {
  meta: {
    startedAt: startedAt.toISOString(),
    elapsedS: round((Date.now() - startedAt.getTime()) / 1000, 1),
    node: process.version,
    cpus: cpus().length,
    loadavgAtEnd: loadavg().map((l) => round(l, 2)),
    settings,
    note: 'Shared machine: absolute numbers are noise; compare the ratios to the baseline of the same run.',
  },
  results,
};
const dir = join(root, 'bench', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'rentals.json'), `${JSON.stringify(report, null, 2)}\n`);
const markdown = renderMarkdown();
writeFileSync(join(dir, 'rentals.md'), markdown);
process.stdout.write(`\n${markdown}\n`);
progress(`wrote bench/results/rentals.json and rentals.md (${report.meta.elapsedS} s in all)`);
process.exit(exitCode);

function renderMarkdown(): string {
  type Row = {
    deployment: string;
    completedPerSecond: number;
    vsRaw: number | null;
    completed: number;
    rentMs: { p50: number; p99: number };
    returnMs: { p50: number; p99: number };
    appCpuMsPerRental: number | null;
    notBackYet: number;
    failures: Record<string, number>;
    events: EventFigures | null;
    statements: StatementCount;
  };
  const rows = results as unknown as Row[];
  const label = (name: string) => (name === 'raw' ? 'raw (one local transaction each, the baseline)' : name);
  const table = (header: string[], body: (string | number | null)[][]) =>
    [
      `| ${header.join(' | ')} |`,
      `|${header.map(() => '---').join('|')}|`,
      ...body.map((r) => `| ${r.map((v) => (v === null ? '–' : String(v))).join(' | ')} |`),
    ].join('\n');
  const s = settings;
  return [
    `# Rentals benchmark (${report.meta.startedAt.slice(0, 16).replace('T', ' ')} UTC)`,
    '',
    `node ${report.meta.node}, ${report.meta.cpus} CPUs, load average at end ${report.meta.loadavgAtEnd.join(' / ')}. ${report.meta.note}`,
    '',
    `A rental here is the whole flow through the public API: \`POST /v1/rentals\` (reserve the item, hold fee + deposit, confirm, hand over: the saga) then ` +
      `\`POST /v1/rentals/{id}/return\` (complete the rental and settle the ledger: in one local transaction in the monolith, whose modules share a database, with two-phase commit in the split). ` +
      `${s.workers} workers rent and return in a loop, each with its own renter and ${s.itemsPerWorker} items of its own owner; the deployments take ` +
      `${s.rounds} turns of ${s.turnS} s each, interleaved. Rentals send an Idempotency-Key. DB_POOL_MAX=${s.poolMax}.`,
    '',
    '## Throughput and latency (under load)',
    '',
    table(
      [
        'Deployment',
        'rentals/s',
        '× raw',
        'rent p50 ms',
        'rent p99 ms',
        'return p50 ms',
        'return p99 ms',
        'app CPU ms / rental',
        'item not back yet (409)',
        'failures',
      ],
      rows.map((r) => [
        label(r.deployment),
        r.completedPerSecond,
        r.vsRaw === null ? null : `${r.vsRaw}×`,
        r.rentMs.p50,
        r.rentMs.p99,
        r.returnMs.p50,
        r.returnMs.p99,
        r.appCpuMsPerRental,
        r.notBackYet,
        Object.entries(r.failures)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ') || '0',
      ]),
    ),
    '',
    '## Events under load (during the turns above)',
    '',
    "Every event published during a deployment's turns, from its outbox row (publishing transaction) to each consumer's inbox row " +
      "(the consumer's transaction): in-process in the monolith, Redis Streams in the split. Deliveries/s is what the load produced, not a capacity.",
    '',
    table(
      ['Deployment', 'deliveries', 'deliveries/s', 'outbox → consumer p50 ms', 'p99 ms', 'target p99 < 50 ms'],
      rows
        .filter((r) => r.events)
        .map((r) => [
          label(r.deployment),
          r.events!.deliveries,
          r.events!.perSecond,
          r.events!.p50Ms,
          r.events!.p99Ms,
          r.events!.p99Ms < 50 ? 'pass' : '**miss**',
        ]),
    ),
    '',
    `## Database statements (round trips) per rental, one at a time (${s.count} rentals, then their returns)`,
    '',
    'Counted by every process (`db_queries_total`, BEGIN and COMMIT included), less the idle rate of the deployment (recovery, relay and health polling). ' +
      '"after" is the work the request set off once answered: outbox relay, event consumers (inventory, catalog, notifications), until the deployment is idle again.',
    '',
    table(
      [
        'Deployment',
        'rent: in request',
        'rent: after',
        'rent: total',
        'return: in request',
        'return: after',
        'return: total',
        'idle statements/s',
        'rent p50 / p99 ms (c=1)',
        'return p50 / p99 ms (c=1)',
      ],
      rows.map((r) => {
        const c = r.statements;
        return [
          label(r.deployment),
          c.perRental.duringRequest,
          c.perRental.afterward,
          c.perRental.total,
          c.perReturn.duringRequest,
          c.perReturn.afterward,
          c.perReturn.total,
          c.idlePerSecond,
          `${c.rentMsC1.p50} / ${c.rentMsC1.p99}`,
          `${c.returnMsC1.p50} / ${c.returnMsC1.p99}`,
        ];
      }),
    ),
    '',
  ].join('\n');
}
