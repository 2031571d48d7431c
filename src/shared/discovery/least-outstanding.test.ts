import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leastOutstanding } from './least-outstanding.ts';

test('least outstanding picks the idle candidate', () => {
  const load = new Map([
    ['a', 3],
    ['b', 0],
    ['c', 5],
  ]);
  for (let turn = 0; turn < 5; turn++)
    assert.equal(
      leastOutstanding(['a', 'b', 'c'], (id) => load.get(id)!, turn),
      'b',
    );
});

test('least outstanding takes tied candidates in turn', () => {
  const load = new Map([
    ['a', 1],
    ['b', 1],
    ['c', 2],
  ]);
  const picks = Array.from({ length: 4 }, (_, turn) => leastOutstanding(['a', 'b', 'c'], (id) => load.get(id)!, turn));
  assert.deepEqual(picks, ['a', 'b', 'a', 'b']);
});

test('least outstanding has nothing to pick from an empty list', () => {
  assert.equal(
    leastOutstanding([], () => 0, 0),
    undefined,
  );
});
