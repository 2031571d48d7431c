import type { RedisClient } from '../cache/redis-client.ts';
import {
  assertTakeable,
  type BucketLimit,
  describeTake,
  type RateLimiter,
  TOKEN_EPSILON,
  type TakeResult,
} from './rate-limiter.ts';

const COMMAND = 'shareloopTakeTokens';

// takeFromBucket (rate-limiter.ts) in one atomic script. The clock is the Redis server's,
// so gateway instances with skewed clocks share one timeline. A refused take writes
// nothing; an allowed one stores the bucket until it would be full again, after which a
// missing key (a full bucket) means the same thing. Numbers cross as strings to keep fractions.
const TAKE_TOKENS_LUA = `
if redis.replicate_commands then redis.replicate_commands() end
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2]) / 1000
local cost = tonumber(ARGV[3])
local epsilon = tonumber(ARGV[4])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = capacity
if saved[1] and saved[2] then
  local elapsed = math.max(0, now - tonumber(saved[2]))
  tokens = math.min(capacity, tonumber(saved[1]) + elapsed * per_ms)
end
local allowed = 0
if tokens + epsilon >= cost then
  allowed = 1
  tokens = math.max(0, tokens - cost)
  local full_ms = math.ceil((capacity - tokens) / per_ms)
  if full_ms > 0 then
    redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.17g', now))
    redis.call('PEXPIRE', KEYS[1], full_ms)
  end
end
return { allowed, string.format('%.17g', tokens) }
`;

type TakeTokens = (
  key: string,
  capacity: string,
  refillPerSecond: string,
  cost: string,
  epsilon: string,
) => Promise<[number, string]>;

/**
 * Token buckets in Redis, shared by every gateway instance: each take is one atomic Lua
 * script (EVALSHA through ioredis defineCommand), timed by the Redis server's clock, and
 * buckets expire once idle long enough to be full. Errors (Redis down) are thrown; the
 * rateLimit middleware decides whether to fail open.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly takeTokens: TakeTokens;

  constructor(redis: RedisClient) {
    const commands = redis as unknown as Record<string, TakeTokens | undefined>;
    if (typeof commands[COMMAND] !== 'function')
      redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: TAKE_TOKENS_LUA });
    this.takeTokens = commands[COMMAND]!.bind(redis);
  }

  async take(key: string, rule: BucketLimit, cost = 1): Promise<TakeResult> {
    assertTakeable(rule, cost);
    const [allowed, tokens] = await this.takeTokens(
      key,
      String(rule.capacity),
      String(rule.refillPerSecond),
      String(cost),
      String(TOKEN_EPSILON),
    );
    return describeTake(rule, cost, allowed === 1, Number(tokens));
  }
}
