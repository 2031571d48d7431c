import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { startTestHost, type TestHost } from '../../../test/support/test-host.ts';
import type { Bus } from '../../shared/bus/bus.ts';
import { systemContext, type Caller } from '../../shared/bus/context.ts';
import { AppError } from '../../shared/bus/errors.ts';
import type { Envelope, EventMessage } from '../../shared/events/envelope.ts';
import { createApp } from '../../shared/http/app.ts';
import { identity } from '../identity/contract.ts';
import { identityModule } from '../identity/module.ts';
import { inventory } from '../inventory/contract.ts';
import { inventoryModule } from '../inventory/module.ts';
import { notifications } from './contract.ts';
import { notificationsModule } from './module.ts';
import { mountNotificationStream } from './routes.ts';
import { notificationOf, readEventStream } from './testing/event-stream.ts';
import { eventually } from '../../../test/support/eventually.ts';
import { rentalsModule } from '../rentals/module.ts';

const ADMIN_EMAIL = 'notifications-admin@example.test';
const ADMIN_PASSWORD = 'notifications admin 0123';
const PASSWORD = 'correct horse battery';

let host: TestHost;
let bus: Bus;
let sql: postgres.Sql;
let admin: Caller;

type Inbox = Awaited<ReturnType<typeof inbox>>;
type Notice = Inbox['items'][number];

const ctx = (caller?: Caller) => systemContext(caller ? { caller } : {});

/** A registered, logged-in member: its caller identity and access token. */
async function member(name = 'Member') {
  const email = `${name.toLowerCase()}-${randomUUID().slice(0, 8)}@example.test`;
  const user = await bus.call(identity.ops.register, { email, password: PASSWORD, displayName: name }, ctx());
  const tokens = await bus.call(identity.ops.login, { email, password: PASSWORD }, ctx());
  return { caller: { userId: user.id, role: 'member' } as Caller, token: tokens.accessToken };
}

/** A caller that inventory accepts without an account (inventory does not check owners exist). */
const stranger = (): Caller => ({ userId: randomUUID(), role: 'member' });

function inbox(caller: Caller, input: { unread?: 'true' | 'false'; limit?: number; cursor?: string } = {}) {
  return bus.call(notifications.ops.listNotifications, input, ctx(caller));
}

/** Polls the caller's inbox until a notification matches (events are applied asynchronously). */
function waitForNotification(caller: Caller, match: (n: Notice) => boolean): Promise<Notice> {
  return eventually('a matching notification', async () => {
    await host.platform.events.drain();
    return (await inbox(caller, { limit: 100 })).items.find(match);
  });
}

