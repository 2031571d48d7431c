import { eq, sql } from 'drizzle-orm';
import type { Database, Db, Tx } from '../../../shared/db/database.ts';
import type { Logger } from '../../../shared/observability/logger.ts';
import { notifications } from '../db/schema.ts';
import { toNotification } from '../views.ts';
import type { LiveFeed } from './live-feed.ts';

/** The PostgreSQL channel on which committed notifications are announced. */
const CHANNEL = 'notifications_live';

/** NOTIFY payloads must stay under 8000 bytes; a larger notification is announced by id and read back. */
const MAX_PAYLOAD = 7_000;

type Notification = ReturnType<typeof toNotification>;

/**
 * Inside the transaction that writes a notification: announces it with NOTIFY, which
 * PostgreSQL delivers only if and when the transaction commits, so nothing rolled back
 * is ever pushed. The notification travels in the payload, so pushing it needs no read.
 */
export async function announceOnCommit(tx: Tx, notification: Notification, origin: string): Promise<void> {
  const whole = JSON.stringify({ id: notification.id, origin, notification });
  const payload = Buffer.byteLength(whole) <= MAX_PAYLOAD ? whole : JSON.stringify({ id: notification.id, origin });
  await tx.execute(sql`select pg_notify(${CHANNEL}, ${payload})`);
}

/**
 * Pushes to the live feed each notification this instance committed (other instances of the
 * module hear the same NOTIFY and leave it to its writer).
 */
export class CommitRelay {
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly options: { database: Database; db: Db; origin: string; live: LiveFeed; log: Logger }) {}

  async start(): Promise<void> {
    this.unlisten = await this.options.database.listen(CHANNEL, (payload) => this.heard(payload));
  }

  async stop(): Promise<void> {
    await this.unlisten?.().catch(() => {});
    this.unlisten = undefined;
  }

  private heard(payload: string): void {
    let announced: { id?: unknown; origin?: unknown; notification?: Notification };
    try {
      announced = JSON.parse(payload) as typeof announced;
    } catch {
      return;
    }
    const { id, origin, notification } = announced;
    if (origin !== this.options.origin || typeof id !== 'string') return;
    const pushed = notification ? this.options.live.publish(notification) : this.push(id);
    pushed.catch((error: Error) =>
      this.options.log.warn({ err: error.message, notificationId: id }, 'live push failed'),
    );
  }

  /** Reads a notification announced by id only, and pushes it. */
  private async push(id: string): Promise<void> {
    const { db, live } = this.options;
    const [row] = await db.select().from(notifications).where(eq(notifications.id, id));
    if (row) await live.publish(toNotification(row));
  }
}
