import { type BucketLimit, type RateLimiter, TOKEN_EPSILON, type TakeResult } from './rate-limiter.ts';

/** A lease is spent within this time or lapses (and at most 1 s, see leaseLimits). */
const MAX_LEASE_MS = 1_000;
/** The largest lease, whatever the capacity: one shared take per this many requests at most. */
const MAX_LEASE_TOKENS = 1_024;
/** A lease holds at most this share of a bucket's capacity. */
const LEASE_SHARE = 0.01;

interface Lease {
  /** Tokens taken from the shared bucket and not yet spent here. */
  tokens: number;
  /** How many tokens the last shared take asked for: the next asks for twice as many while demand keeps up. */
  size: number;
  expiresAt: number;
  /** The shared bucket as the last take left it. */
  sharedRemaining: number;
  resetSeconds: number;
}

/**
 * Fronts a shared limiter (RedisRateLimiter) with leases: a take asks the shared bucket for
 * a batch of tokens and spends the rest of it here, so a busy key costs one Redis round trip
 * per batch instead of one per request. A lease starts at one token, doubles while its
 * tokens are spent before it lapses and halves when it lapses unspent, up to 1 % of the capacity (a bucket under 200 tokens,
 * like the auth and write limits, is never leased: every take is shared and exact).
 *
 * What it gives up, bounded: a lease lapses after min(1 s, lease/refill rate), so the
 * tokens spent over any interval exceed the bucket's by at most 1 % of its capacity
 * (they were all taken from it, at most that long before); the unspent rest of a lapsed
 * lease is lost, making the limit stricter, never looser. When the shared bucket cannot
 * give a whole batch, the take falls back to the cost alone, so a bucket still lets
 * exactly its tokens through. Concurrent misses on a key wait for one shared
 * take at a time, so a lease is spent before the next replaces it.
 */
export class LeasingRateLimiter implements RateLimiter {
  private readonly leases = new Map<string, Lease>();
  private readonly pending = new Map<string, Promise<TakeResult>>();

  constructor(
    private readonly shared: RateLimiter,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async take(key: string, rule: BucketLimit, cost = 1): Promise<TakeResult> {
    if (leaseLimits(rule).maxTokens === 1) return this.shared.take(key, rule, cost);
    // One shared take per key at a time: the others wait for its lease rather than replace it.
    for (;;) {
      const local = this.spend(key, rule, cost);
      if (local) return local;
      const inFlight = this.pending.get(key);
      if (!inFlight) break;
      await inFlight.catch(() => {});
    }
    const taking = this.takeShared(key, rule, cost);
    this.pending.set(key, taking);
    try {
      return await taking;
    } finally {
      if (this.pending.get(key) === taking) this.pending.delete(key);
    }
  }

  /** Tokens still leased here for a key (for tests and metrics). */
  leased(key: string): number {
    const lease = this.leases.get(key);
    return lease && lease.expiresAt > this.now() ? lease.tokens : 0;
  }

  private spend(key: string, rule: BucketLimit, cost: number): TakeResult | undefined {
    const lease = this.leases.get(key);
    if (!lease || lease.expiresAt <= this.now() || lease.tokens + TOKEN_EPSILON < cost) return undefined;
    lease.tokens = Math.max(0, lease.tokens - cost);
    return this.resultOf(lease, rule);
  }

  private async takeShared(key: string, rule: BucketLimit, cost: number): Promise<TakeResult> {
    const { maxTokens, lifetimeMs } = leaseLimits(rule);
    const previous = this.leases.get(key);
    const started = this.now();
    let size = Math.max(cost, Math.min(maxTokens, nextLeaseSize(previous, started, cost)));
    let result = await this.shared.take(key, rule, size);
    if (!result.allowed && size > cost) {
      size = cost;
      result = await this.shared.take(key, rule, cost);
    }
    if (!result.allowed) {
      this.leases.delete(key);
      return result;
    }
    const lease: Lease = {
      tokens: size - cost,
      size,
      expiresAt: started + lifetimeMs,
      sharedRemaining: result.remaining,
      resetSeconds: result.resetSeconds,
    };
    this.leases.set(key, lease);
    this.sweep(started);
    return this.resultOf(lease, rule);
  }

  /** The result of a take: what the shared bucket has left plus what this lease still holds. */
  private resultOf(lease: Lease, rule: BucketLimit): TakeResult {
    return {
      allowed: true,
      remaining: Math.min(rule.capacity, lease.sharedRemaining + Math.floor(lease.tokens + TOKEN_EPSILON)),
      resetSeconds: lease.resetSeconds,
      retryAfterSeconds: 0,
    };
  }

  /** Drops lapsed leases now and then, so that a stream of one-off keys (IPs) does not grow the map. */
  private sweep(now: number): void {
    if (this.leases.size < 1_000) return;
    for (const [key, lease] of this.leases) if (lease.expiresAt <= now) this.leases.delete(key);
  }
}

/**
 * Twice the last lease when it was spent before it lapsed (demand keeps up), the same when it
 * was spent as it lapsed, half when it lapsed with tokens left (demand fell), 1 for a new key.
 */
function nextLeaseSize(previous: Lease | undefined, now: number, cost: number): number {
  if (previous === undefined) return 1;
  if (previous.tokens + TOKEN_EPSILON < cost) return previous.expiresAt > now ? previous.size * 2 : previous.size;
  return Math.max(1, Math.floor(previous.size / 2));
}

/** How large a lease a bucket allows, and how long it may be held: both keep the excess within 1 % of capacity. */
export function leaseLimits(rule: BucketLimit): { maxTokens: number; lifetimeMs: number } {
  const maxTokens = Math.max(1, Math.min(MAX_LEASE_TOKENS, Math.floor(rule.capacity * LEASE_SHARE)));
  const lifetimeMs = Math.min(MAX_LEASE_MS, (1000 * Math.max(1, rule.capacity * LEASE_SHARE)) / rule.refillPerSecond);
  return { maxTokens, lifetimeMs };
}
