import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runChild } from '../../../test/rentals/support/child.ts';
import { checkInvariants } from '../../../test/rentals/support/invariants.ts';
import { faultPlan } from '../../../test/rentals/support/faults.ts';
import {
  as,
  createWorldDatabases,
  eventually,
  failsWith,
  listItem,
  newUser,
  periodOf,
  startWorld,
  topUp,
  type Databases,
  type World,
} from '../../../test/rentals/support/world.ts';
import { payments } from '../payments/contract.ts';
import { operationIdOf } from './domain/saga.ts';
import { rentals } from './contract.ts';

const faults = faultPlan();
let dbs: Databases;
let world: World;
before(async () => {
  // Every module in one database: rentals and payments share it, so a return settles in one local transaction.
  dbs = await createWorldDatabases({ shared: true });
  world = await startWorld({ faults, dbs });
});
after(async () => {
  await world?.stop();
});

const bus = () => world.bus;
const wallet = async (userId: string) =>
  (await bus().call(payments.ops.getWallet, {}, as(userId))).balances.find((b) => b.currency === 'EUR') ?? {
    balance: 0,
    held: 0,
  };

async function activeRental() {
  const owner = newUser();
  const renter = newUser();
  const item = await listItem(bus(), owner, { daily: 1_000, deposit: 5_000 });
  await topUp(bus(), renter, 20_000);
  const rental = await bus().call(rentals.ops.createRental, { itemId: item.id, ...periodOf(2) }, as(renter));
  assert.equal(rental.status, 'active');
  return { owner, renter, rental };
}

