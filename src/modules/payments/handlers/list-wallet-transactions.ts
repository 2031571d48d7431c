import { and, desc, eq, inArray, lt } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import type { payments } from '../contract.ts';
import { accounts, ledgerEntries, ledgerTransactions } from '../db/schema.ts';
import type { PaymentsDeps } from '../deps.ts';
import { ownChange, type OwnEntry } from '../domain/wallet.ts';

/** Keyset paging on the ledger's sequence, so new transactions never shift later pages. */
export const listWalletTransactions: Handler<typeof payments.ops.listWalletTransactions, PaymentsDeps> = async (
  input,
  { deps, caller },
) => {
  if (!caller) throw platformErrors.unauthorized();
  const { db } = deps;
  const mine = eq(accounts.ownerId, caller.userId);
  const touched = db
    .select({ id: ledgerEntries.transactionId })
    .from(ledgerEntries)
    .innerJoin(accounts, eq(accounts.id, ledgerEntries.accountId))
    .where(mine);
  const rows = await db
    .select()
    .from(ledgerTransactions)
    .where(
      and(
        inArray(ledgerTransactions.id, touched),
        input.cursor ? lt(ledgerTransactions.seq, Number(input.cursor)) : undefined,
      ),
    )
    .orderBy(desc(ledgerTransactions.seq))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const entries =
    page.length === 0
      ? []
      : await db
          .select({ transactionId: ledgerEntries.transactionId, kind: accounts.kind, amount: ledgerEntries.amount })
          .from(ledgerEntries)
          .innerJoin(accounts, eq(accounts.id, ledgerEntries.accountId))
          .where(
            and(
              mine,
              inArray(
                ledgerEntries.transactionId,
                page.map((t) => t.id),
              ),
            ),
          );
  const byTransaction = new Map<string, OwnEntry[]>();
  for (const e of entries) {
    if (e.kind !== 'wallet' && e.kind !== 'holds') continue;
    byTransaction.set(e.transactionId, [
      ...(byTransaction.get(e.transactionId) ?? []),
      { account: e.kind, amount: e.amount },
    ]);
  }
  return {
    transactions: page.map((t) => ({
      id: t.id,
      kind: t.kind,
      currency: t.currency,
      ...ownChange(byTransaction.get(t.id) ?? []),
      authorizationId: t.authorizationId,
      reference: t.reference,
      createdAt: t.createdAt.toISOString(),
    })),
    nextCursor: rows.length > input.limit ? String(page.at(-1)!.seq) : null,
  };
};
