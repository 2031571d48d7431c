import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { z } from 'zod';
import { drillListing } from '../../../../test/support/fixtures.ts';
import type { recordedStatusSchema } from '../contract.ts';
import { foldHistory, type HistoryEvent } from './history.ts';
import { planEdit, type Listing, type ListingEdit } from './listing.ts';
import { planStatusChange, type ItemAction } from './status.ts';

const OWNER = '00000000-0000-4000-8000-00000000000a';
const ADMIN = '00000000-0000-4000-8000-00000000000b';
const R1 = '11111111-1111-4111-8111-111111111111';
const R2 = '22222222-2222-4222-8222-222222222222';
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();

const drill: Listing = drillListing;

const created: HistoryEvent = {
  type: 'created',
  version: 1,
  actorId: OWNER,
  occurredAt: at(0),
  data: { ownerId: OWNER, ...drill },
};
const move = (
  version: number,
  from: z.infer<typeof recordedStatusSchema>,
  to: z.infer<typeof recordedStatusSchema>,
  reservationId: string | null,
): HistoryEvent => ({
  type: 'status_changed',
  version,
  actorId: null,
  occurredAt: at(version),
  data: { from, to, reservationId },
});

describe('foldHistory', () => {
  test('a created item is available at version 1, created and updated when it was listed', () => {
    assert.deepEqual(foldHistory([created]), {
      ownerId: OWNER,
      ...drill,
      status: 'listed',
      version: 1,
      createdAt: at(0),
      updatedAt: at(0),
    });
  });

  test('edits change only the fields they carry; moves set the listing status', () => {
    const events: HistoryEvent[] = [
      created,
      {
        type: 'updated',
        version: 2,
        actorId: ADMIN,
        occurredAt: at(2),
        data: { title: 'Hammer drill', dailyPrice: { amount: 900, currency: 'EUR' } },
      },
      move(3, 'listed', 'unlisted', null),
      { type: 'updated', version: 4, actorId: OWNER, occurredAt: at(4), data: { condition: 'fair' } },
    ];
    assert.deepEqual(foldHistory(events), {
      ownerId: OWNER,
      ...drill,
      title: 'Hammer drill',
      dailyPrice: { amount: 900, currency: 'EUR' },
      condition: 'fair',
      status: 'unlisted',
      version: 4,
      createdAt: at(0),
      updatedAt: at(4),
    });
  });

  test('availability moves recorded before listing statuses read as listed, and later moves go on from there', () => {
    const older = foldHistory([
      created,
      move(2, 'available', 'reserved', R2),
      move(3, 'reserved', 'in_use', R2),
      move(4, 'in_use', 'available', R2),
      move(5, 'listed', 'unlisted', null),
      move(6, 'unlisted', 'retired', null),
    ]);
    assert.deepEqual([older.status, older.version], ['retired', 6]);
    const reserved = foldHistory([created, move(2, 'available', 'reserved', R1)]);
    assert.equal(reserved.status, 'listed');
    const retired = foldHistory([created, move(2, 'available', 'retired', null)]);
    assert.equal(retired.status, 'retired');
  });

  test('a baseline starts history at the state an older item had, at its version', () => {
    const baseline: HistoryEvent = {
      type: 'baseline',
      version: 7,
      actorId: null,
      occurredAt: at(7),
      data: { ownerId: OWNER, ...drill, status: 'reserved', reservationId: R1, createdAt: at(0) },
    };
    const state = foldHistory([baseline, move(8, 'reserved', 'available', R1), move(9, 'listed', 'unlisted', null)]);
    assert.deepEqual(state, {
      ownerId: OWNER,
      ...drill,
      status: 'unlisted',
      version: 9,
      createdAt: at(0),
      updatedAt: at(9),
    });
  });

  test('fields a stored event carries beyond the listing are not taken into the state', () => {
    const extra = { ...created, data: { ...created.data, colour: 'red' } } as HistoryEvent;
    assert.equal('colour' in foldHistory([extra]), false);
  });

  test('refuses a history that cannot be an item’s', () => {
    const update: HistoryEvent = {
      type: 'updated',
      version: 2,
      actorId: OWNER,
      occurredAt: at(2),
      data: { title: 'x' },
    };
    assert.throws(() => foldHistory([]), RangeError);
    assert.throws(() => foldHistory([update]), /starts with its creation/);
    assert.throws(() => foldHistory([{ ...created, version: 2 }]), /version 1/);
    assert.throws(() => foldHistory([created, { ...update, version: 3 }]), /skips from version 1 to 3/);
    assert.throws(() => foldHistory([created, { ...created, version: 2 }]), /already exists/);
    assert.throws(
      () => foldHistory([created, move(2, 'unlisted', 'listed', null)]),
      /from unlisted, but it was listed/,
    );
  });

  test('property: replaying the history of any sequence of edits and moves gives the state they produced', () => {
    const money = (currency: string) =>
      fc.record({ amount: fc.integer({ min: 0, max: 100_000 }), currency: fc.constant(currency) });
    const edit = fc.constantFrom('EUR', 'USD').chain((currency) =>
      fc.record(
        {
          title: fc.constantFrom('Drill', 'Tent', 'Ladder'),
          description: fc.string({ maxLength: 8 }),
          category: fc.constantFrom('tools', 'camping'),
          dailyPrice: money(currency),
          deposit: money(currency),
          condition: fc.constantFrom('new', 'good', 'worn' as const),
        },
        { requiredKeys: [] },
      ),
    );
    const actions: ItemAction[] = ['unlist', 'relist', 'retire'];
    const step = fc.oneof(
      edit.map((e) => ({ edit: e as ListingEdit })),
      fc.record({ action: fc.constantFrom(...actions) }),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        // The model: the state each step leaves, derived with the same domain rules the handlers use.
        let state = foldHistory([created]);
        const history: HistoryEvent[] = [created];
        for (const s of steps) {
          const version = state.version + 1;
          const base = { version, actorId: OWNER, occurredAt: at(version) };
          if ('edit' in s) {
            if (state.status === 'retired') continue;
            const plan = planEdit(state, s.edit);
            if (plan.kind !== 'change') continue;
            history.push({ type: 'updated', ...base, data: plan.changes });
            state = { ...state, ...plan.changes, version, updatedAt: base.occurredAt };
          } else {
            const plan = planStatusChange(state.status, s.action);
            if (plan.kind !== 'move') continue;
            history.push({
              type: 'status_changed',
              ...base,
              data: { from: plan.from, to: plan.to, reservationId: null },
            });
            state = { ...state, status: plan.to, version, updatedAt: base.occurredAt };
          }
          assert.deepEqual(foldHistory(history), state);
        }
      }),
    );
  });
});
