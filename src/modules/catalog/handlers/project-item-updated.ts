import type { z } from 'zod';
import type { Tx } from '../../../shared/db/database.ts';
import type { EventMessage } from '../../../shared/events/envelope.ts';
import type { inventory } from '../../inventory/contract.ts';
import type { FieldValues } from '../domain/item-merge.ts';
import { applyItemFact } from './item-store.ts';
import { applyEvent } from './projection-state.ts';

type ItemUpdated = z.output<typeof inventory.events.itemUpdated.payload>;

/** inventory.itemUpdated: the listing fields that changed, at the item's new version. */
export async function projectItemUpdated(message: EventMessage<ItemUpdated>, tx: Tx): Promise<void> {
  const { itemId, ownerId, version, changes } = message.payload;
  const values: Partial<FieldValues> = {};
  for (const [field, value] of Object.entries(changes))
    if (value !== undefined) Object.assign(values, { [field]: value });
  const fact = { itemId, ownerId, version, occurredAt: new Date(message.envelope.occurredAt), values };
  await applyEvent(tx, message.envelope.occurredAt, (tables) => applyItemFact(tx, tables, fact));
}
