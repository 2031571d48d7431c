import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { bootRuntime, callJson, logLines, smokeRun } from './boot-runtime.ts';

// The same sources under Bun (`npm run start:bun`): zero-setup boot on PGlite, no Redis.
const bun = fileURLToPath(new URL('../../node_modules/.bin/bun', import.meta.url));
const email = 'smoke-bun@example.test';
const password = 'smoke test password';

describe('monolith under Bun', () => {
  const run = smokeRun('shareloop-smoke-bun-');

  test('bun is installed as a dev dependency', () => {
    assert.match(execFileSync(bun, ['--version'], { encoding: 'utf8' }).trim(), /^1\.\d+\.\d+/);
  });

  test('boots ready', async () => {
    run.runtime = await bootRuntime(bun, ['src/runtimes/monolith.ts'], { DATA_DIR: run.dataDir });
    const ready = (await (await fetch(`${run.runtime.baseUrl}/readyz`)).json()) as {
      status: string;
      checks: Record<string, boolean>;
    };
    assert.equal(ready.status, 'ready');
    assert.equal(ready.checks['database:identity'], true);
    assert.equal('redis' in ready.checks, false, 'a Redis check with no REDIS_URL');
  });

  test('registers and logs in a user', async () => {
    const api = {
      request: (method: string, path: string, options: { body?: unknown; token?: string } = {}) =>
        callJson(run.runtime!.baseUrl, method, path, options),
    };
    const registered = await api.request('POST', '/v1/auth/register', {
      body: { email, password, displayName: 'Bun' },
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const login = await api.request('POST', '/v1/auth/login', { body: { email: email.toUpperCase(), password } });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const me = await api.request('GET', '/v1/users/me', { token: login.body.accessToken });
    assert.equal(me.status, 200);
    assert.equal(me.body.id, registered.body.id);
    const denied = await api.request('GET', '/v1/users/me');
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('content-type'), 'application/problem+json');
  });

  test('serves /openapi.json', async () => {
    const response = await fetch(`${run.runtime!.baseUrl}/openapi.json`);
    assert.equal(response.status, 200);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    assert.match(doc.openapi, /^3\.1\./);
    assert.ok(doc.paths['/v1/auth/login']);
  });

  test('SIGTERM shuts down gracefully with exit code 0', async () => {
    const exit = await run.runtime!.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, run.runtime!.output().slice(-3000));
    await assert.rejects(fetch(`${run.runtime!.baseUrl}/healthz`), 'still listening after exit');
  });

  test('every log line, the last included, is written before the exit', () => {
    const lines = logLines(run.runtime!.output());
    assert.ok(
      lines.some(
        (l) => typeof l.msg === 'string' && l.msg.startsWith('Shareloop listening') && l.database === 'pglite',
      ),
      'no "listening" line',
    );
    assert.ok(
      lines.some((l) => l.msg === 'stopped'),
      'no "stopped" log line',
    );
  });
});
