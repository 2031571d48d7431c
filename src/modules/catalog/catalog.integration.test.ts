import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { periodOf } from '../../../test/rentals/support/world.ts';
import { testServers } from '../../../test/support/env.ts';
import { createDatabase } from '../../../test/support/services.ts';
import { startTestHost, type TestHost } from '../../../test/support/test-host.ts';
import type { Bus } from '../../shared/bus/bus.ts';
import type { InputOf } from '../../shared/bus/contract.ts';
import { systemContext, type Caller } from '../../shared/bus/context.ts';
import { AppError } from '../../shared/bus/errors.ts';
import type { Db } from '../../shared/db/database.ts';
import type { Envelope, EventMessage } from '../../shared/events/envelope.ts';
import { identity } from '../identity/contract.ts';
import { identityModule } from '../identity/module.ts';
import { inventory } from '../inventory/contract.ts';
import { inventoryModule } from '../inventory/module.ts';
import { payments } from '../payments/contract.ts';
import { paymentsModule } from '../payments/module.ts';
import { rentals } from '../rentals/contract.ts';
import { rentalsModule } from '../rentals/module.ts';
import { catalog } from './contract.ts';
import { recordBooking } from './handlers/record-booking.ts';
import { catalogModule } from './module.ts';
import { eventually } from '../../../test/support/eventually.ts';

const ADMIN_EMAIL = 'catalog-admin@example.test';
const ADMIN_PASSWORD = 'catalog admin password 0123';
const PASSWORD = 'correct horse battery';

let host: TestHost;
let bus: Bus;
let sql: postgres.Sql;
let rentalsSql: postgres.Sql;
let catalogDb: Db;
let admin: Caller;

type SearchInput = InputOf<typeof catalog.ops.searchItems>;
type Page = Awaited<ReturnType<typeof search>>;
type Hit = Page['items'][number];

const ctx = (caller?: Caller) => systemContext(caller ? { caller } : {});
/** A caller inventory accepts without an account (inventory does not check owners exist). */
const stranger = (): Caller => ({ userId: randomUUID(), role: 'member' });
/** A word no other test uses, so each test searches only its own items. */
const word = () => `w${randomUUID().replaceAll('-', '').slice(0, 10)}`;

function search(input: SearchInput) {
  return bus.call(catalog.ops.searchItems, input, ctx());
}

/** Polls until probe returns a value, draining the in-process event path before each look. */
function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<T> {
  return eventually(
    what,
    async () => {
      await host.platform.events.drain();
      return probe();
    },
    timeoutMs,
  );
}

/** Waits until every event published so far has been delivered (in-process, delivery precedes sent_at). */
async function settle(): Promise<void> {
  await until('the outboxes to drain', async () => {
    const [row] = await sql<{ n: number }[]>`
      select (select count(*) from inventory.outbox where sent_at is null) + (select count(*) from identity.outbox where sent_at is null) as n`;
    return Number(row!.n) === 0 ? true : undefined;
  });
}

/** Polls a search until its hits satisfy check. */
function searchUntil(what: string, input: SearchInput, check: (hits: Hit[]) => boolean): Promise<Hit[]> {
  return until(what, async () => {
    const { items } = await search(input);
    return check(items) ? items : undefined;
  });
}

