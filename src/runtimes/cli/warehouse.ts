/**
 * Operator command for the data warehouse (the same ops as the admin API):
 *
 *   npm run warehouse -- etl [--full | --rebuild]     run the ETL: a progress line per table, then a summary
 *   npm run warehouse -- export [dir]                 Parquet files, facts partitioned by date (copied to dir)
 *   npm run warehouse -- report revenue|utilization|rentals [--from D] [--to D] [--group-by G]
 *   npm run warehouse -- runs                         the latest runs
 *
 * Where it runs: with WAREHOUSE_URL (PostgreSQL) it hosts every module in this process, on
 * their databases, like the other operator CLIs. The embedded DuckDB file allows one process:
 * when a running server holds it (or with --remote), the command asks that server's admin API
 * instead (WAREHOUSE_API_URL, default http://127.0.0.1:$PORT) as an admin: SHARELOOP_TOKEN, or
 * ADMIN_EMAIL + ADMIN_PASSWORD to log in.
 */
import { cpSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { analytics } from '../../modules/analytics/contract.ts';
import type { InputOf, Op, OutputOf } from '../../shared/bus/contract.ts';
import { systemContext } from '../../shared/bus/context.ts';
import { AppError } from '../../shared/bus/errors.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { hostModules, type Host } from '../../shared/modules/platform.ts';
import { createLogger } from '../../shared/observability/logger.ts';
import { allModules } from '../modules.ts';

type Run = OutputOf<typeof analytics.ops.getRun>;
const POLL_MS = 300;
/** The operator at the console acts as an admin. */
const operator = { userId: '00000000-0000-0000-0000-000000000000', role: 'admin' };

/** How the command reaches the warehouse ops: this process's bus, or a server's admin API. */
interface Client {
  call<O extends Op>(op: O, input: InputOf<O>): Promise<OutputOf<O>>;
  stop(): Promise<void>;
}

function usage(): never {
  process.stderr.write(
    'usage: npm run warehouse -- etl [--full|--rebuild] | export [dir] | report revenue|utilization|rentals [--from D] [--to D] [--group-by G] | runs [--remote]\n',
  );
  process.exit(2);
}

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const [command, ...rest] = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.match(/^--(from|to|group-by)$/));
if (!command || !['etl', 'export', 'report', 'runs'].includes(command)) usage();

const config = loadConfig();

/** True when another process holds the embedded DuckDB file. */
async function duckdbHeldElsewhere(): Promise<boolean> {
  if (process.env.WAREHOUSE_URL) return false;
  try {
    const probe = await DuckDBInstance.create(join(config.DATA_DIR, 'warehouse.duckdb'));
    probe.closeSync();
    return false;
  } catch (error) {
    if (/lock/i.test((error as Error).message)) return true;
    throw error;
  }
}

async function localClient(): Promise<Client> {
  const log = createLogger({
    level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL,
    pretty: config.LOG_PRETTY,
    name: 'warehouse',
  });
  // The schedule stays off here: this process runs what it is asked, then exits.
  process.env.WAREHOUSE_ETL_INTERVAL = '0';
  const host: Host = await hostModules({ config, log, service: 'warehouse-cli', modules: allModules });
  return {
    call: (op, input) => host.platform.bus.call(op, input, systemContext({ caller: operator, timeoutMs: 10 * 60_000 })),
    stop: () => host.stop(),
  };
}

