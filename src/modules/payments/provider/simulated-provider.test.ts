import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProviderSettings } from './provider-settings.ts';
import { simulatedProvider } from './simulated-provider.ts';

const settings = (overrides: Partial<ProviderSettings> = {}): ProviderSettings => ({
  failureRate: 0,
  declineRate: 0,
  latencyMs: 0,
  timeoutMs: 1000,
  currencies: [],
  ...overrides,
});
const request = { userId: 'u', amount: 100, currency: 'EUR' };
const open = () => new AbortController().signal;

describe('simulated payment provider', () => {
  test('by default every charge succeeds with a reference of its own', async () => {
    const provider = simulatedProvider(settings());
    const [a, b] = await Promise.all([provider.charge(request, open()), provider.charge(request, open())]);
    assert.equal(a.status, 'succeeded');
    assert.equal(b.status, 'succeeded');
    assert.notEqual(a.status === 'succeeded' && a.reference, b.status === 'succeeded' && b.reference);
  });

  test('fails and declines at the configured rates', async () => {
    const rolls = [0.1, 0.9, 0.4, 0.9, 0.9];
    const provider = simulatedProvider(settings({ failureRate: 0.2, declineRate: 0.5 }), () => rolls.shift()!);
    assert.equal((await provider.charge(request, open())).status, 'unavailable'); // 0.1 < 0.2
    assert.equal((await provider.charge(request, open())).status, 'declined'); // 0.9 ≥ 0.2, then 0.4 < 0.5
    assert.equal((await provider.charge(request, open())).status, 'succeeded');
    assert.equal((await simulatedProvider(settings({ failureRate: 1 })).charge(request, open())).status, 'unavailable');
    assert.equal((await simulatedProvider(settings({ declineRate: 1 })).charge(request, open())).status, 'declined');
  });

  test('answers after its latency, or as unavailable once the caller gives up', async () => {
    const provider = simulatedProvider(settings({ latencyMs: 50 }));
    const started = performance.now();
    assert.equal((await provider.charge(request, open())).status, 'succeeded');
    assert.ok(performance.now() - started >= 45);
    const slow = simulatedProvider(settings({ latencyMs: 5_000 }));
    const abandoned = performance.now();
    assert.equal((await slow.charge(request, AbortSignal.timeout(20))).status, 'unavailable');
    assert.ok(performance.now() - abandoned < 1_000);
  });

  test('accepts every currency unless a list is configured', () => {
    assert.equal(simulatedProvider(settings()).accepts('JPY'), true);
    const listed = simulatedProvider(settings({ currencies: ['EUR', 'USD'] }));
    assert.equal(listed.accepts('USD'), true);
    assert.equal(listed.accepts('JPY'), false);
  });
});
