import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { analytics } from '../../src/modules/analytics/contract.ts';
import { identity } from '../../src/modules/identity/contract.ts';
import { inventory } from '../../src/modules/inventory/contract.ts';
import { rentals } from '../../src/modules/rentals/contract.ts';
import { systemContext } from '../../src/shared/bus/context.ts';
import { AppError } from '../../src/shared/bus/errors.ts';
import { as, eventually, listItem, periodOf, rent, topUp } from '../rentals/support/world.ts';
import {
  admin,
  createWarehousePlace,
  removePlace,
  startWarehouseWorld,
  type Engine,
  type WarehousePlace,
  type WarehouseWorld,
} from './support/warehouse-world.ts';

const WIDE = { from: '2020-01-01', to: '2030-01-01' } as const;
const CATEGORIES = ['power-tools', 'camping', 'books'] as const;

/** One step of a random history. */
type Action =
  | { kind: 'list'; owner: number; price: number }
  | { kind: 'reprice'; item: number; price: number }
  | { kind: 'recategorize'; item: number; category: number }
  | { kind: 'topUp'; user: number; amount: number }
  | { kind: 'rent'; renter: number; item: number; startInDays: number; days: number }
  | { kind: 'return'; rental: number }
  | { kind: 'cancel'; rental: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('list' as const), owner: fc.nat(3), price: fc.integer({ min: 100, max: 2_000 }) }),
  fc.record({ kind: fc.constant('reprice' as const), item: fc.nat(20), price: fc.integer({ min: 100, max: 2_000 }) }),
  fc.record({ kind: fc.constant('recategorize' as const), item: fc.nat(20), category: fc.nat(2) }),
  fc.record({
    kind: fc.constant('topUp' as const),
    user: fc.nat(3),
    amount: fc.integer({ min: 10_000, max: 100_000 }),
  }),
  fc.record({
    kind: fc.constant('rent' as const),
    renter: fc.nat(3),
    item: fc.nat(20),
    startInDays: fc.integer({ min: 0, max: 60 }),
    days: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({ kind: fc.constant('return' as const), rental: fc.nat(20) }),
  fc.record({ kind: fc.constant('cancel' as const), rental: fc.nat(20) }),
);

/** Business refusals (an overlapping period, too little money, a rental already ended) are part of a random history. */
async function tolerate(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (!(error instanceof AppError) || error.kind === 'internal') throw error;
  }
}

