import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { OpenAPIHono } from '@hono/zod-openapi';
import { Redis } from 'ioredis';
import { testServers } from '../../../test/support/env.ts';
import { AppError } from '../bus/errors.ts';
import type { AppEnv } from './env.ts';
import { problemResponse, toProblem } from './problem.ts';
import { MemoryRateLimiter } from './rate-limit-memory.ts';
import { RedisRateLimiter } from './rate-limit-redis.ts';
import { authRoutesByIp, requestsByIp, writesByUser } from './rate-limit-rules.ts';
import { rateLimit, type RateLimitOptions, type WarnLog } from './rate-limit.ts';
import type { RateLimiter } from './rate-limiter.ts';

/** A warning log that remembers what it was told. */
function recordingLog(): WarnLog & { warnings: { fields: Record<string, unknown>; message: string }[] } {
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  return { warnings, warn: (fields, message) => warnings.push({ fields, message }) };
}

/**
 * A gateway in miniature: the test's x-user header stands for a validated caller, set by an
 * auth step ahead of the limiter, as the per-user rules require.
 */
function gateway(options: Partial<RateLimitOptions> & Pick<RateLimitOptions, 'rules'>) {
  const app = new OpenAPIHono<AppEnv>();
  app.use('*', async function fakeAuthentication(c, next) {
    const user = c.req.header('x-user');
    c.set('caller', user ? { userId: user, role: 'member' } : undefined);
    await next();
  });
  app.use('*', rateLimit({ limiter: new MemoryRateLimiter(), log: recordingLog(), ...options }));
  app.post('/v1/auth/login', (c) => c.json({ ok: true }));
  app.post('/v1/items', (c) => c.json({ ok: true }, 201));
  app.get('/v1/items', (c) => c.json({ items: [] }));
  app.onError((error, c) => problemResponse(toProblem(error, c.req.path)));
  return app;
}

/** A request from `ip`, as @hono/node-server would hand it to the app. */
function send(
  app: OpenAPIHono<AppEnv>,
  method: string,
  path: string,
  ip: string,
  headers: Record<string, string> = {},
) {
  return app.request(
    path,
    { method, headers },
    { incoming: { socket: { remoteAddress: ip, remoteFamily: ip.includes(':') ? 'IPv6' : 'IPv4' } } },
  );
}

function rateLimitHeaders(res: Response) {
  return {
    limit: res.headers.get('ratelimit-limit'),
    remaining: res.headers.get('ratelimit-remaining'),
    reset: res.headers.get('ratelimit-reset'),
    policy: res.headers.get('ratelimit-policy'),
  };
}

test('allowed responses carry RateLimit headers of the rule that applied', async () => {
  const app = gateway({ rules: [authRoutesByIp({ capacity: 3, refillPerSecond: 3 / 60 })] });
  const res = await send(app, 'POST', '/v1/auth/login', '203.0.113.7');
  assert.equal(res.status, 200);
  assert.deepEqual(rateLimitHeaders(res), { limit: '3', remaining: '2', reset: '20', policy: '3;w=60' });
  assert.equal(res.headers.get('retry-after'), null);

  const unmatched = await send(app, 'GET', '/v1/items', '203.0.113.7');
  assert.equal(unmatched.status, 200);
  assert.equal(unmatched.headers.get('ratelimit-limit'), null, 'no rule applied, no headers');
});

test('past the limit: 429 problem+json with Retry-After and the same headers', async () => {
  const app = gateway({ rules: [authRoutesByIp({ capacity: 3, refillPerSecond: 3 / 60 })] });
  for (let i = 0; i < 3; i++) assert.equal((await send(app, 'POST', '/v1/auth/login', '203.0.113.7')).status, 200);

  const res = await send(app, 'POST', '/v1/auth/login', '203.0.113.7');
  assert.equal(res.status, 429);
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  const retryAfter = res.headers.get('retry-after');
  assert.match(retryAfter ?? '', /^\d+$/);
  assert.equal(Number(retryAfter), 20);
  assert.deepEqual(rateLimitHeaders(res), { limit: '3', remaining: '0', reset: '60', policy: '3;w=60' });
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(body.type, 'urn:shareloop:problem:rateLimited');
  assert.equal(body.title, 'Too Many Requests');
  assert.equal(body.status, 429);
  assert.equal(body.code, 'rateLimited');
  assert.equal(body.instance, '/v1/auth/login');
  assert.match(String(body.detail), /retry in 20 seconds/);

  assert.equal(
    (await send(app, 'POST', '/v1/auth/login', '198.51.100.1')).status,
    200,
    'another IP has its own bucket',
  );
});

