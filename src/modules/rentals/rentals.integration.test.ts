import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { checkInvariants } from '../../../test/rentals/support/invariants.ts';
import { faultPlan } from '../../../test/rentals/support/faults.ts';
import {
  as,
  eventually,
  failsWith,
  listItem,
  newUser,
  periodOf,
  rent,
  startWorld,
  topUp,
  type World,
} from '../../../test/rentals/support/world.ts';
import { inventory } from '../inventory/contract.ts';
import { payments } from '../payments/contract.ts';
import { systemContext } from '../../shared/bus/context.ts';
import { rentals } from './contract.ts';

const faults = faultPlan();
let world: World;
before(async () => {
  world = await startWorld({ faults });
});
after(async () => {
  await world?.stop();
});

const bus = () => world.bus;
async function balance(userId: string, currency = 'EUR') {
  const wallet = await bus().call(payments.ops.getWallet, {}, as(userId));
  return wallet.balances.find((b) => b.currency === currency) ?? { currency, balance: 0, available: 0, held: 0 };
}
const item = (id: string) => bus().call(inventory.ops.getItem, { id }, as(newUser()));
const get = (id: string, userId: string, role = 'member') =>
  bus().call(rentals.ops.getRental, { id }, as(userId, role));

/** An owner with an item (10.00/day, 50.00 deposit) and a renter with 200.00. */
async function scene(funds = 20_000) {
  const owner = newUser();
  const renter = newUser();
  const listed = await listItem(bus(), owner, { daily: 1_000, deposit: 5_000 });
  if (funds > 0) await topUp(bus(), renter, funds);
  return { owner, renter, item: listed };
}

/** Every rental in the world has finished and all invariants hold (items of completed rentals come back by event). */
async function invariantsHold() {
  return eventually('the invariants', async () => {
    await checkInvariants(world.sql);
    return true;
  });
}

