import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { reapOnExit } from '../../scripts/processes.ts';
import { eventually } from '../support/eventually.ts';
import { apiClient } from '../support/api-client.ts';
import { testServers } from '../support/env.ts';
import { createDatabase } from '../support/services.ts';
import { startTopology, topologies, type Topology } from '../support/topology.ts';

const ADMIN_EMAIL = 'warehouse-e2e-admin@example.test';
const ADMIN_PASSWORD = 'warehouse e2e admin password';
const WIDE = 'from=2020-01-01&to=2030-01-01';
const root = fileURLToPath(new URL('../..', import.meta.url));

for (const name of topologies) {
  describe(`warehouse through the public API (${name})`, () => {
    let topology: Topology;
    let api: ReturnType<typeof apiClient>;
    let adminToken: string;
    const dataDir = mkdtempSync(join(tmpdir(), 'shareloop-warehouse-e2e-'));

    before(async () => {
      const { pgUrl } = testServers();
      const [rentalsUrl, paymentsUrl] = await Promise.all([createDatabase(pgUrl), createDatabase(pgUrl)]);
      // The embedded DuckDB warehouse in a data directory of this test's own.
      topology = await startTopology(name, {
        RENTALS_DATABASE_URL: rentalsUrl,
        PAYMENTS_DATABASE_URL: paymentsUrl,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        DATA_DIR: dataDir,
        WAREHOUSE_ETL_INTERVAL: '0',
      });
      api = apiClient(topology.baseUrl);
      // A just-started split deployment may answer 503 until the gateway's health checks see every service.
      const login = await api.loginOnceReady(ADMIN_EMAIL, ADMIN_PASSWORD);
      assert.equal(login.status, 200, JSON.stringify(login.body));
      adminToken = login.body.accessToken;
    });
    after(async () => {
      await topology?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test('rent and return, run the ETL, read revenue, earnings and rentals from the warehouse; the CLI asks the server that holds it', async () => {
      const [owner, renter] = await Promise.all([api.newUser('owner'), api.newUser('renter')]);
      await api.rentAndReturn(owner, renter, {
        title: 'Warehouse tent',
        category: 'camping',
        dailyPrice: 1_500,
        deposit: 2_000,
      });

      assert.equal(
        (await api.request('POST', '/v1/admin/warehouse/runs', { token: owner.accessToken, body: {} })).status,
        403,
      );
      const started = await api.request('POST', '/v1/admin/warehouse/runs', {
        token: adminToken,
        body: { mode: 'incremental' },
      });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const run = await eventually(
        'the warehouse run to finish',
        async () => {
          const current = (
            await api.request('GET', `/v1/admin/warehouse/runs/${started.body.id}`, { token: adminToken })
          ).body;
          return current.status !== 'running' && current;
        },
        60_000,
      );
      assert.equal(run.status, 'succeeded', JSON.stringify(run));
      assert.equal(run.engine, 'duckdb');
      assert.deepEqual(Object.keys(run.tables).sort(), ['exposures', 'item_history', 'ledger', 'rentals', 'users']);
      assert.equal(run.tables.rentals.extracted, 1);

      const revenue = await api.request('GET', `/v1/admin/analytics/revenue?${WIDE}&groupBy=owner`, {
        token: adminToken,
      });
      assert.equal(revenue.status, 200);
      assert.deepEqual(revenue.body.rows, [
        { key: owner.id, currency: 'EUR', rentals: 1, revenue: { amount: 3_000, currency: 'EUR' } },
      ]);
      const byCategory = await api.request('GET', `/v1/admin/analytics/revenue?${WIDE}&groupBy=category`, {
        token: adminToken,
      });
      assert.deepEqual(
        byCategory.body.rows.map((r: { key: string }) => r.key),
        ['camping'],
      );
      const earnings = await api.request('GET', `/v1/analytics/my-earnings?${WIDE}`, { token: owner.accessToken });
      assert.deepEqual(earnings.body.totals, [
        { currency: 'EUR', rentals: 1, earnings: { amount: 3_000, currency: 'EUR' } },
      ]);
      assert.deepEqual(
        (await api.request('GET', `/v1/analytics/my-earnings?${WIDE}`, { token: renter.accessToken })).body.totals,
        [],
      );
      const perDay = await api.request('GET', `/v1/admin/analytics/rentals?${WIDE}`, { token: adminToken });
      assert.equal(
        perDay.body.rows.reduce((n: number, r: { completed: number }) => n + r.completed, 0),
        1,
      );
      const utilization = await api.request('GET', `/v1/admin/analytics/utilization?${WIDE}&groupBy=category`, {
        token: adminToken,
      });
      assert.equal(utilization.body.rows[0].key, 'camping');
      assert.equal(utilization.body.rows[0].bookedDays, 2);

      const exported = await api.request('POST', '/v1/admin/warehouse/exports', { token: adminToken, body: {} });
      assert.equal(exported.status, 201, JSON.stringify(exported.body));
      assert.ok(existsSync(join(exported.body.directory, 'fact_rental')));
      assert.ok(
        readdirSync(join(exported.body.directory, 'fact_rental')).some((d) => d.startsWith('created_date=')),
        'facts partitioned by date',
      );

      // The server holds the DuckDB file: the CLI sees the lock, logs in as the admin and asks it.
      const port = new URL(topology.baseUrl).port;
      const cli = spawn(process.execPath, ['--import', 'tsx', 'src/runtimes/cli/warehouse.ts', 'runs'], {
        cwd: root,
        env: {
          ...process.env,
          ...topology.env,
          DATA_DIR: dataDir,
          PORT: port,
          ADMIN_EMAIL,
          ADMIN_PASSWORD,
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      reapOnExit(cli);
      let out = '';
      cli.stdout.on('data', (c: Buffer) => (out += c.toString()));
      cli.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const code = await new Promise<number | null>((resolve) => cli.once('exit', resolve));
      // (In split, the analytics service holds it and the gateway serves the same API.)
      assert.equal(code, 0, out);
      assert.match(out, new RegExp(run.id));
    });
  });
}
