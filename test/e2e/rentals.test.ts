import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { idempotencyStoreKey } from '../../src/shared/http/idempotency-key.ts';
import { bootRuntime, type BootedRuntime } from '../smoke/boot-runtime.ts';
import { apiClient, type ApiResponse } from '../support/api-client.ts';
import { testServers } from '../support/env.ts';
import { createDatabase } from '../support/services.ts';
import { startTopology, topologies, type Topology } from '../support/topology.ts';
import { eventually } from '../support/eventually.ts';

/** Every rentals route, spelled out so a route that disappears from the contract fails here. */
const RENTALS_ROUTES = [
  ['post', '/v1/rentals'],
  ['get', '/v1/rentals'],
  ['get', '/v1/rentals/{id}'],
  ['post', '/v1/rentals/{id}/cancel'],
  ['post', '/v1/rentals/{id}/handover'],
  ['post', '/v1/rentals/{id}/return'],
] as const;

const ADMIN_EMAIL = 'rentals-admin@example.test';
const ADMIN_PASSWORD = 'rentals admin password 42';
const DAY = 86_400_000;
/** `days` whole days from `startInDays` days from today (00:00 UTC); today's period has started, so it is handed over at once. */
const period = (days: number, startInDays = 0) => {
  const start = Math.floor(Date.now() / DAY) * DAY + startInDays * DAY;
  return { from: new Date(start).toISOString(), to: new Date(start + days * DAY).toISOString() };
};

/** Asserts an RFC 9457 problem with this status (and code). */
function assertProblem(response: ApiResponse, status: number, code?: string) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.headers.get('content-type'), 'application/problem+json');
  assert.equal(response.body.status, status);
  if (code) assert.equal(response.body.code, code, JSON.stringify(response.body));
}

type Api = ReturnType<typeof apiClient>;
type Member = Awaited<ReturnType<Api['newUser']>>;

