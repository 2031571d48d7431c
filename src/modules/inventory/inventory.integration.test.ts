import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { failsWith } from '../../../test/support/fails-with.ts';
import { tentListing } from '../../../test/support/fixtures.ts';
import { startTestHost, type TestHost } from '../../../test/support/test-host.ts';
import type { InputOf } from '../../shared/bus/contract.ts';
import { systemContext } from '../../shared/bus/context.ts';
import type { AppError } from '../../shared/bus/errors.ts';
import { identityModule } from '../identity/module.ts';
import { inventory } from './contract.ts';
import { inventoryModule } from './module.ts';

let host: TestHost;
before(async () => {
  host = await startTestHost([identityModule, inventoryModule]);
});
after(async () => {
  await host?.stop();
});

const ops = inventory.ops;
const as = (userId: string, role: 'member' | 'admin' = 'member') => systemContext({ caller: { userId, role } });
const system = () => systemContext();
const call = <O extends (typeof ops)[keyof typeof ops]>(op: O, input: InputOf<O>, ctx = system()) =>
  host.platform.bus.call(op, input, ctx);

function draft(overrides: Partial<InputOf<typeof ops.createItem>> = {}): InputOf<typeof ops.createItem> {
  return { ...tentListing, ...overrides };
}

describe('inventory (bus, PostgreSQL)', () => {
  const owner = randomUUID();

  test('createItem lists a listed item owned by the caller at version 1', async () => {
    const item = await call(ops.createItem, draft(), as(owner));
    assert.equal(item.ownerId, owner);
    assert.equal(item.status, 'listed');
    assert.equal(item.version, 1);
    assert.equal('reservationId' in item, false, 'the public view shows no reservation');
    assert.deepEqual(item.dailyPrice, { amount: 1500, currency: 'EUR' });
    assert.deepEqual(item.deposit, { amount: 10_000, currency: 'EUR' });
    assert.deepEqual(await call(ops.getItem, { id: item.id }), item);
  });

  test('createItem needs a caller, one currency and no read-only fields', async () => {
    await failsWith(call(ops.createItem, draft()), 'unauthorized');
    const mismatch = await failsWith(
      call(ops.createItem, draft({ deposit: { amount: 1, currency: 'USD' } }), as(owner)),
      'inventory.currencyMismatch',
    );
    assert.equal(mismatch.kind, 'invalid');
    const invalid = await failsWith(
      call(ops.createItem, { ...draft(), ownerId: randomUUID(), status: 'retired' } as never, as(owner)),
      'validationFailed',
    );
    assert.match(JSON.stringify(invalid.errors), /ownerId/);
    await failsWith(
      call(ops.createItem, draft({ dailyPrice: { amount: -5, currency: 'EUR' } }), as(owner)),
      'validationFailed',
    );
  });

  test('getItem of an unknown id is itemNotFound', async () => {
    await failsWith(call(ops.getItem, { id: randomUUID() }), 'inventory.itemNotFound');
  });

  test('every change bumps the version by one; an edit already in effect does not', async () => {
    const item = await call(ops.createItem, draft(), as(owner));
    const v2 = await call(ops.updateItem, { id: item.id, title: 'Bigger tent' }, as(owner));
    assert.equal(v2.version, 2);
    assert.equal(v2.title, 'Bigger tent');
    assert.ok(Date.parse(v2.updatedAt) >= Date.parse(item.updatedAt));
    const v3 = await call(
      ops.updateItem,
      { id: item.id, dailyPrice: { amount: 2000, currency: 'EUR' }, ifMatch: '"2"' },
      as(owner),
    );
    assert.equal(v3.version, 3);
    const same = await call(
      ops.updateItem,
      { id: item.id, title: 'Bigger tent', dailyPrice: { amount: 2000, currency: 'EUR' } },
      as(owner),
    );
    assert.equal(same.version, 3);
    const both = await call(
      ops.updateItem,
      {
        id: item.id,
        dailyPrice: { amount: 20, currency: 'USD' },
        deposit: { amount: 100, currency: 'USD' },
        ifMatch: 'W/"3"',
      },
      as(owner),
    );
    assert.equal(both.version, 4);
    assert.equal(both.deposit.currency, 'USD');
    await failsWith(
      call(ops.updateItem, { id: item.id, deposit: { amount: 100, currency: 'EUR' } }, as(owner)),
      'inventory.currencyMismatch',
    );
    assert.equal((await call(ops.getItem, { id: item.id })).version, 4);
  });

  test('only the owner or an admin edits; others get notOwner', async () => {
    const item = await call(ops.createItem, draft(), as(owner));
    await failsWith(call(ops.updateItem, { id: item.id, title: 'Mine now' }, as(randomUUID())), 'inventory.notOwner');
    await failsWith(call(ops.retireItem, { id: item.id }, as(randomUUID())), 'inventory.notOwner');
    await failsWith(call(ops.updateItem, { id: item.id, title: 'x' }), 'unauthorized');
    const edited = await call(ops.updateItem, { id: item.id, condition: 'worn' }, as(randomUUID(), 'admin'));
    assert.equal(edited.condition, 'worn');
    assert.equal(edited.ownerId, owner);
    await failsWith(call(ops.updateItem, { id: randomUUID(), title: 'x' }, as(owner)), 'inventory.itemNotFound');
  });

  test('a stale If-Match is versionMismatch and changes nothing', async () => {
    const item = await call(ops.createItem, draft(), as(owner));
    await call(ops.updateItem, { id: item.id, title: 'Second' }, as(owner));
    const error = await failsWith(
      call(ops.updateItem, { id: item.id, title: 'Third', ifMatch: '"1"' }, as(owner)),
      'inventory.versionMismatch',
    );
    assert.equal(error.kind, 'precondition_failed');
    await failsWith(call(ops.retireItem, { id: item.id, ifMatch: 1 }, as(owner)), 'inventory.versionMismatch');
    const now = await call(ops.getItem, { id: item.id });
    assert.equal(now.title, 'Second');
    assert.equal(now.version, 2);
  });

  test('concurrent edits with the same If-Match: exactly one wins', async () => {
    const item = await call(ops.createItem, draft(), as(owner));
    const attempts = Array.from({ length: 8 }, (_, i) =>
      call(ops.updateItem, { id: item.id, title: `Writer ${i}`, ifMatch: '"1"' }, as(owner)),
    );
    const results = await Promise.allSettled(attempts);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 7);
    for (const r of lost) assert.equal((r.reason as AppError).code, 'inventory.versionMismatch');
    const final = await call(ops.getItem, { id: item.id });
    assert.equal(final.version, 2);
    assert.equal(final.title, (won[0] as PromiseFulfilledResult<{ title: string }>).value.title);
  });

  test('concurrent edits without If-Match all apply, one version each', async () => {
    const item = await call(ops.createItem, draft(), as(owner));
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) => call(ops.updateItem, { id: item.id, title: `Edit ${i}` }, as(owner))),
    );
    assert.deepEqual(results.map((r) => r.version).sort(), [2, 3, 4, 5]);
    assert.equal((await call(ops.getItem, { id: item.id })).version, 5);
  });

  describe('listItems', () => {
    const category = `list-${randomUUID().slice(0, 8)}`;
    const lister = randomUUID();
    const created: { id: string; title: string; amount: number }[] = [];

    before(async () => {
      const specs = [
        { title: 'Delta', amount: 400 },
        { title: 'alpha', amount: 100 },
        { title: 'Charlie', amount: 300 },
        { title: 'Bravo', amount: 200 },
        { title: 'Echo', amount: 500 },
      ];
      for (const spec of specs) {
        const item = await call(
          ops.createItem,
          draft({ category, title: spec.title, dailyPrice: { amount: spec.amount, currency: 'EUR' } }),
          as(lister),
        );
        created.push({ id: item.id, title: spec.title, amount: spec.amount });
      }
      await call(
        ops.createItem,
        draft({
          category,
          title: 'Dollar',
          dailyPrice: { amount: 50, currency: 'USD' },
          deposit: { amount: 0, currency: 'USD' },
        }),
        as(randomUUID()),
      );
      await call(ops.retireItem, { id: created[4]!.id }, as(lister));
    });

    test('filters by category and hides retired items by default', async () => {
      const page = await call(ops.listItems, { category });
      assert.equal(page.total, 5);
      assert.equal(page.items.length, 5);
      assert.ok(page.items.every((i) => i.category === category && i.status !== 'retired'));
      assert.equal(page.limit, 20);
      assert.equal(page.offset, 0);
    });

    test('a status filter shows retired items', async () => {
      const page = await call(ops.listItems, { category, status: 'retired' });
      assert.deepEqual(
        page.items.map((i) => i.id),
        [created[4]!.id],
      );
      const listed = await call(ops.listItems, { category, status: 'listed' });
      assert.equal(listed.total, 5);
    });

    test('filters by owner and currency', async () => {
      const mine = await call(ops.listItems, { category, ownerId: lister });
      assert.equal(mine.total, 4);
      assert.ok(mine.items.every((i) => i.ownerId === lister));
      const dollars = await call(ops.listItems, { category, currency: 'USD' });
      assert.deepEqual(
        dollars.items.map((i) => i.title),
        ['Dollar'],
      );
      const nobody = await call(ops.listItems, { ownerId: randomUUID() });
      assert.deepEqual(nobody, { items: [], total: 0, limit: 20, offset: 0 });
    });

    test('sorts by price, title and creation time', async () => {
      const eur = { category, currency: 'EUR' } as const;
      const cheapest = await call(ops.listItems, { ...eur, sort: 'dailyPrice', order: 'asc' });
      assert.deepEqual(
        cheapest.items.map((i) => i.dailyPrice.amount),
        [100, 200, 300, 400],
      );
      const dearest = await call(ops.listItems, { ...eur, sort: 'dailyPrice', order: 'desc' });
      assert.deepEqual(
        dearest.items.map((i) => i.dailyPrice.amount),
        [400, 300, 200, 100],
      );
      const byTitle = await call(ops.listItems, { ...eur, sort: 'title', order: 'asc' });
      assert.deepEqual(
        byTitle.items.map((i) => i.title),
        ['alpha', 'Bravo', 'Charlie', 'Delta'],
      );
      const oldest = await call(ops.listItems, { ...eur, sort: 'createdAt', order: 'asc' });
      assert.deepEqual(
        oldest.items.map((i) => i.id),
        created.slice(0, 4).map((c) => c.id),
      );
      const newest = await call(ops.listItems, eur);
      assert.deepEqual(
        newest.items.map((i) => i.id),
        created
          .slice(0, 4)
          .map((c) => c.id)
          .reverse(),
      );
    });

    test('pages with limit and offset, never overlapping', async () => {
      const pages = [];
      for (let offset = 0; offset < 5; offset += 2)
        pages.push(await call(ops.listItems, { category, limit: 2, offset, sort: 'title', order: 'asc' }));
      assert.deepEqual(
        pages.map((p) => p.items.length),
        [2, 2, 1],
      );
      assert.ok(pages.every((p) => p.total === 5 && p.limit === 2));
      const ids = pages.flatMap((p) => p.items.map((i) => i.id));
      assert.equal(new Set(ids).size, 5);
      const beyond = await call(ops.listItems, { category, offset: 50 });
      assert.deepEqual(beyond.items, []);
      assert.equal(beyond.total, 5);
    });

    test('the page size is capped at 100', async () => {
      const error = await failsWith(call(ops.listItems, { limit: 101 }), 'validationFailed');
      assert.equal(error.errors?.[0]?.path, 'limit');
      await failsWith(call(ops.listItems, { limit: 0 }), 'validationFailed');
      await failsWith(call(ops.listItems, { sort: 'owner' } as never), 'validationFailed');
      assert.equal((await call(ops.listItems, { limit: 100 })).limit, 100);
    });
  });

  describe('retiring', () => {
    test('retires an available item: still readable, never editable again', async () => {
      const item = await call(ops.createItem, draft(), as(owner));
      const retired = await call(ops.retireItem, { id: item.id, ifMatch: '"1"' }, as(owner));
      assert.equal(retired.status, 'retired');
      assert.equal(retired.version, 2);
      assert.equal((await call(ops.getItem, { id: item.id })).status, 'retired');
      const edit = await failsWith(
        call(ops.updateItem, { id: item.id, title: 'Back' }, as(owner)),
        'inventory.itemRetired',
      );
      assert.equal(edit.kind, 'conflict');
      const again = await failsWith(call(ops.retireItem, { id: item.id }, as(owner)), 'inventory.illegalTransition');
      assert.match(again.detail, /retired → retired/);
      await failsWith(call(ops.relistItem, { id: item.id }, as(owner)), 'inventory.itemRetired');
      await failsWith(call(ops.unlistItem, { id: item.id }, as(owner)), 'inventory.itemRetired');
      await failsWith(call(ops.retireItem, { id: randomUUID() }, as(owner)), 'inventory.itemNotFound');
    });

    test('an admin may retire anyone’s item', async () => {
      const item = await call(ops.createItem, draft(), as(owner));
      assert.equal((await call(ops.retireItem, { id: item.id }, as(randomUUID(), 'admin'))).status, 'retired');
    });
  });

  describe('unlist and relist', () => {
    test('the owner pauses and resumes an item, each move once, recorded and published', async () => {
      const item = await call(ops.createItem, draft(), as(owner));
      assert.equal(item.status, 'listed');
      const unlisted = await call(ops.unlistItem, { id: item.id, ifMatch: '"1"' }, as(owner));
      assert.equal(unlisted.status, 'unlisted');
      assert.equal(unlisted.version, 2);
      // A repeat (even with the version it was first sent with) succeeds unchanged.
      assert.deepEqual(await call(ops.unlistItem, { id: item.id, ifMatch: '"1"' }, as(owner)), unlisted);
      assert.equal((await call(ops.getItem, { id: item.id })).status, 'unlisted');
      const relisted = await call(ops.relistItem, { id: item.id }, as(owner));
      assert.equal(relisted.status, 'listed');
      assert.equal(relisted.version, 3);
      assert.deepEqual(await call(ops.relistItem, { id: item.id }, as(owner)), relisted);
      const history = await call(ops.getItemHistory, { id: item.id }, as(owner));
      assert.deepEqual(
        history.events.map((e) => (e.type === 'status_changed' ? `${e.data.from}->${e.data.to}` : e.type)),
        ['created', 'listed->unlisted', 'unlisted->listed'],
      );
      assert.ok(history.events.slice(1).every((e) => e.actorId === owner));
    });

    test('only the owner or an admin; stale versions and unknown items are refused', async () => {
      const item = await call(ops.createItem, draft(), as(owner));
      const stranger = await failsWith(call(ops.unlistItem, { id: item.id }, as(randomUUID())), 'inventory.notOwner');
      assert.equal(stranger.kind, 'forbidden');
      await failsWith(call(ops.relistItem, { id: item.id }, as(randomUUID())), 'inventory.notOwner');
      await failsWith(call(ops.unlistItem, { id: item.id, ifMatch: '"7"' }, as(owner)), 'inventory.versionMismatch');
      await failsWith(call(ops.unlistItem, { id: randomUUID() }, as(owner)), 'inventory.itemNotFound');
      assert.equal((await call(ops.unlistItem, { id: item.id }, as(randomUUID(), 'admin'))).status, 'unlisted');
      assert.equal((await call(ops.getItem, { id: item.id })).version, 2, 'refusals changed nothing');
    });

    test('an unlisted item can be retired; a retired one never comes back', async () => {
      const item = await call(ops.createItem, draft(), as(owner));
      await call(ops.unlistItem, { id: item.id }, as(owner));
      assert.equal((await call(ops.retireItem, { id: item.id }, as(owner))).status, 'retired');
      const relist = await failsWith(call(ops.relistItem, { id: item.id }, as(owner)), 'inventory.itemRetired');
      assert.equal(relist.kind, 'conflict');
    });

    test('the default list shows listed and unlisted items, a status filter one of them', async () => {
      const category = `paused-${randomUUID().slice(0, 8)}`;
      const listed = await call(ops.createItem, draft({ category }), as(owner));
      const paused = await call(ops.createItem, draft({ category }), as(owner));
      await call(ops.unlistItem, { id: paused.id }, as(owner));
      assert.equal((await call(ops.listItems, { category })).total, 2);
      const onlyPaused = await call(ops.listItems, { category, status: 'unlisted' });
      assert.deepEqual(
        onlyPaused.items.map((i) => i.id),
        [paused.id],
      );
      const onlyListed = await call(ops.listItems, { category, status: 'listed' });
      assert.deepEqual(
        onlyListed.items.map((i) => i.id),
        [listed.id],
      );
    });
  });
});
