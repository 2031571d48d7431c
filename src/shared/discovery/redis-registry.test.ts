import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { testServers } from '../../../test/support/env.ts';
import type { Instance } from './discovery-source.ts';
import { RedisRegistry } from './redis-registry.ts';
import { registerInstance } from './register-instance.ts';
import { registryKeys } from './registry-keys.ts';
import { eventually } from '../../../test/support/eventually.ts';

const { redisUrl } = testServers();
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
after(() => redis.quit());

const instance = (port: number): Instance => ({ id: `node-${port}`, url: `http://127.0.0.1:${port}` });
const ids = (instances: readonly Instance[]) => instances.map((i) => i.id);

/** How long until the condition held, looking every few milliseconds (the latency is what is measured). */
async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await eventually(what, condition, timeoutMs, 5);
  return Date.now() - started;
}

/** A watcher whose backstop refresh is far away, so only change messages and expiry wake-ups can update it. */
async function watch(module: string): Promise<RedisRegistry> {
  const registry = new RedisRegistry({ redis, module, refreshMs: 60_000 });
  await registry.start();
  return registry;
}

test('a watcher sees registrations within a second (pub/sub) and deregistrations likewise', async () => {
  const module = `test-${randomUUID()}`;
  const registry = await watch(module);
  const a = await registerInstance({ redis, module, instance: instance(4001), ttlMs: 10_000 });
  const b = await registerInstance({ redis, module, instance: instance(4002), ttlMs: 10_000 });
  try {
    const seenIn = await waitFor('both registered', () => registry.instances().length === 2, 1_000);
    assert.deepEqual(registry.instances(), [instance(4001), instance(4002)]);
    assert.ok(seenIn < 1_000, `seen after ${seenIn} ms`);

    await a.stop();
    await waitFor('node-4001 deregistered', () => registry.instances().length === 1, 1_000);
    assert.deepEqual(ids(registry.instances()), ['node-4002']);
    await b.stop();
    await waitFor('all deregistered', () => registry.instances().length === 0, 1_000);
    assert.equal(
      await redis.exists(registryKeys(redis, module).members, registryKeys(redis, module).urls),
      0,
      'nothing left behind',
    );
  } finally {
    await Promise.all([a.stop(), b.stop(), registry.stop()]);
  }
});

test('a registration carries its build version; a new version under the same id is seen', async () => {
  const module = `test-${randomUUID()}`;
  const registry = await watch(module);
  const old = await registerInstance({ redis, module, instance: { ...instance(4001), version: '1.0.0' } });
  try {
    await waitFor('registered', () => registry.instances().length === 1, 1_000);
    assert.deepEqual(registry.instances(), [{ ...instance(4001), version: '1.0.0' }]);
    await old.stop();
    const again = await registerInstance({ redis, module, instance: { ...instance(4001), version: '1.1.0' } });
    await waitFor('new version', () => registry.instances()[0]?.version === '1.1.0', 1_000);
    await again.stop();
    await waitFor('deregistered', () => registry.instances().length === 0, 1_000);
    const keys = registryKeys(redis, module);
    assert.equal(await redis.exists(keys.members, keys.urls, keys.versions), 0, 'nothing left behind');
  } finally {
    await Promise.all([old.stop(), registry.stop()]);
  }
});

test('a watcher started later reads the current instances on start', async () => {
  const module = `test-${randomUUID()}`;
  const a = await registerInstance({ redis, module, instance: instance(4001) });
  const registry = await watch(module);
  try {
    assert.deepEqual(registry.instances(), [instance(4001)]);
  } finally {
    await registry.stop();
    await a.stop();
  }
});

