import { and, eq, sql } from 'drizzle-orm';
import type { CallContext } from '../../../shared/bus/context.ts';
import type { Db, Tx } from '../../../shared/db/database.ts';
import { sqlState } from '../../../shared/db/errors.ts';
import type { PreparedWork } from '../../../shared/db/two-phase/index.ts';
import type { Publish } from '../../../shared/events/publish.ts';
import { rentals } from '../contract.ts';
import { rentalsTable, sagaSteps } from '../db/schema.ts';
import { rentalFactsOf } from '../handlers/rental-view.ts';
import type { RentalRow } from '../saga/saga-store.ts';

/**
 * rentals' share of a settlement, in the caller's transaction: the rental goes from active to
 * completed (compare-and-set: a concurrent return waits for this one, then finds it done), its
 * settle step succeeds, and rentalCompleted is written to the outbox. In prepared work
 * (two-phase) the outbox row is written without NOTIFY (a transaction that notifies cannot be
 * prepared; the relay is woken after COMMIT PREPARED, or finds the row by polling).
 */
export async function completeIn(
  tx: Tx,
  rentalId: string,
  publish: Publish,
  ctx: CallContext,
  options: { notify: boolean },
): Promise<RentalRow> {
  const [row] = await tx
    .update(rentalsTable)
    .set({ status: 'completed', completedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(rentalsTable.id, rentalId), eq(rentalsTable.status, 'active')))
    .returning();
  if (!row)
    throw rentals.error(
      'notReturnable',
      `Rental ${rentalId} is no longer active; it was returned or cancelled meanwhile.`,
    );
  const done = {
    status: 'succeeded' as const,
    errorCode: null,
    errorKind: null,
    errorDetail: null,
    finishedAt: sql`now()`,
    updatedAt: sql`now()`,
  };
  await tx
    .insert(sagaSteps)
    .values({ rentalId, name: 'settle', kind: 'settlement', ...done })
    .onConflictDoUpdate({ target: [sagaSteps.rentalId, sagaSteps.name], set: done });
  await publish(tx, rentals.events.rentalCompleted, rentalFactsOf(row), {
    aggregateId: row.id,
    ctx,
    notify: options.notify,
  });
  return row;
}

/** rentals' share of a two-phase settlement, run in the transaction that gets PREPAREd. */
export function completeRental(rentalId: string, publish: Publish, ctx: CallContext) {
  return async ({ db }: PreparedWork) => {
    await db.transaction((tx) => completeIn(tx, rentalId, publish, ctx, { notify: false }));
  };
}

/** Writes that a one-phase settlement attempt failed (nothing changed: its transaction rolled back). */
export async function recordSettleFailure(
  db: Db,
  rentalId: string,
  error: { code: string; kind: string; detail: string },
): Promise<void> {
  const failed = {
    status: 'failed' as const,
    errorCode: error.code,
    errorKind: error.kind,
    errorDetail: error.detail.slice(0, 2000),
    finishedAt: sql`now()`,
    updatedAt: sql`now()`,
  };
  await db
    .insert(sagaSteps)
    .values({ rentalId, name: 'settle', kind: 'settlement', ...failed })
    .onConflictDoUpdate({
      target: [sagaSteps.rentalId, sagaSteps.name],
      set: { ...failed, attempts: sql`${sagaSteps.attempts} + 1` },
      setWhere: sql`${sagaSteps.status} <> 'succeeded'`,
    })
    .catch(() => {});
}

/**
 * Writes that a settlement attempt starts (before any prepare), so the rental's steps show it.
 * One attempt at a time: while another is under way (its step is started and recent) this
 * answers false. A prepared attempt holds the step's row, so a second one waits at most
 * lockTimeoutMs for it to be finished and then answers false too.
 */
export async function beginSettleStep(
  db: Db,
  rentalId: string,
  options: { staleMs: number; lockTimeoutMs: number },
): Promise<boolean> {
  try {
    return await db.transaction(async (tx) => {
      await tx.execute(
        sql`select set_config('lock_timeout', ${`${Math.max(1, Math.round(options.lockTimeoutMs))}ms`}, true)`,
      );
      const rows = await tx
        .insert(sagaSteps)
        .values({ rentalId, name: 'settle', kind: 'settlement', status: 'started' })
        .onConflictDoUpdate({
          target: [sagaSteps.rentalId, sagaSteps.name],
          set: {
            status: 'started',
            attempts: sql`${sagaSteps.attempts} + 1`,
            errorCode: null,
            errorKind: null,
            errorDetail: null,
            finishedAt: null,
            updatedAt: sql`now()`,
          },
          setWhere: sql`${sagaSteps.status} <> 'started' or ${sagaSteps.updatedAt} < now() - make_interval(secs => ${options.staleMs / 1000})`,
        })
        .returning({ rentalId: sagaSteps.rentalId });
      return rows.length === 1;
    });
  } catch (error) {
    if (sqlState(error) === '55P03') return false;
    throw error;
  }
}

/**
 * Writes that a settlement attempt was aborted. Skipped when the step row is still locked (a
 * prepared share not rolled back yet): recovery finishes that transaction, and the next
 * attempt writes the step again.
 */
export async function failSettleStep(
  db: Db,
  rentalId: string,
  error: { code: string; kind: string; detail: string },
): Promise<void> {
  await db
    .transaction(async (tx) => {
      await tx.execute(sql`set local lock_timeout = '500ms'`);
      await tx
        .update(sagaSteps)
        .set({
          status: 'failed',
          errorCode: error.code,
          errorKind: error.kind,
          errorDetail: error.detail.slice(0, 2000),
          finishedAt: sql`now()`,
          updatedAt: sql`now()`,
        })
        .where(and(eq(sagaSteps.rentalId, rentalId), eq(sagaSteps.name, 'settle'), eq(sagaSteps.status, 'started')));
    })
    .catch(() => {});
}

/**
 * Marks settle steps left started by an attempt that died before it prepared anything, or
 * whose transaction recovery aborted, as failed, so the rental shows that it can be returned
 * again. Only steps of rentals still active and older than olderThanMs; a step row locked by a
 * prepared share (still being finished) is skipped.
 */
export async function failAbandonedSettleSteps(db: Db, olderThanMs: number): Promise<number> {
  const rows = await db.execute(sql`
    update ${sagaSteps} as s
       set status = 'failed', error_code = 'rentals.settlementAbandoned', error_kind = 'timeout',
           error_detail = 'The return was interrupted and nothing changed; return the rental again.',
           finished_at = now(), updated_at = now()
     where (s.rental_id, s.name) in (
       select st.rental_id, st.name
         from ${sagaSteps} as st join ${rentalsTable} as r on r.id = st.rental_id
        where st.name = 'settle' and st.status = 'started' and r.status = 'active'
          and st.updated_at < now() - make_interval(secs => ${olderThanMs / 1000})
        limit 100
          for update of st skip locked)
    returning s.rental_id`);
  return Array.isArray(rows) ? rows.length : ((rows as { rows?: unknown[] }).rows?.length ?? 0);
}
