/**
 * Warehouse ETL benchmark (`npm run bench:warehouse`): seeds BENCH_RENTALS rentals (default
 * 100,000) straight into the source modules' tables (identity users, inventory items with their
 * history, rentals, payments ledger entries: two per rental), then, for each engine (embedded
 * DuckDB, PostgreSQL warehouse): a full ETL, 1,000 changed rentals, an incremental ETL, and a
 * report query (revenue by category over every rental) timed BENCH_REPORT_REPEATS times.
 * The ETL runs in this process over the in-process bus, as in the monolith.
 * Writes bench/results/warehouse.{json,md}. Starts throwaway PostgreSQL and Redis.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { analytics } from '../src/modules/analytics/contract.ts';
import {
  createWarehousePlace,
  removePlace,
  startWarehouseWorld,
  admin,
  runEnded,
  type Engine,
  type WarehousePlace,
} from '../test/analytics/support/warehouse-world.ts';
import { startPostgres, startRedis, type Service } from '../test/support/services.ts';
import { installCleanup, median, progress, root } from './support.ts';

const RENTALS = Number(process.env.BENCH_RENTALS ?? 100_000);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 1_000);
const REPEATS = Number(process.env.BENCH_REPORT_REPEATS ?? 5);
const USERS = Math.max(10, Math.round(RENTALS / 100));
const ITEMS = Math.max(10, Math.round(RENTALS / 50));
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Seeds the sources directly in SQL (generate_series), far faster than through the API. */
async function seed(place: WarehousePlace, world: Awaited<ReturnType<typeof startWarehouseWorld>>): Promise<void> {
  const { main, rentals, payments } = world.sql;
  await main.unsafe(`
    insert into identity.users (id, email, display_name, password_hash, role, created_at)
      select overlay(overlay(md5('u' || g) placing '4' from 13) placing '8' from 17)::uuid, 'u' || g || '@bench.test', 'User ' || g, 'x', 'member', now() - (g % 700) * interval '1 day'
      from generate_series(1, ${USERS}) g;
    insert into inventory.items (id, owner_id, title, category, currency, daily_price_amount, deposit_amount, condition, created_at)
      select overlay(overlay(md5('i' || g) placing '4' from 13) placing '8' from 17)::uuid, overlay(overlay(md5('u' || (g % ${USERS} + 1)) placing '4' from 13) placing '8' from 17)::uuid, 'Item ' || g, (array['tools','camping','books','music','garden'])[g % 5 + 1], 'EUR', 500 + g % 2000, 5000, 'good', now() - interval '730 days'
      from generate_series(1, ${ITEMS}) g;
    insert into inventory.item_history (item_id, version, type, actor_id, data, occurred_at)
      select id, 1, 'created', owner_id, jsonb_build_object('ownerId', owner_id, 'title', title, 'description', '', 'category', category,
        'dailyPrice', jsonb_build_object('amount', daily_price_amount, 'currency', currency), 'deposit', jsonb_build_object('amount', deposit_amount, 'currency', currency), 'condition', condition), created_at
      from inventory.items;`);
  // Rentals: one item each at a time, periods one after another; most completed, some cancelled.
  await rentals.unsafe(`
    insert into rentals.rentals (id, item_id, owner_id, renter_id, period_from, period_to, days, currency, daily_price_amount, fee_amount, deposit_amount, total_amount, status, created_at, confirmed_at, cancelled_at, completed_at)
      select overlay(overlay(md5('r' || g) placing '4' from 13) placing '8' from 17)::uuid, overlay(overlay(md5('i' || (g % ${ITEMS} + 1)) placing '4' from 13) placing '8' from 17)::uuid, overlay(overlay(md5('u' || ((g % ${ITEMS}) % ${USERS} + 1)) placing '4' from 13) placing '8' from 17)::uuid, overlay(overlay(md5('u' || ((g + 7) % ${USERS} + 1)) placing '4' from 13) placing '8' from 17)::uuid,
        p.start, p.start + interval '2 days', 2, 'EUR', 1000, 2000, 5000, 7000,
        case when g % 10 = 0 then 'cancelled' else 'completed' end,
        p.start - interval '3 days', p.start - interval '3 days',
        case when g % 10 = 0 then p.start - interval '2 days' end,
        case when g % 10 = 0 then null else p.start + interval '2 days' end
      from generate_series(1, ${RENTALS}) g, lateral (select now() - interval '720 days' + (g / ${ITEMS}) * interval '3 days' + (g % 24) * interval '1 hour' as start) p;`);
  // Ledger: a top-up per rental (two entries each); the balance triggers check each transaction sums to zero.
  await payments.unsafe(`
    insert into payments.accounts (id, kind, owner_id, currency, balance) values (overlay(overlay(md5('cash') placing '4' from 13) placing '8' from 17)::uuid, 'external_cash', null, 'EUR', 0);
    insert into payments.accounts (id, kind, owner_id, currency, balance)
      select overlay(overlay(md5('w' || g) placing '4' from 13) placing '8' from 17)::uuid, 'wallet', overlay(overlay(md5('u' || g) placing '4' from 13) placing '8' from 17)::uuid, 'EUR', 0 from generate_series(1, ${USERS}) g;
    insert into payments.ledger_transactions (id, kind, currency, reference, created_at)
      select overlay(overlay(md5('t' || g) placing '4' from 13) placing '8' from 17)::uuid, 'top_up', 'EUR', 'bench', now() - interval '720 days' + (g / ${ITEMS}) * interval '3 days' from generate_series(1, ${RENTALS}) g;
    insert into payments.ledger_entries (transaction_id, account_id, currency, amount)
      select overlay(overlay(md5('t' || g) placing '4' from 13) placing '8' from 17)::uuid, overlay(overlay(md5('cash') placing '4' from 13) placing '8' from 17)::uuid, 'EUR', -7000 from generate_series(1, ${RENTALS}) g
      union all select overlay(overlay(md5('t' || g) placing '4' from 13) placing '8' from 17)::uuid, overlay(overlay(md5('w' || (g % ${USERS} + 1)) placing '4' from 13) placing '8' from 17)::uuid, 'EUR', 7000 from generate_series(1, ${RENTALS}) g;`);
  void place;
}

