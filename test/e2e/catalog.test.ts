import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { catalog } from '../../src/modules/catalog/contract.ts';
import type { Op } from '../../src/shared/bus/contract.ts';
import { apiClient, type ApiResponse } from '../support/api-client.ts';
import { startTopology, topologies, type Topology } from '../support/topology.ts';
import { eventually } from '../support/eventually.ts';

const ADMIN_EMAIL = 'catalog-e2e-admin@example.test';
const ADMIN_PASSWORD = 'catalog e2e admin password';

/** Every catalog route, spelled out so a route that disappears from the contract fails here. */
const CATALOG_ROUTES = [
  ['get', '/v1/catalog/search'],
  ['post', '/v1/admin/catalog/rebuild'],
  ['get', '/v1/admin/catalog/rebuild'],
  ['get', '/v1/admin/catalog/dead-letters'],
  ['get', '/v1/admin/catalog/dead-letters/{id}'],
  ['post', '/v1/admin/catalog/dead-letters/{id}/replay'],
] as const;

type Hit = {
  id: string;
  ownerId: string;
  ownerName: string | null;
  title: string;
  category: string;
  status: string;
  dailyPrice: { amount: number; currency: string };
  availability: { availableNow: boolean; bookedPeriods: unknown[] };
  rank?: number;
};
type Page = { items: Hit[]; nextCursor: string | null; sort: string };

function assertProblem(response: ApiResponse, status: number, code?: string) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.headers.get('content-type'), 'application/problem+json');
  if (code) assert.equal(response.body.code, code, JSON.stringify(response.body));
}

const word = () => `w${randomUUID().replaceAll('-', '').slice(0, 10)}`;