describe('one-phase settlement (rentals and payments in one database and process)', () => {
  test('a return settles in one local transaction: same outcome as two-phase, nothing prepared, no decision log', async () => {
    const { owner, renter, rental } = await activeRental();
    const returned = await bus().call(rentals.ops.returnRental, { id: rental.id }, as(owner));
    assert.equal(returned.status, 'completed');
    assert.deepEqual(returned.steps.at(-1) && [returned.steps.at(-1)!.name, returned.steps.at(-1)!.status], [
      'settle',
      'succeeded',
    ]);
    assert.deepEqual(
      [(await wallet(owner)).balance, (await wallet(renter)).balance, (await wallet(renter)).held],
      [2_000, 18_000, 0],
    );
    const [log] = await world.sql.rentals<{ n: number }[]>`select count(*)::int as n from rentals.two_phase_log`;
    assert.equal(log?.n, 0, 'no two-phase transaction was needed');
    const events = await world.sql.rentals<
      { event: string }[]
    >`select event from rentals.outbox where aggregate_id = ${rental.id} order by seq`;
    assert.deepEqual(
      events.map((e) => e.event),
      ['rentals.rentalConfirmed', 'rentals.rentalCompleted'],
    );
    // Idempotent: returning again answers the completed rental and moves no money.
    assert.equal((await bus().call(rentals.ops.returnRental, { id: rental.id }, as(owner))).status, 'completed');
    assert.equal((await wallet(owner)).balance, 2_000);
    await checkInvariants(world.sql);
  });

  test('concurrent returns settle once', async () => {
    const { owner, renter, rental } = await activeRental();
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => bus().call(rentals.ops.returnRental, { id: rental.id }, as(owner))),
    );
    for (const r of results)
      assert.equal(
        r.status === 'fulfilled' && r.value.status,
        'completed',
        String(r.status === 'rejected' && r.reason),
      );
    assert.deepEqual([(await wallet(owner)).balance, (await wallet(renter)).balance], [2_000, 18_000]);
    await checkInvariants(world.sql);
  });

  test('a failure before the commit changes nothing, and the return can be made again', async () => {
    const { owner, renter, rental } = await activeRental();
    faults.plan(renter, [{ point: 'settle:before-commit', effect: 'fail', times: 1 }]);
    await failsWith(bus().call(rentals.ops.returnRental, { id: rental.id }, as(owner)), 'rentals.injectedFailure');
    const after = await bus().call(rentals.ops.getRental, { id: rental.id }, as(owner));
    assert.equal(after.status, 'active', 'the rental is still active');
    assert.deepEqual(after.steps.at(-1) && [after.steps.at(-1)!.name, after.steps.at(-1)!.status], [
      'settle',
      'failed',
    ]);
    assert.deepEqual([(await wallet(owner)).balance, (await wallet(renter)).held], [0, 7_000], 'no money moved');
    assert.equal((await bus().call(rentals.ops.returnRental, { id: rental.id }, as(owner))).status, 'completed');
    assert.deepEqual([(await wallet(owner)).balance, (await wallet(renter)).balance], [2_000, 18_000]);
    await checkInvariants(world.sql);
  });

  test('a process killed inside the one local transaction (before its commit) leaves nothing half done; the return then succeeds', async () => {
    const { owner, renter, rental } = await activeRental();
    const exit = await runChild('saga-child.ts', {
      DATABASE_URL: dbs.mainUrl,
      RENTALS_DATABASE_URL: dbs.rentalsUrl,
      PAYMENTS_DATABASE_URL: dbs.paymentsUrl,
      RETURN: '1',
      RENTAL_ID: rental.id,
      OWNER_ID: owner,
      RENTALS_CRASH_AT: 'settle:before-commit',
      RENTALS_RECOVERY_INTERVAL_MS: '600000',
    });
    assert.equal(exit.signal, 'SIGKILL', exit.output);
    assert.match(exit.output, /"crashing":"settle:before-commit"/);
    const [state] = await world.sql.rentals<{ status: string; completed: number }[]>`
      select status, (select count(*)::int from rentals.outbox where aggregate_id = ${rental.id} and event = 'rentals.rentalCompleted') as completed
        from rentals.rentals where id = ${rental.id}`;
    assert.deepEqual(state, { status: 'active', completed: 0 });
    assert.deepEqual([(await wallet(owner)).balance, (await wallet(renter)).held], [0, 7_000], 'no money moved');
    assert.equal((await bus().call(rentals.ops.returnRental, { id: rental.id }, as(owner))).status, 'completed');
    assert.deepEqual([(await wallet(owner)).balance, (await wallet(renter)).balance], [2_000, 18_000]);
    await checkInvariants(world.sql);
  });

  test('payments refusing its share (the hold is gone) rolls rentals back too: 409 settlementRejected', async () => {
    const { owner, renter, rental } = await activeRental();
    await bus().call(
      payments.ops.voidAuthorization,
      { operationId: operationIdOf(rental.id, 'void'), authorizationId: rental.authorizationId! },
      as(renter),
    );
    const refused = await failsWith(
      bus().call(rentals.ops.returnRental, { id: rental.id }, as(owner)),
      'rentals.settlementRejected',
    );
    assert.equal(refused.kind, 'conflict');
    assert.equal((await bus().call(rentals.ops.getRental, { id: rental.id }, as(owner))).status, 'active');
    const [completed] = await world.sql.rentals<
      { n: number }[]
    >`select count(*)::int as n from rentals.outbox where aggregate_id = ${rental.id} and event = 'rentals.rentalCompleted'`;
    assert.equal(completed?.n, 0, 'no rentalCompleted was published');
  });

  test('the handover timer survives a restart: a rental booked before a stop is handed over after it, at its start', async () => {
    const owner = newUser();
    const renter = newUser();
    const item = await listItem(bus(), owner);
    await topUp(bus(), renter, 20_000);
    const start = Date.now() + 2_500;
    const rental = await bus().call(
      rentals.ops.createRental,
      { itemId: item.id, from: new Date(start).toISOString(), to: new Date(start + 86_400_000).toISOString() },
      as(renter),
    );
    assert.equal(rental.status, 'confirmed');
    await world.stop();
    world = await startWorld({ faults, dbs });
    const active = await eventually(
      'the handover after the restart',
      async () => {
        const now = await bus().call(rentals.ops.getRental, { id: rental.id }, as(renter));
        return now.status === 'active' ? now : undefined;
      },
      15_000,
    );
    assert.ok(Date.parse(active.handedOverAt!) >= start);
    assert.equal((await bus().call(rentals.ops.returnRental, { id: rental.id }, as(owner))).status, 'completed');
  });
});