async function rejectsWith(call: Promise<unknown>, code: string): Promise<void> {
  const error = await call.then(
    (value) => assert.fail(`expected ${code}, got ${JSON.stringify(value)}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof AppError, String(error));
  assert.equal(error.code, code, error.detail);
}

const listing = (title = 'Cordless drill') => ({
  title,
  description: '18V',
  category: 'power-tools',
  dailyPrice: { amount: 800, currency: 'EUR' },
  deposit: { amount: 5000, currency: 'EUR' },
  condition: 'good' as const,
});

function createItem(owner: Caller, title?: string) {
  return bus.call(inventory.ops.createItem, listing(title), ctx(owner));
}

/** A message as a transport would deliver it, for replaying through a consumer. */
function message<P>(event: string, aggregateId: string, payload: P): EventMessage<P> {
  const messageId = randomUUID();
  const envelope: Envelope = {
    messageId,
    event,
    version: 1,
    aggregateId,
    correlationId: messageId,
    causationId: messageId,
    occurredAt: new Date().toISOString(),
  };
  return { envelope, payload };
}

/** The message inventory's relay sent for an item's event (kept in its outbox). */
async function sentMessage(event: string, itemId: string): Promise<EventMessage> {
  const [row] = await sql<{ envelope: Envelope; payload: unknown }[]>`
    select envelope, payload from inventory.outbox where event = ${event} and aggregate_id = ${itemId} order by seq desc limit 1`;
  assert.ok(row, `no ${event} for ${itemId} in inventory's outbox`);
  return { envelope: row.envelope, payload: row.payload };
}

async function countBySource(messageId: string): Promise<number> {
  const [row] = await sql<
    { n: number }[]
  >`select count(*)::int as n from notifications.notifications where source_message_id = ${messageId}`;
  return row!.n;
}

before(async () => {
  host = await startTestHost([identityModule, inventoryModule, rentalsModule, notificationsModule], {
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    EVENT_RETRY_DELAY_MS: '10',
  });
  bus = host.platform.bus;
  sql = postgres(host.databaseUrl, { max: 2, onnotice: () => {} });
  const tokens = await bus.call(identity.ops.login, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, ctx());
  const claims = await bus.call(identity.ops.validateToken, { token: tokens.accessToken }, ctx());
  admin = { userId: claims.userId, role: claims.role };
});

after(async () => {
  await sql?.end({ timeout: 5 });
  await host?.stop();
});

describe('reactions to events', () => {
  test('identity.userRegistered: a welcome in the new member’s inbox', async () => {
    const { caller } = await member('Ada');
    const welcome = await waitForNotification(caller, (n) => n.kind === 'welcome');
    assert.equal(welcome.userId, caller.userId);
    assert.match(welcome.title, /Ada/);
    assert.equal(welcome.readAt, null);
  });

  test('inventory.itemCreated through the bus: the owner, and only the owner, hears the item is listed', async () => {
    const owner = stranger();
    const other = stranger();
    const item = await createItem(owner, 'Camping tent');
    const listed = await waitForNotification(owner, (n) => n.kind === 'itemListed' && n.data.itemId === item.id);
    assert.equal(listed.title, 'Your item “Camping tent” is listed');
    assert.equal((await inbox(other)).items.length, 0);
  });

  test('inventory.itemStatusChanged: older availability moves tell the owner; unlist, relist and retire do not', async () => {
    const owner = stranger();
    const item = await createItem(owner, 'Kayak');
    await waitForNotification(owner, (n) => n.kind === 'itemListed' && n.data.itemId === item.id);
    const kindsFor = async () =>
      (await inbox(owner, { limit: 100 })).items.filter((n) => n.data.itemId === item.id).map((n) => n.kind);
    // Moves recorded before listing statuses (bookings now live in the rentals calendar) may still be delivered.
    const first = randomUUID();
    const moves = [
      ['available', 'reserved', first],
      ['reserved', 'in_use', first],
      ['in_use', 'available', first],
      ['available', 'reserved', null],
      ['reserved', 'available', null],
    ] as const;
    for (const [i, [from, to, reservationId]] of moves.entries()) {
      const move = { itemId: item.id, ownerId: owner.userId, version: 10 + i, from, to, reservationId };
      await host.platform.events.replay(
        'notifications.notifyItemStatus',
        message('inventory.itemStatusChanged', item.id, move),
      );
    }
    const reserved = await waitForNotification(owner, (n) => n.kind === 'itemReserved');
    assert.equal(reserved.title, '“Kayak” is reserved');
    await bus.call(inventory.ops.unlistItem, { id: item.id }, ctx(owner));
    await bus.call(inventory.ops.relistItem, { id: item.id }, ctx(owner));
    await bus.call(inventory.ops.retireItem, { id: item.id }, ctx(owner));
    await host.platform.events.drain();
    assert.deepEqual(
      (await kindsFor()).sort(),
      ['itemInUse', 'itemListed', 'itemReleased', 'itemReserved', 'itemReserved', 'itemReturned'].sort(),
    );
  });

  test('a renamed item is named by its new title', async () => {
    const owner = stranger();
    const item = await createItem(owner, 'Old name');
    await bus.call(inventory.ops.updateItem, { id: item.id, title: 'New name' }, ctx(owner));
    await host.platform.events.drain();
    const move = {
      itemId: item.id,
      ownerId: owner.userId,
      version: 3,
      from: 'available',
      to: 'reserved',
      reservationId: randomUUID(),
    };
    await host.platform.events.replay(
      'notifications.notifyItemStatus',
      message('inventory.itemStatusChanged', item.id, move),
    );
    const reserved = await waitForNotification(owner, (n) => n.kind === 'itemReserved');
    assert.equal(reserved.title, '“New name” is reserved');
  });

  test('a status change of an item not seen before asks inventory for its title, or names none', async () => {
    const owner = stranger();
    const item = await createItem(owner, 'Ladder');
    await waitForNotification(owner, (n) => n.kind === 'itemListed');
    await sql`delete from notifications.item_titles where item_id = ${item.id}`;
    const move = {
      itemId: item.id,
      ownerId: owner.userId,
      version: 9,
      from: 'available',
      to: 'reserved',
      reservationId: randomUUID(),
    };
    await host.platform.events.replay(
      'notifications.notifyItemStatus',
      message('inventory.itemStatusChanged', item.id, move),
    );
    assert.equal((await waitForNotification(owner, (n) => n.kind === 'itemReserved')).title, '“Ladder” is reserved');

    const unknown = { ...move, itemId: randomUUID() };
    await host.platform.events.replay(
      'notifications.notifyItemStatus',
      message('inventory.itemStatusChanged', unknown.itemId, unknown),
    );
    assert.equal(
      (await waitForNotification(owner, (n) => n.data.itemId === unknown.itemId)).title,
      'Your item is reserved',
    );
  });

  test('identity.userDeleted: the inbox goes with the account', async () => {
    const { caller } = await member('Leaving');
    await waitForNotification(caller, (n) => n.kind === 'welcome');
    await bus.call(identity.ops.deleteUser, { id: caller.userId }, ctx(admin));
    await eventually('the inbox to be emptied', async () => (await inbox(caller)).items.length === 0);
  });
});

describe('rentals', () => {
  const DAY = 86_400_000;
  /** Whole UTC days, this many days from now: the period notifications say as "d–d Month". */
  const period = (startInDays: number, days: number) => {
    const start = Math.floor(Date.now() / DAY) * DAY + startInDays * DAY;
    return { from: new Date(start).toISOString(), to: new Date(start + days * DAY).toISOString() };
  };
  const said = (p: { from: string; to: string }) => {
    const month = new Date(p.from).toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' });
    return { first: new Date(p.from).getUTCDate(), last: new Date(Date.parse(p.to) - 1).getUTCDate(), month };
  };
  /** A rental of a listed item between an owner and a renter, as rentals' events tell it. */
  async function rental(title: string) {
    const owner = stranger();
    const renter = stranger();
    const item = await createItem(owner, title);
    await waitForNotification(owner, (n) => n.kind === 'itemListed' && n.data.itemId === item.id);
    // Three whole days inside one month, whatever today is.
    let start = 10;
    while (new Date(Date.now() + start * DAY).getUTCDate() > 25) start += 1;
    return {
      owner,
      renter,
      facts: {
        rentalId: randomUUID(),
        itemId: item.id,
        ownerId: owner.userId,
        renterId: renter.userId,
        ...period(start, 3),
      },
    };
  }
  const kindsOf = async (caller: Caller, rentalId: string) =>
    (await inbox(caller, { limit: 100 })).items
      .filter((n) => n.data.rentalId === rentalId)
      .map((n) => [n.kind, n.data.role]);

  test('rentals.rentalConfirmed: the owner hears the item was rented for the period, the renter that it is confirmed', async () => {
    const { owner, renter, facts } = await rental('Drill');
    const confirmed = message('rentals.rentalConfirmed', facts.rentalId, facts);
    assert.equal(await host.platform.events.replay('notifications.notifyRentalConfirmed', confirmed), 'applied');
    const { first, last, month } = said(facts);
    const toOwner = await waitForNotification(owner, (n) => n.data.rentalId === facts.rentalId);
    assert.equal(toOwner.kind, 'rentalConfirmed');
    assert.match(toOwner.title, new RegExp(`^“Drill” was rented for ${first}–${last} ${month}( \\d{4})?$`));
    assert.deepEqual(toOwner.data, {
      rentalId: facts.rentalId,
      itemId: facts.itemId,
      from: facts.from,
      to: facts.to,
      role: 'owner',
    });
    const toRenter = await waitForNotification(renter, (n) => n.data.rentalId === facts.rentalId);
    assert.equal(toRenter.title, 'Your rental of “Drill” is confirmed');
    assert.equal(toRenter.data.role, 'renter');
  });

  test('rentals.rentalCompleted and rentalCancelled tell both; the renter hears the deposit was released', async () => {
    const returned = await rental('Tent');
    await host.platform.events.replay(
      'notifications.notifyRentalCompleted',
      message('rentals.rentalCompleted', returned.facts.rentalId, returned.facts),
    );
    const toRenter = await waitForNotification(returned.renter, (n) => n.data.rentalId === returned.facts.rentalId);
    assert.deepEqual(
      [toRenter.kind, toRenter.title, toRenter.body],
      ['rentalCompleted', 'Your rental of “Tent” is complete', '“Tent” was returned; your deposit was released.'],
    );
    assert.deepEqual(await kindsOf(returned.owner, returned.facts.rentalId), [['rentalCompleted', 'owner']]);

    const cancelled = await rental('Canoe');
    await host.platform.events.replay(
      'notifications.notifyRentalCancelled',
      message('rentals.rentalCancelled', cancelled.facts.rentalId, cancelled.facts),
    );
    const toOwner = await waitForNotification(cancelled.owner, (n) => n.data.rentalId === cancelled.facts.rentalId);
    assert.deepEqual([toOwner.kind, toOwner.title], ['rentalCancelled', 'Rental of “Canoe” cancelled']);
    assert.deepEqual(await kindsOf(cancelled.renter, cancelled.facts.rentalId), [['rentalCancelled', 'renter']]);
  });

  test('an item inventory does not know: "your item" to the owner, "the item" to the renter', async () => {
    const owner = stranger();
    const renter = stranger();
    const facts = {
      rentalId: randomUUID(),
      itemId: randomUUID(),
      ownerId: owner.userId,
      renterId: renter.userId,
      ...period(10, 2),
    };
    await host.platform.events.replay(
      'notifications.notifyRentalConfirmed',
      message('rentals.rentalConfirmed', facts.rentalId, facts),
    );
    assert.match(
      (await waitForNotification(owner, (n) => n.data.rentalId === facts.rentalId)).title,
      /^Your item was rented for /,
    );
    assert.equal(
      (await waitForNotification(renter, (n) => n.data.rentalId === facts.rentalId)).title,
      'Your rental of the item is confirmed',
    );
  });

  test('the same message twice, or past the inbox, makes one notification for each of owner and renter', async () => {
    const { owner, renter, facts } = await rental('Ladder');
    const confirmed = message('rentals.rentalConfirmed', facts.rentalId, facts);
    const outcomes = [
      await host.platform.events.replay('notifications.notifyRentalConfirmed', confirmed),
      await host.platform.events.replay('notifications.notifyRentalConfirmed', confirmed),
    ];
    assert.deepEqual(outcomes, ['applied', 'duplicate']);
    assert.equal(await countBySource(confirmed.envelope.messageId), 2);
    await sql`delete from notifications.inbox where message_id = ${confirmed.envelope.messageId}`;
    assert.equal(await host.platform.events.replay('notifications.notifyRentalConfirmed', confirmed), 'applied');
    assert.equal(await countBySource(confirmed.envelope.messageId), 2);
    assert.deepEqual(await kindsOf(owner, facts.rentalId), [['rentalConfirmed', 'owner']]);
    assert.deepEqual(await kindsOf(renter, facts.rentalId), [['rentalConfirmed', 'renter']]);
  });

  test('the renter’s live stream gets the rental notification', async () => {
    const a = await member('Renter');
    const { facts } = await rental('Kayak');
    const response = await host.app.request('/v1/notifications/stream', {
      headers: { authorization: `Bearer ${a.token}` },
    });
    assert.equal(response.status, 200);
    const stream = readEventStream(response);
    try {
      await stream.next((e) => e.event === 'ready');
      const mine = { ...facts, renterId: a.caller.userId };
      await host.platform.events.replay(
        'notifications.notifyRentalConfirmed',
        message('rentals.rentalConfirmed', mine.rentalId, mine),
      );
      const pushed = notificationOf(
        await stream.next((e) => e.event === 'notification' && notificationOf(e).data.rentalId === mine.rentalId),
      );
      assert.deepEqual(
        [pushed.userId, pushed.kind, pushed.title],
        [a.caller.userId, 'rentalConfirmed', 'Your rental of “Kayak” is confirmed'],
      );
    } finally {
      await stream.cancel();
    }
  });
});

describe('once per event', () => {
  test('the same message delivered twice makes one notification', async () => {
    const owner = stranger();
    const itemId = randomUUID();
    const created = message('inventory.itemCreated', itemId, {
      itemId,
      version: 1,
      ...listing('Projector'),
      ownerId: owner.userId,
    });
    const outcomes = [
      await host.platform.events.replay('notifications.notifyItemListed', created),
      await host.platform.events.replay('notifications.notifyItemListed', created),
    ];
    assert.deepEqual(outcomes, ['applied', 'duplicate']);
    assert.equal(await countBySource(created.envelope.messageId), 1);
    assert.equal((await inbox(owner)).items.length, 1);
  });

  test('a message the relay delivered, replayed, is a duplicate', async () => {
    const owner = stranger();
    const item = await createItem(owner, 'Bike');
    await waitForNotification(owner, (n) => n.kind === 'itemListed');
    const sent = await sentMessage('inventory.itemCreated', item.id);
    assert.equal(await host.platform.events.replay('notifications.notifyItemListed', sent), 'duplicate');
    assert.equal(await countBySource(sent.envelope.messageId), 1);
  });

  test('even past the inbox (its row gone), an event makes at most one notification', async () => {
    const owner = stranger();
    const item = await createItem(owner, 'Drone');
    await waitForNotification(owner, (n) => n.kind === 'itemListed');
    const sent = await sentMessage('inventory.itemCreated', item.id);
    await sql`delete from notifications.inbox where message_id = ${sent.envelope.messageId}`;
    assert.equal(await host.platform.events.replay('notifications.notifyItemListed', sent), 'applied');
    assert.equal(await countBySource(sent.envelope.messageId), 1);
    assert.equal((await inbox(owner)).items.length, 1);
  });
});

describe('the inbox', () => {
  /** A member with n welcome-like notifications, written through the consumer. */
  async function withNotifications(n: number) {
    const caller = stranger();
    for (let i = 0; i < n; i++) {
      // Notifications of the same millisecond have no order among themselves.
      await new Promise((r) => setTimeout(r, 2));
      await host.platform.events.replay(
        'notifications.welcomeUser',
        message('identity.userRegistered', caller.userId, { userId: caller.userId, displayName: `N${i}` }),
      );
    }
    return caller;
  }

  test('pages newest first with a cursor, never repeating or skipping', async () => {
    const caller = await withNotifications(5);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await inbox(caller, { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((n) => n.title));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(
      seen,
      ['N4', 'N3', 'N2', 'N1', 'N0'].map((name) => `Welcome to Shareloop, ${name}!`),
    );
  });

  test('unread=true, unreadCount, and marking read', async () => {
    const caller = await withNotifications(3);
    const all = await inbox(caller);
    assert.equal(all.unreadCount, 3);
    const target = all.items[1]!;
    const read = await bus.call(notifications.ops.markNotificationRead, { id: target.id }, ctx(caller));
    assert.ok(read.readAt);
    const again = await bus.call(notifications.ops.markNotificationRead, { id: target.id }, ctx(caller));
    assert.equal(again.readAt, read.readAt, 'marking again keeps the first read time');
    const unread = await inbox(caller, { unread: 'true' });
    assert.equal(unread.unreadCount, 2);
    assert.deepEqual(
      unread.items.map((n) => n.id),
      [all.items[0]!.id, all.items[2]!.id],
    );
    assert.equal((await inbox(caller, { unread: 'false' })).items.length, 3);
  });

  test("another user's notification is not found, and stays unread", async () => {
    const owner = await withNotifications(1);
    const [notice] = (await inbox(owner)).items;
    await rejectsWith(
      bus.call(notifications.ops.markNotificationRead, { id: notice!.id }, ctx(stranger())),
      'notifications.notificationNotFound',
    );
    await rejectsWith(
      bus.call(notifications.ops.markNotificationRead, { id: randomUUID() }, ctx(owner)),
      'notifications.notificationNotFound',
    );
    assert.equal((await inbox(owner)).unreadCount, 1);
  });

  test('a cursor that is not ours is refused', async () => {
    await rejectsWith(inbox(stranger(), { cursor: 'bm90LWEtY3Vyc29y' }), 'notifications.invalidCursor');
  });

  test('needs a caller', async () => {
    await rejectsWith(bus.call(notifications.ops.listNotifications, {}, ctx()), 'unauthorized');
  });
});

describe('dead letters', () => {
  test('an admin lists and replays a dead-lettered event; members may not', async () => {
    const caller = stranger();
    const dead = message('identity.userRegistered', caller.userId, { userId: caller.userId, displayName: 'Late' });
    const id = randomUUID();
    await sql`insert into notifications.dead_letters (id, consumer, message_id, event, envelope, payload, error, attempts)
      values (${id}, 'notifications.welcomeUser', ${dead.envelope.messageId}, ${dead.envelope.event}, ${sql.json(dead.envelope)}, ${sql.json(dead.payload)}, 'Error: boom', 5)`;
    await rejectsWith(bus.call(notifications.ops.listDeadLetters, {}, ctx(caller)), 'notifications.notAdmin');
    const pending = await bus.call(notifications.ops.listDeadLetters, { pending: 'true' }, ctx(admin));
    assert.ok(pending.items.some((d) => d.id === id));
    assert.deepEqual(await bus.call(notifications.ops.replayDeadLetter, { id }, ctx(admin)), {
      id,
      outcome: 'applied',
    });
    assert.equal((await inbox(caller)).items[0]?.title, 'Welcome to Shareloop, Late!');
    assert.ok((await bus.call(notifications.ops.getDeadLetter, { id }, ctx(admin))).replayedAt);
  });
});

describe('GET /v1/notifications/stream', () => {
  const open = (
    app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> },
    token?: string,
    path = '/v1/notifications/stream',
  ) => app.request(path, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  test("pushes the caller's new notifications, and only the caller's", async () => {
    const a = await member('Alice');
    const b = await member('Bob');
    const response = await open(host.app, a.token);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const stream = readEventStream(response);
    try {
      await stream.next((e) => e.event === 'ready');
      const bobs = await createItem(b.caller, 'Bob’s saw');
      const alices = await createItem(a.caller, 'Alice’s sander');
      const pushed = notificationOf(
        await stream.next((e) => e.event === 'notification' && notificationOf(e).data.itemId === alices.id),
      );
      assert.equal(pushed.userId, a.caller.userId);
      assert.equal(pushed.kind, 'itemListed');
      await waitForNotification(b.caller, (n) => n.data.itemId === bobs.id);
      await new Promise((r) => setTimeout(r, 300));
      const leaked = stream.seen.filter(
        (e) => e.event === 'notification' && notificationOf(e).userId !== a.caller.userId,
      );
      assert.deepEqual(leaked, []);
    } finally {
      await stream.cancel();
    }
  });

  test('401 without a token, with a bad one, or with a non-bearer header', async () => {
    for (const response of [
      await open(host.app),
      await open(host.app, 'not-a-token'),
      await host.app.request('/v1/notifications/stream', { headers: { authorization: 'Basic abc' } }),
    ]) {
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
    }
  });

  test('accepts the token as access_token for EventSource clients', async () => {
    const a = await member('Query');
    const response = await open(
      host.app,
      undefined,
      `/v1/notifications/stream?access_token=${encodeURIComponent(a.token)}`,
    );
    assert.equal(response.status, 200);
    const stream = readEventStream(response);
    await stream.next((e) => e.event === 'ready');
    await stream.cancel();
  });

  test('a user may hold five streams at once: the sixth gets 429 problem+json until one closes', async () => {
    const a = await member('Many');
    const streams = [];
    try {
      for (let i = 0; i < 5; i++) {
        const response = await open(host.app, a.token);
        assert.equal(response.status, 200, `stream ${i + 1}`);
        const stream = readEventStream(response);
        streams.push(stream);
        await stream.next((e) => e.event === 'ready');
      }
      const refused = await open(host.app, a.token);
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get('content-type'), 'application/problem+json');
      assert.equal(((await refused.json()) as { code: string }).code, 'tooManyStreams');
      // Another user is not affected.
      const b = await member('Other');
      const others = readEventStream(await open(host.app, b.token));
      streams.push(others);
      await others.next((e) => e.event === 'ready');
      await streams.shift()!.cancel();
      const again = await eventually(
        'a stream slot freed by the cancel',
        async () => {
          const response = await open(host.app, a.token);
          if (response.status !== 429) return response;
          await response.body?.cancel();
          return undefined;
        },
        5_000,
      );
      assert.equal(again.status, 200);
      streams.push(readEventStream(again));
    } finally {
      await Promise.all(streams.map((s) => s.cancel()));
    }
  });

  test('with the default settings a stream ends within seconds of its session being revoked', async () => {
    const a = await member('Prompt');
    const stream = readEventStream(await open(host.app, a.token));
    await stream.next((e) => e.event === 'ready');
    const sessionId = (await bus.call(identity.ops.validateToken, { token: a.token }, ctx())).sessionId;
    const revokedAt = Date.now();
    await bus.call(identity.ops.logout, {}, ctx({ ...a.caller, sessionId }));
    const error = await stream.next((e) => e.event === 'error', 5_000);
    assert.equal(JSON.parse(error.data ?? '{}').status, 401);
    await stream.closed(5_000);
    assert.ok(Date.now() - revokedAt < 5_000);
  });

  describe('lifecycle', () => {
    /** An app with only the stream, on quick timers. */
    function quickApp() {
      const { config, log, metrics, redis } = host.platform;
      const app = createApp({
        name: 'stream-test',
        log,
        metrics,
        bodyLimitBytes: 1024,
        corsOrigins: [],
        readiness: async () => ({}),
      });
      const authenticate = async (token: string, callCtx: Parameters<Bus['call']>[2]) => {
        const claims = await bus.call(identity.ops.validateToken, { token }, callCtx);
        return { userId: claims.userId, role: claims.role };
      };
      mountNotificationStream(app, {
        authenticate,
        timeoutMs: config.REQUEST_TIMEOUT_MS,
        redis,
        log,
        heartbeatMs: 50,
        revalidateMs: 100,
      });
      return app;
    }

    const subscribers = async (userId: string) => {
      const redis = host.platform.redis!;
      const [, count] = (await redis.pubsub('NUMSUB', `${redis.options.keyPrefix}notifications:live:${userId}`)) as [
        string,
        number,
      ];
      return count;
    };

    test('sends heartbeats, and unsubscribes when the client leaves', async () => {
      const a = await member('Heart');
      const stream = readEventStream(await open(quickApp(), a.token));
      await stream.next((e) => e.event === 'ready');
      await stream.next((e) => e.comment === 'heartbeat');
      assert.equal(await subscribers(a.caller.userId), 1);
      await stream.cancel();
      await eventually(
        'the subscription to end after the client left',
        async () => (await subscribers(a.caller.userId)) === 0,
        5_000,
      );
    });

    test('ends the stream with an error event once the token is revoked', async () => {
      const a = await member('Logout');
      const stream = readEventStream(await open(quickApp(), a.token));
      await stream.next((e) => e.event === 'ready');
      await bus.call(
        identity.ops.logout,
        {},
        ctx({
          ...a.caller,
          sessionId: (await bus.call(identity.ops.validateToken, { token: a.token }, ctx())).sessionId,
        }),
      );
      const error = await stream.next((e) => e.event === 'error');
      assert.equal(JSON.parse(error.data ?? '{}').status, 401);
      await stream.closed();
    });
  });
});
