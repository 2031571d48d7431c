import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { stopAll } from '../../scripts/processes.ts';
import { eventually } from './eventually.ts';
import { startTogether } from './start-together.ts';

/** A real child process that runs until stopped. */
async function startSleeper() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return { pid: child.pid!, stop: () => stopAll([child]) };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('when one start fails, what did start is stopped and the failure is thrown', async () => {
  let sleeper: Awaited<ReturnType<typeof startSleeper>> | undefined;
  const started = startSleeper().then((s) => {
    sleeper = s;
    return s;
  });
  const failing = eventually('the sleeper to run', async () => sleeper).then(() => {
    throw new Error('readiness timed out');
  });
  await assert.rejects(startTogether([started, failing]), /readiness timed out/);
  assert.ok(sleeper, 'the other start finished');
  assert.equal(alive(sleeper.pid), false, 'the process that did start outlived the failed start');
});

test('when every start succeeds, all are returned in order and left running', async () => {
  const [a, b] = await startTogether([startSleeper(), startSleeper()]);
  try {
    assert.ok(alive(a.pid) && alive(b.pid));
    assert.notEqual(a.pid, b.pid);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  assert.equal(alive(a.pid) || alive(b.pid), false);
});
