import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeCursor } from './cursor.ts';
import {
  normalizeSearch,
  searchCacheKey,
  type Normalized,
  type NormalizedSearch,
  type SearchInput,
} from './search-query.ts';

const id = '0b6f7c52-8f0e-4a4e-9d7a-1f2e3d4c5b6a';

function ok(input: Partial<SearchInput>): NormalizedSearch {
  const result = normalizeSearch({ limit: 20, ...input });
  assert.ok(result.ok, `expected a valid search, got ${JSON.stringify(result)}`);
  return result.search;
}

function problem(input: Partial<SearchInput>): Extract<Normalized, { ok: false }>['code'] {
  const result = normalizeSearch({ limit: 20, ...input });
  assert.ok(!result.ok, `expected a problem, got ${JSON.stringify(result)}`);
  return result.code;
}

describe('search normalization', () => {
  test('text is trimmed, single-spaced and lower-cased; blank text is no text', () => {
    assert.equal(ok({ q: '  Cordless \t  DRILL \n' }).q, 'cordless drill');
    assert.equal(ok({ q: '   ' }).q, null);
    assert.equal(ok({}).q, null);
  });

  test('the sort defaults to relevance with text and newest without; relevance needs text', () => {
    assert.equal(ok({ q: 'tent' }).sort, 'relevance');
    assert.equal(ok({}).sort, 'newest');
    assert.equal(ok({ sort: 'relevance' }).sort, 'newest');
    assert.equal(ok({ q: 'tent', sort: 'price_asc' }).sort, 'price_asc');
  });

  test('without text or sort the browse order applies; a cursor keeps the order its page started in', () => {
    const cheapest = (input: Partial<SearchInput>) => normalizeSearch({ limit: 20, ...input }, 'price_asc');
    const browse = cheapest({});
    assert.ok(browse.ok && browse.search.sort === 'price_asc' && browse.search.browsing);
    const text = cheapest({ q: 'tent' });
    assert.ok(text.ok && text.search.sort === 'relevance' && !text.search.browsing);
    const explicit = cheapest({ sort: 'newest' });
    assert.ok(explicit.ok && explicit.search.sort === 'newest' && !explicit.search.browsing);
    const cursor = encodeCursor({ sort: 'newest', key: new Date(0).toISOString(), id });
    const continued = cheapest({ cursor });
    assert.ok(continued.ok && continued.search.sort === 'newest', 'a newest page continued as newest');
    const byPrice = encodeCursor({ sort: 'price_desc', key: 100, id });
    assert.equal(problem({ cursor: byPrice }), 'invalidCursor', 'only browse orders continue without a sort');
  });

  test('prices need a currency and an ordered range', () => {
    assert.equal(problem({ minPrice: 100 }), 'priceNeedsCurrency');
    assert.equal(problem({ maxPrice: 100 }), 'priceNeedsCurrency');
    assert.equal(problem({ minPrice: 500, maxPrice: 100, currency: 'EUR' }), 'invalidPriceRange');
    const search = ok({ minPrice: 100, maxPrice: 100, currency: 'EUR' });
    assert.deepEqual([search.minPrice, search.maxPrice, search.currency], [100, 100, 'EUR']);
  });

  test('a period is half-open; a date starts at midnight UTC, and as the end includes its day', () => {
    assert.deepEqual(ok({ availableFrom: '2030-07-01', availableTo: '2030-07-03' }).period, {
      from: '2030-07-01T00:00:00.000Z',
      to: '2030-07-04T00:00:00.000Z',
    });
    assert.deepEqual(ok({ availableFrom: '2030-07-01T10:00:00+02:00', availableTo: '2030-07-01T12:00:00Z' }).period, {
      from: '2030-07-01T08:00:00.000Z',
      to: '2030-07-01T12:00:00.000Z',
    });
    assert.deepEqual(ok({ availableFrom: '2030-07-01', availableTo: '2030-07-01' }).period, {
      from: '2030-07-01T00:00:00.000Z',
      to: '2030-07-02T00:00:00.000Z',
    });
  });

  test('a period needs both ends, in order', () => {
    assert.equal(problem({ availableFrom: '2030-07-01' }), 'invalidPeriod');
    assert.equal(problem({ availableTo: '2030-07-01' }), 'invalidPeriod');
    assert.equal(problem({ availableFrom: '2030-07-03', availableTo: '2030-07-01' }), 'invalidPeriod');
    assert.equal(
      problem({ availableFrom: '2030-07-01T12:00:00Z', availableTo: '2030-07-01T12:00:00Z' }),
      'invalidPeriod',
    );
  });

  test('a cursor must be ours and of the same sort', () => {
    assert.equal(problem({ cursor: 'bogus' }), 'invalidCursor');
    const byPrice = encodeCursor({ sort: 'price_asc', key: 800, id });
    assert.equal(problem({ q: 'tent', cursor: byPrice }), 'invalidCursor');
    assert.equal(problem({ sort: 'newest', cursor: byPrice }), 'invalidCursor');
    assert.deepEqual(ok({ sort: 'price_asc', cursor: byPrice }).after, { sort: 'price_asc', key: 800, id });
  });
});

describe('search cache keys', () => {
  test('equal searches share a key, whatever their spelling', () => {
    const a = ok({ q: 'Camping  Tent', availableFrom: '2030-07-01', availableTo: '2030-07-02' });
    const b = ok({
      q: ' camping tent ',
      sort: 'relevance',
      availableFrom: '2030-07-01T00:00:00Z',
      availableTo: '2030-07-03T00:00:00.000Z',
    });
    assert.equal(searchCacheKey(a, 7), searchCacheKey(b, 7));
  });

  test('anything that changes the answer changes the key, the generation included', () => {
    const base = ok({ q: 'tent' });
    const keys = [
      searchCacheKey(base, 7),
      searchCacheKey(base, 8),
      searchCacheKey(ok({ q: 'tents' }), 7),
      searchCacheKey(ok({ q: 'tent', limit: 21 }), 7),
      searchCacheKey(ok({ q: 'tent', category: 'camping' }), 7),
      searchCacheKey(ok({ q: 'tent', status: 'retired' }), 7),
      searchCacheKey(ok({ q: 'tent', sort: 'newest' }), 7),
      searchCacheKey(ok({ q: 'tent', currency: 'EUR' }), 7),
      searchCacheKey(ok({ q: 'tent', cursor: encodeCursor({ sort: 'relevance', key: 0.5, id }) }), 7),
    ];
    assert.equal(new Set(keys).size, keys.length, 'two different searches shared a cache key');
  });
});
