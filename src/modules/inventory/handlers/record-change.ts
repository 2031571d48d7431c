import type { CallContext } from '../../../shared/bus/context.ts';
import type { Tx } from '../../../shared/db/database.ts';
import { inventory } from '../contract.ts';
import { itemHistory } from '../db/schema.ts';
import type { InventoryDeps } from '../deps.ts';
import type { ItemChange } from '../domain/history.ts';
import type { ItemRow } from './item-view.ts';

/**
 * Records a change the transaction has just written to an item (row is the item after it):
 * appends it to the item's history and publishes its event, both committing with the change.
 */
export async function recordChange(
  tx: Tx,
  deps: Pick<InventoryDeps, 'publish'>,
  ctx: CallContext,
  row: ItemRow,
  change: ItemChange,
): Promise<void> {
  const { id: itemId, version } = row;
  // occurred_at defaults to now(), the transaction's time and so the row's updated_at: a replay reproduces the timestamps.
  const history = tx
    .insert(itemHistory)
    .values({ itemId, version, type: change.type, actorId: ctx.caller?.userId ?? null, data: change.data });
  // Sent together: the history row and the event's outbox row share one round trip.
  await Promise.all([history, publishChange(tx, deps, ctx, row, change)]);
}

function publishChange(
  tx: Tx,
  deps: Pick<InventoryDeps, 'publish'>,
  ctx: CallContext,
  row: ItemRow,
  change: ItemChange,
) {
  const { id: itemId, ownerId, version } = row;
  const meta = { aggregateId: itemId, ctx };
  switch (change.type) {
    case 'created':
      return deps.publish(tx, inventory.events.itemCreated, { itemId, version, ...change.data }, meta);
    case 'updated':
      return deps.publish(tx, inventory.events.itemUpdated, { itemId, ownerId, version, changes: change.data }, meta);
    case 'status_changed':
      return deps.publish(tx, inventory.events.itemStatusChanged, { itemId, ownerId, version, ...change.data }, meta);
  }
}
