import type { z } from 'zod';
import type { rentalStatusSchema } from '../../rentals/contract.ts';

/** Where a rental's booking of an item stands. */
export type BookingState = 'confirmed' | 'completed' | 'cancelled';

/** What the catalog learns of a rental's booking, from an event or from rentals' list. */
export interface BookingFact {
  rentalId: string;
  itemId: string;
  /** Half-open [from, to), ISO instants. */
  from: string;
  to: string;
  state: BookingState;
  /** When the rental reached this state, or when rentals was asked. */
  at: Date;
}

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

/**
 * The booking of a rental that was once confirmed, from its status now: it blocks its period
 * until the rental is completed or cancelled (also while a confirmed rental is being undone).
 */
export function bookingStateOf(status: z.output<typeof rentalStatusSchema>): BookingState {
  if (status === 'completed') return 'completed';
  if (status === 'cancelled') return 'cancelled';
  return 'confirmed';
}