describe('rentals (bus, PostgreSQL, rentals and payments on separate databases)', () => {
  test('happy path: rent, then return: fee to the owner, deposit back, item available again, ledger balanced', async () => {
    const { owner, renter, item: listed } = await scene();
    const period = periodOf(3);
    const started = Date.now();
    const rental = await bus().call(rentals.ops.createRental, { itemId: listed.id, ...period }, as(renter));
    assert.equal(rental.status, 'active');
    assert.deepEqual(
      [rental.days, rental.fee.amount, rental.deposit.amount, rental.total.amount, rental.fee.currency],
      [3, 3_000, 5_000, 8_000, 'EUR'],
    );
    assert.deepEqual(
      rental.steps.map((s) => [s.name, s.kind, s.status, s.attempts]),
      [
        ['reserveItem', 'forward', 'succeeded', 1],
        ['authorizePayment', 'forward', 'succeeded', 1],
        ['confirmRental', 'forward', 'succeeded', 1],
        ['markItemInUse', 'forward', 'succeeded', 1],
      ],
    );
    for (const s of rental.steps)
      assert.ok(s.finishedAt && s.finishedAt >= s.startedAt, `step ${s.name} has its timestamps`);
    assert.ok(rental.confirmedAt, 'the rental was confirmed');
    assert.ok(rental.handedOverAt, 'a period that has started is handed over at once');
    assert.equal((await item(listed.id)).status, 'listed', 'the item stays listed: the booking is in the calendar');
    assert.deepEqual(await balance(renter), { currency: 'EUR', balance: 20_000, available: 12_000, held: 8_000 });
    const auth = await bus().call(
      payments.ops.getAuthorization,
      { authorizationId: rental.authorizationId! },
      as(renter),
    );
    assert.deepEqual([auth.status, auth.amount, auth.reference], ['authorized', 8_000, `rental:${rental.id}`]);

    const returned = await bus().call(rentals.ops.returnRental, { id: rental.id }, as(owner));
    assert.equal(returned.status, 'completed');
    assert.ok(returned.completedAt, 'completedAt is set');
    assert.deepEqual(returned.steps.at(-1)?.name, 'settle');
    assert.equal(returned.steps.at(-1)?.status, 'succeeded');
    assert.deepEqual(await balance(renter), { currency: 'EUR', balance: 17_000, available: 17_000, held: 0 });
    assert.deepEqual(await balance(owner), { currency: 'EUR', balance: 3_000, available: 3_000, held: 0 });
    assert.equal(
      (await bus().call(payments.ops.getAuthorization, { authorizationId: rental.authorizationId! }, as(renter)))
        .status,
      'captured',
    );
    await eventually(
      'the item to be available again (rentalCompleted → inventory)',
      async () => ((await item(listed.id)).status === 'listed' ? true : undefined),
      10_000,
    );
    // Returning again answers the completed rental and moves no money.
    assert.equal((await bus().call(rentals.ops.returnRental, { id: rental.id }, as(owner))).status, 'completed');
    assert.equal((await balance(owner)).balance, 3_000);

    const outbox = await world.sql.rentals<
      { event: string }[]
    >`select event from rentals.outbox where aggregate_id = ${rental.id} order by seq`;
    assert.deepEqual(
      outbox.map((o) => o.event),
      ['rentals.rentalConfirmed', 'rentals.rentalCompleted'],
    );
    const log = await world.sql.rentals<
      { state: string; outcome: string }[]
    >`select state, outcome from rentals.two_phase_log`;
    assert.ok(
      log.some((l) => l.state === 'done' && l.outcome === 'commit'),
      'the settlement is logged as committed',
    );
    await invariantsHold();
    console.log(`# happy path rent + return: ${Date.now() - started} ms`);
  });

  test('an item can be rented again once it is back', async () => {
    const { owner, renter, item: listed } = await scene(40_000);
    const first = await bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(1) }, as(renter));
    await bus().call(rentals.ops.returnRental, { id: first.id }, as(owner));
    await eventually('the item back', async () => ((await item(listed.id)).status === 'listed' ? true : undefined));
    const second = await bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(1) }, as(renter));
    assert.equal(second.status, 'active');
  });

  describe('business rules', () => {
    test('you cannot rent your own item; dates start today or later, are ordered, at most 90 days long and 365 days ahead', async () => {
      const { owner, renter, item: listed } = await scene();
      await failsWith(
        bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(2) }, as(owner)),
        'rentals.ownItem',
      );
      const past = {
        from: new Date(Date.now() - 86_400_000).toISOString(),
        to: new Date(Date.now() + 86_400_000).toISOString(),
      };
      await failsWith(
        bus().call(rentals.ops.createRental, { itemId: listed.id, ...past }, as(renter)),
        'rentals.invalidPeriod',
      );
      const p = periodOf(2);
      await failsWith(
        bus().call(rentals.ops.createRental, { itemId: listed.id, from: p.to, to: p.from }, as(renter)),
        'rentals.invalidPeriod',
      );
      await failsWith(
        bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(91) }, as(renter)),
        'rentals.periodTooLong',
      );
      await failsWith(
        bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(2, 400) }, as(renter)),
        'rentals.startsTooFarAhead',
      );
      await failsWith(
        bus().call(rentals.ops.createRental, { itemId: listed.id, from: '0000-01-01', to: '9999-12-31' }, as(renter)),
        'validationFailed',
      );
      await failsWith(
        bus().call(rentals.ops.createRental, { itemId: randomUUID(), ...periodOf(2) }, as(renter)),
        'rentals.itemNotFound',
      );
      await failsWith(
        bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(2) }, systemContext()),
        'unauthorized',
      );
      const [count] = await world.sql.rentals<
        { n: number }[]
      >`select count(*)::int as n from rentals.rentals where item_id = ${listed.id}`;
      assert.equal(count?.n, 0, 'no rental was recorded');
    });

    test('a period overlapping an active rental is refused (409) before anything is reserved', async () => {
      const { renter, item: listed } = await scene(40_000);
      await bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(3, 1) }, as(renter));
      const other = newUser();
      await topUp(bus(), other, 20_000);
      await failsWith(
        bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(3, 2) }, as(other)),
        'rentals.periodTaken',
      );
      assert.deepEqual(await balance(other), { currency: 'EUR', balance: 20_000, available: 20_000, held: 0 });
    });

    test('a rental that would hold more than payments can hold is refused', async () => {
      const owner = newUser();
      const listed = await listItem(bus(), owner, { daily: 90_000_000, deposit: 0 });
      await failsWith(
        bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(2) }, as(newUser())),
        'rentals.amountTooLarge',
      );
    });

    test('a free item (no price, no deposit) needs no payment step', async () => {
      const owner = newUser();
      const listed = await listItem(bus(), owner, { daily: 0, deposit: 0 });
      const rental = await bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(2) }, as(newUser()));
      assert.deepEqual(
        rental.steps.map((s) => [s.name, s.status]),
        [
          ['reserveItem', 'succeeded'],
          ['authorizePayment', 'skipped'],
          ['confirmRental', 'succeeded'],
          ['markItemInUse', 'succeeded'],
        ],
      );
      const returned = await bus().call(rentals.ops.returnRental, { id: rental.id }, as(owner));
      assert.equal(returned.status, 'completed');
    });
  });

  describe('failures are compensated', () => {
    test('insufficient funds: 422, the item is released, nothing is held', async () => {
      const { renter, item: listed } = await scene(1_000);
      const refused = await failsWith(
        bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(3) }, as(renter)),
        'rentals.insufficientFunds',
      );
      assert.equal(refused.kind, 'unprocessable');
      assert.match(refused.detail, /cancelled and nothing is reserved or held/);
      const [row] = await world.sql.rentals<
        { id: string; status: string }[]
      >`select id, status from rentals.rentals where item_id = ${listed.id}`;
      assert.equal(row?.status, 'cancelled');
      const details = await get(row!.id, renter);
      assert.deepEqual(
        details.steps.map((s) => [s.name, s.status]),
        [
          ['reserveItem', 'succeeded'],
          ['authorizePayment', 'failed'],
          ['cancelRental', 'succeeded'],
        ],
      );
      assert.equal(details.failure?.code, 'rentals.insufficientFunds');
      assert.equal((await item(listed.id)).status, 'listed');
      assert.deepEqual(await balance(renter), { currency: 'EUR', balance: 1_000, available: 1_000, held: 0 });
      await invariantsHold();
    });

    test('a retired item: 409 itemUnavailable, no money held', async () => {
      const { owner, renter, item: listed } = await scene();
      await bus().call(inventory.ops.retireItem, { id: listed.id }, as(owner));
      await failsWith(
        bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(3) }, as(renter)),
        'rentals.itemUnavailable',
      );
      assert.equal((await balance(renter)).held, 0);
      await invariantsHold();
    });

    for (const step of ['reserveItem', 'authorizePayment', 'confirmRental', 'markItemInUse'] as const) {
      test(`a failure injected at ${step} ends compensated`, async () => {
        const { renter, item: listed } = await scene();
        faults.plan(listed.id, [{ point: `before:${step}`, effect: 'fail' }]);
        await failsWith(
          bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(3) }, as(renter)),
          'rentals.rentalFailed',
        );
        const [row] = await world.sql.rentals<
          { id: string; status: string }[]
        >`select id, status from rentals.rentals where item_id = ${listed.id}`;
        const details = await get(row!.id, renter);
        assert.equal(details.status, 'cancelled');
        const failed = details.steps.find((s) => s.status === 'failed');
        assert.equal(failed?.name, step);
        assert.equal(failed?.error?.code, 'rentals.injectedFailure');
        const undo = details.steps.filter((s) => s.kind === 'compensation').map((s) => s.name);
        const expected = {
          reserveItem: ['cancelRental'],
          authorizePayment: ['cancelRental'],
          confirmRental: ['voidAuthorization', 'cancelRental'],
          markItemInUse: ['voidAuthorization', 'cancelRental'],
        };
        assert.deepEqual(undo, expected[step]);
        assert.deepEqual(await balance(renter), { currency: 'EUR', balance: 20_000, available: 20_000, held: 0 });
        assert.equal((await item(listed.id)).status, 'listed');
        const events = await world.sql.rentals<
          { event: string }[]
        >`select event from rentals.outbox where aggregate_id = ${row!.id} order by seq`;
        assert.deepEqual(
          events.map((e) => e.event),
          step === 'markItemInUse' ? ['rentals.rentalConfirmed', 'rentals.rentalCancelled'] : [],
        );
        await invariantsHold();
      });
    }

    test('a step that took effect but lost its answer is undone (authorize and mark-in-use)', async () => {
      for (const step of ['authorizePayment', 'markItemInUse'] as const) {
        const { renter, item: listed } = await scene();
        faults.plan(listed.id, [{ point: `after:${step}`, effect: 'noAnswer' }]);
        const refused = await failsWith(
          bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(3) }, as(renter)),
          'rentals.rentalFailed',
        );
        assert.equal(refused.kind, 'timeout');
        const [row] = await world.sql.rentals<
          { id: string }[]
        >`select id from rentals.rentals where item_id = ${listed.id}`;
        const details = await get(row!.id, renter);
        assert.equal(details.status, 'cancelled');
        assert.equal(
          details.steps.find((s) => s.name === step)?.attempts,
          2,
          'the step was tried again before giving up',
        );
        assert.deepEqual(
          await balance(renter),
          { currency: 'EUR', balance: 20_000, available: 20_000, held: 0 },
          `${step}: the hold was voided`,
        );
        assert.equal((await item(listed.id)).status, 'listed', `${step}: the item is listed`);
      }
      await invariantsHold();
    });

    test('a lost answer that comes back on retry does not undo anything', async () => {
      const { renter, item: listed } = await scene();
      faults.plan(listed.id, [{ point: 'after:reserveItem', effect: 'noAnswer', times: 1 }]);
      const rental = await bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(3) }, as(renter));
      assert.equal(rental.status, 'active');
      assert.equal(rental.steps[0]?.attempts, 2);
    });

    test('a compensation that gets no answer is retried until it succeeds', async () => {
      const { renter, item: listed } = await scene(1_000);
      faults.plan(listed.id, [{ point: 'before:cancelRental', effect: 'noAnswer', times: 3 }]);
      await failsWith(
        bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(3) }, as(renter)),
        'rentals.insufficientFunds',
      );
      const [row] = await world.sql.rentals<
        { id: string }[]
      >`select id from rentals.rentals where item_id = ${listed.id}`;
      const details = await get(row!.id, renter);
      assert.equal(details.status, 'cancelled');
      assert.deepEqual(
        [
          details.steps.find((s) => s.name === 'cancelRental')?.status,
          details.steps.find((s) => s.name === 'cancelRental')?.attempts,
        ],
        ['succeeded', 4],
      );
      assert.equal((await item(listed.id)).status, 'listed');
    });
  });

  describe('concurrency', () => {
    test('20 concurrent rentals of one item for one period: exactly one succeeds, the others 409', async () => {
      const owner = newUser();
      const listed = await listItem(bus(), owner);
      const renters = Array.from({ length: 20 }, newUser);
      await Promise.all(renters.map((r) => topUp(bus(), r, 20_000)));
      const period = periodOf(3);
      const started = Date.now();
      const results = await Promise.all(renters.map((r) => rent(bus(), r, listed.id, period)));
      const ok = results.filter((r) => 'rental' in r);
      const refused = results.filter(
        (r): r is { error: import('../../shared/bus/errors.ts').AppError } => 'error' in r,
      );
      assert.equal(ok.length, 1, JSON.stringify(refused.map((r) => r.error.code)));
      for (const r of refused)
        assert.ok(
          ['rentals.periodTaken', 'rentals.itemUnavailable'].includes(r.error.code) && r.error.kind === 'conflict',
          `refused with ${r.error.code}`,
        );
      console.log(
        `# 20 concurrent rentals of one item: ${Date.now() - started} ms, refusals: ${[...new Set(refused.map((r) => r.error.code))].join(', ')}`,
      );
      const held = await Promise.all(renters.map((r) => balance(r)));
      assert.equal(held.filter((b) => b.held > 0).length, 1, 'only the winner has money held');
      await invariantsHold();
    });

    test('20 concurrent rentals of one item for different periods: all coexist in its calendar', async () => {
      const listed = await listItem(bus(), newUser());
      const renters = Array.from({ length: 20 }, newUser);
      await Promise.all(renters.map((r) => topUp(bus(), r, 20_000)));
      const results = await Promise.all(renters.map((r, i) => rent(bus(), r, listed.id, periodOf(1, 1 + 2 * i))));
      assert.deepEqual(
        results.map((r) => ('rental' in r ? r.rental.status : r.error.code)),
        Array(20).fill('confirmed'),
      );
      await invariantsHold();
    });

    test('20 concurrent rentals of overlapping periods (one day apart, two days long): the database lets no two overlap', async () => {
      const listed = await listItem(bus(), newUser());
      const renters = Array.from({ length: 20 }, newUser);
      await Promise.all(renters.map((r) => topUp(bus(), r, 20_000)));
      const results = await Promise.all(renters.map((r, i) => rent(bus(), r, listed.id, periodOf(2, 1 + i))));
      const won = results.flatMap((r) => ('rental' in r ? [r.rental] : []));
      for (const r of results) if ('error' in r) assert.equal(r.error.code, 'rentals.periodTaken');
      assert.ok(won.length >= 7 && won.length <= 10, `${won.length} of 20 got their period`);
      await invariantsHold();
    });
  });

  describe('request keys (the Idempotency-Key, passed to the op)', () => {
    const rentalsWithKey = async (requestKey: string) =>
      (
        await world.sql.rentals<
          { n: number }[]
        >`select count(*)::int as n from rentals.rentals where request_key = ${requestKey}`
      )[0]!.n;

    test('a retry under the same key gets the same rental and holds nothing more; another request under it is 422', async () => {
      const { owner, renter, item: listed } = await scene(40_000);
      const period = periodOf(2);
      const requestKey = randomUUID();
      const first = await bus().call(
        rentals.ops.createRental,
        { itemId: listed.id, ...period, requestKey },
        as(renter),
      );
      // The item is in use now: only the key lets the retry through to the same answer.
      const again = await bus().call(
        rentals.ops.createRental,
        { itemId: listed.id, ...period, requestKey },
        as(renter),
      );
      assert.deepEqual([again.id, again.status], [first.id, 'active']);
      assert.equal((await balance(renter)).held, first.total.amount);
      await failsWith(
        bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(2, 10), requestKey }, as(renter)),
        'rentals.requestKeyReused',
      );
      // Keys are the renter's own: another renter's request under the same key is a new rental.
      const other = newUser();
      await topUp(bus(), other, 20_000);
      const another = await listItem(bus(), owner, { daily: 1_000, deposit: 5_000 });
      const theirs = await bus().call(
        rentals.ops.createRental,
        { itemId: another.id, ...period, requestKey },
        as(other),
      );
      assert.notEqual(theirs.id, first.id);
      assert.equal(await rentalsWithKey(requestKey), 2);
      await invariantsHold();
    });

    test('10 concurrent requests under one key: one rental, and every caller gets it', async () => {
      const { renter, item: listed } = await scene(40_000);
      const period = periodOf(3);
      const requestKey = randomUUID();
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          bus().call(rentals.ops.createRental, { itemId: listed.id, ...period, requestKey }, as(renter)),
        ),
      );
      assert.equal(new Set(answers.map((a) => a.id)).size, 1);
      assert.ok(answers.every((a) => a.status === 'active'));
      assert.equal(await rentalsWithKey(requestKey), 1);
      assert.deepEqual(await balance(renter), {
        currency: 'EUR',
        balance: 40_000,
        available: 40_000 - answers[0]!.total.amount,
        held: answers[0]!.total.amount,
      });
      await invariantsHold();
    });

    test('a first attempt that ran out of time is finished by its retry, never repeated', async () => {
      const { renter, item: listed } = await scene(40_000);
      faults.plan(renter, [{ point: 'before:authorizePayment', effect: 'delay', delayMs: 1_200, times: 1 }]);
      const period = periodOf(2);
      const requestKey = randomUUID();
      const hurried = systemContext({ caller: { userId: renter, role: 'member' }, timeoutMs: 1_000 });
      await failsWith(
        bus().call(rentals.ops.createRental, { itemId: listed.id, ...period, requestKey }, hurried),
        'rentals.rentalPending',
      );
      const finished = await eventually('the retry to answer the rental', async () => {
        const answer = await rent(bus(), renter, listed.id, period, requestKey);
        if ('rental' in answer) return answer.rental;
        assert.equal(answer.error.code, 'rentals.rentalPending', 'a retry meanwhile is told to wait, not refused');
        return undefined;
      });
      assert.equal(finished.status, 'active');
      assert.equal(await rentalsWithKey(requestKey), 1);
      assert.equal((await balance(renter)).held, finished.total.amount);
      await invariantsHold();
    });
  });

  describe('reading, cancelling, returning', () => {
    test('renter, owner and admins see a rental; others get 404; lists by role', async () => {
      const { owner, renter, item: listed } = await scene();
      const rental = await bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(2) }, as(renter));
      assert.equal((await get(rental.id, renter)).id, rental.id);
      assert.equal((await get(rental.id, owner)).id, rental.id);
      assert.equal((await get(rental.id, newUser(), 'admin')).id, rental.id);
      await failsWith(get(rental.id, newUser()), 'rentals.rentalNotFound');
      await failsWith(get(randomUUID(), renter), 'rentals.rentalNotFound');
      const asRenter = await bus().call(rentals.ops.listRentals, { role: 'renter' }, as(renter));
      assert.deepEqual([asRenter.total, asRenter.rentals[0]?.id], [1, rental.id]);
      assert.equal((await bus().call(rentals.ops.listRentals, { role: 'owner' }, as(renter))).total, 0);
      assert.equal((await bus().call(rentals.ops.listRentals, {}, as(owner))).rentals[0]?.id, rental.id);
      assert.equal((await bus().call(rentals.ops.listRentals, { status: 'cancelled' }, as(owner))).total, 0);
    });

    test('cancel before the handover: the hold is voided and the period freed; again is a no-op; then it cannot be returned', async () => {
      const { owner, renter, item: listed } = await scene();
      const rental = await bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(2, 3) }, as(renter));
      assert.equal(rental.status, 'confirmed');
      assert.deepEqual(
        rental.steps.at(-1) && [rental.steps.at(-1)!.name, rental.steps.at(-1)!.status],
        ['markItemInUse', 'waiting'],
        'the handover waits for the start',
      );
      await failsWith(bus().call(rentals.ops.returnRental, { id: rental.id }, as(owner)), 'rentals.notHandedOver');
      await failsWith(bus().call(rentals.ops.handOverRental, { id: rental.id }, as(owner)), 'rentals.handoverTooEarly');
      await failsWith(bus().call(rentals.ops.handOverRental, { id: rental.id }, as(renter)), 'rentals.notParticipant');
      await failsWith(bus().call(rentals.ops.cancelRental, { id: rental.id }, as(newUser())), 'rentals.rentalNotFound');
      const cancelled = await bus().call(rentals.ops.cancelRental, { id: rental.id }, as(renter));
      assert.equal(cancelled.status, 'cancelled');
      assert.deepEqual(cancelled.failure, {
        code: 'rentals.cancelled',
        detail: 'Cancelled by the renter before the handover; fee and deposit refunded in full.',
      });
      assert.deepEqual(
        cancelled.steps.filter((s) => s.kind === 'compensation').map((s) => [s.name, s.status]),
        [
          ['voidAuthorization', 'succeeded'],
          ['cancelRental', 'succeeded'],
        ],
      );
      assert.deepEqual(await balance(renter), { currency: 'EUR', balance: 20_000, available: 20_000, held: 0 });
      assert.equal((await item(listed.id)).status, 'listed');
      assert.equal((await bus().call(rentals.ops.cancelRental, { id: rental.id }, as(renter))).status, 'cancelled');
      await failsWith(bus().call(rentals.ops.returnRental, { id: rental.id }, as(owner)), 'rentals.notReturnable');
      const events = await world.sql.rentals<
        { event: string }[]
      >`select event from rentals.outbox where aggregate_id = ${rental.id} order by seq`;
      assert.deepEqual(
        events.map((e) => e.event),
        ['rentals.rentalConfirmed', 'rentals.rentalCancelled'],
      );
      await invariantsHold();
    });

    test('the owner declines before the handover: full refund', async () => {
      const { owner, renter, item: listed } = await scene();
      const rental = await bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(2, 5) }, as(renter));
      const declined = await bus().call(rentals.ops.cancelRental, { id: rental.id }, as(owner));
      assert.deepEqual(
        [declined.status, declined.failure?.detail],
        ['cancelled', 'Declined by the owner before the handover; fee and deposit refunded in full.'],
      );
      assert.deepEqual(await balance(renter), { currency: 'EUR', balance: 20_000, available: 20_000, held: 0 });
      const again = await bus()
        .call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(2, 5) }, as(newUser(), 'member'))
        .catch((e: unknown) => e);
      assert.notEqual((again as { code?: string }).code, 'rentals.periodTaken', 'the period is free again');
    });

    test('the handover happens by itself at the start of the period (a durable timer), then the rental can be returned', async () => {
      const { owner, renter, item: listed } = await scene();
      const start = Date.now() + 1_500;
      const period = { from: new Date(start).toISOString(), to: new Date(start + 86_400_000).toISOString() };
      const rental = await bus().call(rentals.ops.createRental, { itemId: listed.id, ...period }, as(renter));
      assert.deepEqual([rental.status, rental.handedOverAt], ['confirmed', null]);
      await failsWith(bus().call(rentals.ops.returnRental, { id: rental.id }, as(owner)), 'rentals.notHandedOver');
      const [lease] = await world.sql.rentals<
        { at: Date }[]
      >`select lease_expires_at as at from rentals.rentals where id = ${rental.id}`;
      assert.equal(lease?.at.getTime(), start, 'the timer is the lease, persisted: it runs out at the start');
      const active = await eventually(
        'the automatic handover',
        async () => {
          const now = await get(rental.id, renter);
          return now.status === 'active' ? now : undefined;
        },
        10_000,
      );
      assert.ok(active.handedOverAt && Date.parse(active.handedOverAt) >= start, 'not before the start');
      assert.equal(active.steps.find((s) => s.name === 'markItemInUse')?.status, 'succeeded');
      assert.equal(
        (await bus().call(rentals.ops.handOverRental, { id: rental.id }, as(owner))).status,
        'active',
        'a handover after it answers it unchanged',
      );
      await failsWith(bus().call(rentals.ops.cancelRental, { id: rental.id }, as(renter)), 'rentals.notCancellable');
      assert.equal((await bus().call(rentals.ops.returnRental, { id: rental.id }, as(owner))).status, 'completed');
      await invariantsHold();
    });

    test('the owner records the handover from the start of the period', async () => {
      const { owner, renter, item: listed } = await scene();
      const start = Date.now() + 800;
      const rental = await bus().call(
        rentals.ops.createRental,
        { itemId: listed.id, from: new Date(start).toISOString(), to: new Date(start + 86_400_000).toISOString() },
        as(renter),
      );
      await failsWith(bus().call(rentals.ops.handOverRental, { id: rental.id }, as(owner)), 'rentals.handoverTooEarly');
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, start - Date.now())));
      const handed = await eventually('the handover', async () => {
        const answer = await bus()
          .call(rentals.ops.handOverRental, { id: rental.id }, as(owner))
          .catch((e: unknown) => e);
        return (answer as { status?: string }).status === 'active' ? answer : undefined;
      });
      assert.equal((handed as { status: string }).status, 'active');
    });

    test('only the owner (or an admin) confirms a return', async () => {
      const { owner, renter, item: listed } = await scene();
      const rental = await bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(2) }, as(renter));
      await failsWith(bus().call(rentals.ops.returnRental, { id: rental.id }, as(renter)), 'rentals.notParticipant');
      await failsWith(bus().call(rentals.ops.returnRental, { id: rental.id }, as(newUser())), 'rentals.rentalNotFound');
      assert.equal(
        (await bus().call(rentals.ops.returnRental, { id: rental.id }, as(newUser(), 'admin'))).status,
        'completed',
      );
      assert.equal((await balance(owner)).balance, 2_000);
    });

    test('concurrent returns settle once, without waiting out a prepare timeout', async () => {
      const { owner, renter, item: listed } = await scene();
      const rental = await bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(2) }, as(renter));
      const started = Date.now();
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => bus().call(rentals.ops.returnRental, { id: rental.id }, as(owner))),
      );
      assert.ok(Date.now() - started < 2_500, `5 concurrent returns took ${Date.now() - started} ms`);
      assert.ok(
        results.some((r) => r.status === 'fulfilled'),
        'one return succeeded',
      );
      for (const r of results)
        if (r.status === 'rejected') assert.equal(r.reason.code, 'rentals.notReturnable', String(r.reason));
      assert.deepEqual(await balance(owner), { currency: 'EUR', balance: 2_000, available: 2_000, held: 0 });
      assert.deepEqual(await balance(renter), { currency: 'EUR', balance: 18_000, available: 18_000, held: 0 });
      await invariantsHold();
    });

    test('twoPhaseDecision answers abort for an unknown transaction and refuses a foreign GID', async () => {
      const answer = await bus().call(
        rentals.ops.twoPhaseDecision,
        { gid: `sl:rentals:payments:${randomUUID()}` },
        as(newUser()),
      );
      assert.equal(answer.decision, 'abort');
      await failsWith(
        bus().call(rentals.ops.twoPhaseDecision, { gid: `sl:other:payments:${randomUUID()}` }, as(newUser())),
        'validationFailed',
      );
      await failsWith(
        bus().call(
          payments.ops.finishPrepared,
          { gid: `sl:rentals:rentals:${randomUUID()}`, decision: 'commit' },
          as(newUser()),
        ),
        'payments.invalidTransactionId',
      );
    });
  });
});
