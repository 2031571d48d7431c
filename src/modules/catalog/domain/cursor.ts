/** The orders a search can be read in. */
export const sorts = ['relevance', 'newest', 'price_asc', 'price_desc'] as const;
export type Sort = (typeof sorts)[number];

/**
 * Where a page ended: the sort key and id of its last item. The key is the rank (relevance),
 * the listing time as ISO text (newest) or the daily price amount (price). Pages continue
 * strictly after it, so items inserted meanwhile never shift or repeat entries.
 */
export interface Cursor {
  sort: Sort;
  key: number | string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** An opaque cursor for the page after this position. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.sort, cursor.key, cursor.id]), 'utf8').toString('base64url');
}

/** The position a cursor names, or undefined when it is not one this API produced. */
export function decodeCursor(text: string): Cursor | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
  const [sort, key, id] = parsed as unknown[];
  if (!sorts.includes(sort as Sort) || typeof id !== 'string' || !UUID.test(id)) return undefined;
  if (!validKey(sort as Sort, key)) return undefined;
  return { sort: sort as Sort, key: key as number | string, id };
}

function validKey(sort: Sort, key: unknown): boolean {
  switch (sort) {
    case 'relevance':
      return typeof key === 'number' && Number.isFinite(key) && key >= 0;
    case 'newest':
      return typeof key === 'string' && ISO_MS.test(key) && !Number.isNaN(Date.parse(key));
    case 'price_asc':
    case 'price_desc':
      return typeof key === 'number' && Number.isSafeInteger(key) && key >= 0;
  }
}
