import { and, asc, count, desc, eq, ne, sql, type SQL } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import type { inventory } from '../contract.ts';
import { items } from '../db/schema.ts';
import type { InventoryDeps } from '../deps.ts';
import { toItem } from './item-view.ts';

// Titles sort case-insensitively, the way people read them.
const sortColumns = {
  createdAt: items.createdAt,
  dailyPrice: items.dailyPriceAmount,
  title: sql`lower(${items.title})`,
} as const;

export const listItems: Handler<typeof inventory.ops.listItems, InventoryDeps> = async (input, { deps, caller }) => {
  const db = deps.reads.db(caller);
  const filters: SQL[] = [input.status ? eq(items.status, input.status) : ne(items.status, 'retired')];
  if (input.category) filters.push(eq(items.category, input.category));
  if (input.ownerId) filters.push(eq(items.ownerId, input.ownerId));
  if (input.currency) filters.push(eq(items.currency, input.currency));
  const where = and(...filters);
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
