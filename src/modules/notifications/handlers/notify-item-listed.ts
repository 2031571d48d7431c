import type { z } from 'zod';
import type { Tx } from '../../../shared/db/database.ts';
import type { EventMessage } from '../../../shared/events/envelope.ts';
import type { inventory } from '../../inventory/contract.ts';
import type { NotificationsDeps } from '../deps.ts';
import { itemListed } from '../domain/templates.ts';
import { rememberItemTitle } from '../store/item-titles.ts';
import { recordNotification } from '../store/record-notification.ts';

type ItemCreated = z.output<typeof inventory.events.itemCreated.payload>;

/** inventory.itemCreated: tells the owner their item is listed (and remembers its title). */
export async function notifyItemListed(
  message: EventMessage<ItemCreated>,
  tx: Tx,
  deps: NotificationsDeps,
): Promise<void> {
  const { itemId, title, version } = message.payload;
  await rememberItemTitle(tx, { itemId, title, version });
  await recordNotification(tx, deps, message.envelope, itemListed(message.payload));
}
