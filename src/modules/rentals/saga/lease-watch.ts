import { asc, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../../shared/db/database.ts';
import { rentalsTable } from '../db/schema.ts';
import { UNFINISHED_STATUSES } from '../domain/saga.ts';

/** The channel a released saga lease is announced on, so recovery takes the saga over at once. */
export const LEASE_RELEASED_CHANNEL = 'shareloop_saga_lease';

/** Unfinished sagas as recovery sees them: those nobody drives, and when the next lease runs out. */
export interface LeaseWatch {
  /** Unfinished sagas whose lease ran out (or was never taken), oldest lease first. */
  stalled: string[];
  /** Ms until the first lease still held runs out (database clock), if any; undefined with more stalled than read. */
  nextExpiryInMs: number | undefined;
}

/** One read: the stalled sagas and, among the leased ones, the lease that runs out first. */
export async function watchLeases(db: Db, limit: number, skip: { has(id: string): boolean }): Promise<LeaseWatch> {
  const rows = await db
    .select({
      id: rentalsTable.id,
      dueInMs: sql<number | null>`(extract(epoch from (${rentalsTable.leaseExpiresAt} - now())) * 1000)::float8`,
    })
    .from(rentalsTable)
    .where(inArray(rentalsTable.status, [...UNFINISHED_STATUSES]))
    .orderBy(sql`${asc(rentalsTable.leaseExpiresAt)} nulls first`)
    .limit(limit);
  const stalled = rows.filter((r) => r.dueInMs === null || Number(r.dueInMs) < 0).map((r) => r.id);
  const held = rows.find((r) => r.dueInMs !== null && Number(r.dueInMs) >= 0 && !skip.has(r.id));
  return { stalled, nextExpiryInMs: held ? Number(held.dueInMs) : undefined };
}
