import { eq, sql } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import { changedIn, changeOrder, changePage, changeWindow } from '../../../shared/db/change-feed.ts';
import type { payments } from '../contract.ts';
import { accounts, ledgerEntries, ledgerTransactions } from '../db/schema.ts';
import type { PaymentsDeps } from '../deps.ts';

// change_xid is kept by migration 0002_export_cursor, outside the drizzle schema.
const changeXid = sql`${ledgerEntries}.change_xid`;

export const exportLedger: Handler<typeof payments.ops.exportLedger, PaymentsDeps> = async (
  input,
  { deps, caller },
) => {
  if (caller) throw platformErrors.forbidden('Only the platform itself exports the ledger.');
  const window = await changeWindow(deps.db, input);
  const rows = await deps.db
    .select({
      entryId: ledgerEntries.id,
      transactionId: ledgerEntries.transactionId,
      kind: ledgerTransactions.kind,
      accountId: ledgerEntries.accountId,
      accountKind: accounts.kind,
      accountOwnerId: accounts.ownerId,
      currency: ledgerEntries.currency,
      amount: ledgerEntries.amount,
      authorizationId: ledgerTransactions.authorizationId,
      reference: ledgerTransactions.reference,
      createdAt: ledgerTransactions.createdAt,
      changeXid: sql<string>`${changeXid}::text`,
    })
    .from(ledgerEntries)
    .innerJoin(ledgerTransactions, eq(ledgerTransactions.id, ledgerEntries.transactionId))
    .innerJoin(accounts, eq(accounts.id, ledgerEntries.accountId))
    .where(changedIn(window, changeXid, ledgerEntries.id))
    .orderBy(...changeOrder(changeXid, ledgerEntries.id))
    .limit(input.limit);
  return changePage(
    rows,
    window,
    input.limit,
    (r) => String(r.entryId),
    ({ changeXid: _, createdAt, ...row }) => ({ ...row, createdAt: createdAt.toISOString() }),
  );
};
