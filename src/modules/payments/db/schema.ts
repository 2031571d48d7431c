import { sql } from 'drizzle-orm';
import { bigint, check, foreignKey, index, jsonb, pgSchema, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

export const paymentsSchema = pgSchema('payments');

const accountKinds = ['wallet', 'holds', 'platform_fees', 'external_cash'] as const;
const transactionKinds = ['top_up', 'authorization', 'capture', 'void', 'refund'] as const;
const authorizationStatuses = ['authorized', 'captured', 'voided', 'refunded'] as const;

/**
 * Ledger accounts, one per (kind, owner, currency); platform accounts have no owner. The id
 * is derived from that identity (domain/ledger accountIdOf). balance is the running total
 * of the account's entries, kept in the same transaction that posts them; users' accounts
 * never go below zero.
 */
export const accounts = paymentsSchema.table(
  'accounts',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind', { enum: accountKinds }).notNull(),
    ownerId: uuid('owner_id'),
    currency: text('currency').notNull(),
    balance: bigint('balance', { mode: 'number' }).notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('accounts_identity_unique').on(t.kind, t.ownerId, t.currency).nullsNotDistinct(),
    // Lets entries reference (account, currency), so an entry can never mix currencies.
    unique('accounts_id_currency_unique').on(t.id, t.currency),
    index('accounts_owner_idx').on(t.ownerId),
    check('accounts_kind_check', sql`${t.kind} in ('wallet', 'holds', 'platform_fees', 'external_cash')`),
    check('accounts_owner_check', sql`(${t.ownerId} is null) = (${t.kind} in ('platform_fees', 'external_cash'))`),
    check('accounts_currency_check', sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check('accounts_non_negative_check', sql`${t.kind} in ('platform_fees', 'external_cash') or ${t.balance} >= 0`),
  ],
);

/** Money held for one purpose (a rental) and what became of it. */
export const authorizations = paymentsSchema.table(
  'authorizations',
  {
    id: uuid('id').primaryKey(),
    reference: text('reference').notNull(),
    payerId: uuid('payer_id').notNull(),
    payeeId: uuid('payee_id'),
    currency: text('currency').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    status: text('status', { enum: authorizationStatuses }).notNull().default('authorized'),
    capturedAmount: bigint('captured_amount', { mode: 'number' }).notNull().default(0),
    platformFeeAmount: bigint('platform_fee_amount', { mode: 'number' }).notNull().default(0),
    releasedAmount: bigint('released_amount', { mode: 'number' }).notNull().default(0),
    refundedAmount: bigint('refunded_amount', { mode: 'number' }).notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('authorizations_payer_idx').on(t.payerId),
    index('authorizations_reference_idx').on(t.reference),
    check('authorizations_status_check', sql`${t.status} in ('authorized', 'captured', 'voided', 'refunded')`),
    check('authorizations_amount_check', sql`${t.amount} > 0`),
    check(
      'authorizations_split_check',
      sql`${t.capturedAmount} >= 0 and ${t.platformFeeAmount} >= 0 and ${t.platformFeeAmount} <= ${t.capturedAmount} and ${t.releasedAmount} >= 0 and ${t.capturedAmount} + ${t.releasedAmount} = case when ${t.status} = 'authorized' then 0 else ${t.amount} end`,
    ),
    check(
      'authorizations_refund_check',
      sql`${t.refundedAmount} = case when ${t.status} = 'refunded' then ${t.capturedAmount} else 0 end`,
    ),
    check('authorizations_payee_check', sql`(${t.payeeId} is not null) = (${t.status} in ('captured', 'refunded'))`),
  ],
);

/**
 * Ledger transactions: immutable groups of entries that sum to zero (enforced at commit by a
 * deferred constraint trigger, see migrations/payments). seq orders them for paging.
 */
export const ledgerTransactions = paymentsSchema.table(
  'ledger_transactions',
  {
    id: uuid('id').primaryKey(),
    seq: bigint('seq', { mode: 'number' })
      .generatedAlwaysAsIdentity()
      .notNull()
      .unique('ledger_transactions_seq_unique'),
    kind: text('kind', { enum: transactionKinds }).notNull(),
    currency: text('currency').notNull(),
    authorizationId: uuid('authorization_id').references(() => authorizations.id),
    reference: text('reference'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('ledger_transactions_id_currency_unique').on(t.id, t.currency),
    index('ledger_transactions_authorization_idx').on(t.authorizationId),
    check('ledger_transactions_kind_check', sql`${t.kind} in ('top_up', 'authorization', 'capture', 'void', 'refund')`),
    check('ledger_transactions_authorization_check', sql`(${t.authorizationId} is null) = (${t.kind} = 'top_up')`),
  ],
);

/** Immutable entries: a signed amount on one account, in its transaction's currency. */
export const ledgerEntries = paymentsSchema.table(
  'ledger_entries',
  {
    id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity().primaryKey(),
    transactionId: uuid('transaction_id').notNull(),
    accountId: uuid('account_id').notNull(),
    currency: text('currency').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
  },
  (t) => [
    foreignKey({
      name: 'ledger_entries_transaction_fk',
      columns: [t.transactionId, t.currency],
      foreignColumns: [ledgerTransactions.id, ledgerTransactions.currency],
    }),
    foreignKey({
      name: 'ledger_entries_account_fk',
      columns: [t.accountId, t.currency],
      foreignColumns: [accounts.id, accounts.currency],
    }),
    unique('ledger_entries_account_per_transaction_unique').on(t.transactionId, t.accountId),
    index('ledger_entries_account_idx').on(t.accountId),
    check('ledger_entries_amount_check', sql`${t.amount} <> 0`),
  ],
);

/**
 * Operation keys of the idempotent commands: the first successful run's result, returned to
 * every repeat. Written in the same transaction as the command's effect.
 */
export const operations = paymentsSchema.table(
  'operations',
  {
    operationId: text('operation_id').primaryKey(),
    command: text('command').notNull(),
    fingerprint: text('fingerprint').notNull(),
    authorizationId: uuid('authorization_id').references(() => authorizations.id),
    result: jsonb('result'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('operations_authorization_idx').on(t.authorizationId)],
);
