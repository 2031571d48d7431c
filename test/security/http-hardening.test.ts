/**
 * HTTP hardening of the public API, every module hosted in this process on real PostgreSQL
 * and Redis: odd text and dates get 400 before any module, authenticated responses are not
 * cacheable, the bearer scheme is case-insensitive, Node's own parse errors are problem+json,
 * /docs works offline and /metrics can require a token.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { allModules } from '../../src/runtimes/modules.ts';
import { listen, type Server } from '../../src/shared/http/serve.ts';
import { createLogger } from '../../src/shared/observability/logger.ts';
import { drill } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/test-host.ts';

const METRICS_TOKEN = 'metrics-token-for-the-hardening-test';
const PASSWORD = 'correct horse battery';

let host: TestHost;
let server: Server;

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

async function call(
  method: string,
  path: string,
  options: { body?: unknown; raw?: string; authorization?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.authorization) headers.authorization = options.authorization;
  if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json';
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await host.app.request(path, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

function assertBadInput(reply: Reply, what: string) {
  assert.equal(reply.status, 400, `${what}: ${JSON.stringify(reply.body)}`);
  assert.equal(reply.headers.get('content-type'), 'application/problem+json', what);
  assert.equal(reply.body.code, 'validationFailed', what);
}

async function newMember(prefix: string) {
  const email = `${prefix}-${Math.random().toString(36).slice(2, 10)}@example.test`;
  const registered = await call('POST', '/v1/auth/register', {
    body: { email, password: PASSWORD, displayName: prefix },
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const login = await call('POST', '/v1/auth/login', { body: { email, password: PASSWORD } });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return { email, token: login.body.accessToken as string };
}

before(async () => {
  host = await startTestHost(allModules, { METRICS_TOKEN });
  server = await listen(host.app.fetch, {
    port: 0,
    host: '127.0.0.1',
    log: createLogger({ level: 'silent', pretty: false, name: 'hardening' }),
  });
});
after(async () => {
  await server?.close();
  await host?.stop();
});

describe('odd input is refused with 400 before it reaches a module', () => {
  // Raw JSON text, so the lone surrogate stays unpaired on the wire.
  const NUL = '\\u0000';
  const LONE = '\\ud800';

  test('NUL and lone surrogates in names, emails, passwords, item fields and search text', async () => {
    const member = await newMember('odd');
    for (const bad of [NUL, LONE, `a${LONE}b`, `\\udc00z`]) {
      assertBadInput(
        await call('POST', '/v1/auth/register', {
          raw: `{"email":"x${bad}@example.test","password":"${PASSWORD}","displayName":"X"}`,
        }),
        `register email ${bad}`,
      );
      assertBadInput(
        await call('POST', '/v1/auth/register', {
          raw: `{"email":"ok@example.test","password":"${PASSWORD}","displayName":"X${bad}"}`,
        }),
        `register name ${bad}`,
      );
      assertBadInput(
        await call('POST', '/v1/auth/login', { raw: `{"email":"${member.email}","password":"pass${bad}word12"}` }),
        `login password ${bad}`,
      );
      const item = JSON.stringify(drill()).replace('"Cordless drill"', `"Cordless${bad} drill"`);
      assertBadInput(
        await call('POST', '/v1/items', { raw: item, authorization: `Bearer ${member.token}` }),
        `item title ${bad}`,
      );
      assertBadInput(
        await call('PATCH', '/v1/users/me', {
          raw: `{"displayName":"Z${bad}"}`,
          authorization: `Bearer ${member.token}`,
        }),
        `displayName ${bad}`,
      );
    }
    assertBadInput(await call('GET', '/v1/catalog/search?q=drill%00'), 'search text with NUL');
    // Nothing was written: the member's name is unchanged and no item exists.
    const me = await call('GET', '/v1/users/me', { authorization: `Bearer ${member.token}` });
    assert.equal(me.body.displayName, 'odd');
  });

  test('paired surrogates (emoji) are fine', async () => {
    const member = await newMember('emoji');
    const reply = await call('PATCH', '/v1/users/me', {
      raw: '{"displayName":"Ann \\ud83d\\ude00"}',
      authorization: `Bearer ${member.token}`,
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.displayName, 'Ann 😀');
  });

  test('dates far in the past or future on a date input', async () => {
    for (const [from, to] of [
      ['0000-01-01', '0000-01-05'],
      ['9999-12-30', '9999-12-31'],
      ['1500-01-01T00:00:00Z', '1500-01-02T00:00:00Z'],
    ]) {
      const reply = await call('GET', `/v1/catalog/search?availableFrom=${from}&availableTo=${to}`);
      assertBadInput(reply, `search ${from}..${to}`);
      assert.match(JSON.stringify(reply.body.errors), /availableFrom/);
    }
    const ok = await call('GET', '/v1/catalog/search?availableFrom=2030-01-01&availableTo=2030-01-05');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });
});

describe('authentication and caching', () => {
  test('the bearer scheme is case-insensitive', async () => {
    const member = await newMember('scheme');
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const reply = await call('GET', '/v1/users/me', { authorization: `${scheme} ${member.token}` });
      assert.equal(reply.status, 200, `${scheme}: ${JSON.stringify(reply.body)}`);
    }
    assert.equal((await call('GET', '/v1/users/me', { authorization: `Basic ${member.token}` })).status, 401);
  });

  test('authenticated responses are Cache-Control: no-store; public ones are not', async () => {
    const member = await newMember('cache');
    const me = await call('GET', '/v1/users/me', { authorization: `Bearer ${member.token}` });
    assert.equal(me.headers.get('cache-control'), 'no-store');
    const denied = await call('GET', '/v1/users', { authorization: `Bearer ${member.token}` });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get('cache-control'), 'no-store');
    const items = await call('GET', '/v1/items');
    assert.equal(items.status, 200);
    assert.notEqual(items.headers.get('cache-control'), 'no-store');
  });
});

/** Sends raw bytes to the server and returns what it answers before closing. */
function rawExchange(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.once('error', reject);
    socket.once('close', () => resolve(answer));
    socket.once('connect', () => socket.write(request));
  });
}

