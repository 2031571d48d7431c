import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../../../test/support/eventually.ts';
import { startTestHost, type TestHost } from '../../../test/support/test-host.ts';
import type { InputOf } from '../../shared/bus/contract.ts';
import { type Caller, systemContext } from '../../shared/bus/context.ts';
import { AppError } from '../../shared/bus/errors.ts';
import { type EdgeFlags, openEdgeFlags } from '../../shared/flags/edge-flags.ts';
import type { EvaluatedFlags } from '../../shared/flags/evaluated-flags.ts';
import { createLogger } from '../../shared/observability/logger.ts';
import { identityModule } from '../identity/module.ts';
import { inventory } from '../inventory/contract.ts';
import { inventoryModule } from '../inventory/module.ts';
import { catalog } from './contract.ts';
import { BROWSE_ORDER_FLAG } from './domain/browse-order.ts';
import { catalogModule } from './module.ts';

const EXPERIMENT_FILE = new URL('../../../flags/browse-order-experiment.json', import.meta.url).pathname;

let host: TestHost;
let flags: EdgeFlags;
const category = `bo-${randomUUID().slice(0, 8)}`;
const listed: { id: string; price: number }[] = [];

/** What the edge does per request: evaluate the flags for the caller, then call with them. */
async function search(caller: Caller | undefined, input: Partial<InputOf<typeof catalog.ops.searchItems>> = {}) {
  const evaluated = await flags.evaluate(caller);
  return searchWith(evaluated, caller, input);
}

function searchWith(
  evaluated: EvaluatedFlags,
  caller: Caller | undefined,
  input: Partial<InputOf<typeof catalog.ops.searchItems>> = {},
) {
  const ctx = { ...systemContext(caller ? { caller } : {}), flags: evaluated };
  return host.platform.bus.call(catalog.ops.searchItems, { category, limit: 20, ...input }, ctx);
}

/** A fresh member the experiment puts in the given variant (the split is by user id). */
async function memberIn(variant: 'newest' | 'cheapest'): Promise<Caller> {
  for (;;) {
    const caller = { userId: randomUUID(), role: 'member' };
    if ((await flags.evaluate(caller))[BROWSE_ORDER_FLAG]?.variant === variant) return caller;
  }
}

async function exposuresOf(userId: string) {
  const page = await host.platform.bus.call(catalog.ops.exportExposures, { limit: 5_000 }, systemContext());
  return page.rows.filter((r) => r.userId === userId).map((r) => ({ flag: r.flag, variant: r.variant }));
}

before(async () => {
  host = await startTestHost([identityModule, inventoryModule, catalogModule]);
  flags = await openEdgeFlags({
    path: EXPERIMENT_FILE,
    log: createLogger({ level: 'silent', pretty: false, name: 'test' }),
    domain: `catalog-test-${randomUUID()}`,
  });
  const owner = systemContext({ caller: { userId: randomUUID(), role: 'member' } });
  // Listed in this order: newest first is the reverse; cheapest first is 300, 600, 900.
  for (const price of [900, 300, 600]) {
    const item = await host.platform.bus.call(
      inventory.ops.createItem,
      {
        title: `Lantern ${price}`,
        description: '',
        category,
        dailyPrice: { amount: price, currency: 'EUR' },
        deposit: { amount: 1_000, currency: 'EUR' },
        condition: 'good',
      },
      owner,
    );
    listed.push({ id: item.id, price });
    await new Promise((r) => setTimeout(r, 5)); // distinct listing instants
  }
  await eventually('the catalog to show the three items', async () => {
    await host.platform.events.drain();
    return (await search(undefined)).items.length === 3 ? true : undefined;
  });
});

after(async () => {
  await flags?.close();
  await host?.stop();
});

const newestFirst = () => [...listed].reverse().map((i) => i.id);
const cheapestFirst = () => [...listed].sort((a, b) => a.price - b.price).map((i) => i.id);

