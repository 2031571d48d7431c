import type { Tx } from '../../../shared/db/database.ts';
import type { EventMessage } from '../../../shared/events/envelope.ts';
import type { BookingState } from '../domain/booking-merge.ts';
import { applyBookingFact } from './booking-store.ts';
import { applyEvent } from './projection-state.ts';

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
export async function recordBooking(
  message: EventMessage<RentalPeriodFact>,
  tx: Tx,
  state: BookingState,
): Promise<void> {
  const { rentalId, itemId, from, to } = message.payload;
  const fact = { rentalId, itemId, from, to, state, at: new Date(message.envelope.occurredAt) };
  await applyEvent(tx, message.envelope.occurredAt, (tables) => applyBookingFact(tx, tables.bookings, fact));
}
