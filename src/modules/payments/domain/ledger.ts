import { createHash } from 'node:crypto';
import { formatMoney } from './money.ts';

export type AccountKind = 'wallet' | 'holds' | 'platform_fees' | 'external_cash';
export type UserAccountKind = 'wallet' | 'holds';
export type PlatformAccountKind = 'platform_fees' | 'external_cash';

/**
 * A ledger account, one per (kind, owner, currency). A user has a wallet (spendable) and a
 * holds account (authorized, not yet captured); the platform has platform_fees and
 * external_cash (money that entered through the payment provider: its balance is minus what
 * came in, so every account together always sums to zero).
 */
export interface AccountRef {
  kind: AccountKind;
  ownerId: string | null;
  currency: string;
}

/** One side of a movement: a signed amount on an account (positive increases its balance). */
export interface Leg {
  account: AccountRef;
  amount: number;
}

/** A leg on a resolved account, merged with any other leg on the same account. */
export interface Entry {
  accountId: string;
  account: AccountRef;
  amount: number;
}

export const userAccount = (kind: UserAccountKind, ownerId: string, currency: string): AccountRef => ({
  kind,
  ownerId,
  currency,
});
export const platformAccount = (kind: PlatformAccountKind, currency: string): AccountRef => ({
  kind,
  ownerId: null,
  currency,
});

/** Users' accounts can never go below zero; platform accounts can (external_cash always is). */
export function mayGoNegative(kind: AccountKind): boolean {
  return kind === 'platform_fees' || kind === 'external_cash';
}

/** The account's id, derived from its identity so it never needs looking up (a name-based uuid). */
export function accountIdOf(account: AccountRef): string {
  const hash = createHash('sha256')
    .update(`shareloop:payments:${account.kind}:${account.ownerId ?? 'platform'}:${account.currency}`)
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x80; // version 8: custom
  hash[8] = (hash[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export type PostingPlan = { ok: true; entries: Entry[] } | { ok: false; problem: string };

/**
 * Double entry: checks a movement of money in one currency and turns its legs into entries,
 * one per account (zero ones dropped). It must touch at least two accounts and sum to zero.
 */
export function planPosting(currency: string, legs: readonly Leg[]): PostingPlan {
  const merged = new Map<string, Entry>();
  for (const { account, amount } of legs) {
    if (!Number.isSafeInteger(amount))
      return { ok: false, problem: `amount ${amount} is not an integer number of minor units` };
    if (account.currency !== currency)
      return { ok: false, problem: `a ${account.currency} account cannot take part in a ${currency} transaction` };
    if ((account.ownerId === null) !== mayGoNegative(account.kind))
      return { ok: false, problem: `a ${account.kind} account ${account.ownerId === null ? 'needs' : 'has no'} owner` };
    const accountId = accountIdOf(account);
    const entry = merged.get(accountId) ?? { accountId, account, amount: 0 };
    merged.set(accountId, { ...entry, amount: entry.amount + amount });
  }
  const entries = [...merged.values()].filter((e) => e.amount !== 0);
  if (entries.length < 2) return { ok: false, problem: 'a transaction moves money between at least two accounts' };
  const sum = entries.reduce((total, e) => total + e.amount, 0);
  if (sum !== 0) return { ok: false, problem: `entries sum to ${sum}, not zero` };
  return { ok: true, entries };
}

/** An account's balance before a posting. */
export interface AccountBalance {
  kind: AccountKind;
  ownerId: string | null;
  currency: string;
  balance: number;
}

export type BalanceCheck =
  | { ok: true; after: Map<string, number> }
  | { ok: false; accountId: string; ownerId: string | null; detail: string };

/** Applies entries to current balances, refusing any that would leave a user's account below zero. */
export function applyEntries(balances: ReadonlyMap<string, AccountBalance>, entries: readonly Entry[]): BalanceCheck {
  const after = new Map<string, number>();
  for (const entry of entries) {
    const current = balances.get(entry.accountId)?.balance ?? 0;
    const next = current + entry.amount;
    if (next < 0 && !mayGoNegative(entry.account.kind)) {
      const what = entry.account.kind === 'wallet' ? 'available' : 'held';
      return {
        ok: false,
        accountId: entry.accountId,
        ownerId: entry.account.ownerId,
        detail: `${formatMoney({ amount: current, currency: entry.account.currency })} ${what}, ${formatMoney({ amount: -entry.amount, currency: entry.account.currency })} needed`,
      };
    }
    after.set(entry.accountId, next);
  }
  return { ok: true, after };
}
