import { systemContext } from '../../shared/bus/context.ts';
import { on, type SubscriptionSpec } from '../../shared/events/subscription.ts';
import { rentals } from '../rentals/contract.ts';
import type { InventoryDeps } from './deps.ts';
import { moveItem } from './handlers/move-item.ts';

/** inventory's reactions to other modules' events. Consumer names are durable (inbox rows, stream groups): never rename one. */
export function inventorySubscriptions(deps: InventoryDeps): SubscriptionSpec[] {
  return [
    // A rental was returned and settled: its item is available again. markReturned is idempotent (a no-op once the
    // rental no longer holds the item), so the move commits in its own transaction and a redelivery changes nothing.
    on(rentals.events.rentalCompleted, 'returnItem', async (message) => {
      const { itemId, rentalId } = message.payload;
      await moveItem({ ...systemContext(), deps }, { id: itemId, action: 'markReturned', reservationId: rentalId });
    }),
  ];
}
