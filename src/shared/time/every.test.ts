import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../observability/logger.ts';
import { eventually } from '../../../test/support/eventually.ts';
import { every } from './every.ts';

const log = createLogger({ level: 'silent', pretty: false, name: 'test' });

describe('every: one periodic task at a time', () => {
  test('runs every interval, goes on after a failing run, and stop waits for the run under way', async () => {
    let runs = 0;
    let running = 0;
    let overlapped = false;
    const periodic = every(
      5,
      async () => {
        running++;
        if (running > 1) overlapped = true;
        runs++;
        await new Promise((r) => setTimeout(r, 10));
        running--;
        if (runs === 2) throw new Error('boom');
      },
      log,
      { name: 'test task', immediately: true },
    );
    await eventually('four runs', async () => (runs >= 4 ? true : undefined));
    periodic.wake();
    periodic.wake();
    await periodic.stop();
    const after = runs;
    assert.equal(running, 0, 'stop resolved while a run was under way');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(runs, after, 'ran after stop');
    assert.equal(overlapped, false, 'two runs overlapped');
  });

  test('wake runs the task now instead of after the interval; a wake during a run runs it once more', async () => {
    let runs = 0;
    let release: () => void = () => {};
    const periodic = every(
      60_000,
      async () => {
        runs++;
        await new Promise<void>((r) => {
          release = r;
        });
      },
      log,
      { name: 'test task' },
    );
    assert.equal(runs, 0, 'ran before its interval');
    periodic.wake();
    await eventually('the woken run', async () => (runs === 1 ? true : undefined));
    periodic.wake();
    periodic.wake();
    release();
    await eventually('one more run after the wakes', async () => (runs === 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(runs, 2, 'the wakes during a run coalesce into one run');
    release();
    await periodic.stop();
    assert.equal(runs, 2);
  });

  test('a run that names when work falls due runs again then, never later than the interval', async () => {
    const at: number[] = [];
    const periodic = every(
      60_000,
      async () => {
        at.push(Date.now());
        return at.length === 1 ? 30 : 120_000;
      },
      log,
      { name: 'test task', immediately: true },
    );
    await eventually('the run that fell due', async () => (at.length === 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 50));
    await periodic.stop();
    assert.equal(at.length, 2, 'a due time beyond the interval shortened it');
    assert.ok(at[1]! - at[0]! >= 25, `ran ${at[1]! - at[0]!} ms after, before it fell due`);
  });
});
