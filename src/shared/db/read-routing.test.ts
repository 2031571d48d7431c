import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Db } from './database.ts';
import { ReplicaReads } from './read-routing.ts';
import { RecentWriters } from './recent-writers.ts';
import type { Replication } from './replication.ts';

const db = (name: string) => ({ name }) as unknown as Db;
const primary = db('primary');
const replicas = [db('r1'), db('r2'), db('r3')];
const nameOf = (d: Db) => (d as unknown as { name: string }).name;

test('reads go round robin to replicas under the lag bound; lagging or unknown ones are skipped; none left means the primary', () => {
  const lags: (number | undefined)[] = [10, 5000, undefined];
  const replication = { replicaLagMs: (i: number) => lags[i] } as unknown as Replication;
  const reads = new ReplicaReads({
    primary,
    replicas,
    replication,
    maxLagMs: 1000,
    writers: new RecentWriters(5000),
    database: 'x',
  });
  assert.deepEqual(
    [0, 1, 2, 3].map(() => nameOf(reads.db())),
    ['r1', 'r1', 'r1', 'r1'],
  );
  lags[1] = 0;
  assert.deepEqual(new Set([0, 1, 2, 3].map(() => nameOf(reads.db()))), new Set(['r1', 'r2']));
  lags.fill(undefined);
  assert.equal(nameOf(reads.db()), 'primary');
});

test('a user who wrote reads from the primary for the window; others still read replicas', async () => {
  const replication = { replicaLagMs: () => 0 } as unknown as Replication;
  const writers = new RecentWriters(80);
  const reads = new ReplicaReads({ primary, replicas, replication, maxLagMs: 1000, writers, database: 'x' });
  writers.note('ann');
  assert.equal(nameOf(reads.db({ userId: 'ann' })), 'primary');
  assert.notEqual(nameOf(reads.db({ userId: 'bob' })), 'primary');
  assert.notEqual(nameOf(reads.db()), 'primary');
  await new Promise((r) => setTimeout(r, 100));
  assert.notEqual(nameOf(reads.db({ userId: 'ann' })), 'primary', 'after the window, replicas again');
});
