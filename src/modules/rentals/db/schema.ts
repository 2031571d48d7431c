import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { twoPhaseLogTable } from '../../../shared/db/two-phase/index.ts';
import { eventTables } from '../../../shared/events/tables.ts';

export const rentalsSchema = pgSchema('rentals');

const statuses = ['requested', 'confirmed', 'active', 'compensating', 'cancelled', 'completed'] as const;

/**
 * Rentals and the state of their saga. The price is a snapshot taken when the rental was
 * requested. The lease says which process drives the saga now (lease_token) and until when;
 * recovery resumes a saga whose lease has run out; a confirmed rental waiting for its handover
 * parks with its lease running out at period_from, which makes the handover a durable timer. Overlapping rentals of one item are refused
 * by an exclusion constraint on (item_id, [period_from, period_to)) for rentals that hold the
 * item (migrations/rentals, where btree_gist exists) and by a serialized check in the code.
 */
export const rentalsTable = rentalsSchema.table(
  'rentals',
  {
    id: uuid('id').primaryKey(),
    itemId: uuid('item_id').notNull(),
    ownerId: uuid('owner_id').notNull(),
    renterId: uuid('renter_id').notNull(),
    periodFrom: timestamp('period_from', { withTimezone: true }).notNull(),
    periodTo: timestamp('period_to', { withTimezone: true }).notNull(),
    days: integer('days').notNull(),
    currency: text('currency').notNull(),
    dailyPriceAmount: integer('daily_price_amount').notNull(),
    feeAmount: integer('fee_amount').notNull(),
    depositAmount: integer('deposit_amount').notNull(),
    totalAmount: integer('total_amount').notNull(),
    status: text('status', { enum: statuses }).notNull().default('requested'),
    authorizationId: uuid('authorization_id'),
    /** The Idempotency-Key of the request that asked for it, unique per renter. */
    requestKey: text('request_key'),
    failureCode: text('failure_code'),
    failureDetail: text('failure_detail'),
    leaseToken: uuid('lease_token'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
    handedOverAt: timestamp('handed_over_at', { withTimezone: true }),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    index('rentals_renter_idx').on(t.renterId, t.createdAt),
    index('rentals_owner_idx').on(t.ownerId, t.createdAt),
    index('rentals_item_idx').on(t.itemId),
    uniqueIndex('rentals_request_key_idx').on(t.renterId, t.requestKey).where(sql`request_key is not null`),
    index('rentals_unfinished_idx')
      .on(t.leaseExpiresAt)
      .where(sql`status in ('requested', 'confirmed', 'compensating')`),
    check(
      'rentals_status_check',
      sql`${t.status} in ('requested', 'confirmed', 'active', 'compensating', 'cancelled', 'completed')`,
    ),
    check('rentals_period_check', sql`${t.periodTo} > ${t.periodFrom}`),
    check(
      'rentals_amounts_check',
      sql`${t.days} >= 1 and ${t.dailyPriceAmount} >= 0 and ${t.depositAmount} >= 0 and ${t.feeAmount} = ${t.dailyPriceAmount} * ${t.days} and ${t.totalAmount} = ${t.feeAmount} + ${t.depositAmount}`,
    ),
  ],
);

/** waiting: the handover step, parked until the period starts (the rental's lease runs out then, and recovery resumes it). */
const stepStatuses = ['started', 'waiting', 'succeeded', 'failed', 'skipped'] as const;

/** Each saga step of a rental, written before it runs and when it ends: the saga's durable log. */
export const sagaSteps = rentalsSchema.table(
  'saga_steps',
  {
    rentalId: uuid('rental_id')
      .notNull()
      .references(() => rentalsTable.id),
    name: text('name').notNull(),
    kind: text('kind', { enum: ['forward', 'compensation', 'settlement'] }).notNull(),
    status: text('status', { enum: stepStatuses }).notNull(),
    attempts: integer('attempts').notNull().default(1),
    errorCode: text('error_code'),
    errorKind: text('error_kind'),
    errorDetail: text('error_detail'),
    result: jsonb('result'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.rentalId, t.name] }),
    check('saga_steps_status_check', sql`${t.status} in ('started', 'waiting', 'succeeded', 'failed', 'skipped')`),
    check('saga_steps_kind_check', sql`${t.kind} in ('forward', 'compensation', 'settlement')`),
  ],
);

/** The settlement coordinator's decision log (two-phase commit with payments). */
export const twoPhaseLog = twoPhaseLogTable(rentalsSchema);

/** rentals' outbox, inbox and dead letters. */
export const rentalsEvents = eventTables(rentalsSchema);
export const { outbox, inbox, deadLetters } = rentalsEvents;
