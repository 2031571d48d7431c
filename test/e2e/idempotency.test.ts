import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { apiClient, type ApiResponse } from '../support/api-client.ts';
import { drill } from '../support/fixtures.ts';
import { startTopology, topologies, type Topology } from '../support/topology.ts';

function assertProblem(response: ApiResponse, status: number, code: string) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.headers.get('content-type'), 'application/problem+json');
  assert.equal(response.body.status, status);
  assert.equal(response.body.code, code);
  assert.equal(response.body.type, `urn:shareloop:problem:${code}`);
}

for (const name of topologies) {
  describe(name, () => {
    let topology: Topology;
    let api: ReturnType<typeof apiClient>;

    before(async () => {
      topology = await startTopology(name);
      api = apiClient(topology.baseUrl);
    });

    after(async () => {
      await topology?.stop();
    });

    const create = (token: string, key: string | undefined, body: unknown = drill()) =>
      api.request('POST', '/v1/items', {
        body,
        token,
        ...(key !== undefined ? { headers: { 'idempotency-key': key } } : {}),
      });
    const itemsOf = async (ownerId: string) => {
      const listed = await api.request('GET', `/v1/items?ownerId=${ownerId}&limit=100`);
      assert.equal(listed.status, 200);
      return listed.body as { total: number; items: { id: string }[] };
    };

    test('50 concurrent requests with one key create exactly one item; the rest replay it or are told to retry', async () => {
      const owner = await api.newUser('racer');
      const key = randomUUID();
      const responses = await Promise.all(Array.from({ length: 50 }, () => create(owner.accessToken, key)));

      const listed = await itemsOf(owner.id);
      assert.equal(listed.total, 1, `exactly one item created, got ${listed.total}`);
      const [item] = listed.items;
      const statuses = responses.map((r) => r.status);
      for (const response of responses) {
        if (response.status === 201) {
          assert.equal(response.body.id, item!.id, 'every 201 carries the one item');
          assert.equal(response.headers.get('etag'), '"1"');
        } else {
          assertProblem(response, 409, 'idempotencyRequestInFlight');
          assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
        }
      }
      const fresh = responses.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') !== 'true');
      assert.equal(fresh.length, 1, `one original 201, the other 201s are replays (statuses: ${statuses.join(',')})`);

      const retry = await create(owner.accessToken, key);
      assert.equal(retry.status, 201);
      assert.equal(retry.body.id, item!.id);
      assert.equal(retry.headers.get('idempotent-replayed'), 'true');
      assert.equal((await itemsOf(owner.id)).total, 1);
    });

    test('a sequential retry replays the same 201: body, ETag, content type, with Idempotent-Replayed', async () => {
      const owner = await api.newUser('retry');
      const key = `order-${randomUUID()}`;
      const first = await create(owner.accessToken, key);
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.equal(first.headers.get('idempotent-replayed'), null);
      const retry = await create(owner.accessToken, key, drill({}));
      assert.equal(retry.status, 201);
      assert.deepEqual(retry.body, first.body, 'the same item, field for field');
      assert.equal(retry.headers.get('etag'), first.headers.get('etag'));
      assert.equal(retry.headers.get('content-type'), 'application/json');
      assert.equal(retry.headers.get('idempotent-replayed'), 'true');
      assert.notEqual(
        retry.headers.get('x-request-id'),
        first.headers.get('x-request-id'),
        'a replay is still its own request',
      );

      const withoutKey = await create(owner.accessToken, undefined);
      assert.equal(withoutKey.status, 201);
      assert.notEqual(withoutKey.body.id, first.body.id, 'without a key every request creates');
      assert.equal((await itemsOf(owner.id)).total, 2);
    });

    test('the same key with a different body is 422 idempotencyKeyReused', async () => {
      const owner = await api.newUser('reuse');
      const key = randomUUID();
      assert.equal((await create(owner.accessToken, key)).status, 201);
      assertProblem(
        await create(owner.accessToken, key, drill({ title: 'Hammer drill' })),
        422,
        'idempotencyKeyReused',
      );
      assertProblem(
        await create(owner.accessToken, key, drill({ dailyPrice: { amount: 900, currency: 'EUR' } })),
        422,
        'idempotencyKeyReused',
      );
      assert.equal((await itemsOf(owner.id)).total, 1);
    });

    test('malformed keys are 400 invalidIdempotencyKey and create nothing', async () => {
      const owner = await api.newUser('badkey');
      for (const key of ['k'.repeat(300), 'has space', 'clé', 'tab\tinside']) {
        assertProblem(await create(owner.accessToken, key), 400, 'invalidIdempotencyKey');
      }
      assert.equal((await itemsOf(owner.id)).total, 0);
      assert.equal(
        (await create(owner.accessToken, 'k'.repeat(255))).status,
        201,
        '255 visible ASCII characters are a valid key',
      );
    });

    test('keys are scoped to the caller: another user with the same key creates their own item', async () => {
      const alice = await api.newUser('alice');
      const bob = await api.newUser('bob');
      const key = randomUUID();
      const mine = await create(alice.accessToken, key);
      const theirs = await create(bob.accessToken, key);
      assert.equal(theirs.status, 201);
      assert.equal(theirs.headers.get('idempotent-replayed'), null);
      assert.notEqual(theirs.body.id, mine.body.id);
      assert.equal(theirs.body.ownerId, bob.id);
      assert.equal((await itemsOf(alice.id)).total, 1);
      assert.equal((await itemsOf(bob.id)).total, 1);
      assert.equal(
        (await create(bob.accessToken, key, drill({ title: 'Other' }))).status,
        422,
        "bob's key is bound to bob's body, not alice's",
      );
    });

    test('GET /openapi.json documents the optional Idempotency-Key header and its 409/422 on POST /v1/items', async () => {
      const doc = (await api.request('GET', '/openapi.json')).body as {
        paths: Record<
          string,
          Record<
            string,
            {
              parameters?: { name: string; in: string; required?: boolean }[];
              responses: Record<string, { description: string; headers?: Record<string, unknown> }>;
            }
          >
        >;
      };
      const post = doc.paths['/v1/items']!.post!;
      const header = post.parameters?.find((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
      assert.ok(header, 'Idempotency-Key is documented');
      assert.equal(header.required, false, 'and optional');
      assert.match(post.responses['409']!.description, /idempotencyRequestInFlight/);
      assert.match(post.responses['422']!.description, /idempotencyKeyReused/);
      assert.match(post.responses['400']!.description, /invalidIdempotencyKey/);
      assert.ok(post.responses['201']!.headers?.['Idempotent-Replayed'], 'the replay header is documented');
      const get = doc.paths['/v1/items']!.get!;
      assert.equal(
        get.parameters?.some((p) => p.name.toLowerCase() === 'idempotency-key'),
        false,
        'GET routes take no key',
      );
    });
  });
}
