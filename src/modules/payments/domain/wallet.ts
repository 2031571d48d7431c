import type { AccountKind } from './ledger.ts';

/** A user's account balance as stored. */
export interface UserAccountBalance {
  kind: AccountKind;
  currency: string;
  balance: number;
}

export interface WalletBalance {
  currency: string;
  balance: number;
  available: number;
  held: number;
}

/** A user's accounts as one balance per currency (available = wallet, held = holds), by currency code. */
export function walletBalances(accounts: readonly UserAccountBalance[]): WalletBalance[] {
  const byCurrency = new Map<string, WalletBalance>();
  for (const account of accounts) {
    if (account.kind !== 'wallet' && account.kind !== 'holds') continue;
    const entry = byCurrency.get(account.currency) ?? { currency: account.currency, balance: 0, available: 0, held: 0 };
    if (account.kind === 'wallet') entry.available += account.balance;
    else entry.held += account.balance;
    entry.balance = entry.available + entry.held;
    byCurrency.set(account.currency, entry);
  }
  return [...byCurrency.values()].sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
}

/** The balance in one currency, zero when the user never held it. */
export function walletBalanceIn(accounts: readonly UserAccountBalance[], currency: string): WalletBalance {
  return (
    walletBalances(accounts.filter((a) => a.currency === currency))[0] ?? {
      currency,
      balance: 0,
      available: 0,
      held: 0,
    }
  );
}

/** An entry on one of the caller's own accounts. */
export interface OwnEntry {
  account: 'wallet' | 'holds';
  amount: number;
}

/** What a ledger transaction did to the caller: their entries (wallet first) and the net change to their balance. */
export function ownChange(entries: readonly OwnEntry[]): { amount: number; entries: OwnEntry[] } {
  const sorted = [...entries].sort((a, b) => (a.account === b.account ? 0 : a.account === 'wallet' ? -1 : 1));
  return { amount: sorted.reduce((sum, e) => sum + e.amount, 0), entries: sorted };
}