function problemOf(answer: string): { status: number; contentType: string | undefined; body: any } {
  const [head, body] = answer.split('\r\n\r\n');
  const lines = head!.split('\r\n');
  const contentType = lines
    .find((l) => l.toLowerCase().startsWith('content-type:'))
    ?.slice(13)
    .trim();
  return { status: Number(lines[0]!.split(' ')[1]), contentType, body: JSON.parse(body!) };
}

describe('errors Node raises itself are problem+json', () => {
  test('431 for headers too large', async () => {
    const answer = problemOf(
      await rawExchange(`GET /v1/items HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`),
    );
    assert.equal(answer.status, 431);
    assert.equal(answer.contentType, 'application/problem+json');
    assert.equal(answer.body.code, 'headersTooLarge');
    assert.equal(answer.body.status, 431);
  });

  test('400 for a request line that is not HTTP', async () => {
    const answer = problemOf(await rawExchange('THIS IS NOT HTTP\r\n\r\n'));
    assert.equal(answer.status, 400);
    assert.equal(answer.contentType, 'application/problem+json');
    assert.equal(answer.body.code, 'malformedRequest');
  });
});

describe('docs and metrics', () => {
  test('/docs loads its script from this server, no CDN', async () => {
    const page = await host.app.request('/docs');
    assert.equal(page.status, 200);
    const html = await page.text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(sources.includes('/docs/scalar.js'), html);
    for (const source of sources) assert.doesNotMatch(source, /^(https?:)?\/\//, `external asset ${source}`);
    const script = await host.app.request('/docs/scalar.js');
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type')!, /javascript/);
    assert.match(await script.text(), /createApiReference/);
  });

  test('/metrics needs METRICS_TOKEN when it is set', async () => {
    const anonymous = await call('GET', '/metrics');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('content-type'), 'application/problem+json');
    assert.equal((await call('GET', '/metrics', { authorization: 'Bearer not-the-metrics-token' })).status, 401);
    const allowed = await host.app.request('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(allowed.status, 200);
    assert.match(await allowed.text(), /http_request_duration_seconds/);
  });
});
