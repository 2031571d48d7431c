import { Bus } from '../bus/bus.ts';
import type { Cache } from '../cache/cache.ts';
import { MemoryCache } from '../cache/memory-cache.ts';
import { RedisCache } from '../cache/redis-cache.ts';
import { RingCache } from '../cache/ring-cache.ts';
import { createRedis, type RedisClient } from '../cache/redis-client.ts';
import { moduleDatabaseUrl, moduleReadUrls, type Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import { Databases, databaseMetrics } from '../db/databases.ts';
import { RecentWriters } from '../db/recent-writers.ts';
import { migrateModule } from '../db/migrate.ts';
import type { Logger } from '../observability/logger.ts';
import { busObserver } from '../observability/bus-observer.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import { cachedReadiness, DATABASE_ANSWERED_REUSE_MS, reusingSuccess, runChecks } from '../observability/readiness.ts';
import { startTracing } from '../observability/tracing.ts';
import { EventHost, type EventMode } from '../events/event-host.ts';
import type { AnyModule, ModuleDefinition } from './define-module.ts';

/** What the platform hands every module it hosts. */
export interface Platform {
  config: Config;
  log: Logger;
  bus: Bus;
  metrics: Metrics;
  cache: Cache;
  /** Redis, when REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES is configured. */
  redis: RedisClient | undefined;
  /** The module's own database, migrated. */
  database(module: string): Promise<Database>;
  /** Outbox relays, consumers and dead-letter replay of this process. */
  events: EventHost;
}

/** A set of modules hosted in one process, with the resources they share. */
export interface Host {
  platform: Platform;
  /** Whether every database and Redis answer; each check bounded in time, the answer reused for a second. */
  readiness(): Promise<Record<string, boolean>>;
  /** The role of each database server seen (primary, standby, down), by module, for /readyz. */
  databaseRoles(): Promise<Record<string, Record<string, string>>>;
  stop(): Promise<void>;
}

/**
 * Opens shared resources, migrates and sets up each hosted module, serves its handlers on
 * the bus, then starts its background work.
 */
export async function hostModules(options: {
  config: Config;
  log: Logger;
  service: string;
  modules: readonly AnyModule[];
  /** How events travel: in-process (monolith), Redis Streams (split), or not at all (the default: tools, gateway). */
  events?: EventMode;
  /** Routes calls to modules hosted elsewhere; runs before any module starts. Returns its stop. */
  connect?: (platform: Platform) => Promise<() => Promise<void>>;
}): Promise<Host> {
  const { config, log } = options;
  const writers = new RecentWriters(config.DATABASE_READ_YOUR_WRITES_MS);
  startTracing(options.service);
  const metrics = createMetrics(options.service);
  const bus = new Bus({ onCommand: (caller) => writers.note(caller.userId), observe: busObserver(metrics) });
  const databases = new Databases({
    dataDir: config.DATA_DIR,
    poolMax: config.DB_POOL_MAX,
    log,
    metrics: databaseMetrics(metrics),
    replication: { probeMs: config.DATABASE_PROBE_MS, maxLagMs: config.DATABASE_MAX_REPLICA_LAG_MS, writers },
  });
  const redis = createRedis(config, log);
  const cache: Cache =
    config.CACHE_NODES.length > 0
      ? new RingCache(config.CACHE_NODES, { keyPrefix: config.REDIS_KEY_PREFIX, log })
      : redis
        ? new RedisCache(redis)
        : new MemoryCache();
  const migrated = new Map<string, Promise<Database>>();
  const mode = (options.events ?? 'none') === 'none' ? 'none' : (config.EVENT_TRANSPORT ?? options.events!);
  const events = new EventHost({
    mode,
    config,
    redis,
    consumerName: `${options.service}-${process.pid}`,
    log,
    metrics,
  });

  const platform: Platform = {
    config,
    log,
    bus,
    metrics,
    cache,
    redis,
    events,
    database(module) {
      let ready = migrated.get(module);
      if (!ready) {
        const url = moduleDatabaseUrl(module, config);
        const definition = options.modules.find((m) => m.contract.name === module);
        ready = databases.get(url, url ? moduleReadUrls(module, config) : []).then(async (database) => {
          if (definition?.migrations) await migrateModule(database, url, module, definition.migrations);
          return database;
        });
        migrated.set(module, ready);
      }
      return ready;
    },
  };

  const started: { definition: ModuleDefinition; deps: unknown }[] = [];
  for (const definition of options.modules) {
    const deps = await definition.setup(platform);
    bus.serve(definition.contract, definition.handlers as never, deps);
    const name = definition.contract.name;
    if (definition.events || definition.subscriptions) {
      events.addModule(name, definition.events, definition.subscriptions?.(deps) ?? [], await platform.database(name));
    }
    started.push({ definition, deps });
  }
  const disconnect = (await options.connect?.(platform)) ?? (async () => {});
  for (const { definition, deps } of started) await definition.start?.(deps, platform);
  await events.start();
  log.info({ modules: options.modules.map((m) => m.contract.name) }, 'modules started');

  // A database that answered is not asked again for a while; one that did not is asked on every run.
  const databaseAnswers = new Map<string, () => Promise<boolean>>();
  const answers = (module: string, database: Promise<Database>) => {
    let check = databaseAnswers.get(module);
    if (!check) {
      check = reusingSuccess(
        () => database.then((d) => d.execute('select 1')).then(() => true),
        DATABASE_ANSWERED_REUSE_MS,
      );
      databaseAnswers.set(module, check);
    }
    return check;
  };
  return {
    platform,
    readiness: cachedReadiness(() => {
      const checks: Record<string, () => Promise<boolean>> = {};
      for (const [module, database] of migrated) checks[`database:${module}`] = answers(module, database);
      if (redis) checks.redis = () => redis.ping().then((r) => r === 'PONG');
      return runChecks(checks);
    }),
    async databaseRoles() {
      const roles: Record<string, Record<string, string>> = {};
      for (const [module, database] of migrated) {
        const seen = await database.then(
          (d) => d.roles(),
          () => ({}),
        );
        if (Object.keys(seen).length > 0) roles[module] = seen;
      }
      return roles;
    },
    async stop() {
      await events.stop();
      for (const { definition, deps } of started.reverse()) await definition.stop?.(deps as never).catch(() => {});
      await disconnect();
      await databases.closeAll();
      await cache.close();
      redis?.disconnect();
    },
  };
}
