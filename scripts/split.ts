/**
 * `npm run split [-- --gateways N] [--replicas module=N …]`: the split topology on this machine —
 * N gateways (default 2) behind HAProxy on PORT (default 3000), one service process per module
 * and a second inventory instance (or as many as --replicas says), each on a free port.
 * Uses DATABASE_URL / REDIS_URL when given, else starts throwaway PostgreSQL and Redis from
 * the binaries on PATH; stops everything on Ctrl-C or SIGTERM. `npm run rollout` reaches the
 * running topology through the control endpoint on 127.0.0.1:SPLIT_CONTROL_PORT (default 3099).
 */
import { createDatabase, startPostgres, startRedis, type Service } from '../test/support/services.ts';
import { parseConfig } from '../src/shared/config/config.ts';
import { buildInfo } from '../src/shared/observability/build-info.ts';
import { serveSplitControl } from './split-control.ts';
import { startSplitTopology, withReplicas, type SplitTopology } from './split-topology.ts';

/** --gateways N and --replicas module=N (repeatable, or comma-separated). */
function topologyFlags(args: string[]): { gateways: number; replicas: Record<string, number> } {
  let gateways = 2;
  const replicas: Record<string, number> = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? args[++i] ?? '';
    if (flag === '--gateways') gateways = Number(value());
    else if (flag === '--replicas') {
      for (const pair of value().split(',')) {
        const [module, n] = pair.split('=');
        if (!module || !Number.isInteger(Number(n)) || Number(n) < 1)
          throw new Error(`--replicas expects module=N, got "${pair}"`);
        replicas[module] = Number(n);
      }
    } else throw new Error(`unknown option ${args[i]} (expected --gateways N, --replicas module=N)`);
  }
  if (!Number.isInteger(gateways) || gateways < 1) throw new Error('--gateways expects a whole number ≥ 1');
  return { gateways, replicas };
}

const started: Service[] = [];
let topology: SplitTopology | undefined;
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    process.stdout.write('\n[split] stopping…\n');
    await topology?.stop();
    for (const service of started.reverse()) await service.stop().catch(() => {});
  }
  process.exit(code);
}
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));

try {
  const flags = topologyFlags(process.argv.slice(2));
  const pg = await startPostgres();
  started.push(pg);
  const redis = await startRedis();
  started.push(redis);
  process.stdout.write(`[split] ${pg.description}; ${redis.description}\n`);
  const databaseUrl = pg.external ? pg.url : await createDatabase(pg.url, 'shareloop');
  const port = Number(process.env.PORT ?? 3000);
  process.stdout.write('[split] starting services…\n');
  const layout = withReplicas(flags.replicas);
  topology = await startSplitTopology({
    env: { DATABASE_URL: databaseUrl, REDIS_URL: redis.url },
    gatewayPort: port,
    inherit: true,
    gateways: flags.gateways,
    layout,
  });
  const controlPort = Number(process.env.SPLIT_CONTROL_PORT ?? 3099);
  await serveSplitControl({
    topology,
    port: controlPort,
    // The services' key prefix (their config's default unless set), so rollout plans land where they read them.
    redis: {
      url: redis.url,
      keyPrefix: parseConfig({ REDIS_KEY_PREFIX: process.env.REDIS_KEY_PREFIX }).REDIS_KEY_PREFIX,
    },
    modules: new Map(layout.map((entry) => [entry.name, entry.modules])),
    version: buildInfo().version,
  });
  process.stdout.write(
    [
      '[split] ready:',
      ...topology.processes.map((p) => `  ${p.name.padEnd(12)} ${p.url}  (pid ${p.child.pid})`),
      `[split] API and docs at ${topology.gatewayUrl}/docs — Ctrl-C stops everything`,
      `[split] rollouts: npm run rollout -- status (control endpoint http://127.0.0.1:${controlPort})`,
      '',
    ].join('\n'),
  );
  for (const p of topology.processes) {
    p.child.once('exit', (code) => {
      if (!stopping) process.stderr.write(`[split] ${p.name} exited (${code}); the others keep running\n`);
    });
  }
} catch (error) {
  process.stderr.write(`[split] cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
  await stop(1);
}
