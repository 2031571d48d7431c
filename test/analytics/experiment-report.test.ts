import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { analytics } from '../../src/modules/analytics/contract.ts';
import { catalog } from '../../src/modules/catalog/contract.ts';
import { rentals } from '../../src/modules/rentals/contract.ts';
import { AppError } from '../../src/shared/bus/errors.ts';
import { type EdgeFlags, openEdgeFlags } from '../../src/shared/flags/edge-flags.ts';
import { createLogger } from '../../src/shared/observability/logger.ts';
import { as, eventually, listItem, periodOf, rent, topUp } from '../rentals/support/world.ts';
import {
  admin,
  createWarehousePlace,
  removePlace,
  startWarehouseWorld,
  type WarehousePlace,
  type WarehouseWorld,
} from './support/warehouse-world.ts';

const FLAG = 'catalog-browse-order';

/** The experiment, with users placed by id so the test knows each one's variant. */
function experimentFile(path: string, cheapest: string[]) {
  writeFileSync(
    path,
    JSON.stringify({
      flags: {
        [FLAG]: {
          state: 'ENABLED',
          variants: { newest: 'newest', cheapest: 'price_asc' },
          defaultVariant: 'newest',
          targeting: { if: [{ in: [{ var: 'userId' }, cheapest] }, 'cheapest', 'newest'] },
        },
      },
    }),
  );
}

for (const engine of ['duckdb', 'postgres'] as const) {
  describe(`an A/B experiment read from the warehouse (${engine})`, () => {
    let place: WarehousePlace;
    let world: WarehouseWorld;
    let flags: EdgeFlags;
    const dir = mkdtempSync(join(tmpdir(), 'shareloop-experiment-'));

    before(async () => {
      place = await createWarehousePlace(engine);
      world = await startWarehouseWorld(place);
    });
    after(async () => {
      await flags?.close();
      await world?.stop();
      if (place) await removePlace(place);
      rmSync(dir, { recursive: true, force: true });
    });

    test('assign, browse, rent, run the ETL: the report compares rentals per variant', async () => {
      const bus = world.host.platform.bus;
      const [owner, c1, c2, c3, n1, n2, late, outsider] = await Promise.all(
        Array.from({ length: 8 }, () => world.registerUser()),
      );
      const file = join(dir, 'flags.json');
      experimentFile(file, [c1!, c2!, c3!]);
      flags = await openEdgeFlags({
        path: file,
        log: createLogger({ level: 'silent', pretty: false, name: 'test' }),
        domain: `experiment-${engine}`,
      });
      const items = [await listItem(bus, owner!, { daily: 1_000 }), await listItem(bus, owner!, { daily: 2_000 })];
      for (const user of [c1, c2, c3, n1, n2, late, outsider]) await topUp(bus, user!, 100_000);

      /** One browse as the edge serves it: flags evaluated for the caller, carried to catalog. */
      const browse = async (userId: string) => {
        const caller = { userId, role: 'member' };
        const page = await bus.call(
          catalog.ops.searchItems,
          { limit: 5 },
          { ...as(userId), flags: await flags.evaluate(caller) },
        );
        return page.sort;
      };
      /** Rents, waits for the confirmation; returns the rental id. */
      const rentConfirmed = async (userId: string, itemId: string, startInDays: number) => {
        const outcome = await rent(bus, userId, itemId, periodOf(1, startInDays));
        assert.ok('rental' in outcome, JSON.stringify(outcome));
        return outcome.rental.id;
      };

      // A rental before the user was ever shown a variant is no outcome of it.
      await rentConfirmed(late!, items[1]!.id, 20);
      for (const user of [c1, c2, c3]) assert.equal(await browse(user!), 'price_asc');
      for (const user of [n1, n2, late]) assert.equal(await browse(user!), 'newest');
      await browse(c1!); // a second exposure changes nothing

      const completed = await rentConfirmed(c1!, items[0]!.id, 0);
      await rentConfirmed(c1!, items[0]!.id, 5);
      await rentConfirmed(c2!, items[1]!.id, 5);
      await rentConfirmed(n1!, items[1]!.id, 10);
      await rentConfirmed(outsider!, items[0]!.id, 10); // never exposed: in no variant
      await eventually('the first rental to be handed over', async () => {
        try {
          await bus.call(rentals.ops.handOverRental, { id: completed }, as(owner!));
          return true;
        } catch (error) {
          if (error instanceof AppError && error.kind === 'conflict') return undefined;
          throw error;
        }
      });
      await bus.call(rentals.ops.returnRental, { id: completed }, as(owner!));

      await world.settle();
      const run = await world.etl();
      assert.equal(run.tables.exposures?.loaded, 6, JSON.stringify(run.tables));

      const report = await bus.call(analytics.ops.experimentReport, { flag: FLAG }, admin());
      assert.equal(report.flag, FLAG);
      const byVariant = Object.fromEntries(report.variants.map((v) => [v.variant, v]));
      assert.deepEqual(Object.keys(byVariant).sort(), ['cheapest', 'newest']);
      assert.deepEqual(byVariant.cheapest, {
        variant: 'cheapest',
        users: 3,
        renters: 2,
        conversion: 0.6667,
        rentals: 3,
        rentalsPerUser: 1,
        completed: 1,
        fees: [{ amount: 1_000, currency: 'EUR' }],
      });
      assert.deepEqual(byVariant.newest, {
        variant: 'newest',
        users: 3,
        renters: 1,
        conversion: 0.3333,
        rentals: 1,
        rentalsPerUser: 0.3333,
        completed: 0,
        fees: [],
      });

      // The exposures leave with the rest of the warehouse, partitioned by day.
      const exported = await bus.call(analytics.ops.exportWarehouse, {}, admin());
      assert.ok(
        readdirSync(join(exported.directory, 'fact_experiment_exposure')).some((d) => d.startsWith('exposed_date=')),
      );

      // An unknown flag has no variants; members may not read experiments.
      assert.deepEqual(
        (await bus.call(analytics.ops.experimentReport, { flag: 'no-such-flag' }, admin())).variants,
        [],
      );
      await assert.rejects(
        bus.call(analytics.ops.experimentReport, { flag: FLAG }, as(c1!)),
        (error: unknown) => error instanceof AppError && error.code === 'analytics.notAdmin',
      );
    });
  });
}
