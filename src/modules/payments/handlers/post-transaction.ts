import { randomUUID } from 'node:crypto';
import { asc, inArray, type SQL, sql } from 'drizzle-orm';
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
 * Writes one balanced ledger transaction inside the caller's database transaction, in three
 * statements: the accounts it touches are created on first use, then locked in id order (so
 * postings that share accounts queue instead of deadlocking); it refuses to take a
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
  // ON CONFLICT DO NOTHING without a target makes every unique constraint an arbiter: an upsert
  // aimed at the primary key alone fails with a unique violation on (kind, owner, currency) when
  // two postings create the same account at once. The lock is then taken in id order.
  await tx
    .insert(accounts)
    .values(
      entries.map((e) => ({
        id: e.accountId,
        kind: e.account.kind,
        ownerId: e.account.ownerId,
        currency: e.account.currency,
      })),
    )
    .onConflictDoNothing();
  const locked = await tx
    .select()
    .from(accounts)
    .where(
      inArray(
        accounts.id,
        entries.map((e) => e.accountId),
      ),
    )
    .orderBy(asc(accounts.id))
    .for('update');
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
