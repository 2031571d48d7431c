import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, mock, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { testServers } from '../../../test/support/env.ts';
import { RedisRateLimiter } from './rate-limit-redis.ts';

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

const uniqueKey = (label: string) => `test-ratelimit:${randomUUID()}:${label}`;

test('exactly capacity takes pass across two instances firing concurrently', async () => {
  const limiterA = new RedisRateLimiter(gatewayA);
  const limiterB = new RedisRateLimiter(gatewayB);
  const rule = { capacity: 20, refillPerSecond: 20 / 3600 }; // 20 an hour: no refill during the test
  for (let round = 0; round < 3; round++) {
    const key = uniqueKey(`burst-${round}`);
    const takes = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? limiterA : limiterB).take(key, rule));
    const results = await Promise.all(takes);
    assert.equal(results.filter((r) => r.allowed).length, 20, `round ${round}: exactly capacity allowed`);
    assert.deepEqual(
      results
        .filter((r) => r.allowed)
        .map((r) => r.remaining)
        .sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i),
    );
    for (const refused of results.filter((r) => !r.allowed)) {
      assert.equal(refused.remaining, 0);
      assert.ok(
        refused.retryAfterSeconds >= 179 && refused.retryAfterSeconds <= 180,
        `retryAfter ${refused.retryAfterSeconds}`,
      );
    }
  }
});

test('costs add up across instances: 10 takes of 3 from a bucket of 20 let 6 through', async () => {
  const limiterA = new RedisRateLimiter(gatewayA);
  const limiterB = new RedisRateLimiter(gatewayB);
  const key = uniqueKey('cost');
  const rule = { capacity: 20, refillPerSecond: 0.001 };
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) => (i % 2 ? limiterA : limiterB).take(key, rule, 3)),
  );
  assert.equal(results.filter((r) => r.allowed).length, 6);
});

test('tokens refill by the Redis clock, and retryAfter says when', async () => {
  const limiter = new RedisRateLimiter(gatewayA);
  const key = uniqueKey('refill');
  const rule = { capacity: 2, refillPerSecond: 10 }; // a token every 100 ms
  assert.equal((await limiter.take(key, rule)).allowed, true);
  assert.equal((await limiter.take(key, rule)).allowed, true);
  const refused = await limiter.take(key, rule);
  assert.deepEqual([refused.allowed, refused.remaining, refused.retryAfterSeconds], [false, 0, 1]);
  await sleep(150);
  assert.equal((await limiter.take(key, rule)).allowed, true, 'a token came back');

  const slow = { capacity: 2, refillPerSecond: 0.1 }; // a token every 10 s
  const slowKey = uniqueKey('retry');
  await limiter.take(slowKey, slow, 2);
  const waiting = await limiter.take(slowKey, slow);
  assert.equal(waiting.allowed, false);
  assert.equal(waiting.retryAfterSeconds, 10);
  assert.equal(waiting.resetSeconds, 20);
});

test("gateway clocks do not matter: only the Redis server's time refills", async () => {
  const limiterA = new RedisRateLimiter(gatewayA);
  const limiterB = new RedisRateLimiter(gatewayB);
  const key = uniqueKey('skew');
  const rule = { capacity: 5, refillPerSecond: 5 / 60 };
  assert.equal((await limiterA.take(key, rule, 5)).allowed, true);
  const realNow = Date.now.bind(Date);
  const skewed = mock.method(Date, 'now', () => realNow() + 3_600_000); // instance B's clock is an hour fast
  try {
    assert.equal((await limiterB.take(key, rule)).allowed, false);
  } finally {
    skewed.mock.restore();
  }
  const [tokens, ts] = await gatewayA.hmget(key, 'tokens', 'ts');
  const [seconds] = await gatewayA.time();
  assert.equal(Number(tokens), 0);
  assert.ok(Math.abs(Number(ts) - Number(seconds) * 1000) < 5000, 'stored time is the server clock, in ms');
});

test('a bucket expires once it would be full, and a full bucket writes nothing', async () => {
  const limiter = new RedisRateLimiter(gatewayA);
  const key = uniqueKey('ttl');
  await limiter.take(key, { capacity: 10, refillPerSecond: 1 }, 4); // 4 s to be full again
  const ttl = await gatewayB.pttl(key);
  assert.ok(ttl > 3000 && ttl <= 4000, `pttl ${ttl}`);

  const untouched = uniqueKey('zero-cost');
  const peek = await limiter.take(untouched, { capacity: 10, refillPerSecond: 1 }, 0);
  assert.deepEqual(peek, { allowed: true, remaining: 10, resetSeconds: 0, retryAfterSeconds: 0 });
  assert.equal(await gatewayA.exists(untouched), 0);

  const refusedKey = uniqueKey('refused-ttl');
  await limiter.take(refusedKey, { capacity: 1, refillPerSecond: 0.5 });
  const before = await gatewayA.pttl(refusedKey);
  await sleep(20);
  assert.equal((await limiter.take(refusedKey, { capacity: 1, refillPerSecond: 0.5 })).allowed, false);
  assert.ok((await gatewayA.pttl(refusedKey)) < before, 'a refused take does not extend the expiry');
});

test('a flushed script cache is reloaded transparently', async () => {
  const limiter = new RedisRateLimiter(gatewayA);
  await gatewayA.script('FLUSH');
  assert.equal((await limiter.take(uniqueKey('flush'), { capacity: 1, refillPerSecond: 1 })).allowed, true);
});
