import type { z } from 'zod';
import type { itemSchema } from '../contract.ts';
import type { items } from '../db/schema.ts';

export type ItemRow = typeof items.$inferSelect;

/** The contract's view of an item row. */
export function toItem(row: ItemRow): z.output<typeof itemSchema> {
  return {
    id: row.id,
    ownerId: row.ownerId,
    title: row.title,
    description: row.description,
    category: row.category,
    dailyPrice: { amount: row.dailyPriceAmount, currency: row.currency },
    deposit: { amount: row.depositAmount, currency: row.currency },
    condition: row.condition,
    status: row.status,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
