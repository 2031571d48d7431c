import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { z } from 'zod';
import { Bus } from '../bus/bus.ts';
import { defineContract, type HttpHint, op } from '../bus/contract.ts';
import { platformErrors } from '../bus/errors.ts';
import { mountDocs } from './app.ts';
import { testApp } from './testing/test-app.ts';
import { mountContract } from './contract-routes.ts';
import { idempotency, type IdempotencyOptions } from './idempotency.ts';
import { MemoryIdempotencyStore } from './idempotency-memory.ts';
import type { IdempotencyStore } from './idempotency-store.ts';
import type { WarnLog } from './rate-limit.ts';

const noteSchema = z.object({ id: z.string(), text: z.string(), version: z.int() });

const notes = defineContract({
  name: 'notes',
  version: 1,
  errors: { tooLong: 'invalid', busy: 'rate_limited' },
  ops: {
    // Writes a note.
    writeNote: op({
      kind: 'command',
      summary: 'Write a note',
      input: z.strictObject({ text: z.string(), tags: z.array(z.string()).default([]) }),
      output: noteSchema,
      errors: ['tooLong', 'busy'],
      http: {
        method: 'post',
        path: '/v1/notes',
        status: 201,
        auth: 'required',
        tag: 'Notes',
        etag: 'version',
        idempotencyKey: true,
      },
    }),
    // Archives a note.
    archiveNote: op({
      kind: 'command',
      summary: 'Archive a note',
      input: z.strictObject({ id: z.string() }),
      output: z.object({}),
      http: {
        method: 'delete',
        path: '/v1/notes/{id}',
        status: 204,
        auth: 'required',
        tag: 'Notes',
        params: ['id'],
        idempotencyKey: true,
      },
    }),
    // Reads a note, without Idempotency-Key support.
    touchNote: op({
      kind: 'command',
      summary: 'Touch a note',
      input: z.strictObject({ id: z.string() }),
      output: noteSchema,
      http: {
        method: 'post',
        path: '/v1/notes/{id}/touch',
        status: 200,
        auth: 'required',
        tag: 'Notes',
        params: ['id'],
      },
    }),
  },
});

function recordingLog(): WarnLog & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, warn: (_fields, message) => warnings.push(message) };
}

