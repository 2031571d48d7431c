import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRateLimiter } from './rate-limit-memory.ts';
import { perMinute } from './rate-limiter.ts';

function clock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (seconds: number) => (now += seconds * 1000) };
}

test('exactly capacity takes pass, then the bucket refuses', async () => {
  const time = clock();
  const limiter = new MemoryRateLimiter({ now: time.now });
  const rule = perMinute(10); // 1 token every 6 s
  const remaining: number[] = [];
  for (let i = 0; i < 10; i++) {
    const result = await limiter.take('k', rule);
    assert.equal(result.allowed, true, `take ${i + 1}`);
    assert.equal(result.retryAfterSeconds, 0);
    remaining.push(result.remaining);
  }
  assert.deepEqual(remaining, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  const refused = await limiter.take('k', rule);
  assert.deepEqual(refused, { allowed: false, remaining: 0, resetSeconds: 60, retryAfterSeconds: 6 });
  assert.equal((await limiter.take('other', rule)).allowed, true, 'another key has its own bucket');
});

test('tokens refill with time, never beyond capacity', async () => {
  const time = clock();
  const limiter = new MemoryRateLimiter({ now: time.now });
  const rule = { capacity: 3, refillPerSecond: 0.5 };
  for (let i = 0; i < 3; i++) assert.equal((await limiter.take('k', rule)).allowed, true);
  assert.equal((await limiter.take('k', rule)).allowed, false);

  time.advance(1.999);
  assert.equal((await limiter.take('k', rule)).allowed, false, 'not yet a whole token');
  time.advance(0.001);
  assert.equal((await limiter.take('k', rule)).allowed, true, 'one token after 2 s');
  assert.equal((await limiter.take('k', rule)).allowed, false);

  time.advance(3600);
  const results = [];
  for (let i = 0; i < 4; i++) results.push((await limiter.take('k', rule)).allowed);
  assert.deepEqual(results, [true, true, true, false], 'an idle hour refills to capacity only');
});

test('retryAfterSeconds and resetSeconds count down and honour the cost', async () => {
  const time = clock();
  const limiter = new MemoryRateLimiter({ now: time.now });
  const rule = perMinute(10); // 1 token every 6 s
  for (let i = 0; i < 10; i++) await limiter.take('k', rule);

  time.advance(2);
  let result = await limiter.take('k', rule);
  assert.equal(result.retryAfterSeconds, 4);
  assert.equal(result.resetSeconds, 58);

  result = await limiter.take('k', rule, 3); // needs 3 tokens, has 1/3
  assert.equal(result.allowed, false);
  assert.equal(result.retryAfterSeconds, 16);

  time.advance(4);
  result = await limiter.take('k', rule);
  assert.equal(result.allowed, true, 'allowed exactly when retryAfter said');
  assert.equal(result.remaining, 0);
});

test('retryAfterSeconds is at least 1 even when a token is a moment away', async () => {
  const time = clock();
  const limiter = new MemoryRateLimiter({ now: time.now });
  const rule = { capacity: 1, refillPerSecond: 100 };
  await limiter.take('k', rule);
  const refused = await limiter.take('k', rule);
  assert.equal(refused.allowed, false);
  assert.equal(refused.retryAfterSeconds, 1);
});

test('memory stays bounded: refilled buckets are dropped and maxKeys holds', async () => {
  const time = clock();
  const limiter = new MemoryRateLimiter({ now: time.now, maxKeys: 5 });
  const rule = { capacity: 2, refillPerSecond: 1 };
  for (let i = 0; i < 100; i++) await limiter.take(`ip-${i}`, rule);
  assert.equal(limiter.size, 5);

  time.advance(2); // every bucket is full again
  await limiter.take('fresh', rule);
  assert.ok(limiter.size <= 2, `refilled buckets are forgotten (size ${limiter.size})`);
});

test('a full bucket holds no memory, and the bucket survives while it matters', async () => {
  const time = clock();
  const limiter = new MemoryRateLimiter({ now: time.now });
  await limiter.take('k', { capacity: 2, refillPerSecond: 1 }, 0);
  assert.equal(limiter.size, 0);
  await limiter.take('k', { capacity: 2, refillPerSecond: 1 }, 2);
  time.advance(1);
  assert.equal((await limiter.take('k', { capacity: 2, refillPerSecond: 1 })).remaining, 0);
});

test('impossible rules and costs are refused loudly', async () => {
  const limiter = new MemoryRateLimiter();
  await assert.rejects(limiter.take('k', { capacity: 0, refillPerSecond: 1 }), RangeError);
  await assert.rejects(limiter.take('k', { capacity: 1, refillPerSecond: 0 }), RangeError);
  await assert.rejects(limiter.take('k', { capacity: 1, refillPerSecond: 1 }, 2), RangeError);
});
