import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonDifferences } from './json-differences.ts';

test('equal values have no differences', () => {
  assert.deepEqual(jsonDifferences({ a: [1, { b: 'x' }], c: null }, { c: null, a: [1, { b: 'x' }] }), []);
});

test('differences are named by JSON path: changed, missing, added, retyped', () => {
  assert.deepEqual(
    jsonDifferences(
      { output: { title: 'a', items: [{ id: 1 }, { id: 2 }], gone: true, 'odd key': 1, n: 1 } },
      { output: { title: 'b', items: [{ id: 1 }, { id: 3 }, { id: 4 }], 'odd key': 2, n: '1' } },
    ),
    // Keys in sorted order: gone, items, n, odd key, title.
    [
      '$.output.gone',
      '$.output.items[1].id',
      '$.output.items[2]',
      '$.output.n',
      '$.output["odd key"]',
      '$.output.title',
    ],
  );
});

test('an output against an error differs at both roots; the list is capped', () => {
  assert.deepEqual(jsonDifferences({ output: 1 }, { error: 'x' }), ['$.error', '$.output']);
  assert.equal(
    jsonDifferences(
      Array.from({ length: 50 }, () => 1),
      [],
      5,
    ).length,
    5,
  );
});
