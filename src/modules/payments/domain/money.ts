/** An amount in minor units of an ISO 4217 currency. */
export interface Money {
  amount: number;
  currency: string;
}

/** How many minor units make a major one, as ISO 4217 says (2 for EUR, 0 for JPY, 3 for KWD). */
export function minorDigitsOf(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** Money as people read it in messages, e.g. "15.00 EUR" for 1500 EUR minor units. */
export function formatMoney({ amount, currency }: Money): string {
  const digits = minorDigitsOf(currency);
  const sign = amount < 0 ? '-' : '';
  const units = Math.abs(amount);
  if (digits === 0) return `${sign}${units} ${currency}`;
  const scale = 10 ** digits;
  return `${sign}${Math.floor(units / scale)}.${String(units % scale).padStart(digits, '0')} ${currency}`;
}

/** Two amounts can only be compared or combined in one currency; the detail says how they differ. */
export function currencyConflict(expected: string, actual: string, what: string): string | undefined {
  if (expected === actual) return undefined;
  return `${what} is in ${expected}, not ${actual}; amounts are never converted between currencies.`;
}
