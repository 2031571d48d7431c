import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgSchema, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { eventTables } from '../../../shared/events/tables.ts';
import { notificationKindSchema } from '../contract.ts';

export const notificationsSchema = pgSchema('notifications');

type Kind = (typeof notificationKindSchema.options)[number];
const kinds = notificationKindSchema.options as [Kind, ...Kind[]];

/**
 * Each user's inbox. source_message_id is the id of the event that caused the notification:
 * one notification per event and user (a rental's events tell owner and renter) even if the
 * inbox dedupe were bypassed (a replay, a second consumer).
 */
export const notifications = notificationsSchema.table(
  'notifications',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    kind: text('kind', { enum: kinds }).notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    sourceMessageId: uuid('source_message_id').notNull(),
    /** Millisecond precision, set by the writer: the page cursor carries it exactly. */
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    readAt: timestamp('read_at', { withTimezone: true }),
  },
  (t) => [
    index('notifications_user_created_idx').on(t.userId, t.createdAt.desc(), t.id.desc()),
    index('notifications_user_unread_idx').on(t.userId).where(sql`read_at is null`),
    unique('notifications_source_user_unique').on(t.sourceMessageId, t.userId),
  ],
);

/**
 * The title of each item as its events last told it, so a status change (which carries no
 * title) can name the item without asking inventory. Written by itemCreated and itemUpdated.
 */
export const itemTitles = notificationsSchema.table(
  'item_titles',
  {
    itemId: uuid('item_id').primaryKey(),
    title: text('title').notNull(),
    /** The item version the title is from: an older event never overwrites a newer title. */
    version: integer('version').notNull(),
  },
  (t) => [check('item_titles_version_check', sql`${t.version} >= 1`)],
);

/** notifications' outbox, inbox and dead letters (it publishes nothing yet; the inbox dedupes). */
export const notificationsEvents = eventTables(notificationsSchema);
export const { outbox, inbox, deadLetters } = notificationsEvents;
