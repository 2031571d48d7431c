/**
 * Versions on the wire, in both topologies: the build in /healthz and metrics, a retiring
 * route's Deprecation/Sunset/Link headers and OpenAPI flag, and /v2/items beside /v1/items.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient } from '../support/api-client.ts';
import { startTopology, type Topology, topologies } from '../support/topology.ts';

const BUILD = { SHARELOOP_VERSION: '1.4.2', SHARELOOP_COMMIT: 'abc1234' };
const listing = (title: string, category: string) => ({
  title,
  description: '',
  category,
  dailyPrice: { amount: 900, currency: 'EUR' },
  deposit: { amount: 5_000, currency: 'EUR' },
  condition: 'good',
});

for (const name of topologies) {
  describe(`versions (${name})`, () => {
    let topology: Pick<Topology, 'baseUrl' | 'stop'>;
    let api: ReturnType<typeof apiClient>;
    before(async () => {
      topology = await startTopology(name, BUILD, ['identity', 'inventory']);
      api = apiClient(topology.baseUrl);
    });
    after(async () => {
      await topology?.stop();
    });

    test('/healthz and /metrics report the build (version and commit)', async () => {
      const health = await api.request('GET', '/healthz');
      assert.equal(health.status, 200);
      assert.equal(health.body.version, '1.4.2');
      assert.equal(health.body.commit, 'abc1234');
      const metrics = await (await fetch(`${topology.baseUrl}/metrics`)).text();
      assert.match(metrics, /# TYPE shareloop_build_info gauge/);
      const line = metrics.split('\n').find((l) => l.startsWith('shareloop_build_info{'));
      assert.ok(line, metrics.slice(0, 500));
      assert.match(line, /version="1\.4\.2"/);
      assert.match(line, /commit="abc1234"/);
      assert.match(line, /service="(monolith|gateway)"/);
      assert.match(line, /\} 1$/);
    });

    test('GET /v1/items is retiring: Deprecation, Sunset and a successor Link on answers and problems', async () => {
      const answered = await api.request('GET', '/v1/items?limit=1');
      assert.equal(answered.status, 200);
      const bad = await api.request('GET', '/v1/items?limit=0');
      assert.equal(bad.status, 400);
      for (const { headers } of [answered, bad]) {
        assert.equal(headers.get('deprecation'), `@${Date.parse('2026-12-07') / 1000}`);
        assert.equal(headers.get('sunset'), 'Wed, 30 Jun 2027 00:00:00 GMT');
        assert.equal(headers.get('link'), '</v2/items>; rel="successor-version"');
      }
      const current = await api.request('GET', '/v2/items?limit=1');
      assert.equal(current.status, 200);
      assert.equal(current.headers.get('deprecation'), null);
      assert.equal(current.headers.get('sunset'), null);
    });

    test('the OpenAPI document marks /v1/items deprecated and documents /v2/items beside it', async () => {
      const doc = (await api.request('GET', '/openapi.json')).body;
      assert.equal(doc.paths['/v1/items'].get.deprecated, true);
      assert.equal(doc.paths['/v1/items'].get.operationId, 'inventory.listItems');
      assert.equal(doc.paths['/v2/items'].get.operationId, 'inventory.browseItems');
      assert.equal(doc.paths['/v2/items'].get.deprecated, undefined);
      assert.ok(doc.paths['/v2/items'].get.responses['400'], 'invalidCursor documented');
    });

    test('/v2/items pages by cursor through every item once, newest first or oldest first, as /v1 lists them', async () => {
      const owner = await api.newUser('pager');
      const category = `pager-${Date.now().toString(36)}`;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const created = await api.request('POST', '/v1/items', {
          body: listing(`Item ${i}`, category),
          token: owner.accessToken,
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        ids.push(created.body.id);
      }
      const walk = async (order: 'asc' | 'desc') => {
        const seen: string[] = [];
        const pages: number[] = [];
        let cursor: string | null = null;
        do {
          const query: string = `category=${category}&limit=2&order=${order}${cursor ? `&cursor=${cursor}` : ''}`;
          const page = await api.request('GET', `/v2/items?${query}`);
          assert.equal(page.status, 200, JSON.stringify(page.body));
          seen.push(...page.body.items.map((i: { id: string }) => i.id));
          pages.push(page.body.items.length);
          cursor = page.body.nextCursor;
        } while (cursor);
        return { seen, pages };
      };
      const newest = await walk('desc');
      assert.deepEqual(newest.pages, [2, 2, 1]);
      assert.deepEqual(newest.seen, [...ids].reverse());
      assert.deepEqual((await walk('asc')).seen, ids);
      const v1 = await api.request('GET', `/v1/items?category=${category}&limit=10`);
      assert.deepEqual(
        v1.body.items.map((i: { id: string }) => i.id),
        newest.seen,
      );
    });

    test('a cursor this API did not issue is a 400 inventory.invalidCursor problem', async () => {
      for (const cursor of ['not-a-cursor', Buffer.from('["yesterday","x"]').toString('base64url')]) {
        const response = await api.request('GET', `/v2/items?cursor=${cursor}`);
        assert.equal(response.status, 400);
        assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
        assert.equal(response.body.code, 'inventory.invalidCursor');
      }
    });
  });
}
