import {
  assertTakeable,
  type BucketLimit,
  type BucketState,
  type RateLimiter,
  type TakeResult,
  takeFromBucket,
} from './rate-limiter.ts';

interface Entry extends BucketState {
  /** When the bucket is full again; from then on, forgetting it changes nothing. */
  fullAtMs: number;
}

/**
 * Token buckets in this process, for a single instance without REDIS_URL. Memory is bounded:
 * buckets that have refilled are dropped as others are used, and past `maxKeys` the least
 * recently used bucket is forgotten (which only ever lets that key through sooner).
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Entry>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor({ maxKeys = 100_000, now = Date.now }: { maxKeys?: number; now?: () => number } = {}) {
    this.maxKeys = maxKeys;
    this.now = now;
  }

  /** How many buckets are held. */
  get size(): number {
    return this.buckets.size;
  }

  async take(key: string, rule: BucketLimit, cost = 1): Promise<TakeResult> {
    assertTakeable(rule, cost);
    const nowMs = this.now();
    const { state, result } = takeFromBucket(this.buckets.get(key), rule, cost, nowMs);
    this.buckets.delete(key);
    if (result.resetSeconds > 0) {
      const fullAtMs = nowMs + ((rule.capacity - state.tokens) / rule.refillPerSecond) * 1000;
      this.buckets.set(key, { ...state, fullAtMs });
    }
    this.evict(nowMs);
    return result;
  }

  private evict(nowMs: number): void {
    // The map is in least-recently-used order: drop a few refilled buckets from its head, then enforce the bound.
    for (let i = 0; i < 4; i++) {
      const head = this.buckets.entries().next().value;
      if (!head || head[1].fullAtMs > nowMs) break;
      this.buckets.delete(head[0]);
    }
    while (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest === undefined) break;
      this.buckets.delete(oldest);
    }
  }
}
