import { and, asc, desc, eq, gte, isNotNull, lte, sql, type SQL } from 'drizzle-orm';
import type { z } from 'zod';
import type { Handler } from '../../../shared/bus/bus.ts';
import { cached } from '../../../shared/cache/cache.ts';
import type { Db } from '../../../shared/db/database.ts';
import { catalog, type catalogItemSchema } from '../contract.ts';
import { bookings, items, SEARCH_CONFIG } from '../db/schema.ts';
import type { CatalogDeps } from '../deps.ts';
import { BROWSE_ORDER_FLAG, browseOrderOf } from '../domain/browse-order.ts';
import { encodeCursor, type Cursor } from '../domain/cursor.ts';
import { normalizeSearch, searchCacheKey, type NormalizedSearch } from '../domain/search-query.ts';
import { currentGeneration } from './projection-state.ts';

type CatalogItem = z.output<typeof catalogItemSchema>;
type SearchOutput = { items: CatalogItem[]; nextCursor: string | null; sort: NormalizedSearch['sort'] };

/** Booked periods shown per item. */
const BOOKINGS_SHOWN = 5;

export const searchItems: Handler<typeof catalog.ops.searchItems, CatalogDeps> = async (
  input,
  { deps, caller, flags },
) => {
  const db = deps.reads.db(caller);
  const browse = browseOrderOf(flags);
  const normalized = normalizeSearch(input, browse.sort);
  if (!normalized.ok) throw catalog.error(normalized.code, normalized.detail);
  const { search } = normalized;
  // The flag decided what this user sees: the experiment counts them in its variant.
  if (search.browsing && caller && browse.variant) {
    await deps.recordExposure(caller.userId, BROWSE_ORDER_FLAG, browse.variant).catch((err: unknown) => {
      deps.log.warn({ err, flag: BROWSE_ORDER_FLAG }, 'experiment exposure not recorded');
    });
  }
  // Read the generation first: a page cached under it can only be as new as or newer than it.
  const generation = await currentGeneration(db);
  return cached(deps.cache, searchCacheKey(search, generation), deps.searchCacheTtlSeconds, () =>
    runSearch(db, search),
  );
};

async function runSearch(db: Db, search: NormalizedSearch): Promise<SearchOutput> {
  const query =
    search.q === null ? undefined : sql`websearch_to_tsquery(${sql.raw(`'${SEARCH_CONFIG}'`)}::regconfig, ${search.q})`;
  const rank = query ? sql<number>`ts_rank(${items.search}, ${query})` : undefined;
  const where: SQL[] = [isNotNull(items.listedAt), eq(items.status, search.status ?? 'listed')];
  if (query) where.push(sql`${items.search} @@ ${query}`);
  if (search.category) where.push(eq(items.category, search.category));
  if (search.currency) where.push(eq(items.dailyPriceCurrency, search.currency));
  if (search.minPrice !== null) where.push(gte(items.dailyPriceAmount, search.minPrice));
  if (search.maxPrice !== null) where.push(lte(items.dailyPriceAmount, search.maxPrice));
  if (search.period) {
    const { from, to } = search.period;
    // Only a listed item can be rented: "free for the period" means a rental of it would be accepted.
    where.push(eq(items.status, 'listed'));
    where.push(sql`not exists (select 1 from ${bookings} where ${bookings.itemId} = ${items.itemId} and ${bookings.state} = 'confirmed'
      and ${bookings.period} && tstzrange(${from}::timestamptz, ${to}::timestamptz, '[)'))`);
  }
  const order = orderOf(search, rank);
  if (search.after) where.push(order.after(search.after));

  const rows = await db
    .select({
      itemId: items.itemId,
      ownerId: items.ownerId,
      ownerName: items.ownerName,
      title: items.title,
      description: items.description,
      category: items.category,
      dailyPriceAmount: items.dailyPriceAmount,
      dailyPriceCurrency: items.dailyPriceCurrency,
      depositAmount: items.depositAmount,
      depositCurrency: items.depositCurrency,
      condition: items.condition,
      status: items.status,
      version: items.version,
      listedAt: items.listedAt,
      updatedAt: items.updatedAt,
      rank: (rank ?? sql<number>`0`).mapWith(Number),
      // Qualified by hand: in a select list drizzle writes bare column names, and a bare item_id would mean the booking's own.
      booked: sql<unknown>`(select coalesce(json_agg(json_build_object('from', lower(b.period), 'to', upper(b.period)) order by lower(b.period)), '[]'::json)
        from (select bk.period from ${bookings} bk where bk.item_id = ${items}.item_id and bk.state = 'confirmed'
          and upper(bk.period) > now() order by lower(bk.period) limit ${BOOKINGS_SHOWN}) b)`,
      bookedNow: sql<boolean>`exists (select 1 from ${bookings} bk where bk.item_id = ${items}.item_id and bk.state = 'confirmed'
        and bk.period @> now())`,
    })
    .from(items)
    .where(and(...where))
    .orderBy(...order.by)
    .limit(search.limit + 1);

  const page = rows.slice(0, search.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({
      id: row.itemId,
      ownerId: row.ownerId,
      ownerName: row.ownerName,
      title: row.title!,
      description: row.description!,
      category: row.category!,
      dailyPrice: { amount: row.dailyPriceAmount!, currency: row.dailyPriceCurrency! },
      deposit: { amount: row.depositAmount!, currency: row.depositCurrency! },
      condition: row.condition as CatalogItem['condition'],
      status: row.status as CatalogItem['status'],
      availability: {
        availableNow: row.status === 'listed' && !row.bookedNow,
        bookedPeriods: periodsOf(row.booked),
      },
      version: row.version,
      listedAt: row.listedAt!.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
      ...(rank ? { rank: row.rank } : {}),
    })),
    nextCursor: rows.length > search.limit && last ? encodeCursor(order.cursorOf(last)) : null,
    sort: search.sort,
  };
}

