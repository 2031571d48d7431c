import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blocksPeriod, bookingAdvances, bookingStateOf } from './booking-merge.ts';

describe('booking states', () => {
  test('a booking only moves forward: completed and cancelled are final', () => {
    assert.equal(bookingAdvances(undefined, 'confirmed'), true);
    assert.equal(bookingAdvances('confirmed', 'completed'), true);
    assert.equal(bookingAdvances('confirmed', 'cancelled'), true);
    assert.equal(
      bookingAdvances('cancelled', 'confirmed'),
      false,
      'a cancellation that overtook its confirmation stays',
    );
    assert.equal(bookingAdvances('completed', 'confirmed'), false);
    assert.equal(bookingAdvances('completed', 'cancelled'), false);
    assert.equal(bookingAdvances('confirmed', 'confirmed'), false);
  });

  test('only a confirmed booking blocks its period', () => {
    assert.deepEqual((['confirmed', 'completed', 'cancelled'] as const).map(blocksPeriod), [true, false, false]);
  });

  test('a rental once confirmed books its period until it is completed or cancelled, also while it is being undone', () => {
    assert.deepEqual((['confirmed', 'active', 'compensating', 'completed', 'cancelled'] as const).map(bookingStateOf), [
      'confirmed',
      'confirmed',
      'confirmed',
      'completed',
      'cancelled',
    ]);
  });
});
