import { and, asc, count, inArray, isNotNull, isNull, lt, min, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Envelope, EventMessage } from './envelope.ts';
import { OUTBOX_CHANNEL } from './publish.ts';
import type { OutboxTable } from './tables.ts';
import type { EventTransport } from './transport.ts';

export interface RelayOptions {
  module: string;
  database: Database;
  outbox: OutboxTable;
  transport: EventTransport;
  log: Logger;
  metrics: Metrics;
  /** Backstop polling interval; LISTEN/NOTIFY wakes the relay at once on commit. */
  pollMs?: number;
  batchSize?: number;
  /** Sent rows older than this are deleted by the cleanup schedule. */
  retentionMs?: number;
}

/**
 * Moves a module's committed outbox rows to the event transport, at least once and in order
 * per aggregate. Several relays may run: rows are claimed FOR UPDATE SKIP LOCKED, and an
 * advisory lock per aggregate keeps one relay at a time on an aggregate, so a later event of
 * an aggregate is never sent while an earlier one is in another relay's hands.
 */
export class OutboxRelay {
  private running = false;
  private draining: Promise<void> | undefined;
  private again = false;
  private timers: NodeJS.Timeout[] = [];
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly options: RelayOptions) {}

  /** The module whose outbox this relay drains. */
  get module(): string {
    return this.options.module;
  }

  async start(): Promise<void> {
    this.running = true;
    this.unlisten = await this.options.database.listen(OUTBOX_CHANNEL, (payload) => {
      if (payload === this.options.module) this.wake();
    });
    this.timers.push(setInterval(() => this.wake(), this.options.pollMs ?? 1000));
    this.timers.push(setInterval(() => void this.cleanup(), 60_000));
    for (const timer of this.timers) timer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.timers) clearInterval(timer);
    await this.unlisten?.().catch(() => {});
    await this.draining;
  }

  /** Runs a drain now, or once more after the current one. */
  wake(): void {
    if (!this.running) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Sends batches until the outbox is empty (of rows this relay may take). */
  async drain(): Promise<void> {
    try {
      while (this.running && (await this.relayBatch()) > 0);
    } catch (error) {
      this.options.log.warn(
        { module: this.options.module, err: (error as Error).message },
        'outbox relay failed; will retry',
      );
    }
  }

  private async relayBatch(): Promise<number> {
    return this.options.database.driver === 'pglite' ? this.relayBatchSingleSession() : this.relayBatchLocked();
  }

  /**
   * Embedded PGlite has one session and one process: holding the claim transaction while
   * in-process subscribers run their own transactions would deadlock it. Its single relay
   * (drains never overlap) sends first, then marks sent: still at least once, still in order.
   */
  private async relayBatchSingleSession(): Promise<number> {
    const { outbox, database, transport } = this.options;
    const rows = await database.db
      .select()
      .from(outbox)
      .where(isNull(outbox.sentAt))
      .orderBy(asc(outbox.seq))
      .limit(this.options.batchSize ?? 200);
    if (rows.length === 0) return 0;
    await transport.publish(rows.map((r): EventMessage => ({ envelope: r.envelope as Envelope, payload: r.payload })));
    await database.db
      .update(outbox)
      .set({ sentAt: new Date() })
      .where(
        inArray(
          outbox.seq,
          rows.map((r) => r.seq),
        ),
      );
    this.counted(rows);
    return rows.length;
  }

  private async relayBatchLocked(): Promise<number> {
    const { outbox, database, module, transport } = this.options;
    const limit = this.options.batchSize ?? 200;
    return database.db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(outbox)
        .where(isNull(outbox.sentAt))
        .orderBy(asc(outbox.seq))
        .limit(limit)
        .for('update', { skipLocked: true });
      if (rows.length === 0) return 0;
      const aggregates = [...new Set(rows.map((r) => r.aggregateId))];
      const values = sql.join(
        aggregates.map((a) => sql`(${a})`),
        sql`, `,
      );
      const locks = await tx.execute(
        sql`select v.a as aggregate, pg_try_advisory_xact_lock(hashtext(${`outbox:${module}:`} || v.a)) as locked from (values ${values}) as v(a)`,
      );
      const mine = new Set(
        (rowsOf(locks) as { aggregate: string; locked: boolean }[]).filter((l) => l.locked).map((l) => l.aggregate),
      );
      const batch = rows.filter((r) => mine.has(r.aggregateId));
      if (batch.length === 0) return 0;
      await transport.publish(
        batch.map((r): EventMessage => ({ envelope: r.envelope as Envelope, payload: r.payload })),
      );
      await tx
        .update(outbox)
        .set({ sentAt: new Date() })
        .where(
          inArray(
            outbox.seq,
            batch.map((r) => r.seq),
          ),
        );
      this.counted(batch);
      return batch.length;
    });
  }

  /** Rows not yet relayed, by event: how many and when the oldest was committed. */
  async backlog(): Promise<{ event: string; rows: number; oldest: Date | null }[]> {
    const { outbox, database } = this.options;
    const rows = await database.db
      .select({ event: outbox.event, rows: count(), oldest: min(outbox.createdAt) })
      .from(outbox)
      .where(isNull(outbox.sentAt))
      .groupBy(outbox.event);
    return rows.map((r) => ({ event: r.event, rows: Number(r.rows), oldest: r.oldest ? new Date(r.oldest) : null }));
  }

  private counted(rows: { event: string }[]): void {
    const { metrics, module } = this.options;
    metrics.outboxPublished.inc({ module }, rows.length);
    for (const row of rows) metrics.eventsPublished.inc({ event: row.event });
  }

  /** Deletes rows sent longer ago than the retention. */
  async cleanup(): Promise<void> {
    const { outbox, database } = this.options;
    const before = new Date(Date.now() - (this.options.retentionMs ?? 24 * 3600_000));
    await database.db
      .delete(outbox)
      .where(and(isNotNull(outbox.sentAt), lt(outbox.sentAt, before)))
      .catch(() => {});
  }
}

/** Rows of a drizzle execute() result on either driver (postgres.js gives an array, PGlite {rows}). */
function rowsOf(result: unknown): unknown[] {
  return Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? []);
}
