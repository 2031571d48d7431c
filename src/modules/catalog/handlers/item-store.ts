import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../../../shared/db/database.ts';
import type { ItemRow, ReadModelTables } from '../db/schema.ts';
import { mergeItem, type Field, type FieldValues, type ItemFact, type ItemState } from '../domain/item-merge.ts';

/**
 * Applies a fact about an item to one copy of the read model. The row is created as an empty
 * stub if missing and locked, so concurrent facts about one item (split mode delivers each
 * event type on its own stream) merge one after the other. Returns whether anything changed.
 */
export async function applyItemFact(tx: Tx, tables: ReadModelTables, fact: ItemFact): Promise<boolean> {
  const { items, owners } = tables;
  await tx
    .insert(items)
    .values({
      itemId: fact.itemId,
      ownerId: fact.ownerId,
      version: 0,
      updatedAt: fact.occurredAt,
      ownerName: sql`(select ${owners.displayName} from ${owners} where ${owners.userId} = ${fact.ownerId})`,
    })
    .onConflictDoNothing();
  const [row] = await tx.select().from(items).where(eq(items.itemId, fact.itemId)).for('update');
  const { state, changed } = mergeItem(stateOf(row!), fact);
  if (changed) await tx.update(items).set(rowOf(state)).where(eq(items.itemId, fact.itemId));
  return changed;
}

/** The domain state of a stored row. */
export function stateOf(row: ItemRow): ItemState {
  const values: Partial<FieldValues> = {};
  if (row.titleVersion > 0) values.title = row.title!;
  if (row.descriptionVersion > 0) values.description = row.description!;
  if (row.categoryVersion > 0) values.category = row.category!;
  if (row.dailyPriceVersion > 0)
    values.dailyPrice = { amount: row.dailyPriceAmount!, currency: row.dailyPriceCurrency! };
  if (row.depositVersion > 0) values.deposit = { amount: row.depositAmount!, currency: row.depositCurrency! };
  if (row.conditionVersion > 0) values.condition = row.condition!;
  if (row.statusVersion > 0) values.status = row.status!;
  const versions: Record<Field, number> = {
    title: row.titleVersion,
    description: row.descriptionVersion,
    category: row.categoryVersion,
    dailyPrice: row.dailyPriceVersion,
    deposit: row.depositVersion,
    condition: row.conditionVersion,
    status: row.statusVersion,
  };
  return {
    itemId: row.itemId,
    ownerId: row.ownerId,
    values,
    versions,
    version: row.version,
    listedAt: row.listedAt,
    updatedAt: row.updatedAt,
  };
}

/** The columns that store a domain state (all but the owner's name, kept by owner facts). */
function rowOf(state: ItemState): Omit<ItemRow, 'itemId' | 'ownerId' | 'ownerName'> {
  const { values, versions } = state;
  const known = (field: Field) => versions[field] > 0;
  return {
    title: values.title ?? null,
    titleVersion: versions.title,
    description: values.description ?? null,
    descriptionVersion: versions.description,
    category: values.category ?? null,
    categoryVersion: versions.category,
    dailyPriceAmount: known('dailyPrice') ? values.dailyPrice!.amount : null,
    dailyPriceCurrency: known('dailyPrice') ? values.dailyPrice!.currency : null,
    dailyPriceVersion: versions.dailyPrice,
    depositAmount: known('deposit') ? values.deposit!.amount : null,
    depositCurrency: known('deposit') ? values.deposit!.currency : null,
    depositVersion: versions.deposit,
    condition: values.condition ?? null,
    conditionVersion: versions.condition,
    status: values.status ?? null,
    statusVersion: versions.status,
    version: state.version,
    listedAt: state.listedAt,
    updatedAt: state.updatedAt,
  };
}
