/**
 * `npm run bench:events`: outbox-to-consumer latency and sustained throughput of events, on
 * the in-process transport (the monolith) and on Redis Streams (split), with the checker's
 * probe modules on throwaway PostgreSQL and Redis. Writes bench/results/events.{json,md}.
 *
 *   latency: EVENTS_RATE events/s (default 200) for EVENTS_SECONDS (default 10), each its own
 *            transaction; latency = effect time − outbox row time (PostgreSQL clock), p50/p99.
 *   throughput: EVENTS_BACKLOG rows (default 20,000) written with no relay running, then a
 *            relay + consumer started; events/s = backlog ÷ time until every effect exists.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import postgres from 'postgres';
import { systemContext } from '../src/shared/bus/context.ts';
import { parseConfig } from '../src/shared/config/config.ts';
import type { EventMode } from '../src/shared/events/event-host.ts';
import { hostModules, type Host } from '../src/shared/modules/platform.ts';
import { createLogger } from '../src/shared/observability/logger.ts';
import { probe, probeModule, probeSinkModule } from '../test/checker/probe-modules.ts';
import { createDatabase, startPostgres, startRedis } from '../test/support/services.ts';

const rate = Number(process.env.EVENTS_RATE ?? 200);
const seconds = Number(process.env.EVENTS_SECONDS ?? 10);
const backlog = Number(process.env.EVENTS_BACKLOG ?? 20_000);
const say = (line: string) => process.stdout.write(`[bench:events] ${line}\n`);

const pg = await startPostgres();
const redis = await startRedis();
const log = createLogger({ level: 'error', pretty: false, name: 'bench-events' });

async function host(databaseUrl: string, events: EventMode, prefix: string): Promise<Host> {
  const config = parseConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'error',
    OUTBOX_POLL_MS: '1000',
    DB_POOL_MAX: '20',
  });
  return hostModules({ config, log, service: `bench-${events}`, modules: [probeModule, probeSinkModule], events });
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function measure(mode: EventMode) {
  const databaseUrl = await createDatabase(pg.url);
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  const prefix = `bench${Date.now()}:`;
  // Latency at a moderate, steady rate.
  const live = await host(databaseUrl, mode, prefix);
  say(`${mode}: latency at ${rate} events/s for ${seconds} s…`);
  const total = rate * seconds;
  const started = Date.now();
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / rate;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    live.platform.bus
      .call(probe.ops.ping, { n }, systemContext())
      .catch((e) => say(`ping failed: ${(e as Error).message}`));
  }
  const until = Date.now() + 60_000;
  while ((await sql`select count(*)::int as n from probesink.effects`)[0]!.n < total && Date.now() < until)
    await new Promise((r) => setTimeout(r, 100));
  const rows = await sql`select extract(epoch from (e.applied_at - o.created_at)) * 1000 as ms
    from probesink.effects e join probe.outbox o on o.message_id = e.message_id`;
  const latencies = rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
  await live.stop();
  await sql`truncate probesink.effects, probesink.inbox, probe.outbox`;

  // Throughput: a backlog, then relay + consumer drain it.
  say(`${mode}: writing a backlog of ${backlog} events…`);
  const writer = await host(databaseUrl, 'none', prefix);
  for (let n = 0; n < backlog; n += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, backlog - n) }, (_, i) =>
        writer.platform.bus.call(probe.ops.ping, { n: n + i }, systemContext()),
      ),
    );
  }
  await writer.stop();
  say(`${mode}: draining…`);
  const drainStart = Date.now();
  const drainer = await host(databaseUrl, mode, `${prefix}d:`);
  while (
    (await sql`select count(*)::int as n from probesink.effects`)[0]!.n < backlog &&
    Date.now() - drainStart < 300_000
  ) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const drainSeconds = (Date.now() - drainStart) / 1000;
  await drainer.stop();
  await sql.end();
  const result = {
    transport: mode,
    latency: {
      events: latencies.length,
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      maxMs: round(latencies.at(-1) ?? 0),
    },
    throughput: { events: backlog, seconds: round(drainSeconds), eventsPerSecond: Math.round(backlog / drainSeconds) },
  };
  say(
    `${mode}: p50 ${result.latency.p50Ms} ms, p99 ${result.latency.p99Ms} ms; ${result.throughput.eventsPerSecond} events/s`,
  );
  return result;
}

function round(x: number) {
  return Math.round(x * 100) / 100;
}

try {
  const results = [await measure('in-process'), await measure('redis-streams')];
  const [inProcess, streams] = results;
  const targets = [
    {
      target: 'p99 outbox → consumer, in-process, moderate load',
      measured: `${inProcess!.latency.p99Ms} ms`,
      limit: '< 50 ms',
      pass: inProcess!.latency.p99Ms < 50,
    },
    {
      target: 'sustained events/s through Redis Streams',
      measured: `${streams!.throughput.eventsPerSecond}/s`,
      limit: '≥ 2000/s',
      pass: streams!.throughput.eventsPerSecond >= 2000,
    },
  ];
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/events.json',
    `${JSON.stringify({ at: new Date().toISOString(), rate, seconds, backlog, results, targets }, null, 2)}\n`,
  );
  const md = [
    `# Events benchmark (${new Date().toISOString().slice(0, 16)} UTC)`,
    '',
    `Latency: ${rate} events/s for ${seconds} s, one transaction each. Throughput: a backlog of ${backlog} drained by one relay and one consumer.`,
    '',
    '| Transport | p50 ms | p99 ms | max ms | drain events/s |',
    '|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.transport} | ${r.latency.p50Ms} | ${r.latency.p99Ms} | ${r.latency.maxMs} | ${r.throughput.eventsPerSecond} |`,
    ),
    '',
    '| Target | Measured | Limit | Result |',
    '|---|---|---|---|',
    ...targets.map((t) => `| ${t.target} | ${t.measured} | ${t.limit} | ${t.pass ? 'PASS' : '**FAIL**'} |`),
    '',
  ].join('\n');
  writeFileSync('bench/results/events.md', md);
  process.stdout.write(`\n${md}`);
} finally {
  await redis.stop();
  await pg.stop();
}
process.exit(0);
