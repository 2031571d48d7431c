import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSameRequest } from './request-key.ts';

const rental = {
  itemId: 'a6f1c7e2-0000-4000-8000-000000000001',
  from: new Date('2030-07-01T10:00:00Z'),
  to: new Date('2030-07-03T10:00:00Z'),
};

test('a retry for the same item and instants is the same request, whatever the notation', () => {
  assert.equal(
    isSameRequest(rental, { itemId: rental.itemId, from: '2030-07-01T10:00:00Z', to: '2030-07-03T10:00:00.000Z' }),
    true,
  );
  assert.equal(
    isSameRequest(rental, { itemId: rental.itemId, from: '2030-07-01T12:00:00+02:00', to: '2030-07-03T10:00:00Z' }),
    true,
  );
});

test('another item or another period under the same key is a different request', () => {
  assert.equal(
    isSameRequest(rental, { itemId: 'a6f1c7e2-0000-4000-8000-000000000002', from: rental.from, to: rental.to }),
    false,
  );
  assert.equal(isSameRequest(rental, { itemId: rental.itemId, from: '2030-07-01T10:00:01Z', to: rental.to }), false);
  assert.equal(isSameRequest(rental, { itemId: rental.itemId, from: rental.from, to: '2030-07-04T10:00:00Z' }), false);
});
