import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  smallint,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { eventTables } from '../../../shared/events/tables.ts';

export const catalogSchema = pgSchema('catalog');

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });
const tstzrange = customType<{ data: string }>({ dataType: () => 'tstzrange' });

/**
 * Full-text configuration: 'english' stems (tents → tent, camping → camp) and drops stop
 * words, which is what people typing into a search box of English listings expect.
 */
export const SEARCH_CONFIG = 'english';
const regconfig = sql.raw(`'${SEARCH_CONFIG}'::regconfig`);

/**
 * One row per item an event (or a rebuild) told us about. Each listing field carries the item
 * version it is from, so events applied in any order converge on the newest value of every
 * field: a field changes only when a fact of a higher version than its own arrives. A row
 * whose listing was never seen whole (itemUpdated before itemCreated) is a stub: listed_at is
 * null and searches skip it until itemCreated (or a rebuild) fills it in.
 */
const itemColumns = () => ({
  itemId: uuid('item_id').primaryKey(),
  ownerId: uuid('owner_id').notNull(),
  /** Denormalized from owners; null while the owner is unknown or deleted. */
  ownerName: text('owner_name'),
  title: text('title'),
  titleVersion: integer('title_version').notNull().default(0),
  description: text('description'),
  descriptionVersion: integer('description_version').notNull().default(0),
  category: text('category'),
  categoryVersion: integer('category_version').notNull().default(0),
  dailyPriceAmount: integer('daily_price_amount'),
  dailyPriceCurrency: text('daily_price_currency'),
  dailyPriceVersion: integer('daily_price_version').notNull().default(0),
  depositAmount: integer('deposit_amount'),
  depositCurrency: text('deposit_currency'),
  depositVersion: integer('deposit_version').notNull().default(0),
  condition: text('condition'),
  conditionVersion: integer('condition_version').notNull().default(0),
  status: text('status'),
  statusVersion: integer('status_version').notNull().default(0),
  /** The highest item version any applied fact carried. */
  version: integer('version').notNull(),
  /** When the item was listed; null for a stub. Millisecond precision: cursors carry it exactly. */
  listedAt: timestamp('listed_at', { withTimezone: true, precision: 3 }),
  /** When the newest applied version happened at the source. */
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
});

/** The searchable read model. */
export const items = catalogSchema.table(
  'items',
  {
    ...itemColumns(),
    search: tsvector('search').generatedAlwaysAs(
      sql`setweight(to_tsvector(${regconfig}, coalesce(title, '')), 'A') || setweight(to_tsvector(${regconfig}, replace(coalesce(category, ''), '-', ' ')), 'B') || setweight(to_tsvector(${regconfig}, coalesce(description, '')), 'C')`,
    ),
  },
  (t) => [
    index('items_search_idx').using('gin', t.search),
    index('items_listed_idx').on(t.listedAt, t.itemId),
    index('items_price_idx').on(t.dailyPriceAmount, t.itemId),
    index('items_category_idx').on(t.category),
    index('items_owner_idx').on(t.ownerId),
    check('items_status_check', sql`${t.status} in ('listed', 'unlisted', 'retired')`),
  ],
);

/** Where a rebuild assembles the next read model before swapping it in. */
export const itemsRebuild = catalogSchema.table('items_rebuild', itemColumns());

/**
 * Owners' public names as identity's events told them. identity's events carry no version, so
 * the newest occurredAt wins; a deletion is final.
 */
const ownerColumns = () => ({
  userId: uuid('user_id').primaryKey(),
  /** Null once the account is deleted. */
  displayName: text('display_name'),
  changedAt: timestamp('changed_at', { withTimezone: true, precision: 3 }).notNull(),
  deleted: boolean('deleted').notNull().default(false),
});

export const owners = catalogSchema.table('owners', ownerColumns());
export const ownersRebuild = catalogSchema.table('owners_rebuild', ownerColumns());

/**
 * Periods during which an item is booked, fed by rentals' events (rentalConfirmed,
 * rentalCompleted, rentalCancelled). Only a confirmed booking blocks its period; completed and
 * cancelled are final and never go back to confirmed, whatever order the events arrive in.
 */
const bookingColumns = () => ({
  rentalId: uuid('rental_id').primaryKey(),
  itemId: uuid('item_id').notNull(),
  /** Half-open [from, to). */
  period: tstzrange('period').notNull(),
  state: text('state', { enum: ['confirmed', 'completed', 'cancelled'] }).notNull(),
  changedAt: timestamp('changed_at', { withTimezone: true, precision: 3 }).notNull(),
});

export const bookings = catalogSchema.table('bookings', bookingColumns(), (t) => [
  index('bookings_item_idx').on(t.itemId),
  index('bookings_period_idx').using('gist', t.period),
  check('bookings_state_check', sql`${t.state} in ('confirmed', 'completed', 'cancelled')`),
]);

/** Where a rebuild assembles the next bookings (from rentals.listBookings) before swapping them in. */
export const bookingsRebuild = catalogSchema.table('bookings_rebuild', bookingColumns());

/**
 * Who saw which variant of an experiment's flag: one row per user and flag, written the first
 * time a flag decided what a user was shown (the first exposure wins, as an A/B analysis
 * wants). The warehouse reads it through exportExposures; change_xid (migration
 * 0002_experiment_exposures) stays outside this schema, as identity's does.
 */
export const experimentExposures = catalogSchema.table(
  'experiment_exposures',
  {
    /** The row's export key (the warehouse pages by change transaction, then id). */
    id: uuid('id').notNull().unique().defaultRandom(),
    userId: uuid('user_id').notNull(),
    flag: text('flag').notNull(),
    variant: text('variant').notNull(),
    exposedAt: timestamp('exposed_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.flag] })],
);

/**
 * The projection's single state row: a generation bumped by every applied event (search cache
 * keys include it), the time of the newest applied event (lag), and the rebuild lease.
 */
export const projection = catalogSchema.table(
  'projection',
  {
    id: smallint('id').primaryKey().default(1),
    generation: bigint('generation', { mode: 'number' }).notNull().default(0),
    lastEventAt: timestamp('last_event_at', { withTimezone: true, precision: 3 }),
    rebuildId: uuid('rebuild_id'),
    rebuildLeaseUntil: timestamp('rebuild_lease_until', { withTimezone: true }),
    rebuildStartedAt: timestamp('rebuild_started_at', { withTimezone: true, precision: 3 }),
    rebuildProgress: jsonb('rebuild_progress'),
    lastRebuild: jsonb('last_rebuild'),
  },
  (t) => [check('projection_single_row_check', sql`${t.id} = 1`)],
);

/** catalog's outbox, inbox and dead letters (it publishes nothing; the inbox dedupes). */
export const catalogEvents = eventTables(catalogSchema);
export const { outbox, inbox, deadLetters } = catalogEvents;

export type ItemsTable = typeof itemsRebuild;
export type OwnersTable = typeof owners;
export type BookingsTable = typeof bookingsRebuild;
export type ItemRow = typeof itemsRebuild.$inferSelect;
export type OwnerRow = typeof owners.$inferSelect;

/** The tables one copy of the read model lives in: the live one, or a rebuild's staging. */
export interface ReadModelTables {
  items: ItemsTable;
  owners: OwnersTable;
  bookings: BookingsTable;
}

export const liveTables: ReadModelTables = {
  items: items as unknown as ItemsTable,
  owners,
  bookings: bookings as unknown as BookingsTable,
};
export const stagingTables: ReadModelTables = {
  items: itemsRebuild,
  owners: ownersRebuild as unknown as OwnersTable,
  bookings: bookingsRebuild,
};
