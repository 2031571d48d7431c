/**
 * A rentals-like and a payments-like database for the two-phase tests and their crash
 * scripts: settling a rental marks it completed (rentals) and captures its hold (payments).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import { integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import type { Db } from '../../database.ts';
import { twoPhaseLogDdl, twoPhaseLogTable } from '../log-table.ts';
import type { PreparedWork } from '../participant.ts';
import { openTwoPhaseClient } from '../support.ts';

export const rentalsSchema = pgSchema('rentals');
export const rentals = rentalsSchema.table('rentals', {
  id: uuid('id').primaryKey(),
  state: text('state').notNull(),
  returnedAt: timestamp('returned_at', { withTimezone: true }),
});
export const twoPhaseLog = twoPhaseLogTable(rentalsSchema);

export const paymentsSchema = pgSchema('payments');
export const holds = paymentsSchema.table('holds', {
  rentalId: uuid('rental_id').primaryKey(),
  amount: integer('amount').notNull(),
  state: text('state').notNull(),
});

export const RENTALS_DDL = `
create schema if not exists rentals;
create table rentals.rentals (id uuid primary key, state text not null, returned_at timestamptz);
${twoPhaseLogDdl('rentals')}`;

export const PAYMENTS_DDL = `
create schema if not exists payments;
create table payments.holds (rental_id uuid primary key, amount integer not null, state text not null);
create table payments.ledger (id bigserial primary key, rental_id uuid not null, amount integer not null);`;

/** A coordinator name no other test uses, so cluster-wide GID prefixes stay per test. */
export const uniqueCoordinator = () => `c${randomBytes(5).toString('hex')}`;

/** Connections to both databases: drizzle for the log, a two-phase pool each. */
export interface Stores {
  rentalsSql: postgres.Sql;
  paymentsSql: postgres.Sql;
  rentalsDb: Db;
  close(): Promise<void>;
}

export function openStores(rentalsUrl: string, paymentsUrl: string): Stores {
  const rentalsSql = openTwoPhaseClient(rentalsUrl);
  const paymentsSql = openTwoPhaseClient(paymentsUrl);
  const logClient = postgres(rentalsUrl, { max: 2, onnotice: () => {} });
  return {
    rentalsSql,
    paymentsSql,
    rentalsDb: drizzle({ client: logClient }) as unknown as Db,
    close: async () => {
      await Promise.all([
        rentalsSql.end({ timeout: 5 }),
        paymentsSql.end({ timeout: 5 }),
        logClient.end({ timeout: 5 }),
      ]);
    },
  };
}

/** An active rental with an authorized hold of `amount`. */
export async function seedRental(stores: Stores, amount = 1500): Promise<string> {
  const id = randomUUID();
  await stores.rentalsSql`insert into rentals.rentals (id, state) values (${id}, 'active')`;
  await stores.paymentsSql`insert into payments.holds (rental_id, amount, state) values (${id}, ${amount}, 'authorized')`;
  return id;
}

/** Rentals' share of settlement, through drizzle (with a nested transaction = savepoint). */
export function completeRental(rentalId: string) {
  return async ({ db }: PreparedWork) => {
    await db.transaction(async (tx) => {
      const done = await tx
        .update(rentals)
        .set({ state: 'completed', returnedAt: new Date() })
        .where(and(eq(rentals.id, rentalId), eq(rentals.state, 'active')))
        .returning({ id: rentals.id });
      if (done.length !== 1) throw new Error(`rental ${rentalId} is not active`);
    });
  };
}

/** Payments' share of settlement: capture the hold and write the ledger entry (raw postgres.js and drizzle). */
export function captureHold(rentalId: string, options: { fail?: boolean; sleepMs?: number } = {}) {
  return async ({ db, sql }: PreparedWork) => {
    const captured = await db
      .update(holds)
      .set({ state: 'captured' })
      .where(and(eq(holds.rentalId, rentalId), eq(holds.state, 'authorized')))
      .returning({ amount: holds.amount });
    if (captured.length !== 1) throw new Error(`hold of ${rentalId} is not authorized`);
    await sql`insert into payments.ledger (rental_id, amount) values (${rentalId}, ${captured[0]!.amount})`;
    if (options.sleepMs) await sql`select pg_sleep(${options.sleepMs / 1000})`;
    if (options.fail) throw new Error('insufficient funds');
  };
}

/** Where settlement of a rental stands in each database. */
export async function settlementState(stores: Stores, rentalId: string) {
  const [rental] = await stores.rentalsSql<
    { state: string }[]
  >`select state from rentals.rentals where id = ${rentalId}`;
  const [hold] = await stores.paymentsSql<
    { state: string }[]
  >`select state from payments.holds where rental_id = ${rentalId}`;
  const [ledger] = await stores.paymentsSql<
    { n: number }[]
  >`select count(*)::int as n from payments.ledger where rental_id = ${rentalId}`;
  return { rental: rental?.state, hold: hold?.state, ledgerEntries: ledger?.n };
}

export const SETTLED = { rental: 'completed', hold: 'captured', ledgerEntries: 1 };
export const UNSETTLED = { rental: 'active', hold: 'authorized', ledgerEntries: 0 };
