import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { Bus } from '../bus/bus.ts';
import { defineContract, op } from '../bus/contract.ts';
import { platformErrors } from '../bus/errors.ts';
import { testApp } from './testing/test-app.ts';
import { mountContract } from './contract-routes.ts';

const notes = defineContract({
  name: 'notes',
  version: 1,
  errors: {},
  ops: {
    // Writes a note.
    writeNote: op({
      kind: 'command',
      summary: 'Write a note',
      input: z.strictObject({ text: z.string().min(1) }),
      output: z.object({ text: z.string() }),
      http: { method: 'post', path: '/v1/notes', status: 201, auth: 'required', tag: 'Notes' },
    }),
  },
});

/** A notes API whose only valid bearer token is "good". */
function notesApi() {
  const bus = new Bus();
  bus.serve(notes, { writeNote: async ({ text }) => ({ text }) }, {});
  const app = testApp();
  mountContract(app, notes, {
    bus,
    authenticate: async (token) => {
      if (token !== 'good') throw platformErrors.unauthorized();
      return { userId: 'alice', role: 'member' };
    },
    timeoutMs: 5_000,
  });
  return (body: string, token?: string, contentType = 'application/json') =>
    app.request('/v1/notes', {
      method: 'POST',
      body,
      headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
}

test('a protected route refuses a request without valid credentials before looking at its input', async () => {
  const write = notesApi();
  for (const [body, token, contentType] of [
    ['{"text": 42}', undefined, undefined],
    ['{"text": 42}', 'forged', undefined],
    ['not json', undefined, undefined],
    ['text=hello', undefined, 'application/x-www-form-urlencoded'],
  ] as const) {
    const res = await write(body, token, contentType);
    assert.equal(res.status, 401, `${body} with token ${token}`);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.equal(((await res.json()) as { code: string }).code, 'unauthorized');
  }
});

test('an authenticated request with invalid input still gets 400, and a valid one goes through', async () => {
  const write = notesApi();
  const invalid = await write('{"text": 42}', 'good');
  assert.equal(invalid.status, 400);
  assert.equal(((await invalid.json()) as { code: string }).code, 'validationFailed');
  const valid = await write('{"text": "hello"}', 'good');
  assert.equal(valid.status, 201);
  assert.deepEqual(await valid.json(), { text: 'hello' });
});

test('a route parses its input once: the in-process bus does not parse what the route validated', async () => {
  let parses = 0;
  const counted = defineContract({
    name: 'counted',
    version: 1,
    errors: {},
    ops: {
      // Echoes a word, counting how often its input schema runs.
      echo: op({
        kind: 'query',
        summary: 'Echo a word',
        input: z.strictObject({
          word: z
            .string()
            .min(1)
            .transform((w) => {
              parses++;
              return w;
            }),
          times: z.coerce.number().int().min(1).default(1),
        }),
        output: z.object({ said: z.string() }),
        http: {
          method: 'get',
          path: '/v1/echo/{word}',
          params: ['word'],
          query: ['times'],
          status: 200,
          auth: 'none',
          tag: 'Echo',
        },
      }),
    },
  });
  const bus = new Bus();
  bus.serve(counted, { echo: async ({ word, times }) => ({ said: word.repeat(times) }) }, {});
  const app = testApp();
  mountContract(app, counted, { bus, authenticate: async () => ({ userId: 'x', role: 'member' }), timeoutMs: 5_000 });
  const ok = await app.request('/v1/echo/ab?times=2');
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { said: 'abab' });
  assert.equal(parses, 1);
  // Invalid input is still refused at the route, before the handler.
  const bad = await app.request('/v1/echo/ab?times=0');
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { code: string }).code, 'validationFailed');
  // A direct bus call (another module, a remote caller) is parsed as before.
  parses = 0;
  await bus.call(
    counted.ops.echo,
    { word: 'c' },
    { requestId: 'r', trace: { traceId: 't', spanId: 's' } as never, deadline: Date.now() + 1_000 },
  );
  assert.equal(parses, 1);
});

test('a body that is not JSON is refused, never handed on with its input missing', async () => {
  const write = notesApi();
  const res = await write('text=hello', 'good', 'application/x-www-form-urlencoded');
  assert.equal(res.status, 415);
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
});
