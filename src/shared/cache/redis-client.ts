import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../observability/logger.ts';

/** A Redis connection: one server (REDIS_URL), a Sentinel-managed master, or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: exactly one of these shapes is configured. */
export interface RedisSettings {
  REDIS_URL?: string | undefined;
  REDIS_SENTINELS: { host: string; port: number }[];
  REDIS_SENTINEL_NAME: string;
  REDIS_CLUSTER_NODES: { host: string; port: number }[];
  REDIS_KEY_PREFIX: string;
}

/** Whether any Redis is configured. */
export const hasRedis = (s: RedisSettings): boolean =>
  Boolean(s.REDIS_URL) || s.REDIS_SENTINELS.length > 0 || s.REDIS_CLUSTER_NODES.length > 0;

/**
 * Opens the configured Redis: REDIS_CLUSTER_NODES (a Cluster; keys that a command, MULTI or
 * script uses together carry a {hash tag}), else REDIS_SENTINELS + REDIS_SENTINEL_NAME (the
 * master Sentinel names, followed across failovers), else REDIS_URL. Undefined when none.
 */
export function createRedis(
  settings: RedisSettings,
  log: Logger,
  overrides: RedisOptions = {},
): RedisClient | undefined {
  const base: RedisOptions = { keyPrefix: settings.REDIS_KEY_PREFIX, maxRetriesPerRequest: 2, ...overrides };
  let redis: RedisClient | undefined;
  if (settings.REDIS_CLUSTER_NODES.length > 0) {
    const { keyPrefix, ...redisOptions } = base;
    redis = new Cluster(settings.REDIS_CLUSTER_NODES, {
      ...(keyPrefix !== undefined ? { keyPrefix } : {}),
      redisOptions,
      // Retried while a failover moves slots: MOVED/TRYAGAIN/CLUSTERDOWN settle within seconds.
      retryDelayOnClusterDown: 200,
      retryDelayOnFailover: 200,
      retryDelayOnTryAgain: 200,
      slotsRefreshTimeout: 2000,
    });
  } else if (settings.REDIS_SENTINELS.length > 0) {
    redis = new Redis({
      ...base,
      sentinels: settings.REDIS_SENTINELS,
      name: settings.REDIS_SENTINEL_NAME,
      sentinelRetryStrategy: (n) => Math.min(n * 100, 1000),
    });
  } else if (settings.REDIS_URL) {
    redis = new Redis(settings.REDIS_URL, base);
  }
  redis?.on('error', (err: Error) => log.warn({ err: err.message }, 'redis error'));
  return redis;
}

/** The key prefix ioredis adds to keys (not to channels, nor to keys after a subcommand). */
export const keyPrefixOf = (redis: RedisClient): string => redis.options.keyPrefix ?? '';

/** Parses "host:port,host:port" (Sentinels, Cluster seed nodes). */
export function parseHostList(value: string): { host: string; port: number }[] | undefined {
  const nodes = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => /^(.+):(\d{1,5})$/.exec(s));
  if (nodes.some((m) => !m || Number(m[2]) > 65535)) return undefined;
  return nodes.map((m) => ({ host: m![1]!, port: Number(m![2]) }));
}

/** Another connection to the same Redis (a subscriber, a blocking reader), with some options changed. */
export function duplicateClient(redis: RedisClient, overrides: RedisOptions = {}): RedisClient {
  if (redis instanceof Cluster) {
    const { enableOfflineQueue, enableAutoPipelining, ...rest } = overrides;
    return redis.duplicate(undefined, {
      redisOptions: { ...redis.options.redisOptions, ...rest },
      ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
      ...(enableAutoPipelining !== undefined ? { enableAutoPipelining } : {}),
    });
  }
  return redis.duplicate(overrides);
}

/**
 * A {hash tag} that puts a key in the same Redis Cluster slot as `key` (a key without braces
 * hashes whole, prefix included), so scripts and MULTI may use both; plain Redis ignores it.
 */
export const slotOf = (redis: RedisClient, key: string): string => `{${keyPrefixOf(redis)}${key}}`;

/** Whether the connection is a Redis Cluster (commands on keys of different slots fail there). */
/** True when a Redis error means the server is gone or failing over (a 503 to retry), not that the command is wrong. */
export function isRedisUnavailable(error: unknown): boolean {
  const e = error as { name?: string; message?: string };
  if (e?.name === 'MaxRetriesPerRequestError' || e?.name === 'ClusterAllFailedError') return true;
  return /^(Connection is closed|Stream isn't writeable|CLUSTERDOWN|TRYAGAIN|LOADING|READONLY|MASTERDOWN|Command timed out|Failed to refresh slots cache|None of startup nodes is available)/.test(
    e?.message ?? '',
  );
}

export const isCluster = (redis: RedisClient): redis is Cluster => redis instanceof Cluster;
