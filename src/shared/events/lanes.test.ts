import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inLanes } from './lanes.ts';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('items of one key run in order, one at a time; keys run side by side up to the limit', async () => {
  const items = ['a1', 'b1', 'a2', 'c1', 'b2', 'a3', 'd1', 'c2'];
  const done: string[] = [];
  let running = 0;
  let most = 0;
  const runningKeys = new Set<string>();
  await inLanes(
    items,
    (i) => i[0]!,
    2,
    async (item) => {
      assert.ok(!runningKeys.has(item[0]!), `${item}: its key was already running`);
      runningKeys.add(item[0]!);
      most = Math.max(most, ++running);
      await tick(item === 'a1' ? 20 : 2);
      running--;
      runningKeys.delete(item[0]!);
      done.push(item);
    },
  );
  assert.equal(done.length, items.length);
  for (const key of 'abcd') {
    assert.deepEqual(
      done.filter((d) => d[0] === key),
      items.filter((i) => i[0] === key),
      `lane ${key} kept its order`,
    );
  }
  assert.equal(most, 2, 'two lanes ran at once, never more');
  assert.ok(done.indexOf('b2') < done.indexOf('a1'), 'a slow lane does not hold the others up');
});

test('a failure stops the lanes and is thrown once the running ones have stopped', async () => {
  const started: string[] = [];
  let settled = 0;
  await assert.rejects(
    inLanes(
      ['a1', 'b1', 'a2', 'b2', 'c1'],
      (i) => i[0]!,
      2,
      async (item) => {
        started.push(item);
        if (item === 'a1') throw new Error('boom');
        await tick(10);
        settled++;
      },
    ),
    /boom/,
  );
  assert.deepEqual(started, ['a1', 'b1'], 'nothing starts after the failure');
  assert.equal(settled, 1, 'the lane that was running finished its item before the error was thrown');
});

test('no items: nothing runs', async () => {
  let ran = 0;
  await inLanes([], String, 8, async () => void ran++);
  assert.equal(ran, 0);
});
