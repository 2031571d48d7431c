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

export type Decision = { ok: true } | { ok: false; reason: 'notParticipant' | 'notCancellable' | 'notReturnable'; problem: string };

/** Renter, owner or an admin may call a rental off, once it is set up and before it starts. */
export function canCancel(rental: RentalParties, viewer: Viewer, now: Date): Decision {
  if (!canSee(rental, viewer)) return { ok: false, reason: 'notParticipant', problem: 'Only the renter, the owner or an admin can cancel a rental.' };
  if (rental.status !== 'active') return { ok: false, reason: 'notCancellable', problem: `The rental is ${rental.status}; only an active rental can be cancelled.` };
  if (now.getTime() >= rental.periodFrom.getTime()) {
    return { ok: false, reason: 'notCancellable', problem: `The rental started at ${rental.periodFrom.toISOString()}; it can no longer be cancelled, only returned.` };
  }
  return { ok: true };
}

/** The owner (who gets the item back) or an admin confirms a return, of an active rental. */
export function canReturn(rental: RentalParties, viewer: Viewer): Decision {
  if (!isAdmin(viewer) && viewer.userId !== rental.ownerId) {
    return { ok: false, reason: 'notParticipant', problem: "Only the item's owner (who takes it back) or an admin can confirm a return." };
  }
  if (rental.status !== 'active') return { ok: false, reason: 'notReturnable', problem: `The rental is ${rental.status}; only an active rental can be returned.` };
  return { ok: true };
}
