import { eq } from 'drizzle-orm';
import type { Db } from '../../../shared/db/database.ts';
import { inventory } from '../contract.ts';
import { items } from '../db/schema.ts';
import type { ItemRow } from './item-view.ts';

/** Loads an item row or raises inventory.itemNotFound. */
export async function findItem(db: Db, id: string): Promise<ItemRow> {
  const [row] = await db.select().from(items).where(eq(items.id, id));
  if (!row) throw inventory.error('itemNotFound', `No item ${id}.`);
  return row;
}
