import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { OpenAPIHono } from '@hono/zod-openapi';
import { Redis } from 'ioredis';
import { testServers } from '../../test/support/env.ts';
import { eventually } from '../../test/support/eventually.ts';
import { parseConfig } from '../shared/config/config.ts';
import type { AppEnv } from '../shared/http/env.ts';
import { createLogger } from '../shared/observability/logger.ts';
import { edgeRateLimits } from './rate-limits.ts';

let redis: Redis;
before(() => {
  redis = new Redis(testServers().redisUrl, { keyPrefix: `t${randomBytes(4).toString('hex')}:` });
});
after(() => redis.disconnect());

/** The edge as public-api.ts mounts it: per IP before any work, per caller once known (here: an x-user header). */
async function edge(env: Record<string, string>) {
  const limits = edgeRateLimits(parseConfig(env), redis, createLogger({ level: 'silent', pretty: false, name: 't' }));
  const app = new OpenAPIHono<AppEnv>();
  if (limits.byIp) app.use('*', limits.byIp);
  app.use('*', async (c, next) => {
    const user = c.req.header('x-user');
    c.set('caller', user ? { userId: user, role: 'member' } : undefined);
    await next();
  });
  if (limits.byCaller) app.use('*', limits.byCaller);
  app.all('*', (c) => c.json({ ok: true }));
  const send = (method: string, ip: string, user?: string) =>
    app.request(
      '/v1/items',
      { method, headers: user ? { 'x-user': user } : {} },
      { incoming: { socket: { remoteAddress: ip, remoteFamily: 'IPv4' } } },
    );
  // The limiter's own connection fails fast (no offline queue): until it is up, requests pass
  // unlimited (fail open). Wait until a take is counted (its RateLimit headers appear).
  await eventually('the rate limiter connected', async () => {
    const res = await send(
      'POST',
      `10.9.${Math.floor(Math.random() * 250)}.1`,
      `warm-${randomBytes(4).toString('hex')}`,
    );
    return res.headers.get('ratelimit-limit') ?? undefined;
  });
  return send;
}

const statuses = async (n: number, send: () => Response | Promise<Response>) => {
  const all = await Promise.all(Array.from({ length: n }, send));
  return { ok: all.filter((r) => r.status === 200).length, limited: all.filter((r) => r.status === 429).length };
};

test('per account: exactly the configured writes pass, then 429, whatever the IP', async () => {
  const send = await edge({ RATE_LIMIT_WRITES_PER_MINUTE: '5', RATE_LIMIT_GLOBAL_PER_MINUTE: '0' });
  const user = `u-${randomBytes(4).toString('hex')}`;
  const { ok, limited } = await statuses(12, () => send('POST', `10.1.0.${Math.floor(Math.random() * 250)}`, user));
  assert.deepEqual({ ok, limited }, { ok: 5, limited: 7 });
  assert.equal((await send('GET', '10.1.0.1', user)).status, 200, 'reads are not writes');
  assert.equal((await send('POST', '10.1.0.1', `${user}-other`)).status, 200, 'another account has its own bucket');
});

test('per IP on a leased (large) bucket: never more than its capacity, then 429 with Retry-After', async () => {
  const send = await edge({ RATE_LIMIT_GLOBAL_PER_MINUTE: '600', RATE_LIMIT_WRITES_PER_MINUTE: '0' });
  const ip = `10.2.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
  let ok = 0;
  let limited = 0;
  for (let wave = 0; wave < 16; wave++) {
    const r = await statuses(50, () => send('GET', ip));
    ok += r.ok;
    limited += r.limited;
  }
  // 600 a minute refills 10 a second: a slow machine may earn some back while the waves run.
  assert.ok(ok >= 600 - 6, `${ok} passed: more than one lease lost`);
  assert.ok(ok <= 600 + 6 + 10 * 60, `${ok} passed`);
  assert.ok(limited > 0, 'the IP was limited');
  const refused = await send('GET', ip);
  if (refused.status === 429) assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  assert.equal((await send('GET', '10.3.0.1')).status, 200, 'another IP has its own bucket');
});
