import { createHash } from 'node:crypto';
import { boundOf } from '../../../shared/time/day-or-instant.ts';
import { type BrowseSort, DEFAULT_BROWSE_SORT, isBrowseSort } from './browse-order.ts';
import { decodeCursor, type Cursor, type Sort } from './cursor.ts';

/** A search as the caller asked for it (already shape-checked by the contract). */
export interface SearchInput {
  q?: string | undefined;
  category?: string | undefined;
  minPrice?: number | undefined;
  maxPrice?: number | undefined;
  currency?: string | undefined;
  availableFrom?: string | undefined;
  availableTo?: string | undefined;
  status?: string | undefined;
  sort?: Sort | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** A search in one canonical form: equal searches normalize equal (and share a cache entry). */
export interface NormalizedSearch {
  q: string | null;
  category: string | null;
  currency: string | null;
  minPrice: number | null;
  maxPrice: number | null;
  /** Half-open [from, to) as ISO instants. */
  period: { from: string; to: string } | null;
  status: string | null;
  sort: Sort;
  /** The order is the browse order (no text, no sort asked for): what the browse-order flag decides. */
  browsing: boolean;
  limit: number;
  after: Cursor | null;
}

export type SearchProblemCode = 'invalidCursor' | 'invalidPriceRange' | 'priceNeedsCurrency' | 'invalidPeriod';

export type Normalized =
  | { ok: true; search: NormalizedSearch }
  | { ok: false; code: SearchProblemCode; detail: string };

/**
 * Checks and canonicalizes a search: the text trimmed, lower-cased and single-spaced; the
 * sort resolved (relevance when there is text, else the browse order: `browseSort`, or the
 * order of the page a cursor continues, so paging never switches order); dates turned into a half-open
 * period of instants, read exactly as rentals reads a rental's period (shared/time: a date
 * means midnight UTC, and availableTo as a date includes that day).
 */
export function normalizeSearch(input: SearchInput, browseSort: BrowseSort = DEFAULT_BROWSE_SORT): Normalized {
  const q = input.q?.trim().replace(/\s+/g, ' ').toLowerCase() || null;
  const minPrice = input.minPrice ?? null;
  const maxPrice = input.maxPrice ?? null;
  if ((minPrice !== null || maxPrice !== null) && !input.currency) {
    return {
      ok: false,
      code: 'priceNeedsCurrency',
      detail: 'minPrice and maxPrice compare amounts of one currency: add currency, e.g. currency=EUR.',
    };
  }
  if (minPrice !== null && maxPrice !== null && minPrice > maxPrice) {
    return { ok: false, code: 'invalidPriceRange', detail: `minPrice (${minPrice}) is above maxPrice (${maxPrice}).` };
  }
  let period: NormalizedSearch['period'] = null;
  if (input.availableFrom !== undefined || input.availableTo !== undefined) {
    if (input.availableFrom === undefined || input.availableTo === undefined) {
      return {
        ok: false,
        code: 'invalidPeriod',
        detail: 'availableFrom and availableTo go together: give both, or neither.',
      };
    }
    const from = boundOf(input.availableFrom, 'start');
    const to = boundOf(input.availableTo, 'end');
    if (from === undefined || to === undefined)
      return {
        ok: false,
        code: 'invalidPeriod',
        detail: 'availableFrom and availableTo must be ISO dates or date-times.',
      };
    if (from >= to) return { ok: false, code: 'invalidPeriod', detail: 'availableFrom must be before availableTo.' };
    period = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  }
  const browsing = q === null && (input.sort === undefined || input.sort === 'relevance');
  const continued = browsing && input.cursor !== undefined ? decodeCursor(input.cursor)?.sort : undefined;
  const sort: Sort = browsing
    ? continued && isBrowseSort(continued)
      ? continued
      : browseSort
    : input.sort === undefined
      ? 'relevance'
      : input.sort;
  let after: Cursor | null = null;
  if (input.cursor !== undefined) {
    const cursor = decodeCursor(input.cursor);
    if (!cursor)
      return {
        ok: false,
        code: 'invalidCursor',
        detail: 'The cursor is not one this API returned; start again without it.',
      };
    if (cursor.sort !== sort)
      return {
        ok: false,
        code: 'invalidCursor',
        detail: `The cursor belongs to a search sorted by ${cursor.sort}, not ${sort}.`,
      };
    after = cursor;
  }
  return {
    ok: true,
    search: {
      q,
      category: input.category ?? null,
      currency: input.currency ?? null,
      minPrice,
      maxPrice,
      period,
      status: input.status ?? null,
      sort,
      browsing,
      limit: input.limit,
      after,
    },
  };
}

/** The cache key of a search at a generation of the read model: any applied event changes it. */
export function searchCacheKey(search: NormalizedSearch, generation: number): string {
  const canonical = JSON.stringify([
    search.q,
    search.category,
    search.currency,
    search.minPrice,
    search.maxPrice,
    search.period?.from ?? null,
    search.period?.to ?? null,
    search.status,
    search.sort,
    search.limit,
    search.after ? [search.after.sort, search.after.key, search.after.id] : null,
  ]);
  return `catalog:search:g${generation}:${createHash('sha256').update(canonical).digest('base64url')}`;
}
