import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, test } from 'node:test';
import type { DiscoveryLog, DiscoverySource, Instance } from './discovery-source.ts';
import { InstanceList } from './instance-list.ts';
import { InstancePool, type InstancePoolOptions } from './instance-pool.ts';
import { eventually } from '../../../test/support/eventually.ts';

/** An instance serving /readyz with a status the test can flip, or hanging ('hang'), after `delayMs`. */
async function startInstance(): Promise<{
  instance: Instance;
  status: number | 'hang';
  delayMs: number;
  close(): Promise<void>;
}> {
  const server = createServer((req, res) => {
    const status = handle.status;
    if (status === 'hang') return;
    setTimeout(() => res.writeHead(req.url === '/readyz' ? status : 404).end(), handle.delayMs);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const handle = {
    instance: { id: url, url },
    status: 200 as number | 'hang',
    delayMs: 0,
    async close() {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
  return handle;
}

/** A source whose membership the test sets. */
function fakeSource(instances: Instance[]): DiscoverySource & { set(instances: Instance[]): void } {
  const list = new InstanceList();
  list.set(instances);
  return {
    start: async () => {},
    stop: async () => {},
    instances: () => list.get(),
    subscribe: (listener) => list.subscribe(listener),
    set: (next) => void list.set(next),
  };
}

function recordingLog(): DiscoveryLog & { lines: { level: string; msg: string; obj: Record<string, unknown> }[] } {
  const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  return {
    lines,
    info: (obj, msg) => void lines.push({ level: 'info', msg, obj: obj as Record<string, unknown> }),
    warn: (obj, msg) => void lines.push({ level: 'warn', msg, obj: obj as Record<string, unknown> }),
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(count: number, options: Partial<InstancePoolOptions> = {}) {
  // Sorted by id, the order in which sources and the pool list instances.
  const servers = (await Promise.all(Array.from({ length: count }, startInstance))).sort((x, y) =>
    x.instance.id < y.instance.id ? -1 : 1,
  );
  cleanups.push(() => Promise.all(servers.map((s) => s.close())).then(() => {}));
  const source = fakeSource(servers.map((s) => s.instance));
  const log = recordingLog();
  const pool = new InstancePool({ source, module: 'inventory', log, intervalMs: 60_000, timeoutMs: 200, ...options });
  await pool.start();
  cleanups.push(() => pool.stop());
  const ids = (instances: readonly Instance[]) => instances.map((i) => i.id);
  return { servers, source, log, pool, ids };
}

test('new instances serve at once, before any health check has answered', async () => {
  const { servers, pool, ids } = await setup(2);
  assert.deepEqual(ids(pool.healthy()), ids(servers.map((s) => s.instance)));
  assert.ok(pool.pick('round_robin'), 'an instance to pick');
});

test('reported failures eject an instance after failureThreshold in a row; a success resets the count', async () => {
  const { servers, pool, log, ids } = await setup(2, { failureThreshold: 3 });
  const [a, b] = servers.map((s) => s.instance) as [Instance, Instance];
  pool.reportFailure(a);
  pool.reportFailure(a);
  pool.reportSuccess(a);
  pool.reportFailure(a);
  pool.reportFailure(a);
  assert.deepEqual(ids(pool.healthy()), [a.id, b.id]);
  pool.reportFailure(a);
  assert.deepEqual(ids(pool.healthy()), [b.id]);
  for (let n = 0; n < 4; n++) assert.equal(pool.pick('round_robin')?.id, b.id);
  assert.equal(pool.status().find((s) => s.id === a.id)?.healthy, false);
  assert.ok(
    log.lines.some((l) => l.level === 'warn' && l.msg.includes('ejected') && l.obj.instance === a.id),
    'ejection logged',
  );
});

test('an ejected instance stays out despite reported successes, and returns after passing an active check', async () => {
  const { servers, pool, log, ids } = await setup(2, { failureThreshold: 1, intervalMs: 50 });
  const a = servers[0]!.instance;
  servers[0]!.status = 503;
  await eventually('a ejected by its failing check', () => !ids(pool.healthy()).includes(a.id), 2_000, 10);
  pool.reportSuccess(a);
  assert.ok(!ids(pool.healthy()).includes(a.id), 'a reported success does not bring it back');
  servers[0]!.status = 200;
  await eventually('a back', () => ids(pool.healthy()).includes(a.id), 2_000, 10);
  assert.ok(
    log.lines.some((l) => l.level === 'info' && l.msg.includes('returned') && l.obj.instance === a.id),
    'return logged',
  );
});

test('a passively ejected instance returns at the next passing active check', async () => {
  const { servers, pool, ids } = await setup(1, { failureThreshold: 2, intervalMs: 100 });
  const a = servers[0]!.instance;
  pool.reportFailure(a);
  pool.reportFailure(a);
  assert.deepEqual(pool.healthy(), []);
  await eventually('a back', () => ids(pool.healthy()).includes(a.id), 2_000, 10);
});

test('a check that started before an ejection cannot undo it', async () => {
  const servers = await Promise.all([startInstance()]);
  cleanups.push(() => servers[0]!.close());
  servers[0]!.delayMs = 150;
  const log = recordingLog();
  const pool = new InstancePool({
    source: fakeSource([servers[0]!.instance]),
    module: 'inventory',
    log,
    intervalMs: 1_000,
    failureThreshold: 1,
  });
  await pool.start(); // its first check is now in flight
  cleanups.push(() => pool.stop());
  pool.reportFailure(servers[0]!.instance);
  assert.deepEqual(pool.healthy(), []);
  await new Promise((done) => setTimeout(done, 250)); // the first check has passed by now
  assert.deepEqual(pool.healthy(), [], 'still ejected');
  await eventually('back after the next check', () => pool.healthy().length === 1, 3_000, 10);
});

test('stop() cancels checks in flight', async () => {
  const { servers, pool } = await setup(1, { intervalMs: 20, timeoutMs: 10_000 });
  servers[0]!.status = 'hang';
  await new Promise((done) => setTimeout(done, 50));
  const started = Date.now();
  await pool.stop();
  assert.ok(Date.now() - started < 500, `stop took ${Date.now() - started} ms`);
});

test('one failed active check ejects: an error status, a closed port, a hung answer', async () => {
  const { servers, pool } = await setup(3, { intervalMs: 50, timeoutMs: 100 });
  servers[0]!.status = 503;
  await servers[1]!.close();
  servers[2]!.status = 'hang';
  await eventually('all ejected', () => pool.healthy().length === 0, 2_000, 10);
  for (const strategy of ['round_robin', 'least_outstanding', 'consistent_hash'] as const) {
    assert.equal(pool.pick(strategy, 'user-1'), undefined, strategy);
  }
});

test('all instances down: pick() answers undefined, and serves again once one recovers', async () => {
  const { servers, pool, log } = await setup(2, { intervalMs: 50 });
  for (const s of servers) s.status = 503;
  await eventually('all ejected', () => pool.healthy().length === 0, 2_000, 10);
  assert.equal(pool.pick('round_robin'), undefined);
  assert.ok(
    log.lines.some((l) => l.level === 'warn' && l.msg.includes('no healthy instances')),
    'outage logged',
  );
  servers[1]!.status = 200;
  await eventually('one back', () => pool.pick('round_robin')?.id === servers[1]!.instance.id, 2_000, 10);
});

test('least_outstanding sends the next request to the idle instance', async () => {
  const { servers, pool } = await setup(2);
  const [a, b] = servers.map((s) => s.instance) as [Instance, Instance];
  const release = pool.acquire(a);
  assert.equal(pool.pick('least_outstanding')?.id, b.id);
  assert.equal(pool.pick('least_outstanding')?.id, b.id);
  assert.equal(pool.status().find((s) => s.id === a.id)?.outstanding, 1);
  release();
  release(); // idempotent
  assert.equal(pool.status().find((s) => s.id === a.id)?.outstanding, 0);
  const picks = new Set([pool.pick('least_outstanding')?.id, pool.pick('least_outstanding')?.id]);
  assert.equal(picks.size, 2, 'ties are taken in turn');
});

test('consistent_hash is sticky per key, and falls back to round robin without a key', async () => {
  const { pool } = await setup(3);
  const owner = pool.pick('consistent_hash', 'user-42');
  for (let n = 0; n < 10; n++) assert.equal(pool.pick('consistent_hash', 'user-42'), owner);
  const keyless = new Set(Array.from({ length: 3 }, () => pool.pick('consistent_hash')?.id));
  assert.equal(keyless.size, 3);
});

test('membership follows the source and onChange reports the healthy set', async () => {
  const changes: string[][] = [];
  const { servers, source, pool, ids } = await setup(2, {
    onChange: (healthy) => changes.push(healthy.map((i) => i.id)),
  });
  const [a, b] = servers.map((s) => s.instance) as [Instance, Instance];
  source.set([b]);
  assert.deepEqual(ids(pool.healthy()), [b.id]);
  pool.reportFailure(a); // no longer known: ignored
  source.set([a, b]);
  assert.deepEqual(ids(pool.healthy()), [a.id, b.id]);
  assert.deepEqual(changes, [[a.id, b.id], [b.id], [a.id, b.id]]);
});

test('healthy instances group by version, and pick() can keep to one version with every strategy', async () => {
  const { servers, source, pool } = await setup(3);
  const [a, b, c] = servers.map((s) => s.instance) as [Instance, Instance, Instance];
  source.set([
    { ...a, version: '1.0.0' },
    { ...b, version: '1.1.0' },
    { ...c, version: '1.0.0' },
  ]);
  const groups = pool.healthyByVersion();
  assert.deepEqual([...groups.keys()].sort(), ['1.0.0', '1.1.0']);
  assert.deepEqual(
    groups.get('1.0.0')?.map((i) => i.id),
    [a.id, c.id],
  );
  for (const strategy of ['round_robin', 'least_outstanding', 'consistent_hash'] as const) {
    for (let n = 0; n < 6; n++) {
      assert.equal(pool.pick(strategy, `user-${n}`, '1.1.0')?.id, b.id);
      assert.notEqual(pool.pick(strategy, `user-${n}`, '1.0.0')?.id, b.id);
    }
    assert.equal(pool.pick(strategy, 'user-1', '2.0.0'), undefined);
  }
  pool.reportFailure({ ...b, version: '1.1.0' });
  pool.reportFailure({ ...b, version: '1.1.0' });
  pool.reportFailure({ ...b, version: '1.1.0' });
  assert.equal(pool.healthyByVersion().has('1.1.0'), false, 'an ejected instance leaves its group');
});

test('instances without a version form the unknown group', async () => {
  const { pool } = await setup(2);
  assert.deepEqual([...pool.healthyByVersion().keys()], ['unknown']);
});
