import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { testServers } from '../../../../test/support/env.ts';
import type { Database, Db } from '../database.ts';
import { TwoPhaseUnsupported } from './errors.ts';
import { assertTwoPhaseSupported, maxPreparedTransactions, openTwoPhaseClient } from './support.ts';

let pglite: PGlite;
before(async () => {
  pglite = await PGlite.create();
});
after(async () => {
  await pglite?.close();
});

const asDatabase = (db: Db, driver: Database['driver'], label: string): Pick<Database, 'db' | 'driver' | 'label'> => ({
  db,
  driver,
  label,
});

test('embedded PGlite reports max_prepared_transactions = 0 and is refused with TwoPhaseUnsupported', async () => {
  assert.equal(await maxPreparedTransactions(pglite), 0);
  await assert.rejects(assertTwoPhaseSupported(pglite), (error: unknown) => {
    assert.ok(error instanceof TwoPhaseUnsupported);
    assert.equal(error.code, 'twoPhaseUnsupported');
    assert.equal(error.maxPreparedTransactions, 0);
    assert.match(error.message, /max_prepared_transactions > 0/);
    assert.match(error.message, /PGlite/);
    return true;
  });
  // Through the platform's Database (drizzle over PGlite) as a module would hold it.
  const database = asDatabase(drizzlePglite({ client: pglite }) as unknown as Db, 'pglite', 'pglite:memory://');
  assert.equal(await maxPreparedTransactions(database), 0);
  await assert.rejects(assertTwoPhaseSupported(database), TwoPhaseUnsupported);
  // And PGlite itself would refuse: the check names the requirement before a cryptic 55000 does.
  await assert.rejects(
    pglite.exec(`begin; prepare transaction 'sl:x:y:00000000-0000-4000-8000-000000000000'`),
    /prepared transactions are disabled/,
  );
});

test('a module with no database URL (embedded PGlite) cannot open a two-phase client', () => {
  assert.throws(() => openTwoPhaseClient(undefined), TwoPhaseUnsupported);
});

test('the test cluster allows prepared transactions', async () => {
  const sql = postgres(testServers().pgUrl, { max: 1, onnotice: () => {} });
  try {
    assert.equal(await maxPreparedTransactions(sql), 20);
    await assertTwoPhaseSupported(sql);
    await assertTwoPhaseSupported(asDatabase(drizzlePostgres({ client: sql }) as unknown as Db, 'postgres', 'pg'));
  } finally {
    await sql.end({ timeout: 5 });
  }
});
