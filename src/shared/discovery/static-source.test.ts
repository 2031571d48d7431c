import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StaticSource } from './static-source.ts';

test('a static source lists the urls of the variable, trimmed, without trailing slashes, sorted', async () => {
  const source = StaticSource.parse(' http://b:4001/ , http://a:4001,,https://c.example/inventory/', 'INVENTORY_URLS');
  await source.start();
  assert.deepEqual(source.instances(), [
    { id: 'http://a:4001', url: 'http://a:4001' },
    { id: 'http://b:4001', url: 'http://b:4001' },
    { id: 'https://c.example/inventory', url: 'https://c.example/inventory' },
  ]);
  await source.stop();
});

test('a static source rejects values that are not http(s) base urls, naming the variable', () => {
  assert.throws(
    () => StaticSource.parse('a:4001', 'INVENTORY_URLS'),
    /INVENTORY_URLS: "a:4001" is not an http\(s\) url/,
  );
  assert.throws(() => StaticSource.parse('not a url', 'INVENTORY_URLS'), /INVENTORY_URLS: "not a url" is not a url/);
  assert.throws(() => StaticSource.parse('http://a/?x=1', 'INVENTORY_URLS'), /without query/);
  assert.throws(() => StaticSource.parse(' , ', 'INVENTORY_URLS'), /INVENTORY_URLS lists no urls/);
  assert.throws(
    () => StaticSource.parse('http://u:secret@a:4001', 'INVENTORY_URLS'),
    (err: Error) => /must not carry credentials/.test(err.message) && !err.message.includes('secret'),
  );
  assert.throws(() => new StaticSource(['ftp://a']), /StaticSource: "ftp:\/\/a" is not an http\(s\) url/);
});
