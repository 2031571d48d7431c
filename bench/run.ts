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
 *      BENCH_RATE_LIMITS=off (default: on with unreachable ceilings), BENCH_WARMUP_REQUESTS (default 3000),
 *      BENCH_RESULTS_DIR (default bench/results),
 *      BENCH_BUS_ITERATIONS (default 200000), BENCH_BUS_SECONDS (default 5).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { startPostgres, startRedis, type Service } from '../test/support/services.ts';
import { runBusOverhead, type BusOverheadResult, type Target } from './bus-overhead.ts';
import { httpSettingsFromEnv, runHttpThroughput, type HttpResult } from './http-throughput.ts';
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

const dir = process.env.BENCH_RESULTS_DIR ? resolve(process.env.BENCH_RESULTS_DIR) : join(root, 'bench', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
const markdown = renderMarkdown(report);
writeFileSync(join(dir, 'latest.md'), markdown);
process.stdout.write(`\n${markdown}\n`);
progress(`wrote ${join(dir, 'latest.json')} and latest.md (${report.meta.elapsedS} s in all)`);
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

function int(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? '–'
    : Math.round(value).toLocaleString('en');
}

/** A ratio as "1.23×". */
function x(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${fmt(value, 2)}×`;
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
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
      `HTTP: autocannon in the bench process, ${s.connections} connections; sustained runs of ${s.durationS} s after ${s.warmupS} s of warm-up; comparisons in turns of ${s.segmentS} s; ` +
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
    out.push(
      `Mean per call, median of ${b.settings.rounds} interleaved rounds of ${b.settings.iterations.toLocaleString('en')} calls after warm-up.`,
    );
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
    out.push(
      `In-process overhead over the direct call: **${fmt(ip.overheadNs / 1000, 3)} µs** per call (zod input parse alone: ${fmt(ip.zodParseNs / 1000, 3)} µs).`,
    );
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
    const h = r.http;
    const labelOf = (target: string, variant: string) => `${target}${variant ? ` (${variant})` : ''}`;
    out.push('');
    out.push('## HTTP: interleaved comparisons (the ratios)');
    out.push('');
    out.push(
      `All deployments run at once, each on its own database; after the same number of warm-up requests each (${s.warmupRequests.toLocaleString('en')} at ${s.connections} connections), ` +
        `they take turns of ${s.segmentS} s, each round starting with the next one, so background load hits them alike. ` +
        'Ratios (×) are to the raw baseline (bare Hono + postgres.js, same SQL). Latencies are of 2xx responses. ' +
        "CPU µs/req: user+system time of the deployment's Node processes (app) and of its PostgreSQL backends (PG) per response: steadier than req/s on a shared machine, but inflated when it is oversubscribed.",
    );
    for (const cmp of h.comparisons) {
      out.push('');
      out.push(
        `### \`${cmp.route}\`, ${cmp.connections} connection${cmp.connections === 1 ? '' : 's'} (${cmp.rounds} turns × ${cmp.segmentS} s each)`,
      );
      out.push('');
      out.push(
        table(
          [
            'Deployment',
            '2xx/s',
            '× raw',
            'p50 ms',
            '× raw',
            'p99 ms',
            '× raw',
            'non-2xx',
            'app CPU µs/req',
            '× raw',
            'PG CPU µs/req',
            'total CPU × raw',
            'load avg',
          ],
          cmp.entries.map((e) => [
            labelOf(e.target, e.variant),
            int(e.stats.okRps),
            x(e.vsRaw?.okRps),
            fmt(e.stats.p50Ms),
            x(e.vsRaw?.p50),
            fmt(e.stats.p99Ms),
            x(e.vsRaw?.p99),
            int(e.stats.non2xx + e.stats.errors + e.stats.timeouts),
            fmt(e.stats.appCpuUsPerReq, 0),
            x(e.vsRaw?.appCpuPerReq),
            fmt(e.stats.pgCpuUsPerReq, 0),
            x(e.vsRaw?.totalCpuPerReq),
            `${fmt(e.loadavg1m.min, 1)}–${fmt(e.loadavg1m.max, 1)}`,
          ]),
        ),
      );
    }
    const lc = h.logCost;
    const rl = h.rateLimitCost;
    if (lc || rl) {
      out.push('');
      out.push(
        `### Costs of the access log and the edge rate limits (monolith, \`GET\`, ${s.connections} connections, from the comparison above)`,
      );
      out.push('');
      const rows: string[][] = [];
      if (lc) {
        rows.push([
          'LOG_LEVEL=warn (no access log)',
          int(lc.okRpsWarn),
          '1.00×',
          fmt(lc.appCpuUsPerReqWarn, 0),
          '1.00×',
          '',
        ]);
        rows.push([
          'LOG_LEVEL=info (one pino line per request, the default)',
          int(lc.okRpsInfo),
          x(lc.rpsRatio),
          fmt(lc.appCpuUsPerReqInfo, 0),
          x(lc.cpuRatio),
          `${fmt(lc.appCpuUsPerReqDelta, 0)} µs/req, ${fmt(lc.throughputLostPct, 1)} % of throughput`,
        ]);
      }
      if (rl) {
        rows.push([
          'rate limits off (LOG_LEVEL=info)',
          int(rl.okRpsOff),
          '1.00×',
          fmt(rl.appCpuUsPerReqOff, 0),
          '1.00×',
          '',
        ]);
        rows.push([
          'rate limits on (Redis token bucket per IP, never reached)',
          int(rl.okRpsOn),
          x(rl.rpsRatio),
          fmt(rl.appCpuUsPerReqOn, 0),
          x(rl.cpuRatio),
          `${fmt(rl.appCpuUsPerReqDelta, 0)} µs/req`,
        ]);
      }
      out.push(table(['Variant', '2xx/s', '× without', 'app CPU µs/req', '× without', 'cost'], rows));
      out.push('');
      out.push('stdout of every process is /dev/null here: a pipe to a log shipper makes the access log costlier.');
    }

    out.push('');
    out.push(`## HTTP: sustained runs (${s.durationS} s without a break, after ${s.warmupS} s of warm-up)`);
    out.push('');
    out.push(
      `For throughput that changes over a run (e.g. a small postgres.js pool under ${s.connections} concurrent requests): the first and last ${s.windowS} s are reported apart. ` +
        `Pool: DB_POOL_MAX=${s.poolMax} per process that has one (pools column).`,
    );
    out.push('');
    out.push(
      table(
        [
          'Deployment',
          'Route',
          '2xx/s',
          'p50 ms',
          'p99 ms',
          'non-2xx',
          `first ${s.windowS} s 2xx/s`,
          `last ${s.windowS} s 2xx/s`,
          'last/first',
          `first ${s.windowS} s p99`,
          `last ${s.windowS} s p99`,
          'app CPU µs/req',
          'PG CPU µs/req',
          'pools',
          'load avg',
        ],
        h.sustained.map((run) => [
          labelOf(run.target, run.variant),
          `\`${run.route}\``,
          int(run.overall.okRps),
          fmt(run.overall.p50Ms),
          fmt(run.overall.p99Ms),
          int(run.overall.non2xx + run.overall.errors + run.overall.timeouts),
          int(run.first?.okRps),
          int(run.last?.okRps),
          fmt(run.lastToFirst),
          fmt(run.first?.p99Ms),
          fmt(run.last?.p99Ms),
          fmt(run.overall.appCpuUsPerReq, 0),
          fmt(run.overall.pgCpuUsPerReq, 0),
          `${run.poolsPerTarget} × ${run.poolMax}`,
          `${fmt(run.loadavg1m.before, 1)}–${fmt(run.loadavg1m.after, 1)}`,
        ]),
      ),
    );
    if (h.failures.length > 0) {
      out.push('');
      out.push('### Failures');
      out.push('');
      for (const f of h.failures) out.push(`- ${f.what}: ${f.error}`);
    }
  }
  out.push('');
  return out.join('\n');
}
