import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { eq, sql as dsql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import type postgres from 'postgres';
import {
  TwoPhaseDeadlineExceeded,
  TwoPhaseGidInUse,
  TwoPhaseHeuristicMismatch,
  TwoPhaseInvalidGid,
  TwoPhaseNotPreparable,
  TwoPhaseWorkAborted,
  TwoPhaseWrongDatabase,
} from './errors.ts';
import { formatGid, gidPrefix, newTransactionId } from './gid.ts';
import {
  commitPrepared,
  listPrepared,
  prepareTransaction,
  resolveOrphans,
  rollbackPrepared,
  type TwoPhaseDecision,
} from './participant.ts';
import { openTwoPhaseClient } from './support.ts';
import {
  createSettlementDatabases,
  preparedOnCluster,
  rollbackLeftovers,
  type SettlementDatabases,
} from './testing/databases.ts';
import { holds, rentals, uniqueCoordinator } from './testing/fixtures.ts';

let dbs: SettlementDatabases;
let main: postgres.Sql;
let other: postgres.Sql;
const coordinator = uniqueCoordinator();
const prefix = gidPrefix(coordinator);
const gid = (participant = 'payments') => formatGid({ coordinator, participant, transactionId: newTransactionId() });

before(async () => {
  dbs = await createSettlementDatabases();
  main = openTwoPhaseClient(dbs.paymentsUrl, { max: 2 });
  other = openTwoPhaseClient(dbs.rentalsUrl, { max: 2 });
});
after(async () => {
  if (dbs) await rollbackLeftovers(dbs, prefix);
  await Promise.all([main?.end({ timeout: 5 }), other?.end({ timeout: 5 })]);
});

const insertHold =
  (rentalId: string) =>
  async ({ sql }: { sql: postgres.ReservedSql }) => {
    await sql`insert into payments.holds (rental_id, amount, state) values (${rentalId}, 100, 'captured')`;
  };
const holdCount = async (rentalId: string) =>
  (await main<{ n: number }[]>`select count(*)::int as n from payments.holds where rental_id = ${rentalId}`)[0]!.n;

test('a prepared transaction is invisible until COMMIT PREPARED, and committing again is a no-op', async () => {
  const g = gid();
  const rentalId = randomUUID();
  const vote = await prepareTransaction(main, g, insertHold(rentalId));
  assert.equal(vote.alreadyPrepared, false);
  assert.equal(await holdCount(rentalId), 0);
  const [listed] = await listPrepared(main, gidPrefix(coordinator, 'payments'));
  assert.equal(listed?.gid, g);
  assert.equal(listed?.xid, vote.xid, 'listPrepared widens the 32-bit xid to the xid8 seen inside the transaction');

  assert.equal(await commitPrepared(main, g, { xid: vote.xid }), 'committed');
  assert.equal(await holdCount(rentalId), 1);
  assert.equal(await commitPrepared(main, g, { xid: vote.xid }), 'absent');
  assert.equal(await commitPrepared(main, g), 'absent');
  await assert.rejects(
    rollbackPrepared(main, g, { xid: vote.xid }),
    TwoPhaseHeuristicMismatch,
    'a committed transaction cannot be reported rolled back',
  );
});

test('ROLLBACK PREPARED is idempotent; a commit decision against a rolled-back xid is a heuristic mismatch', async () => {
  const g = gid();
  const rentalId = randomUUID();
  const vote = await prepareTransaction(main, g, insertHold(rentalId));
  assert.equal(await rollbackPrepared(main, g, { xid: vote.xid }), 'rolled-back');
  assert.equal(await rollbackPrepared(main, g, { xid: vote.xid }), 'absent');
  assert.equal(await rollbackPrepared(main, gid()), 'absent', 'never prepared: nothing to undo');
  assert.equal(await holdCount(rentalId), 0);
  await assert.rejects(commitPrepared(main, g, { xid: vote.xid }), TwoPhaseHeuristicMismatch);
});

test('failing work rolls back, prepares nothing and returns the connection to the pool', async () => {
  const rentalId = randomUUID();
  for (let i = 0; i < 5; i++) {
    // The pool has 2 connections: a leaked reservation would hang this loop.
    await assert.rejects(
      prepareTransaction(main, gid(), async (tx) => {
        await insertHold(rentalId)(tx);
        throw new Error('insufficient funds');
      }),
      /insufficient funds/,
    );
  }
  assert.equal(await holdCount(rentalId), 0);
  assert.deepEqual(await listPrepared(main, prefix), []);
});

test('work that swallows a database error is a "no" vote, never a silently rolled-back "yes"', async () => {
  const g = gid();
  const rentalId = randomUUID();
  await assert.rejects(
    prepareTransaction(main, g, async (tx) => {
      await insertHold(rentalId)(tx);
      await tx.sql`select 1/0`.catch(() => {}); // the transaction is now aborted
    }),
    TwoPhaseWorkAborted,
  );
  assert.deepEqual(await listPrepared(main, prefix), []);
  assert.equal(await holdCount(rentalId), 0);
});

test('preparing a GID twice does not run the work twice', async () => {
  const g = gid();
  const rentalId = randomUUID();
  const first = await prepareTransaction(main, g, insertHold(rentalId));
  let ran = false;
  const again = await prepareTransaction(main, g, async () => {
    ran = true;
  });
  assert.equal(ran, false);
  assert.deepEqual(again, { gid: g, xid: first.xid, alreadyPrepared: true });
  await commitPrepared(main, g);
  assert.equal(await holdCount(rentalId), 1);
});

test('a prepared xid newer than the snapshot xmax (an older transaction still open) is widened right', async () => {
  // An open transaction with an xid keeps xmax (latest completed + 1) at or below the xid prepared next.
  const open = await main.reserve();
  try {
    await open`begin`;
    await open`select pg_current_xact_id()`;
    const g = gid();
    const vote = await prepareTransaction(main, g, insertHold(randomUUID()));
    const again = await prepareTransaction(main, g, async () => {});
    assert.equal(again.xid, vote.xid, 'the repeat finds the same xid8');
    const [listed] = (await listPrepared(main, prefix)).filter((p) => p.gid === g);
    assert.equal(listed?.xid, vote.xid, 'listPrepared finds the same xid8');
    await commitPrepared(main, g, { xid: vote.xid });
  } finally {
    await open`rollback`;
    open.release();
  }
});

test('GIDs are cluster-wide and COMMIT PREPARED must run in the database that prepared', async () => {
  const g = gid();
  await prepareTransaction(main, g, insertHold(randomUUID()));
  await assert.rejects(
    prepareTransaction(other, g, async () => {}),
    TwoPhaseGidInUse,
  );
  await assert.rejects(commitPrepared(other, g), TwoPhaseWrongDatabase);
  await assert.rejects(rollbackPrepared(other, g), TwoPhaseWrongDatabase);
  assert.deepEqual(await listPrepared(other, prefix), [], 'listPrepared shows only the current database');
  assert.equal(await rollbackPrepared(main, g), 'rolled-back');
});

test('work gets drizzle on the reserved connection: nested transactions are savepoints, dates parse', async () => {
  const rentalId = randomUUID();
  const returnedAt = new Date('2030-01-02T03:04:05.678Z');
  const g = gid('rentals');
  await prepareTransaction(other, g, async ({ db }) => {
    await db.insert(rentals).values({ id: rentalId, state: 'active' });
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.update(rentals).set({ state: 'lost' }).where(eq(rentals.id, rentalId));
        throw new Error('undo the inner step only');
      }),
      /inner step/,
    );
    await db.transaction(async (tx) => {
      await tx.transaction(async (inner) => {
        await inner.update(rentals).set({ state: 'completed', returnedAt }).where(eq(rentals.id, rentalId));
      });
    });
    const [row] = await db.select().from(rentals).where(eq(rentals.id, rentalId));
    assert.equal(row?.state, 'completed');
    assert.ok(row?.returnedAt instanceof Date);
    assert.equal(row.returnedAt.toISOString(), returnedAt.toISOString());
    const [{ inTx } = { inTx: false }] = (await db.execute(
      dsql`select now() <> statement_timestamp() as "inTx"`,
    )) as unknown as { inTx: boolean }[];
    assert.equal(inTx, true, 'work runs inside the transaction being prepared');
  });
  await commitPrepared(other, g);
  const [row] = await other<{ state: string }[]>`select state from rentals.rentals where id = ${rentalId}`;
  assert.equal(row?.state, 'completed');
});

