import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { boundOf, dayOrInstant } from './day-or-instant.ts';

describe('period bounds: a whole day or an instant', () => {
  test('a day starts at 00:00 UTC and, ending a period, runs through its end', () => {
    assert.equal(boundOf('2026-12-20', 'start'), Date.parse('2026-12-20T00:00:00Z'));
    assert.equal(boundOf('2026-12-20', 'end'), Date.parse('2026-12-21T00:00:00Z'));
    assert.equal(
      boundOf('2026-12-20T10:00:00+02:00', 'end'),
      Date.parse('2026-12-20T08:00:00Z'),
      'an instant is itself',
    );
  });

  test('impossible and extreme dates are refused by the schema, not passed on', () => {
    const schema = dayOrInstant('start');
    for (const bad of [
      '0000-01-01',
      '9999-12-31T23:59:60Z',
      '2026-02-30',
      '1969-12-31',
      'tomorrow',
      '2026-12-20T10:00:00',
    ]) {
      assert.equal(schema.safeParse(bad).success, false, bad);
    }
    assert.equal(dayOrInstant('end').safeParse('9999-12-31').success, true, 'the last day ends within range');
    assert.equal(schema.safeParse('2026-12-20').success, true);
  });
});
