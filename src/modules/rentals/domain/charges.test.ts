import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rentalCharges } from './charges.ts';

describe('rental charges', () => {
  test('fee is the daily price times the days; the deposit is held with it', () => {
    assert.deepEqual(rentalCharges({ amount: 1_000, currency: 'EUR' }, { amount: 5_000, currency: 'EUR' }, 3), {
      ok: true,
      charges: { currency: 'EUR', dailyPrice: 1_000, fee: 3_000, deposit: 5_000, total: 8_000 },
    });
    assert.deepEqual(rentalCharges({ amount: 0, currency: 'JPY' }, { amount: 0, currency: 'JPY' }, 7), {
      ok: true,
      charges: { currency: 'JPY', dailyPrice: 0, fee: 0, deposit: 0, total: 0 },
    });
  });

  test('a hold larger than payments takes is refused, and so are mixed currencies', () => {
    const big = rentalCharges({ amount: 2_000_000, currency: 'EUR' }, { amount: 0, currency: 'EUR' }, 60);
    assert.equal(big.ok === false && big.reason, 'amountTooLarge');
    assert.equal(
      rentalCharges({ amount: 1_000_000, currency: 'EUR' }, { amount: 10_000_000, currency: 'EUR' }, 90).ok,
      true,
      'exactly the maximum',
    );
    const mixed = rentalCharges({ amount: 1, currency: 'EUR' }, { amount: 1, currency: 'USD' }, 1);
    assert.equal(mixed.ok === false && mixed.reason, 'currencyMismatch');
  });
});
