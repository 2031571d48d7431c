import assert from 'node:assert/strict';
import { test } from 'node:test';
import { itemVersions, type ItemEventFacts } from './item-versions.ts';

const base: ItemEventFacts = {
  itemId: 'i1',
  version: 1,
  eventType: 'created',
  occurredAt: '2026-01-01T00:00:00.000Z',
  ownerId: 'o1',
  title: 'Drill',
  category: 'tools',
  currency: 'EUR',
  dailyPrice: 500,
  deposit: 5_000,
  statusTo: null,
};
const none = {
  ownerId: null,
  title: null,
  category: null,
  currency: null,
  dailyPrice: null,
  deposit: null,
  statusTo: null,
};
const at = (day: number) => `2026-01-${String(day).padStart(2, '0')}T00:00:00.000Z`;

test('a price or category change opens a version; a title change and status moves do not', () => {
  const versions = itemVersions([
    { ...base, itemId: 'i1', version: 4, eventType: 'updated', occurredAt: at(4), ...none, category: 'garden' },
    base,
    { ...base, version: 2, eventType: 'updated', occurredAt: at(2), ...none, title: 'Big drill' },
    { ...base, version: 3, eventType: 'updated', occurredAt: at(3), ...none, dailyPrice: 450 },
    { ...base, version: 5, eventType: 'status_changed', occurredAt: at(5), ...none, statusTo: 'reserved' },
    { ...base, version: 6, eventType: 'status_changed', occurredAt: at(6), ...none, statusTo: 'retired' },
  ]);
  assert.deepEqual(
    versions.map((v) => [
      v.itemKey,
      v.category,
      v.dailyPrice,
      v.validFrom,
      v.validTo,
      v.isCurrent,
      v.title,
      v.retiredAt,
    ]),
    [
      ['i1/1', 'tools', 500, at(1), at(3), false, 'Big drill', at(6)],
      ['i1/3', 'tools', 450, at(3), at(4), false, 'Big drill', at(6)],
      ['i1/4', 'garden', 450, at(4), null, true, 'Big drill', at(6)],
    ],
  );
});

test('an edit back to the same price opens no version; an item without its listing event has none', () => {
  assert.equal(
    itemVersions([base, { ...base, version: 2, eventType: 'updated', occurredAt: at(2), ...none, dailyPrice: 500 }])
      .length,
    1,
  );
  assert.deepEqual(itemVersions([{ ...base, version: 2, eventType: 'updated', ...none, dailyPrice: 1 }]), []);
});
