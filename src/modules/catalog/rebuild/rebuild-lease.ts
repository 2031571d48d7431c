import { randomUUID } from 'node:crypto';
import { and, eq, getTableColumns, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../../shared/db/database.ts';
import { bookings, bookingsRebuild, items, itemsRebuild, owners, ownersRebuild, projection } from '../db/schema.ts';

/** How long a rebuild may go without renewing its claim before another may take over. */
const LEASE = sql`now() + interval '2 minutes'`;

export type RebuildPhase = 'items' | 'owners' | 'bookings' | 'swap';
export interface RebuildCounts {
  items: number;
  owners: number;
  bookings: number;
}

/** The rebuild no longer holds the projection (its lease lapsed and another took over). */
export class RebuildLost extends Error {
  constructor(rebuildId: string) {
    super(`rebuild ${rebuildId} lost its lease`);
    this.name = 'RebuildLost';
  }
}

/**
 * Claims the projection for a new rebuild, unless one holds a live lease, and empties the
 * staging tables. From this commit on, every applied event also goes to staging.
 */
export async function claimRebuild(db: Db): Promise<{ rebuildId: string; startedAt: Date } | undefined> {
  const rebuildId = randomUUID();
  return db.transaction(async (tx) => {
    const [claimed] = await tx
      .update(projection)
      .set({
        rebuildId,
        rebuildLeaseUntil: LEASE,
        rebuildStartedAt: sql`now()`,
        rebuildProgress: { phase: 'items', items: 0, owners: 0, bookings: 0 },
      })
      .where(and(eq(projection.id, 1), or(isNull(projection.rebuildId), lt(projection.rebuildLeaseUntil, sql`now()`))))
      .returning({ startedAt: projection.rebuildStartedAt });
    if (!claimed) return undefined;
    await tx.delete(itemsRebuild);
    await tx.delete(ownersRebuild);
    await tx.delete(bookingsRebuild);
    return { rebuildId, startedAt: claimed.startedAt! };
  });
}

/** Renews the claim and records progress; throws RebuildLost when the claim is gone. */
export async function renewLease(db: Db, rebuildId: string, phase: RebuildPhase, counts: RebuildCounts): Promise<void> {
  const renewed = await db
    .update(projection)
    .set({ rebuildLeaseUntil: LEASE, rebuildProgress: { phase, ...counts } })
    .where(and(eq(projection.id, 1), eq(projection.rebuildId, rebuildId)))
    .returning({ id: projection.id });
  if (renewed.length === 0) throw new RebuildLost(rebuildId);
}

const columnList = (table: typeof itemsRebuild | typeof bookingsRebuild) =>
  sql.raw(
    Object.values(getTableColumns(table))
      .map((c) => `"${c.name}"`)
      .join(', '),
  );
const itemColumnList = columnList(itemsRebuild);
const bookingColumnList = columnList(bookingsRebuild);

/**
 * Replaces the live read model with the staged one in one transaction: readers see the old
 * catalog until the commit and the new one after, never an empty one. Owners the rebuild asked
 * identity about replace theirs; owners of no item (which it cannot know of) stay as events
 * left them. Bookings are replaced by the ones rentals listed (and events applied meanwhile).
 */
export async function swapIn(db: Db, rebuildId: string, startedAt: Date): Promise<RebuildCounts> {
  return db.transaction(async (tx) => {
    const [state] = await tx
      .select({ rebuildId: projection.rebuildId, live: sql<boolean>`${projection.rebuildLeaseUntil} > now()` })
      .from(projection)
      .where(eq(projection.id, 1))
      .for('update');
    // A lapsed lease means events may have stopped reaching staging: the staged copy is not trusted.
    if (state?.rebuildId !== rebuildId || !state.live) throw new RebuildLost(rebuildId);
    await tx.execute(sql`insert into ${owners} (user_id, display_name, changed_at, deleted)
      select user_id, display_name, changed_at, deleted from ${ownersRebuild}
      on conflict (user_id) do update set display_name = excluded.display_name, changed_at = excluded.changed_at, deleted = excluded.deleted`);
    await tx.delete(items);
    await tx.execute(sql`insert into ${items} (${itemColumnList}) select ${itemColumnList} from ${itemsRebuild}`);
    await tx.execute(sql`update ${items} set owner_name = o.display_name from ${owners} o
      where o.user_id = ${items.ownerId} and ${items.ownerName} is distinct from o.display_name`);
    const [counted] = await tx
      .select({ items: sql<number>`count(*) filter (where ${itemsRebuild.listedAt} is not null)`.mapWith(Number) })
      .from(itemsRebuild);
    await tx.delete(bookings);
    await tx.execute(
      sql`insert into ${bookings} (${bookingColumnList}) select ${bookingColumnList} from ${bookingsRebuild}`,
    );
    const [ownerCount] = await tx.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(ownersRebuild);
    const [bookingCount] = await tx.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(bookingsRebuild);
    const counts = { items: counted?.items ?? 0, owners: ownerCount?.n ?? 0, bookings: bookingCount?.n ?? 0 };
    await tx.delete(itemsRebuild);
    await tx.delete(ownersRebuild);
    await tx.delete(bookingsRebuild);
    await tx
      .update(projection)
      .set({
        generation: sql`${projection.generation} + 1`,
        rebuildId: null,
        rebuildLeaseUntil: null,
        rebuildStartedAt: null,
        rebuildProgress: null,
        lastRebuild: {
          rebuildId,
          outcome: 'completed',
          startedAt: startedAt.toISOString(),
          finishedAt: new Date().toISOString(),
          ...counts,
        },
      })
      .where(eq(projection.id, 1));
    return counts;
  });
}

/** Records a failed rebuild and releases its claim, unless another rebuild already took over. */
export async function recordFailure(
  db: Db,
  rebuildId: string,
  startedAt: Date,
  counts: RebuildCounts,
  error: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    const released = await tx
      .update(projection)
      .set({
        rebuildId: null,
        rebuildLeaseUntil: null,
        rebuildStartedAt: null,
        rebuildProgress: null,
        lastRebuild: {
          rebuildId,
          outcome: 'failed',
          startedAt: startedAt.toISOString(),
          finishedAt: new Date().toISOString(),
          ...counts,
          error,
        },
      })
      .where(and(eq(projection.id, 1), eq(projection.rebuildId, rebuildId)))
      .returning({ id: projection.id });
    if (released.length === 0) return;
    await tx.delete(itemsRebuild);
    await tx.delete(ownersRebuild);
    await tx.delete(bookingsRebuild);
  });
}