/** A notes API whose handlers count their runs; a bearer token is the caller's user id. */
function notesApi(options: Partial<IdempotencyOptions> = {}) {
  const runs = { write: 0, archive: 0, touch: 0 };
  const behaviour = { failures: [] as Error[], hold: undefined as Promise<void> | undefined };
  const bus = new Bus();
  bus.serve(
    notes,
    {
      writeNote: async ({ text }) => {
        runs.write++;
        if (behaviour.hold) await behaviour.hold;
        const failure = behaviour.failures.shift();
        if (failure) throw failure;
        if (text.length > 10) throw notes.error('tooLong', 'Notes are at most 10 characters.');
        return { id: randomUUID(), text, version: 1 };
      },
      archiveNote: async () => {
        runs.archive++;
        return {};
      },
      touchNote: async ({ id }) => {
        runs.touch++;
        return { id, text: 'x', version: runs.touch };
      },
    },
    {},
  );
  const log = recordingLog();
  const store = options.store ?? new MemoryIdempotencyStore();
  const app = testApp();
  mountContract(app, notes, {
    bus,
    authenticate: async (token) => ({ userId: token, role: 'member' }),
    timeoutMs: 5_000,
    idempotency: idempotency({ log, ...options, store }),
  });
  mountDocs(app, { title: 'notes', version: '1', description: 'test' });

  async function send(
    method: string,
    path: string,
    { user = 'alice', key, body }: { user?: string; key?: string; body?: unknown } = {},
  ) {
    const headers: Record<string, string> = { authorization: `Bearer ${user}` };
    if (key !== undefined) headers['idempotency-key'] = key;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await app.request(path, {
      method,
      headers,
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
  }
  const write = (body: unknown, options: { user?: string; key?: string } = {}) =>
    send('POST', '/v1/notes', { ...options, body });
  return { app, runs, behaviour, log, send, write };
}

function assertProblem(
  res: { status: number; headers: Headers; body: { code?: string; status?: number } },
  status: number,
  code: string,
) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  assert.equal(res.body.code, code);
  assert.equal(res.body.status, status);
}

test('without the header every request runs', async () => {
  const api = notesApi();
  const first = await api.write({ text: 'hi' });
  const second = await api.write({ text: 'hi' });
  assert.equal(first.status, 201);
  assert.equal(second.status, 201);
  assert.notEqual(first.body.id, second.body.id);
  assert.equal(api.runs.write, 2);
  assert.equal(first.headers.get('idempotent-replayed'), null);
});

test('a retry replays the first response: status, body, ETag and content type, marked as a replay', async () => {
  const api = notesApi();
  const first = await api.write({ text: 'hi' }, { key: 'k1' });
  assert.equal(first.status, 201);
  assert.equal(first.headers.get('idempotent-replayed'), null, 'the first response is not a replay');
  for (let i = 0; i < 3; i++) {
    const retry = await api.write({ text: 'hi' }, { key: 'k1' });
    assert.equal(retry.status, 201);
    assert.equal(retry.text, first.text, 'the same body, byte for byte');
    assert.equal(retry.headers.get('etag'), '"1"');
    assert.equal(retry.headers.get('content-type'), first.headers.get('content-type'));
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.ok(retry.headers.get('x-request-id'), 'platform headers still apply to a replay');
  }
  assert.equal(api.runs.write, 1);
});

test('the same body in another key order, spacing or quoted key form is the same request', async () => {
  const api = notesApi();
  const first = await api.write({ text: 'hi', tags: ['a', 'b'] }, { key: 'k1' });
  const reordered = await api.write('{ "tags": ["a", "b"],\n  "text": "hi" }', { key: '"k1"' });
  assert.equal(reordered.status, 201);
  assert.equal(reordered.body.id, first.body.id);
  assert.equal(api.runs.write, 1);
});

test('the same key with another body is 422 idempotencyKeyReused, and the original still replays', async () => {
  const api = notesApi();
  const first = await api.write({ text: 'hi' }, { key: 'k1' });
  assertProblem(await api.write({ text: 'ho' }, { key: 'k1' }), 422, 'idempotencyKeyReused');
  assertProblem(await api.write({ text: 'hi', tags: ['x'] }, { key: 'k1' }), 422, 'idempotencyKeyReused');
  assert.equal((await api.write({ text: 'hi' }, { key: 'k1' })).body.id, first.body.id);
  assert.equal(api.runs.write, 1);
});

test('a retry while the first is running is 409 with Retry-After; afterwards it replays', async () => {
  const api = notesApi();
  let finish!: () => void;
  api.behaviour.hold = new Promise((resolve) => (finish = resolve));
  const pending = api.write({ text: 'hi' }, { key: 'k1' });
  while (api.runs.write === 0) await new Promise((resolve) => setImmediate(resolve));
  const during = await api.write({ text: 'hi' }, { key: 'k1' });
  assertProblem(during, 409, 'idempotencyRequestInFlight');
  assert.equal(during.headers.get('retry-after'), '1');
  assertProblem(await api.write({ text: 'other' }, { key: 'k1' }), 422, 'idempotencyKeyReused');
  finish();
  const first = await pending;
  assert.equal(first.status, 201);
  const after = await api.write({ text: 'hi' }, { key: 'k1' });
  assert.equal(after.body.id, first.body.id);
  assert.equal(api.runs.write, 1);
});

test('a 4xx from the operation is stored and replayed, not run again', async () => {
  const api = notesApi();
  const first = await api.write({ text: 'far too long' }, { key: 'k1' });
  assertProblem(first, 400, 'notes.tooLong');
  const retry = await api.write({ text: 'far too long' }, { key: 'k1' });
  assertProblem(retry, 400, 'notes.tooLong');
  assert.equal(retry.text, first.text);
  assert.equal(retry.headers.get('idempotent-replayed'), 'true');
  assert.equal(api.runs.write, 1);
});

test('a 5xx or 429 releases the key: the retry runs again, and its success is what replays', async () => {
  const api = notesApi();
  api.behaviour.failures.push(
    new Error('database went away'),
    platformErrors.unavailable('Down for a moment.', 2),
    notes.error('busy', 'Too busy.'),
  );
  assertProblem(await api.write({ text: 'hi' }, { key: 'k1' }), 500, 'internal');
  const unavailable = await api.write({ text: 'hi' }, { key: 'k1' });
  assertProblem(unavailable, 503, 'serviceUnavailable');
  assert.equal(unavailable.headers.get('retry-after'), '2');
  assertProblem(await api.write({ text: 'hi' }, { key: 'k1' }), 429, 'notes.busy');
  const retry = await api.write({ text: 'hi' }, { key: 'k1' });
  assert.equal(retry.status, 201);
  assert.equal(retry.headers.get('idempotent-replayed'), null);
  const again = await api.write({ text: 'hi' }, { key: 'k1' });
  assert.equal(again.body.id, retry.body.id);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(api.runs.write, 4);
});

test('malformed keys are 400 invalidIdempotencyKey and nothing runs', async () => {
  const api = notesApi();
  for (const key of ['', 'x'.repeat(256), 'a b', 'clé', 'tab\there']) {
    assertProblem(await api.write({ text: 'hi' }, { key }), 400, 'invalidIdempotencyKey');
  }
  assert.equal((await api.write({ text: 'hi' }, { key: 'x'.repeat(255) })).status, 201, '255 characters are fine');
  assert.equal(api.runs.write, 1);
});

test('keys are scoped to the caller and to the route', async () => {
  const api = notesApi();
  const alice = await api.write({ text: 'hi' }, { key: 'shared', user: 'alice' });
  const bob = await api.write({ text: 'hi' }, { key: 'shared', user: 'bob' });
  assert.equal(bob.status, 201);
  assert.notEqual(bob.body.id, alice.body.id, "bob does not get alice's note");
  assert.equal(bob.headers.get('idempotent-replayed'), null);
  assert.equal(
    (await api.send('DELETE', '/v1/notes/n1', { key: 'shared' })).status,
    204,
    'the same key on another route is its own',
  );
  assert.equal(api.runs.write, 2);
  assert.equal(api.runs.archive, 1);
});

test('204 responses replay empty; one key on the same route with another path is 422', async () => {
  const api = notesApi();
  assert.equal((await api.send('DELETE', '/v1/notes/n1', { key: 'k1' })).status, 204);
  const retry = await api.send('DELETE', '/v1/notes/n1', { key: 'k1' });
  assert.equal(retry.status, 204);
  assert.equal(retry.text, '');
  assert.equal(retry.headers.get('idempotent-replayed'), 'true');
  assertProblem(await api.send('DELETE', '/v1/notes/n2', { key: 'k1' }), 422, 'idempotencyKeyReused');
  assert.equal(api.runs.archive, 1);
});

test('routes that do not ask for idempotency ignore the header', async () => {
  const api = notesApi();
  await api.send('POST', '/v1/notes/n1/touch', { key: 'k1' });
  const second = await api.send('POST', '/v1/notes/n1/touch', { key: 'k1' });
  assert.equal(second.body.version, 2);
  assert.equal(second.headers.get('idempotent-replayed'), null);
  assert.equal((await api.send('POST', '/v1/notes/n1/touch', { key: 'not valid' })).status, 200);
});

test('a crashed first attempt frees its key when the lease runs out', async () => {
  let now = 1_700_000_000_000;
  const api = notesApi({ store: new MemoryIdempotencyStore({ now: () => now }), leaseMs: 60_000 });
  api.behaviour.hold = new Promise(() => {}); // the first attempt never finishes, like a crashed gateway
  void api.write({ text: 'hi' }, { key: 'k1' });
  while (api.runs.write === 0) await new Promise((resolve) => setImmediate(resolve));
  api.behaviour.hold = undefined;
  assertProblem(await api.write({ text: 'hi' }, { key: 'k1' }), 409, 'idempotencyRequestInFlight');
  now += 60_000;
  assert.equal((await api.write({ text: 'hi' }, { key: 'k1' })).status, 201);
  assert.equal(api.runs.write, 2);
});

test('a failing store refuses keyed requests with 503; a failed save still answers', async () => {
  const broken: IdempotencyStore = {
    begin: async () => {
      throw new Error('connection refused');
    },
    complete: async () => true,
    release: async () => {},
  };
  const down = notesApi({ store: broken });
  const refused = await down.write({ text: 'hi' }, { key: 'k1' });
  assertProblem(refused, 503, 'serviceUnavailable');
  assert.equal(refused.headers.get('retry-after'), '1');
  assert.equal(down.runs.write, 0, 'nothing ran unprotected');
  assert.equal((await down.write({ text: 'hi' })).status, 201, 'requests without a key are unaffected');

  const memory = new MemoryIdempotencyStore();
  const flaky = notesApi({
    store: {
      begin: (...args) => memory.begin(...args),
      complete: async () => {
        throw new Error('connection reset');
      },
      release: (key) => memory.release(key),
    },
  });
  assert.equal((await flaky.write({ text: 'hi' }, { key: 'k1' })).status, 201);
  assert.deepEqual(flaky.log.warnings, ['idempotent response not stored; the key frees itself at lease end']);
});

test('misconfigured routes fail at startup', () => {
  const base: HttpHint = {
    method: 'post',
    path: '/v1/x',
    status: 201,
    auth: 'required',
    tag: 'X',
    idempotencyKey: true,
  };
  const contractWith = (http: HttpHint) =>
    defineContract({
      name: 'x',
      version: 1,
      errors: {},
      ops: { make: op({ kind: 'command', summary: 'Make', input: z.strictObject({}), output: z.object({}), http }) },
    });
  const app = notesApi().app;
  const options = {
    bus: new Bus(),
    authenticate: async () => ({ userId: 'u', role: 'member' }),
    timeoutMs: 1000,
    idempotency: idempotency({ store: new MemoryIdempotencyStore() }),
  };
  assert.throws(() => mountContract(app, contractWith({ ...base, auth: 'optional' }), options), /idempotencyKey needs/);
  assert.throws(() => mountContract(app, contractWith({ ...base, method: 'get' }), options), /idempotencyKey needs/);
  const { idempotency: _, ...withoutStore } = options;
  assert.throws(() => mountContract(app, contractWith(base), withoutStore), /no idempotency store/);
  assert.throws(() => idempotency({ store: new MemoryIdempotencyStore(), leaseMs: 0 }), /leaseMs/);
});

test('OpenAPI documents the optional Idempotency-Key header, the replay header and 400/409/422', async () => {
  const api = notesApi();
  const doc = (await (await api.app.request('/openapi.json')).json()) as {
    paths: Record<
      string,
      Record<
        string,
        {
          parameters?: { name: string; in: string; required?: boolean; schema?: { maxLength?: number } }[];
          responses: Record<string, { description: string; headers?: Record<string, unknown> }>;
        }
      >
    >;
  };
  const post = doc.paths['/v1/notes']!.post!;
  const header = post.parameters?.find((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
  assert.ok(header, 'Idempotency-Key is documented');
  assert.equal(header.required, false);
  assert.equal(header.schema?.maxLength, 255);
  assert.match(post.responses['400']!.description, /invalidIdempotencyKey/);
  assert.match(post.responses['409']!.description, /idempotencyRequestInFlight/);
  assert.match(post.responses['422']!.description, /idempotencyKeyReused/);
  assert.ok(post.responses['201']!.headers?.['Idempotent-Replayed']);
  assert.ok(post.responses['201']!.headers?.ETag, 'the ETag header is still documented');
  const touch = doc.paths['/v1/notes/{id}/touch']!.post!;
  assert.equal(
    touch.parameters?.some((p) => p.name.toLowerCase() === 'idempotency-key'),
    false,
  );
  assert.equal(touch.responses['409'], undefined);
});

test('an op that names an input for the key receives the parsed key, never one from the body', async () => {
  const seen: (string | undefined)[] = [];
  const orders = defineContract({
    name: 'orders',
    version: 1,
    errors: {},
    ops: {
      // Places an order.
      placeOrder: op({
        kind: 'command',
        summary: 'Place an order',
        input: z.strictObject({ sku: z.string(), requestKey: z.string().optional() }),
        output: z.object({ sku: z.string() }),
        http: {
          method: 'post',
          path: '/v1/orders',
          status: 201,
          auth: 'required',
          tag: 'Orders',
          idempotencyKey: 'requestKey',
        },
      }),
    },
  });
  const bus = new Bus();
  bus.serve(orders, { placeOrder: async ({ sku, requestKey }) => (seen.push(requestKey), { sku }) }, {});
  const app = notesApi().app;
  mountContract(app, orders, {
    bus,
    authenticate: async (token) => ({ userId: token, role: 'member' }),
    timeoutMs: 1000,
    idempotency: idempotency({ store: new MemoryIdempotencyStore() }),
  });
  const place = (body: unknown, key?: string) =>
    app.request('/v1/orders', {
      method: 'POST',
      headers: {
        authorization: 'Bearer bob',
        'content-type': 'application/json',
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: JSON.stringify(body),
    });

  assert.equal((await place({ sku: 'a' }, '"quoted-key"')).status, 201);
  assert.equal((await place({ sku: 'b' }, 'plain-key')).status, 201);
  assert.equal((await place({ sku: 'c' })).status, 201);
  assert.deepEqual(
    seen,
    ['quoted-key', 'plain-key', undefined],
    'the key in its plain form, or nothing without the header',
  );
  assert.equal((await place({ sku: 'd', requestKey: 'smuggled' })).status, 400, 'the key input is not a body field');
  assert.equal(seen.length, 3);
  const doc = (await (await app.request('/openapi.json')).json()) as {
    paths: Record<string, { post: { requestBody: { content: Record<string, { schema: unknown }> } } }>;
  };
  assert.doesNotMatch(JSON.stringify(doc.paths['/v1/orders']!.post.requestBody), /requestKey/);
  assert.throws(
    () =>
      mountContract(
        app,
        defineContract({
          name: 'y',
          version: 1,
          errors: {},
          ops: {
            make: op({
              kind: 'command',
              summary: 'Make',
              input: z.strictObject({}),
              output: z.object({}),
              http: {
                method: 'post',
                path: '/v1/y',
                status: 201,
                auth: 'required',
                tag: 'Y',
                idempotencyKey: 'missing',
              },
            }),
          },
        }),
        {
          bus,
          authenticate: async () => ({ userId: 'u', role: 'member' }),
          timeoutMs: 1000,
          idempotency: idempotency({ store: new MemoryIdempotencyStore() }),
        },
      ),
    /not an input key/,
  );
});
