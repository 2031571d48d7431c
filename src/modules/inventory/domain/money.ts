/** An amount in minor units of an ISO 4217 currency. */
export interface Money {
  amount: number;
  currency: string;
}

/** An item is priced in one currency: its daily price and deposit must agree; the detail says how they do not. */
export function currencyConflict(dailyPrice: Money, deposit: Money): string | undefined {
  if (dailyPrice.currency === deposit.currency) return undefined;
  return `An item has one currency: the daily price is in ${dailyPrice.currency} but the deposit is in ${deposit.currency}.`;
}

/** Whether two amounts are the same money. */
export function sameMoney(a: Money, b: Money): boolean {
  return a.amount === b.amount && a.currency === b.currency;
}
