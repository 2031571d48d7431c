import type { Counter } from 'prom-client';
import type { Db } from './database.ts';
import type { RecentWriters } from './recent-writers.ts';
import type { Replication } from './replication.ts';

/** Where a read that may be slightly stale runs: a fresh replica, else the primary. */
export interface Reads {
  /** The database for a read by this caller (the primary if they wrote a moment ago). */
  db(caller?: { userId: string }): Db;
}

/** Reads that always go to the one database (no replicas configured). */
export const primaryReads = (db: Db): Reads => ({ db: () => db });

/**
 * Spreads reads over the replicas whose lag is under maxLagMs, round robin; a replica that
 * is down, lagging or of unknown freshness is skipped, and with none left reads go to the
 * primary, as do the reads of a user who wrote within the read-your-writes window.
 */
export class ReplicaReads implements Reads {
  private next = 0;
  private readonly toPrimary: { inc(): void } | undefined;
  private readonly toReplica: ({ inc(): void } | undefined)[];

  constructor(
    private readonly options: {
      primary: Db;
      replicas: Db[];
      replication: Replication;
      maxLagMs: number;
      writers: RecentWriters;
      /** Counts reads by target ("primary", "replica1", …). */
      reads?: Counter<'database' | 'target'>;
      database: string;
    },
  ) {
    const { reads, database } = options;
    this.toPrimary = reads?.labels({ database, target: 'primary' });
    this.toReplica = options.replicas.map((_, i) => reads?.labels({ database, target: `replica${i + 1}` }));
  }

  db(caller?: { userId: string }): Db {
    const { replicas, replication, maxLagMs, writers } = this.options;
    if (!caller || !writers.has(caller.userId)) {
      const now = Date.now();
      for (let tried = 0; tried < replicas.length; tried++) {
        const i = this.next++ % replicas.length;
        const lag = replication.replicaLagMs(i, now);
        if (lag !== undefined && lag <= maxLagMs) {
          this.toReplica[i]?.inc();
          return replicas[i]!;
        }
      }
    }
    this.toPrimary?.inc();
    return this.options.primary;
  }
}
