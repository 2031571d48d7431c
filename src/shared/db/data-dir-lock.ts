import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

/** The DATA_DIR value that keeps PGlite in memory. */
const IN_MEMORY = 'memory://';

/** The lock file in a data directory, naming the one process that may open it. */
export const LOCK_FILE = 'shareloop.lock';

/** What a lock file records about the process holding the directory. */
export interface LockOwner {
  pid: number;
  /** What the process is, e.g. "monolith" or "catalog-rebuild". */
  role: string;
  startedAt: string;
  /** Where its HTTP API listens, once it does (operator commands call its admin API there). */
  url?: string;
}

/** Another live process holds the data directory. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by another Shareloop process (${owner.role}, pid ${owner.pid}${owner.url ? `, at ${owner.url}` : ''}); ` +
        `two processes on one embedded database would corrupt it: stop that process first, or run operator commands against it (they use its admin API)`,
    );
    this.name = 'DataDirLockedError';
  }
}

/** This process's hold on a data directory. */
export interface DataDirLock {
  readonly dataDir: string;
  /** Records where this process's HTTP API listens, for operator commands to find it. */
  advertise(url: string): void;
  /** Gives the hold back; the file goes when the last holder in this process releases it. */
  release(): void;
}

interface Held {
  path: string;
  owner: LockOwner;
  holders: number;
}

/** Directories this process holds, by absolute path: holding one twice (runtime and database) is fine. */
const held = new Map<string, Held>();
let exitHookInstalled = false;

/**
 * Takes a data directory for this process, or throws DataDirLockedError at once when a live
 * process holds it. The lock file (`<dataDir>/shareloop.lock`) holds the owner's pid; a lock
 * left by a process that is gone (killed, crashed, or a previous container whose pid this
 * process now has) is taken over. The file is removed on release and when this process exits.
 */
export function lockDataDir(dataDir: string, role: string): DataDirLock {
  // An in-memory database has no directory to share.
  if (dataDir === IN_MEMORY) return { dataDir, advertise: () => {}, release: () => {} };
  const dir = resolve(dataDir);
  let entry = held.get(dir);
  if (!entry) {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, LOCK_FILE);
    const owner: LockOwner = { pid: process.pid, role, startedAt: new Date().toISOString() };
    acquire(path, owner, dataDir);
    entry = { path, owner, holders: 0 };
    held.set(dir, entry);
    installExitHook();
  }
  entry.holders++;
  const holding = entry;
  let released = false;
  return {
    dataDir,
    advertise(url) {
      holding.owner.url = url;
      if (held.get(dir) === holding) writeAtomically(holding.path, holding.owner);
    },
    release() {
      if (released) return;
      released = true;
      if (--holding.holders > 0 || held.get(dir) !== holding) return;
      held.delete(dir);
      removeIfOurs(holding.path);
    },
  };
}

/** The live process holding dataDir, if any (a stale lock counts as none). */
export function dataDirOwner(dataDir: string): LockOwner | undefined {
  if (dataDir === IN_MEMORY) return undefined;
  const owner = readOwner(join(resolve(dataDir), LOCK_FILE));
  return owner && owner.pid !== process.pid && isAlive(owner.pid) ? owner : undefined;
}

function acquire(path: string, owner: LockOwner, dataDir: string): void {
  for (let attempt = 0; attempt < 10; attempt++) {
    if (createExclusively(path, owner)) return;
    const current = readOwner(path);
    if (current && current.pid !== process.pid && isAlive(current.pid)) throw new DataDirLockedError(dataDir, current);
    // Stale (its process is gone) or unreadable: remove it, unless another taker replaced it meanwhile.
    withTakeoverMutex(path, () => {
      const again = readOwner(path);
      if (!again || (again.pid === current?.pid && again.startedAt === current.startedAt))
        rmSync(path, { force: true });
    });
  }
  throw new Error(`could not take the lock ${path}: it keeps changing hands`);
}

/** Creates the file with its whole content at once (link of a written temp file), failing if it exists. */
function createExclusively(path: string, owner: LockOwner): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, `${JSON.stringify(owner)}\n`);
  try {
    linkSync(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(tmp, { force: true });
  }
}

function writeAtomically(path: string, owner: LockOwner): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, `${JSON.stringify(owner)}\n`);
  renameSync(tmp, path);
}

/** Serializes stale-lock takeovers between processes; a mutex left by a crash expires after 10 s. */
function withTakeoverMutex(path: string, run: () => void): void {
  const mutex = `${path}.takeover`;
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      writeFileSync(mutex, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(mutex, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 10_000 || Date.now() > deadline) rmSync(mutex, { force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    run();
  } finally {
    rmSync(mutex, { force: true });
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && Number.isInteger(owner.pid) && owner.pid > 0
      ? (owner as LockOwner)
      : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeIfOurs(path: string): void {
  if (readOwner(path)?.pid === process.pid) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const entry of held.values()) removeIfOurs(entry.path);
    held.clear();
  });
}