for (const engine of ['duckdb', 'postgres'] as const satisfies readonly Engine[]) {
  describe(`warehouse on ${engine}`, () => {
    let place: WarehousePlace;
    let world: WarehouseWorld;
    let users: string[];
    const items: { id: string; owner: string }[] = [];
    const rentalIds: { id: string; owner: string; renter: string }[] = [];

    before(async () => {
      place = await createWarehousePlace(engine);
      world = await startWarehouseWorld(place);
      users = await Promise.all([0, 1, 2, 3].map(() => world.registerUser()));
    });
    after(async () => {
      await world?.stop();
      if (place) await removePlace(place);
    });

    async function apply(step: Action): Promise<void> {
      const bus = world.host.platform.bus;
      const item = 'item' in step ? items[step.item % Math.max(1, items.length)] : undefined;
      const rental = 'rental' in step ? rentalIds[step.rental % Math.max(1, rentalIds.length)] : undefined;
      switch (step.kind) {
        case 'list': {
          const created = await listItem(bus, users[step.owner]!, { daily: step.price });
          items.push({ id: created.id, owner: users[step.owner]! });
          return;
        }
        case 'reprice':
        case 'recategorize': {
          if (!item) return;
          const current = await bus.call(inventory.ops.getItem, { id: item.id }, systemContext());
          const change =
            step.kind === 'reprice'
              ? { dailyPrice: { amount: step.price, currency: 'EUR' } }
              : { category: CATEGORIES[step.category]! };
          return tolerate(
            bus.call(
              inventory.ops.updateItem,
              { id: item.id, ifMatch: `"${current.version}"`, ...change },
              as(item.owner),
            ),
          );
        }
        case 'topUp':
          return void (await topUp(bus, users[step.user]!, step.amount));
        case 'rent': {
          if (!item || users[step.renter] === item.owner) return;
          const outcome = await rent(bus, users[step.renter]!, item.id, periodOf(step.days, step.startInDays));
          if ('rental' in outcome)
            rentalIds.push({ id: outcome.rental.id, owner: item.owner, renter: users[step.renter]! });
          return;
        }
        case 'return':
          // A return follows the handover, which only a rental that has started allows.
          if (rental) {
            await tolerate(bus.call(rentals.ops.handOverRental, { id: rental.id }, as(rental.owner)));
            await tolerate(bus.call(rentals.ops.returnRental, { id: rental.id }, as(rental.owner)));
          }
          return;
        case 'cancel':
          if (rental) await tolerate(bus.call(rentals.ops.cancelRental, { id: rental.id }, as(rental.renter)));
          return;
      }
    }

    /** The warehouse agrees with the sources: revenue per owner = fees captured to owners in the ledger; rentals per status match. */
    async function reconcile(): Promise<void> {
      const report = await world.host.platform.bus.call(
        analytics.ops.revenueReport,
        { ...WIDE, groupBy: 'owner' },
        admin(),
      );
      const warehouseRevenue = Object.fromEntries(report.rows.map((r) => [r.key, r.revenue.amount]));
      const captured = await world.sql.payments<{ owner: string; fees: string }[]>`
        select a.payee_id::text as owner, sum(e.amount)::bigint::text as fees
        from payments.ledger_entries e
        join payments.ledger_transactions t on t.id = e.transaction_id and t.kind = 'capture'
        join payments.authorizations a on a.id = t.authorization_id
        join payments.accounts acc on acc.id = e.account_id and acc.kind = 'wallet' and acc.owner_id = a.payee_id
        group by 1`;
      assert.deepEqual(
        warehouseRevenue,
        Object.fromEntries(captured.map((r) => [r.owner, Number(r.fees)])),
        'revenue per owner = captured fees in the ledger',
      );

      const snapshot = await world.snapshot();
      const perStatus = (rows: readonly Record<string, unknown>[]) =>
        rows.reduce<Record<string, number>>(
          (acc, r) => ({ ...acc, [String(r.status)]: (acc[String(r.status)] ?? 0) + 1 }),
          {},
        );
      const source = await world.sql.rentals<{ status: string }[]>`select status from rentals.rentals`;
      assert.deepEqual(perStatus(snapshot.fact_rental!), perStatus(source), 'rentals per status');
      const entries = await world.sql.payments<
        { n: string }[]
      >`select count(*)::text as n from payments.ledger_entries`;
      assert.equal(snapshot.fact_ledger!.length, Number(entries[0]!.n), 'one fact_ledger row per ledger entry');
      const reportRentals = await world.host.platform.bus.call(analytics.ops.rentalsReport, WIDE, admin());
      assert.equal(
        reportRentals.rows.reduce((n, r) => n + r.started, 0),
        source.length,
        'every rental started once in the rentals report',
      );
    }

    test('random histories: ETL after every step = a full reload = a rebuild from scratch, and the warehouse reconciles with the sources', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(action, { minLength: 4, maxLength: 10 }), async (random) => {
          // Every history lists, funds and rents at least once, then goes its random way.
          const history: Action[] = [
            { kind: 'list', owner: 0, price: 500 },
            { kind: 'topUp', user: 1, amount: 200_000 },
            { kind: 'rent', renter: 1, item: items.length, startInDays: 100 + items.length, days: 2 },
            ...random,
          ];
          for (const step of history) {
            await apply(step);
            await world.etl('incremental');
          }
          // Choreography (an item made available again by rentalCompleted) finishes, then one more incremental run.
          await world.settle();
          await world.etl('incremental');
          const incremental = await world.snapshot();
          await world.etl('full');
          assert.deepEqual(await world.snapshot(), incremental, 'a full reload changes nothing after incremental runs');
          const rebuild = await world.etl('rebuild');
          assert.deepEqual(await world.snapshot(), incremental, 'a rebuild from scratch gives the same warehouse');
          const [inSource] = await world.sql.rentals<{ n: string }[]>`select count(*)::text as n from rentals.rentals`;
          assert.equal(
            rebuild.tables.rentals!.extracted,
            Number(inSource!.n),
            'the rebuild read every rental (refused ones too)',
          );
          const again = await world.etl('incremental');
          assert.deepEqual(
            Object.values(again.tables).map((t) => t.extracted),
            [0, 0, 0, 0, 0],
            'nothing changed, nothing extracted',
          );
          assert.deepEqual(await world.snapshot(), incremental, 'an empty window changes nothing');
          await reconcile();
        }),
        { numRuns: 3, endOnFailure: true },
      );
      // A sanity floor: the histories did rent and settle something.
      const snapshot = await world.snapshot();
      assert.ok(snapshot.fact_rental!.length > 0 && snapshot.dim_item!.length > 0 && snapshot.dim_date!.length > 0);
    });

    test('a price change is a new item version; rentals keep the version they were made under', async () => {
      const bus = world.host.platform.bus;
      const [owner, renter] = [users[0]!, users[1]!];
      await topUp(bus, renter, 100_000);
      const item = await listItem(bus, owner, { daily: 700 });
      const first = await rent(bus, renter, item.id, periodOf(1, 0));
      assert.ok('rental' in first, JSON.stringify(first));
      await bus.call(rentals.ops.handOverRental, { id: first.rental.id }, as(owner));
      await bus.call(rentals.ops.returnRental, { id: first.rental.id }, as(owner));
      // The item comes back through rentalCompleted (an event): edit it once it has.
      const current = await eventually('the item to be available again', async () => {
        const got = await bus.call(inventory.ops.getItem, { id: item.id }, systemContext());
        return got.status === 'listed' ? got : undefined;
      });
      await bus.call(
        inventory.ops.updateItem,
        {
          id: item.id,
          ifMatch: `"${current.version}"`,
          dailyPrice: { amount: 900, currency: 'EUR' },
          category: 'books',
        },
        as(owner),
      );
      const second = await rent(bus, renter, item.id, periodOf(1, 75));
      assert.ok('rental' in second, JSON.stringify(second));
      await world.etl();
      const { dim_item, fact_rental } = await world.snapshot();
      const versions = dim_item!.filter((d) => d.item_id === item.id);
      assert.deepEqual(
        versions.map((v) => [v.category, v.daily_price, v.is_current]),
        [
          ['power-tools', 700, false],
          ['books', 900, true],
        ],
      );
      const keyOf = (id: string) => fact_rental!.find((f) => f.rental_id === id)!.item_key;
      assert.equal(keyOf(first.rental.id), versions[0]!.item_key);
      assert.equal(keyOf(second.rental.id), versions[1]!.item_key);
    });

    test('reports: admin only, bad periods are 400 problems, owners see only their own earnings, all in OpenAPI', async () => {
      const app = world.host.app;
      const login = async (userId: string, role: string) => {
        // Tokens come from identity; an admin is promoted through its own op.
        const email = `r-${randomUUID().slice(0, 8)}@example.test`;
        const user = await world.host.platform.bus.call(
          identity.ops.register,
          { email, password: 'correct horse battery', displayName: 'R' },
          systemContext(),
        );
        if (role === 'admin')
          await world.host.platform.bus.call(identity.ops.updateUser, { id: user.id, role: 'admin' }, admin());
        const tokens = await world.host.platform.bus.call(
          identity.ops.login,
          { email, password: 'correct horse battery' },
          systemContext(),
        );
        return { id: user.id ?? userId, token: tokens.accessToken };
      };
      const member = await login('', 'member');
      const boss = await login('', 'admin');
      const get = async (path: string, token: string) => {
        const response = await app.request(path, { headers: { authorization: `Bearer ${token}` } });
        return { status: response.status, headers: response.headers, json: async (): Promise<any> => response.json() };
      };

      const refused = await get('/v1/admin/analytics/revenue', member.token);
      assert.equal(refused.status, 403);
      assert.equal(refused.headers.get('content-type'), 'application/problem+json');
      assert.equal((await refused.json()).code, 'analytics.notAdmin');

      const backwards = await get('/v1/admin/analytics/revenue?from=2026-02-01&to=2026-01-01', boss.token);
      assert.equal(backwards.status, 400);
      assert.equal((await backwards.json()).code, 'analytics.invalidPeriod');
      const nonsense = await get('/v1/admin/analytics/revenue?groupBy=planet', boss.token);
      assert.equal(nonsense.status, 400);

      for (const groupBy of ['day', 'category', 'owner']) {
        const ok = await get(
          `/v1/admin/analytics/revenue?from=2020-01-01&to=2030-01-01&groupBy=${groupBy}`,
          boss.token,
        );
        assert.equal(ok.status, 200, groupBy);
        assert.equal((await ok.json()).groupBy, groupBy);
      }
      const utilization = await (
        await get('/v1/admin/analytics/utilization?from=2020-01-01&to=2030-01-01&groupBy=item', boss.token)
      ).json();
      assert.ok(
        utilization.rows.length > 0 &&
          utilization.rows.every(
            (r: { utilization: number | null }) => r.utilization === null || (r.utilization >= 0 && r.utilization <= 1),
          ),
      );
      assert.equal((await get('/v1/admin/analytics/rentals?from=2020-01-01&to=2030-01-01', boss.token)).status, 200);
      assert.equal((await get('/v1/admin/warehouse/runs', boss.token)).status, 200);
      assert.equal((await get(`/v1/admin/warehouse/runs/${randomUUID()}`, boss.token)).status, 404);

      // An owner's earnings: only rentals of their own items, equal to the admin report's row for them.
      const byOwner = await world.host.platform.bus.call(
        analytics.ops.revenueReport,
        { ...WIDE, groupBy: 'owner' },
        admin(),
      );
      const top = byOwner.rows[0];
      if (top) {
        const earnings = await world.host.platform.bus.call(
          analytics.ops.myEarnings,
          WIDE,
          systemContext({ caller: { userId: top.key, role: 'member' } }),
        );
        assert.equal(earnings.totals.find((t) => t.currency === top.currency)?.earnings.amount, top.revenue.amount);
      }
      const mine = await (await get('/v1/analytics/my-earnings?from=2020-01-01&to=2030-01-01', member.token)).json();
      assert.deepEqual(mine.totals, [], 'a member with no items earned nothing');
      assert.equal((await app.request('/v1/analytics/my-earnings')).status, 401);

      const doc: any = await (await app.request('/openapi.json')).json();
      for (const path of [
        '/v1/admin/warehouse/runs',
        '/v1/admin/warehouse/runs/{id}',
        '/v1/admin/analytics/revenue',
        '/v1/admin/analytics/utilization',
        '/v1/admin/analytics/rentals',
        '/v1/analytics/my-earnings',
      ]) {
        assert.ok(doc.paths[path], `${path} in OpenAPI`);
      }
    });

    test('one run at a time: a second start while one runs is 409', async () => {
      const bus = world.host.platform.bus;
      const first = await bus.call(analytics.ops.startRun, { mode: 'full' }, admin());
      const second = await bus.call(analytics.ops.startRun, {}, admin()).then(
        () => undefined,
        (error: AppError) => error,
      );
      // The first may already have finished on a small warehouse; then the second simply ran.
      if (second) assert.equal(second.code, 'analytics.runInProgress');
      const { runs } = await bus.call(analytics.ops.listRuns, { limit: 5 }, admin());
      assert.ok(runs.some((r) => r.id === first.id));
    });
  });
}