async function rejectsWith(call: Promise<unknown>, code: string): Promise<AppError> {
  const error = await call.then(
    (value) => assert.fail(`expected ${code}, got ${JSON.stringify(value)}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof AppError, String(error));
  assert.equal(error.code, code, error.detail);
  return error;
}

const listing = (
  overrides: Partial<{ title: string; description: string; category: string; price: number; currency: string }> = {},
) => ({
  title: overrides.title ?? 'Cordless drill',
  description: overrides.description ?? '18V',
  category: overrides.category ?? 'power-tools',
  dailyPrice: { amount: overrides.price ?? 800, currency: overrides.currency ?? 'EUR' },
  deposit: { amount: 5000, currency: overrides.currency ?? 'EUR' },
  condition: 'good' as const,
});

function createItem(owner: Caller, overrides: Parameters<typeof listing>[0] = {}) {
  return bus.call(inventory.ops.createItem, listing(overrides), ctx(owner));
}

/** A registered member: its caller identity and access token. */
async function member(displayName: string) {
  const email = `${displayName.toLowerCase().replace(/\W/g, '')}-${randomUUID().slice(0, 8)}@example.test`;
  const user = await bus.call(identity.ops.register, { email, password: PASSWORD, displayName }, ctx());
  const tokens = await bus.call(identity.ops.login, { email, password: PASSWORD }, ctx());
  return { caller: { userId: user.id, role: 'member' } as Caller, token: tokens.accessToken };
}

/** A message as a transport would deliver it, for replaying through a consumer. */
function message<P>(event: string, aggregateId: string, payload: P, occurredAt = new Date()): EventMessage<P> {
  const messageId = randomUUID();
  const envelope: Envelope = {
    messageId,
    event,
    version: 1,
    aggregateId,
    correlationId: messageId,
    causationId: messageId,
    occurredAt: occurredAt.toISOString(),
  };
  return { envelope, payload };
}

/** What a reader of the catalog sees of every item (per-field version bookkeeping left out). */
async function dumpItems() {
  return sql`
    select item_id, owner_id, owner_name, title, description, category, daily_price_amount, daily_price_currency,
           deposit_amount, deposit_currency, condition, status, version, listed_at is not null as listed
    from catalog.items order by item_id`;
}

async function dumpTimes() {
  return sql<
    { item_id: string; listed_at: Date | null; updated_at: Date }[]
  >`select item_id, listed_at, updated_at from catalog.items order by item_id`;
}

async function dumpOwners() {
  return sql`select user_id, display_name from catalog.owners where not deleted order by user_id`;
}

/** A renter with money for a few rentals (payments does not check that the account exists). */
async function renter(): Promise<Caller> {
  const caller = stranger();
  await bus.call(payments.ops.topUpWallet, { amount: 100_000, currency: 'EUR' }, ctx(caller));
  return caller;
}

function rent(caller: Caller, itemId: string, period: { from: string; to: string }) {
  return bus.call(rentals.ops.createRental, { itemId, ...period }, ctx(caller));
}

/** The rental facts rentals' events carry, for crafted messages. */
const rentalFacts = (itemId: string, period: { from: string; to: string }, rentalId = randomUUID()) => ({
  rentalId,
  itemId,
  renterId: randomUUID(),
  ownerId: randomUUID(),
  ...period,
});

/** Replays a message through one of catalog's consumers, as a redelivery would. */
function deliver(consumer: 'bookRental' | 'endBooking' | 'cancelBooking', msg: EventMessage) {
  return host.platform.events.replay(`catalog.${consumer}`, msg);
}

/** The message rentals' relay sent for a rental's event (kept in its outbox). */
async function sentMessage(event: string, rentalId: string): Promise<EventMessage> {
  const [row] = await rentalsSql<{ envelope: Envelope; payload: unknown }[]>`
    select envelope, payload from rentals.outbox where event = ${event} and aggregate_id = ${rentalId} order by seq desc limit 1`;
  assert.ok(row, `no ${event} for ${rentalId} in rentals' outbox`);
  return { envelope: row.envelope, payload: row.payload };
}

async function bookingState(rentalId: string): Promise<string | undefined> {
  const [row] = await sql<{ state: string }[]>`select state from catalog.bookings where rental_id = ${rentalId}`;
  return row?.state;
}

/** Search hits of a tag that are free for a whole period. */
async function freeFor(tag: string, period: { from: string; to: string }): Promise<string[]> {
  return (await search({ q: tag, availableFrom: period.from, availableTo: period.to })).items.map((h) => h.id).sort();
}

/** What search shows as an item's booked periods, once it equals `periods`. */
function bookedUntil(what: string, tag: string, itemId: string, periods: { from: string; to: string }[]) {
  return searchUntil(
    what,
    { q: tag },
    (hits) => JSON.stringify(hits.find((h) => h.id === itemId)?.availability.bookedPeriods) === JSON.stringify(periods),
  );
}

/** Starts a rebuild and waits for it to finish; returns its outcome. */
async function rebuildAndWait() {
  const started = await bus.call(catalog.ops.rebuild, {}, ctx(admin));
  return until(
    'the rebuild to finish',
    async () => {
      const status = await bus.call(catalog.ops.getRebuildStatus, {}, ctx(admin));
      return status.last?.rebuildId === started.rebuildId ? status.last : undefined;
    },
    60_000,
  );
}

before(async () => {
  // Rentals feed bookings and are a rebuild's source; they and payments get databases of their own, as settlement needs.
  const [rentalsUrl, paymentsUrl] = await Promise.all([
    createDatabase(testServers().pgUrl),
    createDatabase(testServers().pgUrl),
  ]);
  Object.assign(process.env, { RENTALS_DATABASE_URL: rentalsUrl, PAYMENTS_DATABASE_URL: paymentsUrl });
  host = await startTestHost([identityModule, inventoryModule, paymentsModule, rentalsModule, catalogModule], {
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    EVENT_RETRY_DELAY_MS: '10',
  });
  bus = host.platform.bus;
  sql = postgres(host.databaseUrl, { max: 2, onnotice: () => {} });
  rentalsSql = postgres(rentalsUrl, { max: 2, onnotice: () => {} });
  catalogDb = (await host.platform.database('catalog')).db;
  const tokens = await bus.call(identity.ops.login, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, ctx());
  const claims = await bus.call(identity.ops.validateToken, { token: tokens.accessToken }, ctx());
  admin = { userId: claims.userId, role: claims.role };
});

after(async () => {
  await sql?.end({ timeout: 5 });
  await rentalsSql?.end({ timeout: 5 });
  await host?.stop();
});

describe('fed by events', () => {
  test('an item listed through inventory is found once the relay drains, with its owner’s name', async () => {
    const { caller } = await member('Grace Hopper');
    const tag = word();
    const item = await createItem(caller, {
      title: `Camping tent ${tag}`,
      description: 'Sleeps four',
      category: 'camping',
      price: 1500,
    });
    const [hit] = await searchUntil('the new item', { q: tag }, (hits) => hits.length === 1);
    assert.deepEqual(
      { ...hit!, rank: undefined },
      {
        id: item.id,
        ownerId: caller.userId,
        ownerName: 'Grace Hopper',
        title: `Camping tent ${tag}`,
        description: 'Sleeps four',
        category: 'camping',
        dailyPrice: { amount: 1500, currency: 'EUR' },
        deposit: { amount: 5000, currency: 'EUR' },
        condition: 'good',
        status: 'listed',
        availability: { availableNow: true, bookedPeriods: [] },
        version: 1,
        listedAt: hit!.listedAt,
        updatedAt: hit!.updatedAt,
        rank: undefined,
      },
    );
    assert.ok(hit!.rank! > 0, 'a text search reports its rank');
  });

  test('edits and moves follow the item; unlisted and retired items leave the default results', async () => {
    const owner = stranger();
    const tag = word();
    const item = await createItem(owner, { title: `Ladder ${tag}` });
    await searchUntil('the ladder', { q: tag }, (hits) => hits.length === 1);
    await bus.call(
      inventory.ops.updateItem,
      { id: item.id, title: `Step ladder ${tag}`, dailyPrice: { amount: 300, currency: 'EUR' } },
      ctx(owner),
    );
    const [updated] = await searchUntil('the edit', { q: tag }, (hits) => hits[0]?.version === 2);
    assert.equal(updated!.title, `Step ladder ${tag}`);
    assert.equal(updated!.dailyPrice.amount, 300);
    assert.equal(updated!.availability.availableNow, true, 'listed and not booked now');
    await bus.call(inventory.ops.unlistItem, { id: item.id }, ctx(owner));
    const [unlisted] = await searchUntil('the unlisting', { q: tag, status: 'unlisted' }, (hits) => hits.length === 1);
    assert.equal(unlisted!.status, 'unlisted');
    assert.equal(unlisted!.availability.availableNow, false, 'an unlisted item takes no bookings');
    assert.deepEqual((await search({ q: tag })).items, [], 'unlisted items leave the default results');
    await bus.call(inventory.ops.relistItem, { id: item.id }, ctx(owner));
    await searchUntil('the relisting', { q: tag }, (hits) => hits[0]?.status === 'listed');
    const other = await createItem(owner, { title: `Ladder two ${tag}` });
    await bus.call(inventory.ops.retireItem, { id: other.id }, ctx(owner));
    await searchUntil(
      'the retirement',
      { q: tag, status: 'retired' },
      (hits) => hits.length === 1 && hits[0]!.id === other.id,
    );
    assert.deepEqual(
      (await search({ q: tag })).items.map((h) => h.id),
      [item.id],
    );
  });

  test('out-of-order delivery converges: an update and a move before the creation are not lost', async () => {
    const owner = stranger();
    const itemId = randomUUID();
    const tag = word();
    const base = Date.now() - 60_000;
    const t = (s: number) => new Date(base + s * 1000);
    const created = message(
      'inventory.itemCreated',
      itemId,
      { itemId, version: 1, ...listing({ title: `Kayak ${tag}`, price: 2000 }), ownerId: owner.userId },
      t(1),
    );
    const renamed = message(
      'inventory.itemUpdated',
      itemId,
      { itemId, ownerId: owner.userId, version: 2, changes: { title: `Sea kayak ${tag}` } },
      t(2),
    );
    const reserved = message(
      'inventory.itemStatusChanged',
      itemId,
      { itemId, ownerId: owner.userId, version: 3, from: 'available', to: 'reserved', reservationId: randomUUID() },
      t(3),
    );
    const repriced = message(
      'inventory.itemUpdated',
      itemId,
      { itemId, ownerId: owner.userId, version: 4, changes: { dailyPrice: { amount: 2500, currency: 'EUR' } } },
      t(4),
    );

    const events = host.platform.events;
    assert.equal(await events.replay('catalog.projectItemUpdated', repriced), 'applied');
    assert.equal(await events.replay('catalog.projectItemStatus', reserved), 'applied');
    assert.equal(
      (await search({ q: tag })).items.length,
      0,
      'an item whose creation has not arrived is not searchable yet',
    );
    assert.equal(await events.replay('catalog.projectItemUpdated', renamed), 'applied');
    assert.equal(await events.replay('catalog.projectItemCreated', created), 'applied');
    assert.equal(await events.replay('catalog.projectItemCreated', created), 'duplicate');

    const [hit] = (await search({ q: tag })).items;
    assert.ok(hit, 'the item is searchable once its creation arrived');
    assert.equal(hit.title, `Sea kayak ${tag}`, 'the creation must not overwrite the newer title');
    assert.equal(hit.dailyPrice.amount, 2500);
    assert.equal(hit.status, 'listed', 'an availability move from before listing statuses reads as listed');
    assert.equal(hit.version, 4);
    assert.equal(hit.description, '18V');
    assert.equal(hit.updatedAt, t(4).toISOString());

    // A stale event redelivered under a new message id changes nothing.
    const stale = message(
      'inventory.itemUpdated',
      itemId,
      {
        itemId,
        ownerId: owner.userId,
        version: 2,
        changes: { title: `Old ${tag}`, dailyPrice: { amount: 1, currency: 'EUR' } },
      },
      t(2),
    );
    await events.replay('catalog.projectItemUpdated', stale);
    const [after] = (await search({ q: tag })).items;
    assert.deepEqual([after!.title, after!.dailyPrice.amount, after!.version], [`Sea kayak ${tag}`, 2500, 4]);
  });

  test('an owner’s rename reaches every item of theirs; a deleted owner’s items are retired and their name leaves them', async () => {
    const { caller, token } = await member('Ada');
    const tag = word();
    await createItem(caller, { title: `Drill ${tag}` });
    await createItem(caller, { title: `Saw ${tag}` });
    await searchUntil(
      'both items named Ada',
      { q: tag },
      (hits) => hits.length === 2 && hits.every((h) => h.ownerName === 'Ada'),
    );
    const me = await bus.call(identity.ops.validateToken, { token }, ctx());
    await bus.call(
      identity.ops.updateMe,
      { displayName: 'Ada Lovelace' },
      ctx({ userId: me.userId, role: me.role, sessionId: me.sessionId }),
    );
    await searchUntil(
      'the new name on both items',
      { q: tag },
      (hits) => hits.length === 2 && hits.every((h) => h.ownerName === 'Ada Lovelace'),
    );

    // A registration replayed late (older than the rename) does not bring the old name back.
    await host.platform.events.replay(
      'catalog.projectOwnerRegistered',
      message(
        'identity.userRegistered',
        caller.userId,
        { userId: caller.userId, displayName: 'Ada' },
        new Date(Date.now() - 3_600_000),
      ),
    );
    assert.ok(
      (await search({ q: tag })).items.every((h) => h.ownerName === 'Ada Lovelace'),
      'an older name overwrote a newer one',
    );

    await bus.call(identity.ops.deleteUser, { id: caller.userId }, ctx(admin));
    // Inventory retires a deleted owner's items: gone from default search, nameless among the retired.
    await searchUntil(
      'the name gone, the items retired',
      { q: tag, status: 'retired' },
      (hits) => hits.length === 2 && hits.every((h) => h.ownerName === null),
    );
    assert.equal((await search({ q: tag })).items.length, 0, 'retired items are not offered');
  });

  test('an item listed before its owner is known gets the name when the owner’s event arrives', async () => {
    const owner = stranger();
    const tag = word();
    await createItem(owner, { title: `Projector ${tag}` });
    await searchUntil('the projector', { q: tag }, (hits) => hits.length === 1 && hits[0]!.ownerName === null);
    await host.platform.events.replay(
      'catalog.projectOwnerRegistered',
      message('identity.userRegistered', owner.userId, { userId: owner.userId, displayName: 'Late Owner' }),
    );
    assert.equal((await search({ q: tag })).items[0]!.ownerName, 'Late Owner');
  });
});

describe('search', () => {
  test('a title match ranks above a category match, above a description match', async () => {
    const owner = stranger();
    const tag = word();
    const inDescription = await createItem(owner, {
      title: `Paddle ${tag}`,
      description: 'Fits any canoe',
      category: 'water-sports',
    });
    const inTitle = await createItem(owner, {
      title: `Canoe ${tag}`,
      description: 'Two seats',
      category: 'water-sports',
    });
    const inCategory = await createItem(owner, {
      title: `Life vest ${tag}`,
      description: 'Adult size',
      category: 'canoe-gear',
    });
    const hits = await searchUntil('three matches', { q: `canoe ${tag}` }, (h) => h.length === 3);
    assert.deepEqual(
      hits.map((h) => h.id),
      [inTitle.id, inCategory.id, inDescription.id],
    );
    assert.ok(hits[0]!.rank! > hits[1]!.rank! && hits[1]!.rank! > hits[2]!.rank!, 'ranks must strictly decrease');
  });

  test('English stemming and web-search syntax: plurals match, -word excludes, "phrases" hold', async () => {
    const owner = stranger();
    const tag = word();
    const tents = await createItem(owner, { title: `Tents for camping ${tag}`, description: 'Two of them' });
    const tarp = await createItem(owner, { title: `Tarp ${tag}`, description: 'Camping shelter, not a tent' });
    await searchUntil('both', { q: tag }, (h) => h.length === 2);
    assert.deepEqual((await search({ q: `tent ${tag}` })).items.map((h) => h.id).sort(), [tents.id, tarp.id].sort());
    assert.deepEqual(
      (await search({ q: `camped ${tag} -tarp` })).items.map((h) => h.id),
      [tents.id],
    );
    assert.deepEqual(
      (await search({ q: `"camping shelter" ${tag}` })).items.map((h) => h.id),
      [tarp.id],
    );
  });

  test('filters: category, price range in a currency, status', async () => {
    const owner = stranger();
    const tag = word();
    const cheap = await createItem(owner, { title: `Hammer ${tag}`, price: 200, category: 'hand-tools' });
    const mid = await createItem(owner, { title: `Wrench ${tag}`, price: 500, category: 'hand-tools' });
    const dear = await createItem(owner, { title: `Jackhammer ${tag}`, price: 5000, category: 'power-tools' });
    const pounds = await createItem(owner, {
      title: `Chisel ${tag}`,
      price: 300,
      category: 'hand-tools',
      currency: 'GBP',
    });
    await searchUntil('all four', { q: tag }, (h) => h.length === 4);
    const ids = async (input: SearchInput) =>
      (await search({ q: tag, sort: 'price_asc', ...input })).items.map((h) => h.id);
    assert.deepEqual(await ids({ category: 'hand-tools' }), [cheap.id, pounds.id, mid.id]);
    assert.deepEqual(await ids({ currency: 'EUR', minPrice: 200, maxPrice: 500 }), [cheap.id, mid.id]);
    assert.deepEqual(await ids({ currency: 'EUR', minPrice: 201 }), [mid.id, dear.id]);
    assert.deepEqual(await ids({ currency: 'GBP' }), [pounds.id]);
    assert.deepEqual(await ids({ sort: 'price_desc', currency: 'EUR' }), [dear.id, mid.id, cheap.id]);
    await bus.call(inventory.ops.unlistItem, { id: mid.id }, ctx(owner));
    await searchUntil('the unlisting', { q: tag, status: 'unlisted' }, (h) => h.length === 1 && h[0]!.id === mid.id);
    assert.deepEqual(await ids({ status: 'listed', currency: 'EUR' }), [cheap.id, dear.id]);
    assert.deepEqual(await ids({ currency: 'EUR' }), [cheap.id, dear.id], 'listed only by default');
  });

  test('rejects an inverted price range, prices without a currency, a half period and a foreign cursor', async () => {
    await rejectsWith(search({ minPrice: 900, maxPrice: 100, currency: 'EUR' }), 'catalog.invalidPriceRange');
    await rejectsWith(search({ minPrice: 100 }), 'catalog.priceNeedsCurrency');
    await rejectsWith(search({ availableFrom: '2030-01-01' }), 'catalog.invalidPeriod');
    await rejectsWith(search({ availableFrom: '2030-01-05', availableTo: '2030-01-01' }), 'catalog.invalidPeriod');
    await rejectsWith(search({ cursor: 'not-a-cursor' }), 'catalog.invalidCursor');
    const { nextCursor } = await search({ limit: 1 });
    assert.ok(nextCursor, 'the catalog has more than one item by now');
    await rejectsWith(search({ cursor: nextCursor, sort: 'price_asc' }), 'catalog.invalidCursor');
    await rejectsWith(search({ limit: 51 }), 'validationFailed');
  });

  test('availability between dates: no overlapping confirmed booking, and not retired', async () => {
    const owner = stranger();
    const tag = word();
    const booked = await createItem(owner, { title: `Camera ${tag}` });
    const free = await createItem(owner, { title: `Tripod ${tag}` });
    const retired = await createItem(owner, { title: `Lens ${tag}` });
    await bus.call(inventory.ops.retireItem, { id: retired.id }, ctx(owner));
    await settle();
    assert.equal((await search({ q: tag })).items.length, 2);
    const book = (
      rentalId: string,
      from: string,
      to: string,
      state: 'confirmed' | 'completed' | 'cancelled',
      itemId = booked.id,
    ) =>
      catalogDb.transaction((tx) =>
        recordBooking(message(`rentals.rental.${state}`, rentalId, { rentalId, itemId, from, to }), tx, state),
      );
    const confirmed = randomUUID();
    await book(confirmed, '2030-07-10T00:00:00Z', '2030-07-15T00:00:00Z', 'confirmed');
    // A cancellation that overtook its confirmation: the confirmation arriving later changes nothing.
    const cancelled = randomUUID();
    await book(cancelled, '2030-08-01T00:00:00Z', '2030-08-05T00:00:00Z', 'cancelled');
    await book(cancelled, '2030-08-01T00:00:00Z', '2030-08-05T00:00:00Z', 'confirmed');

    const free_ = async (from: string, to: string) =>
      (await search({ q: tag, availableFrom: from, availableTo: to })).items.map((h) => h.id).sort();
    assert.deepEqual(await free_('2030-07-12', '2030-07-13'), [free.id]);
    assert.deepEqual(
      await free_('2030-07-01', '2030-07-09'),
      [booked.id, free.id].sort(),
      'a period ending the day before the booking starts does not overlap',
    );
    assert.deepEqual(await free_('2030-07-01', '2030-07-10'), [free.id], 'a date as the end includes that day');
    assert.deepEqual(
      await free_('2030-07-15T00:00:00Z', '2030-07-20T00:00:00Z'),
      [booked.id, free.id].sort(),
      'periods are half-open',
    );
    assert.deepEqual(await free_('2030-07-14T23:00:00Z', '2030-07-20T00:00:00Z'), [free.id]);
    assert.deepEqual(
      await free_('2030-08-02', '2030-08-03'),
      [booked.id, free.id].sort(),
      'a cancelled booking blocks nothing',
    );
    assert.deepEqual(
      (await search({ q: tag, status: 'retired', availableFrom: '2031-01-01', availableTo: '2031-01-02' })).items,
      [],
      'a retired item is never available',
    );
    const paused = await createItem(owner, { title: `Flash ${tag}` });
    await bus.call(inventory.ops.unlistItem, { id: paused.id }, ctx(owner));
    await settle();
    assert.deepEqual(
      (await search({ q: tag, status: 'unlisted', availableFrom: '2031-01-01', availableTo: '2031-01-02' })).items,
      [],
      'an unlisted item is never available for a period (it cannot be rented)',
    );
    assert.deepEqual(await free_('2031-01-01', '2031-01-02'), [booked.id, free.id].sort());

    // availableNow: listed and no confirmed booking covers this instant.
    const now = randomUUID();
    await book(
      now,
      new Date(Date.now() - 3_600_000).toISOString(),
      new Date(Date.now() + 3_600_000).toISOString(),
      'confirmed',
      free.id,
    );
    const availableNow = async () =>
      Object.fromEntries((await search({ q: tag })).items.map((h) => [h.id, h.availability.availableNow]));
    assert.deepEqual(await availableNow(), { [booked.id]: true, [free.id]: false });
    const [pausedHit] = (await search({ q: `flash ${tag}`, status: 'unlisted' })).items;
    assert.equal(pausedHit!.availability.availableNow, false);
    await book(
      now,
      new Date(Date.now() - 3_600_000).toISOString(),
      new Date(Date.now() + 3_600_000).toISOString(),
      'completed',
      free.id,
    );
    assert.deepEqual(await availableNow(), { [booked.id]: true, [free.id]: true }, 'a returned rental frees now');

    const [camera] = (await search({ q: `camera ${tag}` })).items;
    assert.deepEqual(camera!.availability.bookedPeriods, [
      { from: '2030-07-10T00:00:00.000Z', to: '2030-07-15T00:00:00.000Z' },
    ]);
    await book(confirmed, '2030-07-10T00:00:00Z', '2030-07-15T00:00:00Z', 'completed');
    assert.deepEqual(
      await free_('2030-07-12', '2030-07-13'),
      [booked.id, free.id].sort(),
      'a completed rental frees its period',
    );
  });

  test('cursor pages return every item exactly once in every order, even while items are added', async () => {
    const owner = stranger();
    const tag = word();
    const category = `pages-${tag}`;
    const prices = [500, 100, 500, 300, 900, 100, 700, 500, 200, 800, 500];
    const created = [];
    for (const [i, price] of prices.entries())
      created.push(
        await createItem(owner, {
          title: `Thing ${i} ${tag}`,
          description: i % 2 ? `${tag} ${tag}` : 'plain',
          category,
          price,
        }),
      );
    await searchUntil('every item', { category, limit: 50 }, (h) => h.length === prices.length);
    const expected = created.map((i) => i.id).sort();

    for (const sort of ['newest', 'price_asc', 'price_desc', 'relevance'] as const) {
      const seen: Hit[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await search({
          category,
          sort,
          limit: 3,
          ...(sort === 'relevance' ? { q: tag } : {}),
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...page.items);
        cursor = page.nextCursor ?? undefined;
        pages += 1;
        // An item listed between pages must not shift or repeat the others.
        if (pages === 2) {
          await createItem(owner, { title: `Late ${sort} ${tag}`, description: tag, category, price: 400 });
          await host.platform.events.drain();
        }
      } while (cursor);
      const original = seen.filter((h) => expected.includes(h.id)).map((h) => h.id);
      assert.equal(
        original.length,
        expected.length,
        `${sort}: ${original.length} of ${expected.length} items, or repeats`,
      );
      assert.deepEqual([...original].sort(), expected, `${sort}: an item was missed or repeated`);
      const keys = seen.map((h) =>
        sort === 'newest'
          ? -Date.parse(h.listedAt)
          : sort === 'price_asc'
            ? h.dailyPrice.amount
            : sort === 'price_desc'
              ? -h.dailyPrice.amount
              : -h.rank!,
      );
      assert.deepEqual(
        keys,
        [...keys].sort((a, b) => a - b),
        `${sort}: pages out of order`,
      );
    }
  });
});

describe('bookings fed by rentals', () => {
  test('a rental through rentals books its period in search; the return frees it, and so does a cancellation', async () => {
    const owner = stranger();
    const tag = word();
    const item = await createItem(owner, { title: `Ladder ${tag}` });
    const neighbour = await createItem(owner, { title: `Stool ${tag}` });
    await searchUntil('the ladder and the stool', { q: tag }, (h) => h.length === 2);
    const first = periodOf(3);
    const rental = await rent(await renter(), item.id, first);
    assert.equal(rental.status, 'active', 'a period that started today is handed over at once');

    const hits = await bookedUntil('the booking', tag, item.id, [first]);
    assert.deepEqual(
      hits.find((h) => h.id === neighbour.id)?.availability.bookedPeriods,
      [],
      'another item shows no booking of this one',
    );
    assert.deepEqual(await freeFor(tag, first), [neighbour.id], 'the booked period is not free');
    assert.deepEqual(await freeFor(tag, periodOf(2, 20)), [item.id, neighbour.id].sort(), 'another period is');
    // The relay's own message, delivered again, is a duplicate.
    assert.equal(await deliver('bookRental', await sentMessage('rentals.rentalConfirmed', rental.id)), 'duplicate');

    await bus.call(rentals.ops.returnRental, { id: rental.id }, ctx(owner));
    await bookedUntil('the return to free the period', tag, item.id, []);
    assert.deepEqual(await freeFor(tag, first), [item.id, neighbour.id].sort());
    assert.equal(await bookingState(rental.id), 'completed');

    await until('the item back in inventory', async () =>
      (await bus.call(inventory.ops.getItem, { id: item.id }, ctx())).status === 'listed' ? true : undefined,
    );
    const second = periodOf(2, 30);
    const again = await rent(await renter(), item.id, second);
    await bookedUntil('the second booking', tag, item.id, [second]);
    await bus.call(rentals.ops.cancelRental, { id: again.id }, ctx({ userId: again.renterId, role: 'member' }));
    await bookedUntil('the cancellation to free the period', tag, item.id, []);
    assert.deepEqual(await freeFor(tag, second), [item.id, neighbour.id].sort());
    assert.equal(await bookingState(again.id), 'cancelled');
  });

  test('the same message delivered twice changes the booking once', async () => {
    const item = await createItem(stranger(), { title: `Scaffold ${word()}` });
    const facts = rentalFacts(item.id, periodOf(2, 50));
    const confirmed = message('rentals.rentalConfirmed', facts.rentalId, facts);
    assert.equal(await deliver('bookRental', confirmed), 'applied');
    assert.equal(await deliver('bookRental', confirmed), 'duplicate');
    const rows = await sql`select state from catalog.bookings where rental_id = ${facts.rentalId}`;
    assert.deepEqual(
      rows.map((r) => r.state),
      ['confirmed'],
    );
  });

  test('out of order: a cancellation or return that overtook its confirmation keeps the period free', async () => {
    const tag = word();
    const item = await createItem(stranger(), { title: `Trailer ${tag}` });
    await searchUntil('the trailer', { q: tag }, (h) => h.length === 1);
    const cancelledPeriod = periodOf(2, 60);
    const cancelled = rentalFacts(item.id, cancelledPeriod);
    assert.equal(
      await deliver('cancelBooking', message('rentals.rentalCancelled', cancelled.rentalId, cancelled)),
      'applied',
    );
    assert.equal(
      await deliver('bookRental', message('rentals.rentalConfirmed', cancelled.rentalId, cancelled)),
      'applied',
    );
    assert.equal(await bookingState(cancelled.rentalId), 'cancelled');

    const returned = rentalFacts(item.id, periodOf(2, 70));
    await deliver('endBooking', message('rentals.rentalCompleted', returned.rentalId, returned));
    await deliver('bookRental', message('rentals.rentalConfirmed', returned.rentalId, returned));
    await deliver('cancelBooking', message('rentals.rentalCancelled', returned.rentalId, returned));
    assert.equal(await bookingState(returned.rentalId), 'completed', 'completed is final');

    assert.deepEqual((await search({ q: tag })).items[0]?.availability.bookedPeriods, []);
    assert.deepEqual(await freeFor(tag, cancelledPeriod), [item.id]);
  });

  test('rentals.listBookings pages every rental ever confirmed, for the platform only', async () => {
    const pages: string[] = [];
    let after: string | undefined;
    do {
      const page = await bus.call(rentals.ops.listBookings, { limit: 1, ...(after ? { after } : {}) }, ctx());
      pages.push(...page.bookings.map((b) => b.rentalId));
      after = page.next ?? undefined;
    } while (after);
    const expected = await rentalsSql<
      { id: string }[]
    >`select id from rentals.rentals where confirmed_at is not null order by id`;
    assert.ok(expected.length >= 2, 'earlier tests rented');
    assert.deepEqual(
      pages,
      expected.map((r) => r.id),
    );
    await rejectsWith(bus.call(rentals.ops.listBookings, {}, ctx(stranger())), 'forbidden');
  });
});

describe('cache', () => {
  test('searches are served from the cache until an applied event moves the generation', async () => {
    const owner = stranger();
    const tag = word();
    const item = await createItem(owner, { title: `Telescope ${tag}` });
    await settle();
    assert.equal((await search({ q: tag })).items.length, 1);
    // Behind the projection's back: the cached page must still be served.
    await sql`update catalog.items set description = 'changed behind the cache' where item_id = ${item.id}`;
    assert.equal(
      (await search({ q: tag })).items[0]!.description,
      '18V',
      'the second identical search must come from the cache',
    );
    assert.equal(
      (await search({ q: ` ${tag.toUpperCase()} ` })).items[0]!.description,
      '18V',
      'an equivalent spelling shares the cache entry',
    );
    // Any applied event retires every cached search.
    await createItem(owner, { title: `Unrelated ${word()}` });
    await until('the cache to be retired', async () => {
      const [hit] = (await search({ q: tag })).items;
      return hit?.description === 'changed behind the cache' ? hit : undefined;
    });
  });
});

describe('rebuild', () => {
  test('replaying the sources produces the same read model, repairing what was lost or damaged', async () => {
    // Earlier tests fed crafted events and edited rows by hand: start from the sources' truth.
    assert.equal((await rebuildAndWait()).outcome, 'completed');
    const { caller } = await member('Rebuilder');
    const owner = stranger();
    const tag = word();
    const a = await createItem(caller, { title: `Bike ${tag}` });
    const b = await createItem(owner, { title: `Helmet ${tag}` });
    const c = await createItem(owner, { title: `Pump ${tag}` });
    await bus.call(inventory.ops.updateItem, { id: a.id, description: 'Blue, 54 cm' }, ctx(caller));
    await bus.call(inventory.ops.unlistItem, { id: b.id }, ctx(owner));
    await bus.call(inventory.ops.retireItem, { id: c.id }, ctx(owner));
    const renamed = await member('Renamed');
    await createItem(renamed.caller, { title: `Basket ${tag}` });
    const claims = await bus.call(identity.ops.validateToken, { token: renamed.token }, ctx());
    await bus.call(
      identity.ops.updateMe,
      { displayName: 'Renamed twice' },
      ctx({ userId: claims.userId, role: claims.role, sessionId: claims.sessionId }),
    );
    await searchUntil('the rename', { q: tag }, (h) => h.some((x) => x.ownerName === 'Renamed twice'));
    await settle();

    const before = { items: await dumpItems(), owners: await dumpOwners(), times: await dumpTimes() };
    await sql`delete from catalog.items where item_id = ${a.id}`;
    await sql`update catalog.items set title = 'damaged', version = 99 where item_id = ${b.id}`;

    const outcome = await rebuildAndWait();
    assert.equal(outcome.outcome, 'completed', outcome.error);
    assert.ok(outcome.items >= 3 && outcome.owners >= 1, JSON.stringify(outcome));
    assert.deepEqual(await dumpItems(), before.items);
    const owners = new Map((await dumpOwners()).map((o) => [o.user_id, o.display_name]));
    for (const o of before.owners)
      if ((before.items as unknown as { owner_id: string }[]).some((i) => i.owner_id === o.user_id))
        assert.equal(owners.get(o.user_id), o.display_name);
    const times = new Map((await dumpTimes()).map((t) => [t.item_id, t]));
    for (const t of before.times) {
      const now = times.get(t.item_id)!;
      // Events time a change when it is published, inventory when it is written: a few ms apart.
      assert.ok(
        Math.abs(now.updated_at.getTime() - t.updated_at.getTime()) < 2_000,
        `updated_at of ${t.item_id} moved`,
      );
      assert.ok(
        Math.abs((now.listed_at?.getTime() ?? 0) - (t.listed_at?.getTime() ?? 0)) < 2_000,
        `listed_at of ${t.item_id} moved`,
      );
    }
    assert.equal((await search({ q: tag })).items.find((h) => h.id === a.id)?.ownerName, 'Rebuilder');

    // The rebuilt model keeps following events.
    await bus.call(inventory.ops.updateItem, { id: a.id, title: `Road bike ${tag}` }, ctx(caller));
    await searchUntil('the edit after the rebuild', { q: tag }, (h) => h.some((x) => x.title === `Road bike ${tag}`));
  });

  test('readers never see an empty catalog while a rebuild runs', async () => {
    const owner = stranger();
    for (let i = 0; i < 5; i++) await createItem(owner, { title: `Filler ${i} ${word()}` });
    await settle();
    let running = true;
    const counts: number[] = [];
    const watcher = (async () => {
      while (running) {
        const [row] = await sql<
          { n: number }[]
        >`select count(*)::int as n from catalog.items where listed_at is not null`;
        counts.push(row!.n);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const outcome = await rebuildAndWait();
    running = false;
    await watcher;
    assert.equal(outcome.outcome, 'completed', outcome.error);
    assert.ok(counts.length > 0 && counts.every((n) => n > 0), `a reader saw an empty catalog: ${counts.join(',')}`);
  });

  test('while a rebuild runs, applied events reach its staging copy too; an item only events know is fetched whole', async () => {
    const owner = stranger();
    const tag = word();
    const item = await createItem(owner, { title: `Sander ${tag}` });
    await searchUntil('the sander', { q: tag }, (h) => h.length === 1);
    // The catalog lost the item's creation (e.g. it was deployed later): its edits make only a stub.
    await sql`delete from catalog.items where item_id = ${item.id}`;
    await bus.call(inventory.ops.updateItem, { id: item.id, description: 'Orbital' }, ctx(owner));
    await until('the stub', async () =>
      (await sql`select 1 from catalog.items where item_id = ${item.id} and listed_at is null`).length
        ? true
        : undefined,
    );
    assert.equal((await search({ q: tag })).items.length, 0, 'a stub is not searchable');

    // Hold a rebuild claim by hand: events now also land in staging.
    const rebuildId = randomUUID();
    await sql`update catalog.projection set rebuild_id = ${rebuildId}, rebuild_lease_until = now() + interval '1 minute', rebuild_started_at = now(), rebuild_progress = '{"phase":"items","items":0,"owners":0}'`;
    try {
      await rejectsWith(bus.call(catalog.ops.rebuild, {}, ctx(admin)), 'catalog.rebuildInProgress');
      const status = await bus.call(catalog.ops.getRebuildStatus, {}, ctx(admin));
      assert.equal(status.running?.rebuildId, rebuildId);
      await bus.call(inventory.ops.updateItem, { id: item.id, title: `Orbital sander ${tag}` }, ctx(owner));
      await until('the event in staging', async () =>
        (
          await sql`select 1 from catalog.items_rebuild where item_id = ${item.id} and title = ${`Orbital sander ${tag}`}`
        ).length
          ? true
          : undefined,
      );
    } finally {
      await sql`update catalog.projection set rebuild_id = null, rebuild_lease_until = null, rebuild_started_at = null, rebuild_progress = null`;
    }

    assert.equal((await rebuildAndWait()).outcome, 'completed');
    const [hit] = (await search({ q: tag })).items;
    assert.equal(hit?.title, `Orbital sander ${tag}`);
    assert.equal(hit?.description, 'Orbital');
    assert.equal(hit?.version, 3);
  });

  test('npm run catalog:rebuild runs the same rebuild from the command line, with progress', async () => {
    await settle();
    const before = await dumpItems();
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/runtimes/cli/catalog-rebuild.ts'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: host.databaseUrl, REDIS_URL: '', NODE_ENV: 'test', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
    assert.match(stdout, /^catalog rebuilt: \d+ items, \d+ owners in [\d.]+ s \(generation \d+\)$/m, stdout);
    assert.deepEqual(await dumpItems(), before);
  });

  test('bookings come back from rentals, ended ones included; ones rentals never had go', async () => {
    const owner = stranger();
    const tag = word();
    const kayak = await createItem(owner, { title: `Kayak ${tag}` });
    const paddle = await createItem(owner, { title: `Paddle ${tag}` });
    const kayakPeriod = periodOf(2, 40);
    const paddlePeriod = periodOf(2, 45);
    const active = await rent(await renter(), kayak.id, kayakPeriod);
    const gone = await rent(await renter(), paddle.id, paddlePeriod);
    await bus.call(rentals.ops.cancelRental, { id: gone.id }, ctx({ userId: gone.renterId, role: 'member' }));
    await until('both bookings', async () =>
      (await bookingState(active.id)) === 'confirmed' && (await bookingState(gone.id)) === 'cancelled'
        ? true
        : undefined,
    );

    // While a rebuild holds the claim, rental events reach its staging copy too.
    const staged = rentalFacts(kayak.id, periodOf(1, 80));
    await sql`update catalog.projection set rebuild_id = ${randomUUID()}, rebuild_lease_until = now() + interval '1 minute', rebuild_started_at = now(), rebuild_progress = '{"phase":"bookings","items":0,"owners":0,"bookings":0}'`;
    try {
      await deliver('bookRental', message('rentals.rentalConfirmed', staged.rentalId, staged));
      assert.equal((await sql`select 1 from catalog.bookings_rebuild where rental_id = ${staged.rentalId}`).length, 1);
    } finally {
      await sql`update catalog.projection set rebuild_id = null, rebuild_lease_until = null, rebuild_started_at = null, rebuild_progress = null`;
    }

    // Lost, damaged, and never rented at all.
    await sql`delete from catalog.bookings where rental_id = ${active.id}`;
    await sql`update catalog.bookings set state = 'confirmed' where rental_id = ${gone.id}`;
    assert.deepEqual(await freeFor(tag, kayakPeriod), [kayak.id, paddle.id].sort(), 'the catalog lost the booking');

    const outcome = await rebuildAndWait();
    assert.equal(outcome.outcome, 'completed', outcome.error);
    const truth = await rentalsSql<
      { id: string; status: string }[]
    >`select id, status from rentals.rentals where confirmed_at is not null order by id`;
    const state = (status: string) => (status === 'completed' || status === 'cancelled' ? status : 'confirmed');
    const rows = await sql<
      { rental_id: string; state: string }[]
    >`select rental_id, state from catalog.bookings order by rental_id`;
    assert.deepEqual(
      rows.map((r) => [r.rental_id, r.state]),
      truth.map((r) => [r.id, state(r.status)]),
      'the bookings are exactly rentals’ confirmed rentals',
    );
    assert.equal(outcome.bookings, truth.length);
    assert.deepEqual(await freeFor(tag, kayakPeriod), [paddle.id]);
    assert.deepEqual(await freeFor(tag, paddlePeriod), [kayak.id, paddle.id].sort());

    // The rebuilt bookings keep their final states: a late confirmation of the cancelled rental books nothing.
    const late = message('rentals.rentalConfirmed', gone.id, {
      rentalId: gone.id,
      itemId: paddle.id,
      renterId: gone.renterId,
      ownerId: owner.userId,
      ...paddlePeriod,
    });
    assert.equal(await deliver('bookRental', late), 'applied');
    assert.equal(await bookingState(gone.id), 'cancelled');
  });

  test('is for admins only', async () => {
    const { caller } = await member('Nobody');
    await rejectsWith(bus.call(catalog.ops.rebuild, {}, ctx(caller)), 'catalog.notAdmin');
    await rejectsWith(bus.call(catalog.ops.rebuild, {}, ctx()), 'catalog.notAdmin');
    await rejectsWith(bus.call(catalog.ops.getRebuildStatus, {}, ctx(caller)), 'catalog.notAdmin');
  });
});

describe('operations', () => {
  test('catalog_projection_lag_seconds reports how old the newest applied event is', async () => {
    await createItem(stranger(), { title: `Lag ${word()}` });
    await host.platform.events.drain();
    const text = await until('an applied event', async () => {
      const metric = await host.platform.metrics.registry.getSingleMetricAsString('catalog_projection_lag_seconds');
      return /^catalog_projection_lag_seconds\{[^}]*\} [0-9.e+-]+$/m.test(metric) ? metric : undefined;
    });
    const value = Number(/\} ([0-9.e+-]+)$/m.exec(text)![1]);
    assert.ok(value >= 0 && value < 60, `lag ${value}`);
    const status = await bus.call(catalog.ops.getRebuildStatus, {}, ctx(admin));
    assert.ok(status.generation > 0 && status.lastEventAt !== null, JSON.stringify(status));
  });

  test('dead letters are listed for admins', async () => {
    const { items } = await bus.call(catalog.ops.listDeadLetters, { limit: 10 }, ctx(admin));
    assert.ok(Array.isArray(items), 'a list');
    await rejectsWith(bus.call(catalog.ops.listDeadLetters, {}, ctx(stranger())), 'catalog.notAdmin');
  });
});
