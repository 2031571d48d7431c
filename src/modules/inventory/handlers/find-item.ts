import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../../shared/db/database.ts';
import { inventory } from '../contract.ts';
import { items } from '../db/schema.ts';
import type { ItemRow } from './item-view.ts';

// Built once per database: building the query on every call cost more than running it.
const prepared = new WeakMap<Db, ReturnType<typeof prepareFindItem>>();

function prepareFindItem(db: Db) {
  return db
    .select()
    .from(items)
    .where(eq(items.id, sql.placeholder('id')))
    .prepare('inventory_find_item');
}

/** Loads an item row or raises inventory.itemNotFound. */
export async function findItem(db: Db, id: string): Promise<ItemRow> {
  let query = prepared.get(db);
  if (!query) {
    query = prepareFindItem(db);
    prepared.set(db, query);
  }
  const [row] = await query.execute({ id });
  if (!row) throw inventory.error('itemNotFound', `No item ${id}.`);
  return row;
}
