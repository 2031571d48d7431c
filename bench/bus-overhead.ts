/**
 * Bus call overhead: the per-call cost of
 *   (a) a direct async call of a handler,
 *   (b) an in-process `bus.call` of the same handler (zod-validated input),
 *   (c) an HTTP `bus.call` to another process (the split-mode hop), next to a bare HTTP
 *       round trip of the same payload to the same process as its baseline.
 *
 * The remote side is this same file run with `--serve`: a Bus hosting the tiny `echo`
 * contract behind createApp + mountInternalBus (what src/runtimes/service.ts does), plus a
 * bare node:http server on a second port for the raw round trip. The calling side is the
 * real routing path: hostModules + routeRemoteModules (static discovery via ECHO_URLS,
 * InstancePool, TargetPolicy, HttpTransport over the shared undici Agent).
 *
 *   tsx bench/bus-overhead.ts            # this part alone, prints JSON
 *   run by bench/run.ts as part of `npm run bench`
 */
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { stopAll, waitForReady } from '../scripts/processes.ts';
import { freePort } from '../test/support/services.ts';
import { Bus, type HandlerContext, type HandlersOf } from '../src/shared/bus/bus.ts';
import type { CallContext } from '../src/shared/bus/context.ts';
import { defineContract, op } from '../src/shared/bus/contract.ts';
import { mountInternalBus } from '../src/shared/bus/internal-endpoint.ts';
import { routeRemoteModules } from '../src/shared/bus/remote-routing.ts';
import { serviceCredentials } from '../src/shared/bus/service-credentials.ts';
import { parseConfig } from '../src/shared/config/config.ts';
import { createApp } from '../src/shared/http/app.ts';
import { listen, onShutdown } from '../src/shared/http/serve.ts';
import { hostModules } from '../src/shared/modules/platform.ts';
import { createLogger } from '../src/shared/observability/logger.ts';
import { createMetrics } from '../src/shared/observability/metrics.ts';
import { childSpan } from '../src/shared/observability/trace.ts';
import {
  BENCH_INTERNAL_SECRET,
  Samples,
  envNumber,
  median,
  percentile,
  progress,
  ratio,
  round,
  spawnBenchProcess,
} from './support.ts';

// ---------------------------------------------------------------------------
// The tiny contract and its handler (shared by both sides of the hop).

export const echo = defineContract({
  name: 'echo',
  version: 1,
  errors: {},
  ops: {
    ping: op({
      kind: 'query',
      internal: true,
      summary: 'Echo an id and a counter plus one',
      input: z.strictObject({ id: z.uuid(), n: z.int().min(0) }),
      output: z.object({ id: z.uuid(), n: z.int() }),
    }),
  },
});

type EchoDeps = Record<string, never>;
const echoHandlers: HandlersOf<typeof echo, EchoDeps> = {
  ping: async (input) => ({ id: input.id, n: input.n + 1 }),
};

// ---------------------------------------------------------------------------
// Remote side: `tsx bench/bus-overhead.ts --serve` (PORT, RAW_PORT, LOG_LEVEL).

async function serveEcho(): Promise<void> {
  const port = Number(process.env.PORT);
  const rawPort = Number(process.env.RAW_PORT);
  // Same default as every runtime (LOG_LEVEL=info: one access log line per call).
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'info', pretty: false, name: 'bench-echo' });
  const bus = new Bus();
  bus.serve(echo, echoHandlers, {});
  const credentials = serviceCredentials({ secret: BENCH_INTERNAL_SECRET, service: 'bench-echo' });
  const app = createApp({
    name: 'bench-echo',
    log,
    metrics: createMetrics('bench-echo'),
    bodyLimitBytes: 256 * 1024,
    corsOrigins: [],
    readiness: async () => ({}),
  });
  mountInternalBus(app, { bus, credentials, isDraining: () => false, log });

  // The baseline of the hop: a bare HTTP round trip with the same JSON in and out.
  const raw = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let reply = '{}';
      if (chunks.length > 0) {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { input: { id: string; n: number } };
        reply = JSON.stringify({ output: { id: body.input.id, n: body.input.n + 1 } });
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(reply) });
      res.end(reply);
    });
  });
  raw.keepAliveTimeout = 10_000;
  await new Promise<void>((done) => raw.listen(rawPort, '127.0.0.1', done));
  const server = await listen(app.fetch, { port, host: '127.0.0.1', log });
  onShutdown(log, async () => {
    raw.closeAllConnections();
    raw.close();
    await server.close();
  });
}

