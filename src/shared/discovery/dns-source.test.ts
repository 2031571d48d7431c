import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DnsSource } from './dns-source.ts';
import { eventually } from '../../../test/support/eventually.ts';

function dnsError(code: string): Error {
  return Object.assign(new Error(`queryA ${code}`), { code });
}

test('localhost:port resolves to one instance per address', async () => {
  const source = new DnsSource({ target: 'localhost:4001' });
  await source.start();
  try {
    const urls = source.instances().map((i) => i.url);
    assert.ok(urls.includes('http://127.0.0.1:4001'), urls.join(','));
    assert.ok(
      urls.every((url) => url === 'http://127.0.0.1:4001' || url === 'http://[::1]:4001'),
      urls.join(','),
    );
    assert.deepEqual(
      source.instances().map((i) => i.id),
      urls,
    );
  } finally {
    await source.stop();
  }
});

test('the name is resolved again every refreshMs; a missing name means no instances, a DNS outage keeps the last ones', async () => {
  const answers: (string[] | Error)[] = [
    ['10.0.0.2', '10.0.0.1'],
    ['10.0.0.1', 'fd00::3'],
    dnsError('ETIMEOUT'),
    dnsError('ENOTFOUND'),
    ['10.0.0.9'],
  ];
  const seen: string[][] = [];
  const source = new DnsSource({
    target: 'inventory.shop.svc.cluster.local:4001',
    refreshMs: 20,
    resolve: async (hostname) => {
      assert.equal(hostname, 'inventory.shop.svc.cluster.local');
      const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  });
  source.subscribe((instances) => seen.push(instances.map((i) => i.url)));
  await source.start();
  try {
    await eventually('four answers', () => seen.length >= 4, 2_000, 10);
    await new Promise((done) => setTimeout(done, 60)); // a few more refreshes with the same answer
    assert.deepEqual(seen, [
      ['http://10.0.0.1:4001', 'http://10.0.0.2:4001'],
      ['http://10.0.0.1:4001', 'http://[fd00::3]:4001'],
      // ETIMEOUT: unchanged, so no notification
      [],
      ['http://10.0.0.9:4001'],
    ]);
  } finally {
    await source.stop();
  }
});

test('the target must be name:port', () => {
  assert.throws(() => new DnsSource({ target: 'inventory' }), /must be name:port/);
  assert.throws(() => new DnsSource({ target: 'inventory:99999' }), /must be name:port/);
  assert.doesNotThrow(() => new DnsSource({ target: '[::1]:4001' }));
});
