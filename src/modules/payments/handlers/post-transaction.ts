import { randomUUID } from 'node:crypto';
import { asc, inArray, sql } from 'drizzle-orm';
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
 * Writes one balanced ledger transaction inside the caller's database transaction: creates
 * the accounts it touches on first use, locks them in id order (so postings that share
 * accounts queue instead of deadlocking), refuses to take a user's account below zero
 * (insufficientFunds), then appends the entries and moves the running balances.
 */
export async function postTransaction(tx: Tx, posting: Posting): Promise<{ id: string; createdAt: Date }> {
  const plan = planPosting(posting.currency, posting.legs);
  if (!plan.ok) throw new Error(`Refusing a ${posting.kind} ledger transaction: ${plan.problem}`);
  const { entries } = plan;
  const ids = entries.map((e) => e.accountId);
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
    .where(inArray(accounts.id, ids))
    .orderBy(asc(accounts.id))
    .for('update');
  const check = applyEntries(new Map(locked.map((a) => [a.id, a])), entries);
  if (!check.ok) {
    const whose = check.ownerId ? `of user ${check.ownerId} ` : '';
    throw payments.error('insufficientFunds', `The wallet ${whose}has ${check.detail}.`);
  }

  const id = randomUUID();
  const [written] = await tx
    .insert(ledgerTransactions)
    .values({
      id,
      kind: posting.kind,
      currency: posting.currency,
      authorizationId: posting.authorizationId,
      reference: posting.reference,
    })
    .returning({ createdAt: ledgerTransactions.createdAt });
  await tx
    .insert(ledgerEntries)
    .values(
      entries.map((e) => ({ transactionId: id, accountId: e.accountId, currency: posting.currency, amount: e.amount })),
    );
  const deltas = sql.join(
    entries.map((e) => sql`(${e.accountId}::uuid, ${e.amount}::bigint)`),
    sql`, `,
  );
  await tx.execute(
    sql`update ${accounts} as a set balance = a.balance + d.amount from (values ${deltas}) as d(id, amount) where a.id = d.id`,
  );
  return { id, createdAt: written!.createdAt };
}
