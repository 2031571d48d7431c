import type { z } from 'zod';
import type { Tx } from '../../../shared/db/database.ts';
import type { EventMessage } from '../../../shared/events/envelope.ts';
import type { inventory } from '../../inventory/contract.ts';
import { rememberItemTitle } from '../store/item-titles.ts';

type ItemUpdated = z.output<typeof inventory.events.itemUpdated.payload>;

/** inventory.itemUpdated: keeps an item's title current for later notifications. */
export async function trackItemTitle(message: EventMessage<ItemUpdated>, tx: Tx): Promise<void> {
  const { itemId, version, changes } = message.payload;
  if (changes.title !== undefined) await rememberItemTitle(tx, { itemId, title: changes.title, version });
}
