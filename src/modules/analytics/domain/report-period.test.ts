import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reportPeriod } from './report-period.ts';

test('dates are midnight UTC, defaults are the last 30 days, empty or too long periods are refused', () => {
  assert.deepEqual(reportPeriod({ from: '2026-01-01', to: '2026-02-01' }), {
    from: '2026-01-01T00:00:00.000Z',
    to: '2026-02-01T00:00:00.000Z',
  });
  assert.deepEqual(reportPeriod({}, Date.parse('2026-03-31T12:00:00Z')), {
    from: '2026-03-01T12:00:00.000Z',
    to: '2026-03-31T12:00:00.000Z',
  });
  assert.deepEqual(reportPeriod({ from: '2026-01-02', to: '2026-01-01' }), { invalid: 'from must be before to.' });
  assert.ok('invalid' in reportPeriod({ from: '2000-01-01', to: '2026-01-01' }));
});
