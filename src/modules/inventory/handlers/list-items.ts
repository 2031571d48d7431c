import { asc, count, desc, sql } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import type { inventory } from '../contract.ts';
import { items } from '../db/schema.ts';
import type { InventoryDeps } from '../deps.ts';
import { itemFilters } from '../store/item-filters.ts';
import { toItem } from './item-view.ts';

// Titles sort case-insensitively, the way people read them.
const sortColumns = {
  createdAt: items.createdAt,
  dailyPrice: items.dailyPriceAmount,
  title: sql`lower(${items.title})`,
} as const;

export const listItems: Handler<typeof inventory.ops.listItems, InventoryDeps> = async (input, { deps, caller }) => {
  const db = deps.reads.db(caller);
  const where = itemFilters(input);
  const direction = input.order === 'asc' ? asc : desc;
  const [rows, [total]] = await Promise.all([
    // The id breaks ties so pages never overlap or skip.
    db
      .select()
      .from(items)
      .where(where)
      .orderBy(direction(sortColumns[input.sort]), direction(items.id))
      .limit(input.limit)
      .offset(input.offset),
    db.select({ n: count() }).from(items).where(where),
  ]);
  return { items: rows.map(toItem), total: total?.n ?? 0, limit: input.limit, offset: input.offset };
};
