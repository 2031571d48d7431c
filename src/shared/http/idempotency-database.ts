import { and, eq, gt, isNull, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { idempotencyKeys as keys } from '../db/platform-schema.ts';
import type { BeginResult, IdempotencyStore, StoredResponse } from './idempotency-store.ts';

/** The database's own clock, so that every process sharing the table agrees on expiry. */
const now = sql`clock_timestamp()`;
const inMs = (ms: number): SQL => sql`clock_timestamp() + ${Math.max(1, Math.ceil(ms))} * interval '1 millisecond'`;

/**
 * Idempotency records in the platform's `idempotency_keys` table (PGlite or PostgreSQL):
 * what a process without Redis uses, so a retry stays safe across restarts and between
 * processes on one database. A claim is one upsert that only takes a free or expired row,
 * so of concurrent begin() calls exactly one is 'started'; leases and retention are
 * `expires_at` on the database clock, and purgeExpired() deletes what has run out.
 */
export class DatabaseIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: Db) {}

  async begin(key: string, fingerprint: string, leaseMs: number): Promise<BeginResult> {
    // A row that expires or is purged between the claim and the read is claimed again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const claimed = await this.db
        .insert(keys)
        .values({ key, fingerprint, response: null, expiresAt: inMs(leaseMs) })
        .onConflictDoUpdate({
          target: keys.key,
          set: { fingerprint, response: null, expiresAt: inMs(leaseMs) },
          setWhere: lte(keys.expiresAt, now),
        })
        .returning({ key: keys.key });
      if (claimed.length > 0) return 'started';
      const [row] = await this.db
        .select({ fingerprint: keys.fingerprint, response: keys.response })
        .from(keys)
        .where(and(eq(keys.key, key), gt(keys.expiresAt, now)));
      if (!row) continue;
      if (row.fingerprint !== fingerprint) return 'mismatch';
      return row.response ? { replay: row.response } : 'in_flight';
    }
    throw new Error('idempotency key could not be claimed (it kept expiring)');
  }

  async complete(key: string, response: StoredResponse, ttlMs: number): Promise<boolean> {
    const stored = await this.db
      .update(keys)
      .set({ response, expiresAt: inMs(ttlMs) })
      .where(and(eq(keys.key, key), isNull(keys.response), gt(keys.expiresAt, now)))
      .returning({ key: keys.key });
    return stored.length > 0;
  }

  async release(key: string): Promise<void> {
    await this.db.delete(keys).where(and(eq(keys.key, key), isNull(keys.response)));
  }

  /** Deletes every record whose lease or retention has run out; returns how many. */
  async purgeExpired(): Promise<number> {
    const purged = await this.db.delete(keys).where(lte(keys.expiresAt, now)).returning({ key: keys.key });
    return purged.length;
  }
}