test('heartbeats keep an instance alive; when they stop without deregistering, it expires after its TTL', async () => {
  const module = `test-${randomUUID()}`;
  const ttlMs = 300;
  const registry = await watch(module);
  // The doomed instance has its own connection, cut to simulate a crash or a partition.
  const doomedConnection = new Redis(redisUrl, { maxRetriesPerRequest: 0 });
  const doomed = await registerInstance({ redis: doomedConnection, module, instance: instance(4001), ttlMs });
  // A long TTL: the survivor's heartbeats (which also prune) stay out of the window, so the watcher must notice the expiry itself.
  const survivor = await registerInstance({ redis, module, instance: instance(4002), ttlMs: 10_000 });
  try {
    await waitFor('both registered', () => registry.instances().length === 2, 1_000);
    await new Promise((done) => setTimeout(done, ttlMs * 3));
    assert.equal(registry.instances().length, 2, 'heartbeats renewed both entries past their first TTL');

    doomedConnection.disconnect();
    const goneIn = await waitFor('node-4001 expired', () => registry.instances().length === 1, ttlMs * 4);
    assert.deepEqual(ids(registry.instances()), ['node-4002']);
    assert.ok(goneIn <= ttlMs * 2, `expired after ${goneIn} ms`); // by TTL, not by the 60 s backstop
  } finally {
    doomedConnection.disconnect();
    await doomed.stop(); // best effort: its connection is gone
    await survivor.stop();
    await registry.stop();
  }
});

test('registering an id again with another url replaces the entry', async () => {
  const module = `test-${randomUUID()}`;
  const registry = await watch(module);
  const first = await registerInstance({ redis, module, instance: { id: 'pod-0', url: 'http://10.0.0.1:4001' } });
  const second = await registerInstance({ redis, module, instance: { id: 'pod-0', url: 'http://10.0.0.2:4001' } });
  try {
    await waitFor('url replaced', () => registry.instances()[0]?.url === 'http://10.0.0.2:4001', 1_000);
    await first.stop(); // the old process shutting down late must not remove its successor
    await new Promise((done) => setTimeout(done, 100));
    assert.deepEqual(registry.instances(), [{ id: 'pod-0', url: 'http://10.0.0.2:4001' }]);
  } finally {
    await second.stop();
    await registry.stop();
  }
});

test('a subscriber appears only after start and is gone after stop', async () => {
  const module = `test-${randomUUID()}`;
  const channel = registryKeys(redis, module).channel;
  const count = async () => ((await redis.pubsub('NUMSUB', channel)) as [string, number])[1];
  const registry = new RedisRegistry({ redis, module });
  assert.equal(await count(), 0);
  await registry.start();
  assert.equal(await count(), 1);
  await registry.stop();
  assert.equal(await count(), 0);
});

test('deployments sharing a Redis (different keyPrefix) see only their own instances', async () => {
  const module = `test-${randomUUID()}`;
  const blue = new Redis(redisUrl, { maxRetriesPerRequest: 1, keyPrefix: `blue-${randomUUID()}:` });
  const green = new Redis(redisUrl, { maxRetriesPerRequest: 1, keyPrefix: `green-${randomUUID()}:` });
  const blueRegistry = new RedisRegistry({ redis: blue, module, refreshMs: 60_000 });
  const greenRegistry = new RedisRegistry({ redis: green, module, refreshMs: 60_000 });
  await Promise.all([blueRegistry.start(), greenRegistry.start()]);
  const registration = await registerInstance({ redis: blue, module, instance: instance(4001) });
  try {
    await waitFor('blue sees its instance', () => blueRegistry.instances().length === 1, 1_000);
    assert.equal(await redis.exists(`${blue.options.keyPrefix}discovery:${module}`), 1, 'stored under the prefix');
    assert.equal(
      ((await redis.pubsub('NUMSUB', registryKeys(green, module).channel)) as [string, number])[1],
      1,
      'green listens on its own channel',
    );
    await new Promise((done) => setTimeout(done, 50));
    assert.deepEqual(greenRegistry.instances(), []);
  } finally {
    await registration.stop();
    await Promise.all([blueRegistry.stop(), greenRegistry.stop()]);
    await Promise.all([blue.quit(), green.quit()]);
  }
});
