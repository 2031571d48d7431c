import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fingerprintOf } from './operations.ts';

describe('operation fingerprints', () => {
  test('equal parameters in any key order give one fingerprint', () => {
    const a = fingerprintOf('authorizePayment', { payerId: 'p', amount: 5, currency: 'EUR', reference: 'r' });
    const b = fingerprintOf('authorizePayment', { reference: 'r', currency: 'EUR', amount: 5, payerId: 'p' });
    assert.equal(a, b);
  });

  test('undefined values are as if absent', () => {
    assert.equal(
      fingerprintOf('voidAuthorization', { authorizationId: 'a', note: undefined }),
      fingerprintOf('voidAuthorization', { authorizationId: 'a' }),
    );
  });

  test('any other value or command differs', () => {
    const base = fingerprintOf('authorizePayment', { amount: 5, currency: 'EUR' });
    assert.notEqual(fingerprintOf('authorizePayment', { amount: 6, currency: 'EUR' }), base);
    assert.notEqual(fingerprintOf('authorizePayment', { amount: '5', currency: 'EUR' }), base);
    assert.notEqual(fingerprintOf('capturePayment', { amount: 5, currency: 'EUR' }), base);
    assert.notEqual(fingerprintOf('authorizePayment', { amount: 5, currency: 'EUR', extra: null }), base);
  });
});
