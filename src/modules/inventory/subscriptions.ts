import { and, eq, ne, sql } from 'drizzle-orm';
import { systemContext } from '../../shared/bus/context.ts';
import { on, type SubscriptionSpec } from '../../shared/events/subscription.ts';
import { identity } from '../identity/contract.ts';
import { items } from './db/schema.ts';
import type { InventoryDeps } from './deps.ts';
import { rememberItem } from './handlers/item-cache.ts';
import { recordChange } from './handlers/record-change.ts';

/**
 * inventory's reactions to other modules' events. Consumer names are durable (inbox rows, stream groups): never rename one.
 * (rentals.rentalCompleted → returnItem is gone: rentals keep their bookings in their own calendar and no longer hold items.)
 */
export function inventorySubscriptions(deps: InventoryDeps): SubscriptionSpec[] {
  return [
    // A user was deleted: their items are retired (still readable, never rentable again), in the inbox's transaction.
    on(identity.events.userDeleted, 'retireOwnerItems', async (message, tx) => {
      const ctx = systemContext();
      const listed = await tx
        .select()
        .from(items)
        .where(and(eq(items.ownerId, message.payload.userId), ne(items.status, 'retired')))
        .for('update');
      for (const before of listed) {
        const [after] = await tx
          .update(items)
          .set({ status: 'retired', version: sql`${items.version} + 1`, updatedAt: sql`now()` })
          .where(eq(items.id, before.id))
          .returning();
        await recordChange(tx, deps, ctx, after!, {
          type: 'status_changed',
          data: { from: before.status, to: 'retired', reservationId: null },
        });
        // Written through at once: a rolled-back retirement heals when the cached item expires.
        await rememberItem(deps, after!);
      }
    }),
  ];
}
