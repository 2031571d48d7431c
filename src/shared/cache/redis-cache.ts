import { isCluster, type RedisClient } from './redis-client.ts';
import type { Cache } from './cache.ts';

/** A cache in Redis, shared by every process of a deployment. */
export class RedisCache implements Cache {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix = 'cache:',
  ) {}

  // Reads degrade to misses while Redis fails over (the caller loads from its database);
  // writes and deletes throw, so a revocation that could not be stored is retried.
  async get(key: string): Promise<string | undefined> {
    return (await this.redis.get(this.prefix + key).catch(() => null)) ?? undefined;
  }

  async getMany(keys: string[]): Promise<(string | undefined)[]> {
    if (keys.length === 0) return [];
    // On a cluster MGET needs one slot: keys without a shared {hash tag} are read side by side.
    if (isCluster(this.redis)) return Promise.all(keys.map((k) => this.get(k)));
    const values = await this.redis.mget(...keys.map((k) => this.prefix + k)).catch(() => keys.map(() => null));
    return values.map((v) => v ?? undefined);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.prefix + key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

  async add(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(this.prefix + key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX')) === 'OK';
  }

  async del(...keys: string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys.map((k) => this.prefix + k));
  }

  async close(): Promise<void> {}
}