// ---------------------------------------------------------------------------
// Calling side.

export interface LatencyStats {
  concurrency: number;
  calls: number;
  errors: number;
  callsPerSec: number;
  meanUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
}

export interface BusOverheadResult {
  settings: {
    iterations: number;
    rounds: number;
    httpSeconds: number;
    highConcurrency: number;
    remoteLogLevel: string;
  };
  inProcess: {
    directNs: number;
    directPlusZodNs: number;
    busNs: number;
    /** busNs - directNs: what the in-process bus adds per call. */
    overheadNs: number;
    /** Of that overhead, what the zod input parse alone costs (directPlusZodNs - directNs). */
    zodParseNs: number;
    busToDirect: number | null;
    rounds: { directNs: number[]; directPlusZodNs: number[]; busNs: number[] };
  };
  /** Per-hop costs paid on each side of an HTTP bus call, measured alone. */
  components: { credentialVerifyNs: number; wireRequestParseNs: number };
  http: {
    raw: { c1: LatencyStats; cN: LatencyStats };
    bus: { c1: LatencyStats; cN: LatencyStats };
    /** bus ÷ raw round trip (latency ratios; throughput ratio for callsPerSec). */
    ratios: { c1P50: number | null; c1P99: number | null; cNCallsPerSec: number | null; cNP50: number | null };
    /** hop p50 (c=1) minus the in-process bus call: what splitting adds to one call. */
    hopAddsP50Us: number;
  };
  targets: Target[];
}

export interface Target {
  name: string;
  value: number | null;
  limit: number;
  unit: string;
  comparison: '<=' | '>=';
  pass: boolean | null;
}

export function target(
  name: string,
  value: number | null,
  comparison: '<=' | '>=',
  limit: number,
  unit: string,
): Target {
  const pass = value === null || !Number.isFinite(value) ? null : comparison === '<=' ? value <= limit : value >= limit;
  return { name, value, limit, unit, comparison, pass };
}

/** Mean ns per call of `fn` over `iterations` sequential awaited calls. */
async function nsPerCall(fn: (i: number) => Promise<{ n: number }>, iterations: number): Promise<number> {
  let sink = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink += (await fn(i)).n;
  const ns = Number(process.hrtime.bigint() - started) / iterations;
  if (sink === -1) process.stdout.write(''); // keeps the results observable
  return ns;
}

/** `concurrency` callers calling back to back for `seconds`; latency of every call in µs. */
async function latencyRun(
  call: (i: number) => Promise<unknown>,
  concurrency: number,
  seconds: number,
): Promise<LatencyStats> {
  const samples = new Samples();
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const t = performance.now();
      try {
        await call(next++);
      } catch {
        errors++;
      }
      samples.push((performance.now() - t) * 1000);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const sorted = samples.sorted();
  return {
    concurrency,
    calls: samples.length,
    errors,
    callsPerSec: Math.round(samples.length / elapsed),
    meanUs: round(samples.mean(), 1),
    p50Us: round(percentile(sorted, 50), 1),
    p90Us: round(percentile(sorted, 90), 1),
    p99Us: round(percentile(sorted, 99), 1),
  };
}

