import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../../../shared/db/database.ts';
import type { EventMessage } from '../../../shared/events/envelope.ts';
import { bookings } from '../db/schema.ts';
import { bookingAdvances, type BookingState } from '../domain/booking-merge.ts';
import { markApplied } from './projection-state.ts';

/**
 * What the catalog needs from each of rentals' events rentalConfirmed, rentalCompleted and
 * rentalCancelled: which rental, which item, and the period, half-open [from, to) as ISO instants.
 */
export interface RentalPeriodFact {
  rentalId: string;
  itemId: string;
  from: string;
  to: string;
}

/**
 * A rental event moves its booking to `state`: confirmed blocks the item for the period,
 * completed and cancelled free it. Order-tolerant: a booking only moves forward, so a
 * cancellation that overtook its confirmation stays cancelled.
 */
export async function recordBooking(message: EventMessage<RentalPeriodFact>, tx: Tx, state: BookingState): Promise<void> {
  const { rentalId, itemId, from, to } = message.payload;
  const changedAt = new Date(message.envelope.occurredAt);
  await markApplied(tx, message.envelope.occurredAt);
  const inserted = await tx
    .insert(bookings)
    .values({ rentalId, itemId, period: sql`tstzrange(${from}::timestamptz, ${to}::timestamptz, '[)')`, state, changedAt })
    .onConflictDoNothing()
    .returning({ rentalId: bookings.rentalId });
  if (inserted.length > 0) return;
  const [row] = await tx.select({ state: bookings.state }).from(bookings).where(eq(bookings.rentalId, rentalId)).for('update');
  if (row && bookingAdvances(row.state, state)) await tx.update(bookings).set({ state, changedAt }).where(eq(bookings.rentalId, rentalId));
}
