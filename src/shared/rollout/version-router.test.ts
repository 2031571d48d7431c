import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, test } from 'node:test';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { testServers } from '../../../test/support/env.ts';
import type { Instance } from '../discovery/discovery-source.ts';
import { InstanceList } from '../discovery/instance-list.ts';
import { InstancePool } from '../discovery/instance-pool.ts';
import { createLogger } from '../observability/logger.ts';
import { rolloutMetrics } from './rollout-metrics.ts';
import { rolloutSettings } from './rollout-settings.ts';
import { RolloutStore } from './rollout-store.ts';
import { VersionRouter } from './version-router.ts';

const redis = new Redis(testServers().redisUrl, {
  keyPrefix: `v${randomUUID().slice(0, 6)}:`,
  maxRetriesPerRequest: 1,
});
// Every instance answers its health checks from this one server.
const server = createServer((_req, res) => res.writeHead(200).end());
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
after(async () => {
  await redis.quit();
  server.closeAllConnections();
  server.close();
});
const log = createLogger({ level: 'silent', pretty: false, name: 'test' });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const instances: Instance[] = [
  { id: 'a', url, version: '1.0.0' },
  { id: 'b', url, version: '1.0.0' },
  { id: 'c', url, version: '2.0.0' },
];

/** A router over a pool of three healthy instances: two at 1.0.0, one at 2.0.0. */
async function router() {
  const list = new InstanceList();
  list.set(instances);
  const source = {
    start: async () => {},
    stop: async () => {},
    instances: () => list.get(),
    subscribe: (listener: (i: readonly Instance[]) => void) => list.subscribe(listener),
  };
  const pool = new InstancePool({ source, module: 'inventory', log, intervalMs: 3_600_000 });
  await pool.start();
  cleanups.push(() => pool.stop());
  const store = new RolloutStore(redis);
  const versionRouter = new VersionRouter({
    module: 'inventory',
    pool,
    strategy: 'round_robin',
    store,
    settings: rolloutSettings({}),
    metrics: rolloutMetrics(new Registry()),
    log,
  });
  const picks = (n: number, key?: (i: number) => string) =>
    Array.from({ length: n }, (_, i) => versionRouter.selector().pick(new Set(), key?.(i))?.id);
  return { store, versionRouter, picks };
}

test('without a plan every healthy instance takes calls by the balancing strategy', async () => {
  const { picks } = await router();
  assert.deepEqual(picks(6), ['a', 'b', 'c', 'a', 'b', 'c']);
});

test('pinned: only the version; a retry avoiding it falls back to another version', async () => {
  const { store, versionRouter, picks } = await router();
  await store.set('inventory', { mode: 'pinned', version: '2.0.0' });
  assert.deepEqual(new Set(picks(6)), new Set(['c']));
  assert.notEqual(versionRouter.selector().pick(new Set(['c']), undefined)?.id, 'c');
});

test('canary: sticky per user, about the weight of the users on the canary', async () => {
  const { store, picks } = await router();
  await store.set('inventory', { mode: 'canary', stable: '1.0.0', canary: '2.0.0', weight: 0.25 });
  const first = picks(400, (i) => `user-${i}`);
  const again = picks(400, (i) => `user-${i}`);
  assert.deepEqual(
    first.map((id) => id === 'c'),
    again.map((id) => id === 'c'),
    'each user stays on their side',
  );
  const share = first.filter((id) => id === 'c').length / first.length;
  assert.ok(share > 0.15 && share < 0.35, `canary share ${share}`);
});

test('shadow: the shadow version never takes a call; the shadow selector picks only it', async () => {
  const { store, versionRouter, picks } = await router();
  await store.set('inventory', { mode: 'shadow', stable: '1.0.0', shadow: '2.0.0', sample: 1 });
  assert.ok(!picks(20).includes('c'));
  assert.equal(versionRouter.shadowSelector().pick(new Set(), undefined)?.id, 'c');
});
