import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { providerSettingsFrom } from './provider-settings.ts';

describe('provider settings', () => {
  test('default: no failures, no declines, no latency, every currency', () => {
    assert.deepEqual(providerSettingsFrom({}), {
      failureRate: 0,
      declineRate: 0,
      latencyMs: 0,
      timeoutMs: 2000,
      currencies: [],
    });
  });

  test('read from PAYMENT_PROVIDER_* variables', () => {
    const settings = providerSettingsFrom({
      PAYMENT_PROVIDER_FAILURE_RATE: '1',
      PAYMENT_PROVIDER_DECLINE_RATE: '0.25',
      PAYMENT_PROVIDER_LATENCY_MS: '40',
      PAYMENT_PROVIDER_TIMEOUT_MS: '500',
      PAYMENT_PROVIDER_CURRENCIES: 'eur, USD,,gbp',
      DATABASE_URL: 'ignored',
    });
    assert.deepEqual(settings, {
      failureRate: 1,
      declineRate: 0.25,
      latencyMs: 40,
      timeoutMs: 500,
      currencies: ['EUR', 'USD', 'GBP'],
    });
  });

  test('a bad value fails with one line naming the variable', () => {
    assert.throws(
      () => providerSettingsFrom({ PAYMENT_PROVIDER_FAILURE_RATE: '1.5' }),
      /PAYMENT_PROVIDER_FAILURE_RATE/,
    );
    assert.throws(() => providerSettingsFrom({ PAYMENT_PROVIDER_LATENCY_MS: 'slow' }), /PAYMENT_PROVIDER_LATENCY_MS/);
    assert.throws(() => providerSettingsFrom({ PAYMENT_PROVIDER_CURRENCIES: 'EURO' }), /PAYMENT_PROVIDER_CURRENCIES/);
  });
});
