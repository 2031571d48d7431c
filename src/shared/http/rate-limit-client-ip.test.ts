import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import { clientIp, ipBucket, type TrustProxy } from './rate-limit-client-ip.ts';

async function ipOf(
  peer: string | undefined,
  forwardedFor: string | undefined,
  trustProxy: TrustProxy,
): Promise<string | undefined> {
  let seen: string | undefined = 'unset';
  const app = new Hono();
  app.get('/', (c) => {
    seen = clientIp(c, trustProxy);
    return c.body(null, 204);
  });
  const headers: Record<string, string> = forwardedFor ? { 'x-forwarded-for': forwardedFor } : {};
  await app.request(
    '/',
    { headers },
    peer === undefined ? undefined : { incoming: { socket: { remoteAddress: peer } } },
  );
  return seen;
}

test('the peer address, unless trusted proxies say otherwise', async () => {
  assert.equal(await ipOf('198.51.100.4', '1.2.3.4', false), '198.51.100.4');
  assert.equal(await ipOf('::ffff:198.51.100.4', undefined, false), '198.51.100.4', 'IPv4-mapped becomes IPv4');
  assert.equal(await ipOf('10.0.0.2', '6.6.6.6, 1.2.3.4', true), '1.2.3.4', 'one trusted hop: the rightmost entry');
  assert.equal(await ipOf('10.0.0.2', '6.6.6.6, 1.2.3.4, 10.0.0.9', 2), '1.2.3.4', 'two trusted hops');
  assert.equal(await ipOf('10.0.0.2', '1.2.3.4', 3), '1.2.3.4', 'fewer entries than hops: the leftmost');
  assert.equal(await ipOf('10.0.0.2', 'garbage, also-garbage', true), '10.0.0.2', 'no usable entry: the peer');
  assert.equal(await ipOf('10.0.0.2', undefined, true), '10.0.0.2');
  assert.equal(await ipOf(undefined, '1.2.3.4', true), undefined, 'no connection information at all');
});

test('IPv6 clients share a bucket per /64; IPv4 per address', () => {
  assert.equal(ipBucket('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(ipBucket('2001:DB8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  assert.equal(ipBucket('2001:0db8:0001:0002::9'), '2001:db8:1:2::/64');
  assert.notEqual(ipBucket('2001:db8:1:3::1'), ipBucket('2001:db8:1:2::1'));
  assert.equal(ipBucket('::1'), '0:0:0:0::/64');
  assert.equal(ipBucket('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(ipBucket('64:ff9b::192.0.2.33'), '64:ff9b:0:0::/64');
  assert.equal(ipBucket('::ffff:192.0.2.33'), '192.0.2.33');
  assert.equal(ipBucket('192.0.2.33'), '192.0.2.33');
});
