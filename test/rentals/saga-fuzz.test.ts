/**
 * Randomized sagas (fast-check): batches of concurrent rentals over a few shared items, with
 * random wallets (some too poor), items carrying a legacy inventory reservation (which no
 * longer blocks rentals: the calendar is rentals'), periods starting today (handed over at
 * once) or later (waiting for their handover), random faults at
 * any forward step (a clear "no" before the call, or a lost answer after it) and lost answers
 * in compensations, followed by random cancellations and returns. After each batch every
 * saga must have finished and the invariants must hold (see support/invariants.ts). A few
 * sagas of some batches run in a child process that is killed mid-saga, and recovery here
 * finishes them.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { inventory } from '../../src/modules/inventory/contract.ts';
import { rentals } from '../../src/modules/rentals/contract.ts';
import { AppError } from '../../src/shared/bus/errors.ts';
import { runChild } from './support/child.ts';
import { faultPlan, type PlannedFault } from './support/faults.ts';
import { checkInvariants, unfinishedRentals } from './support/invariants.ts';
import {
  as,
  createWorldDatabases,
  eventually,
  listItem,
  newUser,
  periodOf,
  rent,
  startWorld,
  topUp,
  type World,
} from './support/world.ts';

const BATCHES = Number(process.env.RENTALS_FUZZ_BATCHES ?? 25);
const SAGAS_PER_BATCH = 8;
const ITEMS_PER_BATCH = 8;
const KILLED_BATCHES = Number(process.env.RENTALS_FUZZ_KILLED_BATCHES ?? 3);

const faults = faultPlan();
let world: World;
before(async () => {
  world = await startWorld({ faults, dbs: await createWorldDatabases() });
});
after(async () => {
  await world?.stop();
});

const forwardPoints = ['reserveItem', 'authorizePayment', 'confirmRental', 'markItemInUse'].flatMap(
  (s) => [`before:${s}`, `after:${s}`] as const,
);
const compensationPoints = ['voidAuthorization', 'cancelRental'].map((s) => `before:${s}` as const);

const faultArb: fc.Arbitrary<PlannedFault[]> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<PlannedFault[]>([]) },
  {
    weight: 4,
    arbitrary: fc
      .record({
        point: fc.constantFrom(...forwardPoints),
        noAnswer: fc.boolean(),
        times: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
      })
      // A clear "no" comes before a call (a call that acted does not refuse); a lost answer may come after it.
      .map(({ point, noAnswer, times }): PlannedFault[] => [
        { point, effect: noAnswer || point.startsWith('after:') ? 'noAnswer' : 'fail', ...(times ? { times } : {}) },
      ]),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...forwardPoints.filter((p) => p.startsWith('before:'))),
        fc.constantFrom(...compensationPoints),
        fc.integer({ min: 1, max: 3 }),
      )
      .map(([point, compensation, times]): PlannedFault[] => [
        { point, effect: 'fail' },
        { point: compensation, effect: 'noAnswer', times },
      ]),
  },
);

const sagaArb = fc.record({
  item: fc.nat(ITEMS_PER_BATCH - 1),
  // Day 0 is today: its period has started, so the handover runs at once; later ones wait for theirs.
  startDay: fc.integer({ min: 0, max: 12 }),
  days: fc.integer({ min: 1, max: 4 }),
  funds: fc.constantFrom(0, 3_000, 60_000, 60_000),
  faults: faultArb,
  afterwards: fc.constantFrom<'nothing' | 'cancel' | 'return'>('nothing', 'nothing', 'cancel', 'return'),
});

const batchArb = fc.record({
  sagas: fc.array(sagaArb, { minLength: SAGAS_PER_BATCH, maxLength: SAGAS_PER_BATCH }),
  // One item in eight is unlisted by its owner: renting it is refused (rentals.itemUnlisted).
  unlisted: fc.array(
    fc.nat(7).map((n) => n === 0),
    { minLength: ITEMS_PER_BATCH, maxLength: ITEMS_PER_BATCH },
  ),
  killed: fc.array(
    fc.record({
      step: fc.constantFrom('reserveItem', 'authorizePayment', 'confirmRental', 'markItemInUse'),
      when: fc.constantFrom('before', 'after'),
      fail: fc.boolean(),
    }),
    { minLength: 1, maxLength: 2 },
  ),
});

test(`fast-check: ${BATCHES} batches of ${SAGAS_PER_BATCH} concurrent sagas with random failures keep every invariant`, async () => {
  const started = Date.now();
  let sagas = 0;
  let killed = 0;
  let batchNo = 0;
  const outcomes = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(batchArb, async (batch) => {
      const killThisBatch = batchNo++ < KILLED_BATCHES;
      const owner = newUser();
      const items = await Promise.all(
        Array.from({ length: ITEMS_PER_BATCH }, () => listItem(world.bus, owner, { daily: 1_000, deposit: 5_000 })),
      );
      for (const [i, unlisted] of batch.unlisted.entries()) {
        if (unlisted) await world.bus.call(inventory.ops.unlistItem, { id: items[i]!.id }, as(owner));
      }
      const runs = await Promise.all(
        batch.sagas.map(async (saga) => {
          const renter = newUser();
          if (saga.funds > 0) await topUp(world.bus, renter, saga.funds);
          faults.plan(renter, saga.faults);
          return { saga, renter, item: items[saga.item]!, period: periodOf(saga.days, saga.startDay) };
        }),
      );
      const kills = killThisBatch
        ? batch.killed.map(async (k) => {
            const renter = newUser();
            await topUp(world.bus, renter, 60_000);
            const item = await listItem(world.bus, owner, { daily: 1_000, deposit: 5_000 });
            const period = periodOf(2);
            const exit = await runChild('saga-child.ts', {
              RENTALS_SAGA_LEASE_MS: '2000',
              RENTALS_STEP_TIMEOUT_MS: '1000',
              RENTALS_RECOVERY_INTERVAL_MS: '600000',
              DATABASE_URL: world.dbs.mainUrl,
              RENTALS_DATABASE_URL: world.dbs.rentalsUrl,
              PAYMENTS_DATABASE_URL: world.dbs.paymentsUrl,
              RENTER_ID: renter,
              ITEM_ID: item.id,
              FROM: period.from,
              TO: period.to,
              ...(k.fail
                ? { RENTALS_FAIL_STEP: k.step, RENTALS_CRASH_AT: 'before:cancelRental' }
                : { RENTALS_CRASH_AT: `${k.when}:${k.step}` }),
            });
            assert.equal(exit.signal, 'SIGKILL', exit.output);
            killed++;
          })
        : [];
      const results = await Promise.all(runs.map((r) => rent(world.bus, r.renter, r.item.id, r.period)));
      sagas += runs.length;

      // Follow-ups on the rentals that were set up: cancel (renter) or return (owner), concurrently.
      await Promise.all(
        results.map(async (result, i) => {
          if (!('rental' in result)) {
            assert.ok(
              result.error instanceof AppError && result.error.code.startsWith('rentals.'),
              `a refusal is a rentals error: ${String(result.error)}`,
            );
            return;
          }
          const { afterwards } = runs[i]!.saga;
          const handedOver = result.rental.status === 'active';
          const refusedWith = async (call: Promise<unknown>, code: string) =>
            assert.equal(
              await call.then(
                () => 'ok',
                (e: AppError) => e.code,
              ),
              code,
            );
          // Before the handover a rental can be cancelled, not returned; after it, the other way round.
          if (afterwards === 'cancel' && !handedOver)
            await world.bus.call(rentals.ops.cancelRental, { id: result.rental.id }, as(runs[i]!.renter));
          if (afterwards === 'cancel' && handedOver)
            await refusedWith(
              world.bus.call(rentals.ops.cancelRental, { id: result.rental.id }, as(runs[i]!.renter)),
              'rentals.notCancellable',
            );
          if (afterwards === 'return' && handedOver)
            await world.bus.call(rentals.ops.returnRental, { id: result.rental.id }, as(owner));
          if (afterwards === 'return' && !handedOver)
            await refusedWith(
              world.bus.call(rentals.ops.returnRental, { id: result.rental.id }, as(owner)),
              'rentals.notHandedOver',
            );
        }),
      );
      await Promise.all(kills);

      // Per saga: a clear failure before a forward step means it was undone; an untroubled one on a free item succeeded.
      for (const [i, result] of results.entries()) {
        const { saga } = runs[i]!;
        // The handover's faults only fire for a period that has started (a later one waits).
        const failsForSure = saga.faults.some(
          (f) =>
            f.effect === 'fail' && f.times === undefined && (f.point !== 'before:markItemInUse' || saga.startDay === 0),
        );
        if (failsForSure) assert.ok('error' in result, `a saga with ${JSON.stringify(saga.faults)} cannot succeed`);
        const key = 'error' in result ? result.error.code : result.rental.status;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
      await eventually(
        'every saga of the batch to finish',
        async () => ((await unfinishedRentals(world.sql)).length === 0 ? true : undefined),
        30_000,
      );
      await eventually(
        'the invariants',
        async () => {
          await checkInvariants(world.sql);
          return true;
        },
        15_000,
      );
    }),
    {
      numRuns: BATCHES,
      seed: process.env.RENTALS_FUZZ_SEED ? Number(process.env.RENTALS_FUZZ_SEED) : undefined,
      endOnFailure: true,
    },
  );
  const summary = await checkInvariants(world.sql);
  console.log(
    `# ${sagas} in-process sagas + ${killed} killed in a child process, ${Date.now() - started} ms; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; final ${JSON.stringify(summary)}`,
  );
  assert.ok(sagas >= 200, `ran ${sagas} sagas`);
  assert.ok(summary.active + summary.completed > 0 && summary.cancelled > 0, 'both outcomes occurred');
});
