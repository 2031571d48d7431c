import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryIdempotencyStore } from './idempotency-memory.ts';
import type { StoredResponse } from './idempotency-store.ts';

function clock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const created: StoredResponse = {
  status: 201,
  headers: { 'content-type': 'application/json', etag: '"1"' },
  body: '{"id":"i1"}',
};
const LEASE = 60_000;
const DAY = 86_400_000;

test('the first begin starts; retries are in flight, then replay what was stored', async () => {
  const store = new MemoryIdempotencyStore({ now: clock().now });
  assert.equal(await store.begin('k', 'fp', LEASE), 'started');
  assert.equal(await store.begin('k', 'fp', LEASE), 'in_flight');
  assert.equal(await store.complete('k', created, DAY), true);
  assert.deepEqual(await store.begin('k', 'fp', LEASE), { replay: created });
  assert.deepEqual(await store.begin('k', 'fp', LEASE), { replay: created }, 'replays do not consume the record');
  assert.equal(await store.begin('other', 'fp', LEASE), 'started', 'another key is independent');
});

test('another fingerprint under a used key is a mismatch, in flight or done', async () => {
  const store = new MemoryIdempotencyStore({ now: clock().now });
  await store.begin('k', 'fp', LEASE);
  assert.equal(await store.begin('k', 'other', LEASE), 'mismatch');
  await store.complete('k', created, DAY);
  assert.equal(await store.begin('k', 'other', LEASE), 'mismatch');
});

test('a lease runs out: a crashed holder no longer blocks the key, and cannot complete late', async () => {
  const time = clock();
  const store = new MemoryIdempotencyStore({ now: time.now });
  assert.equal(await store.begin('k', 'fp', LEASE), 'started');
  time.advance(LEASE - 1);
  assert.equal(await store.begin('k', 'fp', LEASE), 'in_flight', 'still held 1 ms before the lease ends');
  time.advance(1);
  assert.equal(await store.complete('k', created, DAY), false, 'the late holder stores nothing');
  assert.equal(await store.begin('k', 'other', LEASE), 'started', 'anyone may start over, even with another body');
  assert.equal(await store.begin('k', 'fp', LEASE), 'mismatch', 'the new holder owns the key now');
});

test('a completed response is kept for its ttl, then forgotten', async () => {
  const time = clock();
  const store = new MemoryIdempotencyStore({ now: time.now });
  await store.begin('k', 'fp', LEASE);
  time.advance(LEASE / 2);
  await store.complete('k', created, DAY);
  time.advance(DAY - 1);
  assert.deepEqual(
    await store.begin('k', 'fp', LEASE),
    { replay: created },
    'retention counts from completion, not from begin',
  );
  time.advance(1);
  assert.equal(await store.begin('k', 'fp', LEASE), 'started');
});

test('release frees an in-flight key but never a completed one', async () => {
  const store = new MemoryIdempotencyStore({ now: clock().now });
  await store.begin('k', 'fp', LEASE);
  await store.release('k');
  assert.equal(await store.begin('k', 'fp', LEASE), 'started', 'a released key starts over');

  await store.complete('k', created, DAY);
  await store.release('k');
  assert.deepEqual(await store.begin('k', 'fp', LEASE), { replay: created });
  assert.equal(
    await store.complete('k', { ...created, status: 500 }, DAY),
    false,
    'a completed key is not overwritten',
  );
  assert.deepEqual(await store.begin('k', 'fp', LEASE), { replay: created });

  await store.release('never-begun');
  assert.equal(await store.complete('never-begun', created, DAY), false, 'complete without begin stores nothing');
  assert.equal(await store.begin('never-begun', 'fp', LEASE), 'started');
});

test('concurrent begins: exactly one starts', async () => {
  const store = new MemoryIdempotencyStore({ now: clock().now });
  const results = await Promise.all(Array.from({ length: 50 }, () => store.begin('k', 'fp', LEASE)));
  assert.equal(results.filter((r) => r === 'started').length, 1);
  assert.equal(results.filter((r) => r === 'in_flight').length, 49);
});

test('the store is bounded: past maxEntries the oldest keys go', async () => {
  const store = new MemoryIdempotencyStore({ now: clock().now, maxEntries: 3 });
  for (const key of ['a', 'b', 'c', 'd']) assert.equal(await store.begin(key, 'fp', LEASE), 'started');
  assert.equal(await store.begin('a', 'fp', LEASE), 'started', 'a was evicted');
  assert.equal(await store.begin('d', 'fp', LEASE), 'in_flight');
});
