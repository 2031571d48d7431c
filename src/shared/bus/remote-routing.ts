import { discoveryFromConfig } from '../discovery/discovery-from-config.ts';
import type { DiscoverySource } from '../discovery/discovery-source.ts';
import { InstancePool } from '../discovery/instance-pool.ts';
import type { Platform } from '../modules/platform.ts';
import { TargetPolicy } from '../resilience/target-policy.ts';
import { rolloutSettings } from '../rollout/rollout-settings.ts';
import { RolloutStore } from '../rollout/rollout-store.ts';
import { rolloutTransport } from '../rollout/rollout-transport.ts';
import type { AnyContract } from './contract.ts';
import { HttpTransport, type InstanceSelector } from './http-transport.ts';
import type { ServiceCredentials } from './service-credentials.ts';

/** Adapts a discovery pool to the transport: load-balanced picks that avoid given instances. */
function selectorOf(pool: InstancePool, strategy: Platform['config']['LB_STRATEGY']): InstanceSelector {
  return {
    pick(avoid, key) {
      const first = pool.pick(strategy, key);
      if (!first || !avoid.has(first.id)) return first;
      const others = pool.healthy().filter((i) => !avoid.has(i.id));
      return others[Math.floor(Math.random() * others.length)] ?? first;
    },
    begin(endpoint) {
      const release = pool.acquire(endpoint);
      return (ok) => {
        release();
        if (ok) pool.reportSuccess(endpoint);
        else pool.reportFailure(endpoint);
      };
    },
  };
}

/**
 * Routes every contract whose module this process does not host to its instances over HTTP:
 * discovery (static, DNS or Redis registry), health checks, load balancing and a resilience
 * policy per target; with Redis, each module's rollout plan (versions, canary, shadow) too.
 * Returns the function that stops it all.
 */
export async function routeRemoteModules(options: {
  platform: Platform;
  credentials: ServiceCredentials;
  contracts: readonly AnyContract[];
}): Promise<() => Promise<void>> {
  const { platform, credentials } = options;
  const { config, log, metrics, bus } = platform;
  const started: { source: DiscoverySource; pool: InstancePool }[] = [];
  const rollout = platform.redis
    ? {
        store: new RolloutStore(platform.redis, { refreshMs: config.HEALTH_INTERVAL_MS, log }),
        settings: rolloutSettings(process.env),
      }
    : undefined;
  const routed: string[] = [];
  for (const contract of options.contracts) {
    const anyOp = Object.values(contract.ops)[0];
    if (!anyOp || bus.hosts(anyOp.name)) continue;
    const module = contract.name;
    const source = discoveryFromConfig({
      module,
      env: process.env,
      redis: platform.redis,
      log,
      refreshMs: config.HEALTH_INTERVAL_MS,
    });
    await source.start();
    const pool = new InstancePool({
      source,
      module,
      healthPath: '/readyz',
      intervalMs: config.HEALTH_INTERVAL_MS,
      timeoutMs: config.HEALTH_TIMEOUT_MS,
      log,
    });
    await pool.start();
    started.push({ source, pool });
    const policy = new TargetPolicy(
      module,
      {
        timeoutMs: config.BUS_TIMEOUT_MS,
        retries: config.BUS_RETRIES,
        breakerThreshold: config.BREAKER_THRESHOLD,
        halfOpenAfterMs: config.BREAKER_HALF_OPEN_MS,
        bulkheadLimit: config.BULKHEAD_LIMIT,
        bulkheadQueue: config.BULKHEAD_QUEUE,
      },
      { log, metrics },
    );
    bus.route(
      module,
      rollout
        ? rolloutTransport({
            module,
            pool,
            strategy: config.LB_STRATEGY,
            policy,
            credentials,
            log,
            metrics,
            ...rollout,
          })
        : new HttpTransport({ module, selector: selectorOf(pool, config.LB_STRATEGY), policy, credentials }),
    );
    routed.push(module);
    log.info({ module, instances: source.instances().length, strategy: config.LB_STRATEGY }, 'remote module routed');
  }
  await rollout?.store.watch(routed);
  return async () => {
    await rollout?.store.stop();
    for (const { source, pool } of started) {
      await pool.stop();
      await source.stop();
    }
  };
}
