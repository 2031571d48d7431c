/** What the rules need to know about an item someone wants to rent. */
export interface RentableItem {
  ownerId: string;
  status: 'available' | 'reserved' | 'in_use' | 'retired';
}

export type Eligibility = { ok: true } | { ok: false; reason: 'ownItem' | 'itemUnavailable'; problem: string };

/**
 * Whether a member may ask to rent an item: never their own, never a retired one. (Whether
 * it is free for the period is settled by the rentals database and by reserving it.)
 */
export function canRequestRental(renterId: string, item: RentableItem): Eligibility {
  if (item.ownerId === renterId) return { ok: false, reason: 'ownItem', problem: 'You cannot rent your own item.' };
  if (item.status === 'retired')
    return {
      ok: false,
      reason: 'itemUnavailable',
      problem: 'This item has been withdrawn and can no longer be rented.',
    };
  return { ok: true };
}
