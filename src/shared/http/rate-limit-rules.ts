import type { Context } from 'hono';
import type { AppEnv } from './env.ts';
import { type BucketLimit, perMinute } from './rate-limiter.ts';

/**
 * Which bucket a request draws from. `key` is 'ip' (the client address, IPv6 by /64),
 * 'user' (the authenticated caller's id; needs the caller set, see rateLimit), or a
 * function of the request; a key of undefined skips the rule for that request.
 */
export interface RateLimitRule extends BucketLimit {
  /** Names the family of buckets in keys and logs, e.g. 'auth-ip'. */
  name: string;
  key: 'ip' | 'user' | ((c: Context<AppEnv>) => string | undefined);
  /** Which requests the rule applies to; every request when omitted. */
  match?: (c: Context<AppEnv>) => boolean;
  /** Tokens a request takes; 1 when omitted. */
  cost?: number;
}

/** Default limits, for when configuration gives none. */
export const defaultRateLimits = {
  /** Sign-up, login and refresh per client IP: 10 a minute, bursts of 10. */
  auth: perMinute(10),
  /** Writes per authenticated user: 60 a minute, bursts of 60. */
  writes: perMinute(60),
  /** Every request per client IP: 600 a minute, generous enough for users sharing a NAT. */
  global: perMinute(600),
} as const satisfies Record<string, BucketLimit>;

const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Per client IP on the authentication routes, against credential stuffing. */
export function authRoutesByIp({
  capacity = defaultRateLimits.auth.capacity,
  refillPerSecond = defaultRateLimits.auth.refillPerSecond,
  pathPrefix = '/v1/auth/',
}: Partial<BucketLimit> & { pathPrefix?: string } = {}): RateLimitRule {
  return { name: 'auth-ip', key: 'ip', capacity, refillPerSecond, match: (c) => c.req.path.startsWith(pathPrefix) };
}

/** Per authenticated user on writes; requests without a caller are skipped. */
export function writesByUser({
  capacity = defaultRateLimits.writes.capacity,
  refillPerSecond = defaultRateLimits.writes.refillPerSecond,
  methods = WRITE_METHODS,
}: Partial<BucketLimit> & { methods?: readonly string[] } = {}): RateLimitRule {
  return { name: 'writes-user', key: 'user', capacity, refillPerSecond, match: (c) => methods.includes(c.req.method) };
}

/** Per client IP on every request: a ceiling on any one address. */
export function requestsByIp({
  capacity = defaultRateLimits.global.capacity,
  refillPerSecond = defaultRateLimits.global.refillPerSecond,
}: Partial<BucketLimit> = {}): RateLimitRule {
  return { name: 'all-ip', key: 'ip', capacity, refillPerSecond };
}
