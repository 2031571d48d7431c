import { dateRow, warehouseTime } from '../domain/dates.ts';
import { itemVersions, type ItemEventFacts } from '../domain/item-versions.ts';
import type { WarehouseSession, WarehouseValue } from '../warehouse/port.ts';
import { tableSpec } from '../warehouse/schema.ts';
import { deleteWhereIn, mergeRows } from '../warehouse/statements.ts';
import type { RunScratch } from './sources.ts';

const ITEMS_PER_BATCH = 500;
const time = (iso: string | null) => (iso ? warehouseTime(iso) : null);
/** A timestamp read back as VARCHAR (YYYY-MM-DD HH:MM:SS[.fff], UTC) as an ISO instant. */
const iso = (value: WarehouseValue) =>
  value === null ? null : new Date(`${String(value).replace(' ', 'T')}Z`).toISOString();

/**
 * The end of a run's load, in its transaction: items with new events get their dimension rows
 * folded again from all their events (SCD type 2), rentals of touched items get the item
 * version valid when they were made, and every day seen gets its date row. Returns the
 * dimension rows written.
 */
export async function finishLoad(db: WarehouseSession, scratch: RunScratch): Promise<number> {
  let written = 0;
  const items = [...scratch.itemsWithEvents];
  for (let start = 0; start < items.length; start += ITEMS_PER_BATCH) {
    const batch = items.slice(start, start + ITEMS_PER_BATCH);
    const events = await db.all(
      `SELECT item_id, version, event_type, CAST(occurred_at AS VARCHAR) AS occurred_at, owner_id, title, category, currency, daily_price, deposit, status_to FROM fact_item_event WHERE item_id IN (${batch.map((_, i) => `$${i + 1}`).join(', ')}) ORDER BY item_id, version`,
      batch,
    );
    const byItem = new Map<string, ItemEventFacts[]>();
    for (const e of events) {
      const facts: ItemEventFacts = {
        itemId: String(e.item_id),
        version: Number(e.version),
        eventType: String(e.event_type),
        occurredAt: iso(e.occurred_at ?? null)!,
        ownerId: e.owner_id as string | null,
        title: e.title as string | null,
        category: e.category as string | null,
        currency: e.currency as string | null,
        dailyPrice: e.daily_price as number | null,
        deposit: e.deposit as number | null,
        statusTo: e.status_to as string | null,
      };
      byItem.set(facts.itemId, [...(byItem.get(facts.itemId) ?? []), facts]);
    }
    await deleteWhereIn(db, 'dim_item', 'item_id', 'VARCHAR', batch);
    const rows = [...byItem.values()].flatMap(itemVersions).map((v) => ({
      item_key: v.itemKey,
      item_id: v.itemId,
      owner_id: v.ownerId,
      title: v.title,
      category: v.category,
      currency: v.currency,
      daily_price: v.dailyPrice,
      deposit: v.deposit,
      valid_from: time(v.validFrom),
      valid_to: time(v.validTo),
      is_current: v.isCurrent,
      listed_at: time(v.listedAt),
      retired_at: time(v.retiredAt),
    }));
    written += await mergeRows(db, tableSpec('dim_item'), rows);
  }

  await db.run('DELETE FROM etl_touched_items');
  await mergeRows(
    db,
    tableSpec('etl_touched_items'),
    [...scratch.touchedItems].map((item_id) => ({ item_id })),
  );
  await db.run(`UPDATE fact_rental SET item_key = (
      SELECT min(d.item_key) FROM dim_item d
      WHERE d.item_id = fact_rental.item_id AND d.valid_from <= fact_rental.created_at AND (d.valid_to IS NULL OR fact_rental.created_at < d.valid_to))
    WHERE item_id IN (SELECT item_id FROM etl_touched_items)`);
  await db.run('DELETE FROM etl_touched_items');

  written += await mergeRows(db, tableSpec('dim_date'), [...scratch.dateKeys].sort().map(dateRow));
  return written;
}
