import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../../shared/db/database.ts';
import { liveTables, projection, stagingTables, type ReadModelTables } from '../db/schema.ts';

/**
 * Records that an event is being applied: bumps the generation (which retires every cached
 * search) and the newest event time. Locks the projection row, so it serializes with a
 * rebuild's swap. Tells whether a rebuild is running and collecting events too.
 */
export async function markApplied(tx: Tx, occurredAt: string): Promise<{ rebuilding: boolean }> {
  const [state] = await tx
    .update(projection)
    .set({
      generation: sql`${projection.generation} + 1`,
      lastEventAt: sql`greatest(${projection.lastEventAt}, ${occurredAt}::timestamptz)`,
    })
    .where(eq(projection.id, 1))
    .returning({
      rebuilding: sql<boolean>`coalesce(${projection.rebuildId} is not null and ${projection.rebuildLeaseUntil} > now(), false)`,
    });
  if (!state) throw new Error('catalog.projection has no state row; migrations did not run');
  return state;
}

/**
 * Applies an event's effect to the live read model and, while a rebuild runs, to its staging
 * copy too, so the rebuild misses nothing that happens while it reads the sources.
 */
export async function applyEvent(
  tx: Tx,
  occurredAt: string,
  effect: (tables: ReadModelTables) => Promise<unknown>,
): Promise<void> {
  const { rebuilding } = await markApplied(tx, occurredAt);
  await effect(liveTables);
  if (rebuilding) await effect(stagingTables);
}

/** The generation searches are cached under. */
export async function currentGeneration(db: Db): Promise<number> {
  const [row] = await db.select({ generation: projection.generation }).from(projection).where(eq(projection.id, 1));
  return row?.generation ?? 0;
}
