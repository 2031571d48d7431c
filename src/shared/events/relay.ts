import { and, asc, count, inArray, isNotNull, isNull, lt, min, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { every, type Periodic } from '../time/every.ts';
import type { Envelope, EventMessage } from './envelope.ts';
import { OUTBOX_CHANNEL } from './publish.ts';
import type { OutboxTable } from './tables.ts';
import type { EventTransport } from './transport.ts';

/** Backstop polling of the outbox when no interval is given. */
const DEFAULT_BACKSTOP_MS = 30_000;
/** How often sent rows past their retention are deleted. */
const CLEANUP_EVERY_MS = 15 * 60_000;

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
  private readonly periodic: Periodic[] = [];
  private poll: Periodic | undefined;
  /** Set by a notification: the next run drains at once, without first looking for unsent rows. */
  private woken = true;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly options: RelayOptions) {}

  /** The module whose outbox this relay drains. */
  get module(): string {
    return this.options.module;
  }

  /**
   * Drains now, then whenever a commit NOTIFYs the module's channel; polling every pollMs is
   * only the backstop (a lost notification, a publisher that could not NOTIFY).
   */
  async start(): Promise<void> {
    const { log, module } = this.options;
    this.running = true;
    this.poll = every(this.options.pollMs ?? DEFAULT_BACKSTOP_MS, () => this.run(), log, {
      name: `outbox relay ${module}`,
      immediately: true,
    });
    this.periodic.push(
      this.poll,
      every(CLEANUP_EVERY_MS, () => this.cleanup(), log, { name: `outbox cleanup ${module}` }),
    );
    // A LISTEN re-established after a lost connection may have missed commits: drain then too.
    this.unlisten = await this.options.database.listen(
      OUTBOX_CHANNEL,
      (payload) => {
        if (payload === module) this.wake();
      },
      () => this.wake(),
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.unlisten?.().catch(() => {});
    await Promise.all(this.periodic.splice(0).map((p) => p.stop()));
  }

  /** Runs a drain now, or once more after the current one. */
  wake(): void {
    if (!this.running) return;
    this.woken = true;
    this.poll?.wake();
  }

  /** A scheduled run: a backstop poll only opens a claim when one cheap read finds unsent rows. */
  private async run(): Promise<void> {
    const woken = this.woken;
    this.woken = false;
    if (woken || (await this.hasUnsent())) await this.drain();
  }

  private async hasUnsent(): Promise<boolean> {
    const { outbox, database } = this.options;
    const rows = await database.db.select({ seq: outbox.seq }).from(outbox).where(isNull(outbox.sentAt)).limit(1);
    return rows.length > 0;
  }

  /** The drain under way: drains of one relay run one after another. */
  private draining: Promise<void> = Promise.resolve();

  /**
   * Sends batches until a batch comes back short of the batch size (the outbox is drained of
   * rows this relay may take). A drain asked for while one runs follows it, so it resolves only
   * once what was committed before the call has been delivered (a concurrent drain would skip
   * the rows the running one holds and return early).
   */
  drain(): Promise<void> {
    this.draining = this.draining.then(() => this.drainNow());
    return this.draining;
  }

  private async drainNow(): Promise<void> {
    try {
      while (this.running && (await this.relayBatch()) >= this.batchSize);
    } catch (error) {
      this.options.log.warn(
        { module: this.options.module, err: (error as Error).message },
        'outbox relay failed; will retry',
      );
    }
  }

  private get batchSize(): number {
    return this.options.batchSize ?? 200;
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
      .limit(this.batchSize);
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

  /**
   * One claim (the unsent rows, FOR UPDATE SKIP LOCKED, with an advisory lock per aggregate, in
   * one statement), one send, one update per batch. Returns how many rows were claimed.
   */
  private async relayBatchLocked(): Promise<number> {
    const { outbox, database, module, transport } = this.options;
    return database.db.transaction(async (tx) => {
      const claimed = rowsOf(
        await tx.execute(sql`with claimed as (
            select ${outbox.seq} as seq, ${outbox.aggregateId} as aggregate_id, ${outbox.event} as event,
              ${outbox.envelope} as envelope, ${outbox.payload} as payload
            from ${outbox} where ${outbox.sentAt} is null order by ${outbox.seq} limit ${this.batchSize}
            for update skip locked)
          select seq, aggregate_id, event, envelope, payload,
            pg_try_advisory_xact_lock(hashtext(${`outbox:${module}:`} || aggregate_id)) as locked
          from claimed order by seq`),
      ) as ClaimedRow[];
      const batch = claimed.filter((r) => r.locked);
      if (batch.length > 0) {
        await transport.publish(
          batch.map((r): EventMessage => ({ envelope: json(r.envelope), payload: json(r.payload) })),
        );
        await tx
          .update(outbox)
          .set({ sentAt: new Date() })
          .where(
            inArray(
              outbox.seq,
              batch.map((r) => Number(r.seq)),
            ),
          );
        this.counted(batch);
      }
      return claimed.length;
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
    await database.db.delete(outbox).where(and(isNotNull(outbox.sentAt), lt(outbox.sentAt, before)));
  }
}

interface ClaimedRow {
  seq: string | number;
  aggregate_id: string;
  event: string;
  envelope: unknown;
  payload: unknown;
  locked: boolean;
}

/** A jsonb value as the driver returned it (parsed, or its text). */
function json<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** Rows of a drizzle execute() result on either driver (postgres.js gives an array, PGlite {rows}). */
function rowsOf(result: unknown): unknown[] {
  return Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? []);
}
