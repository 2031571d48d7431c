import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { startTestHost, type TestHost } from '../../../../test/support/test-host.ts';
import { createLogger } from '../../../shared/observability/logger.ts';
import type { Database } from '../../../shared/db/database.ts';
import { notifications } from '../db/schema.ts';
import { toNotification } from '../views.ts';
import { notificationsModule } from '../module.ts';
import { announceOnCommit, CommitRelay } from './commit-relay.ts';
import type { LiveFeed, Notification } from './live-feed.ts';

const ORIGIN = `test-${randomUUID()}`;

let host: TestHost;
let database: Database;
let relay: CommitRelay;
const pushed: Notification[] = [];
/** A feed that keeps what the relay pushes (the feeds themselves are tested with Redis elsewhere). */
const feed: LiveFeed = {
  publish: async (n) => void pushed.push(n),
  subscribe: async () => async () => {},
};

before(async () => {
  host = await startTestHost([notificationsModule]);
  database = await host.platform.database('notifications');
  relay = new CommitRelay({
    database,
    db: database.db,
    origin: ORIGIN,
    live: feed,
    log: createLogger({ level: 'silent', pretty: false, name: 'test' }),
  });
  await relay.start();
});
after(async () => {
  await relay?.stop();
  await host?.stop();
});

/** Writes a notification and announces it in one transaction, as a consumer does; rolls back when asked. */
async function write(body: string, rollback = false): Promise<Notification> {
  let written: Notification | undefined;
  await database.db
    .transaction(async (tx) => {
      const [row] = await tx
        .insert(notifications)
        .values({
          id: randomUUID(),
          userId: randomUUID(),
          kind: 'welcome',
          title: 'Hello',
          body,
          data: {},
          sourceMessageId: randomUUID(),
        })
        .returning();
      written = toNotification(row!);
      await announceOnCommit(tx, written, ORIGIN);
      if (rollback) throw new Error('roll back');
    })
    .catch((error: Error) => {
      if (!rollback) throw error;
    });
  return written!;
}

async function pushedOf(id: string): Promise<Notification | undefined> {
  for (let i = 0; i < 100; i++) {
    const found = pushed.find((n) => n.id === id);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

test('a committed notification is pushed as written, carried in the NOTIFY payload', async () => {
  const written = await write('Welcome aboard.');
  assert.deepEqual(await pushedOf(written.id), written);
});

test('one too large for a NOTIFY payload is announced by id and read back whole', async () => {
  const written = await write('x'.repeat(12_000));
  assert.deepEqual(await pushedOf(written.id), written);
});

test('a rolled-back notification is never pushed', async () => {
  const written = await write('Never sent.', true);
  const control = await write('Sent after it.');
  assert.ok(await pushedOf(control.id), 'the control notification was pushed');
  assert.equal(
    pushed.find((n) => n.id === written.id),
    undefined,
  );
});
