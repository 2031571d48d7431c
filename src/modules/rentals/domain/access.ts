/** A rental as far as access rules are concerned. */
export interface RentalParties {
  renterId: string;
  ownerId: string;
  status: string;
  periodFrom: Date;
}

/** Who is asking. */
export interface Viewer {
  userId: string;
  role: string;
}

const isAdmin = (viewer: Viewer) => viewer.role === 'admin';

/** Renter, owner and admins see a rental; to anyone else it does not exist. */
export function canSee(rental: RentalParties, viewer: Viewer): boolean {
  return isAdmin(viewer) || viewer.userId === rental.renterId || viewer.userId === rental.ownerId;
}

export type Decision =
  | { ok: true }
  | {
      ok: false;
      reason:
        | 'notParticipant'
        | 'notCancellable'
        | 'notReturnable'
        | 'notHandedOver'
        | 'handoverTooEarly'
        | 'cannotHandOver';
      problem: string;
    };

const isOwnerOrAdmin = (rental: RentalParties, viewer: Viewer) => isAdmin(viewer) || viewer.userId === rental.ownerId;

/**
 * Before the handover (a confirmed rental) the renter may cancel and the owner may decline
 * (an admin may do either); the whole hold, fee and deposit, goes back to the renter. Once
 * handed over, a rental can only be returned.
 */
export function canCancel(rental: RentalParties, viewer: Viewer): Decision {
  if (!canSee(rental, viewer))
    return {
      ok: false,
      reason: 'notParticipant',
      problem: 'Only the renter, the owner or an admin can cancel a rental.',
    };
  if (rental.status === 'active')
    return {
      ok: false,
      reason: 'notCancellable',
      problem: 'The item was handed over; the rental can no longer be cancelled, only returned.',
    };
  if (rental.status !== 'confirmed')
    return {
      ok: false,
      reason: 'notCancellable',
      problem: `The rental is ${rental.status}; only a confirmed rental not yet handed over can be cancelled.`,
    };
  return { ok: true };
}

/** The owner (who hands the item over) or an admin records the pick-up of a confirmed rental, from the start of its period. */
export function canHandOver(rental: RentalParties, viewer: Viewer, now: Date): Decision {
  if (!isOwnerOrAdmin(rental, viewer))
    return {
      ok: false,
      reason: 'notParticipant',
      problem: "Only the item's owner (who hands it over) or an admin can record the handover.",
    };
  if (rental.status !== 'confirmed' && rental.status !== 'active') {
    return {
      ok: false,
      reason: 'cannotHandOver',
      problem: `The rental is ${rental.status}; only a confirmed rental can be handed over.`,
    };
  }
  if (now.getTime() < rental.periodFrom.getTime()) {
    return {
      ok: false,
      reason: 'handoverTooEarly',
      problem: `The rental starts at ${rental.periodFrom.toISOString()}; the item can be handed over from then on.`,
    };
  }
  return { ok: true };
}

/** The owner (who gets the item back) or an admin confirms a return, of a rental that was handed over. */
export function canReturn(rental: RentalParties, viewer: Viewer): Decision {
  if (!isOwnerOrAdmin(rental, viewer)) {
    return {
      ok: false,
      reason: 'notParticipant',
      problem: "Only the item's owner (who takes it back) or an admin can confirm a return.",
    };
  }
  if (rental.status === 'confirmed') {
    return {
      ok: false,
      reason: 'notHandedOver',
      problem: `The item has not been handed over yet (the rental starts at ${rental.periodFrom.toISOString()}); a return comes after the handover.`,
    };
  }
  if (rental.status !== 'active')
    return {
      ok: false,
      reason: 'notReturnable',
      problem: `The rental is ${rental.status}; only an active rental can be returned.`,
    };
  return { ok: true };
}
