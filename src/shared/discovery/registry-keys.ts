import type { Redis } from 'ioredis';

/**
 * Redis names of one module's registry: a sorted set of instance ids scored by expiry
 * (epoch ms, Redis server clock), a hash of id → url, and the channel announcing changes.
 * ioredis adds the client's `keyPrefix` to keys but not to channels, so the channel
 * carries it explicitly: deployments sharing a Redis stay apart.
 */
export function registryKeys(redis: Redis, module: string): { members: string; urls: string; channel: string } {
  const prefix = redis.options.keyPrefix ?? '';
  return { members: `discovery:${module}`, urls: `discovery:${module}:urls`, channel: `${prefix}discovery:changed:${module}` };
}
