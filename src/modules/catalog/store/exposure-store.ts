import { sql } from 'drizzle-orm';
import type { Db } from '../../../shared/db/database.ts';
import { experimentExposures } from '../db/schema.ts';

/** Exposures already written by this process: a repeat search skips the database. */
const MEMO_LIMIT = 50_000;

/**
 * Records that a user was shown a variant of a flag, once per user and flag (the first
 * exposure wins; a later variant after a flag edit is not recorded over it).
 */
export function exposureRecorder(db: Db) {
  const written = new Set<string>();
  return async function recordExposure(userId: string, flag: string, variant: string): Promise<void> {
    const key = `${userId}|${flag}`;
    if (written.has(key)) return;
    await db.insert(experimentExposures).values({ userId, flag, variant }).onConflictDoNothing();
    if (written.size >= MEMO_LIMIT) written.clear();
    written.add(key);
  };
}

export type RecordExposure = ReturnType<typeof exposureRecorder>;

// change_xid is kept by migration 0002_experiment_exposures, outside the drizzle schema.
export const exposureChangeXid = sql`${experimentExposures}.change_xid`;
