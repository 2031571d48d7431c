import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canRequestRental } from './eligibility.ts';

describe('who may ask to rent an item', () => {
  test('anyone but its owner, unless it is retired', () => {
    assert.deepEqual(canRequestRental('renter', { ownerId: 'owner', status: 'available' }), { ok: true });
    assert.deepEqual(
      canRequestRental('renter', { ownerId: 'owner', status: 'in_use' }),
      { ok: true },
      'whether it is free is settled by reserving it',
    );
    const own = canRequestRental('owner', { ownerId: 'owner', status: 'available' });
    assert.equal(own.ok === false && own.reason, 'ownItem');
    const retired = canRequestRental('renter', { ownerId: 'owner', status: 'retired' });
    assert.equal(retired.ok === false && retired.reason, 'itemUnavailable');
  });
});
