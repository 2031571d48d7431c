import type { z } from 'zod';
import type { Tx } from '../../../shared/db/database.ts';
import type { EventMessage } from '../../../shared/events/envelope.ts';
import { listingStatusOf, type inventory } from '../../inventory/contract.ts';
import { applyItemFact } from './item-store.ts';
import { applyEvent } from './projection-state.ts';

type ItemStatusChanged = z.output<typeof inventory.events.itemStatusChanged.payload>;

/** inventory.itemStatusChanged: the item's listing status at its new version (older availability moves read as listed). */
export async function projectItemStatus(message: EventMessage<ItemStatusChanged>, tx: Tx): Promise<void> {
  const { itemId, ownerId, version, to } = message.payload;
  const fact = {
    itemId,
    ownerId,
    version,
    occurredAt: new Date(message.envelope.occurredAt),
    values: { status: listingStatusOf(to) },
  };
  await applyEvent(tx, message.envelope.occurredAt, (tables) => applyItemFact(tx, tables, fact));
}