describe('catalog browse order behind the catalog-browse-order flag', () => {
  test('each variant browses in its own order and records the user’s exposure once', async () => {
    const control = await memberIn('newest');
    const treated = await memberIn('cheapest');
    const a = await search(control);
    assert.equal(a.sort, 'newest');
    assert.deepEqual(
      a.items.map((i) => i.id),
      newestFirst(),
    );
    const b = await search(treated);
    assert.equal(b.sort, 'price_asc');
    assert.deepEqual(
      b.items.map((i) => i.id),
      cheapestFirst(),
    );
    await search(treated);
    assert.deepEqual(await exposuresOf(control.userId), [{ flag: BROWSE_ORDER_FLAG, variant: 'newest' }]);
    assert.deepEqual(await exposuresOf(treated.userId), [{ flag: BROWSE_ORDER_FLAG, variant: 'cheapest' }]);
  });

  test('the flag does not decide, and nothing is recorded, for text searches, explicit sorts and anonymous browsing', async () => {
    const treated = await memberIn('cheapest');
    const sorted = await search(treated, { sort: 'newest' });
    assert.deepEqual(
      sorted.items.map((i) => i.id),
      newestFirst(),
    );
    assert.equal((await search(treated, { q: 'lantern' })).sort, 'relevance');
    assert.deepEqual(await exposuresOf(treated.userId), []);
    const anonymous = await search(undefined);
    assert.equal(anonymous.sort, 'newest', 'an anonymous browse gets the default variant');
    const admin = { userId: randomUUID(), role: 'admin' };
    assert.equal((await search(admin)).sort, 'newest', 'the experiment leaves admins out');
  });

  test('without flags, or with a value this build does not know, browsing is newest first', async () => {
    const someone = { userId: randomUUID(), role: 'member' };
    assert.equal((await searchWith({}, someone)).sort, 'newest');
    const unknown = { [BROWSE_ORDER_FLAG]: { value: 'random', variant: 'shuffled' } };
    assert.equal((await searchWith(unknown, someone)).sort, 'newest');
    assert.deepEqual(await exposuresOf(someone.userId), []);
  });

  test('pages continue in the order they started, even if the user’s variant changes meanwhile', async () => {
    const treated = await memberIn('cheapest');
    const first = await search(treated, { limit: 1 });
    const cheapest = { [BROWSE_ORDER_FLAG]: { value: 'price_asc', variant: 'cheapest' } };
    const newest = { [BROWSE_ORDER_FLAG]: { value: 'newest', variant: 'newest' } };
    const second = await searchWith(newest, treated, { limit: 1, cursor: first.nextCursor! });
    const third = await searchWith(cheapest, treated, { limit: 1, cursor: second.nextCursor! });
    assert.deepEqual(
      [first, second, third].map((p) => p.items[0]!.id),
      cheapestFirst(),
    );
    assert.equal(third.nextCursor, null);
  });

  test('exposures export in pages for the warehouse, to the platform only', async () => {
    const users = [await memberIn('newest'), await memberIn('cheapest')];
    for (const user of users) await search(user);
    const first = await host.platform.bus.call(catalog.ops.exportExposures, { limit: 1 }, systemContext());
    assert.equal(first.rows.length, 1);
    const seen = [...first.rows];
    for (let next = first.next; next; ) {
      const page = await host.platform.bus.call(
        catalog.ops.exportExposures,
        { limit: 1, after: next, until: first.until },
        systemContext(),
      );
      seen.push(...page.rows);
      next = page.next;
    }
    assert.equal(new Set(seen.map((r) => r.id)).size, seen.length, 'a row came twice');
    for (const user of users) assert.ok(seen.some((r) => r.userId === user.userId));
    await assert.rejects(
      host.platform.bus.call(catalog.ops.exportExposures, { limit: 1 }, systemContext({ caller: users[0]! })),
      (error: unknown) => error instanceof AppError && error.kind === 'forbidden',
    );
  });
});
