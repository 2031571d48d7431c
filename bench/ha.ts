/**
 * `npm run bench:ha`: what the high-availability setup buys and costs, on throwaway servers.
 *   1. Read throughput of the monolith on PostgreSQL 1 primary + 4 streaming replicas, with
 *      reads routed to the replicas (DATABASE_READ_URLS) vs the primary only: item lists
 *      (GET /v1/items, uncached), catalog search with varied words (cache misses) and
 *      GET /v1/items/{id} (served from the item cache), in interleaved turns.
 *   2. Failover write gaps: PostgreSQL (SIGKILL the primary, promote a standby) and Redis
 *      (Sentinel and Cluster: SIGKILL a master), from the drills' scenarios.
 * BENCH_DURATION (s per turn, default 10), BENCH_TURNS (default 2). Writes bench/results/ha.{json,md}.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { runPgFailover } from '../test/ha/pg-failover-scenario.ts';
import { runRedisFailover } from '../test/ha/redis-failover-scenario.ts';
import { apiClient } from '../test/support/api-client.ts';
import { drill } from '../test/support/fixtures.ts';
import { startReplicatedPostgres } from '../test/support/postgres-replicas.ts';
import { freePort, startPostgres, startRedis } from '../test/support/services.ts';
import { spawnRuntime, stopAll, waitForReady } from '../test/support/topology.ts';
import { progress, root, track } from './support.ts';

const durationS = Number(process.env.BENCH_DURATION ?? 10);
const turns = Number(process.env.BENCH_TURNS ?? 2);
const connections = 20;
const words = ['drill', 'tent', 'camera', 'ladder', 'saw', 'bike', 'kayak', 'lamp', 'book', 'stove'];

const redis = await startRedis();
const pg = await startReplicatedPostgres(4);
const primary = await pg.primary();
const common = {
  NODE_ENV: 'test',
  REDIS_URL: redis.url,
  LOG_LEVEL: 'warn',
  RATE_LIMIT_GLOBAL_PER_MINUTE: '0',
  RATE_LIMIT_AUTH_PER_MINUTE: '0',
  RATE_LIMIT_WRITES_PER_MINUTE: '0',
  DB_POOL_MAX: '10',
};
const deployments = {
  'primary only': { DATABASE_URL: pg.nodeUrl(primary) },
  '4 replicas': { DATABASE_URL: pg.url, DATABASE_READ_URLS: pg.readUrls.join(',') },
} as const;
type Deployment = keyof typeof deployments;

const start = async (name: Deployment) => {
  const port = await freePort();
  const child = track(
    spawnRuntime(
      'monolith.ts',
      { ...common, ...deployments[name], PORT: String(port), HOST: '127.0.0.1', REDIS_KEY_PREFIX: `bench-${port}:` },
      { name },
    ),
  );
  await waitForReady(`http://127.0.0.1:${port}/readyz`, 60_000, child);
  return { url: `http://127.0.0.1:${port}`, child };
};

type Endpoint = 'list items' | 'catalog search' | 'get item (cached)';
const results: Record<Endpoint, Record<Deployment, number[]>> = {
  'list items': { 'primary only': [], '4 replicas': [] },
  'catalog search': { 'primary only': [], '4 replicas': [] },
  'get item (cached)': { 'primary only': [], '4 replicas': [] },
};

try {
  // Seed through the primary-only deployment: 200 items to list and search.
  const seed = await start('primary only');
  const api = apiClient(seed.url);
  const owner = await api.newUser('bench');
  const ids: string[] = [];
  for (let i = 0; i < 200; i++) {
    const r = await api.request('POST', '/v1/items', {
      token: owner.accessToken,
      body: drill({
        title: `${words[i % words.length]} number ${i}`,
        description: `A ${words[(i * 7) % words.length]} to lend`,
      }),
    });
    ids.push(r.body.id);
  }
  await stopAll([seed.child]);
  progress(`seeded ${ids.length} items; load ${connections} connections, ${durationS} s per turn, ${turns} turns`);

  const paths: Record<Endpoint, () => string> = {
    'list items': () => `/v1/items?limit=20&offset=${Math.floor(Math.random() * 180)}`,
    'catalog search': () =>
      `/v1/catalog/search?q=${words[Math.floor(Math.random() * words.length)]}+${Math.floor(Math.random() * 1e6)}`,
    'get item (cached)': () => `/v1/items/${ids[Math.floor(Math.random() * ids.length)]}`,
  };
  for (let turn = 0; turn < turns; turn++) {
    for (const name of Object.keys(deployments) as Deployment[]) {
      const deployment = await start(name);
      for (const endpoint of Object.keys(paths) as Endpoint[]) {
        const run = await autocannon({
          url: deployment.url,
          connections,
          duration: durationS,
          requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[endpoint]() }) }],
        });
        const ok = run.requests.total - run.non2xx - run.errors;
        results[endpoint][name].push(ok / durationS);
        progress(
          `turn ${turn + 1} ${name} ${endpoint}: ${(ok / durationS).toFixed(0)} req/s (non-2xx ${run.non2xx}, errors ${run.errors})`,
        );
      }
      await stopAll([deployment.child]);
    }
  }
} finally {
  await pg.stop();
  await redis.stop();
}

// Failover gaps, on fresh servers (the scenarios start their own replicas, Sentinel and Cluster).
const harnessPg = await startPostgres();
const harnessRedis = await startRedis();
process.env.TEST_PG_URL = harnessPg.url;
process.env.TEST_REDIS_URL = harnessRedis.url;
let failover: {
  postgres: Awaited<ReturnType<typeof runPgFailover>>;
  sentinel: Awaited<ReturnType<typeof runRedisFailover>>;
  cluster: Awaited<ReturnType<typeof runRedisFailover>>;
};
try {
  const pgGap = await runPgFailover({ topology: 'monolith', replicas: 4, loadMs: 3000 });
  progress(`PostgreSQL failover: gap ${pgGap.writeGapMs} ms, lost ${pgGap.lost} of ${pgGap.acknowledged}`);
  const sentinel = await runRedisFailover({ setup: 'sentinel', loadMs: 3000 });
  progress(`Redis Sentinel failover: gap ${sentinel.writeGapMs} ms`);
  const cluster = await runRedisFailover({ setup: 'cluster', loadMs: 3000 });
  progress(`Redis Cluster failover: gap ${cluster.writeGapMs} ms`);
  failover = { postgres: pgGap, sentinel, cluster };
} finally {
  await harnessPg.stop();
  await harnessRedis.stop();
}

const best = (xs: number[]) => Math.max(0, ...xs);
const rows = (Object.keys(results) as Endpoint[]).map((endpoint) => {
  const primaryOnly = best(results[endpoint]['primary only']);
  const replicas = best(results[endpoint]['4 replicas']);
  return { endpoint, primaryOnly, replicas, ratio: replicas / Math.max(1, primaryOnly) };
});
const load = (await import('node:os'))
  .loadavg()
  .map((l) => l.toFixed(1))
  .join(' ');
const json = { at: new Date().toISOString(), durationS, turns, connections, loadAverage: load, reads: rows, failover };
writeFileSync(join(root, 'bench/results/ha.json'), `${JSON.stringify(json, null, 2)}\n`);
const md = [
  `# High availability (npm run bench:ha, ${json.at}, load average ${load})`,
  '',
  `Reads: monolith, ${connections} connections, ${turns} interleaved turns of ${durationS} s (best turn), PostgreSQL 1 primary + 4 streaming replicas on the same 2 cores.`,
  '',
  '| Read | primary only (req/s) | 4 replicas (req/s) | ratio |',
  '|---|---|---|---|',
  ...rows.map(
    (r) => `| ${r.endpoint} | ${r.primaryOnly.toFixed(0)} | ${r.replicas.toFixed(0)} | ${r.ratio.toFixed(2)}× |`,
  ),
  '',
  '| Failover (SIGKILL under write load) | longest time without a successful write | writes lost |',
  '|---|---|---|',
  `| PostgreSQL primary → promoted standby (promotion took ${failover.postgres.promotionMs} ms) | ${failover.postgres.writeGapMs} ms | ${failover.postgres.lost} of ${failover.postgres.acknowledged} |`,
  `| Redis Sentinel master | ${failover.sentinel.writeGapMs} ms | events lost ${failover.sentinel.eventsLost} |`,
  `| Redis Cluster master | ${failover.cluster.writeGapMs} ms | events lost ${failover.cluster.eventsLost} |`,
  '',
];
writeFileSync(join(root, 'bench/results/ha.md'), md.join('\n'));
console.log(md.join('\n'));
process.exit(0);
