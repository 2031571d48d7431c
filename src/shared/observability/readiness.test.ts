import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reusingSuccess } from './readiness.ts';

test('a check that succeeded is reused for its ttl; a failure is asked again on the next run', async () => {
  let asked = 0;
  let answer = false;
  const check = reusingSuccess(async () => {
    asked++;
    return answer;
  }, 60_000);
  assert.equal(await check(), false);
  assert.equal(await check(), false);
  assert.equal(asked, 2, 'a failure was reused');
  answer = true;
  assert.equal(await check(), true);
  answer = false;
  assert.equal(await check(), true, 'a success within its ttl was not reused');
  assert.equal(asked, 3);
  const expired = reusingSuccess(async () => {
    asked++;
    return false;
  }, 0);
  assert.equal(await expired(), false);
  assert.equal(asked, 4);
});
