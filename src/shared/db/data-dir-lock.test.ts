import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DataDirLockedError, LOCK_FILE, dataDirOwner, lockDataDir } from './data-dir-lock.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'shareloop-lock-'));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Another process tries to take the directory; resolves to what it printed and its exit code. */
function tryInChild(dataDir: string): { code: number | null; output: string } {
  const script = `import { lockDataDir } from './src/shared/db/data-dir-lock.ts';
try { lockDataDir(${JSON.stringify(dataDir)}, 'child'); console.log('acquired'); } catch (e) { console.log(e.name + ': ' + e.message); process.exit(3); }`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

test('a held directory is refused to another process with one line naming the owner; free again once released', () => {
  const dir = freshDir();
  const lock = lockDataDir(dir, 'monolith');
  lock.advertise('http://127.0.0.1:3999');
  const owner = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
  assert.equal(owner.pid, process.pid);
  assert.equal(owner.url, 'http://127.0.0.1:3999');

  const refused = tryInChild(dir);
  assert.equal(refused.code, 3, refused.output);
  assert.match(
    refused.output,
    new RegExp(
      `^DataDirLockedError: DATA_DIR .* is in use by another Shareloop process \\(monolith, pid ${process.pid}, at http://127\\.0\\.0\\.1:3999\\)`,
    ),
  );
  assert.equal(refused.output.trim().split('\n').length, 1, 'one line');

  lock.release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), false, 'release removes the file');
  const taken = tryInChild(dir);
  assert.equal(taken.code, 0, taken.output);
  assert.equal(existsSync(join(dir, LOCK_FILE)), false, 'the child removed its lock when it exited');
});

test('a lock whose process is gone is taken over; so is one naming this very pid (a restarted container)', async () => {
  for (const pid of [await deadPid(), process.pid]) {
    const dir = freshDir();
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid, role: 'monolith', startedAt: '2026-01-01T00:00:00.000Z', url: 'http://127.0.0.1:1' }),
    );
    assert.equal(dataDirOwner(dir), undefined, 'a stale lock has no live owner');
    const lock = lockDataDir(dir, 'monolith');
    assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
    lock.release();
  }
});

test('an unreadable lock file is taken over', () => {
  const dir = freshDir();
  writeFileSync(join(dir, LOCK_FILE), 'garbage');
  lockDataDir(dir, 'monolith').release();
});

test('one process may hold a directory several times (runtime and database); the file goes with the last holder', () => {
  const dir = freshDir();
  const runtime = lockDataDir(dir, 'monolith');
  const database = lockDataDir(dir, 'database');
  database.release();
  database.release();
  assert.ok(existsSync(join(dir, LOCK_FILE)), 'still held by the runtime');
  runtime.release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);
});

test('dataDirOwner names a live holder in another process', async () => {
  const dir = freshDir();
  const script = `import { lockDataDir } from './src/shared/db/data-dir-lock.ts';
lockDataDir(${JSON.stringify(dir)}, 'holder').advertise('http://127.0.0.1:4000'); console.log('held'); setTimeout(() => {}, 30000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve()),
    );
    assert.deepEqual(
      { ...dataDirOwner(dir), startedAt: undefined },
      { pid: child.pid, role: 'holder', url: 'http://127.0.0.1:4000', startedAt: undefined },
    );
    assert.throws(() => lockDataDir(dir, 'second'), DataDirLockedError);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
  assert.equal(dataDirOwner(dir), undefined, 'killed: the lock it left is stale');
  lockDataDir(dir, 'after').release();
});

test('an in-memory database (DATA_DIR=memory://) has nothing to lock', () => {
  const lock = lockDataDir('memory://', 'monolith');
  lock.advertise('http://127.0.0.1:1');
  lock.release();
  assert.equal(existsSync('memory:'), false, 'no directory named after the URL');
  assert.equal(dataDirOwner('memory://'), undefined);
});

test('several processes starting at once on a stale lock: exactly one takes it over', async () => {
  const dir = freshDir();
  writeFileSync(
    join(dir, LOCK_FILE),
    JSON.stringify({ pid: await deadPid(), role: 'monolith', startedAt: '2026-01-01T00:00:00.000Z' }),
  );
  // Each child waits for the same instant, tries once, says how it went, then holds what it got until killed.
  const script = `import { lockDataDir } from './src/shared/db/data-dir-lock.ts';
while (Date.now() < ${Date.now() + 6000}) {}
try { lockDataDir(${JSON.stringify(dir)}, 'racer'); console.log('acquired'); } catch (e) { console.log(e.name); }
setTimeout(() => {}, 60000);`;
  const children = Array.from({ length: 4 }, () =>
    spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  try {
    const outcomes = await Promise.all(
      children.map(
        (child) =>
          new Promise<string>((resolve) => child.stdout.on('data', (d: Buffer) => resolve(d.toString().trim()))),
      ),
    );
    assert.equal(outcomes.filter((o) => o === 'acquired').length, 1, outcomes.join(', '));
    assert.equal(outcomes.filter((o) => o === 'DataDirLockedError').length, 3, outcomes.join(', '));
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(
      children.map(
        (child) =>
          new Promise((r) => (child.exitCode === null && child.signalCode === null ? child.once('exit', r) : r(null))),
      ),
    );
  }
});
