import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../config/config.ts';
import { parsePostgresUrl, redactPostgresUrl } from './postgres-url.ts';

test('a multi-host URL is taken apart into hosts, each with the same user, database and parameters', () => {
  const url = parsePostgresUrl('postgres://app:secret@db1:5432,db2:5433,[::1]/shop?sslmode=disable');
  assert.ok(url);
  assert.deepEqual(url.hosts, [
    { host: 'db1', port: 5432 },
    { host: 'db2', port: 5433 },
    { host: '[::1]', port: 5432 },
  ]);
  assert.equal(url.forHost(url.hosts[1]!), 'postgres://app:secret@db2:5433/shop?sslmode=disable');
  assert.equal(
    redactPostgresUrl('postgres://app:secret@db1:5432,db2:5433/shop'),
    'postgres://app@db1:5432,db2:5433/shop',
  );
});

test('what is not a PostgreSQL URL is refused, and the configuration names the variable', () => {
  for (const bad of ['mysql://db/x', 'postgres://db1:5432,/x', 'postgres://db1:99999/x', 'db1:5432'])
    assert.equal(parsePostgresUrl(bad), undefined, bad);
  assert.throws(
    () => parseConfig({ DATABASE_URL: 'postgres://a:1,b:70000/x' }),
    /DATABASE_URL must be a postgres:\/\/ URL/,
  );
  assert.throws(() => parseConfig({ DATABASE_READ_URLS: 'postgres://r1/x,nope' }), /DATABASE_READ_URLS/);
  assert.throws(() => parseConfig({ REDIS_SENTINELS: 'a:1,b' }), /REDIS_SENTINELS must be host:port/);
  const config = parseConfig({
    DATABASE_URL: 'postgres://u@h1:5432,h2:5433/db',
    DATABASE_READ_URLS: 'postgres://u@h2:5433/db, postgres://u@h3/db',
    REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001',
  });
  assert.equal(config.DATABASE_URL, 'postgres://u@h1:5432,h2:5433/db');
  assert.deepEqual(config.DATABASE_READ_URLS, ['postgres://u@h2:5433/db', 'postgres://u@h3/db']);
  assert.deepEqual(config.REDIS_CLUSTER_NODES, [
    { host: '127.0.0.1', port: 7000 },
    { host: '127.0.0.1', port: 7001 },
  ]);
});
