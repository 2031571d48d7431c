import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { identity } from '../../src/modules/identity/contract.ts';
import type { Op } from '../../src/shared/bus/contract.ts';
import { statusOfKind } from '../../src/shared/http/problem.ts';
import { apiClient, type ApiResponse } from '../support/api-client.ts';
import { documentedOperations } from '../support/openapi-operations.ts';
import { startTopology, topologies, type Topology } from '../support/topology.ts';

const ADMIN_EMAIL = 'e2e-admin@example.test';
const ADMIN_PASSWORD = 'e2e admin password 0123';
/** The topology runs without JWT_SECRET, so tokens are signed with the development secret. */
const DEV_SECRET = new TextEncoder().encode('shareloop-development-secret-change-me-0000');
const BODY_LIMIT = 64 * 1024;

/** Every identity route, spelled out so a route that disappears from the contract fails here. */
const IDENTITY_ROUTES = [
  ['post', '/v1/auth/register'],
  ['post', '/v1/auth/login'],
  ['post', '/v1/auth/refresh'],
  ['post', '/v1/auth/logout'],
  ['post', '/v1/auth/validate'],
  ['get', '/v1/users/me'],
  ['patch', '/v1/users/me'],
  ['get', '/v1/users'],
  ['patch', '/v1/users/{id}'],
  ['delete', '/v1/users/{id}'],
] as const;

/** What must never appear in an error body: stack frames, file paths, SQL, driver names. */
const LEAKS = [
  /\n\s+at /,
  /\bat .+:\d+:\d+/,
  /node_modules/,
  /\.ts:\d+/,
  /"stack"/i,
  /\bselect\b.+\bfrom\b/i,
  /\binsert into\b/i,
  /postgres/i,
  /drizzle/i,
  /identity"?\."?users/,
];
const PROBLEM_KEYS = new Set(['type', 'title', 'status', 'detail', 'code', 'instance', 'requestId', 'errors']);

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;
const now = () => Math.floor(Date.now() / 1000);

/** Asserts a response is an RFC 9457 problem with this status (and code), leaking nothing. */
function assertProblem(response: ApiResponse, status: number, code?: string) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.headers.get('content-type'), 'application/problem+json');
  const body = response.body as Record<string, unknown>;
  assert.equal(body.status, status);
  assert.match(String(body.type), /^urn:shareloop:problem:/);
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.detail, 'string');
  if (code) assert.equal(body.code, code);
  assert.equal(body.requestId, response.headers.get('x-request-id'));
  for (const key of Object.keys(body)) assert.ok(PROBLEM_KEYS.has(key), `unexpected problem field ${key}`);
  const text = JSON.stringify(body);
  for (const leak of LEAKS) assert.doesNotMatch(text, leak);
}

/** The field paths of a 400 problem. */
function fieldPaths(response: ApiResponse): string[] {
  assertProblem(response, 400, 'validationFailed');
  const errors = (response.body as { errors?: { path: string; message: string }[] }).errors;
  assert.ok(Array.isArray(errors) && errors.length > 0, 'a 400 must list its field errors');
  for (const e of errors)
    assert.ok(typeof e.path === 'string' && typeof e.message === 'string' && e.message.length > 0);
  return errors.map((e) => e.path).sort();
}

/**
 * POSTs a JSON body on a connection of its own (a server answering 413 early may close it, so
 * it must not be reused): with content-length as given, else chunked.
 */
