import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { discoveryFromConfig } from './discovery-from-config.ts';
import { DnsSource } from './dns-source.ts';
import { RedisRegistry } from './redis-registry.ts';
import { StaticSource } from './static-source.ts';

// Never connected: choosing the registry only stores the client and reads its options.
const redis = { options: {} } as Redis;

test('<MODULE>_URLS wins over <MODULE>_DNS and Redis', () => {
  const source = discoveryFromConfig({
    module: 'inventory',
    env: { INVENTORY_URLS: 'http://a:1', INVENTORY_DNS: 'inv:1' },
    redis,
  });
  assert.ok(source instanceof StaticSource, 'static source');
  assert.deepEqual(source.instances(), [{ id: 'http://a:1', url: 'http://a:1' }]);
});

test('<MODULE>_DNS wins over Redis', () => {
  assert.ok(
    discoveryFromConfig({ module: 'inventory', env: { INVENTORY_DNS: 'inv:1' }, redis }) instanceof DnsSource,
    'DNS source',
  );
});

test('otherwise the Redis registry, when Redis is configured', () => {
  assert.ok(
    discoveryFromConfig({ module: 'inventory', env: { INVENTORY_URLS: ' ' }, redis }) instanceof RedisRegistry,
    'Redis registry',
  );
});

test('no discovery configured: the error names the variables to set', () => {
  assert.throws(
    () => discoveryFromConfig({ module: 'item-catalog', env: { INVENTORY_URLS: 'http://a:1' } }),
    /ITEM_CATALOG_URLS .*ITEM_CATALOG_DNS .*REDIS_URL/,
  );
});
