import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkPeriod, DAY_MS, overlaps, rentalDays } from './period.ts';

const now = new Date('2030-06-01T12:00:00Z');
const at = (days: number) => new Date(now.getTime() + days * DAY_MS).toISOString();

describe('rental periods', () => {
  test('a future, ordered period of at most 90 days is accepted and charged by started day', () => {
    assert.deepEqual(checkPeriod(at(1), at(4), now), { ok: true, period: { from: new Date(at(1)), to: new Date(at(4)) }, days: 3 });
    const check = checkPeriod(at(1), new Date(new Date(at(1)).getTime() + 3_600_000).toISOString(), now);
    assert.equal(check.ok && check.days, 1, 'an hour is a day');
    assert.equal(checkPeriod(at(1), at(91), now).ok, true, 'exactly 90 days');
    const offset = checkPeriod('2030-06-02T12:00:00+02:00', '2030-06-03T12:00:00+02:00', now);
    assert.equal(offset.ok && offset.period.from.toISOString(), '2030-06-02T10:00:00.000Z');
  });

  test('the past, the present, reversed, empty and too long periods are refused with a reason', () => {
    const refused = (from: string, to: string) => {
      const check = checkPeriod(from, to, now);
      assert.equal(check.ok, false, `${from} – ${to}`);
      return check.ok ? '' : check.problem;
    };
    assert.match(refused(at(-1), at(2)), /start in the future/);
    assert.match(refused(now.toISOString(), at(2)), /start in the future/);
    assert.match(refused(at(3), at(2)), /end after it starts/);
    assert.match(refused(at(2), at(2)), /end after it starts/);
    assert.match(refused(at(1), at(91.5)), /at most 90 days; this one would last 91/);
    assert.match(refused('not a date', at(2)), /valid instants/);
  });

  test('days are whole started days, at least one', () => {
    const from = new Date(at(1));
    assert.equal(rentalDays({ from, to: new Date(from.getTime() + 1) }), 1);
    assert.equal(rentalDays({ from, to: new Date(from.getTime() + DAY_MS) }), 1);
    assert.equal(rentalDays({ from, to: new Date(from.getTime() + DAY_MS + 1) }), 2);
  });

  test('half-open periods overlap only when they share an instant', () => {
    const p = (a: number, b: number) => ({ from: new Date(at(a)), to: new Date(at(b)) });
    assert.equal(overlaps(p(1, 3), p(2, 4)), true);
    assert.equal(overlaps(p(1, 5), p(2, 3)), true);
    assert.equal(overlaps(p(1, 3), p(3, 4)), false, 'back to back');
    assert.equal(overlaps(p(3, 4), p(1, 3)), false);
  });
});