function postOnNewConnection(
  baseUrl: string,
  path: string,
  chunks: Buffer[],
  headers: Record<string, string>,
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      `${baseUrl}${path}`,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', connection: 'close', ...headers },
      },
      (res) => {
        answered = true;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (const [key, value] of Object.entries(res.headers))
            if (typeof value === 'string') responseHeaders.set(key, value);
          resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    // Writing the rest of a refused body may fail once the answer is in; only earlier errors count.
    req.on('error', (error) => (answered ? undefined : reject(error)));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

for (const name of topologies) {
  describe(name, () => {
    let topology: Topology;
    let api: ReturnType<typeof apiClient>;
    let admin: { accessToken: string; refreshToken: string };
    const seenErrorStatuses = new Set<number>();

    /** Every request goes through here: error responses are checked for shape and leaks. */
    async function call(
      method: string,
      path: string,
      options: Parameters<ReturnType<typeof apiClient>['request']>[2] = {},
    ) {
      const response = await api.request(method, path, options);
      if (response.status >= 400) {
        assertProblem(response, response.status);
        seenErrorStatuses.add(response.status);
      }
      return response;
    }

    const get = (path: string, token?: string) => call('GET', path, token ? { token } : {});
    const post = (path: string, body: unknown, token?: string) =>
      call('POST', path, { body, ...(token ? { token } : {}) });
    const patch = (path: string, body: unknown, token?: string) =>
      call('PATCH', path, { body, ...(token ? { token } : {}) });
    const del = (path: string, token?: string) => call('DELETE', path, token ? { token } : {});

    before(async () => {
      topology = await startTopology(name, { ADMIN_EMAIL, ADMIN_PASSWORD });
      api = apiClient(topology.baseUrl);
      const login = await api.request('POST', '/v1/auth/login', {
        body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      });
      assert.equal(login.status, 200, 'ADMIN_EMAIL/ADMIN_PASSWORD did not create a usable admin');
      admin = login.body;
    });

    after(async () => {
      await topology?.stop();
    });

    describe('register', () => {
      test('201 with the user, never the password', async () => {
        const email = `New.Member-${randomUUID().slice(0, 8)}@Example.test`;
        const response = await post('/v1/auth/register', { email, password: 'a long password', displayName: 'Newbie' });
        assert.equal(response.status, 201);
        assert.equal(response.headers.get('content-type'), 'application/json');
        assert.equal(response.body.email, email.toLowerCase());
        assert.equal(response.body.role, 'member');
        assert.equal(response.body.displayName, 'Newbie');
        assert.match(response.body.id, /^[0-9a-f-]{36}$/);
        assert.deepEqual(Object.keys(response.body).sort(), [
          'createdAt',
          'displayName',
          'email',
          'id',
          'role',
          'updatedAt',
        ]);
      });

      test('400 lists every invalid field as problem+json', async () => {
        const response = await post('/v1/auth/register', { email: 'nope', password: 'short', displayName: '' });
        assert.deepEqual(fieldPaths(response), ['displayName', 'email', 'password']);
      });

      test('400 for unknown fields, a missing body and a non-object body', async () => {
        const extra = await post('/v1/auth/register', {
          email: 'x@example.test',
          password: 'a long password',
          displayName: 'x',
          role: 'admin',
        });
        assert.ok(fieldPaths(extra).length > 0);
        assert.ok(fieldPaths(await post('/v1/auth/register', [])).includes('(root)'));
        assert.ok(fieldPaths(await post('/v1/auth/register', {})).includes('email'));
      });

      test('409 for an email that exists in another case', async () => {
        const user = await api.newUser('dup');
        const response = await post('/v1/auth/register', {
          email: user.email.toUpperCase(),
          password: 'a long password',
          displayName: 'Dup',
        });
        assertProblem(response, 409, 'identity.emailTaken');
      });

      test('413 for a body over the 64 KiB default limit', async () => {
        const big = Buffer.from(
          JSON.stringify({
            email: 'big@example.test',
            password: 'a long password',
            displayName: 'x'.repeat(BODY_LIMIT),
          }),
        );
        const response = await postOnNewConnection(topology.baseUrl, '/v1/auth/register', [big], {
          'content-length': String(big.length),
        });
        assertProblem(response, 413, 'payloadTooLarge');
        seenErrorStatuses.add(response.status);
      });

      test('413 also when the size is not declared (chunked body)', async () => {
        const chunks = Array.from({ length: 8 }, () => Buffer.alloc(16 * 1024, 'x'));
        const response = await postOnNewConnection(topology.baseUrl, '/v1/auth/register', chunks, {});
        assertProblem(response, 413, 'payloadTooLarge');
      });

      test('400 (not 500) for malformed JSON', async () => {
        const response = await call('POST', '/v1/auth/register', {
          raw: '{"email": ',
          headers: { 'content-type': 'application/json' },
        });
        assertProblem(response, 400, 'validationFailed');
      });

      test('415 (not 500) for a body that is not JSON', async () => {
        const response = await call('POST', '/v1/auth/register', {
          raw: 'email=a@b.c',
          headers: { 'content-type': 'text/plain' },
        });
        assertProblem(response, 415, 'unsupportedMediaType');
      });
    });

    describe('login, validate, refresh and logout', () => {
      test('login 200 issues bearer tokens; validate resolves them', async () => {
        const user = await api.newUser('login');
        const response = await post('/v1/auth/login', { email: user.email.toUpperCase(), password: user.password });
        assert.equal(response.status, 200);
        assert.equal(response.body.tokenType, 'Bearer');
        assert.equal(response.body.expiresIn, 900);
        const validated = await post('/v1/auth/validate', { token: response.body.accessToken });
        assert.equal(validated.status, 200);
        assert.equal(validated.body.userId, user.id);
        assert.equal(validated.body.role, 'member');
      });

      test('login 401 for a wrong password or an unknown email, with the same detail', async () => {
        const user = await api.newUser('badlogin');
        const wrong = await post('/v1/auth/login', { email: user.email, password: 'not the password' });
        const unknown = await post('/v1/auth/login', {
          email: `ghost-${randomUUID()}@example.test`,
          password: 'whatever pw',
        });
        assertProblem(wrong, 401, 'identity.invalidCredentials');
        assertProblem(unknown, 401, 'identity.invalidCredentials');
        assert.equal(wrong.body.detail, unknown.body.detail);
      });

      test('login 400 without credentials', async () => {
        assert.deepEqual(fieldPaths(await post('/v1/auth/login', {})), ['email', 'password']);
      });

      test('validate 401 for a garbage token', async () => {
        assertProblem(await post('/v1/auth/validate', { token: 'garbage' }), 401, 'identity.invalidToken');
      });

      test('refresh rotates; replaying a used token kills the whole family', async () => {
        const user = await api.newUser('rotate');
        const second = await post('/v1/auth/refresh', { refreshToken: user.refreshToken });
        assert.equal(second.status, 200);
        assert.notEqual(second.body.refreshToken, user.refreshToken);
        const third = await post('/v1/auth/refresh', { refreshToken: second.body.refreshToken });
        assert.equal(third.status, 200);
        assert.equal((await get('/v1/users/me', third.body.accessToken)).status, 200);

        assertProblem(
          await post('/v1/auth/refresh', { refreshToken: user.refreshToken }),
          401,
          'identity.invalidRefreshToken',
        );
        // The newest refresh token and every access token of the session now fail too.
        assertProblem(
          await post('/v1/auth/refresh', { refreshToken: third.body.refreshToken }),
          401,
          'identity.invalidRefreshToken',
        );
        assertProblem(await get('/v1/users/me', third.body.accessToken), 401);
        assertProblem(await get('/v1/users/me', user.accessToken), 401);
      });

      test('refresh 401 for an unknown token, 400 for none', async () => {
        assertProblem(
          await post('/v1/auth/refresh', { refreshToken: 'never-issued' }),
          401,
          'identity.invalidRefreshToken',
        );
        assert.deepEqual(fieldPaths(await post('/v1/auth/refresh', {})), ['refreshToken']);
      });

      test('logout 204 revokes the session at once', async () => {
        const user = await api.newUser('logout');
        assert.equal((await get('/v1/users/me', user.accessToken)).status, 200); // warms the validation cache
        const response = await call('POST', '/v1/auth/logout', { token: user.accessToken });
        assert.equal(response.status, 204);
        assert.equal(response.body, undefined);
        assertProblem(await get('/v1/users/me', user.accessToken), 401, 'identity.invalidToken');
        assertProblem(
          await post('/v1/auth/refresh', { refreshToken: user.refreshToken }),
          401,
          'identity.invalidRefreshToken',
        );
      });

      test('logout 401 without a token', async () => {
        assertProblem(await call('POST', '/v1/auth/logout'), 401, 'unauthorized');
      });
    });

    describe('authentication failures on a protected route', () => {
      test('401 without a token, or with a non-bearer scheme', async () => {
        assertProblem(await get('/v1/users/me'), 401, 'unauthorized');
        assertProblem(
          await call('GET', '/v1/users/me', { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }),
          401,
          'unauthorized',
        );
      });

      test('401 for a garbage token', async () => {
        assertProblem(await get('/v1/users/me', 'not.a.jwt'), 401, 'identity.invalidToken');
      });

      test('a self-minted token with the dev secret and real claims is accepted (control)', async () => {
        const user = await api.newUser('control');
        const claims = decode(user.accessToken.split('.')[1]!);
        const minted = await new SignJWT({ role: claims.role, sid: claims.sid })
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setSubject(String(claims.sub))
          .setIssuer('shareloop')
          .setAudience('shareloop-api')
          .setIssuedAt()
          .setExpirationTime(now() + 300)
          .sign(DEV_SECRET);
        assert.equal((await get('/v1/users/me', minted)).status, 200);
      });

      test('401 for an expired token', async () => {
        const user = await api.newUser('expired');
        const claims = decode(user.accessToken.split('.')[1]!);
        const expired = await new SignJWT({ role: claims.role, sid: claims.sid })
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setSubject(String(claims.sub))
          .setIssuer('shareloop')
          .setAudience('shareloop-api')
          .setIssuedAt(now() - 3600)
          .setExpirationTime(now() - 60)
          .sign(DEV_SECRET);
        assertProblem(await get('/v1/users/me', expired), 401, 'identity.invalidToken');
      });

      test('401 for a tampered signature', async () => {
        const user = await api.newUser('tamper');
        const [header, payload, signature] = user.accessToken.split('.');
        const flipped = (signature![0] === 'A' ? 'B' : 'A') + signature!.slice(1);
        assertProblem(await get('/v1/users/me', `${header}.${payload}.${flipped}`), 401, 'identity.invalidToken');
      });

      test('401 for a payload promoted to admin under the original signature', async () => {
        const user = await api.newUser('promote');
        const [header, payload, signature] = user.accessToken.split('.');
        const forged = `${header}.${b64({ ...decode(payload!), role: 'admin' })}.${signature}`;
        assertProblem(await get('/v1/users', forged), 401, 'identity.invalidToken');
      });

      test('401 for an unsigned alg:none token', async () => {
        const user = await api.newUser('none');
        const payload = user.accessToken.split('.')[1];
        assertProblem(
          await get('/v1/users/me', `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`),
          401,
          'identity.invalidToken',
        );
      });

      test('401 for a token signed with another secret', async () => {
        const user = await api.newUser('othersecret');
        const claims = decode(user.accessToken.split('.')[1]!);
        const foreign = await new SignJWT({ role: 'admin', sid: claims.sid })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(String(claims.sub))
          .setIssuer('shareloop')
          .setAudience('shareloop-api')
          .setExpirationTime(now() + 300)
          .sign(new TextEncoder().encode('some-other-secret-of-32-characters-or-more'));
        assertProblem(await get('/v1/users', foreign), 401, 'identity.invalidToken');
      });
    });

    describe('my account', () => {
      test('GET /v1/users/me returns the caller', async () => {
        const user = await api.newUser('me');
        const response = await get('/v1/users/me', user.accessToken);
        assert.equal(response.status, 200);
        assert.equal(response.body.id, user.id);
        assert.equal(response.body.email, user.email);
      });

      test('PATCH /v1/users/me changes the name and, with the current password, the password', async () => {
        const user = await api.newUser('patchme');
        const renamed = await patch('/v1/users/me', { displayName: 'Renamed' }, user.accessToken);
        assert.equal(renamed.status, 200);
        assert.equal(renamed.body.displayName, 'Renamed');

        assert.deepEqual(fieldPaths(await patch('/v1/users/me', { password: 'a newer password' }, user.accessToken)), [
          'currentPassword',
        ]);
        const wrong = await patch(
          '/v1/users/me',
          { password: 'a newer password', currentPassword: 'not it at all' },
          user.accessToken,
        );
        assertProblem(wrong, 400, 'identity.wrongPassword');

        const changed = await patch(
          '/v1/users/me',
          { password: 'a newer password', currentPassword: user.password },
          user.accessToken,
        );
        assert.equal(changed.status, 200);
        assert.equal((await post('/v1/auth/login', { email: user.email, password: 'a newer password' })).status, 200);
        assertProblem(await post('/v1/auth/login', { email: user.email, password: user.password }), 401);
      });

      test('PATCH /v1/users/me 401 without a token', async () => {
        assertProblem(await patch('/v1/users/me', { displayName: 'x' }), 401);
      });
    });

    describe('user administration', () => {
      test('GET /v1/users: admin 200 with paging, member 403, bad paging 400', async () => {
        const member = await api.newUser('list');
        const page = await get('/v1/users?limit=2&offset=0', admin.accessToken);
        assert.equal(page.status, 200);
        assert.equal(page.body.items.length, 2);
        assert.equal(page.body.limit, 2);
        assert.ok(page.body.total >= 2);
        assert.equal(page.body.items[0].id, member.id, 'newest first');
        assertProblem(await get('/v1/users', member.accessToken), 403, 'identity.notAdmin');
        assert.deepEqual(fieldPaths(await get('/v1/users?limit=0', admin.accessToken)), ['limit']);
        assert.deepEqual(fieldPaths(await get('/v1/users?limit=500', admin.accessToken)), ['limit']);
      });

      test('PATCH /v1/users/{id}: member 403, unknown 404, invalid 400, admin 200 and the new role applies at once', async () => {
        const member = await api.newUser('role');
        assertProblem(
          await patch(`/v1/users/${member.id}`, { role: 'admin' }, member.accessToken),
          403,
          'identity.notAdmin',
        );
        assertProblem(
          await patch(`/v1/users/${randomUUID()}`, { role: 'admin' }, admin.accessToken),
          404,
          'identity.userNotFound',
        );
        assert.deepEqual(fieldPaths(await patch('/v1/users/not-a-uuid', { role: 'admin' }, admin.accessToken)), ['id']);
        assert.deepEqual(fieldPaths(await patch(`/v1/users/${member.id}`, { role: 'owner' }, admin.accessToken)), [
          'role',
        ]);

        const promoted = await patch(`/v1/users/${member.id}`, { role: 'admin' }, admin.accessToken);
        assert.equal(promoted.status, 200);
        assert.equal(promoted.body.role, 'admin');
        // The member's existing token now carries admin rights.
        assert.equal((await get('/v1/users', member.accessToken)).status, 200);
        await patch(`/v1/users/${member.id}`, { role: 'member' }, admin.accessToken);
        assertProblem(await get('/v1/users', member.accessToken), 403);
      });

      test('DELETE /v1/users/{id}: member 403, admin 204 revokes the user, then 404', async () => {
        const victim = await api.newUser('victim');
        const member = await api.newUser('bystander');
        assertProblem(await del(`/v1/users/${victim.id}`, member.accessToken), 403, 'identity.notAdmin');
        assert.equal((await get('/v1/users/me', victim.accessToken)).status, 200);

        const deleted = await del(`/v1/users/${victim.id}`, admin.accessToken);
        assert.equal(deleted.status, 204);
        assert.equal(deleted.body, undefined);
        assertProblem(await get('/v1/users/me', victim.accessToken), 401);
        assertProblem(await post('/v1/auth/login', { email: victim.email, password: victim.password }), 401);
        assertProblem(await del(`/v1/users/${victim.id}`, admin.accessToken), 404, 'identity.userNotFound');
        assertProblem(await del(`/v1/users/${randomUUID()}`, admin.accessToken), 404, 'identity.userNotFound');
      });
    });

    describe('platform behaviour', () => {
      test('an unknown route is a 404 problem', async () => {
        assertProblem(await get('/v1/nothing-here'), 404, 'notFound');
        assertProblem(await call('PUT', '/v1/auth/login', { body: {} }), 404, 'notFound');
      });

      test('X-Request-Id is honoured and echoed, and generated when absent or unsafe', async () => {
        const honoured = await call('GET', '/v1/users/me', { headers: { 'x-request-id': 'e2e-req:42.a_b' } });
        assert.equal(honoured.headers.get('x-request-id'), 'e2e-req:42.a_b');
        assert.equal(honoured.body.requestId, 'e2e-req:42.a_b');

        const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
        const generated = await get('/healthz');
        assert.match(generated.headers.get('x-request-id') ?? '', uuid);
        const other = await get('/healthz');
        assert.notEqual(other.headers.get('x-request-id'), generated.headers.get('x-request-id'));

        const unsafe = await call('GET', '/healthz', { headers: { 'x-request-id': 'bad id <script>' } });
        assert.match(unsafe.headers.get('x-request-id') ?? '', uuid);
        const tooLong = await call('GET', '/healthz', { headers: { 'x-request-id': 'a'.repeat(200) } });
        assert.match(tooLong.headers.get('x-request-id') ?? '', uuid);
      });

      test('a W3C traceparent is continued with a new span', async () => {
        const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
        const response = await call('GET', '/healthz', {
          headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
        });
        const [version, trace, span] = (response.headers.get('traceparent') ?? '').split('-');
        assert.equal(version, '00');
        assert.equal(trace, traceId);
        assert.match(span ?? '', /^[0-9a-f]{16}$/);
        assert.notEqual(span, '00f067aa0ba902b7');
      });

      test('security headers are on successes and errors alike', async () => {
        for (const response of [await get('/healthz'), await get('/v1/users/me'), await get('/v1/nothing-here')]) {
          assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
          assert.equal(response.headers.get('x-frame-options'), 'SAMEORIGIN');
          assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
          assert.match(response.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
          assert.equal(response.headers.get('x-powered-by'), null);
        }
      });

      test('GET /openapi.json is OpenAPI 3.1 listing every identity route with its error responses', async () => {
        const response = await get('/openapi.json');
        assert.equal(response.status, 200);
        const doc = response.body as {
          openapi: string;
          paths: Record<
            string,
            Record<
              string,
              {
                operationId: string;
                security?: unknown[];
                responses: Record<string, { content?: Record<string, unknown> }>;
              }
            >
          >;
          components: {
            schemas: Record<string, unknown>;
            securitySchemes: Record<string, { type: string; scheme: string }>;
          };
        };
        assert.match(doc.openapi, /^3\.1\./);
        assert.ok(doc.components.schemas.Problem, 'the Problem schema is a component');
        assert.deepEqual(doc.components.securitySchemes.bearerAuth, {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
        });

        const listed = Object.entries(doc.paths).flatMap(([path, methods]) =>
          Object.keys(methods).map((m) => `${m} ${path}`),
        );
        for (const [method, path] of IDENTITY_ROUTES)
          assert.ok(listed.includes(`${method} ${path}`), `${method} ${path} missing`);

        for (const { op, operation } of documentedOperations(
          doc.paths,
          Object.values(identity.ops) as Op[],
          IDENTITY_ROUTES.length,
        )) {
          const statuses = Object.keys(operation.responses).map(Number);
          const expected = new Set([
            op.http.status,
            400,
            500,
            ...(op.errors ?? []).map((e) => statusOfKind[identity.errors[e as keyof typeof identity.errors]]),
          ]);
          if (op.http.auth !== 'none') expected.add(401);
          for (const status of expected) assert.ok(statuses.includes(status), `${op.name} lacks response ${status}`);
          for (const status of statuses.filter((s) => s >= 400)) {
            assert.ok(
              operation.responses[String(status)]?.content?.['application/problem+json'],
              `${op.name} ${status} is not problem+json`,
            );
          }
          assert.equal(Boolean(operation.security?.length), op.http.auth !== 'none', `${op.name} security`);
        }
      });

      test('GET /docs serves the HTML docs UI pointing at /openapi.json', async () => {
        const response = await fetch(`${topology.baseUrl}/docs`);
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
        const html = await response.text();
        assert.match(html, /<html/i);
        assert.ok(html.includes('/openapi.json'));
      });

      test('/healthz and /readyz answer 200 with every dependency up', async () => {
        const health = await get('/healthz');
        assert.equal(health.status, 200);
        assert.equal(health.body.status, 'ok');
        const ready = await get('/readyz');
        assert.equal(ready.status, 200);
        assert.equal(ready.body.status, 'ready');
        const checks = ready.body.checks as Record<string, boolean>;
        assert.ok(Object.keys(checks).length > 0, 'readiness checks nothing');
        for (const [check, ok] of Object.entries(checks)) assert.equal(ok, true, check);
        assert.equal(checks.redis, true);
        if (name === 'monolith') assert.equal(checks['database:identity'], true);
      });

      test('/metrics exposes http_request_duration_seconds per route', async () => {
        await get('/healthz');
        const response = await fetch(`${topology.baseUrl}/metrics`);
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
        const text = await response.text();
        assert.match(text, /# TYPE http_request_duration_seconds histogram/);
        assert.match(
          text,
          /http_request_duration_seconds_count\{[^}]*route="\/healthz"[^}]*method="GET"[^}]*status="200"[^}]*\} [1-9]/,
        );
        assert.match(text, /http_request_duration_seconds_count\{[^}]*route="\/v1\/auth\/login"/);
      });

      test('every error status was exercised and checked for leaks', () => {
        for (const status of [400, 401, 403, 404, 409, 413, 415])
          assert.ok(seenErrorStatuses.has(status), `no ${status} seen`);
      });
    });
  });
}
