import type { Tx } from '../../../shared/db/database.ts';
import type { EventMessage } from '../../../shared/events/envelope.ts';
import type { NotificationsDeps } from '../deps.ts';
import { rentalNotices, type RentalFacts, type RentalKind } from '../domain/templates.ts';
import { useTitle, type FoundTitle } from '../store/item-titles.ts';
import { recordNotification } from '../store/record-notification.ts';

/** rentals.rentalConfirmed, rentalCompleted and rentalCancelled: tells the item's owner and its renter. */
export async function notifyRental(
  message: EventMessage<RentalFacts>,
  tx: Tx,
  deps: NotificationsDeps,
  kind: RentalKind,
  found: FoundTitle | undefined,
): Promise<void> {
  const title = await useTitle(tx, found);
  for (const draft of rentalNotices(kind, message.payload, title, new Date(message.envelope.occurredAt))) {
    await recordNotification(tx, deps, message.envelope, draft);
  }
}