async function listItem(api: Api, owner: Member, daily = 1_000, deposit = 5_000) {
  const created = await api.request('POST', '/v1/items', {
    token: owner.accessToken,
    body: {
      title: 'Camping tent',
      category: 'camping',
      dailyPrice: { amount: daily, currency: 'EUR' },
      deposit: { amount: deposit, currency: 'EUR' },
      condition: 'good',
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body as { id: string };
}

async function topUp(api: Api, member: Member, amount: number) {
  const response = await api.request('POST', '/v1/wallet/top-ups', {
    token: member.accessToken,
    body: { amount, currency: 'EUR' },
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
}

async function wallet(api: Api, member: Member) {
  const response = await api.request('GET', '/v1/wallet', { token: member.accessToken });
  assert.equal(response.status, 200);
  return (response.body.balances as { currency: string; balance: number; available: number; held: number }[]).find(
    (b) => b.currency === 'EUR',
  );
}

for (const name of topologies) {
  describe(name, () => {
    let topology: Topology;
    let api: Api;

    before(async () => {
      // rentals and payments on databases of their own, as two-phase settlement is meant to run.
      const { pgUrl } = testServers();
      const [rentalsUrl, paymentsUrl] = await Promise.all([createDatabase(pgUrl), createDatabase(pgUrl)]);
      topology = await startTopology(name, {
        RENTALS_DATABASE_URL: rentalsUrl,
        PAYMENTS_DATABASE_URL: paymentsUrl,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
      });
      api = apiClient(topology.baseUrl);
    });

    after(async () => {
      await topology?.stop();
    });

    test('unlisting pauses new bookings only; retiring cancels those not handed over; an account with an item out on rent stays', async () => {
      const [owner, renter, latecomer] = await Promise.all([
        api.newUser('owner'),
        api.newUser('renter'),
        api.newUser('latecomer'),
      ]);
      const login = await api.request('POST', '/v1/auth/login', {
        body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      const admin = login.body.accessToken as string;
      const item = await listItem(api, owner);
      await topUp(api, renter, 40_000);
      await topUp(api, latecomer, 40_000);
      const rent = (who: Member, when: { from: string; to: string }) =>
        api.request('POST', '/v1/rentals', { token: who.accessToken, body: { itemId: item.id, ...when } });
      const now = await rent(renter, period(1));
      assert.equal(now.body.status, 'active', JSON.stringify(now.body));
      const later = await rent(renter, period(2, 5));
      assert.equal(later.body.status, 'confirmed', JSON.stringify(later.body));

      const unlisted = await api.request('POST', `/v1/items/${item.id}/unlist`, { token: owner.accessToken });
      assert.equal(unlisted.status, 200, JSON.stringify(unlisted.body));
      assertProblem(await rent(latecomer, period(1, 10)), 409, 'rentals.itemUnlisted');
      const stillBooked = await api.request('GET', `/v1/rentals/${later.body.id}`, { token: renter.accessToken });
      assert.equal(stillBooked.body.status, 'confirmed', 'unlisting leaves existing bookings valid');

      const refused = await api.request('DELETE', `/v1/users/${renter.id}`, { token: admin });
      assertProblem(refused, 409, 'identity.activeRentals');
      assert.match(refused.body.detail, /1 rental handed over and not yet returned/);
      assertProblem(
        await api.request('DELETE', `/v1/users/${owner.id}`, { token: admin }),
        409,
        'identity.activeRentals',
      );

      const retired = await api.request('DELETE', `/v1/items/${item.id}`, { token: owner.accessToken });
      assert.equal(retired.status, 204, JSON.stringify(retired.body));
      const cancelled = await eventually('the booking not handed over to be cancelled', async () => {
        const got = await api.request('GET', `/v1/rentals/${later.body.id}`, { token: renter.accessToken });
        return got.body.status === 'cancelled' ? got.body : undefined;
      });
      assert.match(cancelled.failure.detail, /item was retired; fee and deposit refunded in full/);
      const returned = await api.request('POST', `/v1/rentals/${now.body.id}/return`, { token: owner.accessToken });
      assert.equal(returned.status, 200, JSON.stringify(returned.body));
      assert.equal(returned.body.status, 'completed', 'the rental handed over goes on to its return');
      assert.deepEqual(await wallet(api, renter), {
        currency: 'EUR',
        balance: 40_000 - now.body.fee.amount,
        available: 40_000 - now.body.fee.amount,
        held: 0,
      });
      assert.equal((await api.request('DELETE', `/v1/users/${renter.id}`, { token: admin })).status, 204);
    });

    test('top up → rent → return through the public API', async () => {
      const [owner, renter, stranger] = await Promise.all([
        api.newUser('owner'),
        api.newUser('renter'),
        api.newUser('stranger'),
      ]);
      const item = await listItem(api, owner);
      await topUp(api, renter, 20_000);

      const started = Date.now();
      const created = await api.request('POST', '/v1/rentals', {
        token: renter.accessToken,
        body: { itemId: item.id, ...period(3) },
        headers: { 'idempotency-key': randomUUID() },
      });
      const rentMs = Date.now() - started;
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const rental = created.body;
      assert.equal(rental.status, 'active');
      assert.deepEqual([rental.fee.amount, rental.deposit.amount, rental.total.amount], [3_000, 5_000, 8_000]);
      assert.deepEqual(
        rental.steps.map((s: { name: string }) => s.name),
        ['reserveItem', 'authorizePayment', 'confirmRental', 'markItemInUse'],
      );
      assert.ok(rental.handedOverAt, 'a period that started today is handed over at once');
      assert.deepEqual(await wallet(api, renter), { currency: 'EUR', balance: 20_000, available: 12_000, held: 8_000 });
      const listed = await api.request('GET', `/v1/items/${item.id}`);
      assert.equal(listed.body.status, 'listed', 'the item stays listed: bookings live in the calendar');
      assert.equal('reservationId' in listed.body, false, 'the public view shows no reservation');
      const handedOver = await api.request('POST', `/v1/rentals/${rental.id}/handover`, { token: owner.accessToken });
      assert.deepEqual(
        [handedOver.status, handedOver.body.status],
        [200, 'active'],
        'the owner recording the pick-up again changes nothing',
      );

      for (const viewer of [renter, owner]) {
        const seen = await api.request('GET', `/v1/rentals/${rental.id}`, { token: viewer.accessToken });
        assert.equal(seen.status, 200);
        assert.equal(seen.body.id, rental.id);
        assert.ok(
          seen.body.steps.every((s: { startedAt: string; finishedAt: string }) => s.startedAt && s.finishedAt),
          'steps carry their timestamps',
        );
      }
      const mine = await api.request('GET', '/v1/rentals?role=renter', { token: renter.accessToken });
      assert.deepEqual([mine.status, mine.body.total, mine.body.rentals[0].id], [200, 1, rental.id]);
      const owned = await api.request('GET', '/v1/rentals?role=owner&status=active', { token: owner.accessToken });
      assert.deepEqual([owned.body.total, owned.body.rentals[0].id], [1, rental.id]);
      assertProblem(
        await api.request('GET', `/v1/rentals/${rental.id}`, { token: stranger.accessToken }),
        404,
        'rentals.rentalNotFound',
      );

      assertProblem(
        await api.request('POST', `/v1/rentals/${rental.id}/return`, { token: renter.accessToken }),
        403,
        'rentals.notParticipant',
      );
      const returnStarted = Date.now();
      const returned = await api.request('POST', `/v1/rentals/${rental.id}/return`, { token: owner.accessToken });
      const returnMs = Date.now() - returnStarted;
      assert.equal(returned.status, 200, JSON.stringify(returned.body));
      assert.equal(returned.body.status, 'completed');
      assert.deepEqual(await wallet(api, renter), { currency: 'EUR', balance: 17_000, available: 17_000, held: 0 });
      assert.deepEqual(await wallet(api, owner), { currency: 'EUR', balance: 3_000, available: 3_000, held: 0 });
      await eventually('the item to be available again', async () =>
        (await api.request('GET', `/v1/items/${item.id}`)).body.status === 'listed' ? true : undefined,
      );
      console.log(`# ${name}: POST /v1/rentals ${rentMs} ms, POST /v1/rentals/{id}/return ${returnMs} ms`);
    });

    test('a rental reaches the catalog and both inboxes; the return and a cancellation release the booking', async () => {
      const [owner, renter] = await Promise.all([api.newUser('owner'), api.newUser('renter')]);
      const tag = `w${randomUUID().replaceAll('-', '').slice(0, 10)}`;
      const listed = await api.request('POST', '/v1/items', {
        token: owner.accessToken,
        body: {
          title: `Drill ${tag}`,
          category: 'tools',
          dailyPrice: { amount: 1_000, currency: 'EUR' },
          deposit: { amount: 5_000, currency: 'EUR' },
          condition: 'good',
        },
      });
      assert.equal(listed.status, 201, JSON.stringify(listed.body));
      const itemId: string = listed.body.id;
      await topUp(api, renter, 40_000);
      // Events reach the catalog and notifications asynchronously (in split, over Redis Streams).
      const WAIT_MS = 45_000;
      const booked = async (periods: { from: string; to: string }[]) => {
        const hit = (await api.request('GET', `/v1/catalog/search?q=${tag}`)).body.items?.[0];
        return hit?.id === itemId && JSON.stringify(hit.availability.bookedPeriods) === JSON.stringify(periods)
          ? true
          : undefined;
      };
      const free = async (p: { from: string; to: string }) =>
        (
          await api.request('GET', `/v1/catalog/search?q=${tag}&availableFrom=${p.from}&availableTo=${p.to}`)
        ).body.items.map((h: { id: string }) => h.id);
      type Notice = { kind: string; title: string; body: string; data: Record<string, unknown> };
      const noticesOf = async (member: Member, rentalId: string): Promise<Notice[]> =>
        (await api.request('GET', '/v1/notifications?limit=100', { token: member.accessToken })).body.items.filter(
          (n: Notice) => n.data.rentalId === rentalId,
        );
      const notice = (member: Member, rentalId: string, kind: string) =>
        eventually(
          `${kind} for ${member.email}`,
          async () => (await noticesOf(member, rentalId)).find((n) => n.kind === kind),
          WAIT_MS,
        );

      const first = period(3);
      const rented = await api.request('POST', '/v1/rentals', {
        token: renter.accessToken,
        body: { itemId, ...first },
      });
      assert.equal(rented.status, 201, JSON.stringify(rented.body));
      await eventually('the booking in the catalog', () => booked([first]), WAIT_MS);
      assert.deepEqual(await free(first), [], 'the booked period is not free');
      assert.match(
        (await notice(owner, rented.body.id, 'rentalConfirmed')).title,
        new RegExp(`^“Drill ${tag}” was rented for \\d`),
      );
      assert.equal(
        (await notice(renter, rented.body.id, 'rentalConfirmed')).title,
        `Your rental of “Drill ${tag}” is confirmed`,
      );

      const returned = await api.request('POST', `/v1/rentals/${rented.body.id}/return`, { token: owner.accessToken });
      assert.equal(returned.status, 200, JSON.stringify(returned.body));
      await eventually('the return to free the period', () => booked([]), WAIT_MS);
      assert.deepEqual(await free(first), [itemId]);
      assert.equal(
        (await notice(renter, rented.body.id, 'rentalCompleted')).body,
        `“Drill ${tag}” was returned; your deposit was released.`,
      );
      await notice(owner, rented.body.id, 'rentalCompleted');

      await eventually(
        'the item back',
        async () => ((await api.request('GET', `/v1/items/${itemId}`)).body.status === 'listed' ? true : undefined),
        WAIT_MS,
      );
      const second = period(2, 20);
      const again = await api.request('POST', '/v1/rentals', {
        token: renter.accessToken,
        body: { itemId, ...second },
      });
      assert.equal(again.status, 201, JSON.stringify(again.body));
      await eventually('the second booking', () => booked([second]), WAIT_MS);
      const cancelled = await api.request('POST', `/v1/rentals/${again.body.id}/cancel`, { token: renter.accessToken });
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      await eventually('the cancellation to free the period', () => booked([]), WAIT_MS);
      for (const member of [owner, renter])
        for (const kind of ['rentalConfirmed', 'rentalCancelled']) await notice(member, again.body.id, kind);

      // Each event told each party once.
      for (const [member, rentalId, kinds] of [
        [owner, rented.body.id, ['rentalCompleted', 'rentalConfirmed']],
        [renter, rented.body.id, ['rentalCompleted', 'rentalConfirmed']],
        [owner, again.body.id, ['rentalCancelled', 'rentalConfirmed']],
        [renter, again.body.id, ['rentalCancelled', 'rentalConfirmed']],
      ] as const) {
        assert.deepEqual(
          (await noticesOf(member, rentalId)).map((n) => n.kind).sort(),
          kinds,
          `${member.email}, rental ${rentalId}`,
        );
      }
    });

    test('401, 404, 409, 400 and 422 paths are problem+json', async () => {
      const [owner, renter, other] = await Promise.all([
        api.newUser('owner'),
        api.newUser('renter'),
        api.newUser('other'),
      ]);
      const item = await listItem(api, owner);
      await Promise.all([topUp(api, renter, 20_000), topUp(api, other, 20_000)]);
      const body = { itemId: item.id, ...period(2, 5) };

      assertProblem(await api.request('POST', '/v1/rentals', { body }), 401, 'unauthorized');
      assertProblem(await api.request('GET', '/v1/rentals'), 401, 'unauthorized');
      assertProblem(await api.request('GET', `/v1/rentals/${randomUUID()}`), 401, 'unauthorized');
      assertProblem(
        await api.request('GET', `/v1/rentals/${randomUUID()}`, { token: renter.accessToken }),
        404,
        'rentals.rentalNotFound',
      );
      assertProblem(
        await api.request('POST', `/v1/rentals/${randomUUID()}/return`, { token: owner.accessToken }),
        404,
        'rentals.rentalNotFound',
      );
      assertProblem(
        await api.request('POST', '/v1/rentals', {
          token: renter.accessToken,
          body: { ...body, itemId: randomUUID() },
        }),
        404,
        'rentals.itemNotFound',
      );
      assertProblem(
        await api.request('POST', '/v1/rentals', { token: owner.accessToken, body }),
        422,
        'rentals.ownItem',
      );
      assertProblem(
        await api.request('POST', '/v1/rentals', {
          token: renter.accessToken,
          body: { ...body, from: body.to, to: body.from },
        }),
        400,
        'rentals.invalidPeriod',
      );
      assertProblem(
        await api.request('POST', '/v1/rentals', {
          token: renter.accessToken,
          body: { itemId: 'nope', from: 'yesterday' },
        }),
        400,
        'validationFailed',
      );
      for (const [from, to] of [
        ['0000-01-01', '0000-01-02'],
        ['9999-12-31', '9999-12-31'],
        ['2026-02-30', '2026-03-01'],
        ['0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z'],
      ]) {
        const extreme = await api.request('POST', '/v1/rentals', {
          token: renter.accessToken,
          body: { itemId: item.id, from, to },
        });
        assert.ok(extreme.status === 400 || extreme.status === 422, `${from} – ${to}: ${JSON.stringify(extreme.body)}`);
        assert.equal(extreme.headers.get('content-type'), 'application/problem+json');
      }
      assertProblem(
        await api.request('POST', '/v1/rentals', {
          token: renter.accessToken,
          body: { itemId: item.id, ...period(91, 1) },
        }),
        422,
        'rentals.periodTooLong',
      );
      assertProblem(
        await api.request('POST', '/v1/rentals', {
          token: renter.accessToken,
          body: { itemId: item.id, ...period(2, 400) },
        }),
        422,
        'rentals.startsTooFarAhead',
      );
      assertProblem(
        await api.request('POST', '/v1/rentals', {
          token: renter.accessToken,
          body: { itemId: item.id, ...period(2, -1) },
        }),
        400,
        'rentals.invalidPeriod',
      );

      const first = await api.request('POST', '/v1/rentals', { token: renter.accessToken, body });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assertProblem(
        await api.request('POST', '/v1/rentals', { token: other.accessToken, body: { ...body, ...period(2, 6) } }),
        409,
        'rentals.periodTaken',
      );
      // A period that does not overlap is booked beside it: the item has a calendar.
      const later = await api.request('POST', '/v1/rentals', {
        token: other.accessToken,
        body: { ...body, ...period(2, 20) },
      });
      assert.deepEqual([later.status, later.body.status], [201, 'confirmed'], JSON.stringify(later.body));
      assert.deepEqual(await wallet(api, other), { currency: 'EUR', balance: 20_000, available: 13_000, held: 7_000 });
      // Before the start: no handover, no return.
      assertProblem(
        await api.request('POST', `/v1/rentals/${first.body.id}/handover`, { token: owner.accessToken }),
        409,
        'rentals.handoverTooEarly',
      );
      assertProblem(
        await api.request('POST', `/v1/rentals/${first.body.id}/handover`, { token: renter.accessToken }),
        403,
        'rentals.notParticipant',
      );
      assertProblem(
        await api.request('POST', `/v1/rentals/${first.body.id}/return`, { token: owner.accessToken }),
        409,
        'rentals.notHandedOver',
      );
      const declined = await api.request('POST', `/v1/rentals/${later.body.id}/cancel`, { token: owner.accessToken });
      assert.deepEqual([declined.status, declined.body.status], [200, 'cancelled'], 'the owner declines');
      assert.deepEqual(
        await wallet(api, other),
        { currency: 'EUR', balance: 20_000, available: 20_000, held: 0 },
        'full refund',
      );

      const poor = await api.newUser('poor');
      const poorItem = await listItem(api, owner);
      assertProblem(
        await api.request('POST', '/v1/rentals', {
          token: poor.accessToken,
          body: { itemId: poorItem.id, ...period(1) },
        }),
        422,
        'rentals.insufficientFunds',
      );
      assert.equal(
        (await api.request('GET', `/v1/items/${poorItem.id}`)).body.status,
        'listed',
        'the failed rental left the item listed',
      );

      const cancelled = await api.request('POST', `/v1/rentals/${first.body.id}/cancel`, { token: renter.accessToken });
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      assert.equal(cancelled.body.status, 'cancelled');
      assert.deepEqual(await wallet(api, renter), { currency: 'EUR', balance: 20_000, available: 20_000, held: 0 });
      assertProblem(
        await api.request('POST', `/v1/rentals/${first.body.id}/return`, { token: owner.accessToken }),
        409,
        'rentals.notReturnable',
      );
    });

    test('6 renters asking for overlapping periods of one item at once: one 201, the rest 409 periodTaken', async () => {
      const owner = await api.newUser('owner');
      const item = await listItem(api, owner);
      // Registered one after another: password hashing is slow on purpose, and only the rentals race.
      const renters: Member[] = [];
      for (let i = 0; i < 6; i++) renters.push(await api.newUser(`racer${i}`));
      for (const r of renters) await topUp(api, r, 20_000);
      const responses = await Promise.all(
        renters.map((r, i) =>
          api.request('POST', '/v1/rentals', {
            token: r.accessToken,
            body: { itemId: item.id, ...period(3 + (i % 3), 2 + (i % 2)) },
          }),
        ),
      );
      assert.deepEqual(
        responses.map((r) => r.status).sort(),
        [201, ...Array(5).fill(409)],
        JSON.stringify(responses.map((r) => r.body.code ?? r.body.status)),
      );
      for (const r of responses.filter((r) => r.status === 409)) assertProblem(r, 409, 'rentals.periodTaken');
    });

    test('50 concurrent POST /v1/rentals with one Idempotency-Key make one rental', async () => {
      const [owner, renter] = await Promise.all([api.newUser('owner'), api.newUser('renter')]);
      const item = await listItem(api, owner);
      await topUp(api, renter, 20_000);
      const key = randomUUID();
      const body = { itemId: item.id, ...period(2) };
      const responses = await Promise.all(
        Array.from({ length: 50 }, () =>
          api.request('POST', '/v1/rentals', { token: renter.accessToken, body, headers: { 'idempotency-key': key } }),
        ),
      );
      const statuses = responses.map((r) => r.status);
      assert.ok(
        statuses.every((s) => s === 201 || s === 409),
        JSON.stringify(statuses),
      );
      const created = responses.filter((r) => r.status === 201);
      assert.ok(created.length >= 1, 'the first request made the rental');
      assert.equal(new Set(created.map((r) => r.body.id)).size, 1, 'every 201 is the same rental');
      for (const r of responses.filter((r) => r.status === 409))
        assert.equal(r.body.code, 'idempotencyRequestInFlight');
      const replay = await api.request('POST', '/v1/rentals', {
        token: renter.accessToken,
        body,
        headers: { 'idempotency-key': key },
      });
      assert.deepEqual(
        [replay.status, replay.body.id, replay.headers.get('idempotent-replayed')],
        [201, created[0]!.body.id, 'true'],
      );
      const mine = await api.request('GET', '/v1/rentals?role=renter', { token: renter.accessToken });
      assert.equal(mine.body.total, 1, 'one rental');
      assert.deepEqual(await wallet(api, renter), { currency: 'EUR', balance: 20_000, available: 13_000, held: 7_000 });
    });

    test('the Idempotency-Key reaches the rental: with the stored response gone, a retry still gets the same rental', async () => {
      const [owner, renter] = await Promise.all([api.newUser('owner'), api.newUser('renter')]);
      const item = await listItem(api, owner);
      await topUp(api, renter, 20_000);
      const key = randomUUID();
      const body = { itemId: item.id, ...period(2) };
      const rent = (k: string, b: object = body) =>
        api.request('POST', '/v1/rentals', { token: renter.accessToken, body: b, headers: { 'idempotency-key': k } });
      // As if the key's record expired, or the retry went to a gateway that never saw it.
      const forgetStoredResponse = async () => {
        const redis = new Redis(topology.env.REDIS_URL!, { keyPrefix: topology.env.REDIS_KEY_PREFIX });
        try {
          assert.equal(
            await redis.del(idempotencyStoreKey(renter.id, 'POST', '/v1/rentals', key)),
            1,
            'the stored response existed',
          );
        } finally {
          redis.disconnect();
        }
      };
      const first = await rent(key);
      assert.equal(first.status, 201, JSON.stringify(first.body));
      await forgetStoredResponse();
      const retry = await rent(`"${key}"`); // the draft's quoted form is the same key
      assert.deepEqual(
        [retry.status, retry.body.id, retry.body.status, retry.headers.get('idempotent-replayed')],
        [201, first.body.id, 'active', null],
      );
      await forgetStoredResponse();
      assertProblem(await rent(key, { ...body, ...period(2, 30) }), 422, 'rentals.requestKeyReused');
      const mine = await api.request('GET', '/v1/rentals?role=renter', { token: renter.accessToken });
      assert.equal(mine.body.total, 1, 'one rental');
      assert.deepEqual(await wallet(api, renter), { currency: 'EUR', balance: 20_000, available: 13_000, held: 7_000 });
    });

    test('rentals routes are in /openapi.json', async () => {
      const doc = (await (await fetch(`${topology.baseUrl}/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { operationId?: string }>>;
      };
      for (const [method, path] of RENTALS_ROUTES)
        assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} is documented`);
      assert.equal(doc.paths['/v1/rentals']?.post?.operationId, 'rentals.createRental');
      const internal = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
      for (const op of ['rentals.twoPhaseDecision', 'payments.prepareSettlement', 'payments.finishPrepared'])
        assert.ok(!internal.includes(op), `${op} is internal`);
    });
  });
}

describe('monolith on embedded PGlite (no prepared transactions: one-phase settlement)', () => {
  let dataDir: string;
  let runtime: BootedRuntime | undefined;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'shareloop-rentals-pglite-'));
    runtime = await bootRuntime(process.execPath, ['--import', 'tsx', 'src/runtimes/monolith.ts'], {
      DATA_DIR: dataDir,
      RATE_LIMIT_AUTH_PER_MINUTE: '1000',
    });
  });

  after(async () => {
    await runtime?.stop('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  test('rent (whole days), hand over, return: settled in one local transaction, no prepared transactions needed', async () => {
    const api = apiClient(runtime!.baseUrl);
    const [owner, renter] = [await api.newUser('owner'), await api.newUser('renter')];
    const item = await listItem(api, owner);
    await topUp(api, renter, 20_000);
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + DAY).toISOString().slice(0, 10);
    const created = await api.request('POST', '/v1/rentals', {
      token: renter.accessToken,
      body: { itemId: item.id, from: today, to: tomorrow },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(
      [created.body.days, created.body.from.slice(0, 10), created.body.to.slice(0, 10)],
      [2, today, new Date(Date.now() + 2 * DAY).toISOString().slice(0, 10)],
      'to as a day runs through its end',
    );
    const overlapping = await api.request('POST', '/v1/rentals', {
      token: (await api.newUser('other')).accessToken,
      body: { itemId: item.id, from: tomorrow, to: tomorrow },
    });
    assertProblem(overlapping, 409, 'rentals.periodTaken');
    const handedOver = await api.request('POST', `/v1/rentals/${created.body.id}/handover`, {
      token: owner.accessToken,
    });
    assert.deepEqual([handedOver.status, handedOver.body.status], [200, 'active']);
    const returned = await api.request('POST', `/v1/rentals/${created.body.id}/return`, { token: owner.accessToken });
    assert.deepEqual([returned.status, returned.body.status], [200, 'completed'], JSON.stringify(returned.body));
    assert.deepEqual(await wallet(api, renter), { currency: 'EUR', balance: 18_000, available: 18_000, held: 0 });
    assert.deepEqual(await wallet(api, owner), { currency: 'EUR', balance: 2_000, available: 2_000, held: 0 });
    const again = await api.request('POST', `/v1/rentals/${created.body.id}/return`, { token: owner.accessToken });
    assert.deepEqual([again.status, again.body.status], [200, 'completed'], 'a repeated return changes nothing');
    assert.equal((await wallet(api, owner))?.balance, 2_000);
  });
});