interface EngineResult {
  engine: Engine;
  full: { seconds: number; rows: number; rowsPerSecond: number };
  incremental: { seconds: number; rows: number; rowsPerSecond: number; changes: number };
  reportMs: { median: number; min: number; runs: number[] };
}

installCleanup();
const services: Service[] = [];
const results: EngineResult[] = [];
const startedAt = new Date();
let exitCode = 0;
try {
  progress(
    `warehouse benchmark: ${RENTALS} rentals, ${ITEMS} items, ${USERS} users, ${2 * RENTALS} ledger entries; ${CHANGES} changes; node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}`,
  );
  const pg = await startPostgres();
  services.push(pg);
  const redis = await startRedis();
  services.push(redis);
  process.env.TEST_PG_URL = pg.url;
  process.env.TEST_REDIS_URL = redis.url;
  for (const engine of ['duckdb', 'postgres'] as const) {
    const place = await createWarehousePlace(engine);
    const world = await startWarehouseWorld(place, { WAREHOUSE_PAGE_SIZE: '5000' });
    try {
      const seeded = performance.now();
      await seed(place, world);
      progress(`${engine}: seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
      const timed = async (mode: 'incremental' | 'full') => {
        const t0 = performance.now();
        const started = await world.host.platform.bus.call(analytics.ops.startRun, { mode }, admin());
        const run = await runEnded(world.host, started.id, 30 * 60_000);
        if (run.status !== 'succeeded') throw new Error(`${engine} ${mode} run ${run.status}: ${run.error}`);
        const seconds = (performance.now() - t0) / 1000;
        const rows = Object.values(run.tables).reduce((n, t) => n + t.extracted, 0);
        progress(
          `${engine} ${mode}: ${rows} rows extracted in ${seconds.toFixed(2)} s (${Math.round(rows / seconds)} rows/s)`,
        );
        return { seconds: round(seconds, 2), rows, rowsPerSecond: Math.round(rows / seconds) };
      };
      const full = await timed('full');
      await world.sql.rentals.unsafe(`update rentals.rentals set status = 'completed', completed_at = now(), cancelled_at = null
        where id in (select id from rentals.rentals where status = 'cancelled' order by id limit ${CHANGES})`);
      const incremental = await timed('incremental');
      const runs: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        const t0 = performance.now();
        await world.host.platform.bus.call(
          analytics.ops.revenueReport,
          { from: '2020-01-01', to: '2029-12-31', groupBy: 'category' },
          admin(),
        );
        runs.push(round(performance.now() - t0, 1));
      }
      progress(`${engine} revenue by category: median ${median(runs)} ms of ${runs.join(', ')}`);
      results.push({
        engine,
        full,
        incremental: { ...incremental, changes: CHANGES },
        reportMs: { median: median(runs), min: Math.min(...runs), runs },
      });
    } finally {
      await world.stop();
      await removePlace(place);
    }
  }
} catch (error) {
  exitCode = 1;
  process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
} finally {
  for (const s of services.reverse()) await s.stop().catch(() => {});
}

const report = {
  meta: {
    startedAt: startedAt.toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadavgAtEnd: loadavg().map((l) => round(l, 2)),
    rentals: RENTALS,
    items: ITEMS,
    users: USERS,
    ledgerEntries: 2 * RENTALS,
    changes: CHANGES,
    note: 'Shared machine: absolute numbers are noise.',
  },
  results,
};
const markdown = [
  `# Warehouse ETL (${RENTALS.toLocaleString('en')} rentals, ${(2 * RENTALS).toLocaleString('en')} ledger entries, ${ITEMS.toLocaleString('en')} items, ${USERS.toLocaleString('en')} users)`,
  '',
  `${startedAt.toISOString()}, node ${process.version}, ${cpus().length} CPUs, load average at the end ${loadavg()[0]!.toFixed(1)}. Extraction over the in-process bus, pages of 5,000.`,
  '',
  `| Engine | full ETL | rows/s | incremental after ${CHANGES.toLocaleString('en')} changes | rows/s | revenue by category (median of ${REPEATS}) |`,
  '|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.engine} | ${r.full.seconds} s (${r.full.rows.toLocaleString('en')} rows) | ${r.full.rowsPerSecond.toLocaleString('en')} | ${r.incremental.seconds} s (${r.incremental.rows.toLocaleString('en')} rows) | ${r.incremental.rowsPerSecond.toLocaleString('en')} | ${r.reportMs.median} ms |`,
  ),
  '',
].join('\n');
const dir = join(root, 'bench', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'warehouse.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(dir, 'warehouse.md'), markdown);
process.stdout.write(`\n${markdown}\n`);
process.exit(exitCode);
