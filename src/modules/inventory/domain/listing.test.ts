import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { drillListing } from '../../../../test/support/fixtures.ts';
import { planEdit, type Listing } from './listing.ts';

const drill: Listing = drillListing;

describe('listing edits', () => {
  test('keeps only the fields that change', () => {
    assert.deepEqual(
      planEdit(drill, { title: 'Cordless drill', condition: 'fair', dailyPrice: { amount: 900, currency: 'EUR' } }),
      {
        kind: 'change',
        changes: { condition: 'fair', dailyPrice: { amount: 900, currency: 'EUR' } },
      },
    );
  });

  test('an edit already in effect, or an empty one, changes nothing', () => {
    assert.deepEqual(planEdit(drill, {}), { kind: 'unchanged' });
    assert.deepEqual(planEdit(drill, { title: drill.title, deposit: { amount: 5000, currency: 'EUR' } }), {
      kind: 'unchanged',
    });
  });

  test('changing one price to another currency is refused', () => {
    const plan = planEdit(drill, { deposit: { amount: 5000, currency: 'USD' } });
    assert.equal(plan.kind, 'currencyMismatch');
  });

  test('changing both prices to a new currency together is allowed', () => {
    const plan = planEdit(drill, {
      dailyPrice: { amount: 900, currency: 'USD' },
      deposit: { amount: 6000, currency: 'USD' },
    });
    assert.deepEqual(plan, {
      kind: 'change',
      changes: { dailyPrice: { amount: 900, currency: 'USD' }, deposit: { amount: 6000, currency: 'USD' } },
    });
  });
});
