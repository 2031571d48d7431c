import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canarySplit } from './canary-split.ts';

const users = Array.from({ length: 5_000 }, (_, i) => `user-${i}`);

test('about weight of the users go to the canary, always the same ones', () => {
  const inCanary = canarySplit(0.2);
  const chosen = users.filter(inCanary);
  assert.ok(chosen.length > 0.15 * users.length && chosen.length < 0.25 * users.length, `${chosen.length}`);
  assert.deepEqual(users.filter(canarySplit(0.2)), chosen, 'sticky: another split of the same weight agrees');
});

test('raising the weight only moves users from stable to the canary', () => {
  const before = new Set(users.filter(canarySplit(0.1)));
  const after = new Set(users.filter(canarySplit(0.3)));
  for (const user of before) assert.ok(after.has(user), `${user} left the canary`);
  assert.ok(after.size > before.size);
});

test('weights 0 and 1 send nobody and everybody', () => {
  assert.equal(users.filter(canarySplit(0)).length, 0);
  assert.equal(users.filter(canarySplit(1)).length, users.length);
});
