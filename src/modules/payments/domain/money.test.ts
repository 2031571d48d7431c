import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { currencySchema, payments } from '../contract.ts';
import { currencyConflict, formatMoney, minorDigitsOf } from './money.ts';

describe('money', () => {
  test('minor units follow ISO 4217', () => {
    assert.equal(minorDigitsOf('EUR'), 2);
    assert.equal(minorDigitsOf('JPY'), 0);
    assert.equal(minorDigitsOf('KWD'), 3);
  });

  test('formatMoney shows minor units as people read them', () => {
    assert.equal(formatMoney({ amount: 1500, currency: 'EUR' }), '15.00 EUR');
    assert.equal(formatMoney({ amount: 5, currency: 'EUR' }), '0.05 EUR');
    assert.equal(formatMoney({ amount: -1234, currency: 'USD' }), '-12.34 USD');
    assert.equal(formatMoney({ amount: 1500, currency: 'JPY' }), '1500 JPY');
    assert.equal(formatMoney({ amount: 1500, currency: 'KWD' }), '1.500 KWD');
  });

  test('one currency matches itself only, and the detail names both', () => {
    assert.equal(currencyConflict('EUR', 'EUR', 'x'), undefined);
    const detail = currencyConflict('EUR', 'USD', 'Authorization 1');
    assert.match(detail ?? '', /Authorization 1 is in EUR, not USD/);
  });

  test('currencies are ISO 4217 codes in circulation, in upper case', () => {
    for (const good of ['EUR', 'USD', 'JPY', 'CHF', 'KWD'])
      assert.equal(currencySchema.safeParse(good).success, true, good);
    for (const bad of ['eur', 'EURO', 'EU', 'ABC', 'XAU', 'XXX', 'XDR', 'HRK', 'DEM', '', 978])
      assert.equal(currencySchema.safeParse(bad).success, false, String(bad));
    const lower = currencySchema.safeParse('eur');
    assert.equal(lower.error?.issues.length, 1, 'one message per bad code');
  });

  test('amounts are positive integer minor units up to the cap', () => {
    const topUp = payments.ops.topUpWallet.input;
    assert.equal(topUp.safeParse({ amount: 1, currency: 'EUR' }).success, true);
    assert.equal(topUp.safeParse({ amount: 100_000_000, currency: 'EUR' }).success, true);
    for (const amount of [0, -1, 1.5, '100', 100_000_001])
      assert.equal(topUp.safeParse({ amount, currency: 'EUR' }).success, false, String(amount));
  });
});
