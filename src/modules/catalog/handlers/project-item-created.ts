import type { z } from 'zod';
import type { Tx } from '../../../shared/db/database.ts';
import type { EventMessage } from '../../../shared/events/envelope.ts';
import type { inventory } from '../../inventory/contract.ts';
import { applyItemFact } from './item-store.ts';
import { applyEvent } from './projection-state.ts';

type ItemCreated = z.output<typeof inventory.events.itemCreated.payload>;

/** inventory.itemCreated: the whole listing, listed from now on. */
export async function projectItemCreated(message: EventMessage<ItemCreated>, tx: Tx): Promise<void> {
  const { itemId, ownerId, version, title, description, category, dailyPrice, deposit, condition } = message.payload;
  const occurredAt = new Date(message.envelope.occurredAt);
  const fact = {
    itemId,
    ownerId,
    version,
    occurredAt,
    listedAt: occurredAt,
    values: { title, description, category, dailyPrice, deposit, condition, status: 'listed' },
  };
  await applyEvent(tx, message.envelope.occurredAt, (tables) => applyItemFact(tx, tables, fact));
}
