/** A token bucket: holds at most `capacity` tokens and gains `refillPerSecond` tokens a second. */
export interface BucketLimit {
  capacity: number;
  refillPerSecond: number;
}

/** The outcome of taking tokens from a bucket; every figure is a whole number. */
export interface TakeResult {
  allowed: boolean;
  /** Whole tokens left in the bucket after this take. */
  remaining: number;
  /** Seconds until the bucket is full again (0 when it is full). */
  resetSeconds: number;
  /** Seconds until a take of the same cost can succeed: 0 when allowed, at least 1 otherwise. */
  retryAfterSeconds: number;
}

/**
 * Token-bucket rate limiting: in-process (MemoryRateLimiter) or shared by every gateway
 * instance (RedisRateLimiter). A take that is refused consumes nothing.
 */
export interface RateLimiter {
  take(key: string, rule: BucketLimit, cost?: number): Promise<TakeResult>;
}

/** A bucket's stored state: its tokens as of `updatedAtMs`. */
export interface BucketState {
  tokens: number;
  updatedAtMs: number;
}

/** Absorbs floating-point drift so that a bucket refilled to exactly n tokens holds n. */
export const TOKEN_EPSILON = 1e-9;

/** A limit as `perMinute` requests a minute with bursts of `burst` (default: the same number). */
export function perMinute(perMinuteCount: number, burst = perMinuteCount): BucketLimit {
  return { capacity: burst, refillPerSecond: perMinuteCount / 60 };
}

/** Seconds for an empty bucket to fill: the window of its RateLimit-Policy. */
export function windowSeconds(limit: BucketLimit): number {
  return Math.max(1, Math.ceil(limit.capacity / limit.refillPerSecond));
}

/** Throws RangeError for a limit or cost that cannot work (a cost above capacity never passes). */
export function assertTakeable(limit: BucketLimit, cost: number): void {
  if (!(Number.isFinite(limit.capacity) && limit.capacity > 0))
    throw new RangeError(`capacity must be a positive number, got ${limit.capacity}`);
  if (!(Number.isFinite(limit.refillPerSecond) && limit.refillPerSecond > 0)) {
    throw new RangeError(`refillPerSecond must be a positive number, got ${limit.refillPerSecond}`);
  }
  if (!(Number.isFinite(cost) && cost >= 0 && cost <= limit.capacity))
    throw new RangeError(`cost must be between 0 and capacity, got ${cost}`);
}

/**
 * The token-bucket step: refill `state` up to `nowMs`, then take `cost` if the tokens suffice.
 * A missing state is a full bucket; time running backwards refills nothing.
 * RedisRateLimiter's Lua script is this same step; keep the two in line.
 */
export function takeFromBucket(
  state: BucketState | undefined,
  limit: BucketLimit,
  cost: number,
  nowMs: number,
): { state: BucketState; result: TakeResult } {
  let tokens = limit.capacity;
  if (state)
    tokens = Math.min(
      limit.capacity,
      state.tokens + (Math.max(0, nowMs - state.updatedAtMs) * limit.refillPerSecond) / 1000,
    );
  const allowed = tokens + TOKEN_EPSILON >= cost;
  if (allowed) tokens = Math.max(0, tokens - cost);
  return { state: { tokens, updatedAtMs: nowMs }, result: describeTake(limit, cost, allowed, tokens) };
}

/** The result of a take, from whether it passed and the tokens left after it. */
export function describeTake(limit: BucketLimit, cost: number, allowed: boolean, tokensLeft: number): TakeResult {
  return {
    allowed,
    remaining: Math.floor(tokensLeft + TOKEN_EPSILON),
    resetSeconds: secondsToGain(limit.capacity - tokensLeft, limit),
    retryAfterSeconds: allowed ? 0 : Math.max(1, secondsToGain(cost - tokensLeft, limit)),
  };
}

function secondsToGain(tokens: number, limit: BucketLimit): number {
  if (tokens <= TOKEN_EPSILON) return 0;
  return Math.ceil(tokens / limit.refillPerSecond - TOKEN_EPSILON);
}