for (const name of topologies) {
  describe(name, () => {
    let topology: Topology;
    let api: ReturnType<typeof apiClient>;
    let admin: string;
    let owner: Awaited<ReturnType<ReturnType<typeof apiClient>['newUser']>>;

    const search = async (query: Record<string, string | number>): Promise<ApiResponse<Page>> => {
      const qs = new URLSearchParams(
        Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
      ).toString();
      return api.request<Page>('GET', `/v1/catalog/search?${qs}`);
    };

    /** Polls a search until check holds: the catalog follows inventory through events. */
    async function searchUntil(
      what: string,
      query: Record<string, string | number>,
      check: (hits: Hit[]) => boolean,
      timeoutMs = 45_000,
    ): Promise<Hit[]> {
      return eventually(
        `${what} (${name})`,
        async () => {
          const response = await search(query);
          assert.equal(response.status, 200, JSON.stringify(response.body));
          // Thrown, not returned: eventually() reports the last hits when it gives up.
          if (!check(response.body.items)) throw new Error(`hits so far: ${JSON.stringify(response.body.items)}`);
          return response.body.items;
        },
        timeoutMs,
      );
    }

    async function createItem(body: Record<string, unknown>) {
      const response = await api.request('POST', '/v1/items', {
        token: owner.accessToken,
        body: {
          description: 'Plain',
          category: 'tools',
          dailyPrice: { amount: 800, currency: 'EUR' },
          deposit: { amount: 5000, currency: 'EUR' },
          condition: 'good',
          ...body,
        },
      });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body as { id: string; version: number };
    }

    before(async () => {
      topology = await startTopology(name, { ADMIN_EMAIL, ADMIN_PASSWORD });
      api = apiClient(topology.baseUrl);
      // A just-started split deployment may answer 503 until the gateway's health checks see every service.
      const login = await api.loginOnceReady(ADMIN_EMAIL, ADMIN_PASSWORD);
      assert.equal(
        login.status,
        200,
        `ADMIN_EMAIL/ADMIN_PASSWORD did not create a usable admin: ${JSON.stringify(login.body)}`,
      );
      admin = login.body.accessToken;
      owner = await api.newUser('Lender');
    });

    after(async () => {
      await topology?.stop();
    });

    test('items listed through the API are found by text, with their owner’s name, best match first', async () => {
      const tag = word();
      const inDescription = await createItem({ title: `Paddle ${tag}`, description: 'For any canoe' });
      const inTitle = await createItem({ title: `Canoe ${tag}`, category: 'water-sports' });
      await createItem({ title: `Bicycle ${tag}` });
      const hits = await searchUntil('two canoe matches', { q: `canoe ${tag}` }, (h) => h.length === 2);
      assert.deepEqual(
        hits.map((h) => h.id),
        [inTitle.id, inDescription.id],
      );
      assert.equal(hits[0]!.ownerName, 'Lender');
      assert.equal(hits[0]!.ownerId, owner.id);
      assert.deepEqual(hits[0]!.availability, { availableNow: true, bookedPeriods: [] });
      assert.ok(hits[0]!.rank! > hits[1]!.rank!, 'ranked by relevance');
    });

    test('filters, sorts and cursor pages', async () => {
      const tag = word();
      const category = `cat-${tag}`;
      const prices = [900, 100, 500, 300, 700];
      const ids: string[] = [];
      for (const [i, amount] of prices.entries())
        ids.push(
          (await createItem({ title: `Item ${i} ${tag}`, category, dailyPrice: { amount, currency: 'EUR' } })).id,
        );
      const gbp = await createItem({
        title: `Pound item ${tag}`,
        category,
        dailyPrice: { amount: 400, currency: 'GBP' },
        deposit: { amount: 100, currency: 'GBP' },
      });
      await searchUntil('all six', { category }, (h) => h.length === 6);

      const inRange = (await search({ category, currency: 'EUR', minPrice: 300, maxPrice: 700, sort: 'price_asc' }))
        .body.items;
      assert.deepEqual(
        inRange.map((h) => h.dailyPrice.amount),
        [300, 500, 700],
      );
      assert.deepEqual(
        (await search({ category, currency: 'GBP' })).body.items.map((h) => h.id),
        [gbp.id],
      );
      const period = await search({
        category,
        currency: 'EUR',
        availableFrom: '2031-02-01',
        availableTo: '2031-02-03',
      });
      assert.equal(period.body.items.length, 5, 'nothing is booked yet');

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: ApiResponse<Page> = await search({
          category,
          sort: 'price_desc',
          limit: 2,
          ...(cursor ? { cursor } : {}),
        });
        assert.equal(page.status, 200, JSON.stringify(page.body));
        assert.ok(page.body.items.length <= 2, 'the page size holds');
        seen.push(...page.body.items.map((h) => h.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      assert.equal(seen.length, 6, 'each item exactly once');
      assert.deepEqual([...seen].sort(), [...ids, gbp.id].sort());

      const retired = await api.request('DELETE', `/v1/items/${ids[0]}`, { token: owner.accessToken });
      assert.equal(retired.status, 204);
      await searchUntil(
        'the retired item',
        { category, status: 'retired' },
        (h) => h.length === 1 && h[0]!.id === ids[0],
      );
      assert.equal((await search({ category })).body.items.length, 5, 'retired items leave the default results');

      const unlisted = await api.request('POST', `/v1/items/${ids[1]}/unlist`, { token: owner.accessToken });
      assert.equal(unlisted.status, 200, JSON.stringify(unlisted.body));
      const [paused] = await searchUntil(
        'the unlisted item',
        { category, status: 'unlisted' },
        (h) => h.length === 1 && h[0]!.id === ids[1],
      );
      assert.equal(paused!.availability.availableNow, false, 'an unlisted item takes no bookings');
      assert.equal((await search({ category })).body.items.length, 4, 'unlisted items leave the default results');
      assert.equal(
        (await search({ category, status: 'unlisted', availableFrom: '2031-01-01', availableTo: '2031-01-02' })).body
          .items.length,
        0,
        'only a listed item can be free for a period',
      );
    });

    test('an owner’s rename reaches their items', async () => {
      const tag = word();
      const renamer = await api.newUser('Before');
      const created = await api.request('POST', '/v1/items', {
        token: renamer.accessToken,
        body: {
          title: `Tent ${tag}`,
          category: 'camping',
          dailyPrice: { amount: 100, currency: 'EUR' },
          deposit: { amount: 100, currency: 'EUR' },
          condition: 'good',
        },
      });
      assert.equal(created.status, 201);
      await searchUntil('the tent', { q: tag }, (h) => h[0]?.ownerName === 'Before');
      const renamed = await api.request('PATCH', '/v1/users/me', {
        token: renamer.accessToken,
        body: { displayName: 'After' },
      });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      await searchUntil('the new name', { q: tag }, (h) => h[0]?.ownerName === 'After');
    });

    test('400 for a bad cursor, an inverted price range, prices without currency, a half period, a page too large', async () => {
      assertProblem(await search({ cursor: 'bogus' }), 400, 'catalog.invalidCursor');
      assertProblem(
        await search({ cursor: Buffer.from('["newest","x","y"]').toString('base64url') }),
        400,
        'catalog.invalidCursor',
      );
      assertProblem(await search({ minPrice: 500, maxPrice: 100, currency: 'EUR' }), 400, 'catalog.invalidPriceRange');
      assertProblem(await search({ minPrice: 100 }), 400, 'catalog.priceNeedsCurrency');
      assertProblem(await search({ availableFrom: '2031-01-01' }), 400, 'catalog.invalidPeriod');
      assertProblem(await search({ limit: 500 }), 400, 'validationFailed');
      assertProblem(await search({ sort: 'cheapest' }), 400, 'validationFailed');
      assertProblem(await search({ minPrice: 'ten', currency: 'EUR' }), 400, 'validationFailed');
    });

    test('rebuild: admin only, 202, followed to completion, and searches keep working', async () => {
      assertProblem(await api.request('POST', '/v1/admin/catalog/rebuild'), 401, 'unauthorized');
      assertProblem(
        await api.request('POST', '/v1/admin/catalog/rebuild', { token: owner.accessToken }),
        403,
        'catalog.notAdmin',
      );
      const tag = word();
      await createItem({ title: `Rebuilt ${tag}` });
      await searchUntil('the item', { q: tag }, (h) => h.length === 1);
      const started = await api.request('POST', '/v1/admin/catalog/rebuild', { token: admin });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const last = await eventually(
        'the rebuild to finish',
        async () => {
          const status = await api.request('GET', '/v1/admin/catalog/rebuild', { token: admin });
          assert.equal(status.status, 200, JSON.stringify(status.body));
          return status.body.last?.rebuildId === started.body.rebuildId && status.body.last;
        },
        60_000,
      );
      assert.equal(last.outcome, 'completed', JSON.stringify(last));
      const [hit] = (await search({ q: tag })).body.items;
      assert.equal(hit?.ownerName, 'Lender');
    });

    test(`npm run catalog:rebuild${name === 'split' ? ' -- --service' : ''} rebuilds the deployment's catalog from the command line`, async () => {
      const tag = word();
      await createItem({ title: `Console ${tag}` });
      await searchUntil('the item', { q: tag }, (h) => h.length === 1);
      const root = fileURLToPath(new URL('../..', import.meta.url));
      // Monolith: the command hosts the modules itself on the deployment's database; split: it asks the catalog service.
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/runtimes/cli/catalog-rebuild.ts', ...(name === 'split' ? ['--service'] : [])],
        {
          cwd: root,
          env: { ...process.env, ...topology.env, LOG_LEVEL: 'warn' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
      assert.match(stdout, /^catalog rebuilt: \d+ items, \d+ owners in [\d.]+ s/m, stdout);
      assert.equal((await search({ q: tag })).body.items[0]?.ownerName, 'Lender');
    });

    test('GET /openapi.json lists every catalog route; search takes an optional token, operations need one', async () => {
      const response = await api.request('GET', '/openapi.json');
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
              responses: Record<string, unknown>;
            }
          >
        >;
        components: { schemas: Record<string, unknown> };
      };
      for (const [method, path] of CATALOG_ROUTES) assert.ok(doc.paths[path]?.[method], `${method} ${path} missing`);
      assert.equal(
        (Object.values(catalog.ops) as Op[]).filter((o) => o.http).length,
        CATALOG_ROUTES.length,
        'the contract and this list disagree',
      );
      const searchOp = doc.paths['/v1/catalog/search']!.get!;
      assert.equal(searchOp.operationId, 'catalog.searchItems');
      // Anonymous searches work (every other test here); a token places the searcher in the browse-order experiment.
      assert.deepEqual(searchOp.security, [{ bearerAuth: [] }], 'search documents its optional bearer token');
      assert.match(JSON.stringify(searchOp.responses['401']), /unauthorized/);
      const params = (searchOp.parameters ?? [])
        .filter((p) => p.in === 'query')
        .map((p) => p.name)
        .sort();
      assert.deepEqual(params, [
        'availableFrom',
        'availableTo',
        'category',
        'currency',
        'cursor',
        'limit',
        'maxPrice',
        'minPrice',
        'q',
        'sort',
        'status',
      ]);
      assert.match(JSON.stringify(searchOp.responses['400']), /catalog\.invalidCursor/);
      assert.ok(doc.components.schemas.CatalogItem, 'CatalogItem is a schema component');
      assert.ok(doc.paths['/v1/admin/catalog/rebuild']!.post!.security, 'rebuild needs a token');
      assert.ok(doc.paths['/v1/admin/catalog/rebuild']!.post!.responses['202'], 'rebuild answers 202');
      assert.ok(doc.paths['/v1/admin/catalog/rebuild']!.post!.responses['409'], 'rebuild documents rebuildInProgress');
    });
  });
}
