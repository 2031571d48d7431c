import { sql } from 'drizzle-orm';
import { bigserial, check, integer, index, jsonb, pgSchema, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { eventTables } from '../../../shared/events/tables.ts';

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
    status: text('status', { enum: ['listed', 'unlisted', 'retired'] })
      .notNull()
      .default('listed'),
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
    check('items_status_check', sql`${t.status} in ('listed', 'unlisted', 'retired')`),
    check('items_condition_check', sql`${t.condition} in ('new', 'like_new', 'good', 'fair', 'worn')`),
  ],
);

/**
 * Every change to an item, one row per version, written in the transaction of the change.
 * Append-only: a trigger (migrations/inventory) refuses UPDATE, DELETE and TRUNCATE.
 */
export const itemHistory = inventorySchema.table(
  'item_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id),
    version: integer('version').notNull(),
    type: text('type', { enum: ['created', 'baseline', 'updated', 'status_changed'] }).notNull(),
    /** The user who made the change; null for platform calls without a caller. */
    actorId: uuid('actor_id'),
    /**
     * The facts of the change: the listing on create, the changed fields on update,
     * from/to/reservationId on a move; for a baseline (an item listed before history was
     * kept, backfilled by migration), its whole state at that version.
     */
    data: jsonb('data').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('item_history_item_version_unique').on(t.itemId, t.version),
    check('item_history_type_check', sql`${t.type} in ('created', 'baseline', 'updated', 'status_changed')`),
    check('item_history_version_check', sql`${t.version} >= 1`),
  ],
);

/** inventory's outbox, inbox and dead letters. */
export const inventoryEvents = eventTables(inventorySchema);
export const { outbox, inbox, deadLetters } = inventoryEvents;
