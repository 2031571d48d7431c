import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  accountIdOf,
  applyEntries,
  planPosting,
  platformAccount,
  userAccount,
  type AccountBalance,
  type Entry,
  type Leg,
} from './ledger.ts';

const alice = '11111111-1111-4111-8111-111111111111';
const bob = '22222222-2222-4222-8222-222222222222';

function entriesOf(legs: Leg[], currency = 'EUR'): Entry[] {
  const plan = planPosting(currency, legs);
  assert.ok(plan.ok, plan.ok ? '' : plan.problem);
  return plan.entries;
}

describe('ledger postings', () => {
  test('a balanced posting becomes one entry per account, summing to zero', () => {
    const entries = entriesOf([
      { account: platformAccount('external_cash', 'EUR'), amount: -1500 },
      { account: userAccount('wallet', alice, 'EUR'), amount: 1500 },
    ]);
    assert.equal(entries.length, 2);
    assert.equal(
      entries.reduce((s, e) => s + e.amount, 0),
      0,
    );
    assert.deepEqual(
      entries.map((e) => e.accountId),
      [accountIdOf(platformAccount('external_cash', 'EUR')), accountIdOf(userAccount('wallet', alice, 'EUR'))],
    );
  });

  test('legs on one account merge and zero entries are dropped', () => {
    const entries = entriesOf([
      { account: userAccount('holds', alice, 'EUR'), amount: -1000 },
      { account: userAccount('wallet', alice, 'EUR'), amount: 400 },
      { account: userAccount('wallet', alice, 'EUR'), amount: 600 },
      { account: platformAccount('platform_fees', 'EUR'), amount: 0 },
    ]);
    assert.deepEqual(
      entries.map((e) => [e.account.kind, e.amount]),
      [
        ['holds', -1000],
        ['wallet', 1000],
      ],
    );
  });

  test('an unbalanced posting is refused', () => {
    const plan = planPosting('EUR', [
      { account: userAccount('wallet', alice, 'EUR'), amount: -100 },
      { account: userAccount('wallet', bob, 'EUR'), amount: 99 },
    ]);
    assert.equal(plan.ok, false);
    assert.match(plan.ok ? '' : plan.problem, /sum to -1/);
  });

  test('a posting must touch two accounts with non-zero amounts', () => {
    assert.equal(planPosting('EUR', []).ok, false);
    assert.equal(planPosting('EUR', [{ account: userAccount('wallet', alice, 'EUR'), amount: 0 }]).ok, false);
    const selfTransfer = planPosting('EUR', [
      { account: userAccount('wallet', alice, 'EUR'), amount: -5 },
      { account: userAccount('wallet', alice, 'EUR'), amount: 5 },
    ]);
    assert.equal(selfTransfer.ok, false);
  });

  test('currencies never mix in one posting', () => {
    const plan = planPosting('EUR', [
      { account: userAccount('wallet', alice, 'EUR'), amount: -100 },
      { account: userAccount('wallet', bob, 'USD'), amount: 100 },
    ]);
    assert.equal(plan.ok, false);
    assert.match(plan.ok ? '' : plan.problem, /USD account cannot take part in a EUR transaction/);
  });

  test('amounts are whole minor units', () => {
    for (const amount of [0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      const plan = planPosting('EUR', [
        { account: userAccount('wallet', alice, 'EUR'), amount: -amount },
        { account: userAccount('wallet', bob, 'EUR'), amount },
      ]);
      assert.equal(plan.ok, false, String(amount));
    }
  });

  test('user accounts have an owner, platform accounts none', () => {
    const plan = planPosting('EUR', [
      { account: { kind: 'wallet', ownerId: null, currency: 'EUR' }, amount: -1 },
      { account: userAccount('wallet', bob, 'EUR'), amount: 1 },
    ]);
    assert.equal(plan.ok, false);
  });

  test('account ids are stable uuids, distinct per kind, owner and currency', () => {
    const id = accountIdOf(userAccount('wallet', alice, 'EUR'));
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(accountIdOf(userAccount('wallet', alice, 'EUR')), id);
    const others = [
      userAccount('holds', alice, 'EUR'),
      userAccount('wallet', bob, 'EUR'),
      userAccount('wallet', alice, 'USD'),
      platformAccount('platform_fees', 'EUR'),
    ];
    assert.equal(new Set([id, ...others.map(accountIdOf)]).size, 5);
  });
});

describe('balances', () => {
  const wallet = userAccount('wallet', alice, 'EUR');
  const holds = userAccount('holds', alice, 'EUR');
  const balances = (walletBalance: number): Map<string, AccountBalance> =>
    new Map([[accountIdOf(wallet), { ...wallet, balance: walletBalance }]]);
  const authorize = (amount: number) =>
    entriesOf([
      { account: wallet, amount: -amount },
      { account: holds, amount },
    ]);

  test('a user account may reach zero but never go below it', () => {
    const exact = applyEntries(balances(1000), authorize(1000));
    assert.ok(exact.ok);
    assert.equal(exact.after.get(accountIdOf(wallet)), 0);
    assert.equal(exact.after.get(accountIdOf(holds)), 1000);
    const over = applyEntries(balances(999), authorize(1000));
    assert.equal(over.ok, false);
    assert.equal(over.ok ? undefined : over.ownerId, alice);
    assert.match(over.ok ? '' : over.detail, /9\.99 EUR available, 10\.00 EUR needed/);
  });

  test('an account never seen has a zero balance', () => {
    assert.equal(applyEntries(new Map(), authorize(1)).ok, false);
  });

  test('platform accounts may go negative: external_cash is minus what came in', () => {
    const topUp = entriesOf([
      { account: platformAccount('external_cash', 'EUR'), amount: -500 },
      { account: wallet, amount: 500 },
    ]);
    const result = applyEntries(new Map(), topUp);
    assert.ok(result.ok);
    assert.equal(result.after.get(accountIdOf(platformAccount('external_cash', 'EUR'))), -500);
  });
});
