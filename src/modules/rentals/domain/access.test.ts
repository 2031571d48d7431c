import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canCancel, canHandOver, canReturn, canSee } from './access.ts';

const now = new Date('2030-06-01T12:00:00Z');
const rental = (status = 'confirmed', startsInMs = 86_400_000) => ({
  renterId: 'renter',
  ownerId: 'owner',
  status,
  periodFrom: new Date(now.getTime() + startsInMs),
});
const member = (userId: string) => ({ userId, role: 'member' });
const admin = { userId: 'root', role: 'admin' };
const reason = (d: ReturnType<typeof canCancel>) => (d.ok ? 'ok' : d.reason);

describe('rental access', () => {
  test('renter, owner and admins see a rental; nobody else', () => {
    assert.equal(canSee(rental(), member('renter')), true);
    assert.equal(canSee(rental(), member('owner')), true);
    assert.equal(canSee(rental(), admin), true);
    assert.equal(canSee(rental(), member('stranger')), false);
  });

  test('before the handover the renter cancels, the owner declines, an admin may do either', () => {
    for (const who of [member('renter'), member('owner'), admin])
      assert.deepEqual(canCancel(rental(), who), { ok: true });
    assert.equal(
      reason(canCancel(rental('confirmed', -1000), member('renter'))),
      'ok',
      'started but not handed over yet',
    );
    assert.equal(reason(canCancel(rental(), member('stranger'))), 'notParticipant');
    assert.equal(reason(canCancel(rental('active'), member('renter'))), 'notCancellable');
    for (const status of ['requested', 'compensating', 'cancelled', 'completed'])
      assert.equal(reason(canCancel(rental(status), member('renter'))), 'notCancellable', status);
  });

  test('the owner or an admin hands over from the start of the period; not before, not the renter', () => {
    assert.deepEqual(canHandOver(rental('confirmed', 0), member('owner'), now), { ok: true });
    assert.deepEqual(canHandOver(rental('confirmed', -5000), admin, now), { ok: true });
    assert.deepEqual(canHandOver(rental('active', -5000), member('owner'), now), { ok: true }, 'a repeat');
    assert.equal(reason(canHandOver(rental('confirmed', 1), member('owner'), now)), 'handoverTooEarly');
    assert.equal(reason(canHandOver(rental('confirmed', 0), member('renter'), now)), 'notParticipant');
    assert.equal(reason(canHandOver(rental('cancelled', 0), member('owner'), now)), 'cannotHandOver');
  });

  test('the owner or an admin confirms the return after the handover; not before, not the renter', () => {
    assert.deepEqual(canReturn(rental('active'), member('owner')), { ok: true });
    assert.deepEqual(canReturn(rental('active', -86_400_000), admin), { ok: true });
    assert.equal(reason(canReturn(rental('active'), member('renter'))), 'notParticipant');
    assert.equal(reason(canReturn(rental('confirmed'), member('owner'))), 'notHandedOver');
    assert.equal(reason(canReturn(rental('cancelled'), member('owner'))), 'notReturnable');
  });
});
