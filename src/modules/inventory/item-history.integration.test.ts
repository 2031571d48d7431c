import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import postgres from 'postgres';
import { tentListing as tent } from '../../../test/support/fixtures.ts';
import { startTestHost, type TestHost } from '../../../test/support/test-host.ts';
import type { InputOf } from '../../shared/bus/contract.ts';
import { systemContext, type CallContext } from '../../shared/bus/context.ts';
import { AppError } from '../../shared/bus/errors.ts';
import type { Envelope } from '../../shared/events/envelope.ts';
import type { Publish } from '../../shared/events/publish.ts';
import { identityModule } from '../identity/module.ts';
import { inventory } from './contract.ts';
import { foldHistory } from './domain/history.ts';
import { changeItem } from './handlers/change-item.ts';
import { createItem } from './handlers/create-item.ts';
import { inventoryModule } from './module.ts';
import { primaryReads } from '../../shared/db/read-routing.ts';

let host: TestHost;
let sql: postgres.Sql;
before(async () => {
  host = await startTestHost([identityModule, inventoryModule]);
  sql = postgres(host.databaseUrl, { max: 2, onnotice: () => {} });
});
after(async () => {
  await sql?.end({ timeout: 5 });
  await host?.stop();
});

const ops = inventory.ops;
const owner = randomUUID();
const admin = randomUUID();
const asOwner = () => systemContext({ caller: { userId: owner, role: 'member' } });
const asAdmin = () => systemContext({ caller: { userId: admin, role: 'admin' } });
/** The rental saga calls without a caller. */
const saga = () => systemContext();
/** The item as its history rebuilds it. */
const publicFold = (events: Parameters<typeof foldHistory>[0]) => foldHistory(events);
const call = <O extends (typeof ops)[keyof typeof ops]>(op: O, input: InputOf<O>, ctx: CallContext) =>
  host.platform.bus.call(op, input, ctx);

async function counts(itemId: string): Promise<{ history: number; outbox: number }> {
  const [row] = await sql<{ history: number; outbox: number }[]>`
    select (select count(*)::int from inventory.item_history where item_id = ${itemId}) as history,
           (select count(*)::int from inventory.outbox where aggregate_id = ${itemId}) as outbox`;
  return row!;
}

interface Recorded {
  type: string;
  actorId: string | null;
  data: unknown;
  event: string;
  payload: Record<string, unknown>;
  envelope: Envelope;
  /** The history row was written by the transaction that wrote the item at this version. */
  sameTransaction: boolean;
  /** The event was written at the same transaction time as the history row. */
  sameTime: boolean;
}

/** The history row and outbox event of an item's current version, and how they relate to the item row. */
async function latest(itemId: string): Promise<Recorded> {
  const [row] = await sql<Recorded[]>`
    select h.type, h.actor_id as "actorId", h.data, o.event, o.payload, o.envelope,
           h.xmin::text = i.xmin::text as "sameTransaction",
           o.created_at = h.occurred_at and h.occurred_at = i.updated_at as "sameTime"
    from inventory.items i
    join inventory.item_history h on h.item_id = i.id and h.version = i.version
    join inventory.outbox o on o.aggregate_id = i.id::text and (o.payload ->> 'version')::int = i.version
    where i.id = ${itemId}`;
  assert.ok(row, `no history row and event for the current version of ${itemId}`);
  return row;
}

/** Asserts the promise fails with the given error code. */
async function failsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error) => error instanceof AppError && error.code === code);
}

