import { sql } from 'drizzle-orm';
import { integer, pgSchema, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { eventTables } from '../../src/shared/events/tables.ts';

export const sinkSchema = pgSchema('probesink');
export const sinkEvents = eventTables(sinkSchema);
export const { outbox, inbox, deadLetters } = sinkEvents;

/** The consumer's effect: unique per (consumer, message id), so a duplicate cannot hide. */
export const effects = sinkSchema.table(
  'effects',
  {
    consumer: text('consumer').notNull(),
    messageId: uuid('message_id').notNull(),
    n: integer('n').notNull(),
    /** Wall-clock time of the effect, for the outbox-to-consumer latency benchmark. */
    appliedAt: timestamp('applied_at', { withTimezone: true }).notNull().default(sql`clock_timestamp()`),
  },
  (t) => [unique('effects_consumer_message_key').on(t.consumer, t.messageId)],
);

/** Poison messages apply only once their number is listed here (the "fix"). */
export const fixes = sinkSchema.table('fixes', { n: integer('n').primaryKey() });