type Row = { itemId: string; rank: number; listedAt: Date | null; dailyPriceAmount: number | null };

/**
 * The order of a sort, with the keyset condition that continues after a cursor: rows whose
 * (key, id) comes strictly after the cursor's in that order. Ties on the key break by id.
 */
function orderOf(search: NormalizedSearch, rank: SQL<number> | undefined) {
  const keyed = (
    key: SQL | typeof items.listedAt | typeof items.dailyPriceAmount,
    direction: 'asc' | 'desc',
    cast: string,
    cursorOf: (row: Row) => Cursor,
  ) => ({
    by: direction === 'asc' ? [asc(key), asc(items.itemId)] : [desc(key), desc(items.itemId)],
    after: (cursor: Cursor) =>
      direction === 'asc'
        ? sql`(${key}, ${items.itemId}) > (${cursor.key}::${sql.raw(cast)}, ${cursor.id}::uuid)`
        : sql`(${key}, ${items.itemId}) < (${cursor.key}::${sql.raw(cast)}, ${cursor.id}::uuid)`,
    cursorOf,
  });
  switch (search.sort) {
    case 'relevance':
      return keyed(rank!, 'desc', 'real', (row) => ({ sort: 'relevance', key: row.rank, id: row.itemId }));
    case 'newest':
      return keyed(items.listedAt, 'desc', 'timestamptz', (row) => ({
        sort: 'newest',
        key: row.listedAt!.toISOString(),
        id: row.itemId,
      }));
    case 'price_asc':
      return keyed(items.dailyPriceAmount, 'asc', 'integer', (row) => ({
        sort: 'price_asc',
        key: row.dailyPriceAmount!,
        id: row.itemId,
      }));
    case 'price_desc':
      return keyed(items.dailyPriceAmount, 'desc', 'integer', (row) => ({
        sort: 'price_desc',
        key: row.dailyPriceAmount!,
        id: row.itemId,
      }));
  }
}

/** Booked periods as JSON from either driver, as ISO instants. */
function periodsOf(value: unknown): { from: string; to: string }[] {
  const list = (typeof value === 'string' ? JSON.parse(value) : value) as { from: string; to: string }[] | null;
  return (list ?? []).map((p) => ({ from: new Date(p.from).toISOString(), to: new Date(p.to).toISOString() }));
}
