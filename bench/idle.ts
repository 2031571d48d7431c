/**
 * `npm run bench:idle`: the statements an idle deployment sends to PostgreSQL, by source.
 * Starts throwaway PostgreSQL and Redis, the monolith and the split topology on databases of
 * their own, waits IDLE_WARMUP_S (default 10) after they are ready, then logs every statement
 * (`log_statement = all`) for IDLE_SECONDS (default 60) while nothing is asked of them (no
 * request, no metrics scrape) and counts the statements per deployment and per text.
 * IDLE_SPLIT=0 leaves the split topology out. Writes bench/results/idle.{json,md}.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import { spawnRuntime, stopAll, waitForReady } from '../scripts/processes.ts';
import { startSplitTopology } from '../scripts/split-topology.ts';
import { createDatabase, freePort, startPostgres, startRedis, type Service } from '../test/support/services.ts';
import {
  BENCH_INTERNAL_SECRET,
  BENCH_JWT_SECRET,
  envNumber,
  installCleanup,
  progress,
  root,
  round,
  sleep,
} from './support.ts';

const warmupS = envNumber('IDLE_WARMUP_S', 10);
const seconds = envNumber('IDLE_SECONDS', 60);
const withSplit = process.env.IDLE_SPLIT !== '0';
/** Idle target: statements per second per deployment. */
const LIMIT = 1;

installCleanup();
const services: Service[] = [];
const stops: (() => Promise<void>)[] = [];
let exitCode = 0;
let report: Record<string, unknown> | undefined;
try {
  progress(`idle benchmark: ${warmupS} s warm-up, ${seconds} s counted; load average ${loadavg()[0]!.toFixed(2)}`);
  const begun = Date.now();
  const pg = await startPostgres();
  services.push(pg);
  const redis = await startRedis();
  services.push(redis);
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  const env = (databaseUrl: string) => ({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: `idle${randomBytes(3).toString('hex')}:`,
    LOG_LEVEL: 'warn',
    LOG_PRETTY: '0',
    NODE_ENV: 'production',
    JWT_SECRET: BENCH_JWT_SECRET,
    INTERNAL_SERVICE_SECRET: BENCH_INTERNAL_SECRET,
  });
  const deployments = { monolith: `idle_monolith_${randomBytes(3).toString('hex')}`, split: '' };
  const monolithUrl = await createDatabase(pg.url, deployments.monolith);
  const port = await freePort();
  const monolith = spawnRuntime('monolith.ts', { ...env(monolithUrl), PORT: String(port), HOST: '127.0.0.1' });
  stops.push(() => stopAll([monolith]));
  await waitForReady(`http://127.0.0.1:${port}/readyz`, 90_000, monolith);
  if (withSplit) {
    deployments.split = `idle_split_${randomBytes(3).toString('hex')}`;
    const splitUrl = await createDatabase(pg.url, deployments.split);
    const topology = await startSplitTopology({
      env: env(splitUrl),
      gatewayPort: await freePort(),
      readyTimeoutMs: 300_000,
    });
    stops.push(topology.stop);
  }
  progress(`deployments ready after ${round((Date.now() - begun) / 1000, 1)} s; warming up…`);
  await sleep(warmupS * 1000);

  const dataDir = String((await admin`show data_directory`)[0]!.data_directory);
  const logFile = join(dirname(dataDir), 'postgres.log');
  const from = statSync(logFile).size;
  await admin`alter system set log_statement = 'all'`;
  await admin`alter system set log_line_prefix = '@%d@ '`;
  await admin`select pg_reload_conf()`;
  const started = Date.now();
  progress(`counting statements for ${seconds} s…`);
  await sleep(seconds * 1000);
  await admin`alter system reset log_statement`;
  await admin`select pg_reload_conf()`;
  const elapsed = (Date.now() - started) / 1000;
  await admin.end();

  const log = readFileSync(logFile).subarray(from).toString('utf8');
  const bySource = new Map<string, Map<string, number>>();
  for (const m of log.matchAll(/^@([^@]*)@ LOG:\s+(?:statement|execute [^:]*): (.*(?:\n\t.*)*)/gm)) {
    const database = m[1]!;
    const deployment = database === deployments.monolith ? 'monolith' : database === deployments.split ? 'split' : '';
    if (!deployment || /log_statement|pg_reload_conf/.test(m[2]!)) continue;
    const text = m[2]!.replace(/\s+/g, ' ').trim().replace(/\$\d+/g, '$n').slice(0, 120);
    const counts = bySource.get(deployment) ?? new Map<string, number>();
    counts.set(text, (counts.get(text) ?? 0) + 1);
    bySource.set(deployment, counts);
  }
  const results = (withSplit ? (['monolith', 'split'] as const) : (['monolith'] as const)).map((deployment) => {
    const counts = [...(bySource.get(deployment) ?? new Map<string, number>())].sort((a, b) => b[1] - a[1]);
    const total = counts.reduce((sum, [, n]) => sum + n, 0);
    return {
      deployment,
      statements: total,
      perSecond: round(total / elapsed, 2),
      pass: total / elapsed <= LIMIT,
      sources: counts.map(([statement, n]) => ({ statement, n, perSecond: round(n / elapsed, 3) })),
    };
  });
  report = { at: new Date().toISOString(), seconds: round(elapsed, 1), warmupS, loadavg: loadavg(), results };
} catch (error) {
  exitCode = 1;
  process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  for (const s of services.reverse()) await s.stop().catch(() => {});
}

if (report) {
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'idle.json'), `${JSON.stringify(report, null, 2)}\n`);
  const results = report.results as {
    deployment: string;
    statements: number;
    perSecond: number;
    pass: boolean;
    sources: { statement: string; n: number; perSecond: number }[];
  }[];
  const md = [
    `# Idle benchmark (${String(report.at).slice(0, 16)} UTC)`,
    '',
    `Statements PostgreSQL received from each deployment in ${String(report.seconds)} s with nothing asked of it ` +
      '(no request, no metrics scrape), after a warm-up; from `log_statement = all`.',
    '',
    '| Deployment | statements | per second | target ≤ 1/s |',
    '|---|---|---|---|',
    ...results.map((r) => `| ${r.deployment} | ${r.statements} | ${r.perSecond} | ${r.pass ? 'pass' : '**miss**'} |`),
    '',
    ...results.flatMap((r) => [
      `## ${r.deployment}, by statement`,
      '',
      '| statement | count | per second |',
      '|---|---|---|',
      ...r.sources.map((s) => `| \`${s.statement.replaceAll('|', '\\|')}\` | ${s.n} | ${s.perSecond} |`),
      '',
    ]),
  ].join('\n');
  writeFileSync(join(dir, 'idle.md'), md);
  process.stdout.write(`\n${md}\n`);
}
process.exit(exitCode);
