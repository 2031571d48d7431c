/** What the rules need to know about an item someone wants to rent. */
export interface RentableItem {
  ownerId: string;
  status: 'listed' | 'unlisted' | 'retired';
}

export type Eligibility =
  | { ok: true }
  | { ok: false; reason: 'ownItem' | 'itemUnavailable' | 'itemUnlisted'; problem: string };

/**
 * Whether a member may ask to rent an item: never their own, never a retired or unlisted one.
 * (Whether it is free for the period is settled by the rentals database.)
 */
export function canRequestRental(renterId: string, item: RentableItem): Eligibility {
  if (item.ownerId === renterId) return { ok: false, reason: 'ownItem', problem: 'You cannot rent your own item.' };
  if (item.status === 'retired')
    return {
      ok: false,
      reason: 'itemUnavailable',
      problem: 'This item has been withdrawn and can no longer be rented.',
    };
  if (item.status === 'unlisted')
    return {
      ok: false,
      reason: 'itemUnlisted',
      problem: 'Its owner has unlisted this item: it takes no new bookings until they list it again.',
    };
  return { ok: true };
}
