/** A valid new item listing: a cordless drill. */
export const drillListing = {
  title: 'Cordless drill',
  description: '18V, two batteries',
  category: 'power-tools',
  dailyPrice: { amount: 800, currency: 'EUR' },
  deposit: { amount: 5000, currency: 'EUR' },
  condition: 'good',
} as const;

/** The drill listing with some fields replaced, valid or not. */
export const drill = (overrides: Record<string, unknown> = {}) => ({ ...drillListing, ...overrides });

/** A valid new item listing: a camping tent. */
export const tentListing = {
  title: 'Camping tent',
  description: 'Sleeps four',
  category: 'camping',
  dailyPrice: { amount: 1500, currency: 'EUR' },
  deposit: { amount: 10_000, currency: 'EUR' },
  condition: 'good',
} as const;
