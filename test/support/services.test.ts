import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { createDatabase } from './services.ts';

const pgUrl = process.env.TEST_PG_URL;
const redisUrl = process.env.TEST_REDIS_URL;

test('createDatabase gives an isolated, usable PostgreSQL database', {
  skip: !pgUrl && 'TEST_PG_URL not set (run via npm test)',
}, async () => {
  const url = await createDatabase(pgUrl!);
  assert.notEqual(new URL(url).pathname, new URL(pgUrl!).pathname);
  const sql = postgres(url, { max: 1 });
  try {
    const [row] = await sql<{ one: number }[]>`select 1 as one`;
    assert.equal(row?.one, 1);
    const [db] = await sql<{ name: string }[]>`select current_database() as name`;
    assert.equal(`/${db?.name}`, new URL(url).pathname);
    if (!process.env.DATABASE_URL) {
      // Our own server enables two-phase commit; an external one may not.
      const [mpt] = await sql<{ max_prepared_transactions: string }[]>`show max_prepared_transactions`;
      assert.ok(Number(mpt?.max_prepared_transactions) > 0);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
});

test('Redis answers PING', { skip: !redisUrl && 'TEST_REDIS_URL not set (run via npm test)' }, async () => {
  const redis = new Redis(redisUrl!, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    assert.equal(await redis.ping(), 'PONG');
  } finally {
    redis.disconnect();
  }
});
