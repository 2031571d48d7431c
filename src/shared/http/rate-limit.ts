import { createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { AppError, platformErrors } from '../bus/errors.ts';
import type { AppEnv } from './env.ts';
import { problemResponse, toProblem } from './problem.ts';
import { clientIp, ipBucket, type TrustProxy } from './rate-limit-client-ip.ts';
import type { RateLimitRule } from './rate-limit-rules.ts';
import { assertTakeable, type RateLimiter, type TakeResult, windowSeconds } from './rate-limiter.ts';
import { setResponseHeaders } from './response-headers.ts';

/** Where warnings go; a pino Logger fits. */
export interface WarnLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface RateLimitOptions {
  limiter: RateLimiter;
  /** Every matching rule takes from its own bucket; the request passes only if all allow it. */
  rules: readonly RateLimitRule[];
  keyPrefix?: string;
  /** Whether to believe X-Forwarded-For; see TrustProxy. Off by default. */
  trustProxy?: TrustProxy;
  /**
   * When the limiter fails or is slower than timeoutMs (Redis down), let the request through
   * and log a warning (true, the default: rate limiting must not take the API down), or
   * answer 503 problem+json (false).
   */
  failOpen?: boolean;
  timeoutMs?: number;
  log?: WarnLog;
}

interface Drawn {
  rule: RateLimitRule;
  result: TakeResult;
}

const WARN_INTERVAL_MS = 10_000;
const MAX_KEY_LENGTH = 128;
const consoleLog: WarnLog = { warn: (fields, message) => console.warn(message, fields) };

// What every rateLimit instance took for a request, so that the RateLimit headers describe
// the bucket nearest to exhaustion even when an app-level and a post-authentication instance both ran.
const drawnByRequest = new WeakMap<Request, Drawn[]>();

/**
 * Token-bucket rate limiting per request. Allowed responses carry RateLimit-Limit,
 * RateLimit-Remaining, RateLimit-Reset and RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers);
 * refused requests get 429 problem+json with Retry-After and the same headers.
 *
 * Rules keyed on 'user' see a caller only once authentication has set it: mount such an
 * instance after authentication (or call it from the handler with a no-op next, returning
 * its Response when it gives one). Misconfigured rules throw here, at startup.
 */
export function rateLimit({
  limiter,
  rules,
  keyPrefix = 'ratelimit:',
  trustProxy = false,
  failOpen = true,
  timeoutMs = 500,
  log = consoleLog,
}: RateLimitOptions): MiddlewareHandler<AppEnv> {
  for (const rule of rules) assertTakeable(rule, rule.cost ?? 1);
  const warn = throttledWarnings(log);

  return async function rateLimitMiddleware(c, next) {
    const buckets = bucketsOf(c, rules, { keyPrefix, trustProxy, warn });
    if (buckets.length > 0) {
      let results: TakeResult[] | undefined;
      try {
        results = await withTimeout(
          Promise.all(buckets.map((b) => limiter.take(b.key, b.rule, b.rule.cost ?? 1))),
          timeoutMs,
        );
      } catch (err) {
        if (!failOpen) {
          const problem = toProblem(
            platformErrors.unavailable('Rate limiting is unavailable; try again shortly.', 1),
            c.req.path,
            c.get('requestId'),
          );
          return problemResponse(problem, { 'retry-after': '1' });
        }
        warn('rate limiter failed; letting requests through (failOpen)', {
          err: err instanceof Error ? err.message : String(err),
          rules: buckets.map((b) => b.rule.name),
        });
      }
      if (results) {
        const drawn = [
          ...(drawnByRequest.get(c.req.raw) ?? []),
          ...buckets.map((b, i) => ({ rule: b.rule, result: results[i]! })),
        ];
        drawnByRequest.set(c.req.raw, drawn);
        const binding = bindingOf(drawn);
        if (!binding.result.allowed) return tooManyRequests(c, binding, drawn);
      }
    }
    await next();
    const drawn = drawnByRequest.get(c.req.raw);
    if (drawn) setResponseHeaders(c, headersOf(bindingOf(drawn), drawn));
  };
}

function bucketsOf(
  c: Context<AppEnv>,
  rules: readonly RateLimitRule[],
  options: { keyPrefix: string; trustProxy: TrustProxy; warn: Warn },
): { rule: RateLimitRule; key: string }[] {
  let ip: string | null | undefined = null;
  const buckets: { rule: RateLimitRule; key: string }[] = [];
  for (const rule of rules) {
    if (rule.match && !rule.match(c)) continue;
    let key: string | undefined;
    if (rule.key === 'ip') {
      if (ip === null) ip = clientIp(c, options.trustProxy);
      if (ip === undefined) options.warn('client IP unknown; per-IP rate limits skipped', { rule: rule.name });
      key = ip === undefined ? undefined : ipBucket(ip);
    } else if (rule.key === 'user') {
      key = c.get('caller')?.userId;
    } else {
      key = rule.key(c);
    }
    if (key === undefined) continue;
    if (key.length > MAX_KEY_LENGTH) key = `sha256:${createHash('sha256').update(key).digest('base64url')}`;
    buckets.push({ rule, key: `${options.keyPrefix}${rule.name}:${key}` });
  }
  return buckets;
}

/** The take that decides the headers: the refused one with the longest wait, else the one with least left. */
function bindingOf(drawn: Drawn[]): Drawn {
  return drawn.reduce((a, b) => {
    if (a.result.allowed !== b.result.allowed) return a.result.allowed ? b : a;
    if (!a.result.allowed) return b.result.retryAfterSeconds > a.result.retryAfterSeconds ? b : a;
    return b.result.remaining < a.result.remaining ? b : a;
  });
}

function headersOf(binding: Drawn, drawn: Drawn[]): Record<string, string> {
  const policy =
    drawn.length === 1
      ? policyOf(binding.rule)
      : [...new Set([binding, ...drawn].map(({ rule }) => policyOf(rule)))].join(', ');
  return {
    'RateLimit-Limit': String(binding.rule.capacity),
    'RateLimit-Remaining': String(binding.result.remaining),
    'RateLimit-Reset': String(binding.result.resetSeconds),
    'RateLimit-Policy': policy,
  };
}

// A rule's RateLimit-Policy item, formatted once.
const policies = new WeakMap<RateLimitRule, string>();

function policyOf(rule: RateLimitRule): string {
  let policy = policies.get(rule);
  if (policy === undefined) {
    policy = `${rule.capacity};w=${windowSeconds(rule)}`;
    policies.set(rule, policy);
  }
  return policy;
}

function tooManyRequests(c: Context<AppEnv>, binding: Drawn, drawn: Drawn[]): Response {
  const seconds = binding.result.retryAfterSeconds;
  const error = new AppError(
    'rateLimited',
    'rate_limited',
    `Too many requests; retry in ${seconds} second${seconds === 1 ? '' : 's'}.`,
    {
      retryAfterSeconds: seconds,
    },
  );
  return problemResponse(toProblem(error, c.req.path, c.get('requestId')), {
    'retry-after': String(seconds),
    ...headersOf(binding, drawn),
  });
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`rate limiter gave no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

type Warn = (message: string, fields: Record<string, unknown>) => void;

/** At most one warning per message every WARN_INTERVAL_MS, counting the ones held back. */
function throttledWarnings(log: WarnLog): Warn {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (message, fields) => {
    const now = Date.now();
    const seen = last.get(message);
    if (seen && now - seen.at < WARN_INTERVAL_MS) {
      seen.suppressed++;
      return;
    }
    log.warn({ ...fields, ...(seen?.suppressed ? { suppressed: seen.suppressed } : {}) }, message);
    last.set(message, { at: now, suppressed: 0 });
  };
}