describe('item history and events (bus, PostgreSQL)', () => {
  test('every write appends one history row and publishes one event, in its own transaction', async () => {
    const ctx = asOwner();
    const item = await call(ops.createItem, tent, ctx);
    const id = item.id;
    assert.deepEqual(await counts(id), { history: 1, outbox: 1 });
    const first = await latest(id);
    assert.equal(first.sameTransaction && first.sameTime, true);
    assert.deepEqual([first.type, first.actorId, first.event], ['created', owner, 'inventory.itemCreated']);
    assert.deepEqual(first.data, { ownerId: owner, ...tent });
    assert.deepEqual(first.payload, { itemId: id, version: 1, ownerId: owner, ...tent });
    assert.equal(first.envelope.aggregateId, id);
    assert.equal(first.envelope.userId, owner);
    assert.equal(first.envelope.correlationId, ctx.requestId);
    assert.match(first.envelope.traceparent ?? '', new RegExp(`^00-${ctx.trace.traceId}-`));

    const R1 = randomUUID();
    const R2 = randomUUID();
    const steps: [
      string,
      () => Promise<unknown>,
      { type: string; actorId: string | null; data: unknown; event: string },
    ][] = [
      [
        'owner edit',
        () =>
          call(
            ops.updateItem,
            { id, title: 'Family tent', condition: 'good', dailyPrice: { amount: 1500, currency: 'EUR' } },
            asOwner(),
          ),
        { type: 'updated', actorId: owner, data: { title: 'Family tent' }, event: 'inventory.itemUpdated' },
      ],
      [
        'admin edit',
        () =>
          call(
            ops.updateItem,
            { id, dailyPrice: { amount: 20, currency: 'USD' }, deposit: { amount: 100, currency: 'USD' } },
            asAdmin(),
          ),
        {
          type: 'updated',
          actorId: admin,
          data: { dailyPrice: { amount: 20, currency: 'USD' }, deposit: { amount: 100, currency: 'USD' } },
          event: 'inventory.itemUpdated',
        },
      ],
      [
        'unlist',
        () => call(ops.unlistItem, { id }, asOwner()),
        {
          type: 'status_changed',
          actorId: owner,
          data: { from: 'listed', to: 'unlisted', reservationId: null },
          event: 'inventory.itemStatusChanged',
        },
      ],
      [
        'relist by an admin',
        () => call(ops.relistItem, { id }, asAdmin()),
        {
          type: 'status_changed',
          actorId: admin,
          data: { from: 'unlisted', to: 'listed', reservationId: null },
          event: 'inventory.itemStatusChanged',
        },
      ],
      [
        'retire',
        () => call(ops.retireItem, { id }, asOwner()),
        {
          type: 'status_changed',
          actorId: owner,
          data: { from: 'listed', to: 'retired', reservationId: null },
          event: 'inventory.itemStatusChanged',
        },
      ],
    ];
    for (const [what, write, expected] of steps) {
      const before = await counts(id);
      await write();
      assert.deepEqual(await counts(id), { history: before.history + 1, outbox: before.outbox + 1 }, what);
      const recorded = await latest(id);
      assert.equal(recorded.sameTransaction, true, `${what}: history written outside the item's transaction`);
      assert.equal(recorded.sameTime, true, `${what}: event written outside the item's transaction`);
      assert.deepEqual(
        { type: recorded.type, actorId: recorded.actorId, data: recorded.data, event: recorded.event },
        expected,
        what,
      );
      const version = before.history + 1;
      const facts = expected.type === 'updated' ? { changes: expected.data } : (expected.data as object);
      assert.deepEqual(recorded.payload, { itemId: id, ownerId: owner, version, ...facts }, what);
      assert.equal(recorded.envelope.userId, expected.actorId ?? undefined, what);
    }
  });

  test('an idempotent repeat, a failed write and a refused one append nothing', async () => {
    const item = await call(ops.createItem, tent, asOwner());
    const id = item.id;
    const R1 = randomUUID();
    await call(ops.updateItem, { id, title: 'Renamed' }, asOwner());
    await call(ops.unlistItem, { id }, asOwner());
    const settled = await counts(id);
    assert.deepEqual(settled, { history: 3, outbox: 3 });

    // Repeats of changes already in effect.
    await call(ops.unlistItem, { id, ifMatch: 2 }, asOwner());
    await call(ops.updateItem, { id, title: 'Renamed', condition: 'good' }, asOwner());
    // Failed and refused writes.
    await failsWith(
      call(ops.updateItem, { id, title: 'Stale', ifMatch: '"1"' }, asOwner()),
      'inventory.versionMismatch',
    );
    await failsWith(call(ops.relistItem, { id, ifMatch: 2 }, asOwner()), 'inventory.versionMismatch');
    await failsWith(
      call(ops.updateItem, { id, title: 'Mine' }, systemContext({ caller: { userId: randomUUID(), role: 'member' } })),
      'inventory.notOwner',
    );
    await failsWith(
      call(ops.updateItem, { id, deposit: { amount: 1, currency: 'USD' } }, asOwner()),
      'inventory.currencyMismatch',
    );
    await failsWith(
      call(ops.relistItem, { id }, systemContext({ caller: { userId: randomUUID(), role: 'member' } })),
      'inventory.notOwner',
    );
    await failsWith(
      call(ops.createItem, { ...tent, deposit: { amount: 1, currency: 'USD' } }, asOwner()),
      'inventory.currencyMismatch',
    );

    assert.deepEqual(await counts(id), settled);
    const current = await call(ops.getItem, { id }, saga());
    assert.equal(current.version, 3);
  });

  test('concurrent writers: one history row and one event per version', async () => {
    const item = await call(ops.createItem, tent, asOwner());
    // Five writers: each loses at most four races, within changeItem's retries.
    const written = await Promise.all(
      Array.from({ length: 5 }, (_, i) => call(ops.updateItem, { id: item.id, title: `Edit ${i}` }, asOwner())),
    );
    assert.deepEqual(written.map((w) => w.version).sort(), [2, 3, 4, 5, 6]);
    assert.deepEqual(await counts(item.id), { history: 6, outbox: 6 });
    const history = await call(ops.getItemHistory, { id: item.id }, asOwner());
    assert.deepEqual(
      history.events.map((e) => e.version),
      [1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual({ id: item.id, ...publicFold(history.events) }, await call(ops.getItem, { id: item.id }, saga()));
  });

  test('a change whose event cannot be written rolls back, history included', async () => {
    const { db } = await host.platform.database('inventory');
    const publish = (async () => {
      throw new Error('outbox unavailable');
    }) as unknown as Publish;
    const failing = {
      ...asOwner(),
      deps: { db, reads: primaryReads(db), cache: host.platform.cache, publish },
      bus: host.platform.bus,
    };

    const item = await call(ops.createItem, tent, asOwner());
    const change = () =>
      changeItem(failing, item.id, undefined, () => ({
        kind: 'write',
        columns: { title: 'Lost' },
        change: { type: 'updated', data: { title: 'Lost' } },
      }));
    await assert.rejects(change(), /outbox unavailable/);
    const current = await call(ops.getItem, { id: item.id }, saga());
    assert.deepEqual([current.title, current.version], [tent.title, 1]);
    assert.deepEqual(await counts(item.id), { history: 1, outbox: 1 });

    const title = `Never listed ${randomUUID()}`;
    await assert.rejects(createItem({ ...tent, title }, failing), /outbox unavailable/);
    const [orphans] = await sql<{ n: number }[]>`select count(*)::int as n from inventory.items where title = ${title}`;
    assert.equal(orphans!.n, 0);
  });

  test('property: after any sequence of 30+ edits and moves, the history replays to the current item', async () => {
    const actor = fc.constantFrom('owner', 'admin');
    const money = (currency: string) =>
      fc.record({ amount: fc.integer({ min: 0, max: 50_000 }), currency: fc.constant(currency) });
    const edit = fc.constantFrom('EUR', 'EUR', 'USD').chain((currency) =>
      fc.record(
        {
          title: fc.constantFrom('Tent', 'Big tent', 'Small tent'),
          description: fc.constantFrom('', 'Sleeps four', 'Sleeps two'),
          category: fc.constantFrom('camping', 'outdoor'),
          dailyPrice: money(currency),
          deposit: money(currency),
          condition: fc.constantFrom('new', 'good', 'fair' as const),
        },
        { requiredKeys: [] },
      ),
    );
    const command = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('update' as const),
          edit,
          by: fc.constantFrom('owner', 'admin'),
          stale: fc.boolean(),
        }),
      },
      {
        weight: 6,
        arbitrary: fc.record({
          kind: fc.constantFrom('unlist', 'relist' as const),
          by: actor,
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant('retire' as const), by: fc.constantFrom('owner', 'admin') }),
      },
    );
    const contexts = { owner: asOwner, admin: asAdmin, saga } as const;
    const tolerated = new Set([
      'inventory.illegalTransition',
      'inventory.itemRetired',
      'inventory.versionMismatch',
      'inventory.currencyMismatch',
    ]);
    const listingOps = { unlist: ops.unlistItem, relist: ops.relistItem } as const;

    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 30, maxLength: 45 }), async (commands) => {
        const created = await call(ops.createItem, tent, asOwner());
        const id = created.id;
        const actors: (string | null)[] = [owner];
        let version = 1;
        for (const c of commands) {
          const ctx = contexts[c.by as keyof typeof contexts]();
          const run = () => {
            if (c.kind === 'update')
              return call(
                ops.updateItem,
                { id, ...c.edit, ...(c.stale && version > 1 ? { ifMatch: version - 1 } : {}) },
                ctx,
              );
            if (c.kind === 'retire') return call(ops.retireItem, { id }, ctx);
            return call(listingOps[c.kind], { id }, ctx);
          };
          try {
            const after = await run();
            if (after.version !== version) actors.push(ctx.caller?.userId ?? null);
            assert.ok(
              after.version === version || after.version === version + 1,
              'a write moves one version at a time',
            );
            version = after.version;
          } catch (error) {
            if (!(error instanceof AppError && tolerated.has(error.code))) throw error;
          }
        }
        const current = await call(ops.getItem, { id }, saga());
        const history = await call(ops.getItemHistory, { id }, asOwner());
        assert.equal(history.itemId, id);
        assert.deepEqual({ id, ...publicFold(history.events) }, current, 'rebuilt from history');
        assert.deepEqual(
          history.events.map((e) => e.version),
          Array.from({ length: current.version }, (_, i) => i + 1),
        );
        assert.deepEqual(
          history.events.map((e) => e.actorId),
          actors,
        );
        const events = await sql<
          { version: number }[]
        >`select (payload ->> 'version')::int as version from inventory.outbox where aggregate_id = ${id} order by seq`;
        assert.deepEqual(
          events.map((e) => e.version),
          history.events.map((e) => e.version),
          'one event per version, in order',
        );
      }),
      { numRuns: 4 },
    );
  });

  test('who changed an item, and for which reservation (older moves), only its owner and admins see', async () => {
    const item = await call(ops.createItem, tent, asOwner());
    await call(ops.unlistItem, { id: item.id }, asOwner());
    // An availability move recorded before listing statuses, with the reservation it concerned.
    const reservationId = randomUUID();
    await sql`insert into inventory.item_history (item_id, version, type, actor_id, data)
      values (${item.id}, 3, 'status_changed', ${owner}, ${sql.json({ from: 'unlisted', to: 'unlisted', reservationId })})`;
    const stranger = systemContext({ caller: { userId: randomUUID(), role: 'member' } });
    for (const [who, ctx] of [
      ['anonymous', saga()],
      ['another member', stranger],
    ] as const) {
      const seen = await call(ops.getItemHistory, { id: item.id }, ctx);
      assert.deepEqual(
        seen.events.map((e) => e.actorId),
        [null, null, null],
        who,
      );
      assert.equal(JSON.stringify(seen).includes(reservationId), false, `${who} sees no reservation id`);
    }
    for (const ctx of [asOwner(), asAdmin()]) {
      const seen = await call(ops.getItemHistory, { id: item.id }, ctx);
      assert.deepEqual(
        seen.events.map((e) => e.actorId),
        [owner, owner, owner],
      );
      assert.equal(JSON.stringify(seen).includes(reservationId), true);
    }
  });

  test('getItemHistory of an unknown item is itemNotFound', async () => {
    await failsWith(call(ops.getItemHistory, { id: randomUUID() }, asOwner()), 'inventory.itemNotFound');
  });

  test('item_history is append-only: UPDATE, DELETE and TRUNCATE are refused', async () => {
    const item = await call(ops.createItem, tent, asOwner());
    await assert.rejects(
      sql`update inventory.item_history set actor_id = null where item_id = ${item.id}`,
      /append-only: UPDATE refused/,
    );
    await assert.rejects(
      sql`delete from inventory.item_history where item_id = ${item.id}`,
      /append-only: DELETE refused/,
    );
    await assert.rejects(sql`truncate inventory.item_history`, /append-only: TRUNCATE refused/);
    assert.deepEqual(await counts(item.id), { history: 1, outbox: 1 });
  });

  test('the relay sends every committed event: outbox rows get sent_at', async () => {
    const item = await call(ops.createItem, tent, asOwner());
    await call(ops.updateItem, { id: item.id, title: 'Sent' }, asOwner());
    await call(ops.unlistItem, { id: item.id }, asOwner());
    const deadline = Date.now() + 5_000;
    let unsent = -1;
    while (Date.now() < deadline) {
      const [row] = await sql<
        { n: number }[]
      >`select count(*)::int as n from inventory.outbox where aggregate_id = ${item.id} and sent_at is null`;
      unsent = row!.n;
      if (unsent === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(unsent, 0, 'outbox rows still unsent after 5 s');
    assert.equal((await counts(item.id)).outbox, 3);
  });

  test('an item whose history starts with a baseline of an older status (reserved) replays to listed', async () => {
    const id = randomUUID();
    await sql`
      insert into inventory.items (id, owner_id, title, description, category, currency, daily_price_amount, deposit_amount, condition, status, version, created_at, updated_at)
      values (${id}, ${owner}, 'Old ladder', '', 'tools', 'EUR', 300, 2000, 'worn', 'listed', 5, now() - interval '3 days', now() - interval '1 day')`;
    // As migration 0002 wrote it for an item reserved at the time (migration 0005 then made it listed).
    const [row] = await sql<{ created_at: string }[]>`
      select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at from inventory.items where id = ${id}`;
    const data = {
      ownerId: owner,
      title: 'Old ladder',
      description: '',
      category: 'tools',
      dailyPrice: { amount: 300, currency: 'EUR' },
      deposit: { amount: 2000, currency: 'EUR' },
      condition: 'worn',
      status: 'reserved',
      reservationId: randomUUID(),
      createdAt: row!.created_at,
    };
    await sql`insert into inventory.item_history (item_id, version, type, actor_id, data, occurred_at)
      select ${id}, 5, 'baseline', null, ${sql.json(data)}, updated_at from inventory.items where id = ${id}`;

    const history = await call(ops.getItemHistory, { id }, asOwner());
    assert.deepEqual(
      history.events.map((e) => [e.version, e.type, e.actorId]),
      [[5, 'baseline', null]],
    );
    assert.deepEqual({ id, ...publicFold(history.events) }, await call(ops.getItem, { id }, saga()));

    await call(ops.unlistItem, { id }, asOwner());
    const later = await call(ops.getItemHistory, { id }, asOwner());
    assert.deepEqual(
      later.events.map((e) => [e.version, e.type]),
      [
        [5, 'baseline'],
        [6, 'status_changed'],
      ],
    );
    assert.deepEqual({ id, ...publicFold(later.events) }, await call(ops.getItem, { id }, saga()));
  });
});
