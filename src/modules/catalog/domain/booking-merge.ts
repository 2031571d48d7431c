/** Where a rental's booking of an item stands. */
export type BookingState = 'confirmed' | 'completed' | 'cancelled';

/** A booked period, half-open [from, to). */
export interface Period {
  from: Date;
  to: Date;
}

const rank: Record<BookingState, number> = { confirmed: 1, completed: 2, cancelled: 2 };

/**
 * Whether a rental event moves its booking: a booking only moves forward (confirmed, then
 * completed or cancelled, both final), so an event overtaken by a later one changes nothing.
 */
export function bookingAdvances(current: BookingState | undefined, next: BookingState): boolean {
  return current === undefined || rank[next] > rank[current];
}

/** Only a confirmed booking keeps others from renting the item in its period. */
export function blocksPeriod(state: BookingState): boolean {
  return state === 'confirmed';
}
