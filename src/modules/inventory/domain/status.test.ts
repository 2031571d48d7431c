import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { allowedMoves, planStatusChange, type Holding, type ItemAction, type ItemStatus } from './status.ts';

const R1 = '11111111-1111-4111-8111-111111111111';
const R2 = '22222222-2222-4222-8222-222222222222';
const available: Holding = { status: 'available', reservationId: null };
const reservedBy = (r: string): Holding => ({ status: 'reserved', reservationId: r });
const inUseBy = (r: string): Holding => ({ status: 'in_use', reservationId: r });
const retired: Holding = { status: 'retired', reservationId: null };

describe('availability state machine', () => {
  test('allows exactly the documented moves', () => {
    const moves = allowedMoves()
      .map(([from, to]) => `${from}->${to}`)
      .sort();
    assert.deepEqual(
      moves,
      [
        'available->reserved',
        'available->retired',
        'in_use->available',
        'reserved->available',
        'reserved->in_use',
      ].sort(),
    );
  });

  test('the rental happy path: reserve, mark in use, mark returned', () => {
    assert.deepEqual(planStatusChange(available, 'reserve', R1), {
      kind: 'move',
      from: 'available',
      to: 'reserved',
      reservationId: R1,
    });
    assert.deepEqual(planStatusChange(reservedBy(R1), 'markInUse', R1), {
      kind: 'move',
      from: 'reserved',
      to: 'in_use',
      reservationId: R1,
    });
    assert.deepEqual(planStatusChange(inUseBy(R1), 'markReturned', R1), {
      kind: 'move',
      from: 'in_use',
      to: 'available',
      reservationId: null,
    });
  });

  test('release frees a reservation it holds', () => {
    assert.deepEqual(planStatusChange(reservedBy(R1), 'release', R1), {
      kind: 'move',
      from: 'reserved',
      to: 'available',
      reservationId: null,
    });
  });

  test('retire only from available', () => {
    assert.deepEqual(planStatusChange(available, 'retire'), {
      kind: 'move',
      from: 'available',
      to: 'retired',
      reservationId: null,
    });
    assert.deepEqual(planStatusChange(reservedBy(R1), 'retire'), { kind: 'illegal', from: 'reserved', to: 'retired' });
    assert.deepEqual(planStatusChange(inUseBy(R1), 'retire'), { kind: 'illegal', from: 'in_use', to: 'retired' });
    assert.deepEqual(planStatusChange(retired, 'retire'), { kind: 'illegal', from: 'retired', to: 'retired' });
  });

  test('repeating a step for the same reservation is a no-op', () => {
    assert.deepEqual(planStatusChange(reservedBy(R1), 'reserve', R1), { kind: 'unchanged' });
    assert.deepEqual(planStatusChange(inUseBy(R1), 'markInUse', R1), { kind: 'unchanged' });
    assert.deepEqual(planStatusChange(available, 'release', R1), { kind: 'unchanged' });
    assert.deepEqual(planStatusChange(available, 'markReturned', R1), { kind: 'unchanged' });
  });

  test('release and return never touch another reservation’s hold', () => {
    assert.deepEqual(planStatusChange(reservedBy(R2), 'release', R1), { kind: 'unchanged' });
    assert.deepEqual(planStatusChange(inUseBy(R2), 'markReturned', R1), { kind: 'unchanged' });
  });

  test('illegal moves name their from and to', () => {
    assert.deepEqual(planStatusChange(reservedBy(R2), 'reserve', R1), {
      kind: 'illegal',
      from: 'reserved',
      to: 'reserved',
    });
    assert.deepEqual(planStatusChange(inUseBy(R1), 'reserve', R1), { kind: 'illegal', from: 'in_use', to: 'reserved' });
    assert.deepEqual(planStatusChange(available, 'markInUse', R1), {
      kind: 'illegal',
      from: 'available',
      to: 'in_use',
    });
    assert.deepEqual(planStatusChange(inUseBy(R1), 'release', R1), {
      kind: 'illegal',
      from: 'in_use',
      to: 'available',
    });
    assert.deepEqual(planStatusChange(reservedBy(R1), 'markReturned', R1), {
      kind: 'illegal',
      from: 'reserved',
      to: 'available',
    });
    assert.deepEqual(planStatusChange(retired, 'reserve', R1), { kind: 'illegal', from: 'retired', to: 'reserved' });
    assert.deepEqual(planStatusChange(retired, 'markInUse', R1), { kind: 'illegal', from: 'retired', to: 'in_use' });
  });

  test('marking in use someone else’s reservation is a reservation mismatch', () => {
    assert.deepEqual(planStatusChange(reservedBy(R2), 'markInUse', R1), { kind: 'heldByOther', status: 'reserved' });
    assert.deepEqual(planStatusChange(inUseBy(R2), 'markInUse', R1), { kind: 'heldByOther', status: 'in_use' });
  });

  test('property: any sequence of steps keeps the invariants', () => {
    const actions: ItemAction[] = ['reserve', 'release', 'markInUse', 'markReturned', 'retire'];
    const step = fc.record({ action: fc.constantFrom(...actions), reservation: fc.constantFrom(R1, R2) });
    const legal = new Set(allowedMoves().map(([from, to, action]) => `${action}:${from}->${to}`));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        let item: Holding = available;
        for (const { action, reservation } of steps) {
          const plan = planStatusChange(item, action, action === 'retire' ? undefined : reservation);
          if (item.status === 'retired') assert.notEqual(plan.kind, 'move', 'retired is final');
          if (plan.kind !== 'move') continue;
          assert.ok(
            legal.has(`${action}:${plan.from}->${plan.to}`),
            `${action} ${plan.from}->${plan.to} is not in the table`,
          );
          item = { status: plan.to, reservationId: plan.reservationId };
          const holds = item.status === 'reserved' || item.status === 'in_use';
          assert.equal(item.reservationId !== null, holds, 'a reservation is recorded exactly while the item is held');
          if (action !== 'retire')
            assert.deepEqual(
              planStatusChange(item, action, reservation),
              { kind: 'unchanged' },
              `${action} twice is a no-op`,
            );
        }
      }),
    );
  });

  test('every status appears in the machine', () => {
    const seen = new Set<ItemStatus>(allowedMoves().flatMap(([from, to]) => [from, to]));
    assert.deepEqual([...seen].sort(), ['available', 'in_use', 'reserved', 'retired']);
  });
});
