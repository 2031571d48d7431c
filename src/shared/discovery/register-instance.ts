import type { RedisClient } from '../cache/redis-client.ts';
import type { DiscoveryLog, Instance } from './discovery-source.ts';
import { registryKeys } from './registry-keys.ts';
import { every } from '../time/every.ts';

/** Options of {@link registerInstance}. */
export interface RegisterInstanceOptions {
  redis: RedisClient;
  module: string;
  instance: Instance;
  /** How long the entry lives without a heartbeat; heartbeats run every ttlMs / 3. Default 10 s. */
  ttlMs?: number;
  log?: DiscoveryLog;
}

/** A live entry in the registry. */
export interface Registration {
  /** Stops heartbeating and removes the entry at once (best effort: if Redis is unreachable, the TTL removes it). */
  stop(): Promise<void>;
}

// Refreshes the entry's expiry (server clock), prunes expired entries, announces membership changes.
const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('HDEL', KEYS[2], unpack(expired))
  redis.call('HDEL', KEYS[3], unpack(expired))
end
local added = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
local previous = redis.call('HGET', KEYS[2], ARGV[1])
local previousVersion = redis.call('HGET', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], ARGV[5]) end
if added > 0 or #expired > 0 or previous ~= ARGV[2] or (ARGV[5] ~= '' and previousVersion ~= ARGV[5]) then
  redis.call('PUBLISH', ARGV[4], 'changed')
end
return added
`;

// Removes the entry unless another process has since registered the same id with another url.
const DEREGISTER = `
if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
  redis.call('PUBLISH', ARGV[3], 'changed')
end
return 0
`;

/**
 * Announces `instance` (its url and, when given, its build version) in the module's Redis
 * registry and keeps it alive with heartbeats.
 * Resolves once the entry is visible to watchers.
 */
export async function registerInstance(options: RegisterInstanceOptions): Promise<Registration> {
  const { redis, module, instance, ttlMs = 10_000, log } = options;
  if (!(ttlMs > 0)) throw new Error(`registerInstance: ttlMs must be positive, got ${ttlMs}`);
  const keys = registryKeys(redis, module);
  const heartbeat = () =>
    redis.eval(
      HEARTBEAT,
      3,
      keys.members,
      keys.urls,
      keys.versions,
      instance.id,
      instance.url,
      Math.round(ttlMs),
      keys.channel,
      instance.version ?? '',
    );

  await heartbeat();
  let running = true;
  let failing = false;

  const beat = async () => {
    try {
      await heartbeat();
      if (failing) log?.info({ module, instance: instance.id }, 'discovery: registry heartbeat recovered');
      failing = false;
    } catch (err) {
      if (!failing)
        log?.warn(
          { module, instance: instance.id, err: (err as Error).message },
          'discovery: registry heartbeat failed',
        );
      failing = true;
    }
  };
  const beating = every(Math.max(1, Math.floor(ttlMs / 3)), beat, log ?? { warn: () => {} }, {
    name: 'discovery heartbeat',
  });

  return {
    async stop() {
      if (!running) return;
      running = false;
      // A heartbeat in flight ends before this removal is sent.
      await beating.stop();
      try {
        await redis.eval(
          DEREGISTER,
          3,
          keys.members,
          keys.urls,
          keys.versions,
          instance.id,
          instance.url,
          keys.channel,
        );
      } catch (err) {
        log?.warn(
          { module, instance: instance.id, err: (err as Error).message },
          'discovery: deregistration failed; the entry expires by TTL',
        );
      }
    },
  };
}
