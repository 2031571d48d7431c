import { sql } from 'drizzle-orm';
import {
  bigserial,
  index,
  integer,
  jsonb,
  primaryKey,
  text,
  timestamp,
  uuid,
  type PgSchema,
} from 'drizzle-orm/pg-core';

/**
 * The transactional outbox of a module: events written in the same transaction as the state
 * change, moved to the transport by the relay. `seq` orders delivery.
 */
export function outboxTable(schema: PgSchema) {
  return schema.table(
    'outbox',
    {
      seq: bigserial('seq', { mode: 'number' }).primaryKey(),
      messageId: uuid('message_id').notNull().unique(),
      event: text('event').notNull(),
      aggregateId: text('aggregate_id').notNull(),
      envelope: jsonb('envelope').notNull(),
      payload: jsonb('payload').notNull(),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      sentAt: timestamp('sent_at', { withTimezone: true }),
    },
    (t) => [index('outbox_unsent_idx').on(t.seq).where(sql`sent_at is null`)],
  );
}

/** Message ids a module's consumers have applied: a redelivery finds its row and does nothing. */
export function inboxTable(schema: PgSchema) {
  return schema.table(
    'inbox',
    {
      consumer: text('consumer').notNull(),
      messageId: uuid('message_id').notNull(),
      processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
    },
    (t) => [primaryKey({ columns: [t.consumer, t.messageId] })],
  );
}

/** Messages a consumer gave up on after its attempts, kept for operators to inspect and replay. */
export function deadLetterTable(schema: PgSchema) {
  return schema.table(
    'dead_letters',
    {
      id: uuid('id').primaryKey(),
      consumer: text('consumer').notNull(),
      messageId: uuid('message_id').notNull(),
      event: text('event').notNull(),
      envelope: jsonb('envelope').notNull(),
      payload: jsonb('payload').notNull(),
      error: text('error').notNull(),
      attempts: integer('attempts').notNull(),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      replayedAt: timestamp('replayed_at', { withTimezone: true }),
    },
    (t) => [index('dead_letters_consumer_idx').on(t.consumer, t.createdAt)],
  );
}

export type OutboxTable = ReturnType<typeof outboxTable>;
export type InboxTable = ReturnType<typeof inboxTable>;
export type DeadLetterTable = ReturnType<typeof deadLetterTable>;

/** The three event tables of a module, in its own schema. */
export function eventTables(schema: PgSchema) {
  return { outbox: outboxTable(schema), inbox: inboxTable(schema), deadLetters: deadLetterTable(schema) };
}

export type EventTables = ReturnType<typeof eventTables>;