async function remoteClient(): Promise<Client> {
  const base = process.env.WAREHOUSE_API_URL ?? `http://127.0.0.1:${config.PORT}`;
  let token = process.env.SHARELOOP_TOKEN;
  if (!token) {
    if (!config.ADMIN_EMAIL || !config.ADMIN_PASSWORD)
      throw new Error(
        'a server holds the warehouse: set SHARELOOP_TOKEN (an admin access token) or ADMIN_EMAIL and ADMIN_PASSWORD',
      );
    const login = await fetch(`${base}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD }),
    });
    if (!login.ok) throw new Error(`login to ${base} failed: ${login.status}`);
    token = ((await login.json()) as { accessToken: string }).accessToken;
  }
  return {
    async call(op, input) {
      const http = op.http!;
      const values = input as Record<string, unknown>;
      let path = http.path;
      for (const param of http.params ?? [])
        path = path.replace(`{${param}}`, encodeURIComponent(String(values[param])));
      const query = new URLSearchParams();
      for (const key of http.query ?? []) if (values[key] !== undefined) query.set(key, String(values[key]));
      const body =
        http.method === 'get'
          ? undefined
          : JSON.stringify(
              Object.fromEntries(Object.entries(values).filter(([k]) => !(http.params ?? []).includes(k))),
            );
      const response = await fetch(`${base}${path}${query.size ? `?${query}` : ''}`, {
        method: http.method.toUpperCase(),
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body } : {}),
      });
      const payload = (await response.json()) as Record<string, unknown>;
      if (!response.ok)
        throw new AppError(
          String(payload.code ?? 'internal'),
          'internal',
          String(payload.detail ?? response.statusText),
        );
      return payload as never;
    },
    stop: async () => {},
  };
}

const pad = (value: unknown, width: number) => String(value).padEnd(width);

/** Prints rows as an aligned table. */
function printTable(rows: readonly Record<string, unknown>[]): void {
  if (rows.length === 0) return void process.stdout.write('(no rows)\n');
  const flat = rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [
        k,
        v && typeof v === 'object' ? ((v as { amount?: unknown }).amount ?? JSON.stringify(v)) : (v ?? ''),
      ]),
    ),
  );
  const columns = Object.keys(flat[0]!);
  const widths = columns.map((c) => Math.max(c.length, ...flat.map((r) => String(r[c]).length)));
  process.stdout.write(`${columns.map((c, i) => pad(c, widths[i]!)).join('  ')}\n`);
  for (const row of flat) process.stdout.write(`${columns.map((c, i) => pad(row[c], widths[i]!)).join('  ')}\n`);
}

async function etl(client: Client): Promise<boolean> {
  const mode = args.includes('--rebuild') ? 'rebuild' : args.includes('--full') ? 'full' : 'incremental';
  const started = await client.call(analytics.ops.startRun, { mode, trigger: 'cli' });
  process.stderr.write(`warehouse ${mode} run ${started.id} (${started.engine})\n`);
  const shown = new Map<string, string>();
  let run: Run = started;
  for (;;) {
    for (const [table, counts] of Object.entries(run.tables)) {
      const line = `  ${pad(table, 13)} ${counts.extracted} extracted, ${counts.loaded} loaded`;
      if (shown.get(table) !== line) process.stderr.write(`${line}\n`);
      shown.set(table, line);
    }
    if (run.status !== 'running') break;
    await new Promise((r) => setTimeout(r, POLL_MS));
    run = await client.call(analytics.ops.getRun, { id: started.id });
  }
  const rows = Object.values(run.tables).reduce((n, t) => n + t.loaded, 0);
  const seconds = (run.durationMs ?? 0) / 1000;
  process.stdout.write(
    `warehouse run ${run.status}: ${Object.keys(run.tables).length} tables, ${rows} rows loaded in ${seconds.toFixed(1)} s${seconds > 0 ? ` (${Math.round(rows / seconds)} rows/s)` : ''}${run.error ? ` — ${run.error}` : ''}\n`,
  );
  return run.status === 'succeeded';
}

async function report(client: Client): Promise<boolean> {
  const name = rest[0];
  const period = { ...(flag('--from') ? { from: flag('--from') } : {}), ...(flag('--to') ? { to: flag('--to') } : {}) };
  const groupBy = flag('--group-by');
  if (name === 'revenue') {
    const result = await client.call(analytics.ops.revenueReport, {
      ...period,
      ...(groupBy ? { groupBy: groupBy as 'day' } : {}),
    });
    process.stdout.write(`revenue by ${result.groupBy}, ${result.period.from} – ${result.period.to}\n`);
    printTable(result.rows);
  } else if (name === 'utilization') {
    const result = await client.call(analytics.ops.utilizationReport, {
      ...period,
      ...(groupBy ? { groupBy: groupBy as 'item' } : {}),
    });
    process.stdout.write(`utilization by ${result.groupBy}, ${result.period.from} – ${result.period.to}\n`);
    printTable(result.rows);
  } else if (name === 'rentals') {
    const result = await client.call(analytics.ops.rentalsReport, period);
    process.stdout.write(`rentals per day, ${result.period.from} – ${result.period.to}\n`);
    printTable(result.rows);
  } else usage();
  return true;
}

async function exportParquet(client: Client): Promise<boolean> {
  const result = await client.call(analytics.ops.exportWarehouse, {});
  const target = rest[0] ? resolve(rest[0]) : result.directory;
  if (target !== result.directory) cpSync(result.directory, target, { recursive: true });
  for (const table of result.tables)
    process.stdout.write(
      `${pad(table.name, 16)} ${join(target, table.name)}${table.partitionBy ? ` (partitioned by ${table.partitionBy})` : ''}\n`,
    );
  return true;
}

let ok = false;
let client: Client | undefined;
try {
  client = args.includes('--remote') || (await duckdbHeldElsewhere()) ? await remoteClient() : await localClient();
  process.once('SIGINT', () => void client?.stop().finally(() => process.exit(130)));
  if (command === 'etl') ok = await etl(client);
  else if (command === 'report') ok = await report(client);
  else if (command === 'export') ok = await exportParquet(client);
  else {
    printTable(
      (await client.call(analytics.ops.listRuns, { limit: 20 })).runs.map(({ tables, window, ...run }) => ({
        ...run,
        rows: Object.values(tables).reduce((n, t) => n + t.loaded, 0),
      })),
    );
    ok = true;
  }
} catch (error) {
  process.stderr.write(
    `warehouse ${command} failed: ${error instanceof AppError ? `${error.code}: ${error.detail}` : (error as Error).message}\n`,
  );
} finally {
  await client?.stop();
}
process.exit(ok ? 0 : 1);