describe('export queries', () => {
  let place: WarehousePlace;
  let world: WarehouseWorld;
  before(async () => {
    place = await createWarehousePlace('duckdb');
    world = await startWarehouseWorld(place);
  });
  after(async () => {
    await world?.stop();
    if (place) await removePlace(place);
  });

  test('a row committed late (after a newer one) is not skipped: reads stop at the oldest transaction still running', async () => {
    const bus = world.host.platform.bus;
    const [early, late] = [await world.registerUser(), await world.registerUser()];
    const first = await bus.call(identity.ops.exportUsers, {}, systemContext());
    const since = first.until;
    // Transaction A changes `early` and stays open; B changes `late` and commits first.
    const reserved = await world.sql.main.reserve();
    try {
      await reserved`begin`;
      await reserved`update identity.users set role = 'admin' where id = ${early}`;
      await world.sql.main`update identity.users set role = 'admin' where id = ${late}`;
      const during = await bus.call(identity.ops.exportUsers, { since }, systemContext());
      assert.deepEqual(
        during.rows.map((r) => r.id),
        [],
        'nothing past the running transaction is read, not even B',
      );
      await reserved`commit`;
    } finally {
      reserved.release();
    }
    const afterCommit = await bus.call(identity.ops.exportUsers, { since }, systemContext());
    assert.deepEqual(new Set(afterCommit.rows.map((r) => r.id)), new Set([early, late]));
    assert.ok(afterCommit.rows.every((r) => r.role === 'admin'));
  });

  test('pages: every row once in (transaction, key) order; members may not call export queries', async () => {
    const bus = world.host.platform.bus;
    for (let i = 0; i < 5; i++) await world.registerUser();
    const all = await bus.call(identity.ops.exportUsers, { limit: 5_000 }, systemContext());
    const paged: string[] = [];
    let page = await bus.call(identity.ops.exportUsers, { limit: 2 }, systemContext());
    for (;;) {
      paged.push(...page.rows.map((r) => r.id));
      if (!page.next) break;
      page = await bus.call(
        identity.ops.exportUsers,
        { limit: 2, until: page.until, after: page.next },
        systemContext(),
      );
    }
    assert.deepEqual(
      paged,
      all.rows.map((r) => r.id),
    );
    for (const op of [identity.ops.exportUsers, inventory.ops.exportItemHistory, rentals.ops.exportRentals]) {
      await assert.rejects(bus.call(op, {}, as(randomUUID())), (error: AppError) => error.code === 'forbidden');
    }
  });
});
