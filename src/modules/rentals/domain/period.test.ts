import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkPeriod, DAY_MS, overlaps, rentalDays } from './period.ts';

const now = new Date('2030-06-01T12:00:00Z');
const at = (days: number) => new Date(now.getTime() + days * DAY_MS).toISOString();
const limits = { maxDays: 90, maxAdvanceDays: 365 };

describe('rental periods', () => {
  test('an ordered period of at most 90 days, starting today or later, is accepted and charged by started day', () => {
    assert.deepEqual(checkPeriod(at(1), at(4), now, limits), {
      ok: true,
      period: { from: new Date(at(1)), to: new Date(at(4)) },
      days: 3,
    });
    const check = checkPeriod(at(1), new Date(new Date(at(1)).getTime() + 3_600_000).toISOString(), now, limits);
    assert.equal(check.ok && check.days, 1, 'an hour is a day');
    assert.equal(checkPeriod(at(1), at(91), now, limits).ok, true, 'exactly 90 days');
    const offset = checkPeriod('2030-06-02T12:00:00+02:00', '2030-06-03T12:00:00+02:00', now, limits);
    assert.equal(offset.ok && offset.period.from.toISOString(), '2030-06-02T10:00:00.000Z');
  });

  test('whole days: from 00:00 UTC of the first through the end of the last; today is allowed', () => {
    const today = checkPeriod('2030-06-01', '2030-06-01', now, limits);
    assert.deepEqual(today, {
      ok: true,
      period: { from: new Date('2030-06-01T00:00:00Z'), to: new Date('2030-06-02T00:00:00Z') },
      days: 1,
    });
    const three = checkPeriod('2030-06-10', '2030-06-12', now, limits);
    assert.equal(three.ok && three.days, 3);
  });

  test('the past, reversed, too long and too far ahead periods are refused with a reason', () => {
    const refused = (from: string, to: string) => {
      const check = checkPeriod(from, to, now, limits);
      assert.equal(check.ok, false, `${from} – ${to}`);
      return check.ok ? ['', ''] : [check.reason, check.problem];
    };
    assert.deepEqual(refused(at(-1), at(2))[0], 'invalidPeriod');
    assert.match(refused('2030-05-31', '2030-06-02')[1]!, /starts today \(2030-06-01\) at the earliest/);
    assert.match(refused(at(3), at(2))[1]!, /end after it starts/);
    assert.deepEqual(refused(at(1), at(91.5)), [
      'periodTooLong',
      'A rental lasts at most 90 days; this one would last 91.',
    ]);
    assert.equal(refused(at(366), at(367))[0], 'startsTooFarAhead');
    assert.equal(
      checkPeriod(at(366), at(367), now, { maxDays: 90, maxAdvanceDays: 400 }).ok,
      true,
      'the setting moves the limit',
    );
    assert.equal(refused('0000-01-01', '9999-12-31')[0], 'invalidPeriod');
    assert.match(refused('not a date', at(2))[1]!, /days \(2026-12-20\) or ISO date-times/);
  });

  test('days charged and overlap of half-open periods', () => {
    const p = (a: number, b: number) => ({ from: new Date(at(a)), to: new Date(at(b)) });
    assert.equal(rentalDays(p(0, 2.5)), 3);
    assert.equal(overlaps(p(1, 3), p(3, 5)), false, 'touching periods do not overlap');
    assert.equal(overlaps(p(1, 3), p(2, 5)), true);
  });
});
