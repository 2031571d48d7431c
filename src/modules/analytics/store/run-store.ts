import { randomUUID } from 'node:crypto';
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../../../shared/db/database.ts';
import { etlRuns, type TableCounts } from '../db/schema.ts';

export type RunRow = typeof etlRuns.$inferSelect;
export type RunMode = RunRow['mode'];

/** The run no longer holds the ETL lease (it lapsed and another run took over). */
export class RunLost extends Error {
  constructor(runId: string) {
    super(`warehouse run ${runId} lost its lease`);
    this.name = 'RunLost';
  }
}

const leaseFrom = (ms: number) => sql`now() + ${`${ms} milliseconds`}::interval`;

/**
 * Claims the ETL lease for a new run, unless a run holds a live one. Runs whose lease lapsed
 * (their process died) are marked abandoned first. An advisory lock serializes claims, so
 * of several instances claiming at once exactly one wins.
 */
export async function claimRun(
  db: Db,
  options: { mode: RunMode; engine: RunRow['engine']; trigger: RunRow['trigger']; leaseMs: number },
): Promise<RunRow | undefined> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('shareloop:warehouse-etl', 0))`);
    await tx
      .update(etlRuns)
      .set({
        status: 'abandoned',
        finishedAt: sql`now()`,
        error: 'its process stopped before the run ended; nothing of it was committed',
      })
      .where(and(eq(etlRuns.status, 'running'), lt(etlRuns.leaseUntil, sql`now()`)));
    const [live] = await tx.select({ id: etlRuns.id }).from(etlRuns).where(eq(etlRuns.status, 'running')).limit(1);
    if (live) return undefined;
    const [last] = await tx
      .select({ startedAt: etlRuns.startedAt })
      .from(etlRuns)
      .where(eq(etlRuns.status, 'succeeded'))
      .orderBy(desc(etlRuns.startedAt))
      .limit(1);
    const [run] = await tx
      .insert(etlRuns)
      .values({
        id: randomUUID(),
        ...options,
        leaseUntil: leaseFrom(options.leaseMs),
        windowFrom: options.mode === 'incremental' ? (last?.startedAt ?? null) : null,
      })
      .returning();
    return run!;
  });
}

/** Records progress and renews the lease; throws RunLost when the run no longer holds it. */
export async function renewRun(
  db: Db,
  runId: string,
  tables: Record<string, TableCounts>,
  leaseMs: number,
): Promise<void> {
  const renewed = await db
    .update(etlRuns)
    .set({ tables, leaseUntil: leaseFrom(leaseMs) })
    .where(and(eq(etlRuns.id, runId), eq(etlRuns.status, 'running')))
    .returning({ id: etlRuns.id });
  if (renewed.length === 0) throw new RunLost(runId);
}

/** Ends a run with its outcome. */
export async function finishRun(
  db: Db,
  runId: string,
  outcome: { status: 'succeeded' | 'failed'; tables: Record<string, TableCounts>; error?: string },
): Promise<RunRow | undefined> {
  const [row] = await db
    .update(etlRuns)
    .set({
      status: outcome.status,
      tables: outcome.tables,
      error: outcome.error ?? null,
      finishedAt: sql`now()`,
      durationMs: sql`(extract(epoch from now() - ${etlRuns.startedAt}) * 1000)::int`,
    })
    .where(and(eq(etlRuns.id, runId), eq(etlRuns.status, 'running')))
    .returning();
  return row;
}

export async function findRun(db: Db, runId: string): Promise<RunRow | undefined> {
  const [row] = await db.select().from(etlRuns).where(eq(etlRuns.id, runId));
  return row;
}

export function latestRuns(db: Db, limit: number): Promise<RunRow[]> {
  return db.select().from(etlRuns).orderBy(desc(etlRuns.startedAt)).limit(limit);
}

export async function lastSucceededRun(db: Db): Promise<RunRow | undefined> {
  const [row] = await db
    .select()
    .from(etlRuns)
    .where(eq(etlRuns.status, 'succeeded'))
    .orderBy(desc(etlRuns.startedAt))
    .limit(1);
  return row;
}
