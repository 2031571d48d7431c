import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { createDatabase } from '../../../test/support/services.ts';
import { testServers } from '../../../test/support/env.ts';
import { createLogger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { Databases, databaseMetrics } from './databases.ts';

const metrics = createMetrics('test');
const databases = new Databases({
  dataDir: 'memory://',
  poolMax: 2,
  log: createLogger({ level: 'silent', pretty: false, name: 'test' }),
  metrics: databaseMetrics(metrics),
});
after(() => databases.closeAll());

const counted = async (name: string) =>
  (await metrics.dbQueries.get()).values.find((v) => v.labels.database === name)?.value ?? 0;

test('db_pool_connections shows the connections a running statement holds', async () => {
  const url = await createDatabase(testServers().pgUrl);
  const name = new URL(url).pathname.slice(1);
  const { db } = await databases.get(url);
  const sleeping = db.execute(sql`select pg_sleep(0.5)`).then(() => {}); // drizzle queries start when awaited
  await new Promise((r) => setTimeout(r, 200));
  const during = (await metrics.registry.getSingleMetric('db_pool_connections')!.get()).values;
  await sleeping;
  const inUse = during.find(
    (v) => v.labels.database === name && v.labels.pool === 'primary' && v.labels.state === 'in_use',
  );
  assert.equal(inUse?.value, 1, `one connection in use while the statement runs: ${JSON.stringify(during)}`);
  const after = (await metrics.registry.getSingleMetric('db_pool_connections')!.get()).values;
  assert.equal(
    after.find((v) => v.labels.database === name && v.labels.state === 'in_use')?.value,
    0,
    'released after',
  );
});

test('db_queries_total counts every statement sent, BEGIN and COMMIT included, by database', async () => {
  const url = await createDatabase(testServers().pgUrl);
  const name = new URL(url).pathname.slice(1);
  const { db } = await databases.get(url);
  await db.execute(sql`select 1`); // the pool's first connection (postgres.js also reads the types then)
  const before = await counted(name);
  await db.execute(sql`select 1`);
  assert.equal((await counted(name)) - before, 1, 'one statement');
  await db.transaction(async (tx) => {
    await tx.execute(sql`select 2`);
    await tx.execute(sql`select 3`);
  });
  assert.equal((await counted(name)) - before, 5, 'begin, two statements and commit');
});