test('per-user and per-IP buckets are separate', async () => {
  const app = gateway({
    rules: [
      authRoutesByIp({ capacity: 2, refillPerSecond: 0.01 }),
      writesByUser({ capacity: 2, refillPerSecond: 0.01 }),
    ],
  });
  const ip = '192.0.2.10';
  for (let i = 0; i < 2; i++)
    assert.equal((await send(app, 'POST', '/v1/items', ip, { 'x-user': 'alice' })).status, 201);
  assert.equal((await send(app, 'POST', '/v1/items', ip, { 'x-user': 'alice' })).status, 429, 'alice is out');
  assert.equal(
    (await send(app, 'POST', '/v1/items', '192.0.2.99', { 'x-user': 'alice' })).status,
    429,
    'alice from another IP is still alice',
  );
  assert.equal(
    (await send(app, 'POST', '/v1/items', ip, { 'x-user': 'bob' })).status,
    201,
    'bob behind the same IP is not',
  );
  assert.equal(
    (await send(app, 'POST', '/v1/auth/login', ip)).status,
    200,
    "the IP's auth bucket is untouched by alice's writes",
  );
  assert.equal((await send(app, 'GET', '/v1/items', ip, { 'x-user': 'alice' })).status, 200, 'reads are not writes');
  assert.equal((await send(app, 'POST', '/v1/items', ip)).status, 201, 'no caller, no per-user bucket');
});

test('several rules: all must allow, and headers describe the bucket nearest to exhaustion', async () => {
  const app = gateway({
    rules: [
      requestsByIp({ capacity: 100, refillPerSecond: 1 }),
      authRoutesByIp({ capacity: 2, refillPerSecond: 2 / 60 }),
    ],
  });
  const first = await send(app, 'POST', '/v1/auth/login', '203.0.113.50');
  assert.deepEqual(rateLimitHeaders(first), { limit: '2', remaining: '1', reset: '30', policy: '2;w=60, 100;w=100' });
  const items = await send(app, 'GET', '/v1/items', '203.0.113.50');
  assert.deepEqual(rateLimitHeaders(items), { limit: '100', remaining: '98', reset: '2', policy: '100;w=100' });
});

test('X-Forwarded-For counts only with trustProxy, read from the right', async () => {
  const rules = [authRoutesByIp({ capacity: 1, refillPerSecond: 0.01 })];
  const direct = gateway({ rules });
  assert.equal(
    (await send(direct, 'POST', '/v1/auth/login', '10.0.0.1', { 'x-forwarded-for': '1.1.1.1' })).status,
    200,
  );
  assert.equal(
    (await send(direct, 'POST', '/v1/auth/login', '10.0.0.1', { 'x-forwarded-for': '2.2.2.2' })).status,
    429,
    'forged headers do not buy new buckets',
  );

  const proxied = gateway({ rules, trustProxy: true });
  assert.equal(
    (await send(proxied, 'POST', '/v1/auth/login', '10.0.0.1', { 'x-forwarded-for': '9.9.9.9, 203.0.113.1' })).status,
    200,
  );
  assert.equal(
    (await send(proxied, 'POST', '/v1/auth/login', '10.0.0.1', { 'x-forwarded-for': '203.0.113.2' })).status,
    200,
    'another client behind the proxy',
  );
  assert.equal(
    (await send(proxied, 'POST', '/v1/auth/login', '10.0.0.1', { 'x-forwarded-for': '8.8.8.8, 203.0.113.1' })).status,
    429,
    'a client-written left part changes nothing',
  );
});

test('without connection information, per-IP rules are skipped with a warning', async () => {
  const log = recordingLog();
  const app = gateway({ rules: [authRoutesByIp({ capacity: 1, refillPerSecond: 0.01 })], log });
  for (let i = 0; i < 3; i++) assert.equal((await app.request('/v1/auth/login', { method: 'POST' })).status, 200);
  assert.equal(log.warnings.length, 1, 'warned once, not per request');
  assert.match(log.warnings[0]!.message, /client IP unknown/);
});

