import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { freePort, startRedis, type Service } from '../../../test/support/services.ts';
import { hash32 } from '../discovery/hash32.ts';
import { placementOf, RingCache } from './ring-cache.ts';

let nodes: Service[] = [];
before(async () => {
  nodes = await Promise.all([startRedis(), startRedis(), startRedis()]);
});
after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
});

const keys = Array.from({ length: 20_000 }, (_, i) => `item:${i}`);
const moved = (a: (k: string) => string, b: (k: string) => string) =>
  keys.filter((k) => a(k) !== b(k)).length / keys.length;

test('adding a fifth node remaps about 1/5 of the keys; a modulo placement remaps about all of them', async () => {
  const ports = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
  const urls = ports.map((p) => `redis://127.0.0.1:${p}`);
  const four = new RingCache(urls.slice(0, 4), { keyPrefix: 't:' });
  const five = new RingCache(urls, { keyPrefix: 't:' });
  try {
    const ring = moved(
      (k) => four.nodeOf(k),
      (k) => five.nodeOf(k),
    );
    const modulo = moved(
      (k) => urls[hash32(k) % 4]!,
      (k) => urls[hash32(k) % 5]!,
    );
    console.log(
      `[ring-cache] 4 → 5 nodes: ring moved ${(ring * 100).toFixed(1)} % of keys, modulo ${(modulo * 100).toFixed(1)} %`,
    );
    assert.ok(ring > 0.12 && ring < 0.28, `ring moved ${ring} (ideal 0.2)`);
    assert.ok(modulo > 0.7, `modulo moved ${modulo}`);
    // Removing one node moves only the keys it owned.
    const removed = urls[4]!;
    assert.ok(
      keys.every((k) => five.nodeOf(k) === removed || five.nodeOf(k) === four.nodeOf(k)),
      'only the removed node’s keys move',
    );
  } finally {
    await four.close();
    await five.close();
  }
});

test('keys live on the node the ring names, spread evenly; getMany reads across nodes in order', async () => {
  const prefix = `t${Date.now()}:`;
  const cache = new RingCache(
    nodes.map((n) => n.url),
    { keyPrefix: prefix },
  );
  const raw = nodes.map((n) => new Redis(n.url));
  try {
    const sample = keys.slice(0, 300);
    await Promise.all(sample.map((k) => cache.set(k, `v-${k}`, 60)));
    const perNode = nodes.map(() => 0);
    for (const k of sample) {
      const owner = nodes.findIndex((n) => n.url === cache.nodeOf(k));
      perNode[owner]!++;
      const stored = await Promise.all(raw.map((r) => r.exists(`${prefix}cache:${k}`)));
      assert.deepEqual(
        stored,
        raw.map((_, i) => (i === owner ? 1 : 0)),
        `${k} only on its node`,
      );
    }
    assert.ok(
      perNode.every((n) => n > 60),
      `spread: ${perNode.join(', ')}`,
    );
    const many = await cache.getMany([sample[5]!, 'missing', sample[17]!, sample[200]!]);
    assert.deepEqual(many, [`v-${sample[5]}`, undefined, `v-${sample[17]}`, `v-${sample[200]}`]);
    assert.equal(
      cache.nodeOf('identity:session:{abc}'),
      cache.nodeOf('identity:revoked:{abc}'),
      'a hash tag keeps a session and its revocation together',
    );
    assert.equal(placementOf('identity:session:{abc}'), 'abc');
  } finally {
    await cache.close();
    for (const r of raw) r.disconnect();
  }
});

test('a dead cache node answers misses and drops writes, never errors; the other nodes keep their hits', async () => {
  const doomed = await startRedis();
  const urls = [...nodes.map((n) => n.url), doomed.url];
  const cache = new RingCache(urls, { keyPrefix: `d${Date.now()}:` });
  try {
    const sample = keys.slice(0, 200);
    await Promise.all(sample.map((k) => cache.set(k, 'v', 60)));
    await doomed.stop();
    const started = Date.now();
    const values = await Promise.all(sample.map((k) => cache.get(k)));
    await cache.set('after', 'v', 60);
    await cache.del(...sample.slice(0, 20));
    const elapsed = Date.now() - started;
    sample.forEach((k, i) => {
      assert.equal(values[i], cache.nodeOf(k) === doomed.url ? undefined : 'v', k);
    });
    assert.ok(
      values.some((v) => v === undefined) && values.some((v) => v === 'v'),
      'misses on the dead node, hits elsewhere',
    );
    assert.ok(elapsed < 2000, `answered in ${elapsed} ms`);
  } finally {
    await cache.close();
  }
});
