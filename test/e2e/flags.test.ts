import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { apiClient, type ApiResponse } from '../support/api-client.ts';
import { eventually } from '../support/eventually.ts';
import { startTopology, type Topology, topologies } from '../support/topology.ts';

/** The services a search by a signed-in user touches: split mode with just those (a lighter start). */
const SEARCH_MODULES = ['identity', 'inventory', 'catalog'];

type Page = { items: { id: string; dailyPrice: { amount: number } }[]; sort: string };

/** The browse-order flag, sending the listed users to the cheapest-first variant. */
function browseOrderFile(cheapestUsers: string[]) {
  return JSON.stringify({
    $schema: 'https://flagd.dev/schema/v0/flags.json',
    flags: {
      'catalog-browse-order': {
        state: 'ENABLED',
        variants: { newest: 'newest', cheapest: 'price_asc' },
        defaultVariant: 'newest',
        targeting: { if: [{ in: [{ var: 'userId' }, cheapestUsers] }, 'cheapest', 'newest'] },
      },
    },
  });
}

for (const name of topologies) {
  describe(`feature flags reach the handler (${name})`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'shareloop-flags-e2e-'));
    const flagsFile = join(dir, 'flags.json');
    const category = `flags-${randomUUID().slice(0, 8)}`;
    let topology: Topology;
    let api: ReturnType<typeof apiClient>;
    const prices = [900, 300, 600];

    const browse = (token?: string): Promise<ApiResponse<Page>> =>
      api.request<Page>('GET', `/v1/catalog/search?category=${category}`, token ? { token } : {});

    before(async () => {
      writeFileSync(flagsFile, browseOrderFile([]));
      topology = await startTopology(name, { FLAGS_FILE: flagsFile }, SEARCH_MODULES);
      api = apiClient(topology.baseUrl);
      const owner = await eventually('the deployment to accept registrations', async () =>
        api.newUser('owner').catch(() => undefined),
      );
      for (const amount of prices) {
        const created = await api.request('POST', '/v1/items', {
          token: owner.accessToken,
          body: {
            title: `Kayak ${amount}`,
            category,
            dailyPrice: { amount, currency: 'EUR' },
            deposit: { amount: 1_000, currency: 'EUR' },
            condition: 'good',
          },
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
      }
      await eventually(
        'the catalog to show the items',
        async () => ((await browse()).body.items?.length === 3 ? true : undefined),
        45_000,
      );
    });

    after(async () => {
      await topology?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('a user targeted by id browses cheapest first; others and anonymous newest first; edits to the file apply live', async () => {
      const [targeted, other] = await Promise.all([api.newUser('targeted'), api.newUser('other')]);
      const newest = [600, 300, 900];
      const cheapest = [300, 600, 900];
      const amounts = (page: ApiResponse<Page>) => page.body.items.map((i) => i.dailyPrice.amount);

      assert.deepEqual(amounts(await browse(targeted.accessToken)), newest, 'not targeted yet');
      writeFileSync(flagsFile, browseOrderFile([targeted.id]));
      const page = await eventually('the edited flag file to reach the edge', async () => {
        const response = await browse(targeted.accessToken);
        return response.body.sort === 'price_asc' ? response : undefined;
      });
      assert.equal(page.status, 200);
      assert.deepEqual(amounts(page), cheapest);
      const others = await browse(other.accessToken);
      assert.equal(others.body.sort, 'newest');
      assert.deepEqual(amounts(others), newest);
      const anonymous = await browse();
      assert.equal(anonymous.body.sort, 'newest');

      writeFileSync(flagsFile, '{ not json');
      await new Promise((r) => setTimeout(r, 1_500)); // past several polls of the file
      assert.equal((await browse(targeted.accessToken)).body.sort, 'price_asc', 'a broken file kept the last flags');
    });

    test('search with a bad token is refused with a problem; a bad sort is a validation problem', async () => {
      const refused = await api.request('GET', `/v1/catalog/search?category=${category}`, { token: 'not-a-token' });
      assert.equal(refused.status, 401, JSON.stringify(refused.body));
      assert.equal(refused.headers.get('content-type'), 'application/problem+json');
      assert.equal(refused.body.code, 'identity.invalidToken');
      const invalid = await api.request('GET', `/v1/catalog/search?category=${category}&sort=cheapest`);
      assert.equal(invalid.status, 400);
      assert.equal(invalid.body.code, 'validationFailed');
    });
  });
}
