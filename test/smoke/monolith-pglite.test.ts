import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { bootRuntime, callJson, logLines, smokeRun } from './boot-runtime.ts';

// The zero-setup path (`npm start`): no DATABASE_URL, no REDIS_URL, embedded PGlite under DATA_DIR.
const node = process.execPath;
const args = ['--import', 'tsx', 'src/runtimes/monolith.ts'];
const email = 'smoke-pglite@example.test';
const password = 'smoke test password';

describe('monolith on PGlite with no DATABASE_URL and no REDIS_URL', () => {
  const run = smokeRun('shareloop-smoke-');

  test('boots ready on embedded PGlite in DATA_DIR, with no Redis', async () => {
    run.runtime = await bootRuntime(node, args, { DATA_DIR: run.dataDir });
    const ready = (await (await fetch(`${run.runtime.baseUrl}/readyz`)).json()) as {
      status: string;
      checks: Record<string, boolean>;
    };
    assert.equal(ready.status, 'ready');
    assert.equal(ready.checks['database:identity'], true);
    assert.equal('redis' in ready.checks, false, 'a Redis check with no REDIS_URL');
    assert.ok(existsSync(join(run.dataDir, 'pglite', 'PG_VERSION')), 'no PGlite cluster under DATA_DIR');
  });

  test('registers and logs in a user', async () => {
    const api = {
      request: (method: string, path: string, options: { body?: unknown; token?: string } = {}) =>
        callJson(run.runtime!.baseUrl, method, path, options),
    };
    const registered = await api.request('POST', '/v1/auth/register', {
      body: { email, password, displayName: 'Smoke' },
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    assert.equal(registered.body.email, email);
    const login = await api.request('POST', '/v1/auth/login', { body: { email, password } });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const me = await api.request('GET', '/v1/users/me', { token: login.body.accessToken });
    assert.equal(me.status, 200);
    assert.equal(me.body.id, registered.body.id);
    const refreshed = await api.request('POST', '/v1/auth/refresh', {
      body: { refreshToken: login.body.refreshToken },
    });
    assert.equal(refreshed.status, 200);
    const wrong = await api.request('POST', '/v1/auth/login', { body: { email, password: 'not the password' } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('content-type'), 'application/problem+json');
  });

  test('serves /openapi.json and /docs', async () => {
    const doc = (await (await fetch(`${run.runtime!.baseUrl}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    assert.match(doc.openapi, /^3\.1\./);
    for (const path of ['/v1/auth/register', '/v1/auth/login', '/v1/users/me'])
      assert.ok(doc.paths[path], `${path} missing`);
    const docs = await fetch(`${run.runtime!.baseUrl}/docs`);
    assert.equal(docs.status, 200);
    assert.match(docs.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await docs.text(), /openapi\.json/);
  });

  test('SIGTERM shuts down gracefully with exit code 0', async () => {
    const exit = await run.runtime!.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, run.runtime!.output().slice(-3000));
    const lines = logLines(run.runtime!.output());
    const listening = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('Shareloop listening'));
    assert.ok(listening, 'no "listening" log line');
    assert.equal(listening.database, 'pglite');
    assert.equal(listening.cache, 'memory');
    assert.ok(
      lines.some((l) => l.msg === 'stopped'),
      'no "stopped" log line',
    );
    assert.ok(!lines.some((l) => (l.level as number) >= 50), 'error logs during the run');
    await assert.rejects(fetch(`${run.runtime!.baseUrl}/healthz`), 'still listening after exit');
  });

  test('data survives a restart on the same DATA_DIR', async () => {
    run.runtime = await bootRuntime(node, args, { DATA_DIR: run.dataDir });
    const login = await callJson(run.runtime.baseUrl, 'POST', '/v1/auth/login', { body: { email, password } });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.deepEqual(await run.runtime.stop('SIGTERM'), { code: 0, signal: null }, run.runtime.output().slice(-3000));
  });
});
