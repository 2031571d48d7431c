import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { testServers } from '../../../test/support/env.ts';
import { createDatabase } from '../../../test/support/services.ts';
import { openPglite, openPostgres, type Database } from '../db/database.ts';
import { migrateModule } from '../db/migrate.ts';
import { PLATFORM, PLATFORM_MIGRATIONS, idempotencyKeys } from '../db/platform-schema.ts';
import { DatabaseIdempotencyStore } from './idempotency-database.ts';
import type { StoredResponse } from './idempotency-store.ts';

const created: StoredResponse = {
  status: 201,
  headers: { 'content-type': 'application/json', etag: '"1"', location: '/v1/items/i1' },
  body: '{"id":"i1","title":"Drill ✓ \\u0000"}',
};
const LEASE = 60_000;
const DAY = 86_400_000;
const key = (label: string) => `idem:${randomUUID()}:POST:/v1/items:${label}`;

// The same behaviour on both engines the platform table lives in.
for (const engine of ['pglite', 'postgres'] as const) {
  describe(`DatabaseIdempotencyStore on ${engine}`, () => {
    const opened: Database[] = [];
    let store: DatabaseIdempotencyStore;
    /** A second process on the same database (PostgreSQL only: PGlite is one process). */
    let other: DatabaseIdempotencyStore;

    before(async () => {
      if (engine === 'pglite') {
        const database = await openPglite('memory://');
        opened.push(database);
        await migrateModule(database, undefined, PLATFORM, PLATFORM_MIGRATIONS);
        store = other = new DatabaseIdempotencyStore(database.db);
      } else {
        const url = await createDatabase(testServers().pgUrl);
        const [a, b] = [openPostgres(url, { max: 5 }), openPostgres(url, { max: 5 })];
        opened.push(a, b);
        await migrateModule(a, url, PLATFORM, PLATFORM_MIGRATIONS);
        await migrateModule(b, url, PLATFORM, PLATFORM_MIGRATIONS);
        store = new DatabaseIdempotencyStore(a.db);
        other = new DatabaseIdempotencyStore(b.db);
      }
    });
    after(async () => {
      for (const database of opened) await database.close();
    });

    test('the first begin starts; retries are in flight, then replay what was stored', async () => {
      const k = key('first');
      assert.equal(await store.begin(k, 'fp', LEASE), 'started');
      assert.equal(await other.begin(k, 'fp', LEASE), 'in_flight');
      assert.equal(await store.complete(k, created, DAY), true);
      assert.deepEqual(await other.begin(k, 'fp', LEASE), { replay: created });
      assert.deepEqual(await store.begin(k, 'fp', LEASE), { replay: created }, 'replays do not consume the record');
      assert.equal(
        await store.complete(k, { ...created, status: 500 }, DAY),
        false,
        'a completed key is not overwritten',
      );
      assert.equal(await store.begin(key('another'), 'fp', LEASE), 'started', 'another key is independent');
    });

    test('another fingerprint under a used key is a mismatch, in flight or done', async () => {
      const k = key('mismatch');
      await store.begin(k, 'fp', LEASE);
      assert.equal(await other.begin(k, 'other', LEASE), 'mismatch');
      await store.complete(k, created, DAY);
      assert.equal(await other.begin(k, 'other', LEASE), 'mismatch');
    });

    test('a lease runs out: a crashed holder no longer blocks the key, and cannot complete late', async () => {
      const k = key('lease');
      assert.equal(await store.begin(k, 'fp', 300), 'started');
      assert.equal(await other.begin(k, 'fp', 300), 'in_flight');
      await sleep(400);
      assert.equal(await store.complete(k, created, DAY), false, 'the late holder stores nothing');
      assert.equal(await other.begin(k, 'other', LEASE), 'started', 'anyone may start over, even with another body');
      assert.equal(await store.begin(k, 'fp', LEASE), 'mismatch', 'the new holder owns the key now');
    });

    test('release frees an in-flight key but never a completed one', async () => {
      const k = key('release');
      await store.begin(k, 'fp', LEASE);
      await store.release(k);
      assert.equal(await other.begin(k, 'fp', LEASE), 'started', 'a released key starts over');
      await other.complete(k, created, DAY);
      await store.release(k);
      assert.deepEqual(await store.begin(k, 'fp', LEASE), { replay: created });
      const never = key('never');
      await store.release(never);
      assert.equal(await store.complete(never, created, DAY), false, 'complete without begin stores nothing');
    });

    test('retention: a stored response is replayed until it expires, then forgotten and purged', async () => {
      const kept = key('kept');
      const expiring = key('expiring');
      const abandoned = key('abandoned');
      for (const k of [kept, expiring]) await store.begin(k, 'fp', LEASE);
      await store.complete(kept, created, DAY);
      await store.complete(expiring, created, 300);
      await store.begin(abandoned, 'fp', 300);
      assert.deepEqual(await other.begin(expiring, 'fp', LEASE), { replay: created });
      await sleep(400);
      const purged = await store.purgeExpired();
      assert.ok(purged >= 2, `purged ${purged}`);
      const left = new Set(
        (
          await (store as unknown as { db: Database['db'] }).db
            .select({ key: idempotencyKeys.key })
            .from(idempotencyKeys)
        ).map((r) => r.key),
      );
      assert.ok(left.has(kept), 'a record within its retention is kept');
      assert.ok(!left.has(expiring) && !left.has(abandoned), 'expired records (done or abandoned) are deleted');
      assert.equal(await other.begin(expiring, 'other', LEASE), 'started', 'an expired key is free again');
      assert.deepEqual(await other.begin(kept, 'fp', LEASE), { replay: created });
    });

    test('50 concurrent begins on one key, from two pools: exactly one starts', async () => {
      for (let round = 0; round < 3; round++) {
        const k = key(`race-${round}`);
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => (i % 2 ? store : other).begin(k, 'fp', LEASE)),
        );
        assert.equal(results.filter((r) => r === 'started').length, 1, `round ${round}`);
        assert.equal(results.filter((r) => r === 'in_flight').length, 49, `round ${round}`);
      }
    });
  });
}
