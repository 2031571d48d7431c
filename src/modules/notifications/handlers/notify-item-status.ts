import type { z } from 'zod';
import type { Tx } from '../../../shared/db/database.ts';
import type { EventMessage } from '../../../shared/events/envelope.ts';
import type { inventory } from '../../inventory/contract.ts';
import type { NotificationsDeps } from '../deps.ts';
import { itemMoved, moveKind } from '../domain/templates.ts';
import { useTitle, type FoundTitle } from '../store/item-titles.ts';
import { recordNotification } from '../store/record-notification.ts';

type ItemStatusChanged = z.output<typeof inventory.events.itemStatusChanged.payload>;

/** inventory.itemStatusChanged: tells the owner their item was reserved, picked up, returned or released. */
export async function notifyItemStatus(
  message: EventMessage<ItemStatusChanged>,
  tx: Tx,
  deps: NotificationsDeps,
  found: FoundTitle | undefined,
): Promise<void> {
  const move = message.payload;
  if (!moveKind(move)) return;
  const draft = itemMoved(move, await useTitle(tx, found));
  if (draft) await recordNotification(tx, deps, message.envelope, draft);
}
