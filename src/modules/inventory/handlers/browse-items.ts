import { and, asc, desc, sql } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { inventory } from '../contract.ts';
import { items } from '../db/schema.ts';
import type { InventoryDeps } from '../deps.ts';
import { decodeItemCursor, encodeItemCursor } from '../domain/item-cursor.ts';
import { itemFilters } from '../store/item-filters.ts';
import { toItem } from './item-view.ts';

/** The listing time to the microsecond, in UTC, as the cursor carries it. */
const createdAtText = sql<string>`to_char(${items.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export const browseItems: Handler<typeof inventory.ops.browseItems, InventoryDeps> = async (
  input,
  { deps, caller },
) => {
  const after = input.cursor === undefined ? undefined : decodeItemCursor(input.cursor);
  if (input.cursor !== undefined && !after)
    throw inventory.error('invalidCursor', 'cursor is not a nextCursor this API returned.');
  const newestFirst = input.order === 'desc';
  const filters = [itemFilters(input)];
  // Keyset: strictly past the last item seen, in (createdAt, id) order; the index items_created_at_idx serves it.
  if (after) {
    const position = sql`(${items.createdAt}, ${items.id})`;
    const last = sql`(${after.createdAt}::timestamptz, ${after.id}::uuid)`;
    filters.push(newestFirst ? sql`${position} < ${last}` : sql`${position} > ${last}`);
  }
  const direction = newestFirst ? desc : asc;
  // One row past the page tells whether another page follows.
  const rows = await deps.reads
    .db(caller)
    .select({ item: items, at: createdAtText })
    .from(items)
    .where(and(...filters))
    .orderBy(direction(items.createdAt), direction(items.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => toItem(row.item)),
    nextCursor: rows.length > input.limit && last ? encodeItemCursor({ createdAt: last.at, id: last.item.id }) : null,
  };
};
