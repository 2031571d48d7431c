/** An amount in minor units of a currency. */
export interface Money {
  amount: number;
  currency: string;
}

/** The largest amount payments holds at once (its MAX_AMOUNT), in minor units. */
export const MAX_HOLD = 100_000_000;

export interface Charges {
  currency: string;
  dailyPrice: number;
  fee: number;
  deposit: number;
  /** fee + deposit: what is held from the renter while the rental runs. */
  total: number;
}

export type ChargesCheck =
  | { ok: true; charges: Charges }
  | { ok: false; reason: 'currencyMismatch' | 'amountTooLarge'; problem: string };

/** What a rental costs: the daily price for every day charged, plus the deposit, held together. */
export function rentalCharges(dailyPrice: Money, deposit: Money, days: number, maxHold = MAX_HOLD): ChargesCheck {
  if (dailyPrice.currency !== deposit.currency) {
    return {
      ok: false,
      reason: 'currencyMismatch',
      problem: `The daily price is in ${dailyPrice.currency} but the deposit in ${deposit.currency}.`,
    };
  }
  const fee = dailyPrice.amount * days;
  const total = fee + deposit.amount;
  if (total > maxHold) {
    return {
      ok: false,
      reason: 'amountTooLarge',
      problem: `This rental would hold ${total} minor units of ${dailyPrice.currency}; at most ${maxHold} can be held at once. Choose a shorter period.`,
    };
  }
  return {
    ok: true,
    charges: { currency: dailyPrice.currency, dailyPrice: dailyPrice.amount, fee, deposit: deposit.amount, total },
  };
}
