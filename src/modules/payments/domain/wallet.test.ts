import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ownChange, walletBalanceIn, walletBalances } from './wallet.ts';

describe('wallet views', () => {
  test('one balance per currency: available is the wallet, held the holds account', () => {
    const balances = walletBalances([
      { kind: 'holds', currency: 'EUR', balance: 300 },
      { kind: 'wallet', currency: 'USD', balance: 50 },
      { kind: 'wallet', currency: 'EUR', balance: 700 },
    ]);
    assert.deepEqual(balances, [
      { currency: 'EUR', balance: 1000, available: 700, held: 300 },
      { currency: 'USD', balance: 50, available: 50, held: 0 },
    ]);
  });

  test('a currency never held is zero', () => {
    assert.deepEqual(walletBalanceIn([], 'EUR'), { currency: 'EUR', balance: 0, available: 0, held: 0 });
  });

  test("a transaction's change for the caller: wallet entry first, net of both", () => {
    assert.deepEqual(
      ownChange([
        { account: 'holds', amount: -1200 },
        { account: 'wallet', amount: 1000 },
      ]),
      {
        amount: -200,
        entries: [
          { account: 'wallet', amount: 1000 },
          { account: 'holds', amount: -1200 },
        ],
      },
    );
  });
});
