import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canRequestRental } from './eligibility.ts';

describe('who may ask to rent an item', () => {
  test('anyone but its owner, while it is listed', () => {
    assert.deepEqual(canRequestRental('renter', { ownerId: 'owner', status: 'listed' }), { ok: true });
    const own = canRequestRental('owner', { ownerId: 'owner', status: 'listed' });
    assert.equal(own.ok === false && own.reason, 'ownItem');
    const retired = canRequestRental('renter', { ownerId: 'owner', status: 'retired' });
    assert.equal(retired.ok === false && retired.reason, 'itemUnavailable');
    const unlisted = canRequestRental('renter', { ownerId: 'owner', status: 'unlisted' });
    assert.equal(unlisted.ok === false && unlisted.reason, 'itemUnlisted');
  });
});