test('plain drizzle({ client: reserved }) does not work on a postgres.js reserved connection (hence drizzleOnReserved)', async () => {
  const reserved = await main.reserve();
  try {
    assert.throws(() => drizzle({ client: reserved as unknown as postgres.Sql }), /reading 'parsers'/);
  } finally {
    reserved.release();
  }
});

test('work that NOTIFYs cannot be prepared (PostgreSQL refuses; keep pg_notify out of prepared work)', async () => {
  const g = gid();
  await assert.rejects(
    prepareTransaction(main, g, async ({ db }) => {
      await db.insert(holds).values({ rentalId: randomUUID(), amount: 1, state: 'x' });
      await db.execute(dsql`select pg_notify('outbox', 'x')`);
    }),
    TwoPhaseNotPreparable,
  );
  assert.deepEqual(await listPrepared(main, prefix), []);
});

test('a deadline bounds the work and is checked before PREPARE', async () => {
  await assert.rejects(
    prepareTransaction(main, gid(), async () => {}, { deadline: Date.now() - 1 }),
    TwoPhaseDeadlineExceeded,
  );
  await assert.rejects(
    prepareTransaction(main, gid(), async ({ sql }) => void (await sql`select pg_sleep(5)`), {
      deadline: Date.now() + 200,
    }),
    (error: Error & { code?: string }) => error.code === '57014', // statement_timeout
  );
  await assert.rejects(
    prepareTransaction(main, gid(), async () => new Promise((r) => setTimeout(r, 250)), { deadline: Date.now() + 100 }),
    TwoPhaseDeadlineExceeded,
  );
  assert.deepEqual(await listPrepared(main, prefix), []);
});

