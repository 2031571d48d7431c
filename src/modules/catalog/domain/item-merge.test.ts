import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isListed, mergeItem, type ItemFact, type ItemState } from './item-merge.ts';

const itemId = '11111111-1111-4111-8111-111111111111';
const ownerId = '22222222-2222-4222-8222-222222222222';
const at = (version: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, version));
const eur = (amount: number) => ({ amount, currency: 'EUR' });

const created: ItemFact = {
  itemId,
  ownerId,
  version: 1,
  occurredAt: at(1),
  listedAt: at(1),
  values: {
    title: 'Drill',
    description: '18V',
    category: 'power-tools',
    dailyPrice: eur(800),
    deposit: eur(5000),
    condition: 'good',
    status: 'available',
  },
};
const renamed: ItemFact = { itemId, ownerId, version: 2, occurredAt: at(2), values: { title: 'Cordless drill' } };
const repriced: ItemFact = {
  itemId,
  ownerId,
  version: 3,
  occurredAt: at(3),
  values: { dailyPrice: eur(900), deposit: eur(6000) },
};
const reserved: ItemFact = { itemId, ownerId, version: 4, occurredAt: at(4), values: { status: 'reserved' } };
const described: ItemFact = {
  itemId,
  ownerId,
  version: 5,
  occurredAt: at(5),
  values: { description: '18V, two batteries' },
};
const history = [created, renamed, repriced, reserved, described];

function applyAll(facts: readonly ItemFact[]): ItemState {
  let state: ItemState | undefined;
  for (const fact of facts) state = mergeItem(state, fact).state;
  return state!;
}

describe('merging item facts by version', () => {
  test('in order: each fact lands', () => {
    const state = applyAll(history);
    assert.deepEqual(state.values, {
      title: 'Cordless drill',
      description: '18V, two batteries',
      category: 'power-tools',
      dailyPrice: eur(900),
      deposit: eur(6000),
      condition: 'good',
      status: 'reserved',
    });
    assert.equal(state.version, 5);
    assert.deepEqual(state.listedAt, at(1));
    assert.deepEqual(state.updatedAt, at(5));
  });

  test('an update before the creation is a stub, not lost: the creation fills in only what is older', () => {
    const stub = mergeItem(undefined, renamed).state;
    assert.equal(isListed(stub), false, 'a stub is not searchable yet');
    assert.deepEqual(stub.values, { title: 'Cordless drill' });
    const state = mergeItem(stub, created).state;
    assert.equal(isListed(state), true);
    assert.equal(state.values.title, 'Cordless drill', 'the older creation must not overwrite the newer title');
    assert.equal(state.values.description, '18V');
    assert.equal(state.version, 2);
    assert.deepEqual(state.updatedAt, at(2));
  });

  test('an older fact after a newer one changes nothing; a repeated fact changes nothing', () => {
    const current = applyAll([created, repriced]);
    assert.equal(
      mergeItem(current, renamed).state.values.title,
      'Cordless drill',
      'a field the newer fact did not touch still takes the older change',
    );
    const later = applyAll([created, renamed, repriced]);
    assert.deepEqual(mergeItem(later, renamed), { state: later, changed: false });
    const stale: ItemFact = { itemId, ownerId, version: 2, occurredAt: at(2), values: { dailyPrice: eur(1) } };
    assert.deepEqual(mergeItem(later, stale), { state: later, changed: false });
  });

  test('a snapshot at a version supersedes every event up to it, and none after it', () => {
    const snapshot: ItemFact = {
      ...created,
      version: 3,
      occurredAt: at(3),
      listedAt: at(0),
      values: { ...created.values, title: 'Cordless drill', dailyPrice: eur(900), deposit: eur(6000) },
    };
    const state = applyAll([described, snapshot, renamed, created, reserved]);
    assert.deepEqual(state, applyAll([...history, snapshot]));
    assert.deepEqual(state.listedAt, at(0), 'the earliest report of the listing wins');
  });

  test('any order of any facts converges on the same state', () => {
    const snapshot: ItemFact = {
      ...created,
      version: 4,
      occurredAt: at(4),
      listedAt: at(1),
      values: {
        ...created.values,
        title: 'Cordless drill',
        dailyPrice: eur(900),
        deposit: eur(6000),
        status: 'reserved',
      },
    };
    const facts = [...history, snapshot];
    const expected = applyAll(facts);
    fc.assert(
      fc.property(
        fc.shuffledSubarray(facts, { minLength: facts.length, maxLength: facts.length }),
        fc.array(fc.constantFrom(...facts), { maxLength: 4 }),
        (order, repeats) => {
          assert.deepEqual(applyAll([...order, ...repeats]), expected);
        },
      ),
    );
  });
});
