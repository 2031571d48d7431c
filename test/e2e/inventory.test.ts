import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { inventory } from '../../src/modules/inventory/contract.ts';
import type { Op } from '../../src/shared/bus/contract.ts';
import { statusOfKind } from '../../src/shared/http/problem.ts';
import { apiClient, type ApiResponse } from '../support/api-client.ts';
import { drill } from '../support/fixtures.ts';
import { documentedOperations } from '../support/openapi-operations.ts';
import { assertLeakFreeProblem } from '../support/problem-assertions.ts';
import { startTopology, topologies, type Topology } from '../support/topology.ts';

const ADMIN_EMAIL = 'inventory-admin@example.test';
const ADMIN_PASSWORD = 'inventory admin password 42';

/** Every inventory route, spelled out so a route that disappears from the contract fails here. */
const INVENTORY_ROUTES = [
  ['get', '/v1/items'],
  ['post', '/v1/items'],
  ['get', '/v1/items/{id}'],
  ['patch', '/v1/items/{id}'],
  ['delete', '/v1/items/{id}'],
  ['get', '/v1/items/{id}/history'],
  ['get', '/v2/items'],
  ['post', '/v1/items/{id}/unlist'],
  ['post', '/v1/items/{id}/relist'],
] as const;

/** What must never appear in an error body: stack frames, file paths, SQL, driver names. */
const LEAKS = [
  /\n\s+at /,
  /\bat .+:\d+:\d+/,
  /node_modules/,
  /\.ts:\d+/,
  /"stack"/i,
  /\bselect\b.+\bfrom\b/i,
  /\bupdate\b.+\bset\b/i,
  /postgres/i,
  /drizzle/i,
  /inventory"?\."?items/,
];

/** Asserts a response is an RFC 9457 problem with this status (and code), leaking nothing. */
const assertProblem = (response: ApiResponse, status: number, code?: string) =>
  assertLeakFreeProblem(response, status, code, LEAKS);

/** The field errors of a 400 validation problem. */
function fieldErrors(response: ApiResponse): { path: string; message: string }[] {
  assertProblem(response, 400, 'validationFailed');
  const errors = (response.body as { errors?: { path: string; message: string }[] }).errors;
  assert.ok(Array.isArray(errors) && errors.length > 0, 'a 400 must list its field errors');
  return errors;
}

/** Asserts a successful item response whose ETag is its version. */
function assertItem(response: ApiResponse, status: number) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.headers.get('content-type'), 'application/json');
  assert.equal(response.headers.get('etag'), `"${response.body.version}"`);
  return response.body as {
    id: string;
    ownerId: string;
    title: string;
    status: string;
    version: number;
    category: string;
    dailyPrice: { amount: number; currency: string };
  };
}