test('an invalid GID is refused before touching the database', async () => {
  await assert.rejects(
    prepareTransaction(main, "sl:x:y:'; commit; --", async () => {}),
    TwoPhaseInvalidGid,
  );
  await assert.rejects(commitPrepared(main, 'whatever'), TwoPhaseInvalidGid);
  await assert.rejects(listPrepared(main, "sl:x'"), TwoPhaseInvalidGid);
});

test('resolveOrphans follows the coordinator and never decides on its own', async () => {
  const answers = new Map<string, TwoPhaseDecision | 'throw'>();
  const orphans: Record<string, { gid: string; rentalId: string }> = {};
  for (const answer of ['commit', 'abort', 'unknown', 'throw'] as const) {
    const rentalId = randomUUID();
    const g = gid();
    await prepareTransaction(main, g, insertHold(rentalId));
    answers.set(g, answer);
    orphans[answer] = { gid: g, rentalId };
  }
  const ask = async (g: string): Promise<TwoPhaseDecision> => {
    const answer = answers.get(g);
    if (answer === 'throw' || !answer) throw new Error('coordinator unreachable');
    return answer;
  };

  const tooYoung = await resolveOrphans(main, prefix, ask, 60_000);
  assert.deepEqual(
    tooYoung,
    { committed: [], rolledBack: [], undecided: [], failed: [] },
    'young prepared transactions are left to their coordinator',
  );

  const report = await resolveOrphans(main, prefix, ask, 0);
  assert.deepEqual(report.committed, [orphans.commit!.gid]);
  assert.deepEqual(report.rolledBack, [orphans.abort!.gid]);
  assert.deepEqual(report.undecided, [orphans.unknown!.gid]);
  assert.deepEqual(
    report.failed.map((f) => f.gid),
    [orphans.throw!.gid],
  );
  assert.equal(await holdCount(orphans.commit!.rentalId), 1);
  assert.equal(await holdCount(orphans.abort!.rentalId), 0);
  assert.deepEqual(
    (await preparedOnCluster(dbs.serverUrl, prefix)).map((p) => p.gid).sort(),
    [orphans.unknown!.gid, orphans.throw!.gid].sort(),
  );
  await rollbackLeftovers(dbs, prefix);
});
