import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canCancel, canReturn, canSee } from './access.ts';

const now = new Date('2030-06-01T12:00:00Z');
const rental = (status = 'active', startsInMs = 86_400_000) => ({ renterId: 'renter', ownerId: 'owner', status, periodFrom: new Date(now.getTime() + startsInMs) });
const member = (userId: string) => ({ userId, role: 'member' });
const admin = { userId: 'root', role: 'admin' };

describe('rental access', () => {
  test('renter, owner and admins see a rental; nobody else', () => {
    assert.equal(canSee(rental(), member('renter')), true);
    assert.equal(canSee(rental(), member('owner')), true);
    assert.equal(canSee(rental(), admin), true);
    assert.equal(canSee(rental(), member('stranger')), false);
  });

  test('an active rental can be cancelled by its parties until it starts', () => {
    for (const who of [member('renter'), member('owner'), admin]) assert.deepEqual(canCancel(rental(), who, now), { ok: true });
    const stranger = canCancel(rental(), member('stranger'), now);
    assert.equal(stranger.ok === false && stranger.reason, 'notParticipant');
    const started = canCancel(rental('active', 0), member('renter'), now);
    assert.equal(started.ok === false && started.reason, 'notCancellable');
    for (const status of ['requested', 'confirmed', 'compensating', 'cancelled', 'completed']) {
      const decision = canCancel(rental(status), member('renter'), now);
      assert.equal(decision.ok === false && decision.reason, 'notCancellable', status);
    }
  });

  test('the owner or an admin confirms the return of an active rental; not the renter', () => {
    assert.deepEqual(canReturn(rental(), member('owner')), { ok: true });
    assert.deepEqual(canReturn(rental('active', -86_400_000), admin), { ok: true });
    const renter = canReturn(rental(), member('renter'));
    assert.equal(renter.ok === false && renter.reason, 'notParticipant');
    const cancelled = canReturn(rental('cancelled'), member('owner'));
    assert.equal(cancelled.ok === false && cancelled.reason, 'notReturnable');
  });
});
