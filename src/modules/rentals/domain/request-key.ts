import type { Period } from './period.ts';

/** What a rental request asks for: an item and a period. */
export interface RentalRequest {
  itemId: string;
  from: string | Date;
  to: string | Date;
}

/**
 * Whether a retry under a request key asks for what the rental first requested under that
 * key did: the same item and the same instants (in whatever notation). Anything else reuses
 * the key for another request.
 */
export function isSameRequest(rental: { itemId: string } & Period, request: RentalRequest): boolean {
  return (
    rental.itemId === request.itemId &&
    rental.from.getTime() === new Date(request.from).getTime() &&
    rental.to.getTime() === new Date(request.to).getTime()
  );
}
