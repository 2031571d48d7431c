import { Redis } from 'ioredis';
import { createHashRing, type HashRing } from '../discovery/hash-ring.ts';
import type { Logger } from '../observability/logger.ts';
import type { Cache } from './cache.ts';

interface CacheNode {
  id: string;
  redis: Redis;
  /** Connected once: from then on, a node that is not connected answers at once (no queueing). */
  seen: boolean;
}

/** The part of a key that places it: its {hash tag} when it has one (as Redis Cluster does), else all of it. */
export function placementOf(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

/**
 * A cache spread over independent Redis nodes (CACHE_NODES) by client-side consistent
 * hashing: a ring with virtual nodes, so adding or removing one of N nodes moves about 1/N
 * of the keys. A node that is down or slow answers misses (reads) and drops writes: the
 * cache degrades, it never fails a request.
 */
export class RingCache implements Cache {
  private readonly nodes: CacheNode[];
  private readonly ring: HashRing<CacheNode>;
  private readonly warned = new Set<string>();

  constructor(
    urls: string[],
    private readonly options: { keyPrefix: string; log?: Logger; timeoutMs?: number; vnodes?: number },
  ) {
    this.nodes = urls.map((url) => {
      const redis = new Redis(url, {
        keyPrefix: `${options.keyPrefix}cache:`,
        maxRetriesPerRequest: 0,
        commandTimeout: options.timeoutMs ?? 250,
        connectTimeout: 1000,
        retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      });
      const node: CacheNode = { id: url, redis, seen: false };
      redis.on('error', () => {});
      redis.on('ready', () => (node.seen = true));
      return node;
    });
    this.ring = createHashRing(this.nodes, options.vnodes ?? 160);
  }

  /** The node (its URL) a key lives on. */
  nodeOf(key: string): string {
    return this.ring.lookup(placementOf(key))!.id;
  }

  async get(key: string): Promise<string | undefined> {
    const node = this.ring.lookup(placementOf(key))!;
    return this.degrade(node, () => node.redis.get(key), null).then((v) => v ?? undefined);
  }

  async getMany(keys: string[]): Promise<(string | undefined)[]> {
    const byNode = new Map<CacheNode, number[]>();
    keys.forEach((key, i) => {
      const node = this.ring.lookup(placementOf(key))!;
      byNode.set(node, [...(byNode.get(node) ?? []), i]);
    });
    const values: (string | undefined)[] = keys.map(() => undefined);
    await Promise.all(
      [...byNode].map(async ([node, indexes]) => {
        const found = await this.degrade(node, () => node.redis.mget(...indexes.map((i) => keys[i]!)), []);
        indexes.forEach((keyIndex, j) => {
          values[keyIndex] = found[j] ?? undefined;
        });
      }),
    );
    return values;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    const node = this.ring.lookup(placementOf(key))!;
    await this.degrade(node, () => node.redis.set(key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds))), null);
  }

  async add(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const node = this.ring.lookup(placementOf(key))!;
    return (
      (await this.degrade(
        node,
        () => node.redis.set(key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX'),
        null,
      )) === 'OK'
    );
  }

  async del(...keys: string[]): Promise<void> {
    await Promise.all(
      keys.map((key) => {
        const node = this.ring.lookup(placementOf(key))!;
        return this.degrade(node, () => node.redis.del(key), 0);
      }),
    );
  }

  async close(): Promise<void> {
    for (const node of this.nodes) node.redis.disconnect();
  }

  /** Runs a command on a node; when the node fails, logs once per outage and returns the fallback. */
  private async degrade<T>(node: CacheNode, command: () => Promise<T>, fallback: T): Promise<T> {
    try {
      if (node.seen && node.redis.status !== 'ready') throw new Error(`not connected (${node.redis.status})`);
      const result = await command();
      this.warned.delete(node.id);
      return result;
    } catch (error) {
      if (!this.warned.has(node.id)) {
        this.warned.add(node.id);
        this.options.log?.warn(
          { node: node.id.replace(/\/\/[^@]*@/, '//'), err: (error as Error).message },
          'cache node unavailable; serving misses',
        );
      }
      return fallback;
    }
  }
}
