import { slotOf, type RedisClient } from '../cache/redis-client.ts';

/**
 * Redis names of one module's registry: a sorted set of instance ids scored by expiry
 * (epoch ms, Redis server clock), a hash of id → url, a hash of id → build version, and the
 * channel announcing changes.
 * ioredis adds the client's `keyPrefix` to keys but not to channels, so the channel
 * carries it explicitly: deployments sharing a Redis stay apart. The hash is tagged with
 * the set's slot, so the scripts that use both work on a Redis Cluster.
 */
export function registryKeys(
  redis: RedisClient,
  module: string,
): { members: string; urls: string; versions: string; channel: string } {
  const prefix = redis.options.keyPrefix ?? '';
  return {
    members: `discovery:${module}`,
    urls: `discovery:${slotOf(redis, `discovery:${module}`)}:urls`,
    versions: `discovery:${slotOf(redis, `discovery:${module}`)}:versions`,
    channel: `${prefix}discovery:changed:${module}`,
  };
}
