import { and, eq, inArray, or, sql } from 'drizzle-orm';
import { on, type SubscriptionSpec } from '../../shared/events/subscription.ts';
import { identity } from '../identity/contract.ts';
import { rentalsTable } from './db/schema.ts';

/** rentals' reactions to other modules' events. Consumer names are durable (inbox rows, stream groups): never rename one. */
export function rentalsSubscriptions(): SubscriptionSpec[] {
  return [
    // A user was deleted: their rentals not handed over yet, as renter or owner, are called off with a full refund. In the
    // inbox's transaction they only turn compensating with their lease run out; the recovery worker then voids the hold and
    // cancels them, as for any interrupted saga.
    on(identity.events.userDeleted, 'cancelDeletedUsersRentals', async (message, tx) => {
      const { userId } = message.payload;
      await tx
        .update(rentalsTable)
        .set({
          status: 'compensating',
          failureCode: 'rentals.cancelled',
          failureDetail: 'Cancelled because a party deleted their account; fee and deposit refunded in full.',
          leaseToken: null,
          leaseExpiresAt: sql`now()`,
          updatedAt: sql`now()`,
        })
        .where(
          and(
            or(eq(rentalsTable.renterId, userId), eq(rentalsTable.ownerId, userId)),
            inArray(rentalsTable.status, ['confirmed']),
          ),
        );
    }),
  ];
}
