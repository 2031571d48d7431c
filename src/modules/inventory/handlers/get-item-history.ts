import { asc, eq } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { inventory, itemHistoryEventSchema } from '../contract.ts';
import { itemHistory } from '../db/schema.ts';
import type { InventoryDeps } from '../deps.ts';
import { findItem } from './find-item.ts';

export const getItemHistory: Handler<typeof inventory.ops.getItemHistory, InventoryDeps> = async (input, { deps, caller }) => {
  const db = deps.reads.db(caller);
  const rows = await db.select().from(itemHistory).where(eq(itemHistory.itemId, input.id)).orderBy(asc(itemHistory.version));
  // Every item has history from its creation (or its baseline), so no rows means no such item.
  if (rows.length === 0) await findItem(db, input.id);
  return {
    itemId: input.id,
    events: rows.map((row) =>
      itemHistoryEventSchema.parse({ version: row.version, type: row.type, actorId: row.actorId, data: row.data, occurredAt: row.occurredAt.toISOString() }),
    ),
  };
};
