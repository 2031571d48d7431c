import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../../../shared/db/database.ts';
import type { BookingsTable } from '../db/schema.ts';
import { bookingAdvances, type BookingFact } from '../domain/booking-merge.ts';

/**
 * Applies a fact about a rental's booking to one copy of the read model: the booking is
 * created, or moved forward (see bookingAdvances). Returns whether anything changed.
 */
export async function applyBookingFact(tx: Tx, bookings: BookingsTable, fact: BookingFact): Promise<boolean> {
  const { rentalId, itemId, from, to, state, at } = fact;
  const inserted = await tx
    .insert(bookings)
    .values({
      rentalId,
      itemId,
      period: sql`tstzrange(${from}::timestamptz, ${to}::timestamptz, '[)')`,
      state,
      changedAt: at,
    })
    .onConflictDoNothing()
    .returning({ rentalId: bookings.rentalId });
  if (inserted.length > 0) return true;
  const [row] = await tx
    .select({ state: bookings.state })
    .from(bookings)
    .where(eq(bookings.rentalId, rentalId))
    .for('update');
  if (!row || !bookingAdvances(row.state, state)) return false;
  await tx.update(bookings).set({ state, changedAt: at }).where(eq(bookings.rentalId, rentalId));
  return true;
}
