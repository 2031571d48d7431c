import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rentalsSettingsFrom } from './settings.ts';

describe('rentals settings', () => {
  test('defaults: toolkit-recommended two-phase schedule, a lease well above a step', () => {
    const s = rentalsSettingsFrom({});
    assert.deepEqual(
      [
        s.stepTimeoutMs,
        s.leaseMs,
        s.recoveryIntervalMs,
        s.twoPhaseStaleMs,
        s.twoPhaseRecoveryMs,
        s.orphanCheckMs,
        s.platformFeeBasisPoints,
        s.failStep,
        s.crashAt,
      ],
      [3_000, 15_000, 5_000, 30_000, 10_000, 60_000, 0, undefined, undefined],
    );
  });

  test('reads its own variables and names a bad one', () => {
    const s0 = rentalsSettingsFrom({});
    assert.equal(rentalsSettingsFrom({ RENTALS_STEP_TIMEOUT_MS: '500', OTHER: 'x' }).stepTimeoutMs, 500);
    assert.deepEqual(
      [s0.maxAdvanceDays, s0.maxDays, rentalsSettingsFrom({ RENTALS_MAX_ADVANCE_DAYS: '30' }).maxAdvanceDays],
      [365, 90, 30],
    );
    assert.throws(() => rentalsSettingsFrom({ RENTALS_MAX_ADVANCE_DAYS: '0' }), /RENTALS_MAX_ADVANCE_DAYS/);
    assert.throws(() => rentalsSettingsFrom({ RENTALS_STEP_TIMEOUT_MS: 'soon' }), /RENTALS_STEP_TIMEOUT_MS/);
    assert.throws(() => rentalsSettingsFrom({ RENTALS_PLATFORM_FEE_BPS: '10001' }), /RENTALS_PLATFORM_FEE_BPS/);
    assert.throws(
      () => rentalsSettingsFrom({ RENTALS_STEP_TIMEOUT_MS: '10000', RENTALS_SAGA_LEASE_MS: '15000' }),
      /RENTALS_SAGA_LEASE_MS must be at least twice/,
    );
  });
});
