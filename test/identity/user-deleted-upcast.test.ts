/**
 * Events carry a version: a consumer reads the previous version of an event through the
 * upcasters registered beside the contract (identity.userDeleted v1 → v2 adds deletedAt).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { z } from 'zod';
import { identity } from '../../src/modules/identity/contract.ts';
import { identityEvents } from '../../src/modules/identity/db/schema.ts';
import { identityModule } from '../../src/modules/identity/module.ts';
import { inventory } from '../../src/modules/inventory/contract.ts';
import { inventoryModule } from '../../src/modules/inventory/module.ts';
import { systemContext } from '../../src/shared/bus/context.ts';
import type { Event } from '../../src/shared/bus/contract.ts';
import type { Envelope } from '../../src/shared/events/envelope.ts';
import { createPublisher } from '../../src/shared/events/publish.ts';
import { upcastPayload } from '../../src/shared/events/upcast.ts';
import { eventually } from '../support/eventually.ts';
import { tentListing } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/test-host.ts';

const userDeleted = identity.events.userDeleted as unknown as Event;
/** identity.userDeleted as a process built before v2 declares and publishes it. */
const userDeletedV1: Event = { ...userDeleted, version: 1, payload: z.object({ userId: z.uuid() }), upcasters: {} };

const envelope = (version: number): Envelope => ({
  messageId: randomUUID(),
  event: userDeleted.name,
  version,
  aggregateId: 'u',
  correlationId: 'c',
  causationId: 'c',
  occurredAt: '2026-12-01T10:00:00.000Z',
});

describe('upcasting identity.userDeleted', () => {
  test('a v1 payload is upcast to v2 (deletedAt from its envelope) and parses as v2', () => {
    const userId = randomUUID();
    const upcast = upcastPayload(userDeleted, { envelope: envelope(1), payload: { userId } });
    assert.deepEqual(userDeleted.payload.parse(upcast), { userId, deletedAt: '2026-12-01T10:00:00.000Z' });
    // The current version passes unchanged; without the upcast a v1 payload fails the v2 schema.
    const v2 = { userId, deletedAt: '2026-12-02T00:00:00.000Z' };
    assert.deepEqual(upcastPayload(userDeleted, { envelope: envelope(2), payload: v2 }), v2);
    assert.equal(userDeleted.payload.safeParse({ userId }).success, false);
  });

  test('a version newer than the consumer knows, or one without an upcaster, is refused (then dead-lettered)', () => {
    assert.throws(
      () => upcastPayload(userDeleted, { envelope: envelope(3), payload: {} }),
      /identity\.userDeleted v3 is newer than the v2 this process reads/,
    );
    assert.throws(
      () => upcastPayload({ ...userDeleted, upcasters: {} }, { envelope: envelope(1), payload: {} }),
      /has no upcaster from v1/,
    );
  });

  describe('through the outbox, relay and inbox', () => {
    let host: TestHost;
    let sql: postgres.Sql;
    before(async () => {
      host = await startTestHost([identityModule, inventoryModule]);
      sql = postgres(host.databaseUrl, { max: 1, onnotice: () => {} });
    });
    after(async () => {
      await sql?.end();
      await host?.stop();
    });

    test('a v1 userDeleted published by an old identity process is consumed by inventory: the owner’s items retire', async () => {
      const owner = randomUUID();
      const bus = host.platform.bus;
      const item = await bus.call(
        inventory.ops.createItem,
        tentListing,
        systemContext({ caller: { userId: owner, role: 'member' } }),
      );
      const oldPublish = createPublisher(identityEvents.outbox, 'identity');
      const db = drizzle({ client: sql });
      const sent = await db.transaction((tx) =>
        oldPublish(tx as never, userDeletedV1, { userId: owner }, { aggregateId: owner }),
      );
      assert.equal(sent.version, 1);
      const retired = await eventually('inventory to retire the deleted owner’s item', async () => {
        const now = await bus.call(inventory.ops.getItem, { id: item.id }, systemContext());
        return now.status === 'retired' ? now : undefined;
      });
      assert.equal(retired.version, item.version + 1);
      const [applied] = await sql<{ n: number }[]>`
        select count(*)::int as n from inventory.inbox where consumer = 'inventory.retireOwnerItems' and message_id = ${sent.messageId}`;
      assert.equal(applied?.n, 1, 'applied once, through the inbox');
    });
  });
});