test('applied after authentication inside a handler, the per-user limit still sets the headers', async () => {
  const limiter = new MemoryRateLimiter();
  const app = new OpenAPIHono<AppEnv>();
  app.use('*', rateLimit({ limiter, rules: [requestsByIp({ capacity: 50, refillPerSecond: 1 })] }));
  const afterAuthentication = rateLimit({ limiter, rules: [writesByUser({ capacity: 2, refillPerSecond: 1 / 30 })] });
  app.post('/v1/items', async (c) => {
    c.set('caller', { userId: c.req.header('x-user')!, role: 'member' }); // what callContextOf does
    const limited = await afterAuthentication(c, async () => {});
    if (limited) return limited;
    if (c.req.header('x-fail')) throw new AppError('conflict', 'conflict', 'Taken.');
    return c.json({ ok: true }, 201);
  });
  app.onError((error, c) => problemResponse(toProblem(error, c.req.path)));

  const ok = await send(app, 'POST', '/v1/items', '192.0.2.1', { 'x-user': 'carol' });
  assert.equal(ok.status, 201);
  assert.deepEqual(rateLimitHeaders(ok), { limit: '2', remaining: '1', reset: '30', policy: '2;w=60, 50;w=50' });
  const failed = await send(app, 'POST', '/v1/items', '192.0.2.1', { 'x-user': 'carol', 'x-fail': '1' });
  assert.equal(failed.status, 409);
  assert.equal(failed.headers.get('ratelimit-remaining'), '0', 'error responses keep the headers');
  const refused = await send(app, 'POST', '/v1/items', '192.0.2.1', { 'x-user': 'carol' });
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get('retry-after'), '30');
  assert.deepEqual(rateLimitHeaders(refused), { limit: '2', remaining: '0', reset: '60', policy: '2;w=60, 50;w=50' });
});

test('two gateways on two Redis connections let exactly the limit through', async () => {
  const { redisUrl } = testServers();
  const connections = [new Redis(redisUrl), new Redis(redisUrl)];
  try {
    const keyPrefix = `test-ratelimit:${randomUUID()}:`;
    const rules = [authRoutesByIp({ capacity: 10, refillPerSecond: 10 / 3600 })];
    const [a, b] = connections.map((redis) => gateway({ rules, keyPrefix, limiter: new RedisRateLimiter(redis) })) as [
      OpenAPIHono<AppEnv>,
      OpenAPIHono<AppEnv>,
    ];
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => send(i % 2 ? a : b, 'POST', '/v1/auth/login', '203.0.113.99')),
    );
    assert.equal(responses.filter((r) => r.status === 200).length, 10);
    assert.equal(responses.filter((r) => r.status === 429).length, 30);
    assert.equal(await connections[0]!.exists(`${keyPrefix}auth-ip:203.0.113.99`), 1);
  } finally {
    for (const redis of connections) redis.disconnect();
  }
});

test('Redis unreachable: requests pass (fail open) with one warning; failOpen false answers 503', async () => {
  const port = await closedPort();
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    const log = recordingLog();
    const rules = [authRoutesByIp({ capacity: 1, refillPerSecond: 0.01 })];
    const open = gateway({ rules, log, limiter: new RedisRateLimiter(redis) });
    for (let i = 0; i < 3; i++) {
      const res = await send(open, 'POST', '/v1/auth/login', '203.0.113.7');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('ratelimit-limit'), null);
    }
    assert.equal(log.warnings.length, 1);
    assert.match(log.warnings[0]!.message, /fail ?open/i);
    assert.deepEqual(log.warnings[0]!.fields.rules, ['auth-ip']);

    const closed = gateway({ rules, failOpen: false, limiter: new RedisRateLimiter(redis) });
    const res = await send(closed, 'POST', '/v1/auth/login', '203.0.113.7');
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.equal(res.headers.get('retry-after'), '1');
  } finally {
    redis.disconnect();
  }
});

test('a limiter slower than timeoutMs counts as failed', async () => {
  const hanging: RateLimiter = { take: () => new Promise(() => {}) };
  const log = recordingLog();
  const app = gateway({ rules: [authRoutesByIp()], limiter: hanging, timeoutMs: 30, log });
  const started = performance.now();
  assert.equal((await send(app, 'POST', '/v1/auth/login', '203.0.113.7')).status, 200);
  assert.ok(performance.now() - started < 1000);
  assert.equal(log.warnings.length, 1);
});

test('rules that could never pass are refused at startup', () => {
  assert.throws(
    () => rateLimit({ limiter: new MemoryRateLimiter(), rules: [{ ...requestsByIp(), capacity: 0 }] }),
    RangeError,
  );
  assert.throws(
    () => rateLimit({ limiter: new MemoryRateLimiter(), rules: [{ ...requestsByIp({ capacity: 2 }), cost: 3 }] }),
    RangeError,
  );
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}