export async function runBusOverhead(
  options: { iterations?: number; rounds?: number; httpSeconds?: number; highConcurrency?: number } = {},
): Promise<BusOverheadResult> {
  const iterations = options.iterations ?? envNumber('BENCH_BUS_ITERATIONS', 200_000);
  const rounds = options.rounds ?? 7;
  const httpSeconds = options.httpSeconds ?? envNumber('BENCH_BUS_SECONDS', 5);
  const highConcurrency = options.highConcurrency ?? 32;
  const remoteLogLevel = process.env.BENCH_REMOTE_LOG_LEVEL ?? 'info';

  // 1024 distinct valid inputs, cycled, so no call sees a constant.
  const inputs = Array.from({ length: 1024 }, (_, n) => ({ id: crypto.randomUUID(), n }));
  const inputOf = (i: number) => inputs[i & 1023]!;
  // One context per "request", built once (a request builds it once, whatever it calls).
  const ctx: CallContext = { requestId: crypto.randomUUID(), trace: childSpan(), deadline: Date.now() + 3_600_000 };

  // (a) / (b): in-process.
  progress(`bus: in-process calls, ${rounds} rounds × ${iterations.toLocaleString('en')} iterations per variant`);
  const bus = new Bus();
  bus.serve(echo, echoHandlers, {});
  const handlerCtx: HandlerContext<EchoDeps> = { ...ctx, deps: {}, bus };
  const ping = echoHandlers.ping;
  const inputSchema = echo.ops.ping.input;
  const variants = {
    directNs: (i: number) => ping(inputOf(i), handlerCtx),
    directPlusZodNs: (i: number) => ping(inputSchema.parse(inputOf(i)), handlerCtx),
    busNs: (i: number) => bus.call(echo.ops.ping, inputOf(i), ctx),
  };
  for (const fn of Object.values(variants)) await nsPerCall(fn, Math.min(iterations, 100_000)); // warm-up (JIT)
  const perRound = { directNs: [] as number[], directPlusZodNs: [] as number[], busNs: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    // Interleaved, so drift on a shared machine hits every variant alike.
    for (const [name, fn] of Object.entries(variants) as [
      keyof typeof variants,
      (i: number) => Promise<{ n: number }>,
    ][]) {
      perRound[name].push(round(await nsPerCall(fn, iterations), 1));
    }
  }
  const directNs = round(median(perRound.directNs), 1);
  const directPlusZodNs = round(median(perRound.directPlusZodNs), 1);
  const busNs = round(median(perRound.busNs), 1);
  progress(
    `bus: direct ${directNs} ns/call, direct+zod ${directPlusZodNs} ns, in-process bus.call ${busNs} ns (overhead ${round(busNs - directNs, 1)} ns)`,
  );

  // Components of a hop, alone.
  const credentials = serviceCredentials({ secret: BENCH_INTERNAL_SECRET, service: 'bench' });
  const token = await credentials.token();
  const verifyIterations = Math.max(2_000, Math.round(iterations / 20));
  const credentialVerifyNs = round(
    await nsPerCall(async () => ({ n: (await credentials.verify(token)) ? 1 : 0 }), verifyIterations),
    0,
  );
  const { wireRequestSchema } = await import('../src/shared/bus/wire.ts');
  const wireBody = { input: inputOf(0), contractVersion: 1, caller: { userId: crypto.randomUUID(), role: 'member' } };
  const wireRequestParseNs = round(
    await nsPerCall(async () => ({ n: wireRequestSchema.safeParse(wireBody).success ? 1 : 0 }), iterations / 4),
    0,
  );
  progress(
    `bus: per hop, service credential verify ${credentialVerifyNs} ns, wire request parse ${wireRequestParseNs} ns`,
  );

  // (c): across processes.
  const port = await freePort();
  const rawPort = await freePort();
  const child = spawnBenchProcess(
    'bench/bus-overhead.ts',
    ['--serve'],
    { PORT: String(port), RAW_PORT: String(rawPort), LOG_LEVEL: remoteLogLevel },
    'bench-echo',
  );
  const echoUrl = `http://127.0.0.1:${port}`;
  let stopHost: (() => Promise<void>) | undefined;
  const rawAgent = new Agent({ keepAliveTimeout: 10_000, connections: 128, pipelining: 1 });
  try {
    await waitForReady(`${echoUrl}/readyz`, 60_000, child);
    process.env.ECHO_URLS = echoUrl; // static discovery for the echo module
    const config = parseConfig({
      LOG_LEVEL: 'error',
      INTERNAL_SERVICE_SECRET: BENCH_INTERNAL_SECRET,
      NODE_ENV: 'production',
      JWT_SECRET: BENCH_INTERNAL_SECRET,
    });
    const log = createLogger({ level: 'error', pretty: false, name: 'bench' });
    const host = await hostModules({
      config,
      log,
      service: 'bench',
      modules: [],
      connect: (platform) => routeRemoteModules({ platform, credentials, contracts: [echo as never] }),
    });
    stopHost = () => host.stop();
    const remoteBus = host.platform.bus;
    const busCall = (i: number) => remoteBus.call(echo.ops.ping, inputOf(i), ctx);
    const rawCall = async (i: number) => {
      const response = await request(`http://127.0.0.1:${rawPort}/echo`, {
        method: 'POST',
        dispatcher: rawAgent,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: inputOf(i), contractVersion: 1 }),
      });
      return JSON.parse(await response.body.text()) as unknown;
    };

    progress(
      `bus: HTTP hop vs bare HTTP round trip, ${httpSeconds} s per run at concurrency 1 and ${highConcurrency} (remote LOG_LEVEL=${remoteLogLevel})`,
    );
    await latencyRun(rawCall, highConcurrency, 1); // warm-up both paths and open connections
    await latencyRun(busCall, highConcurrency, 1);
    const rawC1 = await latencyRun(rawCall, 1, httpSeconds);
    const busC1 = await latencyRun(busCall, 1, httpSeconds);
    const rawCN = await latencyRun(rawCall, highConcurrency, httpSeconds);
    const busCN = await latencyRun(busCall, highConcurrency, httpSeconds);
    progress(
      `bus: c=1 raw p50 ${rawC1.p50Us} µs / bus hop p50 ${busC1.p50Us} µs (p99 ${busC1.p99Us} µs); c=${highConcurrency} raw ${rawCN.callsPerSec}/s, bus ${busCN.callsPerSec}/s`,
    );

    const overheadNs = round(busNs - directNs, 1);
    const hopAddsP50Us = round(busC1.p50Us - busNs / 1000, 1);
    return {
      settings: { iterations, rounds, httpSeconds, highConcurrency, remoteLogLevel },
      inProcess: {
        directNs,
        directPlusZodNs,
        busNs,
        overheadNs,
        zodParseNs: round(directPlusZodNs - directNs, 1),
        busToDirect: ratio(busNs, directNs, 2),
        rounds: perRound,
      },
      components: { credentialVerifyNs, wireRequestParseNs },
      http: {
        raw: { c1: rawC1, cN: rawCN },
        bus: { c1: busC1, cN: busCN },
        ratios: {
          c1P50: ratio(busC1.p50Us, rawC1.p50Us, 2),
          c1P99: ratio(busC1.p99Us, rawC1.p99Us, 2),
          cNCallsPerSec: ratio(busCN.callsPerSec, rawCN.callsPerSec, 2),
          cNP50: ratio(busCN.p50Us, rawCN.p50Us, 2),
        },
        hopAddsP50Us,
      },
      targets: [
        target('in-process bus overhead per call (vs direct call)', round(overheadNs / 1000, 3), '<=', 2, 'µs'),
        target('split hop adds at p50 (c=1, vs in-process bus.call)', round(hopAddsP50Us / 1000, 3), '<=', 1, 'ms'),
      ],
    };
  } finally {
    await stopHost?.().catch(() => {});
    await rawAgent.close().catch(() => {});
    await stopAll([child]);
  }
}

// ---------------------------------------------------------------------------

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain && process.argv.includes('--serve')) {
  await serveEcho();
} else if (isMain) {
  const result = await runBusOverhead();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}
