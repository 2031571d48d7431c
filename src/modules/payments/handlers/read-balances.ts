import { and, eq } from 'drizzle-orm';
import type { Db, Tx } from '../../../shared/db/database.ts';
import { accounts } from '../db/schema.ts';
import type { UserAccountBalance } from '../domain/wallet.ts';

/** A user's account balances, in every currency or in one. */
export function readBalances(db: Db | Tx, userId: string, currency?: string): Promise<UserAccountBalance[]> {
  const mine = eq(accounts.ownerId, userId);
  return db
    .select({ kind: accounts.kind, currency: accounts.currency, balance: accounts.balance })
    .from(accounts)
    .where(currency ? and(mine, eq(accounts.currency, currency)) : mine);
}
