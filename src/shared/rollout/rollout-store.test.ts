import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { eventually } from '../../../test/support/eventually.ts';
import { testServers } from '../../../test/support/env.ts';
import { RolloutStore } from './rollout-store.ts';

const redis = new Redis(testServers().redisUrl, {
  keyPrefix: `r${randomUUID().slice(0, 6)}:`,
  maxRetriesPerRequest: 1,
});
after(() => redis.quit());

test('a plan set by one store reaches a watching store at once; clearing it too', async () => {
  const writer = new RolloutStore(redis);
  const watcher = new RolloutStore(redis, { refreshMs: 60_000 }); // only the change message can update it in time
  await watcher.watch(['inventory']);
  try {
    assert.equal(watcher.plan('inventory'), undefined);
    const plan = await writer.set('inventory', { mode: 'canary', stable: '1.0.0', canary: '1.1.0', weight: 0.2 });
    await eventually('plan seen', async () => (watcher.plan('inventory')?.id === plan.id ? true : undefined), 2_000);
    await writer.clear('inventory');
    await eventually('plan gone', async () => (watcher.plan('inventory') === undefined ? true : undefined), 2_000);
  } finally {
    await watcher.stop();
  }
});

test('replace applies only to the plan a decision was made for: the first decision wins', async () => {
  const a = new RolloutStore(redis);
  const b = new RolloutStore(redis);
  const plan = await a.set('payments', { mode: 'canary', stable: '1.0.0', canary: '1.1.0', weight: 0.5 });
  assert.equal(await a.replace('payments', plan.id, { mode: 'pinned', version: '1.0.0', reason: 'rolled-back' }), true);
  assert.equal(await b.replace('payments', plan.id, { mode: 'pinned', version: '1.1.0', reason: 'promoted' }), false);
  await b.read(['payments']);
  const now = b.plan('payments');
  assert.equal(now?.mode === 'pinned' && `${now.version} ${now.reason}`, '1.0.0 rolled-back');
});

test('an invalid plan is refused before it is written', async () => {
  const store = new RolloutStore(redis);
  await assert.rejects(store.set('catalog', { mode: 'canary', stable: '1', canary: '2', weight: 2 }));
  await store.read(['catalog']);
  assert.equal(store.plan('catalog'), undefined);
});
