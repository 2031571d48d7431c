import { sql } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import { changedIn, changeOrder, changePage, changeWindow } from '../../../shared/db/change-feed.ts';
import { itemHistoryEventSchema, type inventory } from '../contract.ts';
import { itemHistory } from '../db/schema.ts';
import type { InventoryDeps } from '../deps.ts';

// change_xid is kept by migration 0004_export_cursor, outside the drizzle schema.
const changeXid = sql`${itemHistory}.change_xid`;

export const exportItemHistory: Handler<typeof inventory.ops.exportItemHistory, InventoryDeps> = async (
  input,
  { deps, caller },
) => {
  if (caller) throw platformErrors.forbidden('Only the platform itself exports item history.');
  const window = await changeWindow(deps.db, input);
  const rows = await deps.db
    .select({
      id: itemHistory.id,
      itemId: itemHistory.itemId,
      version: itemHistory.version,
      type: itemHistory.type,
      actorId: itemHistory.actorId,
      data: itemHistory.data,
      occurredAt: itemHistory.occurredAt,
      changeXid: sql<string>`${changeXid}::text`,
    })
    .from(itemHistory)
    .where(changedIn(window, changeXid, itemHistory.id))
    .orderBy(...changeOrder(changeXid, itemHistory.id))
    .limit(input.limit);
  return changePage(
    rows,
    window,
    input.limit,
    (r) => String(r.id),
    (r) => ({
      historyId: r.id,
      itemId: r.itemId,
      event: itemHistoryEventSchema.parse({
        version: r.version,
        type: r.type,
        actorId: r.actorId,
        data: r.data,
        occurredAt: r.occurredAt.toISOString(),
      }),
    }),
  );
};
