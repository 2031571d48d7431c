import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { moneySchema } from '../contract.ts';
import { currencyConflict, sameMoney } from './money.ts';

describe('money', () => {
  test('an item priced in one currency has no conflict', () => {
    assert.equal(currencyConflict({ amount: 1500, currency: 'EUR' }, { amount: 10000, currency: 'EUR' }), undefined);
  });

  test('different currencies for price and deposit conflict, naming both', () => {
    const detail = currencyConflict({ amount: 1500, currency: 'EUR' }, { amount: 10000, currency: 'USD' });
    assert.ok(detail);
    assert.match(detail, /EUR/);
    assert.match(detail, /USD/);
  });

  test('sameMoney compares amount and currency', () => {
    assert.equal(sameMoney({ amount: 1, currency: 'EUR' }, { amount: 1, currency: 'EUR' }), true);
    assert.equal(sameMoney({ amount: 1, currency: 'EUR' }, { amount: 2, currency: 'EUR' }), false);
    assert.equal(sameMoney({ amount: 1, currency: 'EUR' }, { amount: 1, currency: 'USD' }), false);
  });

  test('amounts are non-negative integer minor units of an uppercase ISO 4217 code', () => {
    assert.equal(moneySchema.safeParse({ amount: 1500, currency: 'EUR' }).success, true);
    assert.equal(moneySchema.safeParse({ amount: 0, currency: 'JPY' }).success, true);
    for (const bad of [
      { amount: -1, currency: 'EUR' },
      { amount: 15.5, currency: 'EUR' },
      { amount: '1500', currency: 'EUR' },
      { amount: 100_000_001, currency: 'EUR' },
      { amount: 1500, currency: 'eur' },
      { amount: 1500, currency: 'EURO' },
      { amount: 1500 },
      { amount: 1500, currency: 'EUR', cents: true },
    ]) {
      assert.equal(moneySchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });
});
