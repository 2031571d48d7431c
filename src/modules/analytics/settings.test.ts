import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyticsSettingsFrom } from './settings.ts';

test('WAREHOUSE_ETL_INTERVAL: 15 minutes by default, units or bare seconds, 0 is off, nonsense is refused', () => {
  assert.equal(analyticsSettingsFrom({}, false).intervalMs, 900_000);
  assert.equal(analyticsSettingsFrom({ WAREHOUSE_ETL_INTERVAL: '2m' }, false).intervalMs, 120_000);
  assert.equal(analyticsSettingsFrom({ WAREHOUSE_ETL_INTERVAL: '30' }, false).intervalMs, 30_000);
  assert.equal(analyticsSettingsFrom({ WAREHOUSE_ETL_INTERVAL: '0' }, false).intervalMs, 0);
  assert.throws(() => analyticsSettingsFrom({ WAREHOUSE_ETL_INTERVAL: 'soon' }, false), /WAREHOUSE_ETL_INTERVAL/);
  assert.throws(() => analyticsSettingsFrom({ WAREHOUSE_URL: 'mysql://x' }, false), /WAREHOUSE_URL/);
});

test('the kill hook is ignored in production', () => {
  assert.equal(analyticsSettingsFrom({ WAREHOUSE_KILL_AFTER_PAGES: '2' }, false).killAfterPages, 2);
  assert.equal(analyticsSettingsFrom({ WAREHOUSE_KILL_AFTER_PAGES: '2' }, true).killAfterPages, undefined);
});
