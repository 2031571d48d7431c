import { asc, eq } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { type inventory, itemHistoryEventSchema } from '../contract.ts';
import { itemHistory } from '../db/schema.ts';
import type { InventoryDeps } from '../deps.ts';
import { findItem } from './find-item.ts';

type HistoryEvent = ReturnType<typeof itemHistoryEventSchema.parse>;

/**
 * An item's history. Who made each change, and which reservation a move concerned, are shown
 * to the item's owner and to admins only; anyone else sees what changed and when.
 */
export const getItemHistory: Handler<typeof inventory.ops.getItemHistory, InventoryDeps> = async (
  input,
  { deps, caller },
) => {
  const db = deps.reads.db(caller);
  const item = await findItem(db, input.id);
  const rows = await db
    .select()
    .from(itemHistory)
    .where(eq(itemHistory.itemId, input.id))
    .orderBy(asc(itemHistory.version));
  const insider = caller !== undefined && (caller.role === 'admin' || caller.userId === item.ownerId);
  return {
    itemId: input.id,
    events: rows.map((row) => {
      const event = itemHistoryEventSchema.parse({
        version: row.version,
        type: row.type,
        actorId: row.actorId,
        data: row.data,
        occurredAt: row.occurredAt.toISOString(),
      });
      return insider ? event : withoutWho(event);
    }),
  };
};

function withoutWho(event: HistoryEvent): HistoryEvent {
  if (event.type === 'status_changed' || event.type === 'baseline')
    return { ...event, actorId: null, data: { ...event.data, reservationId: null } } as HistoryEvent;
  return { ...event, actorId: null };
}
