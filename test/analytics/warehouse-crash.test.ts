import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { analytics } from '../../src/modules/analytics/contract.ts';
import { rentals } from '../../src/modules/rentals/contract.ts';
import { reapOnExit } from '../../scripts/processes.ts';
import { inventory } from '../../src/modules/inventory/contract.ts';
import { systemContext } from '../../src/shared/bus/context.ts';
import { as, eventually, listItem, periodOf, rent, topUp } from '../rentals/support/world.ts';
import {
  admin,
  createWarehousePlace,
  placeEnv,
  removePlace,
  startWarehouseWorld,
  type Engine,
  type WarehousePlace,
  type WarehouseWorld,
} from './support/warehouse-world.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const LEASE_MS = '1500';

/** Runs `npm run warehouse -- …` as a child process on the place's databases and warehouse. */
function warehouseCli(place: WarehousePlace, args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/runtimes/cli/warehouse.ts', ...args], {
    cwd: root,
    env: {
      ...process.env,
      ...placeEnv(place, { LOG_LEVEL: 'warn', WAREHOUSE_RUN_LEASE_MS: LEASE_MS, ...env }),
      ...(place.warehouseUrl ? {} : { WAREHOUSE_URL: '' }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  reapOnExit(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

for (const engine of ['duckdb', 'postgres'] as const satisfies readonly Engine[]) {
  describe(`a warehouse run SIGKILLed midway (${engine})`, () => {
    let place: WarehousePlace;
    let world: WarehouseWorld;

    before(async () => {
      place = await createWarehousePlace(engine);
      world = await startWarehouseWorld(place, { WAREHOUSE_RUN_LEASE_MS: LEASE_MS });
      // Some history: users, items, wallets, rentals of which some are settled and one cancelled.
      const bus = world.host.platform.bus;
      const [owner, renter] = [await world.registerUser(), await world.registerUser()];
      await topUp(bus, renter, 500_000);
      const items = await Promise.all([600, 800, 1_000].map((daily) => listItem(bus, owner, { daily })));
      for (const [i, item] of items.entries()) {
        // One rental from today (handed over, then returned), one later (kept, or cancelled).
        for (const start of [0, 10 + i]) {
          const outcome = await rent(bus, renter, item.id, periodOf(2, start));
          assert.ok('rental' in outcome, JSON.stringify(outcome));
          if (start === 0) {
            await bus.call(rentals.ops.handOverRental, { id: outcome.rental.id }, as(owner));
            await bus.call(rentals.ops.returnRental, { id: outcome.rental.id }, as(owner));
            // The item comes back through rentalCompleted (an event) before it can be rented again.
            await eventually('the item to be available again', async () =>
              (await bus.call(inventory.ops.getItem, { id: item.id }, systemContext())).status === 'listed'
                ? true
                : undefined,
            );
          } else if (i === 0) await bus.call(rentals.ops.cancelRental, { id: outcome.rental.id }, as(renter));
        }
      }
    });
    after(async () => {
      await world?.stop();
      if (place) await removePlace(place);
    });

    test('nothing of the killed run is committed; the next run completes the window; nothing doubled', async () => {
      const killed = await warehouseCli(place, ['etl'], { WAREHOUSE_KILL_AFTER_PAGES: '4', WAREHOUSE_PAGE_SIZE: '2' });
      assert.equal(killed.signal, 'SIGKILL', `the CLI run should have been killed: ${killed.stderr}`);

      const { runs } = await world.host.platform.bus.call(analytics.ops.listRuns, { limit: 5 }, admin());
      assert.equal(runs[0]?.status, 'running', 'the killed run still holds its lease');
      const during = await world.snapshot();
      for (const [table, rows] of Object.entries(during))
        assert.equal(rows.length, 0, `${table}: a killed run commits nothing`);

      await new Promise((resolve) => setTimeout(resolve, Number(LEASE_MS) + 200));
      const completed = await world.etl();
      const { runs: after } = await world.host.platform.bus.call(analytics.ops.listRuns, { limit: 5 }, admin());
      assert.equal(after.find((r) => r.id === runs[0]!.id)?.status, 'abandoned');
      assert.equal(completed.window.from, null, 'the window starts where the last successful run stopped: nowhere yet');
      assert.equal(completed.tables.rentals!.extracted, 6);

      const loaded = await world.snapshot();
      const [counted] = await world.sql.payments<
        { n: string }[]
      >`select count(*)::text as n from payments.ledger_entries`;
      const entries = counted!.n;
      assert.equal(loaded.fact_rental!.length, 6);
      assert.equal(loaded.fact_ledger!.length, Number(entries));
      assert.equal(
        new Set(loaded.fact_ledger!.map((r) => r.entry_id)).size,
        loaded.fact_ledger!.length,
        'no entry twice',
      );
      await world.etl('rebuild');
      assert.deepEqual(await world.snapshot(), loaded, 'the same as a rebuild from scratch');
    });

    if (engine === 'postgres') {
      // PostgreSQL has many writers; the embedded DuckDB file is held by this test's host from here on.
      test('killed on top of a loaded warehouse: it stays as it was; the CLI prints progress and a summary', async () => {
        const bus = world.host.platform.bus;
        const before = await world.snapshot();
        const [owner] = [await world.registerUser()];
        await listItem(bus, owner, { daily: 1_234 });
        const killed = await warehouseCli(place, ['etl', '--full'], {
          WAREHOUSE_KILL_AFTER_PAGES: '6',
          WAREHOUSE_PAGE_SIZE: '2',
        });
        assert.equal(killed.signal, 'SIGKILL');
        assert.deepEqual(await world.snapshot(), before, 'the warehouse is as the last committed run left it');
        await new Promise((resolve) => setTimeout(resolve, Number(LEASE_MS) + 200));

        const cli = await warehouseCli(place, ['etl']);
        assert.equal(cli.code, 0, cli.stderr);
        for (const table of ['users', 'item_history', 'rentals', 'ledger', 'exposures'])
          assert.match(cli.stderr, new RegExp(`${table}\\s+\\d+ extracted, \\d+ loaded`));
        assert.match(cli.stdout, /warehouse run succeeded: 5 tables, \d+ rows loaded/);
        const report = await warehouseCli(place, [
          'report',
          'revenue',
          '--from',
          '2020-01-01',
          '--to',
          '2030-01-01',
          '--group-by',
          'owner',
        ]);
        assert.equal(report.code, 0, report.stderr);
        assert.match(report.stdout, /key\s+currency\s+rentals\s+revenue/);
        const snapshot = await world.snapshot();
        assert.equal(snapshot.dim_item!.filter((d) => d.daily_price === 1_234).length, 1, 'the new item, once');
      });
    }
  });
}
