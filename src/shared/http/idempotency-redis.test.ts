import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { testServers } from '../../../test/support/env.ts';
import { RedisIdempotencyStore } from './idempotency-redis.ts';
import type { StoredResponse } from './idempotency-store.ts';

// Two connections stand for two gateway instances sharing one Redis, under a deployment's key prefix.
const PREFIX = `t-idem-${randomUUID().slice(0, 8)}:`;
let gatewayA: Redis;
let gatewayB: Redis;
let raw: Redis;

before(() => {
  const { redisUrl } = testServers();
  gatewayA = new Redis(redisUrl, { keyPrefix: PREFIX, maxRetriesPerRequest: 1 });
  gatewayB = new Redis(redisUrl, { keyPrefix: PREFIX, maxRetriesPerRequest: 1 });
  raw = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
});

after(() => {
  gatewayA.disconnect();
  gatewayB.disconnect();
  raw.disconnect();
});

const uniqueKey = (label: string) => `idem:${randomUUID()}:POST:/v1/items:${label}`;
const created: StoredResponse = {
  status: 201,
  headers: { 'content-type': 'application/json', etag: '"1"', location: '/v1/items/i1' },
  body: '{"id":"i1","title":"Drill ✓"}',
};
const LEASE = 60_000;
const DAY = 86_400_000;

test('50 concurrent begins on one key across two instances: exactly one starts', async () => {
  const stores = [new RedisIdempotencyStore(gatewayA), new RedisIdempotencyStore(gatewayB)];
  for (let round = 0; round < 3; round++) {
    const key = uniqueKey(`race-${round}`);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % 2]!.begin(key, 'fp', LEASE)));
    assert.equal(results.filter((r) => r === 'started').length, 1, `round ${round}: exactly one started`);
    assert.equal(results.filter((r) => r === 'in_flight').length, 49, `round ${round}: the rest are in flight`);
  }
});

test('a completed response replays byte for byte on another instance; other bodies mismatch', async () => {
  const storeA = new RedisIdempotencyStore(gatewayA);
  const storeB = new RedisIdempotencyStore(gatewayB);
  const key = uniqueKey('replay');
  assert.equal(await storeA.begin(key, 'fp', LEASE), 'started');
  assert.equal(await storeB.begin(key, 'other', LEASE), 'mismatch', 'a different request while in flight');
  assert.equal(await storeA.complete(key, created, DAY), true);
  assert.deepEqual(await storeB.begin(key, 'fp', LEASE), { replay: created });
  assert.equal(await storeB.begin(key, 'other', LEASE), 'mismatch');
  assert.equal(
    await storeB.complete(key, { ...created, status: 500 }, DAY),
    false,
    'a completed key is not overwritten',
  );
  assert.deepEqual(await storeA.begin(key, 'fp', LEASE), { replay: created });
});

test('keys live under the deployment prefix: lease while in flight, retention once completed', async () => {
  const store = new RedisIdempotencyStore(gatewayA);
  const key = uniqueKey('ttl');
  await store.begin(key, 'fp', LEASE);
  const lease = await raw.pttl(PREFIX + key);
  assert.ok(lease > LEASE - 5_000 && lease <= LEASE, `lease pttl ${lease}`);
  await store.complete(key, created, DAY);
  const retention = await raw.pttl(PREFIX + key);
  assert.ok(retention > DAY - 5_000 && retention <= DAY, `retention pttl ${retention}`);
  assert.equal(await raw.exists(key), 0, 'nothing outside the prefix');
});

test('a lease runs out: a crashed holder frees the key and cannot complete late', async () => {
  const store = new RedisIdempotencyStore(gatewayA);
  const key = uniqueKey('lease');
  assert.equal(await store.begin(key, 'fp', 100), 'started');
  assert.equal(await store.begin(key, 'fp', 100), 'in_flight');
  await sleep(150);
  assert.equal(await store.complete(key, created, DAY), false, 'the late holder stores nothing');
  assert.equal(await raw.exists(PREFIX + key), 0, 'and creates no record');
  assert.equal(await store.begin(key, 'fp', LEASE), 'started', 'a retry starts over');
});

test('release frees an in-flight key but never a completed one', async () => {
  const store = new RedisIdempotencyStore(gatewayA);
  const key = uniqueKey('release');
  await store.begin(key, 'fp', LEASE);
  await store.release(key);
  assert.equal(await store.begin(key, 'fp', LEASE), 'started');
  await store.complete(key, created, DAY);
  await store.release(key);
  assert.deepEqual(await store.begin(key, 'fp', LEASE), { replay: created });
});

test('a flushed script cache is reloaded transparently', async () => {
  const store = new RedisIdempotencyStore(gatewayA);
  await gatewayA.script('FLUSH');
  const key = uniqueKey('flush');
  assert.equal(await store.begin(key, 'fp', LEASE), 'started');
  assert.equal(await store.complete(key, created, DAY), true);
  await store.release(key);
});
