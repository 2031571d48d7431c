import { sql } from 'drizzle-orm';
import { check, index, integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const inventorySchema = pgSchema('inventory');

/** Listed items. One currency column: an item's price and deposit cannot disagree. */
export const items = inventorySchema.table(
  'items',
  {
    id: uuid('id').primaryKey(),
    ownerId: uuid('owner_id').notNull(),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    category: text('category').notNull(),
    currency: text('currency').notNull(),
    dailyPriceAmount: integer('daily_price_amount').notNull(),
    depositAmount: integer('deposit_amount').notNull(),
    condition: text('condition', { enum: ['new', 'like_new', 'good', 'fair', 'worn'] }).notNull(),
    status: text('status', { enum: ['available', 'reserved', 'in_use', 'retired'] }).notNull().default('available'),
    reservationId: uuid('reservation_id'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('items_owner_idx').on(t.ownerId),
    index('items_category_status_idx').on(t.category, t.status),
    index('items_created_at_idx').on(t.createdAt, t.id),
    check('items_amounts_check', sql`${t.dailyPriceAmount} >= 0 and ${t.depositAmount} >= 0`),
    check('items_version_check', sql`${t.version} >= 1`),
    check('items_status_check', sql`${t.status} in ('available', 'reserved', 'in_use', 'retired')`),
    check('items_condition_check', sql`${t.condition} in ('new', 'like_new', 'good', 'fair', 'worn')`),
    check('items_hold_check', sql`(${t.status} in ('reserved', 'in_use')) = (${t.reservationId} is not null)`),
  ],
);
