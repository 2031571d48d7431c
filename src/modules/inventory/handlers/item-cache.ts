import type { InventoryDeps } from '../deps.ts';
import { findItem } from './find-item.ts';
import { toItem, type ItemRow } from './item-view.ts';

type Item = ReturnType<typeof toItem>;

// Short enough that a lost write-through (cache down) heals on its own.
const ITEM_CACHE_SECONDS = 30;

// Tagged with the id: one node on a cache ring, one slot on a Redis Cluster.
const itemKey = (id: string) => `inventory:item:{${id}}`;

/** An item as the public reads it: from the cache, else from a fresh replica, filling the cache without overwriting a newer write. */
export async function readItem(
  deps: Pick<InventoryDeps, 'cache' | 'reads'>,
  id: string,
  caller?: { userId: string },
): Promise<Item> {
  const hit = await deps.cache.get(itemKey(id)).catch(() => undefined);
  if (hit !== undefined) return JSON.parse(hit) as Item;
  const item = toItem(await findItem(deps.reads.db(caller), id));
  await deps.cache.add(itemKey(id), JSON.stringify(item), ITEM_CACHE_SECONDS).catch(() => false);
  return item;
}

/** Puts a changed item in the cache (write-through), so readers see the change at once. */
export async function rememberItem(deps: Pick<InventoryDeps, 'cache'>, row: ItemRow): Promise<void> {
  await deps.cache
    .set(itemKey(row.id), JSON.stringify(toItem(row)), ITEM_CACHE_SECONDS)
    .catch(() => deps.cache.del(itemKey(row.id)).catch(() => {}));
}
