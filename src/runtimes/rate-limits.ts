import { duplicateClient, type RedisClient } from '../shared/cache/redis-client.ts';
import type { Config } from '../shared/config/config.ts';
import { rateLimit } from '../shared/http/rate-limit.ts';
import { LeasingRateLimiter } from '../shared/http/rate-limit-lease.ts';
import { MemoryRateLimiter } from '../shared/http/rate-limit-memory.ts';
import { RedisRateLimiter } from '../shared/http/rate-limit-redis.ts';
import { authRoutesByIp, requestsByIp, writesByUser, type RateLimitRule } from '../shared/http/rate-limit-rules.ts';
import { perMinute } from '../shared/http/rate-limiter.ts';
import type { Logger } from '../shared/observability/logger.ts';

/**
 * The edge's rate limits, shared by every gateway instance through Redis (in memory without
 * it): per IP on auth routes and overall before any work, per user on writes once the
 * caller is known. A limit configured as 0 is off.
 */
export function edgeRateLimits(config: Config, redis: RedisClient | undefined, log: Logger) {
  // Shared buckets are drawn from in leases: one Redis round trip per batch of requests on a busy key.
  const limiter = redis ? new LeasingRateLimiter(new RedisRateLimiter(fastFailing(redis))) : new MemoryRateLimiter();
  const on = (n: number, rule: (limit: ReturnType<typeof perMinute>) => RateLimitRule) =>
    n > 0 ? [rule(perMinute(n))] : [];
  const ipRules = [
    ...on(config.RATE_LIMIT_AUTH_PER_MINUTE, authRoutesByIp),
    ...on(config.RATE_LIMIT_GLOBAL_PER_MINUTE, requestsByIp),
  ];
  const userRules = on(config.RATE_LIMIT_WRITES_PER_MINUTE, writesByUser);
  const trustProxy = config.TRUST_PROXY;
  return {
    byIp: ipRules.length > 0 ? rateLimit({ limiter, rules: ipRules, trustProxy, log }) : undefined,
    byCaller: userRules.length > 0 ? rateLimit({ limiter, rules: userRules, trustProxy, log }) : undefined,
  };
}

/**
 * A connection of its own that fails fast (a Redis outage must not slow every request), closed
 * with the platform's. No auto-pipelining: it holds each command for a setImmediate tick, and
 * with leases few takes are concurrent.
 */
function fastFailing(redis: RedisClient): RedisClient {
  const connection = duplicateClient(redis, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: false,
  });
  connection.on('error', () => {});
  redis.once('end', () => connection.disconnect());
  return connection;
}
