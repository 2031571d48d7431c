/**
 * `npm run bench`: every benchmark with one command.
 *
 *   1. bus call overhead (bench/bus-overhead.ts): direct call vs in-process bus.call vs an
 *      HTTP bus hop to another process (vs a bare HTTP round trip);
 *   2. HTTP throughput (bench/http-throughput.ts): raw Hono + postgres.js baseline vs the
 *      monolith vs the split topology, GET and POST, with autocannon.
 *
 * Writes bench/results/latest.json and bench/results/latest.md and prints the tables.
 * Every figure comes with its ratio to the baseline measured in the same run: on a shared
 * machine absolute numbers are noise. Starts throwaway PostgreSQL and Redis from the
 * binaries on PATH (or uses DATABASE_URL / REDIS_URL); every process it starts is stopped
 * at the end, on error and on Ctrl-C.
 *
 * Env: BENCH_DURATION (s per HTTP run, default 60), BENCH_WARMUP (s, default 5),
 *      BENCH_CONNECTIONS (default 50), DB_POOL_MAX (default: the app's), BENCH_ONLY=bus|http,
 *      BENCH_RATE_LIMITS=off (default: on with unreachable ceilings),
 *      BENCH_BUS_ITERATIONS (default 200000), BENCH_BUS_SECONDS (default 5).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { startPostgres, startRedis, type Service } from '../test/support/services.ts';
import { runBusOverhead, type BusOverheadResult, type Target } from './bus-overhead.ts';
import { httpSettingsFromEnv, runHttpThroughput, type HttpResult, type RunResult } from './http-throughput.ts';
import { installCleanup, progress, root, round } from './support.ts';

installCleanup();
const only = process.env.BENCH_ONLY;
if (only !== undefined && only !== 'bus' && only !== 'http') {
  process.stderr.write(`BENCH_ONLY must be "bus" or "http" (got "${only}")\n`);
  process.exit(2);
}

const startedAt = new Date();
const settings = httpSettingsFromEnv();
const services: Service[] = [];
let bus: BusOverheadResult | undefined;
let http: HttpResult | undefined;
let database = '';
let exitCode = 0;

progress(
  `Shareloop benchmarks: ${only ?? 'bus + http'}; node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(2)}; ` +
    `HTTP runs ${settings.durationS} s (BENCH_DURATION) + ${settings.warmupS} s warm-up`,
);
try {
  if (only !== 'http') bus = await runBusOverhead();
  delete process.env.ECHO_URLS;
  if (only !== 'bus') {
    const pg = await startPostgres();
    services.push(pg);
    const redis = await startRedis();
    services.push(redis);
    database = pg.description;
    progress(`${pg.description}; ${redis.description}`);
    http = await runHttpThroughput({ pgUrl: pg.url, redisUrl: redis.url, external: pg.external, settings });
  }
} catch (error) {
  exitCode = 1;
  process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
} finally {
  for (const service of services.reverse()) await service.stop().catch(() => {});
}

const report = {
  meta: {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    elapsedS: round((Date.now() - startedAt.getTime()) / 1000, 1),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    loadavgAtEnd: loadavg().map((l) => round(l, 2)),
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: git(['status', '--porcelain', '--', 'src', 'scripts']) !== '',
    database,
    versions: versions(['hono', '@hono/node-server', 'postgres', 'drizzle-orm', 'pino', 'zod', 'undici', 'autocannon']),
    note: 'Shared machine: absolute numbers are noise; compare the ratios to the baseline of the same run, and CPU µs per request.',
  },
  busOverhead: bus ?? null,
  http: http ?? null,
  targets: [...(bus?.targets ?? []), ...(http?.targets ?? [])],
};

const dir = join(root, 'bench', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
const markdown = renderMarkdown(report);
writeFileSync(join(dir, 'latest.md'), markdown);
process.stdout.write(`\n${markdown}\n`);
progress(`wrote bench/results/latest.json and bench/results/latest.md (${report.meta.elapsedS} s in all)`);
process.exit(exitCode);

// ---------------------------------------------------------------------------

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

function versions(names: string[]): Record<string, string> {
  const require = createRequire(join(root, 'package.json'));
  const found: Record<string, string> = {};
  for (const name of names) {
    try {
      found[name] = (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      found[name] = 'unknown';
    }
  }
  return found;
}

function fmt(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : String(round(value, digits));
}

function ratioOf(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}

function int(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : Math.round(value).toLocaleString('en');
}

/** A ratio as "1.23×". */
function x(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${fmt(value, 2)}×`;
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function targetRows(targets: Target[]): string[][] {
  return targets.map((t) => [
    t.name,
    t.value === null ? '–' : `${fmt(t.value, 3)} ${t.unit}`,
    `${t.comparison} ${t.limit} ${t.unit}`,
    t.pass === null ? 'n/a' : t.pass ? 'PASS' : '**FAIL**',
  ]);
}

function renderMarkdown(r: typeof report): string {
  const out: string[] = [];
  const s = r.http?.settings ?? settings;
  out.push(`# Shareloop benchmark (${r.meta.startedAt.slice(0, 16).replace('T', ' ')} UTC)`);
  out.push('');
  out.push(
    `node ${r.meta.node}, ${r.meta.cpus} CPUs (${r.meta.cpuModel}), commit ${r.meta.commit}${r.meta.dirty ? ' (src/ or scripts/ modified)' : ''}, load average at end ${r.meta.loadavgAtEnd.join(' / ')}. ` +
      `${r.meta.note}`,
  );
  if (r.http) {
    out.push('');
    out.push(
      `HTTP: ${s.durationS} s per run after ${s.warmupS} s of warm-up, ${s.connections} connections (autocannon, in the bench process); first/last windows of ${s.windowS} s; ` +
        `postgres.js pool DB_POOL_MAX=${s.poolMax} per process (${s.poolMaxSource}); ${s.seedRows.toLocaleString('en')} seeded items; edge rate limits ${s.rateLimits}; ` +
        `POST without Idempotency-Key; ${r.meta.database}.`,
    );
  }
  out.push('');
  out.push('## Targets');
  out.push('');
  out.push(table(['Target', 'Measured', 'Limit', 'Result'], targetRows(r.targets)));

  if (r.busOverhead) {
    const b = r.busOverhead;
    const ip = b.inProcess;
    out.push('');
    out.push('## Bus call overhead');
    out.push('');
    out.push(`Mean per call, median of ${b.settings.rounds} interleaved rounds of ${b.settings.iterations.toLocaleString('en')} calls after warm-up.`);
    out.push('');
    out.push(
      table(
        ['Call', 'ns/call', '× direct call'],
        [
          ['direct async call of the handler (baseline)', fmt(ip.directNs, 1), '1.00×'],
          ['direct call + zod input parse', fmt(ip.directPlusZodNs, 1), x(ip.directPlusZodNs / ip.directNs)],
          ['in-process `bus.call`', fmt(ip.busNs, 1), x(ip.busToDirect)],
        ],
      ),
    );
    out.push('');
    out.push(`In-process overhead over the direct call: **${fmt(ip.overheadNs / 1000, 3)} µs** per call (zod input parse alone: ${fmt(ip.zodParseNs / 1000, 3)} µs).`);
    out.push('');
    const h = b.http;
    const hopRow = (name: string, c: typeof h.raw.c1, base: typeof h.raw.c1 | null) => [
      name,
      String(c.concurrency),
      fmt(c.p50Us, 1),
      fmt(c.p99Us, 1),
      int(c.callsPerSec),
      base ? x(c.p50Us / base.p50Us) : '1.00×',
      base ? x(c.callsPerSec / base.callsPerSec) : '1.00×',
      String(c.errors),
    ];
    out.push(
      table(
        ['Across processes', 'concurrency', 'p50 µs', 'p99 µs', 'calls/s', 'p50 × raw', 'calls/s × raw', 'errors'],
        [
          hopRow('bare HTTP round trip, same JSON (baseline)', h.raw.c1, null),
          hopRow('HTTP `bus.call` (split-mode hop)', h.bus.c1, h.raw.c1),
          hopRow('bare HTTP round trip, same JSON (baseline)', h.raw.cN, null),
          hopRow('HTTP `bus.call` (split-mode hop)', h.bus.cN, h.raw.cN),
        ],
      ),
    );
    out.push('');
    out.push(
      `The hop adds **${fmt(h.hopAddsP50Us / 1000, 3)} ms** at p50 (c=1) over an in-process call. Measured alone, each hop pays ` +
        `${fmt(b.components.credentialVerifyNs / 1000, 1)} µs to verify the service credential (jose HS256) and ${fmt(b.components.wireRequestParseNs / 1000, 1)} µs to parse the wire request. ` +
        `Remote side LOG_LEVEL=${b.settings.remoteLogLevel}.`,
    );
  }

  if (r.http) {
    const runs = r.http.runs;
    out.push('');
    out.push('## HTTP throughput');
    out.push('');
    out.push(
      'Ratios (×) are to the raw baseline (bare Hono + postgres.js, same SQL) for the same route and connections. CPU µs/req: user+system time of the target\'s Node processes (app) and of its PostgreSQL backends (PG) per request: steadier than req/s on a shared machine.',
    );
    out.push('');
    const name = (run: RunResult) => `${run.target}${run.variant ? ` (${run.variant})` : ''}`;
    out.push(
      table(
        ['Target', 'Route', 'conns', 'req/s', '× raw', 'p50 ms', '× raw', 'p99 ms', '× raw', 'non-2xx', `first ${s.windowS} s req/s`, `last ${s.windowS} s req/s`, 'last/first', 'app CPU µs/req', '× raw', 'PG CPU µs/req', 'app cores', 'load avg'],
        runs.map((run) => [
          name(run),
          `\`${run.route}\``,
          String(run.connections),
          int(run.overall.rps),
          x(run.vsRaw?.rps),
          fmt(run.overall.p50Ms),
          x(run.vsRaw?.p50),
          fmt(run.overall.p99Ms),
          x(run.vsRaw?.p99),
          int(run.overall.non2xx + run.errors + run.timeouts),
          int(run.first?.rps),
          int(run.last?.rps),
          fmt(run.lastToFirst),
          fmt(run.overall.appCpuUsPerReq, 0),
          x(run.vsRaw?.appCpuPerReq),
          fmt(run.overall.pgCpuUsPerReq, 0),
          fmt(run.overall.appCores),
          fmt(run.loadavg1m.before, 1),
        ]),
      ),
    );
    const lc = r.http.logCost;
    if (lc) {
      out.push('');
      out.push('### Access log cost (monolith, GET)');
      out.push('');
      out.push(
        table(
          ['LOG_LEVEL', 'req/s', '× warn', 'app CPU µs/req', '× warn'],
          [
            ['warn (no access log)', int(lc.getRpsWarn), '1.00×', fmt(lc.appCpuUsPerReqWarn, 0), '1.00×'],
            ['info (one pino line per request, the default)', int(lc.getRpsInfo), x(lc.rpsRatio), fmt(lc.appCpuUsPerReqInfo, 0), x(lc.cpuRatio)],
          ],
        ),
      );
      out.push('');
      out.push(
        `The access log costs ${fmt(lc.throughputLostPct, 1)} % of GET throughput and ${fmt(lc.appCpuUsPerReqDelta, 0)} µs of CPU per request (stdout is /dev/null here; a pipe to a log shipper costs more).`,
      );
    }
    const rl = r.http.rateLimitCost;
    if (rl) {
      out.push('');
      out.push('### Edge rate limit cost (monolith, GET, LOG_LEVEL=info)');
      out.push('');
      out.push(
        table(
          ['Rate limits', 'req/s', '× off', 'app CPU µs/req', '× off'],
          [
            ['off', int(rl.getRpsOff), '1.00×', fmt(rl.appCpuUsPerReqOff, 0), '1.00×'],
            ['on (Redis token bucket per IP, ceilings never reached)', int(rl.getRpsOn), x(rl.rpsRatio), fmt(rl.appCpuUsPerReqOn, 0), x(ratioOf(rl.appCpuUsPerReqOn, rl.appCpuUsPerReqOff))],
          ],
        ),
      );
    }
    if (r.http.failures.length > 0) {
      out.push('');
      out.push('### Failures');
      out.push('');
      for (const f of r.http.failures) out.push(`- ${f.target}: ${f.error}`);
    }
  }
  out.push('');
  return out.join('\n');
}
