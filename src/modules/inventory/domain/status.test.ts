import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { allowedMoves, planStatusChange, type ItemAction, type ItemStatus } from './status.ts';

const statuses: ItemStatus[] = ['listed', 'unlisted', 'retired'];
const actions: ItemAction[] = ['unlist', 'relist', 'retire'];

describe('listing state machine', () => {
  test('allows exactly the documented moves', () => {
    const moves = allowedMoves()
      .map(([from, to]) => `${from}->${to}`)
      .sort();
    assert.deepEqual(moves, ['listed->retired', 'listed->unlisted', 'unlisted->listed', 'unlisted->retired'].sort());
  });

  test('unlist and relist are idempotent', () => {
    assert.deepEqual(planStatusChange('listed', 'unlist'), { kind: 'move', from: 'listed', to: 'unlisted' });
    assert.deepEqual(planStatusChange('unlisted', 'unlist'), { kind: 'unchanged' });
    assert.deepEqual(planStatusChange('unlisted', 'relist'), { kind: 'move', from: 'unlisted', to: 'listed' });
    assert.deepEqual(planStatusChange('listed', 'relist'), { kind: 'unchanged' });
  });

  test('retired is final: unlist and relist are refused as retired, retiring again is illegal', () => {
    assert.deepEqual(planStatusChange('retired', 'relist'), { kind: 'retired' });
    assert.deepEqual(planStatusChange('retired', 'unlist'), { kind: 'retired' });
    assert.deepEqual(planStatusChange('retired', 'retire'), { kind: 'illegal', from: 'retired', to: 'retired' });
    assert.deepEqual(planStatusChange('unlisted', 'retire'), { kind: 'move', from: 'unlisted', to: 'retired' });
  });

  test('property: every move is an allowed one, and nothing leaves retired', () => {
    const allowed = new Set(allowedMoves().map(([from, to]) => `${from}->${to}`));
    fc.assert(
      fc.property(
        fc.constantFrom(...statuses),
        fc.array(fc.constantFrom(...actions), { maxLength: 20 }),
        (start, steps) => {
          let status = start;
          for (const action of steps) {
            const plan = planStatusChange(status, action);
            if (plan.kind !== 'move') continue;
            assert.ok(allowed.has(`${plan.from}->${plan.to}`));
            assert.notEqual(status, 'retired');
            status = plan.to;
          }
        },
      ),
    );
  });
});
