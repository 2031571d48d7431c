import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiClient } from '../support/api-client.ts';
import { testServers } from '../support/env.ts';
import { drill } from '../support/fixtures.ts';
import { createDatabase } from '../support/services.ts';
import { bootRuntime, smokeRun } from './boot-runtime.ts';

// The README's promise on `npm start` with no Redis: a retry with the same Idempotency-Key is safe, also after a restart.
const node = process.execPath;
const args = ['--import', 'tsx', 'src/runtimes/monolith.ts'];

for (const engine of ['pglite', 'postgres'] as const) {
  describe(`Idempotency-Key across a restart of the monolith on ${engine}, with no Redis`, () => {
    const run = smokeRun('shareloop-idem-restart-');

    test("replaying the README's top-up and listing after a restart answers the first responses: one credit, one item", async () => {
      const env: Record<string, string> =
        engine === 'pglite'
          ? { DATA_DIR: run.dataDir }
          : { DATA_DIR: run.dataDir, DATABASE_URL: await createDatabase(testServers().pgUrl) };
      run.runtime = await bootRuntime(node, args, env);
      let api = apiClient(run.runtime.baseUrl);
      const bob = await api.newUser('bob');
      const topUp = () =>
        api.request('POST', '/v1/wallet/top-ups', {
          token: bob.accessToken,
          headers: { 'idempotency-key': 'bob-topup-1' },
          body: { amount: 20000, currency: 'EUR' },
        });
      const listDrill = () =>
        api.request('POST', '/v1/items', {
          token: bob.accessToken,
          headers: { 'idempotency-key': '7d1c7e0e-list-drill' },
          body: drill(),
        });

      const firstTopUp = await topUp();
      assert.equal(firstTopUp.status, 201, JSON.stringify(firstTopUp.body));
      const firstItem = await listDrill();
      assert.equal(firstItem.status, 201, JSON.stringify(firstItem.body));
      assert.equal((await topUp()).headers.get('idempotent-replayed'), 'true', 'replayed before the restart too');

      assert.deepEqual(await run.runtime.stop('SIGTERM'), { code: 0, signal: null }, run.runtime.output().slice(-3000));
      run.runtime = await bootRuntime(node, args, env);
      api = apiClient(run.runtime.baseUrl);

      const replayedTopUp = await topUp();
      assert.equal(replayedTopUp.status, firstTopUp.status);
      assert.equal(replayedTopUp.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(replayedTopUp.body, firstTopUp.body, 'the first answer, not a second top-up');
      const replayedItem = await listDrill();
      assert.equal(replayedItem.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(replayedItem.body, firstItem.body);

      const wallet = await api.request('GET', '/v1/wallet', { token: bob.accessToken });
      assert.equal(wallet.status, 200, JSON.stringify(wallet.body));
      assert.deepEqual(
        wallet.body.balances.map((b: { currency: string; balance: number }) => [b.currency, b.balance]),
        [['EUR', 20000]],
        'credited once',
      );
      const items = await api.request('GET', `/v1/items?ownerId=${bob.id}&limit=100`);
      assert.equal(items.body.total, 1, 'one item');

      const reused = await api.request('POST', '/v1/wallet/top-ups', {
        token: bob.accessToken,
        headers: { 'idempotency-key': 'bob-topup-1' },
        body: { amount: 1, currency: 'EUR' },
      });
      assert.equal(reused.status, 422, 'the key still belongs to the first request');
      assert.equal(reused.body.code, 'idempotencyKeyReused');
      assert.deepEqual(await run.runtime.stop('SIGTERM'), { code: 0, signal: null });
    });
  });
}
