import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { testServers } from '../../../test/support/env.ts';
import { LeasingRateLimiter, leaseLimits } from './rate-limit-lease.ts';
import { RedisRateLimiter } from './rate-limit-redis.ts';
import type { BucketLimit, RateLimiter, TakeResult } from './rate-limiter.ts';

// Two connections stand for two gateway instances sharing one Redis.
let gatewayA: Redis;
let gatewayB: Redis;

before(() => {
  const { redisUrl } = testServers();
  gatewayA = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  gatewayB = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
});

after(() => {
  gatewayA.disconnect();
  gatewayB.disconnect();
});

const uniqueKey = (label: string) => `test-ratelimit-lease:${randomUUID()}:${label}`;

/** The shared limiter, counting the takes that reach Redis. */
function counted(redis: Redis): RateLimiter & { takes: number } {
  const inner = new RedisRateLimiter(redis);
  const limiter = {
    takes: 0,
    take(key: string, rule: BucketLimit, cost?: number): Promise<TakeResult> {
      limiter.takes++;
      return inner.take(key, rule, cost);
    },
  };
  return limiter;
}

test('a small bucket is never leased: every take reaches Redis and exactly capacity pass', async () => {
  const rule = { capacity: 60, refillPerSecond: 60 / 3600 };
  assert.equal(leaseLimits(rule).maxTokens, 1);
  const sharedA = counted(gatewayA);
  const sharedB = counted(gatewayB);
  const a = new LeasingRateLimiter(sharedA);
  const b = new LeasingRateLimiter(sharedB);
  const key = uniqueKey('small');
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).take(key, rule)));
  assert.equal(results.filter((r) => r.allowed).length, 60);
  assert.equal(sharedA.takes + sharedB.takes, 100);
});

test('two leasing instances never let more than capacity through, and waste at most a lease each', async () => {
  const rule = { capacity: 2_000, refillPerSecond: 2_000 / 360_000 }; // under 0.1 token refilled during the test
  const { maxTokens } = leaseLimits(rule);
  assert.equal(maxTokens, 20);
  const a = new LeasingRateLimiter(new RedisRateLimiter(gatewayA));
  const b = new LeasingRateLimiter(new RedisRateLimiter(gatewayB));
  const key = uniqueKey('shared');
  let allowed = 0;
  let refused = 0;
  // Waves of concurrent takes, as busy gateways see them.
  for (let wave = 0; wave < 60; wave++) {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).take(key, rule)));
    for (const r of results) {
      if (r.allowed) allowed++;
      else {
        refused++;
        assert.ok(r.retryAfterSeconds >= 1);
      }
      assert.ok(r.remaining >= 0 && r.remaining <= rule.capacity);
    }
  }
  assert.ok(allowed <= rule.capacity, `allowed ${allowed} > capacity`);
  assert.ok(allowed >= rule.capacity - 2 * maxTokens, `allowed ${allowed}: more than two leases lost`);
  assert.equal(allowed + refused, 3_000);
});

test('a busy key costs one Redis round trip per batch of requests', async () => {
  const rule = { capacity: 1_000_000, refillPerSecond: 1_000_000 / 60 };
  const shared = counted(gatewayA);
  const limiter = new LeasingRateLimiter(shared);
  const key = uniqueKey('busy');
  for (let i = 0; i < 2_000; i++) assert.equal((await limiter.take(key, rule)).allowed, true);
  // Leases double 1, 2, 4, … up to 1,024: about a dozen takes for 2,000 requests.
  assert.ok(shared.takes <= 20, `${shared.takes} shared takes for 2,000 requests`);
  assert.ok(limiter.leased(key) > 0);
});

test('a lease lapses: its unspent tokens are lost, not carried past its lifetime', async () => {
  let now = 0;
  const rule = { capacity: 1_000, refillPerSecond: 1_000 / 36_000 };
  const { lifetimeMs } = leaseLimits(rule);
  assert.equal(lifetimeMs, 1_000);
  const shared = counted(gatewayA);
  const limiter = new LeasingRateLimiter(shared, () => now);
  const key = uniqueKey('lapse');
  // Grow a lease: 1, then 2, then 4 tokens.
  for (let i = 0; i < 4; i++) await limiter.take(key, rule);
  assert.ok(limiter.leased(key) > 0, 'tokens leased');
  const takesBefore = shared.takes;
  now += lifetimeMs + 1;
  assert.equal(limiter.leased(key), 0, 'a lapsed lease holds nothing');
  const result = await limiter.take(key, rule);
  assert.equal(result.allowed, true);
  assert.equal(shared.takes, takesBefore + 1, 'the take after a lapse goes to Redis');
  // Lapsed tokens stay taken from the shared bucket: stricter, never looser.
  const direct = await new RedisRateLimiter(gatewayB).take(key, rule, 0);
  // Taken: leases of 1, 2 and 4, then half the last one (it lapsed unspent): 2.
  assert.equal(direct.remaining, rule.capacity - 1 - 2 - 4 - 2, `shared bucket has ${direct.remaining}`);
  assert.equal(limiter.leased(key), 1);
});

test('when the bucket cannot give a whole lease, a take of the cost alone still passes', async () => {
  const rule = { capacity: 1_000, refillPerSecond: 1_000 / 36_000 };
  const key = uniqueKey('tail');
  const limiter = new LeasingRateLimiter(new RedisRateLimiter(gatewayA));
  for (let i = 0; i < 7; i++) assert.equal((await limiter.take(key, rule)).allowed, true);
  assert.equal(limiter.leased(key), 0, 'leases of 1, 2 and 4 spent');
  // Another instance drains all but one token.
  const other = new RedisRateLimiter(gatewayB);
  const { remaining } = await other.take(key, rule, 0);
  assert.equal(remaining, 1_000 - 7);
  assert.equal((await other.take(key, rule, remaining - 1)).allowed, true);
  // The next lease (8) is refused; the take of 1 passes, and the one after is refused.
  assert.equal((await limiter.take(key, rule)).allowed, true);
  const refused = await limiter.take(key, rule);
  assert.equal(refused.allowed, false);
  assert.equal(refused.remaining, 0);
  assert.ok(refused.retryAfterSeconds >= 1);
});
