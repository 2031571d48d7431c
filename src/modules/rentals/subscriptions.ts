import { and, eq, or, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../shared/db/database.ts';
import { on, type SubscriptionSpec } from '../../shared/events/subscription.ts';
import { identity } from '../identity/contract.ts';
import { inventory } from '../inventory/contract.ts';
import { rentalsTable } from './db/schema.ts';

/**
 * Calls off the rentals a condition picks that are not handed over yet (confirmed), with a full
 * refund. In the inbox's transaction they only turn compensating with their lease run out; the
 * recovery worker then voids the hold and cancels them, as for any interrupted saga. A rental
 * already handed over (active) is left alone: it is returned and settled as usual.
 */
function callOffRentals(tx: Tx, which: SQL | undefined, why: string) {
  return tx
    .update(rentalsTable)
    .set({
      status: 'compensating',
      failureCode: 'rentals.cancelled',
      failureDetail: `${why}; fee and deposit refunded in full.`,
      leaseToken: null,
      leaseExpiresAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(and(which, eq(rentalsTable.status, 'confirmed')));
}

/** rentals' reactions to other modules' events. Consumer names are durable (inbox rows, stream groups): never rename one. */
export function rentalsSubscriptions(): SubscriptionSpec[] {
  return [
    // A user was deleted: their rentals not handed over yet, as renter or owner, are called off with a full refund.
    on(identity.events.userDeleted, 'cancelDeletedUsersRentals', async (message, tx) => {
      const { userId } = message.payload;
      await callOffRentals(
        tx,
        or(eq(rentalsTable.renterId, userId), eq(rentalsTable.ownerId, userId)),
        'Cancelled because a party deleted their account',
      );
    }),
    // An item was retired: its bookings not handed over yet are called off with a full refund (unlisting cancels nothing).
    on(inventory.events.itemStatusChanged, 'cancelRetiredItemsRentals', async (message, tx) => {
      if (message.payload.to !== 'retired') return;
      await callOffRentals(
        tx,
        eq(rentalsTable.itemId, message.payload.itemId),
        'Cancelled because the item was retired',
      );
    }),
  ];
}
