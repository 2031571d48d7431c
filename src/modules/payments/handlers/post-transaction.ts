import { randomUUID } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { Tx } from '../../../shared/db/database.ts';
import { payments, type transactionKindSchema } from '../contract.ts';
import { accounts, ledgerEntries, ledgerTransactions } from '../db/schema.ts';
import { applyEntries, planPosting, type Leg } from '../domain/ledger.ts';

/** A movement of money to write to the ledger. */
export interface Posting {
  kind: z.infer<typeof transactionKindSchema>;
  currency: string;
  /** Set for every kind but top_up. */
  authorizationId: string | null;
  reference: string | null;
  legs: Leg[];
}

/**
 * Writes one balanced ledger transaction inside the caller's database transaction, in two
 * statements: the accounts it touches are created on first use and locked in id order in one
 * upsert (so postings that share accounts queue instead of deadlocking); it refuses to take a
 * user's account below zero (insufficientFunds); then the transaction, its entries and the
 * running balances are written in one statement (the entries and balances as CTEs of the
 * transaction's insert).
 */
export async function postTransaction(tx: Tx, posting: Posting): Promise<{ id: string; createdAt: Date }> {
  const plan = planPosting(posting.currency, posting.legs);
  if (!plan.ok) throw new Error(`Refusing a ${posting.kind} ledger transaction: ${plan.problem}`);
  const entries = [...plan.entries].sort((a, b) =>
    a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0,
  );
  // A no-op update on conflict locks an existing account and returns it as it is.
  const locked = await tx
    .insert(accounts)
    .values(
      entries.map((e) => ({
        id: e.accountId,
        kind: e.account.kind,
        ownerId: e.account.ownerId,
        currency: e.account.currency,
      })),
    )
    .onConflictDoUpdate({ target: accounts.id, set: { id: sql`excluded.id` } })
    .returning();
  const check = applyEntries(new Map(locked.map((a) => [a.id, a])), entries);
  if (!check.ok) {
    const whose = check.ownerId ? `of user ${check.ownerId} ` : '';
    throw payments.error('insufficientFunds', `The wallet ${whose}has ${check.detail}.`);
  }

  const id = randomUUID();
  const rows = (values: SQL[]) => sql.join(values, sql`, `);
  const written = tx
    .$with('entries', {})
    .as(
      sql`insert into ${ledgerEntries} (transaction_id, account_id, currency, amount) values ${rows(
        entries.map((e) => sql`(${id}::uuid, ${e.accountId}::uuid, ${posting.currency}, ${e.amount}::bigint)`),
      )}`,
    );
  const moved = tx
    .$with('balances', {})
    .as(
      sql`update ${accounts} as a set balance = a.balance + d.amount from (values ${rows(
        entries.map((e) => sql`(${e.accountId}::uuid, ${e.amount}::bigint)`),
      )}) as d(id, amount) where a.id = d.id`,
    );
  const [transaction] = await tx
    .with(written, moved)
    .insert(ledgerTransactions)
    .values({
      id,
      kind: posting.kind,
      currency: posting.currency,
      authorizationId: posting.authorizationId,
      reference: posting.reference,
    })
    .returning({ createdAt: ledgerTransactions.createdAt });
  return { id, createdAt: transaction!.createdAt };
}
