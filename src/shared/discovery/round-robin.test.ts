import assert from 'node:assert/strict';
import { test } from 'node:test';
import { roundRobin } from './round-robin.ts';

test('round robin cycles through the candidates in order, evenly', () => {
  const picks = Array.from({ length: 300 }, (_, turn) => roundRobin(['a', 'b', 'c'], turn));
  assert.deepEqual(picks.slice(0, 6), ['a', 'b', 'c', 'a', 'b', 'c']);
  for (const id of ['a', 'b', 'c']) assert.equal(picks.filter((p) => p === id).length, 100);
});

test('round robin has nothing to pick from an empty list', () => {
  assert.equal(roundRobin([], 7), undefined);
});
