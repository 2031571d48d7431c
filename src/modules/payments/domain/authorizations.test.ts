import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  authorizationLegs,
  planCapture,
  planRefund,
  planVoid,
  platformFeeOf,
  topUpLegs,
  type AuthorizationState,
} from './authorizations.ts';
import { planPosting, type Leg } from './ledger.ts';

const payer = '11111111-1111-4111-8111-111111111111';
const owner = '22222222-2222-4222-8222-222222222222';

const held = (overrides: Partial<AuthorizationState> = {}): AuthorizationState => ({
  id: '33333333-3333-4333-8333-333333333333',
  payerId: payer,
  payeeId: null,
  currency: 'EUR',
  amount: 12_000,
  status: 'authorized',
  capturedAmount: 0,
  platformFeeAmount: 0,
  releasedAmount: 0,
  refundedAmount: 0,
  ...overrides,
});

/** The legs as [kind, owner, amount], after the double-entry check. */
function moves(currency: string, legs: Leg[]) {
  const plan = planPosting(currency, legs);
  assert.ok(plan.ok, plan.ok ? '' : plan.problem);
  return plan.entries.map((e) => [e.account.kind, e.account.ownerId, e.amount]);
}

describe('authorization rules', () => {
  test('authorize moves the amount from wallet to holds; top-up brings it in from external cash', () => {
    assert.deepEqual(moves('EUR', authorizationLegs(payer, 500, 'EUR')), [
      ['wallet', payer, -500],
      ['holds', payer, 500],
    ]);
    assert.deepEqual(moves('EUR', topUpLegs(payer, 500, 'EUR')), [
      ['external_cash', null, -500],
      ['wallet', payer, 500],
    ]);
  });

  test('the platform fee is in basis points, rounded half up', () => {
    assert.equal(platformFeeOf(2000, 1000), 200);
    assert.equal(platformFeeOf(2000, 0), 0);
    assert.equal(platformFeeOf(2000, 10_000), 2000);
    assert.equal(platformFeeOf(5, 1000), 1); // 0.5 → 1
    assert.equal(platformFeeOf(4, 1000), 0); // 0.4 → 0
    assert.equal(platformFeeOf(100_000_000, 9999), 99_990_000);
  });

  test('capture: fee to the payee less the platform fee, the deposit back to the payer, the hold emptied', () => {
    const plan = planCapture(held(), {
      payeeId: owner,
      currency: 'EUR',
      feeAmount: 2000,
      platformFeeBasisPoints: 1000,
    });
    assert.equal(plan.kind, 'post');
    if (plan.kind !== 'post') return;
    assert.deepEqual(moves('EUR', plan.legs), [
      ['holds', payer, -12_000],
      ['wallet', owner, 1800],
      ['platform_fees', null, 200],
      ['wallet', payer, 10_000],
    ]);
    assert.deepEqual(plan.changes, {
      status: 'captured',
      payeeId: owner,
      capturedAmount: 2000,
      platformFeeAmount: 200,
      releasedAmount: 10_000,
    });
  });

  test('capture of the whole hold or of nothing still balances', () => {
    for (const feeAmount of [0, 12_000]) {
      const plan = planCapture(held(), { payeeId: owner, currency: 'EUR', feeAmount, platformFeeBasisPoints: 0 });
      assert.equal(plan.kind, 'post');
      if (plan.kind === 'post') assert.equal(moves('EUR', plan.legs).length, 2);
    }
  });

  test('capture is refused in another currency, above the hold, or unless authorized', () => {
    const capture = { payeeId: owner, currency: 'EUR', feeAmount: 2000, platformFeeBasisPoints: 0 };
    const mismatch = planCapture(held(), { ...capture, currency: 'USD' });
    assert.equal(mismatch.kind, 'currencyMismatch');
    assert.match(mismatch.kind === 'currencyMismatch' ? mismatch.detail : '', /in EUR, not USD/);
    const over = planCapture(held(), { ...capture, feeAmount: 12_001 });
    assert.equal(over.kind, 'exceedsAuthorization');
    assert.match(over.kind === 'exceedsAuthorization' ? over.detail : '', /120\.01 EUR.*120\.00 EUR/);
    for (const status of ['captured', 'voided', 'refunded'] as const)
      assert.equal(planCapture(held({ status }), capture).kind, 'illegal', status);
  });

  test('void returns the whole hold; voiding twice is no change; a captured one cannot be voided', () => {
    const plan = planVoid(held());
    assert.equal(plan.kind, 'post');
    if (plan.kind === 'post') {
      assert.deepEqual(moves('EUR', plan.legs), [
        ['holds', payer, -12_000],
        ['wallet', payer, 12_000],
      ]);
      assert.deepEqual(plan.changes, { status: 'voided', releasedAmount: 12_000 });
    }
    assert.equal(planVoid(held({ status: 'voided' })).kind, 'unchanged');
    assert.equal(planVoid(held({ status: 'captured' })).kind, 'illegal');
    assert.equal(planVoid(held({ status: 'refunded' })).kind, 'illegal');
  });

  test('refund reverses a capture in full; refunding twice is no change; only a captured one can be refunded', () => {
    const captured = held({
      status: 'captured',
      payeeId: owner,
      capturedAmount: 2000,
      platformFeeAmount: 200,
      releasedAmount: 10_000,
    });
    const plan = planRefund(captured);
    assert.equal(plan.kind, 'post');
    if (plan.kind === 'post') {
      assert.deepEqual(moves('EUR', plan.legs), [
        ['wallet', owner, -1800],
        ['platform_fees', null, -200],
        ['wallet', payer, 2000],
      ]);
      assert.deepEqual(plan.changes, { status: 'refunded', refundedAmount: 2000 });
    }
    assert.equal(planRefund({ ...captured, status: 'refunded' }).kind, 'unchanged');
    assert.equal(planRefund(held()).kind, 'illegal');
    assert.equal(planRefund(held({ status: 'voided' })).kind, 'illegal');
  });

  test('capture then refund leaves everyone where they were before the capture', () => {
    const capture = planCapture(held(), {
      payeeId: owner,
      currency: 'EUR',
      feeAmount: 3333,
      platformFeeBasisPoints: 1250,
    });
    assert.equal(capture.kind, 'post');
    if (capture.kind !== 'post') return;
    const refund = planRefund({ ...held(), ...capture.changes });
    assert.equal(refund.kind, 'post');
    if (refund.kind !== 'post') return;
    const net = new Map<string, number>();
    for (const leg of [...capture.legs, ...refund.legs]) {
      const key = `${leg.account.kind}:${leg.account.ownerId}`;
      net.set(key, (net.get(key) ?? 0) + leg.amount);
    }
    // Only the hold's release remains: holds → payer's wallet.
    assert.deepEqual(Object.fromEntries([...net].filter(([, v]) => v !== 0)), {
      [`holds:${payer}`]: -12_000,
      [`wallet:${payer}`]: 12_000,
    });
  });
});
