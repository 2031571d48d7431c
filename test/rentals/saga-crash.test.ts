/**
 * Saga crash tests with real process kills: a child process rents an item and SIGKILLs itself
 * at a point of the saga (before or after each step's call, and inside the compensations);
 * this process hosts the same modules on the same databases, and its recovery worker resumes
 * the saga once the dead process's lease runs out. Every rental must end active (completed
 * saga) or cancelled (compensated), with the invariants intact.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rentals } from '../../src/modules/rentals/contract.ts';
import { inBatches, runChild } from './support/child.ts';
import { checkInvariants } from './support/invariants.ts';
import {
  as,
  createWorldDatabases,
  eventually,
  listItem,
  newUser,
  periodOf,
  startWorld,
  topUp,
  type World,
} from './support/world.ts';

/** The child's saga settings: a short lease, so recovery here takes over soon after the kill. */
const CHILD_ENV = {
  RENTALS_SAGA_LEASE_MS: '2000',
  RENTALS_STEP_TIMEOUT_MS: '1000',
  RENTALS_RECOVERY_INTERVAL_MS: '600000',
};

let world: World;
before(async () => {
  world = await startWorld({ dbs: await createWorldDatabases() });
});
after(async () => {
  await world?.stop();
});

interface Scenario {
  crashAt: string;
  failStep?: string;
  /** How the rental must end once recovered. */
  ends: 'active' | 'cancelled';
}

const forward = ['reserveItem', 'authorizePayment', 'confirmRental', 'markItemInUse'];
const scenarios: Scenario[] = [
  ...forward.flatMap((step) => [
    { crashAt: `before:${step}`, ends: 'active' as const },
    { crashAt: `after:${step}`, ends: 'active' as const },
  ]),
  // A failure at the last step, then a crash in each compensation.
  ...['voidAuthorization', 'cancelRental'].flatMap((step) => [
    { crashAt: `before:${step}`, failStep: 'markItemInUse', ends: 'cancelled' as const },
    { crashAt: `after:${step}`, failStep: 'markItemInUse', ends: 'cancelled' as const },
  ]),
];

test(`a saga killed at each of ${scenarios.length} points is resumed by recovery and ends completed or compensated`, async () => {
  const started = Date.now();
  const { dbs } = world;
  const outcomes = await inBatches(
    scenarios.map((scenario) => async () => {
      const owner = newUser();
      const renter = newUser();
      const item = await listItem(world.bus, owner, { daily: 1_000, deposit: 5_000 });
      await topUp(world.bus, renter, 20_000);
      const period = periodOf(3);
      const exit = await runChild('saga-child.ts', {
        ...CHILD_ENV,
        DATABASE_URL: dbs.mainUrl,
        RENTALS_DATABASE_URL: dbs.rentalsUrl,
        PAYMENTS_DATABASE_URL: dbs.paymentsUrl,
        RENTER_ID: renter,
        ITEM_ID: item.id,
        FROM: period.from,
        TO: period.to,
        RENTALS_CRASH_AT: scenario.crashAt,
        ...(scenario.failStep ? { RENTALS_FAIL_STEP: scenario.failStep } : {}),
      });
      assert.equal(exit.signal, 'SIGKILL', `${scenario.crashAt}: the child should have killed itself:\n${exit.output}`);
      assert.match(exit.output, new RegExp(`"crashing":"${scenario.crashAt}"`));
      const [row] = await world.sql.rentals<
        { id: string }[]
      >`select id from rentals.rentals where item_id = ${item.id}`;
      assert.ok(row, `${scenario.crashAt}: the rental was recorded before the crash`);
      const crashedAt = Date.now();
      const rental = await eventually(
        `rental ${row.id} (${scenario.crashAt}) to be recovered`,
        async () => {
          const r = await world.bus.call(rentals.ops.getRental, { id: row.id }, as(renter));
          return ['active', 'cancelled', 'completed'].includes(r.status) ? r : undefined;
        },
        30_000,
      );
      return { scenario, rental, recoveredInMs: Date.now() - crashedAt };
    }),
    3,
  );
  for (const { scenario, rental } of outcomes) {
    assert.equal(
      rental.status,
      scenario.ends,
      `${scenario.crashAt}${scenario.failStep ? ` (after ${scenario.failStep} failed)` : ''}: ${JSON.stringify(rental.steps)}`,
    );
    const crashedStep = scenario.crashAt.split(':')[1]!;
    const step = rental.steps.find((s) => s.name === crashedStep);
    assert.equal(step?.status, 'succeeded', `${scenario.crashAt}: the interrupted step was finished by recovery`);
    if (
      scenario.crashAt.startsWith('after:') &&
      !['confirmRental', 'markItemInUse', 'cancelRental'].includes(crashedStep)
    ) {
      assert.ok((step?.attempts ?? 0) >= 2, `${scenario.crashAt}: the step was run again after the crash`);
    }
  }
  const summary = await checkInvariants(world.sql);
  assert.deepEqual(summary, { active: 8, cancelled: 4, completed: 0 });
  const slowest = Math.max(...outcomes.map((o) => o.recoveredInMs));
  console.log(
    `# ${scenarios.length} killed sagas recovered; slowest recovery ${slowest} ms after the kill; total ${Date.now() - started} ms`,
  );
});