for (const name of topologies) {
  describe(name, () => {
    let topology: Topology;
    let api: ReturnType<typeof apiClient>;
    let admin: string;
    let owner: { id: string; accessToken: string };
    let other: { id: string; accessToken: string };

    /** Every request goes through here: error responses are checked for shape and leaks. */
    async function call(
      method: string,
      path: string,
      options: Parameters<ReturnType<typeof apiClient>['request']>[2] = {},
    ) {
      const response = await api.request(method, path, options);
      if (response.status >= 400) assertProblem(response, response.status);
      return response;
    }
    const withToken = (token?: string, ifMatch?: string) => ({
      ...(token ? { token } : {}),
      ...(ifMatch !== undefined ? { headers: { 'if-match': ifMatch } } : {}),
    });
    const get = (path: string) => call('GET', path);
    const post = (body: unknown, token?: string) => call('POST', '/v1/items', { body, ...withToken(token) });
    const patch = (id: string, body: unknown, token?: string, ifMatch?: string) =>
      call('PATCH', `/v1/items/${id}`, { body, ...withToken(token, ifMatch) });
    const del = (id: string, token?: string, ifMatch?: string) =>
      call('DELETE', `/v1/items/${id}`, withToken(token, ifMatch));
    const create = async (overrides: Record<string, unknown> = {}, token = owner.accessToken) =>
      assertItem(await post(drill(overrides), token), 201);

    before(async () => {
      topology = await startTopology(name, { ADMIN_EMAIL, ADMIN_PASSWORD });
      api = apiClient(topology.baseUrl);
      const login = await api.request('POST', '/v1/auth/login', {
        body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      });
      assert.equal(login.status, 200, 'ADMIN_EMAIL/ADMIN_PASSWORD did not create a usable admin');
      admin = login.body.accessToken;
      owner = await api.newUser('owner');
      other = await api.newUser('other');
    });

    after(async () => {
      await topology?.stop();
    });

    describe('POST /v1/items', () => {
      test('201 with the item owned by the caller, at version 1, with its ETag', async () => {
        const item = await create();
        assert.equal(item.ownerId, owner.id);
        assert.equal(item.status, 'listed');
        assert.equal(item.version, 1);
        assert.match(item.id, /^[0-9a-f-]{36}$/);
      });

      test('401 without a token or with a bad one', async () => {
        assertProblem(await post(drill()), 401, 'unauthorized');
        assertProblem(await post(drill(), 'not-a-token'), 401);
        assertProblem(
          await call('POST', '/v1/items', { body: drill(), headers: { authorization: 'Basic abc' } }),
          401,
          'unauthorized',
        );
      });

      test('400 lists bad prices by field', async () => {
        const errors = fieldErrors(
          await post(
            drill({ dailyPrice: { amount: -1, currency: 'EUR' }, deposit: { amount: 12.5, currency: 'eur' } }),
            owner.accessToken,
          ),
        );
        assert.deepEqual([...new Set(errors.map((e) => e.path))].sort(), [
          'dailyPrice.amount',
          'deposit.amount',
          'deposit.currency',
        ]);
        const missing = fieldErrors(await post({ title: '' }, owner.accessToken)).map((e) => e.path);
        for (const path of ['title', 'category', 'dailyPrice', 'deposit', 'condition'])
          assert.ok(missing.includes(path), `${path} not reported`);
      });

      test('400 for read-only or unknown fields', async () => {
        for (const extra of [
          { ownerId: other.id },
          { status: 'retired' },
          { version: 7 },
          { id: randomUUID() },
          { colour: 'red' },
        ]) {
          const errors = fieldErrors(await post(drill(extra), owner.accessToken));
          const [key] = Object.keys(extra);
          assert.ok(
            errors.some((e) => e.message.includes(`"${key}"`)),
            `${key} not named in ${JSON.stringify(errors)}`,
          );
        }
      });

      test('400 currencyMismatch when price and deposit disagree', async () => {
        assertProblem(
          await post(drill({ deposit: { amount: 5000, currency: 'USD' } }), owner.accessToken),
          400,
          'inventory.currencyMismatch',
        );
      });
    });

    describe('GET /v1/items/{id}', () => {
      test('public, with an ETag matching the version', async () => {
        const created = await create();
        const item = assertItem(await get(`/v1/items/${created.id}`), 200);
        assert.deepEqual(item, created);
      });

      test('404 itemNotFound, 400 for a malformed id', async () => {
        assertProblem(await get(`/v1/items/${randomUUID()}`), 404, 'inventory.itemNotFound');
        assert.deepEqual(
          fieldErrors(await get('/v1/items/not-a-uuid')).map((e) => e.path),
          ['id'],
        );
      });
    });

    describe('PATCH /v1/items/{id}', () => {
      test('the owner edits; each change bumps version and ETag; If-Match in every form', async () => {
        const item = await create();
        const v2 = assertItem(await patch(item.id, { title: 'Hammer drill' }, owner.accessToken, '"1"'), 200);
        assert.equal(v2.version, 2);
        assert.equal(v2.title, 'Hammer drill');
        const v3 = assertItem(await patch(item.id, { condition: 'fair' }, owner.accessToken, 'W/"2"'), 200);
        assert.equal(v3.version, 3);
        const v4 = assertItem(
          await patch(item.id, { dailyPrice: { amount: 900, currency: 'EUR' } }, owner.accessToken, '3'),
          200,
        );
        assert.equal(v4.version, 4);
        const v5 = assertItem(await patch(item.id, { description: 'No If-Match' }, owner.accessToken), 200);
        assert.equal(v5.version, 5);
        assert.equal(assertItem(await get(`/v1/items/${item.id}`), 200).version, 5);
      });

      test('412 versionMismatch for a stale If-Match, and nothing changes', async () => {
        const item = await create();
        assertItem(await patch(item.id, { title: 'First edit' }, owner.accessToken, '"1"'), 200);
        assertProblem(
          await patch(item.id, { title: 'Lost edit' }, owner.accessToken, '"1"'),
          412,
          'inventory.versionMismatch',
        );
        const now = assertItem(await get(`/v1/items/${item.id}`), 200);
        assert.equal(now.title, 'First edit');
        assert.equal(now.version, 2);
      });

      test('concurrent edits with the same If-Match: one 200, the rest 412', async () => {
        const item = await create();
        const responses = await Promise.all(
          [1, 2, 3, 4].map((n) => patch(item.id, { title: `Racer ${n}` }, owner.accessToken, '"1"')),
        );
        assert.deepEqual(responses.map((r) => r.status).sort(), [200, 412, 412, 412]);
        assert.equal(assertItem(await get(`/v1/items/${item.id}`), 200).version, 2);
      });

      test('400 for a malformed If-Match', async () => {
        const item = await create();
        assert.deepEqual(
          fieldErrors(await patch(item.id, { title: 'x' }, owner.accessToken, 'abc')).map((e) => e.path),
          ['if-match'],
        );
      });

      test('400 for read-only fields, bad prices and a price in another currency', async () => {
        const item = await create();
        for (const field of ['ownerId', 'status', 'version', 'id']) {
          const errors = fieldErrors(
            await patch(item.id, { [field]: field === 'version' ? 9 : 'x' }, owner.accessToken),
          );
          assert.ok(
            errors.some((e) => e.message.includes(`"${field}"`)),
            `${field} not rejected`,
          );
        }
        assert.deepEqual(
          fieldErrors(await patch(item.id, { dailyPrice: { amount: 'ten', currency: 'EUR' } }, owner.accessToken)).map(
            (e) => e.path,
          ),
          ['dailyPrice.amount'],
        );
        assertProblem(
          await patch(item.id, { deposit: { amount: 100, currency: 'GBP' } }, owner.accessToken),
          400,
          'inventory.currencyMismatch',
        );
        assert.equal(assertItem(await get(`/v1/items/${item.id}`), 200).version, 1);
      });

      test('401 without a token, 403 notOwner for another member, 404 for a missing item', async () => {
        const item = await create();
        assertProblem(await patch(item.id, { title: 'x' }), 401, 'unauthorized');
        assertProblem(await patch(item.id, { title: 'x' }, 'bad-token'), 401);
        assertProblem(await patch(item.id, { title: 'Stolen' }, other.accessToken), 403, 'inventory.notOwner');
        assertProblem(await patch(randomUUID(), { title: 'x' }, owner.accessToken), 404, 'inventory.itemNotFound');
        assert.equal(assertItem(await get(`/v1/items/${item.id}`), 200).title, 'Cordless drill');
      });

      test('an admin may edit another member’s item', async () => {
        const item = await create();
        const edited = assertItem(await patch(item.id, { title: 'Moderated title' }, admin, '"1"'), 200);
        assert.equal(edited.title, 'Moderated title');
        assert.equal(edited.ownerId, owner.id);
        assert.equal(edited.version, 2);
      });
    });

    describe('DELETE /v1/items/{id}', () => {
      test('204 retires the item: still readable, out of the default list, 409 on further changes', async () => {
        const category = `retire-${randomUUID().slice(0, 8)}`;
        const item = await create({ category });
        assertProblem(await del(item.id, other.accessToken), 403, 'inventory.notOwner');
        assertProblem(await del(item.id), 401, 'unauthorized');
        assertProblem(await del(item.id, owner.accessToken, '"7"'), 412, 'inventory.versionMismatch');

        const deleted = await del(item.id, owner.accessToken, '"1"');
        assert.equal(deleted.status, 204);
        assert.equal(deleted.body, undefined);

        const retired = assertItem(await get(`/v1/items/${item.id}`), 200);
        assert.equal(retired.status, 'retired');
        assert.equal(retired.version, 2);
        assert.equal((await get(`/v1/items?category=${category}`)).body.total, 0);
        assert.deepEqual(
          (await get(`/v1/items?category=${category}&status=retired`)).body.items.map((i: { id: string }) => i.id),
          [item.id],
        );

        assertProblem(await patch(item.id, { title: 'Revived' }, owner.accessToken), 409, 'inventory.itemRetired');
        const again = await del(item.id, owner.accessToken);
        assertProblem(again, 409, 'inventory.illegalTransition');
        assert.match(again.body.detail, /retired → retired/);
      });

      test('an admin may retire another member’s item; 404 for a missing one', async () => {
        const item = await create();
        assert.equal((await del(item.id, admin)).status, 204);
        assertProblem(await del(randomUUID(), admin), 404, 'inventory.itemNotFound');
      });
    });

    describe('POST /v1/items/{id}/unlist and /relist', () => {
      const move = (id: string, verb: 'unlist' | 'relist', token?: string, ifMatch?: string) =>
        call('POST', `/v1/items/${id}/${verb}`, withToken(token, ifMatch));

      test('the owner pauses and resumes an item; repeats succeed unchanged; the ETag follows', async () => {
        const item = await create();
        const unlisted = await move(item.id, 'unlist', owner.accessToken, '"1"');
        assert.equal(assertItem(unlisted, 200).status, 'unlisted');
        assert.equal(unlisted.headers.get('etag'), '"2"');
        assert.equal(assertItem(await move(item.id, 'unlist', owner.accessToken), 200).version, 2);
        assert.equal(assertItem(await get(`/v1/items/${item.id}`), 200).status, 'unlisted');
        const relisted = assertItem(await move(item.id, 'relist', admin), 200);
        assert.deepEqual([relisted.status, relisted.version], ['listed', 3]);
        assert.equal(assertItem(await move(item.id, 'relist', owner.accessToken), 200).version, 3);
      });

      test('401 anonymous, 403 not the owner, 412 stale, 404 missing, 409 on a retired item', async () => {
        const item = await create();
        assertProblem(await move(item.id, 'unlist'), 401, 'unauthorized');
        assertProblem(await move(item.id, 'unlist', other.accessToken), 403, 'inventory.notOwner');
        assertProblem(await move(item.id, 'relist', other.accessToken), 403, 'inventory.notOwner');
        assertProblem(await move(item.id, 'unlist', owner.accessToken, '"5"'), 412, 'inventory.versionMismatch');
        assertProblem(await move(randomUUID(), 'unlist', owner.accessToken), 404, 'inventory.itemNotFound');
        assert.equal((await del(item.id, owner.accessToken)).status, 204);
        assertProblem(await move(item.id, 'relist', owner.accessToken), 409, 'inventory.itemRetired');
        assertProblem(await move(item.id, 'unlist', owner.accessToken), 409, 'inventory.itemRetired');
      });
    });

    describe('GET /v1/items/{id}/history', () => {
      test('public: every change in version order with its facts; who made it only for the owner and admins; the last one is the item as it is', async () => {
        const item = await create();
        assertItem(await patch(item.id, { title: 'Hammer drill', condition: 'good' }, owner.accessToken, '"1"'), 200);
        assertItem(await patch(item.id, { title: 'Hammer drill' }, owner.accessToken), 200);
        assertItem(await patch(item.id, { deposit: { amount: 6000, currency: 'EUR' } }, admin, '"2"'), 200);
        assert.equal((await del(item.id, owner.accessToken, '"3"')).status, 204);
        const adminId = (await call('GET', '/v1/users/me', { token: admin })).body.id;

        const anonymous = await get(`/v1/items/${item.id}/history`);
        assert.equal(anonymous.status, 200, JSON.stringify(anonymous.body));
        const seenBy = (body: unknown) =>
          (body as { events: { actorId: string | null }[] }).events.map((e) => e.actorId);
        assert.deepEqual(
          seenBy(anonymous.body),
          [null, null, null, null],
          'anyone sees what changed, not who changed it',
        );
        const member = await call('GET', `/v1/items/${item.id}/history`, { token: other.accessToken });
        assert.deepEqual(seenBy(member.body), [null, null, null, null], 'nor does another member');
        const response = await call('GET', `/v1/items/${item.id}/history`, { token: owner.accessToken });
        assert.equal(response.status, 200, JSON.stringify(response.body));
        assert.equal(response.headers.get('content-type'), 'application/json');
        const { itemId, events } = response.body as {
          itemId: string;
          events: { version: number; type: string; actorId: string | null; data: unknown; occurredAt: string }[];
        };
        assert.equal(itemId, item.id);
        assert.deepEqual(
          events.map(({ version, type, actorId, data }) => ({ version, type, actorId, data })),
          [
            { version: 1, type: 'created', actorId: owner.id, data: { ownerId: owner.id, ...drill() } },
            { version: 2, type: 'updated', actorId: owner.id, data: { title: 'Hammer drill' } },
            { version: 3, type: 'updated', actorId: adminId, data: { deposit: { amount: 6000, currency: 'EUR' } } },
            {
              version: 4,
              type: 'status_changed',
              actorId: owner.id,
              data: { from: 'listed', to: 'retired', reservationId: null },
            },
          ],
        );
        const current = assertItem(await get(`/v1/items/${item.id}`), 200) as unknown as {
          createdAt: string;
          updatedAt: string;
          version: number;
        };
        assert.equal(events[0]!.occurredAt, current.createdAt);
        assert.equal(events.at(-1)!.occurredAt, current.updatedAt);
        assert.equal(events.at(-1)!.version, current.version);
      });

      test('404 itemNotFound, 400 for a malformed id', async () => {
        assertProblem(await get(`/v1/items/${randomUUID()}/history`), 404, 'inventory.itemNotFound');
        assert.deepEqual(
          fieldErrors(await get('/v1/items/not-a-uuid/history')).map((e) => e.path),
          ['id'],
        );
      });

      test('the relay sends the events of every change: outbox rows get sent_at', async () => {
        const item = await create();
        assertItem(await patch(item.id, { title: 'Relayed' }, owner.accessToken), 200);
        const sql = postgres(topology.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
        try {
          const deadline = Date.now() + 5_000;
          let rows: { event: string; sent: boolean }[] = [];
          do {
            rows = [
              ...(await sql<
                { event: string; sent: boolean }[]
              >`select event, sent_at is not null as sent from inventory.outbox where aggregate_id = ${item.id} order by seq`),
            ];
            if (rows.length === 2 && rows.every((r) => r.sent)) break;
            await new Promise((resolve) => setTimeout(resolve, 100));
          } while (Date.now() < deadline);
          assert.deepEqual(rows, [
            { event: 'inventory.itemCreated', sent: true },
            { event: 'inventory.itemUpdated', sent: true },
          ]);
        } finally {
          await sql.end({ timeout: 5 });
        }
      });
    });

    describe('GET /v1/items', () => {
      const category = `list-${randomUUID().slice(0, 8)}`;
      let ids: string[] = [];

      before(async () => {
        ids = [];
        for (const [title, amount] of [
          ['Tent', 1500],
          ['Axe', 300],
          ['Lantern', 700],
        ] as const) {
          ids.push((await create({ category, title, dailyPrice: { amount, currency: 'EUR' } })).id);
        }
        await create({ category, title: 'Stove', dailyPrice: { amount: 500, currency: 'EUR' } }, other.accessToken);
      });

      test('public, filtered by category and owner, newest first by default', async () => {
        const all = await get(`/v1/items?category=${category}`);
        assert.equal(all.status, 200);
        assert.equal(all.headers.get('etag'), null);
        assert.equal(all.body.total, 4);
        assert.equal(all.body.limit, 20);
        assert.equal(all.body.offset, 0);
        assert.equal(all.body.items[0].title, 'Stove');
        const mine = await get(`/v1/items?category=${category}&ownerId=${owner.id}`);
        assert.deepEqual(
          mine.body.items.map((i: { id: string }) => i.id),
          [...ids].reverse(),
        );
        assert.equal((await get(`/v1/items?category=${category}&status=unlisted`)).body.total, 0);
        assertProblem(await get(`/v1/items?category=${category}&status=reserved`), 400, 'validationFailed');
      });

      test('sorts by dailyPrice and title in both directions', async () => {
        const prices = await get(`/v1/items?category=${category}&sort=dailyPrice&order=asc`);
        assert.deepEqual(
          prices.body.items.map((i: { dailyPrice: { amount: number } }) => i.dailyPrice.amount),
          [300, 500, 700, 1500],
        );
        const titles = await get(`/v1/items?category=${category}&sort=title&order=desc`);
        assert.deepEqual(
          titles.body.items.map((i: { title: string }) => i.title),
          ['Tent', 'Stove', 'Lantern', 'Axe'],
        );
      });

      test('pages with limit and offset', async () => {
        const first = await get(`/v1/items?category=${category}&sort=title&order=asc&limit=3`);
        const second = await get(`/v1/items?category=${category}&sort=title&order=asc&limit=3&offset=3`);
        assert.deepEqual(
          first.body.items.map((i: { title: string }) => i.title),
          ['Axe', 'Lantern', 'Stove'],
        );
        assert.deepEqual(
          second.body.items.map((i: { title: string }) => i.title),
          ['Tent'],
        );
        assert.equal(second.body.total, 4);
        assert.equal(second.body.limit, 3);
        assert.equal(second.body.offset, 3);
      });

      test('the page size is capped: limit=1000 is 400, limit=100 is fine', async () => {
        assert.deepEqual(
          fieldErrors(await get('/v1/items?limit=1000')).map((e) => e.path),
          ['limit'],
        );
        assert.equal((await get('/v1/items?limit=100')).body.limit, 100);
        assert.deepEqual(
          fieldErrors(await get('/v1/items?limit=0')).map((e) => e.path),
          ['limit'],
        );
      });

      test('400 for an unknown sort, status, owner id or negative offset', async () => {
        const errors = fieldErrors(await get('/v1/items?sort=owner&status=lost&ownerId=me&offset=-1'));
        assert.deepEqual(errors.map((e) => e.path).sort(), ['offset', 'ownerId', 'sort', 'status']);
      });
    });

    test('GET /openapi.json lists every inventory route with its error responses, and no saga command', async () => {
      const response = await get('/openapi.json');
      assert.equal(response.status, 200);
      const doc = response.body as {
        paths: Record<
          string,
          Record<
            string,
            {
              operationId: string;
              security?: unknown[];
              parameters?: { name: string; in: string }[];
              responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
            }
          >
        >;
        components: { schemas: Record<string, unknown> };
      };
      const listed = Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((m) => `${m} ${path}`),
      );
      for (const [method, path] of INVENTORY_ROUTES)
        assert.ok(listed.includes(`${method} ${path}`), `${method} ${path} missing`);
      assert.ok(doc.components.schemas.Item && doc.components.schemas.Money, 'Item and Money are schema components');
      assert.ok(
        doc.components.schemas.ItemHistory && doc.components.schemas.ItemHistoryEvent,
        'ItemHistory and ItemHistoryEvent are schema components',
      );
      const history = doc.paths['/v1/items/{id}/history']!.get!;
      assert.equal(history.operationId, 'inventory.getItemHistory');
      assert.deepEqual(
        history.security,
        [{ bearerAuth: [] }],
        'the history is public; a token shows who changed the item to its owner and admins',
      );
      assert.match(JSON.stringify(history.responses['404']), /inventory\.itemNotFound/);

      for (const { op, operation } of documentedOperations(
        doc.paths,
        Object.values(inventory.ops) as Op[],
        INVENTORY_ROUTES.length,
      )) {
        const expected = new Set([
          op.http.status,
          400,
          500,
          ...(op.errors ?? []).map((e) => statusOfKind[inventory.errors[e as keyof typeof inventory.errors]]),
        ]);
        if (op.http.auth === 'required') expected.add(401);
        for (const status of expected) assert.ok(operation.responses[status], `${op.name} does not document ${status}`);
        for (const [status, body] of Object.entries(operation.responses)) {
          if (Number(status) >= 400)
            assert.ok(body.content?.['application/problem+json'], `${op.name} ${status} is not problem+json`);
        }
        assert.equal(Boolean(operation.security), op.http.auth !== 'none', `${op.name} security`);
      }
      const patchOp = doc.paths['/v1/items/{id}']!.patch!;
      // The platform may add statuses of its own (413, 429); these are the ones PATCH must document.
      for (const status of [400, 401, 403, 404, 409, 412])
        assert.ok(patchOp.responses[status], `PATCH does not document ${status}`);
      assert.match(JSON.stringify(patchOp.responses['412']), /inventory\.versionMismatch/);
      assert.match(JSON.stringify(patchOp.responses['409']), /inventory\.itemRetired/);
      assert.ok(
        patchOp.parameters?.some((p) => p.in === 'header' && p.name === 'if-match'),
        'If-Match is documented',
      );
      assert.ok(
        doc.paths['/v1/items/{id}']!.delete!.parameters?.some((p) => p.in === 'header' && p.name === 'if-match'),
      );
      assert.ok(doc.paths['/v1/items/{id}']!.get!.responses['200']!.headers?.ETag, 'the ETag header is documented');
    });
  });
}
